"""Alarm lives read back from the alarm log: one value per alarm, from its raise to its clear.

The log holds events (raised, escalated, acknowledged, ended, cleared...) that
share an alarm_id. Review, the summary, the alarm burden and the live alarm
history all need the same reading of them, so it lives here once:

- each episode is one life: a condition that ends and returns is a new alarm
  (the engine gives it a new alarm_id). Logs written before issue 18 re-raised
  a latched alarm under its old id; such a log is split here at each raise
  after an `ended`, the later episodes named "<alarm_id>.2", ".3"..., and an
  earlier episode is cleared by the first acknowledgement (or clear) after it
  ended, as the engine does now;
- priority is the highest the episode reached (a priority never drops);
- present_s is how long its condition was present, from the raise to its
  `ended` (a latched high alarm whose condition went away) or `cleared`;
- shown_s is from the raise to the clear (latched time included);
- acknowledgements are every acknowledgement after the raise (time, who);
  an escalation needs a new one, as at the chair (the engine un-acknowledges
  an alarm it escalates), so `acknowledged` says whether the last
  acknowledgement came after the last escalation.
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

    value and limit are those at its raise, in the parameter's unit; ended_t
    is when its condition ended (None while present); present_s the seconds
    its condition was present up to the caller's end time.
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
    escalated_t: float | None
    acknowledgements: tuple[tuple[float, str], ...]  # (UTC epoch s, who)
    ended_t: float | None
    cleared_t: float | None
    present_s: float
    acknowledged: bool = False  # acknowledged since its last escalation: as the chair shows it at the end of the log

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
        """Return seconds from the raise to the first acknowledgement, None if never acknowledged."""
        return None if self.acknowledged_t is None else max(0.0, self.acknowledged_t - self.raised_t)

    @property
    def subject(self) -> str:
        """Return what the alarm is about, for people: the parameter ('SpO2'), or the device and condition."""
        return alarm_subject(self.condition, self.source, self.param)

    def shown_s(self, end: float) -> float:
        """Return seconds from the raise to the clear (or to end, UTC epoch s, if never cleared)."""
        return max(0.0, (end if self.cleared_t is None else self.cleared_t) - self.raised_t)


def alarm_subject(condition: str, source: str, param: str) -> str:
    """Say what an alarm is about: 'SpO2', 'Pulse oximeter: no data', 'Monitor: BP overdue' (the app's own)."""
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
    lives = [life for alarm_id, evs in grouped.items() for life in _lives(alarm_id, evs, end)]
    lives.sort(key=lambda a: (a.raised_t, a.alarm_id))
    return lives


def _lives(alarm_id: str, events: list[AlarmEvent], end: float) -> list[AlarmLife]:
    """Split one alarm_id's events into episodes (a raise after an `ended` starts one) and fold each."""
    starts: list[int] = []
    ended = False
    for i, e in enumerate(events):
        if e.kind is EventKind.RAISED and (not starts or ended):
            starts.append(i)
            ended = False
        ended = ended or e.kind is EventKind.ENDED
    lives = []
    for n, start in enumerate(starts):
        stop = starts[n + 1] if n + 1 < len(starts) else len(events)
        later = [e for e in events[stop:] if e.kind in (EventKind.ACKNOWLEDGED, EventKind.CLEARED)]
        lives.append(_life(alarm_id if n == 0 else f"{alarm_id}.{n + 1}", events[start:stop], later, end))
    return lives


def _life(alarm_id: str, own: list[AlarmEvent], later: list[AlarmEvent], end: float) -> AlarmLife:
    """Fold one episode: its own events (from its raise) and, for an earlier latched one, the acknowledgements
    and clears logged after its end (the first of them cleared it)."""
    first = own[0]
    present_since: float | None = first.t
    present_s = 0.0
    ended_t = cleared_t = escalated_t = None
    acks: list[tuple[float, str]] = []
    acknowledged = False
    for e in own:
        if e.kind in (EventKind.ENDED, EventKind.CLEARED) and present_since is not None:
            present_s += max(0.0, e.t - present_since)
            present_since, ended_t = None, e.t
        if e.kind is EventKind.CLEARED:
            cleared_t = e.t
        elif e.kind is EventKind.ESCALATED:
            escalated_t = e.t if escalated_t is None else escalated_t
            acknowledged = False
        elif e.kind is EventKind.ACKNOWLEDGED:
            acks.append((e.t, e.user))
            acknowledged = True
    if cleared_t is None and later:  # an earlier episode of an old log, latched: the first of them cleared it
        cleared_t = later[0].t
        if later[0].kind is EventKind.ACKNOWLEDGED:
            acks.append((later[0].t, later[0].user))
            acknowledged = True
    if present_since is not None:
        present_s += max(0.0, end - present_since)
    priorities = [e.priority for e in own if e.priority is not None]
    return AlarmLife(alarm_id, first.condition, first.alarm_kind, max(priorities, default=None), first.priority,
                     first.source, first.param, first.message, first.value, first.limit, first.t,
                     escalated_t, tuple(acks), ended_t, cleared_t, present_s, acknowledged)
