"""The dirty world between a device and the host: line and port faults over any protocol's bytes.

A simulated device renders clean frames (devices.sim.device); real lines add
noise, cables flap, another device gets plugged in, captures are glued
together and frames arrive late (design/REAL-STREAMS.md). A `SimulatedLine`
is one device on one such line, in scenario time, with a seeded RNG and no
clock of its own: the SimulatedPort, the pty runner and capture.device_bytes
all step it, so every path sees the same faults.

It also keeps the ground truth (`TruthLog`): the clean counterpart of every
byte the host actually took is decoded by a reference parser of the
protocol, so `truth.sent` holds exactly the readings the device sent as
valid, at the device's own resolution and in the contract units, with the
time they were taken; corrupted bytes, drop-outs, foreign and replayed
stretches are listed beside them. A parser that decodes clean bytes right
(the conformance suite) is the reference; the invariant suite
(tests/test_real_streams.py) compares what the product stored with it.

A scenario is written `SCENARIO[+FAULT...]`, e.g. `desat+noisy+flapping`
(FAULTS says what each fault does).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from devices.sim.physiology import SCENARIOS, Patient, Vitals, VitalsSource
from devices.values import DeviceItem, NibpResult, Sample, WaveSegment

if TYPE_CHECKING:  # the registry loads every protocol: imported when a line is built, not to check a scenario's name
    from devices.base import Parser
    from devices.sim.device import DeviceSimulator

#: Line and port faults, by name, with what each does (shown in --help).
FAULTS: dict[str, str] = {
    "noisy": "about 1 byte in 300 corrupted (a worn cable, a cheap adapter)",
    "flapping": "the port vanishes or goes silent for 1-3 s after every 2-4 s of data",
    "foreign": "every 40 s the cable is re-plugged into another device (another protocol's bytes, or random "
               "bytes) for 8 s",
    "repeat": "every 40 s the last 10 s are sent again with the same device clock (concatenated captures)",
    "cut": "the stream starts inside a frame (and a capture ends inside one)",
    "jitter": "each frame arrives 0 to 0.54 s late (blocks 1 s apart arrive -0.23 to +0.31 s off), in order",
}
NOISE_RATE = 1 / 300
UP_S, DOWN_S = (2.0, 4.0), (1.0, 3.0)  # flapping: data flows, then a drop-out (s)
FOREIGN_EVERY_S, FOREIGN_S, REPLUG_S = 40.0, 8.0, 1.0
REPEAT_EVERY_S, REPEAT_S = 40.0, 10.0
JITTER_S = 0.54
#: Protocols that stream without being asked: what may be "another device" on the port.
STREAMING = ("cms50dplus", "nonin", "masimo-ascii", "ivy450c")

UP, SILENT, GONE, FOREIGN, REPLAY = "up", "silent", "gone", "foreign", "replay"


def parse_scenario(text: str) -> tuple[str, tuple[str, ...]]:
    """Split 'desat+noisy+flapping' into ('desat', ('noisy', 'flapping')); ValueError names the choices."""
    name, *faults = text.split("+")
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario '{name}'; choose one of: {', '.join(SCENARIOS)} "
                         f"(add line faults with +FAULT: {', '.join(FAULTS)})")
    for fault in faults:
        if fault not in FAULTS:
            raise ValueError(f"unknown line fault '{fault}' in '{text}'; choose from: {', '.join(FAULTS)}")
    return name, tuple(dict.fromkeys(faults))


def scenario_help() -> str:
    """Return the words of --scenario's help: the scenarios, the faults and how to combine them."""
    return (f"SCENARIO[+FAULT...], e.g. desat+noisy+flapping. Scenarios: {', '.join(SCENARIOS)}. "
            "Line faults: " + "; ".join(f"{name}: {words}" for name, words in FAULTS.items()))


