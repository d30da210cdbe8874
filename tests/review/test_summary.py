"""The review summary on generated sessions with known answers, written the way the monitor writes them."""

from __future__ import annotations

import json

import pytest

from devices.values import NibpResult, sample
from monitor.alarms.lives import alarm_lives
from monitor.alarms.keys import AppAlarm
from monitor.alarms.model import AlarmEvent, AlarmKind, EventKind, Priority
from monitor.cli import main
from monitor.clinical.dosing import DosePlan
from monitor.clinical.infusion import InfusionEngine
from monitor.record.journal import MarkerRevision
from monitor.record.journal import AldreteScore, Baseline, Discharge, PhaseChange, ScaleEntry
from monitor.storage.sessions import SqliteSessions
from monitor.review.summary import HOLD_S, summarize
from written import T0, Session
from clocks import FakeClock


def test_a_desaturation_of_known_depth_and_length(tmp_path):
    s = Session(tmp_path)
    s.spo2(0, [97.0] * 200)
    s.spo2(200, [92.0] * 30 + [88.0] * 20 + [92.0] * 10)  # 60 s below 94, of which 20 s below 90, lowest 88
    s.spo2(260, [97.0] * 40)
    s.spo2(300, [93.0, None, 97.0])  # one second at 93, then no value: the no-value second is not below
    s.spo2(303, [70.0], flags=frozenset({"artifact"}))  # a motion artefact is not a desaturation
    s.spo2(304, [97.0] * 96)
    s.spo2(400, [93.0])  # then silence for 100 s: the value holds HOLD_S, the gap is not below anything
    s.spo2(500, [97.0] * 100)
    s.spo2(0, [80.0] * 10, source="pulseox-2")  # a second oximeter, after the first in device order
    summary = s.summary(at=600)
    assert summary.spo2.source == "pulseox"
    assert (summary.spo2.low.value, summary.spo2.low.t) == (88.0, T0 + 230)
    assert summary.seconds_spo2_below(94) == pytest.approx(60 + 1 + HOLD_S)
    assert summary.seconds_spo2_below(90) == pytest.approx(20)
    assert summary.spo2.covered_s == pytest.approx(600 - 1 - 1 - (100 - HOLD_S))
    [second] = [f for f in summary.figures if f.source == "pulseox-2"]
    assert second.low.value == 80.0 and second.seconds_below(90) == pytest.approx(9 + HOLD_S)  # the last holds too
    out = summary.to_json()
    assert out["min_spo2"] == 88.0 and out["min_spo2_utc"] == "2023-11-14T22:17:10.000Z"
    assert out["seconds_spo2_below_94"] == pytest.approx(61 + HOLD_S) and out["seconds_spo2_below_90"] == 20
    assert out["spo2_source"] == "pulseox"


def test_a_bp_series_with_a_known_peak(tmp_path):
    s = Session(tmp_path)
    s.rec.journal(Baseline(sbp=120.0, dbp=80.0, why="first BP before the infusion"), "", t=T0 + 5)
    for k, (sbp, dbp) in enumerate([(120, 80), (135, 88), (158, 97), (149, 92), (130, 84)]):
        s.rec.put(NibpResult(T0 + 600 * k, "nibp", float(sbp), float(dbp), (sbp + 2 * dbp) / 3, 70.0))
    s.rec.put(NibpResult(T0 + 1500, "nibp", None, None, None, None, 3, "cuff leak"))
    s.rec.put(NibpResult(T0 + 1700, "manual", 150.0, 99.0, 116.0, None, flags=frozenset({"manual"})))
    for k in range(60):
        s.rec.put(sample(T0 + 1000 + k, "pulseox", "pulse_rate", 70.0 + (k == 30) * 40))
    summary = s.summary(at=3000)
    assert (summary.peak_sbp.value, summary.peak_sbp.t, summary.peak_sbp.source) == (158.0, T0 + 1200, "nibp")
    assert (summary.peak_dbp.value, summary.peak_dbp.source) == (99.0, "manual")
    assert (summary.nibp_readings, summary.nibp_failed) == (6, 1)
    out = summary.to_json()
    assert (out["baseline_sbp"], out["baseline_dbp"], out["peak_sbp"], out["peak_dbp"]) == (120.0, 80.0, 158.0, 99.0)
    assert out["peak_sbp_utc"] == "2023-11-14T22:33:20.000Z"
    assert (out["peak_pulse"], out["peak_pulse_utc"]) == (110.0, "2023-11-14T22:30:30.000Z")
    assert "peak SBP 158 at 22:33:20, +38; DBP 99 at 22:41:40 (6 readings, 1 failed)" in summary.text()


