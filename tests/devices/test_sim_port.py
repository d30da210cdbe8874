"""The simulated device as a port: the same reader, driver and parser path as a serial line, no pty."""

from __future__ import annotations

import subprocess
import sys

import pytest
import serial

from devices.reader import open_serial
from devices.sim.port import SimulatedPort, sim_scenario
from devices.spec import DeviceSpec

from clocks import FakeClock


def test_port_names_that_ask_for_a_simulator():
    assert sim_scenario("sim") == "baseline" and sim_scenario("sim:desat") == "desat"
    assert sim_scenario("/dev/ttyUSB0") is None and sim_scenario("simple") is None
    with pytest.raises(ValueError, match="choose one of"):
        DeviceSpec.parse("pulseox=nonin:sim:nosuch")
    assert isinstance(open_serial(DeviceSpec.parse("pulseox=nonin:sim")), SimulatedPort)


def test_a_streaming_device_sends_at_its_rate_in_scenario_time():
    clock = FakeClock()
    port = SimulatedPort("nonin", clock=clock, timeout=0.0)
    clock.t = 2.0
    assert port.in_waiting == pytest.approx(2 * 75 * 5, abs=10)  # 75 frames of 5 bytes a second


def test_a_command_device_answers_what_the_host_writes():
    clock = FakeClock()
    port = SimulatedPort("suntech", clock=clock, timeout=0.0)
    port.write(bytes.fromhex("3a7905004 8".replace(" ", "")))  # get cuff pressure
    reply = port.read(64)
    assert reply[:2] == b"\x3e\x05" and sum(reply) & 0xFF == 0


def test_an_unplugged_simulated_device_raises_like_a_vanished_adapter():
    clock = FakeClock()
    port = SimulatedPort("nonin", "disconnect", clock=clock, timeout=0.0)
    with pytest.raises(serial.SerialException):
        for step in range(2000):
            clock.t = step * 0.5
            port.read(4096)


@pytest.mark.slow
def test_record_on_a_simulated_monitor_end_to_end(tmp_path):
    db = tmp_path / "s.db"
    out = subprocess.run([sys.executable, "-m", "monitor.cli", "record", "--db", str(db), "--device",
                          "pulseox=intellivue:sim", "--device", "nibp=suntech:sim", "--duration", "4"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    export = subprocess.run([sys.executable, "-m", "monitor.cli", "export", "--db", str(db), "--session", "latest",
                             "--format", "csv"], capture_output=True, text=True, timeout=60)
    params = {line.split(",")[2] for line in export.stdout.splitlines()[1:]}
    assert {"spo2", "pulse_rate"} <= params
