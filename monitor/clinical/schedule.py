"""When a BP reading and the protocol's scales are due, from the session phase and a monotonic clock.

Phases only move forward: pre-infusion -> infusion -> observation -> closed
(a phase may be skipped, e.g. closing a session whose infusion never started).
Pauses are not phase changes: BP stays due every infusion interval while paused.
All times here are monotonic seconds from the injected clock; intervals come
from the clinical configuration in minutes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from monitor.clinical.config import NibpScheduleConfig, ScaleTime
from monitor.clinical.scales import SCALE_CODES, SCALE_NAMES


class Phase(str, Enum):
    """Session phases of CLINICAL.md, in their order."""

    PRE_INFUSION = "pre_infusion"
    INFUSION = "infusion"
    OBSERVATION = "observation"
    CLOSED = "closed"


_ORDER = list(Phase)


class _Phases:
    """The start time (monotonic s) of each phase entered so far."""

    def __init__(self, phase: Phase, t: float) -> None:
        self.current = phase
        self.starts: dict[Phase, float] = {phase: t}

    def enter(self, phase: Phase, t: float) -> None:
        if _ORDER.index(phase) <= _ORDER.index(self.current):
            raise ValueError(f"cannot go from phase {self.current.value} to {phase.value}: phases only move forward")
        if t < self.starts[self.current]:
            raise ValueError(f"phase {phase.value} cannot start before phase {self.current.value} started")
        self.current = phase
        self.starts[phase] = t


class BpSchedule:
    """Say when the next NIBP reading is due and how old a shown reading is.

    Pre-infusion: a baseline is due at once, and again when the last reading is
    older than baseline_valid_min. Infusion and observation: due one interval
    (10 / 15 min) after the later of the phase start and the last reading, so
    the first one comes one interval into the phase and a "BP now" restarts the
    cycle. Closed: nothing is due. Only pass valid readings to measured(): a
    failed measurement leaves the reading due.
    """

    def __init__(self, config: NibpScheduleConfig, clock: Callable[[], float] = time.monotonic,
                 phase: Phase = Phase.PRE_INFUSION) -> None:
        self.config = config
        self._clock = clock
        self._phases = _Phases(phase, clock())
        self._last: float | None = None

    @property
    def phase(self) -> Phase:
        """Return the current session phase."""
        return self._phases.current

    @property
    def last_measured(self) -> float | None:
        """Return the monotonic time of the latest valid reading, None before the first."""
        return self._last

    def set_phase(self, phase: Phase, t: float | None = None) -> None:
        """Enter a later phase at monotonic t (default now)."""
        self._phases.enter(phase, self._clock() if t is None else t)

    def measured(self, t: float | None = None) -> None:
        """Record a valid BP reading taken at monotonic t (default now)."""
        t = self._clock() if t is None else t
        if not math.isfinite(t):
            raise ValueError(f"a BP reading time must be finite, got {t!r}")
        self._last = t if self._last is None else max(self._last, t)

    @property
    def next_due(self) -> float | None:
        """Return the monotonic time the next reading is due, None when none is."""
        phase, start = self._phases.current, self._phases.starts[self._phases.current]
        if phase is Phase.PRE_INFUSION:
            return start if self._last is None else self._last + self.config.baseline_valid_min * 60
        if phase is Phase.CLOSED:
            return None
        interval = self.config.infusion_interval_min if phase is Phase.INFUSION else self.config.observation_interval_min
        return max(start, self._last if self._last is not None else start) + interval * 60

    @property
    def due_now(self) -> bool:
        """Tell whether a reading is due (show "BP due" or start the device)."""
        due = self.next_due
        return due is not None and self._clock() >= due

    @property
    def seconds_until_due(self) -> float | None:
        """Return seconds until the next reading is due (0 when due), None when none is."""
        due = self.next_due
        return None if due is None else max(0.0, due - self._clock())

    @property
    def overdue_s(self) -> float:
        """Return seconds past due during infusion and observation (0 otherwise).

        The pre-infusion baseline is never "overdue": the nurse takes it when ready.
        """
        due = self.next_due
        if due is None or self.phase is Phase.PRE_INFUSION:
            return 0.0
        return max(0.0, self._clock() - due)

    @property
    def overdue_alarm(self) -> bool:
        """Tell whether the "NIBP overdue" technical alarm applies (overdue > overdue_alarm_min)."""
        return self.overdue_s > self.config.overdue_alarm_min * 60

    def bp_display_state(self, age_s: float) -> str:
        """Return how to show a reading age_s seconds old: "current", "stale" (grey) or "expired".

        Stale after stale_after_min (15), expired after expired_after_min (60):
        an expired reading is not shown as the current BP.
        """
        if not math.isfinite(age_s) or age_s < 0:
            raise ValueError(f"a BP reading age must be a finite number of seconds >= 0, got {age_s!r}")
        if age_s > self.config.expired_after_min * 60:
            return "expired"
        if age_s > self.config.stale_after_min * 60:
            return "stale"
        return "current"


@dataclass(frozen=True)
class ScaleDue:
    """A protocol time point whose scales are due now: which are still missing, since when."""

    code: str
    label: str
    scales: tuple[str, ...]
    due_at: float
    prompt: str


class ScaleSchedule:
    """Say which scales the protocol wants now (baseline, 40 min, end of infusion, discharge).

    A time point opens at its anchor + offset_min: pre_infusion (session open,
    closes when the infusion starts), infusion_start, infusion_end (the
    observation phase starts) and discharge (observation_min into observation).
    It stays due until each of its scales is recorded or the session closes.
    One recording counts for every open time point that wants that scale, so
    a 40 min infusion asks once at its end, not twice.
    """

    def __init__(self, times: tuple[ScaleTime, ...], observation_min: float,
                 clock: Callable[[], float] = time.monotonic, phase: Phase = Phase.PRE_INFUSION) -> None:
        self.times = times
        self.observation_min = observation_min
        self._clock = clock
        self._phases = _Phases(phase, clock())
        self._done: dict[str, set[str]] = {st.code: set() for st in times}

    def set_phase(self, phase: Phase, t: float | None = None) -> None:
        """Enter a later phase at monotonic t (default now)."""
        self._phases.enter(phase, self._clock() if t is None else t)

    def _window(self, st: ScaleTime) -> tuple[float, float] | None:
        """Return the [open, close) monotonic window of a time point, None if not opened yet."""
        starts = self._phases.starts
        anchor_phase = {"pre_infusion": Phase.PRE_INFUSION, "infusion_start": Phase.INFUSION,
                        "infusion_end": Phase.OBSERVATION, "discharge": Phase.OBSERVATION}[st.anchor]
        if anchor_phase not in starts:
            return None
        opens = starts[anchor_phase] + st.offset_min * 60
        if st.anchor == "discharge":
            opens += self.observation_min * 60
        if st.anchor == "pre_infusion":  # closes when any later phase begins
            closes = min((t for p, t in starts.items() if p is not Phase.PRE_INFUSION), default=math.inf)
        else:
            closes = starts.get(Phase.CLOSED, math.inf)
        return opens, closes

    def record(self, scale: str, t: float | None = None) -> tuple[str, ...]:
        """Note that `scale` was recorded at monotonic t (default now); return the time points it counted for."""
        if scale not in SCALE_CODES:
            raise ValueError(f"unknown scale {scale!r} (known: {', '.join(SCALE_CODES)})")
        t = self._clock() if t is None else t
        counted = []
        for st in self.times:
            w = self._window(st)
            if scale in st.scales and w is not None and w[0] <= t < w[1]:
                self._done[st.code].add(scale)
                counted.append(st.code)
        return tuple(counted)

    def due(self) -> tuple[ScaleDue, ...]:
        """Return the open time points with scales still missing, earliest first."""
        now = self._clock()
        out = []
        for st in self.times:
            w = self._window(st)
            missing = tuple(s for s in st.scales if s not in self._done[st.code])
            if w is not None and w[0] <= now < w[1] and missing:
                names = ", ".join(SCALE_NAMES[s] for s in missing)
                out.append(ScaleDue(st.code, st.label, missing, w[0], f"{st.label}: record {names}"))
        return tuple(sorted(out, key=lambda d: d.due_at))

    def missed(self) -> tuple[str, ...]:
        """Return the labels of time points that closed with scales missing (a baseline not taken before Start).

        A score taken later does not stand for them (a baseline after the
        ketamine started is no baseline), so the screen says they were missed
        instead of dropping the prompt in silence. The session's own end closes
        nothing that could be called missed here.
        """
        now, closed_at = self._clock(), self._phases.starts.get(Phase.CLOSED, math.inf)
        out = []
        for st in self.times:
            w = self._window(st)
            if w is not None and w[1] <= now and w[1] < closed_at and set(st.scales) - self._done[st.code]:
                out.append(st.label)
        return tuple(out)