def _infusion(steps: list[tuple[float, str, str]]) -> list:
    """Drive the real infusion engine on fake clocks: (minute, action, reason) steps; returns its events."""
    clock = FakeClock(wall_at_start=T0)
    engine = InfusionEngine(DosePlan(70, 0.5, 40, 100), clock=clock, wallclock=clock.wall)
    for minute, action, reason in steps:
        clock.t = minute * 60
        if action == "tick":
            engine.tick()
        elif action == "start":
            engine.start("AB")
        elif action == "resume":
            engine.resume("AB")
        elif action == "complete":
            engine.complete("AB")
        else:
            getattr(engine, action)(reason, "AB")
    return engine.log


def test_pauses_of_known_length_and_the_delivered_dose(tmp_path):
    s = Session(tmp_path)
    events = _infusion([(1, "start", ""), (11, "pause", "nausea"), (16, "resume", ""), (20, "pause", "BP"),
                        (23, "resume", ""), (50, "tick", ""), (52, "complete", "")])
    for ev in events:
        s.rec.journal(ev, ev.user, t=ev.t)
    summary = s.summary(at=90 * 60)
    inf = summary.infusion
    assert [(p.start_utc - T0, p.duration_s(summary.at), p.reason) for p in inf.pauses] == [
        (660.0, 300.0, "nausea"), (1200.0, 180.0, "BP")]
    assert inf.state == "completed" and inf.start_utc == T0 + 60
    assert inf.end_utc == pytest.approx(T0 + 60 + 40 * 60 + 480)  # 40 min running plus 8 min paused
    assert inf.running_s == pytest.approx(2400) and inf.confirmed_by == "AB"
    out = summary.to_json()
    assert (out["planned_mg"], out["delivered_mg"]) == (35.0, 35.0)
    assert out["infusion"]["paused_s"] == 480.0 and len(out["infusion"]["pauses"]) == 2


def test_stopped_while_paused_ends_the_pause_and_keeps_the_partial_dose(tmp_path):
    s = Session(tmp_path)
    for ev in _infusion([(0, "start", ""), (20, "pause", "agitation"), (30, "stop", "patient asked to stop")]):
        s.rec.journal(ev, ev.user, t=ev.t)
    summary = s.summary(at=40 * 60)
    inf = summary.infusion
    assert inf.state == "stopped" and inf.stop_reason == "patient asked to stop"
    assert inf.pauses[0].duration_s(summary.at) == pytest.approx(600)
    assert summary.delivered_mg == pytest.approx(17.5) and inf.running_s == pytest.approx(1200)


def test_a_running_session_is_running_and_its_dose_grows_to_now(tmp_path):
    s = Session(tmp_path)
    for ev in _infusion([(0, "start", "")]):
        s.rec.journal(ev, ev.user, t=ev.t)
    s.rec.stop()
    sessions = SqliteSessions(s.db)  # the session row is still 'running' and this process is alive
    meta = sessions.resolve("latest")
    summary = summarize(sessions, meta, now=T0 + 600)
    assert meta.state == "running" and summary.to_json()["ended_utc"] is None
    assert summary.delivered_mg == pytest.approx(150 * 0.35 * 600 / 3600)  # mL/h x mg/mL x h
    assert summarize(sessions, meta, now=T0 + 99 * 3600).delivered_mg == pytest.approx(35.0)  # never beyond the bag