@dataclass(frozen=True)
class Sent:
    """One reading the device sent as valid: scenario time (s) it reached the host, parameter, value."""

    t: float
    param: str
    value: float
    host_t: float | None = None  # the host's clock when it read the bytes (a port only; UTC epoch s)
    replayed: bool = False  # part of a stretch sent a second time


@dataclass
class TruthLog:
    """What went over the line: valid readings, NIBP results, and every fault, in scenario time (s)."""

    sent: list[Sent] = field(default_factory=list)
    nibp: list[NibpResult] = field(default_factory=list)
    pleth_valid: int = 0  # valid pleth samples sent
    corrupted: list[tuple[float, int]] = field(default_factory=list)  # (time, offset in the bytes sent)
    stretches: list[tuple[str, float, float]] = field(default_factory=list)  # (state, from, to) other than up
    bytes_taken: int = 0
    foreign_taken: int = 0  # of which another device's (or random) bytes

    def values(self, param: str) -> list[Sent]:
        """Return the valid readings of one parameter, in order."""
        return [s for s in self.sent if s.param == param]

    def params(self) -> set[str]:
        """Return the parameters sent valid at least once."""
        return {s.param for s in self.sent}


@dataclass
class _Chunk:
    """Bytes on their way to the host: arrival (scenario s), clean and delivered (maybe corrupted) bytes."""

    t: float
    clean: bytes
    wire: bytes
    replayed: bool = False


class FaultPlan:
    """When each fault strikes, decided by a seeded RNG as scenario time advances (never looking back)."""

    def __init__(self, faults: tuple[str, ...], seed: int) -> None:
        self.faults = faults
        import numpy as np  # here, not at the top: the command line lists the faults without numpy

        self._rng = np.random.default_rng(seed + 7919)
        self._flaps: list[tuple[float, float, str]] = []  # (from, to, state) of drop-outs, in order
        self._flap_end = 0.0

    def state(self, t: float) -> str:
        """Return the line's state at scenario time t (UP, SILENT, GONE, FOREIGN, REPLAY)."""
        if "foreign" in self.faults and t >= FOREIGN_EVERY_S:
            c = t % FOREIGN_EVERY_S
            if c < REPLUG_S or FOREIGN_S + REPLUG_S <= c < FOREIGN_S + 2 * REPLUG_S:
                return GONE
            if c < FOREIGN_S + REPLUG_S:
                return FOREIGN
        if "repeat" in self.faults and t >= REPEAT_EVERY_S and t % REPEAT_EVERY_S < REPEAT_S:
            return REPLAY
        if "flapping" in self.faults:
            while self._flap_end <= t:
                start = self._flap_end + float(self._rng.uniform(*UP_S))
                self._flap_end = start + float(self._rng.uniform(*DOWN_S))
                self._flaps.append((start, self._flap_end, GONE if self._rng.random() < 0.5 else SILENT))
            for start, end, state in reversed(self._flaps):
                if start <= t < end:
                    return state
                if end <= t:
                    break
        return UP

    def corrupt(self, data: bytes) -> tuple[bytes, list[int]]:
        """Return data with about 1 byte in 300 replaced by another value, and the offsets replaced."""
        if "noisy" not in self.faults or not data:
            return data, []
        hits = (self._rng.random(len(data)) < NOISE_RATE).nonzero()[0]
        if not len(hits):
            return data, []
        out = bytearray(data)
        for i in hits:
            out[i] = (out[i] + int(self._rng.integers(1, 256))) & 0xFF
        return bytes(out), [int(i) for i in hits]

    def delay(self) -> float:
        """Return how late the next frame arrives (s)."""
        return float(self._rng.uniform(0.0, JITTER_S)) if "jitter" in self.faults else 0.0

    def cut(self) -> int:
        """Return how many bytes of the first frame the host never sees."""
        return int(self._rng.integers(1, 5)) if "cut" in self.faults else 0

    def random_bytes(self, n: int) -> bytes:
        return self._rng.integers(0, 256, n, dtype="uint8").tobytes()


