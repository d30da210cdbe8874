"""Alarm lives read back from the alarm log: one value per alarm, from its raise to its clear.

The log holds events (raised, escalated, acknowledged, ended, cleared...) that
share an alarm_id. Review, the summary, the alarm burden and the live alarm
history all need the same reading of them, so it lives here once:

- priority is the highest the alarm reached (a priority never drops);
- present_s is how long its condition was present: from each raise to the
  next `ended` (a latched high alarm whose condition went away) or `cleared`,
  summed, so a latched alarm whose condition came back counts both spells;
- shown_s is from the first raise to the clear (latched time included);
- acknowledgements are every acknowledgement after the first raise (time, who).
Times are UTC epoch seconds. An alarm still present at the end of the log is
counted up to the `end` time the caller gives (the session's end, or now).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from monitor.alarms.engine import CONDITION_TEXT, source_text
from monitor.alarms.model import AlarmEvent, AlarmKind, EventKind, Priority
from monitor.alarms.profile import label


@dataclass(frozen=True)
class AlarmLife:
    """One alarm's life: what, how urgent at most, when raised, acknowledged, ended, cleared (UTC epoch s).

    value and limit are those at the first raise, in the parameter's unit;
    ended_t is when its condition last ended (None while present); present_s
    the seconds its condition was present up to the caller's end time.
    """

    alarm_id: str
    condition: str
    kind: AlarmKind | None
    priority: Priority | None
    first_priority: Priority | None
    source: str
    param: str
    message: str
    value: float | None
    limit: float | None
    raised_t: float
    raises: int
    escalated_t: float | None
    acknowledgements: tuple[tuple[float, str], ...]  # (UTC epoch s, who)
    ended_t: float | None
    cleared_t: float | None
    present_s: float

    @property
    def technical(self) -> bool:
        """Tell whether the alarm came from the equipment (or the app), not from the patient's values."""
        return self.kind is AlarmKind.TECHNICAL

    @property
    def active(self) -> bool:
        """Tell whether the alarm was still shown at the end of the log (not cleared)."""
        return self.cleared_t is None

    @property
    def acknowledged_t(self) -> float | None:
        """Return when the alarm was first acknowledged (UTC epoch s), None if never."""
        return self.acknowledgements[0][0] if self.acknowledgements else None

    @property
    def acknowledged_by(self) -> str:
        """Return who acknowledged the alarm, each once, in order ("" if nobody did; "?" for an unnamed user)."""
        return ", ".join(dict.fromkeys(user or "?" for _, user in self.acknowledgements))

    @property
    def seconds_to_acknowledge(self) -> float | None:
        """Return seconds from the first raise to the first acknowledgement, None if never acknowledged."""
        return None if self.acknowledged_t is None else max(0.0, self.acknowledged_t - self.raised_t)

    @property
    def subject(self) -> str:
        """Return what the alarm is about, for people: the parameter ('SpO2'), or the device and condition."""
        return alarm_subject(self.condition, self.source, self.param)

    def shown_s(self, end: float) -> float:
        """Return seconds from the first raise to the clear (or to end, UTC epoch s, if never cleared)."""
        return max(0.0, (end if self.cleared_t is None else self.cleared_t) - self.raised_t)


def alarm_subject(condition: str, source: str, param: str) -> str:
    """Say what an alarm is about: 'SpO2', 'Pulse oximeter: no data', 'Monitor: nibp overdue' (the app's own)."""
    if param:
        return label(param)
    words = CONDITION_TEXT.get(condition, condition.replace("_", " "))
    return f"{source_text(source)}: {words}"


def alarm_lives(events: Iterable[AlarmEvent], end: float) -> list[AlarmLife]:
    """Return one AlarmLife per alarm raised in events (in time order), ordered by first raise.

    end (UTC epoch s) closes what is still present: the session's end, or now for a running one.
    Events without an alarm_id (audio pause, limit change) and lives without a raise are skipped.
    """
    grouped: dict[str, list[AlarmEvent]] = {}
    for e in events:
        if e.alarm_id:
            grouped.setdefault(e.alarm_id, []).append(e)
    lives = [life for life in (_life(alarm_id, evs, end) for alarm_id, evs in grouped.items()) if life is not None]
    lives.sort(key=lambda a: (a.raised_t, a.alarm_id))
    return lives


def _life(alarm_id: str, events: list[AlarmEvent], end: float) -> AlarmLife | None:
    raises = [e for e in events if e.kind is EventKind.RAISED]
    if not raises:
        return None
    first = raises[0]
    present_since: float | None = None
    present_s = 0.0
    ended_t = cleared_t = escalated_t = None
    acks: list[tuple[float, str]] = []
    for e in events:
        if e.kind is EventKind.RAISED:
            if present_since is None:
                present_since = e.t
            ended_t = None
        elif e.kind in (EventKind.ENDED, EventKind.CLEARED):
            if present_since is not None:
                present_s += max(0.0, e.t - present_since)
                present_since = None
                ended_t = e.t
            if e.kind is EventKind.CLEARED:
                cleared_t = e.t
        elif e.kind is EventKind.ESCALATED and escalated_t is None:
            escalated_t = e.t
        elif e.kind is EventKind.ACKNOWLEDGED and e.t >= first.t:
            acks.append((e.t, e.user))
    if present_since is not None:
        present_s += max(0.0, end - present_since)
    priorities = [e.priority for e in events if e.priority is not None]
    return AlarmLife(alarm_id, first.condition, first.alarm_kind, max(priorities, default=None), first.priority,
                     first.source, first.param, first.message, first.value, first.limit, first.t, len(raises),
                     escalated_t, tuple(acks), ended_t, cleared_t, present_s)