def _alarm(t: float, kind: EventKind, alarm_id: str, priority: Priority, technical: bool = False, user: str = ""):
    return AlarmEvent(T0 + t, kind, alarm_id, "no_data" if technical else "spo2_low",
                      AlarmKind.TECHNICAL if technical else AlarmKind.PHYSIOLOGICAL, priority, "m",
                      "pulseox", "" if technical else "spo2", None, None, user)


ALARMS = [
    _alarm(100, EventKind.RAISED, "r-1", Priority.HIGH),
    _alarm(130, EventKind.ENDED, "r-1", Priority.HIGH),  # latched until acknowledged
    _alarm(190, EventKind.ACKNOWLEDGED, "r-1", Priority.HIGH, user="CD"),
    _alarm(190, EventKind.CLEARED, "r-1", Priority.HIGH, user="CD"),
    _alarm(200, EventKind.RAISED, "r-2", Priority.MEDIUM),
    _alarm(260, EventKind.ESCALATED, "r-2", Priority.HIGH),  # counts as high
    _alarm(300, EventKind.CLEARED, "r-2", Priority.HIGH),
    _alarm(400, EventKind.RAISED, "r-3", Priority.MEDIUM, technical=True),
    _alarm(410, EventKind.ACKNOWLEDGED, "r-3", Priority.MEDIUM, technical=True, user="AB"),
    _alarm(500, EventKind.RAISED, "r-4", Priority.LOW),  # still active at the end
    AlarmEvent(T0 + 600, EventKind.AUDIO_PAUSED, user="AB", value=120.0),  # not an alarm
]


def test_alarms_are_counted_once_each_by_their_highest_priority(tmp_path):
    s = Session(tmp_path)
    for e in ALARMS:
        s.rec.put(e)
    out = s.summary(at=1000).to_json()
    assert out["alarms"] == {"total": 4, "high": 2, "medium": 1, "low": 1, "technical": 1, "physiological": 3,
                             "flag": 0}


def test_an_item9_flag_alarm_is_counted_as_a_flag_not_as_a_medium_technical_alarm(tmp_path):
    """The flag alarm is the app's technical alarm at medium priority; counted as such, a session with no alarm
    of the patient's values read "0/1/0" in the course and the list."""
    s = Session(tmp_path)
    for kind in (EventKind.RAISED, EventKind.CLEARED):
        s.rec.put(AlarmEvent(T0 + 100 + (50 if kind is EventKind.CLEARED else 0), kind, "f-1", AppAlarm.OUTCOME_FLAG,
                             AlarmKind.TECHNICAL, Priority.MEDIUM, "PHQ-9 item 9 flag", "app", ""))
    summary = s.summary(at=1000)
    assert summary.to_json()["alarms"] == {"total": 1, "high": 0, "medium": 0, "low": 0, "technical": 0,
                                           "physiological": 0, "flag": 1}
    assert "Alarms     1: 0 high, 0 medium, 0 low (0 technical); 1 questionnaire flag alarm" in summary.text()


def test_alarm_lives_say_how_long_and_how_soon_acknowledged():
    lives = {a.alarm_id: a for a in alarm_lives(ALARMS, end=T0 + 1000)}
    assert (lives["r-1"].present_s, lives["r-1"].shown_s(T0 + 1000), lives["r-1"].seconds_to_acknowledge) == \
        (30.0, 90.0, 90.0)
    assert lives["r-1"].acknowledgements == ((T0 + 190, "CD"),)
    assert (lives["r-2"].priority, lives["r-2"].first_priority, lives["r-2"].escalated_t) == \
        (Priority.HIGH, Priority.MEDIUM, T0 + 260)
    assert lives["r-3"].technical and lives["r-3"].present_s == 600.0 and lives["r-3"].seconds_to_acknowledge == 10
    assert lives["r-4"].active and lives["r-4"].seconds_to_acknowledge is None


