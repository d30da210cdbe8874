"""The prober: simulators on ptys found with their identity; nothing started, nothing left changed."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import termios
import threading
import time
import tty

import pytest

from devices.carescape.driver import STOP_DISPLAYED_VALUES, VALUES_ONCE
from devices.carescape.requests import SEND_ONCE, PhdbRequest
from devices.probe import Found, Prober, find_devices
from devices.sim.runner import PtySimulator
from devices.suntech import GET_CUFF_PRESSURE, START_ADULT
from scripted import ScriptedPort
from test_carescape import phdb_frame

SECONDS = 1.0


def probe(path, **kwargs):
    steps = []
    found = Prober(seconds=SECONDS, **kwargs).run([path], progress=lambda *a: steps.append(a))
    return found, steps


@pytest.mark.parametrize("protocol, role, words", [
    ("cms50dplus", "pulseox", "SpO₂ + Pulse + Pleth"),
    ("nonin", "pulseox", "SpO₂ + Pulse + Pleth"),
    ("masimo-ascii", "pulseox", "SpO₂"),
])
@pytest.mark.slow
def test_a_streaming_device_is_found_by_listening(protocol, role, words):
    with PtySimulator(protocol, "baseline") as sim:
        received = []
        receive = sim.device.receive
        sim.device.receive = lambda data, v: received.append(data) or receive(data, v)
        [found], steps = probe(sim.path)
    assert (found.protocol, found.role, found.port) == (protocol, role, sim.path)
    assert words in str(found) and found.device_spec == f"{role}={protocol}:{sim.path}"
    assert received == []  # found before anything was sent
    assert steps[-1][2].startswith("done") and steps[-1][0] == steps[-1][1]


@pytest.mark.slow
def test_a_suntech_answers_the_idle_query_and_never_measures():
    with PtySimulator("suntech", "baseline") as sim:
        received = bytearray()
        receive = sim.device.receive
        sim.device.receive = lambda data, v: received.extend(data) or receive(data, v)
        [found], _ = probe(sim.path)
        time.sleep(0.2)
        assert not sim.device.measuring
    assert str(found).startswith("SunTech") and found.device_spec == f"nibp=suntech:{sim.path}"
    assert bytes(received) == GET_CUFF_PRESSURE
    assert START_ADULT not in bytes(received)


@pytest.mark.slow
def test_a_carescape_is_asked_once_and_left_stopped():
    with PtySimulator("carescape", "baseline") as sim:
        before = termios.tcgetattr(os.open(sim.path, os.O_RDWR | os.O_NOCTTY))
        [found], _ = probe(sim.path)
        time.sleep(0.3)
        fd = os.open(sim.path, os.O_RDWR | os.O_NOCTTY)
        after = termios.tcgetattr(fd)
        os.close(fd)
        requests = list(sim.device.requests)
        streaming = sim.device.frame(sim.patient.step(1.0))
    assert found.identity.startswith("GE Datex-Ohmeda") and "DRI level" in found.identity
    assert "SpO₂" in found.params and "NIBP" in found.params
    assert found.device_spec == f"pulseox=carescape:{sim.path}"
    assert requests == [PhdbRequest(1, SEND_ONCE, 0x0E), PhdbRequest(1, 0, 0)]  # once, then stop
    assert streaming == b""  # nothing left running
    assert after == before  # line settings put back


@pytest.mark.slow
def test_random_bytes_are_no_device():
    master, slave = os.openpty()
    tty.setraw(slave)
    os.set_blocking(master, False)
    stop = threading.Event()

    def noise():
        rng = random.Random(5)
        while not stop.is_set():
            os.write(master, rng.randbytes(200))
            try:
                os.read(master, 4096)
            except OSError:
                pass
            time.sleep(0.05)

    thread = threading.Thread(target=noise, daemon=True)
    thread.start()
    try:
        found, steps = probe(os.ttyname(slave))
    finally:
        stop.set()
        thread.join()
        os.close(master)
        os.close(slave)
    assert found == [] and len(steps) == len(Prober().plan()) + 1


def scripted_open(ports):
    """Return an open function handing out the given ports in turn, then silent ones; and the opens seen."""
    opened = []

    def open_port(port, settings):
        opened.append((port, settings))
        return ports.pop(0) if ports else ScriptedPort([])

    return open_port, opened


def test_listening_sends_nothing_and_queries_come_with_their_restore():
    listen = [ScriptedPort([]), ScriptedPort([])]  # a write to these fails the script
    suntech = ScriptedPort([(GET_CUFF_PRESSURE, b"")])  # no SunTech there: no answer
    carescape = ScriptedPort([(VALUES_ONCE, phdb_frame()), (STOP_DISPLAYED_VALUES, b"")])
    open_port, opened = scripted_open([*listen, suntech, carescape])
    prober = Prober(protocols=["nonin", "suntech", "carescape"], seconds=0.2, open_port=open_port)
    [found] = prober.run(["scripted"])
    assert found.protocol == "carescape"
    assert [port.written for port in listen] == [[], []]
    carescape.assert_done()
    suntech.assert_done()
    windows = [(s.baudrate, s.parity) for _, s in opened]
    assert windows == [(9600, "N"), (19200, "E"), (9600, "N"), (19200, "E")]  # listen, listen, ask, ask


def test_ports_in_use_are_never_opened_and_cancel_stops():
    open_port, opened = scripted_open([])
    assert Prober(seconds=0.1, open_port=open_port).run(["a", "b"], exclude=frozenset({"a", "b"})) == []
    assert opened == []
    cancel = threading.Event()
    cancel.set()
    assert Prober(seconds=0.1, open_port=open_port).run(["a"], cancel=cancel) == [] and opened == []


def test_a_port_that_cannot_be_opened_is_skipped():
    def refuse(port, settings):
        raise OSError(16, "Device or resource busy")

    assert Prober(seconds=0.1, open_port=refuse).run(["/dev/ttyUSB9"]) == []


def test_find_devices_for_the_window_reports_progress():
    with PtySimulator("cms50dplus", "baseline") as sim:
        steps = []
        found = find_devices([sim.path], seconds=SECONDS, progress=lambda *a: steps.append(a))
    assert [f.protocol for f in found] == ["cms50dplus"] and isinstance(found[0], Found)
    assert [s[0] for s in steps] == sorted(s[0] for s in steps) and steps[-1][0] == steps[-1][1] == 1


@pytest.mark.slow
def test_the_probe_command_prints_one_line_per_device():
    with PtySimulator("cms50dplus", "baseline") as sim:
        out = subprocess.run([sys.executable, "-m", "monitor.cli", "probe", "--port", sim.path, "--seconds", "1"],
                             capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines() == [
        f"Contec CMS50D+ / CMS50E (older firmware, streams on its own) on {sim.path}, SpO₂ + Pulse + Pleth: "
        f"--device pulseox=cms50dplus:{sim.path}"]
    bad = subprocess.run([sys.executable, "-m", "monitor.cli", "probe", "--seconds", "0"], capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("infusion-monitor: error:")
