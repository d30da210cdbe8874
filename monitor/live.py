"""What the screen shows now: latest values, the pleth sweep buffer, trends, device conditions.

Updated by the core thread as items arrive; read by the UI timer through
snapshot(), which copies under a lock and never waits on I/O.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from devices.values import VALUE_BLOCKING, WAVEFORMS, Condition, DeviceInfo, DeviceItem, NibpResult, Sample, StatusChange

SWEEP_S = 10.0
TREND_S = 4 * 3600.0
TREND_STEP_S = 1.0


@dataclass(frozen=True)
class Latest:
    """The last value of a parameter and when it came (UTC epoch and monotonic s)."""

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
class Snapshot:
    """A consistent copy of the live state for one UI frame."""

    latest: dict[str, Latest]
    conditions: dict[str, dict[Condition, str]]  # source -> active conditions
    sweep: np.ndarray  # pleth values in sweep order (NaN = gap / no value)
    sweep_pos: int  # where the next sample will be written
    trends: dict[str, tuple[np.ndarray, np.ndarray]]
    nibp: NibpResult | None
    nibp_mono: float | None
    devices: dict[str, DeviceInfo] = field(default_factory=dict)

    def blocked(self, source: str) -> str:
        """Return the words of a value-blocking condition of a source, or '' if its values are valid."""
        for cond, detail in self.conditions.get(source, {}).items():
            if cond in VALUE_BLOCKING:
                return detail or cond.value.replace("_", " ")
        return ""


class LiveState:
    """Thread-safe live state; update() on the core thread, snapshot() anywhere."""

    def __init__(self, sweep_rate: float = 60.0, clock=time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._latest: dict[str, Latest] = {}
        self._conditions: dict[str, dict[Condition, str]] = {}
        self._sweep = np.full(max(1, int(SWEEP_S * sweep_rate)), np.nan)
        self._sweep_pos = 0
        self._trends: dict[str, Ring] = {}
        self._trend_last: dict[str, float] = {}
        self._nibp: NibpResult | None = None
        self._nibp_mono: float | None = None
        self._devices: dict[str, DeviceInfo] = {}

    def set_sweep_rate(self, rate: float) -> None:
        """Size the sweep buffer to SWEEP_S seconds at the pleth source's rate (Hz)."""
        size = max(1, int(SWEEP_S * rate))
        with self._lock:
            if size != len(self._sweep):
                self._sweep = np.full(size, np.nan)
                self._sweep_pos = 0

    def update(self, item: DeviceItem) -> None:
        now = self._clock()
        with self._lock:
            if isinstance(item, Sample):
                if item.param in WAVEFORMS:
                    self._sweep[self._sweep_pos] = np.nan if item.value is None else item.value
                    self._sweep_pos = (self._sweep_pos + 1) % len(self._sweep)
                    return
                self._latest[item.param] = Latest(item.value, item.t, now, item.source, item.flags)
                if item.t - self._trend_last.get(item.param, 0.0) >= TREND_STEP_S:
                    self._trend_last[item.param] = item.t
                    ring = self._trends.get(item.param)
                    if ring is None:
                        ring = self._trends[item.param] = Ring(int(TREND_S / TREND_STEP_S))
                    ring.append(item.t, item.value)
            elif isinstance(item, StatusChange):
                conds = self._conditions.setdefault(item.source, {})
                if item.active:
                    conds[item.condition] = item.detail
                else:
                    conds.pop(item.condition, None)
            elif isinstance(item, NibpResult):
                self._nibp, self._nibp_mono = item, now
            elif isinstance(item, DeviceInfo):
                self._devices[item.source] = item

    def snapshot(self, trends: bool = True) -> Snapshot:
        """Copy the state; trends=False skips the 4-hour trend arrays (for frames that do not redraw them)."""
        with self._lock:
            return Snapshot(
                latest=dict(self._latest),
                conditions={k: dict(v) for k, v in self._conditions.items()},
                sweep=self._sweep.copy(),
                sweep_pos=self._sweep_pos,
                trends={k: r.ordered() for k, r in self._trends.items()} if trends else {},
                nibp=self._nibp,
                nibp_mono=self._nibp_mono,
                devices=dict(self._devices),
            )
