"""The central station and the review summary read one journal alike: the infusion by the engine's fold, the alarms
by their lives (against a real server: the station's own queries over the replicated rows)."""

from __future__ import annotations

import pytest
from pg import central, pg_server, replicate  # noqa: F401
from written import T0, Session

from monitor.alarms.keys import AppAlarm
from monitor.alarms.model import AlarmEvent, AlarmKind, EventKind, Priority
from monitor.central.link import ChairSettings
from monitor.central.reader import CentralSessions
from monitor.central.station import StationAlarm, active_alarms, chair_views
from monitor.clinical.dosing import DosePlan
from monitor.clinical.infusion import InfusionEngine, InfusionState
from monitor.review.summary import summarize

pytestmark = pytest.mark.slow  # a throwaway PostgreSQL server

END = 3600.0  # the session closes an hour after its start


def lived_infusion() -> list:
    """The engine's log of an infusion paused 5 min, resumed, run to its planned end by itself, then confirmed."""
    now = [0.0]
    engine = InfusionEngine(DosePlan(70, 0.5, 40, 100), clock=lambda: now[0], wallclock=lambda: T0 + now[0])
    for at, act in ((60, lambda: engine.start("AB")), (660, lambda: engine.pause("nausea", "AB")),
                    (960, lambda: engine.resume("AB")), (3000, engine.tick), (3100, lambda: engine.complete("CD"))):
        now[0] = at
        act()
    assert [e.kind for e in engine.log] == ["started", "paused", "resumed", "planned_end_reached", "completed"]
    return engine.log


def _alarm(t: float, kind: EventKind, alarm_id: str, priority: Priority, message: str, user: str = "") -> AlarmEvent:
    return AlarmEvent(T0 + t, kind, alarm_id, "spo2_low", AlarmKind.PHYSIOLOGICAL, priority, message, "pulseox",
                      "spo2", 89.0, 90.0, user)


ALARMS = [
    _alarm(100, EventKind.RAISED, "a-1", Priority.MEDIUM, "SpO2 low 89"),
    _alarm(130, EventKind.ACKNOWLEDGED, "a-1", Priority.MEDIUM, "SpO2 low 89 acknowledged by CD", "CD"),
    _alarm(200, EventKind.ESCALATED, "a-1", Priority.HIGH, "SpO2 low 89 (unacknowledged 2 min)"),  # needs a new ack
    _alarm(300, EventKind.RAISED, "a-2", Priority.LOW, "SpO2 low 93"),
    _alarm(310, EventKind.ACKNOWLEDGED, "a-2", Priority.LOW, "SpO2 low 93 acknowledged by CD", "CD"),
    _alarm(400, EventKind.RAISED, "a-3", Priority.MEDIUM, "SpO2 low 88"),
    _alarm(450, EventKind.CLEARED, "a-3", Priority.MEDIUM, "SpO2 low 88 cleared"),
]


def both_readings(central, sid: int):
    """Return chair-a's tile as the station reads it and the session's summary, both from the central store."""
    remote = CentralSessions(central.url("desk"))
    try:
        [view] = [v for v in chair_views(remote, now=T0 + END) if v.chair == "chair-a"]
        return view, summarize(remote, remote.resolve(f"chair-a:{sid}"), now=T0 + END)
    finally:
        remote.close()


