"""Event markers (nausea, BP medicine given, a note...) with an append-only audit trail.

A marker is what the nurse pressed, when it happened (backdatable within the
session, never into the future) and an optional note. Corrections never
overwrite: edit() and delete() append a new revision of the same marker id,
so the record shows what was entered first, what changed, by whom and why.
Times are UTC epoch seconds from the injected wall clock.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from monitor.clinical.config import MarkerDef
from monitor.record.journal import MarkerRevision


class MarkerError(ValueError):
    """A marker entry or change that cannot be accepted (the message says why)."""


class MarkerLog:
    """The markers of one session, keyed by stable id, every revision kept.

    markers is the configured key list; session_start (UTC epoch s) is the
    earliest time a marker may be backdated to.
    """

    def __init__(self, markers: tuple[MarkerDef, ...], session_start: float,
                 clock: Callable[[], float] = time.time, new_id: Callable[[], str] = lambda: uuid.uuid4().hex) -> None:
        self.markers = markers
        self.session_start = session_start
        self._clock = clock
        self._new_id = new_id
        self._revisions: dict[str, list[MarkerRevision]] = {}

    def definition(self, key_or_code: str | int) -> MarkerDef:
        """Return the marker defined by a key ('1', 1) or code ('nausea')."""
        k = str(key_or_code)
        for m in self.markers:
            if k in (m.key, m.code):
                return m
        raise MarkerError(f"no marker with key or code {k!r}")

    def adopt(self, revisions: Iterable[MarkerRevision]) -> None:
        """Take revisions read back from a stored journal, in entry order, so corrections build on them."""
        for rev in revisions:
            self._revisions.setdefault(rev.id, []).append(rev)

    def _checked_t(self, t: Any) -> float:
        now = self._clock()
        if t is None:
            return now
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
            raise MarkerError(f"a marker time must be a finite UTC epoch, got {t!r}")
        if t > now:
            raise MarkerError(f"a marker cannot be dated in the future ({t - now:.0f} s from now)")
        if t < self.session_start:
            raise MarkerError(f"a marker cannot be dated before the session started ({self.session_start - t:.0f} s before)")
        return float(t)

    @staticmethod
    def _who(value: str, what: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise MarkerError(f"{what} is required")
        return value.strip()

    @staticmethod
    def _note_ok(m: MarkerDef, note: str) -> str:
        if not isinstance(note, str):
            raise MarkerError(f"a note must be text, got {note!r}")
        if m.free_text and not note.strip():
            raise MarkerError(f"a {m.label.lower()} needs its text")
        return note.strip()

    def mark(self, key_or_code: str | int, t: float | None = None, note: str = "", user: str = "") -> MarkerRevision:
        """Enter a marker at t (default now; backdated within the session) and return revision 1."""
        m = self.definition(key_or_code)
        rev = MarkerRevision(id=self._new_id(), revision=1, t=self._checked_t(t), code=m.code, label=m.label,
                             note=self._note_ok(m, note), user=self._who(user, "the user entering the marker"),
                             recorded_at=self._clock())
        if rev.id in self._revisions:
            raise MarkerError(f"marker id {rev.id!r} is already used")
        self._revisions[rev.id] = [rev]
        return rev

    def _latest(self, marker_id: str) -> MarkerRevision:
        if marker_id not in self._revisions:
            raise MarkerError(f"no marker with id {marker_id!r}")
        latest = self._revisions[marker_id][-1]
        if latest.deleted:
            raise MarkerError(f"marker {marker_id!r} was deleted by {latest.user}: {latest.reason}")
        return latest

    def _append(self, latest: MarkerRevision, **fields: Any) -> MarkerRevision:
        rev = replace(latest, revision=latest.revision + 1, recorded_at=self._clock(), **fields)
        self._revisions[latest.id].append(rev)
        return rev

    def edit(self, marker_id: str, *, user: str, reason: str, **changes: Any) -> MarkerRevision:
        """Append a revision changing t, code (a key or code) and/or note; return it."""
        latest = self._latest(marker_id)
        unknown = sorted(set(changes) - {"t", "code", "note"})
        if unknown:
            raise MarkerError(f"a marker's {unknown[0]!r} cannot be edited (only t, code, note)")
        user = self._who(user, "the user editing the marker")
        reason = self._who(reason, "a reason for the edit")
        m = self.definition(changes.get("code", latest.code))
        new = {"t": self._checked_t(changes["t"]) if "t" in changes else latest.t, "code": m.code, "label": m.label,
               "note": self._note_ok(m, changes.get("note", latest.note))}
        if all(getattr(latest, k) == v for k, v in new.items()):
            raise MarkerError("the edit changes nothing")
        return self._append(latest, user=user, reason=reason, **new)

    def delete(self, marker_id: str, *, user: str, reason: str) -> MarkerRevision:
        """Append a revision marking the marker deleted (it stays in its history); return it."""
        latest = self._latest(marker_id)
        return self._append(latest, user=self._who(user, "the user deleting the marker"),
                            reason=self._who(reason, "a reason for deleting"), deleted=True)

    def history(self, marker_id: str) -> tuple[MarkerRevision, ...]:
        """Return every revision of a marker, oldest first (deleted ones included)."""
        if marker_id not in self._revisions:
            raise MarkerError(f"no marker with id {marker_id!r}")
        return tuple(self._revisions[marker_id])

    def current(self) -> tuple[MarkerRevision, ...]:
        """Return the latest revision of each marker not deleted, in order of event time."""
        return current_markers(r for revs in self._revisions.values() for r in revs)


def current_markers(revisions: Iterable[MarkerRevision]) -> tuple[MarkerRevision, ...]:
    """Return the latest revision of each marker not deleted, in order of event time.

    revisions may come in any order (the live log, or a stored journal): the highest revision number wins.
    """
    latest: dict[str, MarkerRevision] = {}
    for rev in revisions:
        if rev.id not in latest or rev.revision >= latest[rev.id].revision:
            latest[rev.id] = rev
    return tuple(sorted((r for r in latest.values() if not r.deleted), key=lambda r: r.t))
