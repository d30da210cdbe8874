"""What the chair's file holds about outcomes: a session's scores and reviews, the instruments a patient is asked."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Protocol

from monitor.clinical.outcomes import OutcomeFlag, SessionOutcomes, patient_flags
from monitor.record.instruments import INSTRUMENTS, OutcomeError, instrument
from monitor.record.journal import InfusionEvent
from monitor.record.outcomes import OutcomeReview, OutcomeScore
from monitor.storage.sessions import SessionMeta, SessionRecord, SessionSource
from monitor.storage.store import Store
from monitor.timefmt import date_text, zone

log = logging.getLogger(__name__)


#: Key of the per-patient instrument list in Store.patient_settings.
INSTRUMENTS_SETTING = "outcome_instruments"
#: The unreadable outcome rows already logged: (database, session id, words).
_REPORTED: set[tuple[str, int, str]] = set()


def outcomes_of(store: Store, session_id: int) -> SessionOutcomes:
    """Read a session's outcome entries and reviews from its journal.

    A row that does not read is logged once (the core asks every few seconds) and listed by the
    session's review with the other unreadable rows (SessionRecord.unreadable).
    """
    read = store.journal_records(session_id, (OutcomeScore.KIND, OutcomeReview.KIND))
    for problem in read.unreadable:
        if (store.path, session_id, problem) not in _REPORTED:
            _REPORTED.add((store.path, session_id, problem))
            log.warning("session %s: an outcome record cannot be read: %s", session_id, problem)
    return SessionOutcomes().merge(e.record for e in read.entries)  # type: ignore[misc]


def patient_instruments(store: Store, patient_id: str, default: Sequence[str]) -> tuple[str, ...]:
    """Return the instruments this patient is asked: their own setting, else the clinic default."""
    chosen = store.patient_settings(patient_id).get(INSTRUMENTS_SETTING)
    if isinstance(chosen, list) and all(c in INSTRUMENTS for c in chosen):
        return tuple(chosen)
    return tuple(default)


def set_patient_instruments(store: Store, patient_id: str, codes: Sequence[str]) -> None:
    """Store which instruments this patient is asked (in the clinic's usual order); OutcomeError on a bad code."""
    for code in codes:
        instrument(code)
    store.set_patient_setting(patient_id, INSTRUMENTS_SETTING, [c for c in INSTRUMENTS if c in codes])


def record_outcomes(record: SessionRecord) -> SessionOutcomes:
    """Return a stored session's outcome questionnaires and flag reviews, read through its SessionRecord."""
    items: list[OutcomeScore | OutcomeReview] = [r for _, r in record.entries(OutcomeScore)]
    items += [r for _, r in record.entries(OutcomeReview)]
    return SessionOutcomes().merge(items)


def _patient_sessions(store: Store, patient_id: str) -> list[tuple[int, str]]:
    """Return (id, state) of the patient's sessions in this file, oldest first."""
    with store.lock:
        rows = store.db.execute("SELECT id, state FROM sessions WHERE patient_id = ? ORDER BY id",
                                [patient_id]).fetchall()
    return [(int(sid), str(state)) for sid, state in rows]


def flags_of_patient(store: Store, patient_id: str, elsewhere: Iterable[OutcomeFlag] = ()) -> tuple[OutcomeFlag, ...]:
    """Return every item-9 flag of the patient in this file, each with its reviews from any session, oldest first.

    elsewhere are the patient's flags read from the central store (FlagsElsewhere.flags, every chair's, each
    with its reviews there): they join this file's by the entry's id. A flag this file holds keeps its session
    here and gains the reviews written at other chairs; one held only centrally is added with its chair; a
    review written here of another chair's flag counts (it may not have reached the central store yet).
    """
    held = [(sid, outcomes_of(store, sid)) for sid, _ in _patient_sessions(store, patient_id)]
    local = patient_flags(held)
    elsewhere = tuple(elsewhere)
    if not elsewhere:
        return local
    here = {f.score.id for f in local}
    flags = {f.score.id: f for f in elsewhere if f.score.id not in here}  # a copy seen twice centrally is one flag
    reviews = {r for _, o in held for r in o.reviews} | {r for f in elsewhere for r in f.reviews}

    def reviewed_anywhere(f: OutcomeFlag) -> OutcomeFlag:
        found = {*f.reviews, *(r for r in reviews if r.outcome_id == f.score.id)}
        return replace(f, reviews=tuple(sorted(found, key=lambda r: r.t)))

    return tuple(sorted(map(reviewed_anywhere, (*local, *flags.values())), key=lambda f: f.score.t))


@dataclass(frozen=True)
class FlagsElsewhere:
    """What the central store said of one patient's flags: all of them, at every chair, with their reviews (chair
    named on each), or, when it was not reached in time, a one-line notice and no flags."""

    flags: tuple[OutcomeFlag, ...] = ()
    notice: str = ""


class FlagLookup(Protocol):
    """Asks the central store for a patient's flags (monitor.central.flags.CentralFlagLookup), bounded in time."""

    def answer(self, patient_id: str, wait_s: float = 0.0) -> FlagsElsewhere | None:
        """Return the answer, asking on the first call; None while the question runs (waiting up to wait_s)."""


def source_flags(source: SessionSource, patient_id: str) -> tuple[OutcomeFlag, ...]:
    """Return every item-9 flag of the patient in a session source (a chair's file or the central store), each with
    its reviews from any of the patient's sessions there, oldest first (session_id: the source's session id)."""
    return patient_flags((m.id, record_outcomes(source.record(m))) for m in source.sessions(patient_id))


def between_visits_place(sessions: SessionSource, patient_id: str, day: date, now: float) -> tuple[SessionMeta, float]:
    """Return where a questionnaire answered between visits on `day` is kept: the patient's last session started on
    or before that day, at 12:00 that day in the session's zone (now, if that is later than now on the day itself).
    OutcomeError in words for a day in the future or a patient without a session by then."""
    metas = sessions.sessions(patient_id=patient_id)
    if not metas:
        raise OutcomeError(f"there are no sessions of patient '{patient_id}' in this database")
    before = [m for m in metas if date.fromisoformat(date_text(m.started_utc, m.tz)) <= day]
    if not before:
        raise OutcomeError(f"patient '{patient_id}' has no session on or before {day.isoformat()}: enter it into a "
                           "session")
    meta = before[-1]
    tz = zone(meta.tz)
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=tz).timestamp() if tz is not None else \
        datetime(day.year, day.month, day.day, 12).astimezone().timestamp()
    if noon <= now:
        return meta, noon
    if date_text(now, meta.tz) != day.isoformat():
        raise OutcomeError(f"{day.isoformat()} is in the future")
    return meta, now


