"""The PHQ-9 item-9 flag in a session: shown before the infusion, an alarm that acknowledge does not end,
ended only by a clinician's review, listed forever; entries imported into a running session are seen."""

from __future__ import annotations

import time

import pytest
from test_reader import wait_for
from test_session import Rig

from monitor.alarms import Priority
from monitor.live.core import MonitorCore, SessionInfo
from monitor.record.instruments import OutcomeError
from monitor.record.outcomes import OutcomeScore
from monitor.storage.outcomes import outcomes_of
from monitor.clinical.schedule import Phase
from monitor.alarms.keys import AppAlarm
from monitor.clinical.session import SessionError
from monitor.storage.store import Store


def phq9(item9: int, t: float = 1_700_000_000.0, user: str = "nurse", mode: str = "patient") -> OutcomeScore:
    return OutcomeScore("phq9", (2, 2, 1, 1, 0, 1, 0, 0, item9), t, user, mode)


def flag_actions(actions) -> list[tuple[str, Priority | None]]:
    return [(a.kind, a.priority) for a in actions if a.key == AppAlarm.OUTCOME_FLAG]


def test_a_flagged_entry_is_journaled_shown_in_the_status_and_raises_a_medium_alarm_before_the_infusion():
    r = Rig()
    r.s.tick()
    score = phq9(2)
    r.s.record_outcome(score)
    assert r.kinds("outcome") == [score.to_data()]
    assert r.journal[-1][2] == "nurse"
    st = r.s.status()
    assert st.phase is Phase.PRE_INFUSION
    assert st.outcomes == (score,) and [f.score for f in st.unreviewed_flags] == [score]
    actions = r.s.tick()
    assert flag_actions(actions) == [("clear", None), ("raise", Priority.MEDIUM)]
    raised = next(a for a in actions if a.kind == "raise")
    assert raised.message.startswith("PHQ-9 item 9 = 2 (thoughts of being better off dead or of self-harm)")
    assert raised.message.endswith("a clinician must review before the infusion")
    assert flag_actions(r.s.tick()) == []  # raised once


def test_an_unflagged_entry_raises_nothing_and_cannot_be_reviewed():
    r = Rig()
    score = phq9(0)
    r.s.record_outcome(score)
    assert flag_actions(r.s.tick()) == [] and r.s.status().outcome_flags == ()
    with pytest.raises(SessionError, match="no flagged questionnaire"):
        r.s.review_outcome_flag(score.id, "Dr Lee", "fine")
    with pytest.raises(SessionError, match="already recorded"):
        r.s.record_outcome(score)


def test_only_a_review_with_a_name_and_a_note_ends_the_alarm_and_the_flag_stays_listed():
    r = Rig()
    score = phq9(1)
    r.s.record_outcome(score)
    r.s.tick()
    with pytest.raises(OutcomeError, match="review note"):
        r.s.review_outcome_flag(score.id, "Dr Lee", " ")
    assert flag_actions(r.s.tick()) == []
    review = r.s.review_outcome_flag(score.id, "Dr Lee", "assessed: passive thoughts, no plan; safety plan given")
    assert r.kinds("outcome_review") == [review.to_data()] and r.journal[-1][2] == "Dr Lee"
    assert flag_actions(r.s.tick()) == [("clear", None)]
    (flag,) = r.s.status().outcome_flags
    assert flag.score == score and flag.reviews == (review,) and r.s.status().unreviewed_flags == ()


def test_a_second_flag_raises_a_fresh_alarm_and_one_review_leaves_the_other_standing():
    r = Rig()
    first, second = phq9(1), phq9(3, t=1_700_000_100.0)
    r.s.record_outcome(first)
    r.s.tick()
    r.s.record_outcome(second)
    actions = r.s.tick()
    assert flag_actions(actions) == [("clear", None), ("raise", Priority.MEDIUM)]  # new and unacknowledged
    assert "(and 1 more)" in actions[-1].message
    r.s.review_outcome_flag(second.id, "Dr Lee", "seen")
    actions = r.s.tick()
    assert flag_actions(actions) == [("raise", Priority.MEDIUM)]  # words updated, the alarm stays
    assert actions[-1].message.startswith("PHQ-9 item 9 = 1") and "more" not in actions[-1].message


@pytest.fixture
def core(tmp_path, monkeypatch):
    monkeypatch.setattr("monitor.live.core.OUTCOME_POLL_S", 0.05)
    c = MonitorCore(Store(tmp_path / "s.db"), [])
    c.start(SessionInfo(patient_id="P1", weight_kg=70, dose_mg_per_kg=0.5, infusion_min=40))
    yield c
    c.stop()


def flag_alarm(core: MonitorCore):
    return next((a for a in core.alarm_view().active if a.condition == AppAlarm.OUTCOME_FLAG), None)


def test_acknowledge_does_not_end_the_flag_alarm_only_a_review_does(core):
    score = phq9(2)
    core.clinical.record_outcome(score)
    assert wait_for(lambda: flag_alarm(core) is not None, 5)
    assert flag_alarm(core).priority is Priority.MEDIUM and core.alarm_view().audible is Priority.MEDIUM
    core.acknowledge("nurse")
    alarm = flag_alarm(core)
    assert alarm is not None and alarm.acknowledged and core.alarm_view().audible is None
    core.clinical.review_outcome_flag(score.id, "Dr Lee", "assessed before the infusion")
    assert wait_for(lambda: flag_alarm(core) is None, 5)
    core.stop()
    found = outcomes_of(core.store, core.session_id)
    assert found.scores == (score,) and [r.reviewer for r in found.reviews] == ["Dr Lee"]
    assert found.flags()[0].reviewed


def test_an_entry_imported_into_the_running_session_by_another_program_raises_the_flag(core, tmp_path):
    other = Store(tmp_path / "s.db")  # e.g. `infusion-monitor outcome` from another process
    score = phq9(1, user="EHR", mode="import")
    other.append_journal(core.session_id, score, score.user, time.time())
    other.close()
    assert wait_for(lambda: flag_alarm(core) is not None, 5)
    assert core.clinical.status().outcomes == (score,)
    core.clinical.review_outcome_flag(score.id, "Dr Lee", "called the patient")
    assert wait_for(lambda: flag_alarm(core) is None, 5)
