"""Alarm burden per session and over a date range, with known answers; the burden command."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from monitor.alarms.model import AlarmEvent, AlarmKind, EventKind, Priority
from monitor.review.burden import range_burden, session_burden
from monitor.cli import main
from monitor.storage.sessions import SqliteSessions
from written import T0, Session

DAY = 86400.0


def _alarm(s: Session, t: float, alarm_id: str, priority: Priority, param: str = "spo2", last_s: float = 30.0,
           ack_after: float | None = None, technical: bool = False) -> None:
    kind = AlarmKind.TECHNICAL if technical else AlarmKind.PHYSIOLOGICAL
    cond = "no_data" if technical else f"{param}_low"
    events = [(t, EventKind.RAISED, ""), (t + last_s, EventKind.CLEARED, "")]
    if ack_after is not None:
        events.append((t + ack_after, EventKind.ACKNOWLEDGED, "AB"))
    for when, ev, user in sorted(events):
        s.rec.put(AlarmEvent(s.t0 + when, ev, alarm_id, cond, kind, priority, "m", "pulseox",
                             "" if technical else param, None, None, user))


def _two_sessions(tmp_path) -> SqliteSessions:
    a = Session(tmp_path, start=T0)
    _alarm(a, 100, "a1", Priority.HIGH, last_s=20, ack_after=10)
    _alarm(a, 200, "a2", Priority.HIGH, last_s=40, ack_after=30)
    _alarm(a, 300, "a3", Priority.MEDIUM, param="pulse_rate", last_s=60)
    _alarm(a, 400, "a4", Priority.MEDIUM, technical=True, last_s=5, ack_after=2)
    a.close(2 * 3600)
    b = Session(tmp_path, start=T0 + 2 * DAY, patient="P2")
    _alarm(b, 50, "b1", Priority.HIGH, last_s=60, ack_after=50)
    return b.close(3600)


def test_one_session_burden(tmp_path):
    sessions = _two_sessions(tmp_path)
    result = session_burden(sessions, sessions.resolve("1"))
    assert result.hours == 2.0 and len(result.alarms) == 4
    assert result.per_hour() == 2.0 and result.per_hour(Priority.HIGH) == 1.0 and result.per_hour(technical=True) == 0.5
    spo2 = next(g for g in result.groups if g.subject == "SpO₂")
    assert (spo2.count, spo2.per_hour, spo2.median_s, spo2.max_s, spo2.acknowledged, spo2.median_ack_s) == \
        (2, 1.0, 30.0, 40.0, 2, 20.0)
    pulse = next(g for g in result.groups if g.subject == "Pulse")
    assert (pulse.priority, pulse.acknowledged, pulse.median_ack_s) == (Priority.MEDIUM, 0, None)
    tech = next(g for g in result.groups if g.technical)
    assert tech.subject == "Pulse oximeter: no data" and tech.max_s == 5.0


def test_burden_over_a_date_range(tmp_path):
    sessions = _two_sessions(tmp_path)
    both = range_burden(sessions)
    assert both.hours == 3.0 and len(both.alarms) == 5 and [m.ref for m in both.sessions] == ["1", "2"]
    assert both.to_json()["by_priority"]["high"] == {"count": 3, "per_hour": 1.0}
    only_second = range_burden(sessions, since=T0 + DAY)
    assert [m.patient_id for m in only_second.sessions] == ["P2"] and only_second.per_hour() == 1.0
    assert range_burden(sessions, patient_id="P1").hours == 2.0
    assert range_burden(sessions, since=T0 + 10 * DAY).to_json()["per_hour"] == 0.0


def test_burden_command(tmp_path, capsys):
    _two_sessions(tmp_path)
    db = str(tmp_path / "s.db")
    first_day = datetime.fromtimestamp(T0).strftime("%Y-%m-%d")  # this computer's zone, as the option says
    assert main(["burden", "--db", db, "--to", first_day, "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sessions"] == ["1"] and out["alarms"] == 4 and out["unacknowledged"] == 1
    assert main(["burden", "--db", db, "--session", "2"]) == 0
    text = capsys.readouterr().out
    assert "1 session(s), 1:00:00 monitored: 1 alarms, 1.0 per hour" in text and "not a certified" in text


@pytest.mark.parametrize("args, words", [
    (["--from", "2024-13-01"], "is not a date; write it as YYYY-MM-DD"),
    (["--from", "2024-05-02", "--to", "2024-05-01"], "--to is before --from"),
    (["--session", "1", "--from", "2024-05-01"], "not both"),
])
def test_burden_command_errors(tmp_path, capsys, args, words):
    _two_sessions(tmp_path)
    assert main(["burden", "--db", str(tmp_path / "s.db"), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("infusion-monitor: error:") and words in err and len(err.splitlines()) == 1
