"""What the screen shows now: latest values, pleth sweeps, trends, BP results and device conditions.

Everything is keyed by source (the device's name: "pulseox", "pulseox-2",
"nibp", "manual") and parameter, so two devices that measure the same thing
never overwrite each other. Updated by the core thread as items arrive; read
by the UI timer through snapshot(), which copies under a lock and never waits
on I/O.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from devices.values import (VALUE_BLOCKING, WAVEFORMS, Condition, DeviceInfo, DeviceItem, NibpResult, Sample,
                            StatusChange, WaveSegment)

SWEEP_S = 10.0
TREND_S = 4 * 3600.0
TREND_STEP_S = 1.0

Key = tuple[str, str]  # (source, parameter)


@dataclass(frozen=True)
class Latest:
    """The last value of a parameter from one source and when it came (UTC epoch and monotonic s)."""

    value: float | None
    t: float
    mono: float
    source: str
    flags: frozenset[str] = frozenset()


class Ring:
    """Fixed-size ring of float64 (time, value) pairs; append is O(1), no allocation."""

    def __init__(self, size: int) -> None:
        self.t = np.full(size, np.nan)
        self.v = np.full(size, np.nan)
        self.size = size
        self.count = 0  # total ever appended

    def append(self, t: float, value: float | None) -> None:
        i = self.count % self.size
        self.t[i] = t
        self.v[i] = np.nan if value is None else value
        self.count += 1

    def ordered(self) -> tuple[np.ndarray, np.ndarray]:
        """Return copies oldest first."""
        n = min(self.count, self.size)
        start = (self.count - n) % self.size
        idx = (np.arange(n) + start) % self.size
        return self.t[idx], self.v[idx]


@dataclass(frozen=True)
class Sweep:
    """A source's last SWEEP_S seconds of pleth in sweep order (NaN = gap or no value).

    pos is where the next sample goes; last_mono the monotonic time of the last
    sample received (None before any), so the screen can blank a wave that stopped.
    """

    values: np.ndarray
    pos: int
    rate: float
    last_mono: float | None


@dataclass(frozen=True)
class NibpState:
    """A source's BP results: the last one (possibly failed) and the last valid one, with monotonic times."""

    last: NibpResult
    last_mono: float
    valid: NibpResult | None
    valid_mono: float | None


@dataclass(frozen=True)
class Snapshot:
    """A consistent copy of the live state for one UI frame."""

    latest: dict[Key, Latest]
    sources: tuple[str, ...]  # device order: the first source of a parameter is its primary one
    conditions: dict[str, dict[Condition, str]]  # source -> active conditions
    sweeps: dict[str, Sweep]
    trends: dict[Key, tuple[np.ndarray, np.ndarray]]
    nibp: dict[str, NibpState]
    devices: dict[str, DeviceInfo] = field(default_factory=dict)

    def values_of(self, param: str) -> list[Latest]:
        """Return the latest value of param from every source that gave one, primary first."""
        return [self.latest[(s, param)] for s in self.sources if (s, param) in self.latest]

    def primary(self, param: str) -> Latest | None:
        """Return the latest value of param from its primary source (the first in device order), None if none."""
        found = self.values_of(param)
        return found[0] if found else None

    def primary_sweep(self) -> Sweep | None:
        """Return the pleth sweep of the first source (in device order) that sends one, None if none does."""
        return next((self.sweeps[s] for s in self.sources if s in self.sweeps), None)

    def latest_nibp(self) -> NibpState | None:
        """Return the BP state of the source whose last result is the most recent (any BP device, or typed in)."""
        return max(self.nibp.values(), key=lambda n: n.last_mono, default=None)

    def blocked(self, source: str) -> str:
        """Return the words of a value-blocking condition of a source, or '' if its values are valid."""
        for cond, detail in self.conditions.get(source, {}).items():
            if cond in VALUE_BLOCKING:
                return detail or cond.value.replace("_", " ")
        return ""


class _SweepBuffer:
    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.values = np.full(max(1, int(SWEEP_S * rate)), np.nan)
        self.pos = 0
        self.last_mono: float | None = None

    def add(self, values: tuple[float, ...], now: float) -> None:
        n, size = len(values), len(self.values)
        if n >= size:
            self.values[:] = values[-size:]
            self.pos = 0
        else:
            end = self.pos + n
            if end <= size:
                self.values[self.pos:end] = values
            else:
                cut = size - self.pos
                self.values[self.pos:] = values[:cut]
                self.values[:n - cut] = values[cut:]
            self.pos = end % size
        self.last_mono = now

    def copy(self) -> Sweep:
        return Sweep(self.values.copy(), self.pos, self.rate, self.last_mono)


class LiveState:
    """Thread-safe live state; update() on the core thread, snapshot() anywhere."""

    def __init__(self, sources: tuple[str, ...] = (), clock=time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._sources = list(sources)
        self._latest: dict[Key, Latest] = {}
        self._conditions: dict[str, dict[Condition, str]] = {}
        self._sweeps: dict[str, _SweepBuffer] = {}
        self._trends: dict[Key, Ring] = {}
        self._trend_last: dict[Key, float] = {}
        self._nibp: dict[str, NibpState] = {}
        self._devices: dict[str, DeviceInfo] = {}

    def add_source(self, source: str) -> None:
        """Name a source in device order (a device added later comes after the others)."""
        with self._lock:
            self._known(source)

    def _known(self, source: str) -> None:
        if source not in self._sources:
            self._sources.append(source)

    def update(self, item: DeviceItem) -> None:
        now = self._clock()
        with self._lock:
            self._known(item.source)
            if isinstance(item, WaveSegment):
                if item.param in WAVEFORMS:
                    sweep = self._sweeps.get(item.source)
                    if sweep is None or sweep.rate != item.rate:
                        sweep = self._sweeps[item.source] = _SweepBuffer(item.rate)
                    sweep.add(item.values, now)
            elif isinstance(item, Sample):
                key = (item.source, item.param)
                self._latest[key] = Latest(item.value, item.t, now, item.source, item.flags)
                if item.t - self._trend_last.get(key, -math.inf) >= TREND_STEP_S:
                    self._trend_last[key] = item.t
                    ring = self._trends.get(key)
                    if ring is None:
                        ring = self._trends[key] = Ring(int(TREND_S / TREND_STEP_S))
                    ring.append(item.t, item.value)
            elif isinstance(item, StatusChange):
                conds = self._conditions.setdefault(item.source, {})
                if item.active:
                    conds[item.condition] = item.detail
                else:
                    conds.pop(item.condition, None)
            elif isinstance(item, NibpResult):
                old = self._nibp.get(item.source)
                valid = not item.error and item.sbp is not None and item.dbp is not None
                self._nibp[item.source] = NibpState(
                    item, now, item if valid else (old.valid if old else None),
                    now if valid else (old.valid_mono if old else None))
            elif isinstance(item, DeviceInfo):
                self._devices[item.source] = item

    def snapshot(self, trends: bool = True) -> Snapshot:
        """Copy the state; trends=False skips the 4-hour trend arrays (for frames that do not redraw them)."""
        with self._lock:
            return Snapshot(
                latest=dict(self._latest),
                sources=tuple(self._sources),
                conditions={k: dict(v) for k, v in self._conditions.items()},
                sweeps={k: s.copy() for k, s in self._sweeps.items()},
                trends={k: r.ordered() for k, r in self._trends.items()} if trends else {},
                nibp=dict(self._nibp),
                devices=dict(self._devices),
            )