def test_an_escalation_needs_a_new_acknowledgement():
    """As at the chair (the engine un-acknowledges what it escalates), and as the central station shows it."""
    acked = [_alarm(0, EventKind.RAISED, "e", Priority.MEDIUM), _alarm(5, EventKind.ACKNOWLEDGED, "e", Priority.MEDIUM)]
    escalated = [*acked, _alarm(60, EventKind.ESCALATED, "e", Priority.HIGH)]
    again = [*escalated, _alarm(70, EventKind.ACKNOWLEDGED, "e", Priority.HIGH, user="CD")]
    assert [alarm_lives(log, end=T0 + 100)[0].acknowledged for log in (acked[:1], acked, escalated, again)] == \
        [False, True, False, True]
    assert alarm_lives(again, end=T0 + 100)[0].acknowledged_t == T0 + 5  # the first acknowledgement stays the first


def test_a_latched_alarm_that_came_back_under_its_id_in_an_old_log_is_two_episodes():
    """Before issue 18 the engine re-raised a latched alarm under its id: that is two alarms, not one."""
    events = [_alarm(0, EventKind.RAISED, "x", Priority.HIGH), _alarm(10, EventKind.ENDED, "x", Priority.HIGH),
              _alarm(50, EventKind.RAISED, "x", Priority.HIGH), _alarm(70, EventKind.ENDED, "x", Priority.HIGH),
              _alarm(90, EventKind.CLEARED, "x", Priority.HIGH, user="CD")]
    first, second = alarm_lives(events, end=T0 + 100)
    assert (first.alarm_id, first.present_s, first.ended_t, first.shown_s(T0 + 100)) == ("x", 10.0, T0 + 10, 90.0)
    assert (second.alarm_id, second.present_s, second.ended_t, second.shown_s(T0 + 100)) == ("x.2", 20.0, T0 + 70,
                                                                                              40.0)


def _marker(mid: str, rev: int, t: float, code: str = "nausea", reason: str = "", deleted: bool = False):
    return MarkerRevision(mid, rev, T0 + t, code, code.capitalize(), "", "AB", T0 + t + rev, reason, deleted)


def test_events_scales_phases_observation_and_discharge(tmp_path):
    s = Session(tmp_path)
    journal = [
        (60, _marker("a", 1, 600)), (61, _marker("b", 1, 700, "headache")), (62, _marker("c", 1, 800)),
        (63, _marker("b", 2, 650, "headache", reason="it began earlier")),
        (64, _marker("c", 2, 800, reason="wrong patient", deleted=True)),
        (70, PhaseChange("infusion")),
        (2470, PhaseChange("observation")),
        (2500, ScaleEntry("moaas", 4, T0 + 2500, anchor="lethargic", time_points=("end",))),
        (6000, ScaleEntry("cadss", 3, T0 + 2600, items=(1, 0, 2, 0, 0, 0), max_total=24,
                          reason="entered late from the paper form")),
        (6370, Discharge(AldreteScore(2, 2, 2, 2, 2, 10), True, "spouse", "CD", T0 + 6370, 9, True, closed=True)),
        (6370, PhaseChange("closed")),
    ]
    for t, record in journal:
        s.rec.journal(record, "CD" if isinstance(record, ScaleEntry) else "AB", t=T0 + t)
    summary = s.summary(at=6400)
    assert [(r.id, r.revision) for r in summary.markers] == [("a", 1), ("b", 2)]  # by event time, c deleted
    assert summary.marker_corrections == 2
    assert [p.phase for p in summary.phases] == ["pre_infusion", "infusion", "observation", "closed"]
    assert summary.observation_min == pytest.approx(65.0)
    out = summary.to_json()
    assert (out["events"], out["aldrete"], out["observation_min"]) == (2, 10, 65.0)
    assert [(x["scale"], x["total"], x["user"], x["reason"]) for x in out["scales"]] == [
        ("moaas", 4, "CD", None), ("cadss", 3, "CD", "entered late from the paper form")]
    assert out["discharge"]["ready"] and out["discharge"]["checked_by"] == "CD"
    assert out["event_list"][1]["reason"] == "it began earlier"


