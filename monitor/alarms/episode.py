"""The alarm engine's working state: an episode's life, a limit crossed but still in its delay, the latest
reading of a source, one limit check. Mutable and private to the engine, which hands out ActiveAlarm snapshots;
kept apart so the engine's module holds the rules and these hold what the rules remember.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.alarms.model import AlarmKind, Priority
from monitor.alarms.profile import ParamLimits


@dataclass
class Episode:
    """The mutable life of one alarm episode inside the engine; snapshots go out as ActiveAlarm."""

    alarm_id: str
    seq: int
    condition: str
    kind: AlarmKind
    priority: Priority
    source: str
    param: str
    message: str
    value: float | None
    limit: float | None
    raised_t: float  # UTC epoch s
    since: float  # clock s at raise
    escalate_after_s: float | None = None
    acknowledged: bool = False
    present: bool = True
    side: str = ""  # "low" or "high" for a physiological alarm
    op: str = ""  # comparison of the limit now crossed ("<", ">=")
    worst: float | None = None  # nadir (low side) or peak (high side) during the alarm's life
    worst_limit: float | None = None  # the limit of the highest tier crossed during its life
    worst_op: str = ""
    worst_tier: Priority | None = None
    baseline: float | None = None  # for a rise alarm, the session baseline it is measured from
    ended_t: float | None = None  # UTC epoch s when the condition of a latched alarm ended
    stable_s: float | None = None  # technical: how long the condition must stay away before the alarm clears
    causes: set[str] = field(default_factory=set)  # technical: the conditions present now (one standing alarm)
    missing_s: float = 0.0  # technical: clock s the condition was present in the spells that ended
    missing_since: float | None = None  # technical: clock s the current spell began (None while away)
    away_since: float | None = None  # technical: clock s the condition went away (the alarm still stands)
    headline: str = ""  # technical: the message of the condition itself, without the standing note
    escalation: str = ""  # why the alarm rose above the tier it crossed ("not acknowledged within 60 s")
    level: Priority | None = None  # physiological: the tier its condition is at now (leaving high by the hysteresis)
    high_ended_t: float | None = None  # UTC epoch s when a high episode's condition came back to the medium tier

    def shown_level(self) -> Priority | None:
        """Return the level a high episode's condition continues at, below its priority, else None.

        Only an episode that became high by crossing the high limit (no escalation by time or with another
        parameter) and whose value came back to the medium tier: it is that medium alarm now, and its ended high
        part is shown apart until acknowledged.
        """
        if self.present and self.high_ended_t is not None and not self.escalation and self.level is not None \
                and self.level < self.priority:
            return self.level
        return None

    def missing(self, now: float) -> float:
        """Return the clock s the technical condition has been present in all since the raise."""
        return self.missing_s + (0.0 if self.missing_since is None else now - self.missing_since)

    def note_value(self, value: float, tier: tuple[Priority, str] | None, limits: ParamLimits,
                   limit: float | None) -> None:
        """Keep the worst value reached and the limit of the highest tier crossed (absolute, display unit)."""
        worse = min if self.side == "low" else max
        self.worst = value if self.worst is None else worse(self.worst, value)
        if tier is not None and limit is not None and (self.worst_tier is None or tier[0] > self.worst_tier):
            self.worst_tier, self.worst_limit, self.worst_op = tier[0], limit, limits.op(tier[1])


@dataclass
class Pending:
    """A limit crossed but not yet for its delay: onset and latest supporting value (clock s).

    run_n, run_start and run_last describe the current run of consecutive,
    consistent readings beyond the high-priority limit (count, clock s of its
    first reading, value of its last), the evidence a bypass of the delay needs.
    """

    onset: float
    param: str
    seen: float
    run_n: int = 0
    run_start: float = 0.0
    run_last: float | None = None

    def note_reading(self, compared: float, seen_at: float, severe: bool, step: float | None) -> None:
        """Count one new reading (compared value, clock s) into the run; severe: beyond the high limit."""
        if not severe:
            self.run_n, self.run_last = 0, None
            return
        if self.run_last is None or step is None or abs(compared - self.run_last) > step:
            self.run_n, self.run_start = 0, seen_at  # the first reading, or a jump no run can hold
        self.run_n += 1
        self.run_last = compared

    def persists(self, limits: ParamLimits, seen_at: float) -> bool:
        """Tell whether the run is long enough, in readings and in time, to shorten the delay."""
        return self.run_n >= limits.bypass_readings and seen_at - self.run_start >= limits.bypass_s


@dataclass(frozen=True)
class LastReading:
    """Latest sample of one (source, param): value None when it was no value or unreliable."""

    value: float | None
    at: float  # clock s
    single: bool  # a single NIBP reading (no delay)


@dataclass(frozen=True)
class LimitCheck:
    """One limit check of a sample: condition name, side, limits and the value compared."""

    condition: str
    side: str
    limits: ParamLimits
    compared: float
    baseline: float | None
