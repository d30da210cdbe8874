"""A protocol's simulator as a port: `--device pulseox=intellivue:sim` (or `sim:SCENARIO`).

Like python-can's virtual bus, the simulated device is a peer of the real
transports, not a test hack: the reader thread, the driver and the parser run
exactly as on a serial line, only the bytes come from the device simulator in
this process instead of a cable. What the app writes reaches the simulator
(association, NIBP start...), and what the simulator answers is read back.
Nothing here needs a pseudo-terminal, so the demo runs on every OS. A port may
run its scenario faster: `sim:desat?speed=10`. For a whole chain with a real
tty, `infusion-monitor simulate` uses a pty (or `--tcp PORT`, on every OS).
"""

from __future__ import annotations

import threading
import time
from typing import Callable

import serial

from devices.sim.faults import SimulatedLine, parse_scenario
from devices.sim.physiology import VitalsSource

#: The port name that asks for a simulated device, alone or as "sim:SCENARIO[+FAULT...][?speed=N]".
SIM_PORT = "sim"
#: The option of a simulated port that runs its scenario faster than the wall clock.
SPEED_OPTION = "?speed="

#: Scenario time may run this much slower or faster than the wall clock: beyond 100 a simulator writes
#: more frames than a pty carries (and than any real device sends); below 0.1 nothing seems to happen.
MIN_SPEED, MAX_SPEED = 0.1, 100.0


def check_speed(speed: float) -> None:
    """Raise ValueError in words if a scenario speed factor is out of bounds (or not a number)."""
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise ValueError(f"speed must be a factor from {MIN_SPEED:g} to {MAX_SPEED:g}, e.g. 1 or 10")


def sim_port(scenario: str = "baseline", speed: float = 1.0) -> str:
    """Return the port name of a simulated device running a scenario at a speed ('sim:desat?speed=10')."""
    return f"{SIM_PORT}:{scenario}" + ("" if speed == 1.0 else f"{SPEED_OPTION}{speed:g}")


def sim_options(port: str) -> tuple[str, float] | None:
    """Return the scenario and speed a port name asks for (('baseline', 1.0) for plain 'sim'), None if no simulator.

    The scenario may carry line faults: 'sim:desat+noisy+flapping' (devices.sim.faults), and a speed:
    'sim:desat?speed=10'. ValueError names the scenarios, faults or speeds when one asked for does not exist.
    """
    name, sep, rest = port.partition(":")
    if name != SIM_PORT:
        return None
    scenario, opt, speed_text = (rest if sep else "baseline").partition(SPEED_OPTION)
    try:
        parse_scenario(scenario)
        check_speed(_number(speed_text) if opt else 1.0)
    except ValueError as exc:
        raise ValueError(f"simulator port '{port}': {exc}") from None
    return scenario, _number(speed_text) if opt else 1.0


def _number(text: str) -> float:
    """Return a decimal number of a port option (ValueError in words, never 'could not convert')."""
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a number") from None


def sim_scenario(port: str) -> str | None:
    """Return the scenario a port name asks for ('baseline' for plain 'sim'), None if it is not a simulator."""
    options = sim_options(port)
    return None if options is None else options[0]


class SimulatedPort:
    """The device side of one protocol in scenario time, with the read/write/close of a pyserial port.

    read() waits up to `timeout` seconds for the first byte, as a serial port
    with a read timeout does. When the scenario or a line fault unplugs the
    device, read() and write() raise SerialException like a vanished USB
    adapter, and opening a port on a line that is gone raises it too.
    `patient` replaces the scenario's patient with any other source of vitals
    (the screen gallery's, which a scene sets). `line` opens this port on a
    line that outlives it (a test reconnecting to the same device, reading
    its truth log); by default each port has its own.
    """

    def __init__(self, protocol: str, scenario: str = "baseline", speed: float = 1.0, seed: int = 1,
                 timeout: float = 0.05, clock: Callable[[], float] = time.monotonic,
                 patient: VitalsSource | None = None, line: SimulatedLine | None = None,
                 origin: float | None = None, wallclock: Callable[[], float] = time.time) -> None:
        self.line = line or SimulatedLine(protocol, scenario, seed, patient=patient)
        self.device = self.line.device
        self.patient = self.line.patient
        self.speed = speed
        self.timeout = timeout
        self._clock = clock
        self._wallclock = wallclock
        self._start = clock() if origin is None else origin
        self._lock = threading.Lock()
        self._closed = False
        if line is not None:
            self._advance()
            line.reconnected()

    @classmethod
    def reopen(cls, line: SimulatedLine, origin: float, speed: float = 1.0, timeout: float = 0.05,
               clock: Callable[[], float] = time.monotonic) -> "SimulatedPort":
        """Open a new port on a line that outlives its ports; SerialException while the line is gone.

        origin is the clock's reading at scenario time 0, so the device runs on while no port is open.
        """
        return cls(line.protocol, speed=speed, timeout=timeout, clock=clock, line=line, origin=origin)

    def _scenario_t(self) -> float:
        return (self._clock() - self._start) * self.speed

    def _advance(self) -> float:
        t = self._scenario_t()
        self.line.advance(t)
        if self.line.gone(t):
            raise serial.SerialException("the simulated device was unplugged")
        return t

    @property
    def in_waiting(self) -> int:
        with self._lock:
            self._check_open()
            return self.line.pending(self._advance())

    def read(self, size: int = 1) -> bytes:
        deadline = self._clock() + self.timeout
        while True:
            with self._lock:
                self._check_open()
                data = self.line.take(self._advance(), size, self._wallclock())
                if data:
                    return data
            if self._clock() >= deadline:
                return b""
            time.sleep(min(0.005, self.device.frame_interval / self.speed))

    def write(self, data: bytes) -> int:
        with self._lock:
            self._check_open()
            self.line.write(bytes(data), self._advance())
        return len(data)

    def close(self) -> None:
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise serial.SerialException("the simulated port is closed")


#: The simulated devices of `sim:` ports opened in this process, by (protocol, port, source), with the monotonic
#: time their scenario started: a reader that opens its port again finds the same device, its scenario running on.
_devices: dict[tuple[str, str, str], tuple[SimulatedLine, float]] = {}
_devices_lock = threading.Lock()


def open_simulated(protocol: str, port: str, source: str) -> SimulatedPort:
    """Open the simulated device of a `sim[:SCENARIO]` port for one device source (SerialException while unplugged).

    The first open starts the device; opening again (after a scenario or a
    line fault pulled the simulated cable) reconnects to it, so a flapping
    cable flaps on a scenario that goes on instead of one that restarts.
    """
    scenario, speed = sim_options(port) or ("baseline", 1.0)
    with _devices_lock:
        key = (protocol, port, source)
        if key not in _devices:
            _devices[key] = (SimulatedLine(protocol, scenario), time.monotonic())
        line, origin = _devices[key]
    return SimulatedPort.reopen(line, origin, speed=speed)
