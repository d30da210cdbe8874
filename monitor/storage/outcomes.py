"""What the chair's file holds about outcomes: a session's scores and reviews, the instruments a patient is asked."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from monitor.clinical.outcomes import SessionOutcomes
from monitor.record.instruments import INSTRUMENTS, instrument
from monitor.record.outcomes import OutcomeReview, OutcomeScore
from monitor.storage.sessions import SessionRecord
from monitor.storage.store import Store

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