def review_patient_flag(store: Store, patient_id: str, outcome_id: str | None, reviewer: str, note: str,
                        t: float) -> tuple[OutcomeFlag, OutcomeReview, int]:
    """Record a clinician's review of one of the patient's flags; return the flag, the review and its session.

    outcome_id may be None when the patient has exactly one unreviewed flag.
    The review goes into the patient's running session (the chair adopts it and
    ends its alarm), else, after the fact, into the flag's own session as an
    addendum at its real time. OutcomeError in words for a wrong id, a missing
    name or note, or an ambiguous choice.
    """
    flags = flags_of_patient(store, patient_id)
    if outcome_id is None:
        open_flags = [f for f in flags if not f.reviewed]
        if len(open_flags) != 1:
            raise OutcomeError(f"patient {patient_id} has {len(open_flags) or 'no'} unreviewed flag"
                               f"{'s' if len(open_flags) != 1 else ''}: name one with --flag ID" if open_flags
                               else f"patient {patient_id} has no unreviewed flag")
        flag = open_flags[0]
    else:
        found = [f for f in flags if f.score.id == outcome_id or f.score.id.startswith(outcome_id)]
        if len(found) != 1:
            raise OutcomeError(f"patient {patient_id} has no flag {outcome_id!r}" if not found
                               else f"flag id {outcome_id!r} is ambiguous: give more of it")
        flag = found[0]
    review = OutcomeReview(flag.score.id, reviewer, note, t)
    running = [sid for sid, state in _patient_sessions(store, patient_id) if state == "running"]
    target = running[-1] if running else flag.session_id
    assert target is not None  # flags_of_patient names every flag's session
    store.append_journal(target, review, review.reviewer, review.t)
    return flag, review, target


def infusions_given(store: Store, patient_id: str) -> int:
    """Return how many of the patient's sessions in this file started an infusion (the planned course counts them)."""
    return sum(any(e.record.kind == "started" for e in store.journal_records(sid, (InfusionEvent.KIND,)).entries)
               for sid, _ in _patient_sessions(store, patient_id))
