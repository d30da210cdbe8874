"""The course of a patient: per-infusion figures, which questionnaire counts for which infusion, PHQ-9 response
and remission, item-9 flags with their reviews, the BP forecast, and the `course` command."""

from __future__ import annotations

import json

import pytest

from course_sessions import DAY, T0, Visit, gad7, make_course, phq9
from monitor import cli
from monitor.alarms.model import Priority
from monitor.clinical.config import load_clinical_config
from monitor.review.course import CourseError, build_course, next_infusion_forecast
from monitor.clinical.forecast import EarlierInfusion, forecast_peak_sbp
from monitor.record.outcomes import OutcomeReview
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store

PRIOR = load_clinical_config().bp_forecast

#: A course with every kind of row: a flagged first PHQ-9 reviewed at once, a stopped infusion, a remission that
#: does not last, and a fifth session open with its infusion not started yet.
VISITS = [
    Visit(0, outcomes=(("phq9", phq9(22, 1), 2), ("gad7", gad7(15), 3)), reviews=((0, "Dr Lee", 5),),
          markers=("antiemetic", "antiemetic", "nausea"), alarms=(Priority.MEDIUM, Priority.HIGH), cadss=(8, 12),
          moaas=(5, 3)),
    Visit(2, sbps=(135.0, 160.0, 150.0), outcomes=(("phq9", phq9(16), 2), ("gad7", gad7(12), 3))),
    Visit(5, baseline_sbp=132.0, outcomes=(("phq9", phq9(11), 2),), infusion="stopped",
          markers=("antihypertensive",)),
    Visit(7, outcomes=(("phq9", phq9(4), 2),), spo2_low=91.0, markers=("benzodiazepine",)),
    Visit(9, baseline_sbp=124.0, outcomes=(("phq9", phq9(6, 1), 2),), infusion="not_started", open_session=True),
]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("course") / "s.db"
    make_course(path, VISITS)
    return path


@pytest.fixture(scope="module")
def course(db):
    return build_course(SqliteSessions(db), "P-1")


def test_each_infusion_shows_its_own_figures(course):
    rows = course.rows
    assert [r.number for r in rows] == [1, 2, 3, 4, 5]
    assert [r.delivered_mg for r in rows[:4]] == [35.0, 35.0, 17.5, 35.0]
    assert [r.started for r in rows] == [True, True, True, True, False]
    assert [r.dose_mg_per_kg for r in rows] == [0.5] * 5
    assert [(r.baseline_sbp, r.peak_sbp, r.sbp_rise) for r in rows[:3]] == [(128, 150, 22), (128, 160, 32),
                                                                            (132, 150, 18)]
    assert [r.min_spo2 for r in rows[:4]] == [95, 95, 95, 91]
    assert rows[0].max_cadss.total == 12 and rows[0].max_cadss.max_total == 24 and rows[0].min_moaas.total == 3
    assert rows[0].events == {"antiemetic": 2, "antihypertensive": 0, "benzodiazepine": 0}
    assert rows[2].events["antihypertensive"] == 1 and rows[3].events["benzodiazepine"] == 1
    alarms = rows[0].summary.alarm_counts()
    assert (alarms["high"], alarms["medium"], alarms["low"]) == (1, 1, 0)


def test_response_and_remission_are_read_against_the_first_phq9(course):
    totals = [r.outcome("phq9").total for r in course.rows]
    assert totals == [22, 16, 11, 4, 6]
    assert [r.phq9.response for r in course.rows] == [False, False, True, True, True]
    assert [r.phq9.remission for r in course.rows] == [False, False, False, True, False]
    assert course.first_met("response").number == 3 and course.first_met("remission").number == 4
    assert course.phq9_response is True and course.phq9_remission is False  # the latest total: 6
    assert "response yes (first met at infusion 3" in course.phq9_words()
    assert "remission no (first met at infusion 4" in course.phq9_words()