class SimulatedLine:
    """One simulated device on a faulty line, stepped in scenario time; the host takes bytes with take().

    The device keeps running while the port is gone or silent (its frames are
    lost, as on a pulled cable), so a host that comes back finds it where the
    scenario is. Host writes reach the device only while the line is up.
    """

    def __init__(self, protocol: str, scenario: str = "baseline", seed: int = 1,
                 device: DeviceSimulator | None = None, patient: VitalsSource | None = None,
                 truth: bool = False) -> None:
        from devices import registry

        spec = registry.get(protocol)
        name, faults = parse_scenario(scenario)
        self.protocol = protocol
        self._byte_rate = spec.nominal_byte_rate  # of random bytes, when no other device is on the line
        self.device = device or spec.simulator()
        self.patient = Patient(name, seed=seed) if patient is None else patient
        self.plan = FaultPlan(faults, seed)
        self.truth = TruthLog()  # kept only with truth=True
        #: decodes what the host took into the truth log; None when nobody asked for one (a demo runs for hours)
        self._reference: Parser | None = spec.parser("truth") if truth else None
        self._foreign = self._foreign_device(protocol, seed)
        self._foreign_t = 0.0  # when the other device sends its next frame (scenario s)
        self._queue: deque[_Chunk] = deque()
        self._history: deque[_Chunk] = deque()  # what was sent in the last REPEAT_S, for a replay
        self._replay: deque[_Chunk] = deque()
        self._queued = 0  # bytes ever queued: offsets of corrupted bytes count from the first
        self._next_t = 0.0
        self.elapsed = 0.0  # scenario time (s) the line has run to
        self._last_arrival = 0.0
        self._skip = self.plan.cut()
        self._state = UP
        self._state_since = 0.0
        self.vitals: Vitals = self.patient.step(0.0)

    @staticmethod
    def _foreign_device(protocol: str, seed: int) -> DeviceSimulator | None:
        """Return the other device that may be plugged in (None: random bytes), chosen by the seed."""
        from devices import registry

        others = [p for p in STREAMING if p != protocol]
        pick = seed % (len(others) + 1)
        return registry.get(others[pick]).simulator() if pick < len(others) else None

    @property
    def faults(self) -> tuple[str, ...]:
        return self.plan.faults

    def state(self, t: float) -> str:
        """Return the line's state at scenario time t (the scenario's own unplugging included)."""
        state = self.plan.state(t)
        if state == UP and self.vitals.port_closed:
            return GONE
        if state == UP and self.vitals.silent:
            return SILENT
        return state

    def advance(self, t: float) -> None:
        """Run the device up to scenario time t, queueing what reaches the line."""
        self.elapsed = max(self.elapsed, t)
        interval = self.device.frame_interval
        while self._next_t <= t:
            now = self._next_t
            self.vitals = self.patient.step(now)
            state = self.state(now)
            self._note(state, now)
            clean = self.device.frame(self.vitals) if not self.vitals.silent else b""
            if state == UP:
                self._send(now, clean)
            elif state == FOREIGN:
                self._send_foreign(now, interval)
            elif state == REPLAY:
                while self._replay and self._replay[0].t <= now:
                    self._send(now, self._replay.popleft().clean, replayed=True)
            self._next_t += interval

    def _note(self, state: str, t: float) -> None:
        """Keep the stretches that were not plain data in the truth log."""
        if state == self._state:
            return
        if self._state != UP and self._reference is not None:
            self.truth.stretches.append((self._state, self._state_since, t))
        self._replay.clear()
        if state == REPLAY and self._history:  # the last REPEAT_S again, each frame as far apart as before
            shift = t - self._history[0].t
            self._replay.extend(_Chunk(c.t + shift, c.clean, c.clean, True) for c in self._history)
        self._state, self._state_since = state, t

    def _send(self, t: float, clean: bytes, replayed: bool = False) -> None:
        if not clean:
            return
        if self._skip:
            clean, self._skip = clean[self._skip:], max(0, self._skip - len(clean))
            if not clean:
                return
        arrival = max(self._last_arrival, t + self.plan.delay())
        self._last_arrival = arrival
        wire, hits = self.plan.corrupt(clean)
        if self._reference is not None:
            self.truth.corrupted += [(arrival, self._queued + i) for i in hits]
        self._queue.append(_Chunk(arrival, clean, wire, replayed))
        self._queued += len(wire)
        if not replayed:
            self._history.append(_Chunk(t, clean, clean))
            while self._history and self._history[0].t < t - REPEAT_S:
                self._history.popleft()

    def _send_foreign(self, t: float, interval: float) -> None:
        """Queue what another device (or a random source) sends in one frame interval: never truth."""
        if self._foreign is None:
            n = int(self._byte_rate * interval)
            data = self.plan.random_bytes(max(1, n))
        else:
            data = b""
            while self._foreign_t <= t:  # the other device sends at its own rate
                data += self._foreign.frame(self.vitals)
                self._foreign_t += self._foreign.frame_interval
        if data:
            self._queue.append(_Chunk(t, b"", data))
            self._queued += len(data)

    def write(self, data: bytes, t: float) -> None:
        """Give the device what the host wrote at scenario time t (lost unless the line is up)."""
        if self.vitals.t < t:
            self.vitals = self.patient.step(t)
        if self.state(t) == UP:
            self._send(t, self.device.receive(bytes(data), self.vitals))

    def take(self, t: float, size: int | None = None, host_t: float | None = None) -> bytes:
        """Return up to `size` bytes that have arrived by scenario time t, and log what they carried."""
        out = bytearray()
        while self._queue and self._queue[0].t <= t and (size is None or len(out) < size):
            chunk = self._queue.popleft()
            room = len(chunk.wire) if size is None else min(len(chunk.wire), size - len(out))
            if room < len(chunk.wire):
                self._queue.appendleft(_Chunk(chunk.t, chunk.clean[room:], chunk.wire[room:], chunk.replayed))
            out += chunk.wire[:room]
            if not chunk.clean:
                self.truth.foreign_taken += room
            self._log(chunk.t, chunk.clean[:room], chunk.replayed, host_t)
        self.truth.bytes_taken += len(out)
        return bytes(out)

    def pending(self, t: float) -> int:
        """Return how many bytes have arrived by scenario time t and wait to be taken."""
        return sum(len(c.wire) for c in self._queue if c.t <= t)

    def reconnected(self) -> None:
        """Start a new connection: bytes that arrived while no port was open are lost, framing starts clean."""
        self._queue = deque(c for c in self._queue if c.t > self._next_t)
        if self._reference is not None:
            self._reference.reset(0.0)

    def _log(self, t: float, clean: bytes, replayed: bool, host_t: float | None) -> None:
        """Decode the clean counterpart of bytes the host took: the readings the device sent as valid."""
        if self._reference is None:
            return
        if not clean:
            self._reference.reset(t)  # foreign bytes: what the device sends next starts a fresh stream
            return
        for item in self._reference.feed(clean, t):
            self._truth_of(item, t, replayed, host_t)

    def _truth_of(self, item: DeviceItem, t: float, replayed: bool, host_t: float | None) -> None:
        if isinstance(item, Sample) and item.value is not None:
            self.truth.sent.append(Sent(t, item.param, item.value, host_t, replayed))
        elif isinstance(item, NibpResult) and item.sbp is not None:
            self.truth.nibp.append(item)
        elif isinstance(item, WaveSegment):
            self.truth.pleth_valid += sum(1 for v in item.values if not math.isnan(v))

    def gone(self, t: float) -> bool:
        """Tell whether the port is gone (unplugged) at scenario time t."""
        return self.state(t) == GONE