def test_station_and_summary_read_the_same_journal_alike(central, tmp_path):
    s = Session(tmp_path)
    for ev in lived_infusion():
        s.rec.journal(ev, ev.user, t=ev.t)
    for e in ALARMS:
        s.rec.put(e)
    s.close(END)
    s.store.update_session(s.sid, second_id="77-1204", second_id_label="MRN")  # the clinic's own second identifier
    replicate(s.db, ChairSettings(central.url("chair-a"), "chair-a"))
    view, summary = both_readings(central, s.sid)
    assert view.second_id == summary.meta.second_id_text == "MRN 77-1204"
    inf = summary.infusion
    assert view.infusion == inf  # one fold: every figure the same, to the last field
    assert inf.state is InfusionState.COMPLETED and inf.confirmed_by == "CD" and not inf.end_to_confirm
    assert (inf.running_s, inf.paused_s, inf.delivered_mg, inf.remaining_s) == (pytest.approx(2400), 300.0, 35.0, 0)
    assert inf.end_utc == pytest.approx(T0 + 60 + 2400 + 300)  # the moment the bag emptied, not the confirmation
    shown = [life for life in summary.alarms if life.active]
    assert view.alarms == active_alarms(shown) == (
        StationAlarm(Priority.HIGH, "SpO2 low 89", False),  # escalated after its acknowledgement: not acknowledged
        StationAlarm(Priority.LOW, "SpO2 low 93", True))
    assert [life.acknowledged for life in shown] == [False, True] and view.unreadable == ()

    # a damaged row is said by both, never skipped in silence: without its confirmation the end awaits one
    assert central.query("UPDATE infusion.journal SET data = '{' WHERE chair_id = 'chair-a' AND kind = 'infusion' "
                         "AND position('\"completed\"' in data) > 0 RETURNING 1") == [(1,)]
    view, summary = both_readings(central, s.sid)
    assert view.infusion == summary.infusion and summary.infusion.end_to_confirm
    assert view.unreadable == summary.unreadable and len(view.unreadable) == 1 and "damaged" in view.unreadable[0]


def test_a_silent_chair_is_read_as_of_its_last_data_with_its_latched_alarm_and_no_baseline(central, tmp_path):
    """A running chair silent 40 s: its infusion folded to its last heartbeat, an ended SpO2 alarm with the nadir
    the numerics hold, the item-9 flag in short words, and no baseline BP (its rise alarms are off)."""
    s = Session(tmp_path)
    started = lived_infusion()[0]
    s.rec.journal(started, started.user, t=started.t)
    s.spo2(500, [95, 92, 88, 84, 86, 89, 93, 96, 97, 97])
    flag = AlarmEvent(T0 + 100, EventKind.RAISED, "f-1", AppAlarm.OUTCOME_FLAG.value, AlarmKind.TECHNICAL,
                      Priority.MEDIUM, "PHQ-9 item 9 = 2 (thoughts of being better off dead), answered “More than half "
                      "the days”: a clinician must review before the infusion", "app")
    for e in (flag, _alarm(502, EventKind.RAISED, "a-9", Priority.HIGH, "SpO2 88 < 90"),
              _alarm(507, EventKind.ENDED, "a-9", Priority.HIGH, "SpO2 88 < 90: condition ended (now 96), latched")):
        s.rec.put(e)
    s.close(None)  # still running
    s.store.update_session(s.sid, heartbeat_utc=T0 + 1000,  # its last sign of life (the recorder wrote "now")
                           birth_date="1980-03-12")
    replicate(s.db, ChairSettings(central.url("chair-a"), "chair-a"))
    remote = CentralSessions(central.url("desk"))
    try:
        [view] = [v for v in chair_views(remote, now=T0 + 1040) if v.chair == "chair-a"]
    finally:
        remote.close()
    assert view.stale and view.data_age_s == pytest.approx(40)
    assert (view.patient_id, view.second_id) == ("P1", "DOB 12 Mar 1980")  # both identifiers, as the chair shows them
    assert view.infusion.running_s == pytest.approx(1000 - 60)  # not 980: the clock stops at the last data
    assert view.baseline_sbp is None
    assert view.alarms == (
        StationAlarm(Priority.MEDIUM, "PHQ-9 item 9 = 2 · clinician to assess", False),
        StationAlarm(Priority.HIGH, "SpO₂ nadir 84 < 90", False, ended_t=T0 + 507, worst=84.0))
    assert view.top_priority is Priority.MEDIUM and view.latched_priority is Priority.HIGH
