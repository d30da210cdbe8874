"""Flags from other chairs without a server: how they join the chair's file's flags (by entry id, reviews from
anywhere), how the bounded lookup answers (in the background, a notice for any failure), and what the session says."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from monitor.central.flags import NOT_REACHED, RETRY_AFTER_S, CentralFlagLookup
from monitor.central.link import ChairSettings
from monitor.clinical.outcomes import OutcomeFlag
from monitor.record.outcomes import OutcomeReview, OutcomeScore
from monitor.storage.chair_patients import ChairPatients
from monitor.storage.outcomes import FlagsElsewhere, flags_of_patient
from monitor.storage.store import Store

T0 = 1_700_000_000.0
SETTINGS = ChairSettings("postgresql://chair-b@db/clinic", "chair-b")


def phq9(item9: int, t: float) -> OutcomeScore:
    return OutcomeScore("phq9", (2, 2, 1, 1, 0, 1, 0, 0, item9), t, "nurse", "nurse")


@pytest.fixture
def store(tmp_path):
    """Chair B's file: patient P1's session 1 has its own flag."""
    store = Store(tmp_path / "chair-b.db")
    sid = store.create_session(patient_id="P1")
    store.append_journal(sid, phq9(1, T0 + 3600), "nurse", T0 + 3600)
    store.close_session(sid)
    yield store
    store.close()


def test_flags_of_other_chairs_join_by_entry_id_with_reviews_from_anywhere(store):
    (own,) = flags_of_patient(store, "P1")
    remote = phq9(2, T0)
    seen_elsewhere = OutcomeReview(own.score.id, "Dr Lee", "assessed at chair A", T0 + 7200)
    elsewhere = (OutcomeFlag(remote, (), 4, "chair-a"), OutcomeFlag(remote, (), 4, "chair-a"),  # read twice: one flag
                 OutcomeFlag(own.score, (seen_elsewhere,), 1, "chair-b"))  # this chair's own, shipped
    merged = flags_of_patient(store, "P1", elsewhere)
    assert [(f.score, f.where, f.reviews) for f in merged] == [
        (remote, "session 4 at chair-a", ()), (own.score, "session 1", (seen_elsewhere,))]
    # a review written here of chair A's flag counts before it reaches the store
    here = OutcomeReview(remote.id, "Dr Kim", "phoned", T0 + 9000)
    store.append_journal(1, here, "Dr Kim", here.t)
    assert flags_of_patient(store, "P1", elsewhere)[0].reviews == (here,)


class Reader:
    """A stand-in for the store: answers when released, or raises."""

    def __init__(self, flags=(), error: Exception | None = None) -> None:
        self.flags, self.error = tuple(flags), error
        self.release = threading.Event()
        self.calls = 0

    def __call__(self, url: str, patient_id: str, timeout_s: float):
        self.calls += 1
        self.release.wait(10)
        if self.error is not None:
            raise self.error
        return FlagsElsewhere(self.flags), 0


def settled(lookup: CentralFlagLookup) -> FlagsElsewhere:
    answer = lookup.answer("P1", wait_s=5)
    assert answer is not None
    return answer


def test_the_lookup_asks_in_the_background_and_the_directory_shows_the_answer_once_in(store):
    remote = OutcomeFlag(phq9(2, T0), (), 4, "chair-a")
    read = Reader([remote])
    patients = ChairPatients(store, CentralFlagLookup(SETTINGS, read=read))
    assert patients.flags_elsewhere("P1") is None  # being asked: the dialog waits, never frozen
    assert [f.chair for f in patients.unreviewed_flags("P1")] == [""]  # the file's own at once
    read.release.set()
    assert settled(patients.elsewhere) == FlagsElsewhere((remote,))
    assert patients.flags_elsewhere("P1") == ""
    assert [f.where for f in patients.unreviewed_flags("P1")] == ["session 4 at chair-a", "session 1"]
    assert read.calls == 1  # the answer is reused (the dialog and the session's opening)


def test_any_failure_is_the_notice_logged_in_a_line_and_asked_again_later(caplog):
    from monitor.central.link import CentralError

    now = [100.0]
    read = Reader(error=CentralError("cannot reach the central store chair-b@db/clinic: timeout expired"))
    read.release.set()
    lookup = CentralFlagLookup(SETTINGS, read=read, clock=lambda: now[0])
    caplog.set_level(logging.WARNING)
    assert settled(lookup) == FlagsElsewhere(notice=NOT_REACHED)
    assert "flags from other chairs not checked: cannot reach" in caplog.text
    assert not any(r.exc_info for r in caplog.records)  # a line, no traceback
    assert lookup.answer("P1") == FlagsElsewhere(notice=NOT_REACHED) and read.calls == 1  # not asked per keystroke
    now[0] += RETRY_AFTER_S + 1
    read.error = None
    lookup.answer("P1")
    assert read.calls == 2  # asked again: the session's opening, a minute after the dialog


def test_a_bug_in_the_question_is_the_notice_too_never_a_question_left_open(caplog):
    read = Reader(error=RuntimeError("injected"))
    read.release.set()
    assert settled(CentralFlagLookup(SETTINGS, read=read)) == FlagsElsewhere(notice=NOT_REACHED)
    assert "flags from other chairs not checked" in caplog.text


@pytest.mark.slow  # waits out the bound in real time
def test_a_store_that_never_answers_is_not_reached_once_the_bound_has_passed():
    read = Reader()
    lookup = CentralFlagLookup(SETTINGS, timeout_s=0.2, read=read)
    t0 = time.monotonic()
    assert lookup.answer("P1") is None
    assert settled(lookup) == FlagsElsewhere(notice=NOT_REACHED)
    assert time.monotonic() - t0 < 5
    read.release.set()  # the late answer is kept for the next question
    deadline = time.monotonic() + 10
    while lookup.answer("P1") != FlagsElsewhere():
        assert time.monotonic() < deadline, "the late answer was not kept"
        time.sleep(0.05)
