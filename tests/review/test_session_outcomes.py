"""The outcomes of one session in its summary and in the session list: questionnaires, item-9 flags and their
reviews (wherever they were journaled), the BP forecast it had with OUTSIDE, and "stopped early" with its reason."""

from __future__ import annotations

import json

import pytest
from course_sessions import DAY, T0, Visit, make_course, phq9

from monitor import cli
from monitor.record.outcomes import OutcomeReview
from monitor.review.course import build_course
from monitor.review.session_outcomes import with_outcomes
from monitor.review.sessions_list import session_line, session_lines
from monitor.review.summary import summarize
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store

#: Session 1: a flagged PHQ-9 reviewed at once; session 2: a flagged PHQ-9 never reviewed, the infusion stopped
#: early at SBP 200 (outside its forecast); session 3: a GAD-7 only.
VISITS = [
    Visit(0, outcomes=(("phq9", phq9(22, 1), 2),), reviews=((0, "Dr Lee", 5),)),
    Visit(2, outcomes=(("phq9", phq9(16, 2), 2), ("gad7", (1,) * 7, 3)), infusion="stopped", sbps=(150.0, 200.0)),
    Visit(4, outcomes=(("gad7", (2,) * 7, 3),)),
]


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.db"
    make_course(path, VISITS)
    return path


def _summary(db, ref: str):
    source = SqliteSessions(db)
    return with_outcomes(source, summarize(source, source.resolve(ref)))


def test_the_summary_tells_the_questionnaires_flags_forecast_outside_and_the_early_stop(db):
    s = _summary(db, "2")
    data = s.to_json()
    out = data["outcomes"]
    assert [(q["instrument"], q["total"], q["band"], q["flag"]) for q in out["questionnaires"]] == [
        ("phq9", 16, "moderately severe", True), ("gad7", 7, "mild", False)]
    assert len(out["flags"]) == 1 and out["flags"][0]["reviewed"] is False and out["unreviewed_flags"] == 1
    course_row = build_course(SqliteSessions(db), "P-1").rows[1]  # the course's own figures and verdict
    assert out["forecast_held"] is False and course_row.forecast_held() is False
    assert out["forecast_peak_sbp"]["expected"] == pytest.approx(round(course_row.forecast.expected_peak, 1))
    assert data["stopped_early"] is True and data["infusion"]["stop_reason"] == "BP 190/105"
    text = s.text()
    assert "PHQ-9 16 of 27, moderately severe by AB" in text
    assert "FLAG PHQ-9 item 9 = 2" in text and "NOT REVIEWED" in text
    assert "actual peak OUTSIDE the range" in text
    assert "stopped early: BP 190/105" in text
    json.dumps(data)  # JSON-ready


def test_a_reviewed_flag_shows_who_when_and_what_and_the_forecast_held(db):
    s = _summary(db, "1")
    (flag,) = s.outcomes.flags
    assert flag.reviewed and flag.reviews[0].reviewer == "Dr Lee"
    assert s.outcomes.forecast_held is True and not s.stopped_early
    text = s.text()
    assert "reviewed by Dr Lee 2023-11-15 09:05: no plan or intent; safety plan agreed" in text
    assert "NOT REVIEWED" not in text and "within the range" in text


def test_a_review_entered_in_a_later_session_is_shown_with_the_flag(db):
    store = Store(db)
    review = OutcomeReview(_summary(db, "2").outcomes.flags[0].score.id, "Dr Ng", "called; seen", T0 + 4 * DAY + 600)
    store.append_journal(3, review, "Dr Ng", review.t)
    store.close()
    s = _summary(db, "2")
    assert s.outcomes.unreviewed == 0 and s.outcomes.flags[0].reviews[0].reviewer == "Dr Ng"
    lines = {line.meta.ref: line for line in session_lines(SqliteSessions(db), SqliteSessions(db).sessions())}
    assert lines["2"].unreviewed == 0 and lines["2"].flags[0].reviewed