def test_with_a_single_phq9_response_and_remission_are_unknown(tmp_path):
    make_course(tmp_path / "s.db", [Visit(0, outcomes=(("phq9", phq9(3), 2),)), Visit(3)])
    c = build_course(SqliteSessions(tmp_path / "s.db"), "P-1")
    assert c.phq9_response is None and c.phq9_remission is None
    data = c.to_json()
    assert data["phq9_response"] is None and data["phq9_remission"] is None
    assert "response and remission need a second" in c.phq9_words()


def test_a_questionnaire_counts_for_the_infusion_it_was_entered_before_or_during(tmp_path):
    visits = [
        # two PHQ-9 before the first infusion: the later counts; one during it; one after it (minute 100)
        Visit(0, outcomes=(("phq9", phq9(20), -60), ("phq9", phq9(18), 5), ("gad7", gad7(9), 30),
                           ("phq9", phq9(8), 100))),
        Visit(2),  # nothing entered in this session: the entry after infusion 1 counts here
        Visit(4, outcomes=(("phq9", phq9(12), 2), ("phq9", phq9(3), 120))),  # the last one is after the course
    ]
    make_course(tmp_path / "s.db", visits)
    c = build_course(SqliteSessions(tmp_path / "s.db"), "P-1")
    first, second, third = c.rows
    assert [(s.instrument, s.total) for s in first.outcomes] == [("phq9", 18), ("gad7", 9)]
    assert len(first.entries) == 3
    assert [(s.instrument, s.total) for s in second.outcomes] == [("phq9", 8)]
    assert [s.total for s in third.outcomes] == [12]
    assert [s.total for s in c.later] == [3]
    assert c.to_json()["later_outcomes"][0]["total"] == 3


def test_every_flag_is_listed_with_its_reviews_wherever_they_were_entered(db, course):
    assert len(course.flags) == 2
    first, last = course.flags
    assert first.session.id == 1 and [r.reviewer for r in first.flag.reviews] == ["Dr Lee"]
    assert last.session.id == 5 and not last.flag.reviewed
    assert "NOT REVIEWED" in course.text()
    # a review entered later, in another session, is shown with the flag it reviews
    store = Store(db)
    store.append_journal(4, OutcomeReview(last.flag.score.id, "Dr Ng", "seen; continue", T0 + 9 * DAY + 900),
                         "Dr Ng", T0 + 9 * DAY + 900)
    store.close()
    again = build_course(SqliteSessions(db), "P-1")
    assert [r.reviewer for r in again.flags[1].flag.reviews] == ["Dr Ng"]
    flags = again.to_json()["flags"]
    assert [f["reviewed"] for f in flags] == [True, True] and flags[1]["session_id"] == 5


def test_each_infusion_has_the_forecast_of_its_earlier_ones_and_the_course_forecasts_the_one_about_to_start(course):
    earlier = [EarlierInfusion(0.5, 128, 150), EarlierInfusion(0.5, 128, 160), EarlierInfusion(0.25, 132, 150),
               EarlierInfusion(0.5, 128, 150)]
    for k, row in enumerate(course.rows):
        expected = forecast_peak_sbp(earlier[:k], 0.5, row.baseline_sbp, PRIOR)
        assert row.forecast.expected_peak == pytest.approx(expected.expected_peak)
        assert row.forecast.n_used == k
    assert course.rows[0].forecast.text.startswith("no earlier infusions: population figure +16 mmHg")
    assert course.forecast == course.rows[4].forecast  # the open session's infusion has not started
    assert course.forecast_for == "for session 5 (infusion not started yet)"
    assert "0.25-0.5 mg/kg" in course.forecast.text  # the stopped infusion counts at what was delivered
    assert [r.forecast_held() for r in course.rows] == [True, True, True, True, None]


