"""A protocol's simulator as a port: `--device pulseox=intellivue:sim` (or `sim:SCENARIO`).

Like python-can's virtual bus, the simulated device is a peer of the real
transports, not a test hack: the reader thread, the driver and the parser run
exactly as on a serial line, only the bytes come from the device simulator in
this process instead of a cable. What the app writes reaches the simulator
(association, NIBP start...), and what the simulator answers is read back.
For a whole chain with a real tty, `infusion-monitor simulate` uses a pty.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

import serial

from devices import registry
from devices.sim.physiology import SCENARIOS, Patient, VitalsSource

#: The port name that asks for a simulated device, alone or as "sim:SCENARIO".
SIM_PORT = "sim"


def sim_scenario(port: str) -> str | None:
    """Return the scenario a port name asks for ('baseline' for plain 'sim'), None if it is not a simulator.

    ValueError names the scenarios when the one asked for does not exist.
    """
    name, sep, scenario = port.partition(":")
    if name != SIM_PORT:
        return None
    scenario = scenario if sep else "baseline"
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown simulator scenario '{scenario}'; choose one of: {', '.join(SCENARIOS)}")
    return scenario


class SimulatedPort:
    """The device side of one protocol in scenario time, with the read/write/close of a pyserial port.

    read() waits up to `timeout` seconds for the first byte, as a serial port
    with a read timeout does. When the scenario unplugs the device, read()
    raises SerialException like a vanished USB adapter. `patient` replaces the
    scenario's patient with any other source of vitals (the screen gallery's,
    which a scene sets).
    """

    def __init__(self, protocol: str, scenario: str = "baseline", speed: float = 1.0, seed: int = 1,
                 timeout: float = 0.05, clock: Callable[[], float] = time.monotonic,
                 patient: VitalsSource | None = None) -> None:
        spec = registry.get(protocol)
        self.device = spec.simulator()
        self.patient = Patient(scenario, seed=seed) if patient is None else patient
        self.speed = speed
        self.timeout = timeout
        self._clock = clock
        self._start = clock()
        self._next_t = 0.0
        self._vitals = self.patient.step(0.0)
        self._out = bytearray()
        self._lock = threading.Lock()
        self._closed = False

    def _advance(self) -> None:
        scenario_t = (self._clock() - self._start) * self.speed
        interval = self.device.frame_interval
        while self._next_t <= scenario_t:
            self._vitals = self.patient.step(self._next_t)
            if not self._vitals.silent:
                self._out += self.device.frame(self._vitals)
            self._next_t += interval
        if self._vitals.port_closed:
            raise serial.SerialException("the simulated device was unplugged")

    @property
    def in_waiting(self) -> int:
        with self._lock:
            self._check_open()
            self._advance()
            return len(self._out)

    def read(self, size: int = 1) -> bytes:
        deadline = self._clock() + self.timeout
        while True:
            with self._lock:
                self._check_open()
                self._advance()
                if self._out:
                    data = bytes(self._out[:size])
                    del self._out[:size]
                    return data
            if self._clock() >= deadline:
                return b""
            time.sleep(min(0.005, self.device.frame_interval / self.speed))

    def write(self, data: bytes) -> int:
        with self._lock:
            self._check_open()
            self._advance()
            if not self._vitals.silent:
                self._out += self.device.receive(bytes(data), self._vitals)
        return len(data)

    def close(self) -> None:
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise serial.SerialException("the simulated port is closed")