def test_the_list_line_has_the_phq9_the_flag_mark_and_stopped_early(db):
    source = SqliteSessions(db)
    lines = {line.meta.ref: line for line in session_lines(source, source.sessions())}
    first, stopped, gad = lines["1"], lines["2"], lines["3"]
    assert (first.outcome.total, first.unreviewed, len(first.flags)) == (22, 0, 1)
    assert (stopped.outcome.instrument, stopped.outcome.total, stopped.unreviewed) == ("phq9", 16, 1)
    assert stopped.stop_reason == "BP 190/105" and stopped.state_text == "closed, stopped early"
    assert first.stop_reason is None and first.state_text == "closed"
    assert (gad.outcome.instrument, gad.outcome.total, gad.flags) == ("gad7", 14, ())
    alone = session_line(source, source.resolve("2"))  # without the patient's reviews: its own only
    assert alone.unreviewed == 1 and alone.delivered_mg == stopped.delivered_mg


def test_a_session_without_a_patient_has_its_own_outcomes_and_no_forecast(tmp_path):
    from written import Session

    s = Session(tmp_path, patient="")
    s.close(600)
    source = SqliteSessions(tmp_path / "s.db")
    summary = with_outcomes(source, summarize(source, source.resolve("1")))
    assert summary.outcomes.questionnaires == () and summary.outcomes.forecast is None
    assert summary.to_json()["outcomes"]["forecast_held"] is None


def test_summary_command_has_the_outcomes(db, capsys):
    assert cli.main(["summary", "--db", str(db), "--session", "2", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["outcomes"]["forecast_held"] is False and data["outcomes"]["unreviewed_flags"] == 1
    assert cli.main(["summary", "--db", str(db), "--session", "2"]) == 0
    assert "NOT REVIEWED" in capsys.readouterr().out


def test_a_refreshing_reader_reads_the_course_again_only_when_a_questionnaire_a_review_or_a_bp_changes_it(db):
    """The review station refreshes a running session every few seconds: the course is kept while nothing it uses
    changes (a SpO2 value does not), and read again when a review or a BP reading arrives."""
    from devices.values import NibpResult, sample
    from monitor.review.session_outcomes import CourseCache
    from monitor.storage.outcomes import flags_of_patient
    from monitor.storage.recorder import Recorder

    cache = CourseCache()
    source = SqliteSessions(db)
    first = cache.course(source, "P-1", T0 + 10 * DAY)
    store = Store(db)
    try:
        sid = store.create_session(patient_id="P-1", started_utc=T0 + 6 * DAY, tz="Europe/London")
        rec = Recorder(store, sid)
        rec.start()
        rec.put(sample(T0 + 6 * DAY + 60, "pulseox", "spo2", 97.0))
        rec.stop()
        reread = cache.course(SqliteSessions(db), "P-1", T0 + 10 * DAY)
        assert reread is not first and len(reread.rows) == 4  # a new session: read again
        source = SqliteSessions(db)
        assert cache.course(source, "P-1", T0 + 10 * DAY) is reread
        store.write_batch({"numerics": [{"session_id": sid, "t": T0 + 6 * DAY + 61, "source": "pulseox",
                                         "parameter": "spo2", "value": 96.0}]})
        assert cache.course(source, "P-1", T0 + 10 * DAY) is reread  # a SpO2 value changes nothing it uses
        open_flag = next(f for f in flags_of_patient(store, "P-1") if not f.reviewed)
        store.append_journal(sid, OutcomeReview(open_flag.score.id, "Dr Lee", "phoned", T0 + 6 * DAY + 90), "Dr Lee",
                             T0 + 6 * DAY + 90)
        reviewed = cache.course(source, "P-1", T0 + 10 * DAY)
        assert reviewed is not reread and all(f.flag.reviewed for f in reviewed.flags)
        rec = Recorder(store, sid)
        rec.start()
        rec.put(NibpResult(T0 + 6 * DAY + 120, "nibp", 131.0, 80.0, 97.0, 70.0))
        rec.stop()
        assert cache.course(source, "P-1", T0 + 10 * DAY).rows[-1].summary.peak_sbp.value == 131.0
    finally:
        store.close()