def test_a_course_without_an_infusion_about_to_start_forecasts_the_next_one_at_the_last_dose_and_baseline(db):
    sessions = SqliteSessions(db)
    c = build_course(sessions, "P-1", until=sessions.resolve("4"))
    assert len(c.rows) == 4
    assert c.forecast_for == ("for the next infusion, at the last planned dose (0.5 mg/kg, session 4) and the last "
                              "baseline SBP (128 mmHg, session 4)")
    expected = forecast_peak_sbp([EarlierInfusion(0.5, 128, 150), EarlierInfusion(0.5, 128, 160),
                                  EarlierInfusion(0.25, 132, 150), EarlierInfusion(0.5, 128, 150)], 0.5, 128, PRIOR)
    assert c.forecast.expected_peak == pytest.approx(expected.expected_peak)
    assert c.to_json()["forecast_peak_sbp"]["for"] == c.forecast_for


def test_the_nurse_forecast_uses_the_ended_infusions_only_and_says_so_for_a_new_patient(db):
    sessions = SqliteSessions(db)
    f = next_infusion_forecast(sessions, "P-1", 0.5, 124.0, PRIOR)
    assert f.n_used == 4 and f.expected_peak == pytest.approx(build_course(sessions, "P-1").forecast.expected_peak)
    new = next_infusion_forecast(sessions, "P-NEW", 0.5, 130.0, PRIOR)
    assert new.n_used == 0 and new.text.startswith("no earlier infusions")
    assert "expected peak about 146 mmHg" in new.text
    with pytest.raises(ValueError):
        next_infusion_forecast(sessions, "P-1", 0.0, 124.0, PRIOR)


def test_a_running_infusion_is_not_an_earlier_one(tmp_path):
    make_course(tmp_path / "s.db", [Visit(0), Visit(2, infusion="running", open_session=True)])
    sessions = SqliteSessions(tmp_path / "s.db")
    c = build_course(sessions, "P-1")
    assert c.forecast.n_used == 1 and c.forecast_for.startswith("for the next infusion")
    assert next_infusion_forecast(sessions, "P-1", 0.5, 120.0, PRIOR).n_used == 1


def test_an_unknown_patient_is_a_course_error(db):
    with pytest.raises(CourseError, match="no sessions of patient 'P-404'"):
        build_course(SqliteSessions(db), "P-404")


