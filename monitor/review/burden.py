"""Alarm burden: how many alarms per monitored hour, about what, how long they lasted, how soon acknowledged.

For tuning limits against alarm fatigue: per session, and over every session
started in a date range. Alarms are grouped by what they are about (the
parameter of a physiological alarm, the device and condition of a technical
one) and by the highest priority they reached. Durations are how long the
condition was present (monitor/alarms/lives.py); time to acknowledge counts the
acknowledged alarms only, and how many never were is said beside it. Rates are
per monitored hour: the sessions' own lengths (a running one up to now).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from monitor.alarms.lives import AlarmLife, alarm_lives
from monitor.alarms.model import Priority
from monitor.review.stored import summaries
from monitor.storage.sessions import SessionMeta, SessionSource
from monitor.timefmt import hms, iso_utc

NOTICE = "infusion-monitor is not a certified medical device."


@dataclass(frozen=True)
class BurdenGroup:
    """The alarms about one thing at one (highest) priority: count, rate, durations (s), acknowledgement (s)."""

    subject: str
    priority: Priority
    technical: bool
    count: int
    per_hour: float
    median_s: float
    p90_s: float
    max_s: float
    acknowledged: int
    median_ack_s: float | None
    p90_ack_s: float | None


@dataclass(frozen=True)
class AlarmBurden:
    """The alarm burden of some sessions: their monitored hours, every alarm (with its session's ref), grouped."""

    sessions: tuple[SessionMeta, ...]
    hours: float
    entries: tuple[tuple[str, AlarmLife], ...]
    groups: tuple[BurdenGroup, ...]

    @property
    def alarms(self) -> tuple[AlarmLife, ...]:
        """Return every alarm, in order of raising."""
        return tuple(a for _, a in self.entries)

    def per_hour(self, priority: Priority | None = None, technical: bool | None = None) -> float:
        """Return alarms per monitored hour, optionally of one priority and/or kind (0 without monitored time)."""
        n = sum(1 for a in self.alarms if (priority is None or a.priority is priority)
                and (technical is None or a.technical == technical))
        return n / self.hours if self.hours > 0 else 0.0

    def to_json(self) -> dict:
        """Return the burden as JSON-ready values."""
        by_priority = {p.label: {"count": sum(1 for a in self.alarms if a.priority is p),
                                 "per_hour": round(self.per_hour(p), 2)} for p in reversed(Priority)}
        return {
            "sessions": [m.ref for m in self.sessions], "monitored_hours": round(self.hours, 2),
            "alarms": len(self.alarms), "per_hour": round(self.per_hour(), 2),
            "technical": sum(1 for a in self.alarms if a.technical),
            "technical_per_hour": round(self.per_hour(technical=True), 2),
            "by_priority": by_priority,
            "unacknowledged": sum(1 for a in self.alarms if a.acknowledged_t is None),
            "groups": [{"subject": g.subject, "priority": g.priority.label, "technical": g.technical,
                        "count": g.count, "per_hour": round(g.per_hour, 2), "median_s": round(g.median_s, 1),
                        "p90_s": round(g.p90_s, 1), "max_s": round(g.max_s, 1), "acknowledged": g.acknowledged,
                        "median_ack_s": _r(g.median_ack_s), "p90_ack_s": _r(g.p90_ack_s)} for g in self.groups],
            "alarm_list": [{"session": ref, "raised_utc": iso_utc(a.raised_t), "subject": a.subject,
                            "priority": a.priority.label if a.priority else None, "technical": a.technical,
                            "present_s": round(a.present_s, 1), "seconds_to_acknowledge": _r(a.seconds_to_acknowledge),
                            "message": a.message} for ref, a in self.entries],
            "notice": NOTICE,
        }

    def text(self) -> str:
        """Return the burden for people: totals, then one line per group, most frequent first."""
        lines = [f"{len(self.sessions)} session(s), {hms(self.hours * 3600)} monitored: {len(self.alarms)} alarms, "
                 f"{self.per_hour():.1f} per hour ("
                 + ", ".join(f"{p.label} {self.per_hour(p):.1f}" for p in reversed(Priority))
                 + f"; technical {self.per_hour(technical=True):.1f})"]
        if self.groups:
            lines.append(f"{'about':<34} {'kind':<10} {'priority':<8} {'count':>5} {'/hour':>6} {'median':>8} "
                         f"{'p90':>8} {'longest':>8} {'acked':>6} {'to ack':>8}")
        for g in self.groups:
            ack = "-" if g.median_ack_s is None else hms(g.median_ack_s)
            kind = "technical" if g.technical else "patient"
            lines.append(f"{g.subject[:34]:<34} {kind:<10} {g.priority.label:<8} {g.count:>5} {g.per_hour:>6.2f} "
                         f"{hms(g.median_s):>8} {hms(g.p90_s):>8} {hms(g.max_s):>8} {g.acknowledged:>6} {ack:>8}")
        lines.append(NOTICE)
        return "\n".join(lines)


def burden(sessions: Iterable[tuple[SessionMeta, Sequence[AlarmLife], float]]) -> AlarmBurden:
    """Group the alarms of sessions given as (meta, alarm lives, monitored seconds)."""
    metas: list[SessionMeta] = []
    entries: list[tuple[str, AlarmLife]] = []
    seconds = 0.0
    for meta, alarms, monitored_s in sessions:
        metas.append(meta)
        entries += [(meta.ref, a) for a in alarms]
        seconds += monitored_s
    hours = seconds / 3600.0
    entries.sort(key=lambda e: e[1].raised_t)
    grouped: dict[tuple[str, Priority, bool], list[AlarmLife]] = {}
    for _, a in entries:
        if a.priority is not None:
            grouped.setdefault((a.subject, a.priority, a.technical), []).append(a)
    groups = [_group(subject, priority, technical, alarms, hours)
              for (subject, priority, technical), alarms in grouped.items()]
    groups.sort(key=lambda g: (-g.count, -g.priority, g.subject))
    return AlarmBurden(tuple(metas), hours, tuple(entries), tuple(groups))


def session_burden(source: SessionSource, meta: SessionMeta, now: float | None = None) -> AlarmBurden:
    """Return the alarm burden of one session (a running one up to now, UTC epoch s)."""
    return _burden(source, [meta], now)


def range_burden(source: SessionSource, since: float | None = None, until: float | None = None,
                 patient_id: str | None = None, now: float | None = None) -> AlarmBurden:
    """Return the alarm burden over every session started in [since, until) (UTC epoch s), optionally of one patient."""
    return _burden(source, source.sessions(patient_id, since, until), now)


def _burden(source: SessionSource, metas: list[SessionMeta], now: float | None) -> AlarmBurden:
    """Group the alarm lives of the sessions: an ended one's from its review summary (the stored one while
    current, monitor.review.stored), a running one's from its alarm log up to now."""
    ended = {s.meta.uid: s for s in summaries(source, [m for m in metas if m.ended_utc is not None], now)}

    def lives(meta: SessionMeta) -> tuple[SessionMeta, tuple[AlarmLife, ...], float]:
        s = ended.get(meta.uid)
        end = meta.end(now)
        alarms = tuple(alarm_lives(source.record(meta).alarms, end)) if s is None else s.alarms
        return meta, alarms, max(0.0, end - meta.started_utc)

    return burden(map(lives, metas))


def _group(subject: str, priority: Priority, technical: bool, alarms: list[AlarmLife], hours: float) -> BurdenGroup:
    present = np.array([a.present_s for a in alarms])
    acks = np.array([a.seconds_to_acknowledge for a in alarms if a.seconds_to_acknowledge is not None])
    return BurdenGroup(subject, priority, technical, len(alarms), len(alarms) / hours if hours > 0 else 0.0,
                       float(np.median(present)), float(np.percentile(present, 90)), float(present.max()), len(acks),
                       float(np.median(acks)) if len(acks) else None,
                       float(np.percentile(acks, 90)) if len(acks) else None)


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