CONTRACT = ("session_id", "patient_id", "state", "started_utc", "ended_utc", "planned_mg", "delivered_mg",
            "baseline_sbp", "peak_sbp", "peak_sbp_utc", "peak_dbp", "peak_pulse", "min_spo2", "min_spo2_utc",
            "seconds_spo2_below_94", "seconds_spo2_below_90", "alarms", "events", "observation_min", "aldrete")


def test_an_empty_session_has_every_contract_key_null_or_zero(tmp_path):
    out = Session(tmp_path, plan=False).summary(at=60).to_json()
    assert set(CONTRACT) <= set(out)
    assert {k: out[k] for k in CONTRACT if out[k] is not None} == {
        "session_id": 1, "patient_id": "P1", "state": "closed", "started_utc": "2023-11-14T22:13:20.000Z",
        "ended_utc": "2023-11-14T22:14:20.000Z", "events": 0,
        "alarms": {"total": 0, "high": 0, "medium": 0, "low": 0, "technical": 0, "physiological": 0,
                   "flag": 0}}
    json.dumps(out, allow_nan=False)


def test_a_planned_infusion_never_started_delivered_nothing(tmp_path):
    out = Session(tmp_path).summary(at=60).to_json()
    assert (out["planned_mg"], out["delivered_mg"], out["infusion"]["state"]) == (35.0, 0.0, "not_started")


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_summary_command_prints_json_and_text(tmp_path, capsys):
    s = Session(tmp_path)
    s.spo2(0, [97.0] * 30 + [89.0] * 5)
    s.close(60)
    code, out, _ = _cli(capsys, "summary", "--db", str(s.db), "--session", "latest", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert (data["session_id"], data["min_spo2"], data["seconds_spo2_below_90"]) == (1, 89.0, 4 + HOLD_S)
    code, out, _ = _cli(capsys, "summary", "--db", str(s.db), "--session", "1")
    assert code == 0 and "lowest 89 % at 22:13:50" in out and "not a certified medical device" in out


@pytest.mark.parametrize("args, words", [
    (["--session", "7"], "there is no session 7"),
    (["--session", "x"], "not a number or 'latest'"),
])
def test_summary_command_errors_are_one_line(tmp_path, capsys, args, words):
    Session(tmp_path).close(60)
    code, out, err = _cli(capsys, "summary", "--db", str(tmp_path / "s.db"), *args)
    assert code == 2 and err.startswith("infusion-monitor: error:") and words in err and len(err.splitlines()) == 1


def test_summary_of_a_missing_database_is_one_line(tmp_path, capsys):
    code, _, err = _cli(capsys, "summary", "--db", str(tmp_path / "none.db"), "--session", "latest")
    assert code == 2 and "no database at" in err


def test_text_times_are_in_the_session_zone_whatever_the_reviewer_zone(tmp_path, monkeypatch):
    s = Session(tmp_path)
    s.store.update_session(s.sid, tz="Australia/Sydney")
    s.spo2(10, [85.0])
    monkeypatch.setenv("TZ", "America/New_York")
    text = s.summary(at=60).text()
    assert "lowest 85 % at 09:13:30" in text  # 22:13:30 UTC is 09:13:30 in Sydney (summer time)


def test_the_browser_line_agrees_with_the_summary(tmp_path):
    from monitor.review.sessions_list import session_line

    s = Session(tmp_path)
    s.spo2(0, [97.0] * 100 + [86.0] * 3 + [95.0] * 50)
    s.spo2(0, [80.0] * 5, source="pulseox-2")
    for ev in _infusion([(0, "start", ""), (1, "pause", "nausea")]):
        s.rec.journal(ev, ev.user, t=ev.t)
    s.rec.put(NibpResult(T0 + 30, "nibp", 141.0, 90.0, 107.0, 70.0))
    for e in ALARMS:
        s.rec.put(e)
    sessions = s.close(600)
    meta = sessions.resolve("latest")
    line, summary = session_line(sessions, meta), summarize(sessions, meta)
    assert (line.delivered_mg, line.peak_sbp, line.min_spo2) == (summary.delivered_mg, 141.0, 86.0)
    assert line.alarms == summary.alarm_counts()
