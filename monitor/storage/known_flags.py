"""A patient's item-9 flags as the chair knows them: its file's, the central store's, and, when the store is not
reached, what the store said at an earlier visit. The one rule the Start dialog, the core and `record` follow.

A flag seen centrally is remembered in the CentralFlagCheck journal record the
session writes as it opens (its `seen`): when a later check does not reach the
store (or cannot read all its rows), the flags of every earlier check of the
patient in this file join the answer, with the reviews known then plus any
written since in this file, and the notice says they are as last seen centrally
on the latest such check's date. Flags are listed forever and reviews only
accumulate, so the union of the remembered checks is never less than the last.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.clinical.outcomes import OutcomeFlag
from monitor.record.outcomes import CentralFlagCheck, CentralFlagSeen
from monitor.storage.journal import read_journal
from monitor.storage.outcomes import FlagsElsewhere, flags_of_patient
from monitor.storage.store import Store
from monitor.timefmt import date_time_text


@dataclass(frozen=True)
class KnownFlags:
    """Every item-9 flag of the patient the chair knows of (reviewed or not, oldest first), and the one line to show
    about the central store: "" when it answered or none is configured, else why flags of other chairs may be
    missing or old."""

    flags: tuple[OutcomeFlag, ...]
    notice: str = ""

    @property
    def unreviewed(self) -> tuple[OutcomeFlag, ...]:
        return tuple(f for f in self.flags if not f.reviewed)


@dataclass(frozen=True)
class Remembered:
    """The flags the central store gave at the patient's earlier checks in this file, and when and in which zone the
    latest check with flags was made (t None: never)."""

    flags: tuple[OutcomeFlag, ...] = ()
    t: float | None = None
    tz: str | None = None


def remembered_flags(store: Store, patient_id: str) -> Remembered:
    """Return the flags every earlier central check of the patient in this file saw (CentralFlagCheck.seen)."""
    with store.lock:
        rows = store.db.execute(
            'SELECT j.t, j.kind, j.v, j.data, j."user", s.tz FROM journal j JOIN sessions s ON s.id = j.session_id '
            "WHERE s.patient_id = ? AND j.kind = ? ORDER BY j.t, j.rowid", [patient_id, CentralFlagCheck.KIND]
        ).fetchall()
    zones = {row[0]: row[5] for row in rows}
    checks = [e for e in read_journal(row[:5] for row in rows).entries if e.record.seen]  # type: ignore[attr-defined]
    if not checks:
        return Remembered()
    seen = [s for e in checks for s in e.record.seen]  # type: ignore[attr-defined]
    return Remembered(tuple(OutcomeFlag(s.score, s.reviews, s.session_id, s.chair) for s in seen),
                      checks[-1].t, zones[checks[-1].t])


def known_flags(store: Store, patient_id: str, answer: FlagsElsewhere | None) -> KnownFlags:
    """Return the patient's flags: this file's joined with the central store's answer (None: no store, or not
    answered yet), and, when the answer carries a notice, with the flags remembered from earlier answers."""
    elsewhere = answer.flags if answer is not None else ()
    notice = answer.notice if answer is not None else ""
    if not notice:
        return KnownFlags(flags_of_patient(store, patient_id, elsewhere))
    memory = remembered_flags(store, patient_id)
    flags = flags_of_patient(store, patient_id, (*elsewhere, *memory.flags))  # the fresh copy first: it is kept
    fresh = {f.score.id for f in elsewhere}
    old = {f.score.id for f in memory.flags} - fresh
    if memory.t is not None and any(f.chair and f.score.id in old for f in flags):
        notice = f"{notice}; showing those as last seen centrally on {date_time_text(memory.t, memory.tz)}"
    return KnownFlags(flags, notice)


def seen_centrally(answer: FlagsElsewhere) -> tuple[CentralFlagSeen, ...]:
    """Return the flags of the central store's answer as the journal keeps them (CentralFlagCheck.seen)."""
    return tuple(CentralFlagSeen(f.score, f.reviews, f.session_id, f.chair)
                 for f in answer.flags if f.session_id is not None)
