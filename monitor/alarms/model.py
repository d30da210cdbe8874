"""Values of the alarm system: priorities, alarm events (the log) and active alarms (the bar).

All are immutable so that the core can hand them to the UI thread and to the
recorder without copies or locks (STYLE.md, point 6).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Any


class Priority(IntEnum):
    """Alarm priority (IEC 60601-1-8): ordered, so max() gives the most urgent."""

    LOW = 1  # awareness
    MEDIUM = 2  # prompt response
    HIGH = 3  # immediate response

    @property
    def label(self) -> str:
        """Return the lower-case word used in JSON, profiles and storage ("high")."""
        return self.name.lower()

    @property
    def mark(self) -> str:
        """Return the symbol printed beside the priority's alarms, so colour is never the only cue ("!!!" high)."""
        return "!" * int(self)

    @classmethod
    def parse(cls, word: str) -> Priority:
        """Return the priority named by word ("low", "medium", "high"); ValueError otherwise."""
        try:
            return cls[str(word).upper()]
        except KeyError:
            raise ValueError(f"unknown priority '{word}' (expected low, medium or high)") from None


class AlarmKind(str, Enum):
    """Where an alarm comes from: the patient's values or the equipment."""

    PHYSIOLOGICAL = "physiological"
    TECHNICAL = "technical"


class EventKind(str, Enum):
    """What happened in an alarm's life (or to the alarm system), one word per log line."""

    RAISED = "raised"
    ESCALATED = "escalated"
    ACKNOWLEDGED = "acknowledged"
    AUDIO_PAUSED = "audio_paused"
    AUDIO_RESUMED = "audio_resumed"
    ENDED = "ended"  # the condition of a latched alarm ended; the alarm stays shown until acknowledged
    CLEARED = "cleared"
    LIMIT_CHANGED = "limit_changed"


@dataclass(frozen=True, slots=True)
class AlarmEvent:
    """One line of the alarm log.

    t is UTC epoch seconds (the engine's wallclock). alarm_id is the same for
    every event of one alarm's life and empty for system events (audio pause,
    limit change). value and limit are in the parameter's unit (%, /min, mmHg);
    for audio_paused, value is the pause length in s. old/new are set only for
    limit_changed. user is who did it ("" when the engine did it by itself).
    """

    t: float
    kind: EventKind
    alarm_id: str = ""
    condition: str = ""
    alarm_kind: AlarmKind | None = None
    priority: Priority | None = None
    message: str = ""
    source: str = ""
    param: str = ""
    value: float | None = None
    limit: float | None = None
    user: str = ""
    old: float | None = None
    new: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return plain JSON-serialisable values (enums as their words)."""
        return {
            "t": self.t,
            "kind": self.kind.value,
            "alarm_id": self.alarm_id,
            "condition": self.condition,
            "alarm_kind": self.alarm_kind.value if self.alarm_kind else None,
            "priority": self.priority.label if self.priority else None,
            "message": self.message,
            "source": self.source,
            "param": self.param,
            "value": self.value,
            "limit": self.limit,
            "user": self.user,
            "old": self.old,
            "new": self.new,
        }


@dataclass(frozen=True, slots=True)
class ActiveAlarm:
    """An alarm shown in the alarm bar now.

    raised_t is UTC epoch s. latched means the condition has ended but the
    (high-priority physiological) alarm stays shown until acknowledged.
    value is the latest value of the parameter (None for technical alarms), limit
    the limit it crosses now (absolute, the parameter's unit) with op its
    comparison. For a physiological alarm, side is "low" or "high", worst the
    nadir (low side) or peak (high side) reached during the alarm's life and
    worst_limit / worst_op the limit of the highest tier it crossed (crossed: that
    tier; below priority when the alarm escalated by time or with another); baseline is
    set for a rise alarm; ended_t (UTC epoch s) says when a latched alarm's
    condition ended; escalation says why it rose above the tier it crossed.
    level is set while a high episode's condition continues at the medium tier
    (the value came back inside the high limit by its hysteresis at
    high_ended_t, UTC epoch s, but not inside the medium one): the alarm is a
    medium one now, and its high part has ended (see present_priority).
    """

    alarm_id: str
    condition: str
    alarm_kind: AlarmKind
    priority: Priority
    message: str
    source: str
    param: str
    value: float | None
    limit: float | None
    raised_t: float
    acknowledged: bool
    latched: bool
    side: str = ""
    op: str = ""
    worst: float | None = None
    worst_limit: float | None = None
    worst_op: str = ""
    crossed: Priority | None = None
    baseline: float | None = None
    ended_t: float | None = None
    escalation: str = ""
    level: Priority | None = None
    high_ended_t: float | None = None

    @property
    def present_priority(self) -> Priority:
        """Return the priority of the alarm's condition now: its level when it continues below its priority."""
        return self.level if self.level is not None else self.priority


