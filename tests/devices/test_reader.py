"""The reader thread on a real pty: no data, port lost, reconnect; and its Link on a scripted port."""

from __future__ import annotations

import time

import pytest
import serial

from devices.reader import DeviceReader
from devices.sim.runner import PtySimulator
from devices.spec import DeviceSpec
from devices.values import Condition, Sample, StatusChange


def wait_for(predicate, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def changes(items, condition):
    return [(i.active, i.detail) for i in items if isinstance(i, StatusChange) and i.condition is condition]


@pytest.mark.slow
def test_disconnect_scenario_goes_silent_then_lost_then_reconnects(monkeypatch):
    monkeypatch.setattr("devices.reader.NO_DATA_AFTER_S", 1.0)
    items: list = []
    # at x10: data for 3 s, silent 3-7 s (port gone 5-7 s), back at 7 s
    with PtySimulator("cms50dplus", "disconnect", speed=10.0) as sim:
        reader = DeviceReader(DeviceSpec("pulseox", "cms50dplus", sim.path), items.append)
        reader.start()
        try:
            assert wait_for(lambda: changes(items, Condition.NO_DATA), 6), "silence not reported"
            assert wait_for(lambda: changes(items, Condition.PORT_LOST), 6), "lost port not reported"
            assert wait_for(lambda: (False, "") in changes(items, Condition.PORT_LOST), 10), "no reconnect"
            n = len(items)
            assert wait_for(lambda: any(isinstance(i, Sample) and i.param == "spo2" and i.value
                                        for i in items[n:]), 5), "no data after reconnect"
            assert reader.link.stats.reconnects >= 1
            assert changes(items, Condition.NO_DATA)[-1] == (False, ""), "silence never cleared"
        finally:
            reader.stop()
    assert reader.state == "stopped"


@pytest.mark.slow
def test_a_port_that_never_opens_is_reported_once_and_retried():
    attempts = []

    def refuse(spec):
        attempts.append(time.monotonic())
        raise serial.SerialException(f"could not open port {spec.port}: [Errno 2] No such file or directory")

    items: list = []
    reader = DeviceReader(DeviceSpec("pulseox", "cms50dplus", "/dev/ttyNOPE"), items.append, open_port=refuse)
    reader.start()
    wait_for(lambda: len(attempts) >= 3, 5)
    reader.stop()
    lost = changes(items, Condition.PORT_LOST)
    assert len(lost) == 1 and lost[0][0] and "/dev/ttyNOPE" in lost[0][1]
    assert len(attempts) >= 3 and attempts[2] - attempts[1] >= attempts[1] - attempts[0]  # backoff grows
    assert reader.state == "stopped"


def test_a_termios_error_on_open_is_a_lost_port_not_a_dead_thread():
    import termios

    def refuse(spec):
        raise termios.error(22, "Invalid argument")

    items: list = []
    reader = DeviceReader(DeviceSpec("pulseox", "cms50dplus", "/dev/ttyS9"), items.append, open_port=refuse)
    reader.start()
    wait_for(lambda: changes(items, Condition.PORT_LOST), 3)
    assert reader.is_alive()
    reader.stop()
    assert changes(items, Condition.PORT_LOST)[0][0] is True
