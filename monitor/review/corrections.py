"""Corrections after the fact: edit, add or delete an event marker, add a scale score entered late.

A correction is a journal record appended to the stored session, with who
entered it, when (the journal row's user and time) and why (its reason):
nothing is ever overwritten, so the audit trail keeps every version. Event
corrections are marker revisions, checked by the same MarkerLog rules as at
the chair (a known marker, a note where one is needed, a change that changes
something); a late scale is a ScaleEntry dated when it was assessed, with the
reason it was entered late. Only a session that no longer runs is corrected
here: a running one is corrected on its monitor, whose session holds its markers.
Times are UTC epoch seconds and must fall within the session.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from monitor.clinical.config import load_clinical_config
from monitor.clinical.markers import MarkerError, MarkerLog
from monitor.clinical.scales import SCALE_NAMES, Aldrete, Cadss, Moaas, Rating
from monitor.record.journal import MarkerRevision, ScaleEntry
from monitor.review.stored import refresh_summary
from monitor.review.summary import phases_of
from monitor.storage.sessions import SessionRecord
from monitor.storage.store import Store


class CorrectionError(ValueError):
    """A correction that cannot be accepted; the message says why."""


@dataclass(frozen=True)
class Correction:
    """One line of the audit trail: when it was entered (UTC epoch s), by whom, what changed, why.

    t is the time the corrected entry is about; what is 'event edited', 'event deleted',
    'event added late' or 'scale added late'.
    """

    entered_utc: float
    user: str
    what: str
    detail: str
    reason: str
    t: float


class Corrector:
    """Corrections of one stored session that no longer runs, appended to its journal through store."""

    def __init__(self, store: Store, record: SessionRecord, clock: Callable[[], float] = time.time) -> None:
        meta = record.meta
        if meta.state == "running":
            raise CorrectionError(f"session {meta.ref} is still running: correct it on its monitor")
        self.store = store
        self.record = record
        self._clock = clock
        self._log = MarkerLog(load_clinical_config().markers, session_start=meta.started_utc, clock=clock)
        self._log.adopt(rev for _, rev in record.entries(MarkerRevision))

    def _within(self, t: Any) -> None:
        meta = self.record.meta
        if isinstance(t, (int, float)) and meta.ended_utc is not None and t > meta.ended_utc:
            raise CorrectionError(f"{t - meta.ended_utc:.0f} s after the session ended: a correction must fall "
                                  "within the session")

    @staticmethod
    def _required(text: str, what: str) -> str:
        if not isinstance(text, str) or not text.strip():
            raise CorrectionError(f"{what} is required")
        return text.strip()

    def _append(self, record: Any, user: str) -> None:
        self.store.append_journal(self.record.meta.id, record, user, self._clock())
        refresh_summary(self.store, self.record.meta.id)  # the stored summary shows the correction

    def edit_event(self, marker_id: str, *, user: str, reason: str, **changes: Any) -> MarkerRevision:
        """Append a revision of an event changing t, code and/or note; return it."""
        user, reason = self._required(user, "your name"), self._required(reason, "a reason")
        self._within(changes.get("t"))
        try:
            rev = self._log.edit(marker_id, user=user, reason=reason, **changes)
        except MarkerError as exc:
            raise CorrectionError(str(exc)) from None
        self._append(rev, user)
        return rev

    def delete_event(self, marker_id: str, *, user: str, reason: str) -> MarkerRevision:
        """Append a revision marking an event deleted (its earlier versions stay); return it."""
        user, reason = self._required(user, "your name"), self._required(reason, "a reason")
        try:
            rev = self._log.delete(marker_id, user=user, reason=reason)
        except MarkerError as exc:
            raise CorrectionError(str(exc)) from None
        self._append(rev, user)
        return rev

    def add_event(self, code: str, t: float, note: str = "", *, user: str, reason: str) -> MarkerRevision:
        """Add an event that was not entered at the time, dated t; return it (revision 1, with the reason)."""
        user, reason = self._required(user, "your name"), self._required(reason, "a reason")
        self._within(t)
        try:
            rev = replace(self._log.mark(code, t=t, note=note, user=user), reason=reason)
        except MarkerError as exc:
            raise CorrectionError(str(exc)) from None
        self._append(rev, user)
        return rev

    def add_scale(self, score: Moaas | Cadss | Rating | Aldrete, t: float, *, user: str, reason: str) -> ScaleEntry:
        """Add a scale score assessed at t but entered now, with the reason; return the stored entry."""
        user, reason = self._required(user, "your name"), self._required(reason, "a reason")
        meta = self.record.meta
        if not isinstance(t, (int, float)) or t < meta.started_utc or t > self._clock():
            raise CorrectionError("a scale must be dated within the session, not in the future")
        self._within(t)
        phase = next((p.phase for p in reversed(phases_of(self.record)) if p.start_utc <= t), "pre_infusion")
        entry = ScaleEntry.from_data({**score.to_dict(), "t": float(t), "phase": phase, "reason": reason})
        self._append(entry, user)
        return entry


def audit_trail(record: SessionRecord) -> list[Correction]:
    """Return every correction of a session (event revisions, late events, late scales), in the order entered."""
    out = []
    for entry in record.journal:
        rec = entry.record
        if isinstance(rec, MarkerRevision) and (rec.revision > 1 or rec.reason):
            what = "event added late" if rec.revision == 1 else "event deleted" if rec.deleted else "event edited"
            out.append(Correction(entry.t, entry.user or rec.user, what,
                                  rec.label + (f": {rec.note}" if rec.note else ""), rec.reason, rec.t))
        elif isinstance(rec, ScaleEntry) and rec.reason:
            total = f"{rec.total}/{rec.max_total}" if rec.max_total else str(rec.total)
            out.append(Correction(entry.t, entry.user, "scale added late",
                                  f"{SCALE_NAMES.get(rec.scale, rec.scale)} {total}", rec.reason, rec.t))
    return out


def event_versions(record: SessionRecord, marker_id: str) -> list[tuple[float, str, MarkerRevision]]:
    """Return every version of one event, oldest first: (entered UTC epoch s, by whom, the revision)."""
    return [(entry.t, entry.user or rev.user, rev) for entry, rev in record.entries(MarkerRevision)
            if rev.id == marker_id]
