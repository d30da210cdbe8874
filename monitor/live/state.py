"""What the screen shows now: latest values, pleth sweeps, trends, BP results, device conditions and data flow.

Everything is keyed by source (the device's name: "pulseox", "pulseox-2",
"nibp", "manual") and parameter, so two devices that measure the same thing
never overwrite each other. Updated by the core thread as items arrive; read
by the UI timer through snapshot(), which copies under a lock and never waits
on I/O.

Besides the latest value, each (source, parameter) keeps its last valid one
(a number, not questionable), so a tile can say "last 94 · 42 s ago" while the
device sends no value or a condition blocks its values; and each source keeps
its Flow (when data last came, since when without a break, its drop-outs), so
the screen says ✓ for a device only while its data is current and steady.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from devices.plausibility import reliable
from devices.values import (
    VALUE_BLOCKING,
    WAVEFORMS,
    Condition,
    DeviceInfo,
    DeviceItem,
    NibpResult,
    Sample,
    StatusChange,
    WaveSegment,
)

SWEEP_S = 10.0
TREND_S = 4 * 3600.0
TREND_STEP_S = 1.0
#: A device whose last data is older than this (s) is not current, and a silence this long is a drop-out. Every
#: device sends more often: a 1 Hz monitor with its jitter (about 1.3 s at worst) and an idle NIBP module's 2 s
#: liveness answer; the reader's own "no data" comes only after 5 s.
DATA_CURRENT_S = 3.0
#: Drop-outs are remembered this long (s): "5 drop-outs in 1 min".
DROPOUT_WINDOW_S = 60.0
#: The reader's conditions that mean its link delivers nothing (a break in the data, whatever the parser says).
LINK_DOWN = frozenset({Condition.NO_DATA, Condition.PORT_LOST})

Key = tuple[str, str]  # (source, parameter)


@dataclass(frozen=True)
class Latest:
    """The last value of a parameter from one source and when it came (UTC epoch and monotonic s)."""

    value: float | None
    t: float
    mono: float
    source: str
    param: str
    flags: frozenset[str] = frozenset()

    @property
    def valid(self) -> bool:
        """Tell whether this is a value a person may read as the measurement (a number, not questionable)."""
        return reliable(self.value, self.flags)  # the one rule the summary and review use


@dataclass(frozen=True)
class Flow:
    """How a device has been delivering data, in monotonic s.

    last: when its last data came (None: never). since: when its current run of
    data without a break began (None while its link is down or before any
    data). breaks: its drop-outs of the last DROPOUT_WINDOW_S as (start, end),
    end None while one lasts; a drop-out is a time the reader said its link
    gave nothing (no data, connection lost) or a silence of more than
    DATA_CURRENT_S, so a port that stays open and goes quiet counts too.
    """

    last: float | None = None
    since: float | None = None
    breaks: tuple[tuple[float, float | None], ...] = ()

    def dropouts(self, now: float) -> int:
        """Return how many drop-outs happened in the last DROPOUT_WINDOW_S, the one going on now included."""
        recent = sum(1 for _start, end in self.breaks if end is None or end >= now - DROPOUT_WINDOW_S)
        reported = bool(self.breaks) and self.breaks[-1][1] is None
        silent = self.last is not None and now - self.last > DATA_CURRENT_S
        return recent + (1 if silent and not reported else 0)


class _FlowLog:
    """The mutable Flow of one source, kept by LiveState as items arrive."""

    def __init__(self) -> None:
        self.last: float | None = None
        self.since: float | None = None
        self.breaks: list[tuple[float, float | None]] = []

    def data(self, now: float) -> None:
        """Note data arriving: it ends a reported drop-out, or closes a silence long enough to be one."""
        if self.breaks and self.breaks[-1][1] is None:
            self.breaks[-1] = (self.breaks[-1][0], now)
            self.since = now
        elif self.last is None:
            self.since = now
        elif now - self.last > DATA_CURRENT_S:
            self.breaks.append((self.last, now))
            self.since = now
        self.last = now
        self._forget(now)

    def down(self, now: float) -> None:
        """Note the reader saying the link gives nothing: a drop-out begins (one, however many conditions say so)."""
        if not (self.breaks and self.breaks[-1][1] is None):
            self.breaks.append((now, None))
        self.since = None
        self._forget(now)

    def _forget(self, now: float) -> None:
        self.breaks = [b for b in self.breaks if b[1] is None or b[1] >= now - DROPOUT_WINDOW_S]

    def copy(self) -> Flow:
        return Flow(self.last, self.since, tuple(self.breaks))


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
    last_valid: dict[Key, Latest] = field(default_factory=dict)  # the last valid value, however old
    flows: dict[str, Flow] = field(default_factory=dict)

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
        self._last_valid: dict[Key, Latest] = {}
        self._flows: dict[str, _FlowLog] = {}

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
            self._flow(item, now)
            if isinstance(item, WaveSegment):
                if item.param in WAVEFORMS:
                    sweep = self._sweeps.get(item.source)
                    if sweep is None or sweep.rate != item.rate:
                        sweep = self._sweeps[item.source] = _SweepBuffer(item.rate)
                    sweep.add(item.values, now)
            elif isinstance(item, Sample):
                key = (item.source, item.param)
                latest = self._latest[key] = Latest(item.value, item.t, now, item.source, item.param, item.flags)
                if latest.valid:
                    self._last_valid[key] = latest
                if item.t - self._trend_last.get(key, -math.inf) >= TREND_STEP_S:
                    self._trend_last[key] = item.t
                    ring = self._trends.get(key)
                    if ring is None:
                        ring = self._trends[key] = Ring(int(TREND_S / TREND_STEP_S))
                    ring.append(item.t, item.value if latest.valid else None)  # a questionable spike is a gap
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

    def _flow(self, item: DeviceItem, now: float) -> None:
        """Keep the source's Flow: its values, waves, BP results and identity are data; the reader's link
        conditions are breaks. Notices and the parser's conditions are neither (a reset on reconnecting or a
        driver's time-out sends them without a byte from the device)."""
        if isinstance(item, (Sample, WaveSegment, NibpResult, DeviceInfo)):
            self._flows.setdefault(item.source, _FlowLog()).data(now)
        elif isinstance(item, StatusChange) and item.active and item.condition in LINK_DOWN:
            self._flows.setdefault(item.source, _FlowLog()).down(now)

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
                last_valid=dict(self._last_valid),
                flows={k: f.copy() for k, f in self._flows.items()},
            )
