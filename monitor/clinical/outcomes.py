"""Outcome measures entered for a session: scored entries, clinician reviews of the item-9 flag, the course.

An OutcomeScore is one questionnaire as answered (every item kept), checked on
construction so a wrong item count or an out-of-range answer never reaches the
record. It is journaled in the session as kind "outcome"; a clinician's review
of a flagged entry as kind "outcome_review". Neither is ever edited or
removed: a flag stays listed with its reviews, whatever happens later.

Response and remission are read over one instrument's time-ordered series of
a course: response is a fall of at least 50 % from the course's first total,
remission a total below the instrument's remission threshold (PHQ-9: below 5).

Which instruments a patient is asked is a per-patient setting stored with the
patient (monitor.storage.outcomes), defaulting to the clinic's list in
clinical.json. The records themselves are in monitor.record.outcomes.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from monitor.record.instruments import Instrument, OutcomeError, instrument
from monitor.record.outcomes import OutcomeReview, OutcomeScore


@dataclass(frozen=True)
class OutcomeFlag:
    """A flagged entry with its reviews (oldest first); listed forever, reviewed or not.

    session_id names the session the entry was answered in when the flag is
    read across a patient's sessions (None: the session at hand); chair names
    the chair whose file holds that session when the flag was read from the
    central store ("": this chair's own file). Its reviews may sit in any
    session of the patient, at any chair: they are linked by the entry's id.
    """

    score: OutcomeScore
    reviews: tuple[OutcomeReview, ...]
    session_id: int | None = None
    chair: str = ""

    @property
    def reviewed(self) -> bool:
        return bool(self.reviews)

    @property
    def where(self) -> str:
        """Return the flag's session for people: "session 9", "session 9 at chair-02" ("" for the session at hand)."""
        if self.session_id is None:
            return ""
        return f"session {self.session_id}" + (f" at {self.chair}" if self.chair else "")

    @property
    def status_text(self) -> str:
        """Return "NOT REVIEWED" or "reviewed by Dr Lee: safety plan given" (the latest review)."""
        return self.reviews[-1].text if self.reviews else "NOT REVIEWED"


@dataclass(frozen=True)
class SessionOutcomes:
    """A session's outcome entries and reviews, each in time order."""

    scores: tuple[OutcomeScore, ...] = ()
    reviews: tuple[OutcomeReview, ...] = ()

    def merge(self, records: Iterable[OutcomeScore | OutcomeReview]) -> SessionOutcomes:
        """Return these plus the records not yet held (by entry id, review content); order by time."""
        scores = {s.id: s for s in self.scores}
        reviews = dict.fromkeys(self.reviews)
        for r in records:
            if isinstance(r, OutcomeScore):
                scores.setdefault(r.id, r)
            else:
                reviews.setdefault(r)
        return SessionOutcomes(tuple(sorted(scores.values(), key=lambda s: s.t)),
                               tuple(sorted(reviews, key=lambda r: r.t)))

    def score(self, outcome_id: str) -> OutcomeScore | None:
        return next((s for s in self.scores if s.id == outcome_id), None)

    def flags(self) -> tuple[OutcomeFlag, ...]:
        """Return every flagged entry with its reviews."""
        return tuple(OutcomeFlag(s, tuple(r for r in self.reviews if r.outcome_id == s.id))
                     for s in self.scores if s.flag)

    def unreviewed(self) -> tuple[OutcomeScore, ...]:
        """Return the flagged entries no clinician has reviewed yet."""
        return tuple(f.score for f in self.flags() if not f.reviewed)


def patient_flags(sessions: Iterable[tuple[int, SessionOutcomes]]) -> tuple[OutcomeFlag, ...]:
    """Return every flagged entry of a patient's sessions (session id, outcomes) with its reviews from any of them.

    A review is entered where the clinician is (a later running session, or
    the flag's own session afterwards), so reviews are gathered over all the
    sessions; flags come in time order.
    """
    held = list(sessions)
    reviews = sorted({r for _, o in held for r in o.reviews}, key=lambda r: r.t)
    flags = [OutcomeFlag(s, tuple(r for r in reviews if r.outcome_id == s.id), sid)
             for sid, o in held for s in o.scores if s.flag]
    return tuple(sorted(flags, key=lambda f: f.score.t))


def entered(code: str, items: Sequence[object], *, user: str, mode: str, cutoffs: Mapping[str, int],
            t: float | None = None) -> OutcomeScore:
    """Return a new entry of instrument `code` now (or at UTC epoch t), with the clinic's cut-off where it has one."""
    inst = instrument(code)
    return OutcomeScore(code, tuple(items), time.time() if t is None else t, user, mode,  # type: ignore[arg-type]
                        cutoffs.get(code) if inst.uses_cutoff else None)


# --- the course ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoursePoint:
    """One entry of a course read against the course's first entry of the same instrument."""

    score: OutcomeScore
    change: int  # total minus the first total
    change_pct: float | None  # None when the first total is 0 (no relative change defined)
    response: bool
    remission: bool | None  # None for instruments without a remission threshold


def is_response(first_total: int, total: int) -> bool:
    """Tell whether a total is a fall of at least 50 % from the first (never from a first total of 0)."""
    return first_total > 0 and 2 * total <= first_total


def is_remission(inst: Instrument, total: int) -> bool | None:
    """Tell whether a total is below the instrument's remission threshold; None when it has none."""
    return None if inst.remission_below is None else total < inst.remission_below


def course(series: Sequence[OutcomeScore]) -> tuple[CoursePoint, ...]:
    """Read one instrument's time-ordered entries of a course; OutcomeError if mixed or out of order."""
    if not series:
        return ()
    first = series[0]
    for prev, s in zip(series, series[1:]):
        if s.instrument != first.instrument:
            raise OutcomeError(f"a course series holds one instrument, got {first.instrument} and {s.instrument}")
        if s.t < prev.t:
            raise OutcomeError("a course series must be in time order")
    base = first.total
    return tuple(CoursePoint(s, s.total - base, None if base == 0 else 100.0 * (s.total - base) / base,
                             is_response(base, s.total), is_remission(s.definition, s.total)) for s in series)


# --- storage --------------------------------------------------------------------------------------


