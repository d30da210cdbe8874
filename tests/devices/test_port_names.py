"""Ports named as their users know them on each OS, and simulated ports that carry a speed (issue 22)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from devices.probe import described_ports
from devices.sim.port import sim_options, sim_port
from devices.spec import DeviceSpec, port_name


@pytest.mark.parametrize("typed, shown", [
    ("com3", "COM3"), ("COM12", "COM12"), ("\\\\.\\COM12", "COM12"), ("Com04", "COM4"),
    ("/dev/cu.usbserial-1420", "/dev/cu.usbserial-1420"), ("/dev/ttyUSB0", "/dev/ttyUSB0"),
    ("socket://127.0.0.1:5555", "socket://127.0.0.1:5555"), ("comfort", "comfort"),
])
def test_port_names_as_users_know_them(typed, shown):
    assert port_name(typed) == shown


def test_a_device_spec_keeps_the_port_as_users_know_it():
    assert str(DeviceSpec.parse("pulseox=nonin:com4@9600")) == "pulseox=nonin:COM4@9600"
    assert DeviceSpec.parse("pulseox=nonin:socket://127.0.0.1:5555").port == "socket://127.0.0.1:5555"
    assert DeviceSpec.parse("nibp=suntech:/dev/cu.usbserial-A1").port == "/dev/cu.usbserial-A1"


def test_a_simulated_port_carries_its_speed():
    assert sim_port("desat", 10.0) == "sim:desat?speed=10" and sim_port() == "sim:baseline"
    assert sim_options("sim:desat+noisy?speed=10") == ("desat+noisy", 10.0)
    assert sim_options("sim") == ("baseline", 1.0) and sim_options("COM3") is None
    assert DeviceSpec.parse("pulseox=nonin:sim:desat?speed=2.5").simulated
    for bad, words in (("sim:desat?speed=fast", "'fast' is not a number"), ("sim:desat?speed=1000", "0.1 to 100"),
                       ("sim:nope?speed=2", "unknown scenario")):
        with pytest.raises(ValueError, match=words):
            DeviceSpec.parse(f"pulseox=nonin:{bad}")


def test_probe_lists_ports_by_name_with_their_adapter(monkeypatch):
    ports = [SimpleNamespace(device="COM4", description="USB-SERIAL CH340 (COM4)"),
             SimpleNamespace(device="\\\\.\\COM10", description="n/a"),
             SimpleNamespace(device="/dev/cu.usbserial-1420", description="/dev/cu.usbserial-1420")]
    monkeypatch.setattr("serial.tools.list_ports.comports", lambda: ports)
    assert described_ports() == {"/dev/cu.usbserial-1420": "", "COM10": "", "COM4": "USB-SERIAL CH340 (COM4)"}