def test_course_command_json_has_the_contract_keys(db, capsys):
    assert cli.main(["course", "--db", str(db), "--patient", "P-1", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["patient_id"] == "P-1"
    assert isinstance(data["phq9_response"], bool) and isinstance(data["phq9_remission"], bool)
    starts = [s["started_utc"] for s in data["sessions"]]
    assert starts == sorted(starts) and len(starts) == 5
    first = data["sessions"][0]
    for key in ("session_id", "started_utc", "dose_mg_per_kg", "delivered_mg", "baseline_sbp", "peak_sbp",
                "min_spo2", "max_cadss", "outcomes"):
        assert key in first, key
    assert first["outcomes"]["phq9"] == {"total": 22, "flag": True, "band": "severe",
                                         "t_utc": "2023-11-15T09:02:00.000Z"}
    assert first["outcomes"]["gad7"]["total"] == 15 and first["outcomes"]["gad7"]["flag"] is False
    assert data["sessions"][4]["delivered_mg"] is not None and data["sessions"][4]["infusion_state"] == "not_started"
    f = data["forecast_peak_sbp"]
    assert f["low"] < f["expected"] < f["high"] and f["earlier_infusions_used"] == 4


def test_course_command_text_and_errors(db, capsys):
    assert cli.main(["course", "--db", str(db), "--patient", "P-1"]) == 0
    out = capsys.readouterr().out
    assert "Course of patient P-1 (Grace Hopper): 5 sessions, 2023-11-15 to 2023-11-24" in out
    assert " 3  2023-11-20" in out and "17.5 mg" in out and "not started" in out and "22 severe FLAG item 9" in out
    assert "BP forecast for session 5 (infusion not started yet): expected peak about" in out
    assert "not a certified medical device" in out
    assert cli.main(["course", "--db", str(db), "--patient", "P-404"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == ["infusion-monitor: error: there are no sessions of patient 'P-404' in this "
                                        "database"]


def test_course_window_without_a_window_opener_says_where_to_run_it(db, capsys):
    assert cli.main(["course", "--db", str(db), "--patient", "P-1", "--window"]) == 2
    assert "opens the window" in capsys.readouterr().err


def test_a_lower_line_is_labelled_below_its_point_where_another_is_higher(course):
    from monitor.review.course import course_charts

    outcome = course_charts(course)[0]
    phq, gad = [s for s in outcome.series if s.style == "line"]
    assert [outcome.label_below(gad, i) for i in range(2)] == [True, True]  # GAD-7 15, 12 under PHQ-9 22, 16
    assert [outcome.label_below(phq, i) for i in range(5)] == [False] * 5


def test_a_peak_outside_its_forecast_range_is_said_so(tmp_path):
    make_course(tmp_path / "s.db", [Visit(0), Visit(2, sbps=(150.0, 200.0))])
    c = build_course(SqliteSessions(tmp_path / "s.db"), "P-1")
    assert [r.forecast_held() for r in c.rows] == [True, False]
    assert c.to_json()["sessions"][1]["forecast_held"] is False


@pytest.fixture(scope="module")
def ten(tmp_path_factory):
    from course_sessions import TEN

    path = tmp_path_factory.mktemp("ten") / "s.db"
    make_course(path, TEN)
    return path


def test_a_lost_remission_and_a_lost_response_are_named_with_their_infusion(ten):
    c = build_course(SqliteSessions(ten), "P-1")
    assert [(ch.what, ch.row.number, ch.met) for ch in c.changes()] == [("remission", 8, False),
                                                                        ("response", 9, False)]
    words = c.phq9_words()
    assert "remission lost at infusion 8 (2023-12-10)" in words
    assert "response lost at infusion 9 (2023-12-17) (relapse)" in words
    assert words in c.text() and c.to_json()["phq9_changes"] == [
        {"what": "remission", "infusion": 8, "session_id": 8, "met": False, "t_utc": "2023-12-10T09:02:00.000Z"},
        {"what": "response", "infusion": 9, "session_id": 9, "met": False, "t_utc": "2023-12-17T09:02:00.000Z"}]
    # before the loss nothing is said
    assert build_course(SqliteSessions(ten), "P-1", until=SqliteSessions(ten).resolve("7")).changes() == []


def test_reviewed_and_unreviewed_flags_read_differently_in_the_rows_and_the_text(ten):
    c = build_course(SqliteSessions(ten), "P-1")
    assert c.rows[0].outcome_text("phq9") == "22 severe FLAG item 9 reviewed"
    assert c.rows[8].outcome_text("phq9") == "12 moderate FLAG item 9 NOT REVIEWED"
    assert c.rows[1].flag_of("phq9") is None and c.rows[8].flag_of("phq9").reviewed is False
    text = c.text()
    assert "PHQ-9 item 9 flags: 2, 1 NOT REVIEWED" in text
    assert "NOT REVIEWED: a clinician must assess the patient" in text


def test_the_text_has_the_forecast_column_side_effects_the_total_dose_and_one_way_of_writing_mg(ten):
    c = build_course(SqliteSessions(ten), "P-1")
    row9 = c.rows[8]
    assert row9.given_text == "26.25 mg" and c.rows[0].given_text == "35 mg"
    assert row9.forecast_text().endswith(" OUTSIDE") and "OUTSIDE" not in c.rows[7].forecast_text()
    assert row9.side_effects == {"vomiting": 1} and c.rows[1].side_effects_text() == "nausea 1"
    assert c.rows[2].side_effects_text() == "none"
    assert row9.top_alarm == "high" and row9.alarms_text == "1/0/0" and c.rows[0].top_alarm is None
    lines = c.text().splitlines()
    [line9] = [ln for ln in lines if ln.startswith(" 9  2023-12-17")]
    assert row9.forecast_text() in line9 and "26.25 mg" in line9 and "vomiting 1" in line9
    assert "BP forecast" in lines[1] and "side effects" in lines[1]
    assert "Total given: 428.75 mg over 10 infusions (1 stopped early)" in lines


def test_after_an_infusion_stopped_early_the_forecast_says_so_names_its_dose_and_warns_of_the_limit(ten):
    sessions = SqliteSessions(ten)
    c = build_course(sessions, "P-1", until=sessions.resolve("9"))
    assert "infusion 9 was stopped early (BP 190/105) after 0.38 of 0.75 mg/kg: this assumes 0.75 mg/kg again" \
        in c.forecast_for
    assert c.sbp_limit == 180
    f = c.forecast
    assert f.peak_high >= 180
    assert f"CAUTION: {f.limit_text(180)}" in c.forecast_words()
    after = build_course(sessions, "P-1")  # infusion 10 completed: nothing to say about a stop
    assert "stopped early" not in after.forecast_for


def test_a_forecast_range_below_the_limit_says_nothing_of_it():
    f = forecast_peak_sbp([EarlierInfusion(0.5, 120, 136)], 0.5, 120, PRIOR)
    assert f.limit_text(180) == "" and f.limit_text(None) == ""
    assert f.limit_text(150) == f"the range reaches {f.peak_high:.0f} mmHg, at or above the SBP high-alarm limit " \
        "(150 mmHg)"
    assert f.limit_text(130).startswith(f"the expected peak reaches {f.expected_peak:.0f} mmHg")


def test_the_outcome_plot_stands_on_a_calendar_axis_with_labels_that_do_not_run_into_each_other(ten):
    from monitor.review.course import course_charts

    outcome, rise, *_ = course_charts(build_course(SqliteSessions(ten), "P-1"))
    assert outcome.title == "Outcome totals by date" and outcome.unit == "points"
    assert outcome.days == (0, 2, 4, 7, 9, 11, 18, 25, 32, 35)  # the booster weeks are wider than the induction
    assert outcome.x(6) == 18 and outcome.x_range == (-1.5, 36.5)
    ticks = outcome.ticks()
    assert [label.split("\n")[0] for _, label in ticks] == [f"#{n}" for n in range(1, 11)]  # every number
    dated = [x for x, label in ticks if label.split("\n")[1]]
    assert dated[0] == 0 and all(b - a >= 35 / 6 for a, b in zip(dated, dated[1:]))  # dates kept apart
    assert ticks[0][1] == "#1\n15 Nov"
    assert rise.days == () and rise.x(3) == 3.0  # bars stay one slot per infusion
    assert [x for x, label in rise.ticks() if label.split("\n")[1]] == [0, 2, 4, 6, 8]


def test_the_outcome_plot_marks_each_item9_flag_over_its_infusion_reviewed_or_not(ten):
    from monitor.review.course import course_charts

    outcome = course_charts(build_course(SqliteSessions(ten), "P-1"))[0]
    marks = {s.label: [i + 1 for i, v in enumerate(s.values) if v is not None] for s in outcome.series
             if s.style == "points"}
    assert marks == {"item-9 flag NOT REVIEWED": [9], "item-9 flag reviewed": [1]}


def test_an_entry_made_on_a_day_without_an_infusion_stands_at_its_own_date_on_the_outcome_plot(tmp_path):
    from monitor.review.course import between_visits, course_charts

    # a PHQ-9 three days after infusion 1 (minute 4320, entered into its session), another after the last one
    make_course(tmp_path / "s.db", [Visit(0, outcomes=(("phq9", phq9(20), 2), ("phq9", phq9(14), 3 * 1440))),
                                    Visit(7, outcomes=(("phq9", phq9(10), 2), ("phq9", phq9(9), 2 * 1440)))])
    c = build_course(SqliteSessions(tmp_path / "s.db"), "P-1")
    assert between_visits(c, "phq9") == [(3.0, 14.0), (9.0, 9.0)]
    assert between_visits(c, "gad7") == []
    outcome = course_charts(c)[0]
    [home] = [s for s in outcome.series if s.label == "PHQ-9 between visits"]
    assert [outcome.position(home, k) for k in range(2)] == [3.0, 9.0] and home.values == (14.0, 9.0)
    assert outcome.position(outcome.series[0], 1) == 7.0  # the infusions' own line stays at their days


def test_a_questionnaire_answered_between_visits_is_entered_by_date_plotted_at_it_and_read_for_relapse(
        tmp_path, capsys):
    from monitor.review.course import between_visits

    db = tmp_path / "s.db"
    make_course(db, [Visit(0, outcomes=(("phq9", phq9(20), 2),)), Visit(2, outcomes=(("phq9", phq9(4), 2),)),
                     Visit(14, outcomes=(("phq9", phq9(4), 2),))])
    # answered at home on day 6 (2023-11-21): remission and response lost between visits, regained at infusion 3
    assert cli.main(["outcome", "--db", str(db), "--patient", "P-1", "--date", "2023-11-21", "--instrument", "phq9",
                     "--items", ",".join(map(str, phq9(12)))]) == 0
    assert capsys.readouterr().out.splitlines()[0] == ("patient P-1, 2023-11-21 (kept in session 2): PHQ-9 12 of "
                                                       "27, moderate")
    c = build_course(SqliteSessions(db), "P-1")
    assert [r.outcome("phq9").total for r in c.rows] == [20, 4, 4]  # the infusions' own totals are unchanged
    assert between_visits(c, "phq9") == [(6.0, 12.0)]
    assert [ch.text for ch in c.changes()] == [
        "remission lost on 2023-11-21, between visits", "response lost on 2023-11-21, between visits (relapse)",
        "remission met again at infusion 3 (2023-11-29)", "response met again at infusion 3 (2023-11-29)"]
    assert c.to_json()["phq9_changes"][0] == {"what": "remission", "infusion": None, "session_id": None,
                                              "met": False, "t_utc": "2023-11-21T12:00:00.000Z"}


@pytest.mark.parametrize("args, said", [
    (["--patient", "P-1"], "--patient needs --date"),
    (["--patient", "P-1", "--date", "21/11/2023"], "'21/11/2023' is not a date; write it as YYYY-MM-DD"),
    (["--patient", "P-1", "--date", "2023-11-01"], "patient 'P-1' has no session on or before 2023-11-01"),
    (["--patient", "P-404", "--date", "2023-11-21"], "there are no sessions of patient 'P-404'"),
    (["--patient", "P-1", "--date", "2999-01-01"], "2999-01-01 is in the future"),
    (["--session", "1", "--date", "2023-11-21"], "--date is for a questionnaire answered between visits"),
])
def test_a_between_visit_questionnaire_that_cannot_be_placed_is_one_line_and_nothing_written(db, capsys, args, said):
    before = len(build_course(SqliteSessions(db), "P-1").rows[-1].entries)
    assert cli.main(["outcome", "--db", str(db), *args, "--instrument", "phq9", "--items", "0,0,0,0,0,0,0,0,0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and said in err[0]
    assert len(build_course(SqliteSessions(db), "P-1").rows[-1].entries) == before


def test_a_plan_recorded_from_the_command_names_each_infusion_by_its_place_in_text_and_json(tmp_path, capsys):
    """Infusion 7 of a patient planned for an induction of 6 is booster 1, never "7 of 6"; a session whose infusion
    never started has no place; the latest plan counts and the earlier one stays on record."""
    from course_sessions import TEN

    db = tmp_path / "s.db"
    make_course(db, [*TEN[:8], Visit(37, infusion="not_started")])
    base = ["course", "--db", str(db), "--patient", "P-1"]
    assert cli.main([*base, "--plan", "4", "--user", "Dr Lee"]) == 0
    assert cli.main([*base, "--plan", "6", "--over-weeks", "3", "--boosters-every-weeks", "4", "--boosters", "2",
                     "--user", "Dr Lee", "--note", "standard induction"]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1] == ("patient P-1: planned course recorded: induction of 6 infusions over 3 "
                                            "weeks, then boosters every 4 weeks (2 planned) (Dr Lee)")
    c = build_course(SqliteSessions(db), "P-1")
    assert [c.place(r) for r in c.rows] == [*(f"induction {n} of 6" for n in range(1, 7)), "booster 1 of 2",
                                            "booster 2 of 2", "not given"]
    assert [p.induction for p in c.plans] == [4, 6]
    assert cli.main([*base, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["plan"]["induction"] == 6 and data["plan"]["boosters"] == 2 and data["plan"]["by"] == "Dr Lee"
    assert data["plan"]["note"] == "standard induction" and [p["induction"] for p in data["earlier_plans"]] == [4]
    assert data["plan_places"][6:] == ["booster 1 of 2", "booster 2 of 2", "not given"]
    assert cli.main(base) == 0
    text = capsys.readouterr().out
    assert "#7 booster 1 of 2; #8 booster 2 of 2; #9 not given" in text
    assert "8 given; the plan is complete: every planned infusion is given" in text


def test_without_a_plan_the_course_says_how_to_enter_one(course):
    assert course.plan is None and course.place(course.rows[0]) == ""
    assert course.plan_words().startswith("Planned course: none entered")
    assert course.to_json()["plan"] is None


@pytest.mark.parametrize("args, said", [
    (["--plan", "6"], "--plan needs --user: the clinician who made the plan"),
    (["--plan", "0", "--user", "Dr Lee"], "an induction of 0 infusions: give 1 to 30"),
    (["--boosters", "2"], "--boosters describe a plan: give --plan N with them"),
    (["--plan", "6", "--user", "Dr Lee", "--pdf", "x.pdf"], "record the plan first (--plan), then write the document"),
    (["--pdf", "x.pdf"], "'course --pdf' draws with the window toolkit"),
])
def test_a_plan_that_cannot_be_recorded_is_one_line_and_nothing_written(db, capsys, args, said):
    assert cli.main(["course", "--db", str(db), "--patient", "P-1", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and said in err[0]
    assert build_course(SqliteSessions(db), "P-1").plans == ()


def test_a_plan_is_refused_for_a_patient_without_sessions_and_for_the_central_store(db, capsys):
    assert cli.main(["course", "--db", str(db), "--patient", "P-404", "--plan", "6", "--user", "Dr Lee"]) == 2
    assert "there are no sessions of patient 'P-404'" in capsys.readouterr().err
    assert cli.main(["course", "--central", "postgresql://x@localhost/db", "--patient", "P-1", "--plan", "6",
                     "--user", "Dr Lee"]) == 2
    assert "a plan is written to a chair's file: give --db, not --central" in capsys.readouterr().err


def test_the_start_dialogs_directory_says_where_the_next_infusion_stands_in_the_plan(tmp_path):
    from course_sessions import TEN
    from monitor.clinical.plan import CoursePlan
    from monitor.storage.chair_patients import ChairPatients

    db = tmp_path / "s.db"
    make_course(db, [*TEN[:6], Visit(12, infusion="not_started")])  # 6 given, a 7th session held
    store = Store(db)
    try:
        directory = ChairPatients(store)
        assert directory.plan_hint("P-1") == ""
        store.add_course_plan("P-1", CoursePlan(6, 3.0, 4.0, None, "Dr Lee", T0))
        assert directory.plan_hint("P-1") == ("Planned course: induction of 6 infusions over 3 weeks, then a booster "
                                              "every 4 weeks; the next infusion is booster 1")
    finally:
        store.close()
