"""A patient's item-9 flags at every chair, read from the central store, so a flag follows the patient to any chair.

A chair's login reads only its own rows of the central store; the one path
across chairs is the function patient_flag_records (monitor.central.schema),
which gives one patient's flagged questionnaire entries and the reviews of
them, and nothing else (no vitals, no other questionnaire). The chair asks it
when the Start dialog names a patient and when the session opens.

Asking is bounded: each question runs in a thread of its own with libpq's
shortest connect timeout and a statement timeout, and an answer not in by
TIMEOUT_S (plus a margin for name lookup) is the one-line NOT_REACHED notice,
never an exception, never a screen frozen on a dead network (the flags the
store gave at earlier visits then stand in: monitor.storage.known_flags). A late answer
is kept for the next question. Answers the store gave are reused for MAX_AGE_S
(the dialog and the session opening ask the same); a notice only for
RETRY_AFTER_S, so the session's opening, a minute after the dialog, asks again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from monitor.central.link import CentralError, ChairSettings, connect, describe, explain
from monitor.central.schema import FLAG_FUNCTION
from monitor.clinical.outcomes import OutcomeFlag, SessionOutcomes
from monitor.record.base import RecordError, from_row
from monitor.record.instruments import OutcomeError
from monitor.record.outcomes import OutcomeReview, OutcomeScore
from monitor.storage.outcomes import FlagsElsewhere

log = logging.getLogger(__name__)

#: How long the chair waits for the central store's answer about a patient's flags (s); libpq's shortest
#: connect timeout is 2 s.
TIMEOUT_S = 2.0
#: Added to TIMEOUT_S before an unanswered question counts as not reached (name lookup is outside libpq's timeout).
MARGIN_S = 1.0
#: An answer of the store is reused this long (s) for the same patient: the Start dialog and the session's opening.
MAX_AGE_S = 600.0
#: A notice (store not reached) is reused this long (s): a dialog reading it twice does not ask twice.
RETRY_AFTER_S = 15.0
NOT_REACHED = "Central store not reached: flags from other chairs not checked"


def read_central_flags(url: str, patient_id: str, timeout_s: float = TIMEOUT_S) -> tuple[FlagsElsewhere, int]:
    """Return the patient's flags in the central store (every chair's, with their reviews, each naming its chair)
    and how many of the rows could not be read; CentralError in one line when the store cannot answer in time."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    options = f"{conninfo_to_dict(url).get('options') or ''} -c statement_timeout={round(timeout_s * 1000)}"
    bounded = make_conninfo(url, connect_timeout=str(max(2, round(timeout_s))),  # libpq: whole seconds, 2 at least
                            options=options.strip())
    conn = connect(bounded, autocommit=True, app="infusion-monitor flag check")
    try:
        rows = conn.execute(f"SELECT chair, session_id, kind, v, data FROM {FLAG_FUNCTION}(%s)",
                            [patient_id]).fetchall()
    except psycopg.Error as exc:
        raise CentralError(f"central store {describe(url)}: {explain(exc)}") from None
    finally:
        conn.close()
    held: dict[tuple[str, int], list[OutcomeScore | OutcomeReview]] = {}
    unreadable = 0
    for chair, session_id, kind, version, data in rows:
        try:
            record = from_row(kind, version, data)
        except (RecordError, OutcomeError, ValueError):
            unreadable += 1  # a damaged row of another chair: counted and said, never a reason to show nothing
            continue
        if isinstance(record, (OutcomeScore, OutcomeReview)):
            held.setdefault((str(chair), int(session_id)), []).append(record)
    outcomes = {key: SessionOutcomes().merge(records) for key, records in held.items()}
    reviews = sorted({r for o in outcomes.values() for r in o.reviews}, key=lambda r: r.t)
    flags = [OutcomeFlag(s, tuple(r for r in reviews if r.outcome_id == s.id), sid, chair)
             for (chair, sid), o in outcomes.items() for s in o.scores if s.flag]
    return FlagsElsewhere(tuple(sorted(flags, key=lambda f: f.score.t))), unreadable


@dataclass
class _Question:
    started: float  # monotonic s
    answer: FlagsElsewhere | None = None
    answered: float = 0.0  # monotonic s


class CentralFlagLookup:
    """Asks the central store for patients' flags from other chairs, each question in a thread, bounded in time.

    answer() never raises and never waits longer than asked: a ChairPatients' FlagLookup and the core's.
    """

    def __init__(self, settings: ChairSettings, timeout_s: float = TIMEOUT_S,
                 read: Callable[[str, str, float], tuple[FlagsElsewhere, int]] = read_central_flags,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.timeout_s = timeout_s
        self._read = read
        self._clock = clock
        self._lock = threading.Lock()
        self._questions: dict[str, _Question] = {}
        self._done = threading.Condition(self._lock)

    def answer(self, patient_id: str, wait_s: float = 0.0) -> FlagsElsewhere | None:
        """Return what the store said of the patient's flags, asking on the first call (or when the last answer is
        a notice older than RETRY_AFTER_S or flags older than MAX_AGE_S); None while the question runs, at most TIMEOUT_S + MARGIN_S, after which
        the answer is the NOT_REACHED notice. wait_s: wait up to this long for the answer (the session's opening)."""
        now = self._clock()
        with self._lock:
            q = self._questions.get(patient_id)
            if q is None or (q.answer is not None
                             and now - q.answered > (RETRY_AFTER_S if q.answer.notice else MAX_AGE_S)):
                q = self._questions[patient_id] = _Question(now)
                threading.Thread(target=self._ask, args=(patient_id, q), name="central flag check",
                                 daemon=True).start()  # daemon: a hung name lookup never holds the app open
            deadline = q.started + self.timeout_s + MARGIN_S
            end = min(now + wait_s, deadline)
            while q.answer is None and self._clock() < end:
                self._done.wait(max(0.0, end - self._clock()))
            if q.answer is not None:
                return q.answer
            return FlagsElsewhere(notice=NOT_REACHED) if self._clock() >= deadline else None

    def _ask(self, patient_id: str, q: _Question) -> None:
        """Run one question (its own thread); every failure becomes the notice, logged with its reason."""
        try:
            found, unreadable = self._read(self.settings.url, patient_id, self.timeout_s)
            if unreadable:
                log.warning("%d flag rows of the central store cannot be read", unreadable)
                found = FlagsElsewhere(found.flags, f"{unreadable} flag record{'s' if unreadable > 1 else ''} of "
                                                    "other chairs cannot be read: check with the central store's "
                                                    "administrator")
        except CentralError as exc:
            log.warning("flags from other chairs not checked: %s", exc)
            found = FlagsElsewhere(notice=NOT_REACHED)
        except Exception:  # a bug must not leave the question unanswered: the dialog would wait for ever
            log.exception("flags from other chairs not checked")
            found = FlagsElsewhere(notice=NOT_REACHED)
        with self._lock:
            q.answer, q.answered = found, self._clock()
            self._done.notify_all()
