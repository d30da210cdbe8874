"""ClinicalSession with fake clocks: phases from the infusion, BP schedule and overdue alarm, baseline, journal."""

from __future__ import annotations

import threading

import pytest

from monitor.alarms import Priority
from monitor.clinical.config import load_clinical_config
from monitor.live.core import MonitorCore, SessionInfo
from monitor.clinical.dosing import DosePlan
from monitor.clinical.infusion import InfusionEngine
from monitor.clinical.markers import MarkerError
from devices.values import NibpResult, sample
from monitor.clinical.scales import Aldrete, Moaas, Rating
from monitor.clinical.schedule import Phase
from monitor.alarms.keys import AppAlarm
from monitor.clinical.session import ClinicalSession, SessionError
from monitor.record.journal import MarkerRevision
from monitor.record.journal import SessionStart
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store
from clocks import FakeClock

CFG = load_clinical_config()
T0 = 1_700_000_000.0
MIN = 60.0


class Rig:
    """A session with a fake clock, a recording journal and baseline sink."""

    def __init__(self, commandable: bool = True, plan: DosePlan | None = DosePlan(70, 0.5, 40)) -> None:
        self.clock = FakeClock(1000.0, wall_at_start=T0)
        self.journal: list[tuple[str, dict, str]] = []
        self.baselines: dict[str, float] = {}
        self.commandable = commandable
        self.engine = None if plan is None else InfusionEngine(plan, clock=self.clock, wallclock=self.clock.wall)
        self.s = ClinicalSession(CFG, infusion=self.engine, journal=lambda rec, u: self.journal.append((rec.KIND, rec.to_data(), u)),
                                 set_baseline=self.baselines.__setitem__, nibp_commandable=lambda: self.commandable,
                                 clock=self.clock, wallclock=self.clock.wall, session_number=3, course_length=6)

    def kinds(self, kind: str) -> list[dict]:
        return [d for k, d, _ in self.journal if k == kind]

    def bp(self, sbp: float = 120, dbp: float = 80, error: str = "") -> None:
        if error:
            self.s.on_item(NibpResult(self.clock.wall(), "nibp", None, None, None, None, 1, error))
        else:
            self.s.on_item(NibpResult(self.clock.wall(), "nibp", sbp, dbp, (sbp + 2 * dbp) / 3, 70))


def test_baseline_bp_is_requested_at_once_and_only_once_while_pending():
    r = Rig()
    assert [a.kind for a in r.s.tick()] == ["nibp_start"]
    assert r.kinds("bp_request")[0]["why"] == "baseline"
    assert r.s.tick() == []  # waiting for the result
    r.clock.advance(1 * MIN)
    r.bp(130, 85)
    assert r.baselines == {"sbp": 130, "dbp": 85}
    assert r.s.baseline("sbp") == 130
    r.clock.advance(5 * MIN)
    r.bp(150, 95)  # a later pre-infusion reading does not move the baseline
    assert r.baselines["sbp"] == 130
    assert r.s.tick() == []


def test_failed_measurement_is_retried_after_a_minute():
    r = Rig()
    r.s.tick()
    r.bp(error="cuff leak")
    assert r.s.tick() == []
    r.clock.advance(1.01 * MIN)
    assert [a.kind for a in r.s.tick()] == ["nibp_start"]
    assert r.baselines == {}


def test_phases_follow_the_infusion_and_bp_is_due_every_10_then_15_min():
    r = Rig()
    r.s.tick()
    r.bp()
    r.s.on_item(sample(r.clock.wall(), "pulseox", "spo2", 97))
    r.s.on_item(sample(r.clock.wall(), "pulseox", "pulse_rate", 66))
    r.s.on_item(sample(r.clock.wall(), "pulseox", "spo2", 80, flags=frozenset({"artifact"})))  # not a baseline
    r.engine.start("nurse")
    r.s.tick()
    assert r.s.phase is Phase.INFUSION
    assert r.s.status().scales_due == () and r.s.status().scales_missed == ("Baseline",)
    assert r.baselines["spo2"] == 97 and r.baselines["pulse_rate"] == 66
    assert r.s.status().bp_due_in_s == pytest.approx(600)
    r.clock.advance(9.9 * MIN)
    assert r.s.tick() == []
    r.clock.advance(0.2 * MIN)
    assert [a.kind for a in r.s.tick()] == ["nibp_start"]
    r.bp()
    assert r.s.status().bp_due_in_s == pytest.approx(600)
    r.clock.advance(31 * MIN)  # planned end at 40 min
    r.s.tick()
    assert r.s.phase is Phase.OBSERVATION
    st = r.s.status()
    assert st.observation_remaining_s == pytest.approx(3600) and not st.observation_done
    assert st.bp_due_in_s == pytest.approx(15 * 60)
    r.clock.advance(60 * MIN)
    actions = r.s.tick()
    assert r.s.status().observation_done and r.kinds("observation_complete")
    alert = [a for a in actions if a.kind == "raise" and a.key == "observation_done"]
    assert alert and "assess the patient for discharge" in alert[0].message
    assert not [a for a in r.s.tick() if a.key == "observation_done"]  # said once
    assert [d["phase"] for d in r.kinds("phase")] == ["infusion", "observation"]


def test_overdue_bp_raises_a_medium_technical_alarm_and_a_reading_clears_it():
    r = Rig(commandable=False)
    assert r.s.tick() == []  # no device to start: the panel says "BP due"
    assert r.s.status().bp_due_in_s == 0 and r.s.status().bp_overdue_s == 0  # baseline is never overdue
    r.engine.start("nurse")
    r.s.tick()
    r.clock.advance((10 + 5) * MIN)
    assert r.s.tick() == []  # exactly 5 min overdue is not yet "> 5"
    r.clock.advance(0.1 * MIN)
    (act,) = r.s.tick()
    assert (act.kind, act.key, act.priority) == ("raise", AppAlarm.NIBP_OVERDUE, Priority.MEDIUM)
    assert "overdue" in act.message
    assert r.s.tick() == []  # raised once
    r.bp()
    assert [a.kind for a in r.s.tick()] == ["clear"]


def test_bp_now_journals_and_reports_whether_the_device_is_started():
    r = Rig(commandable=False)
    assert r.s.bp_now("nurse") is False
    r.commandable = True
    assert r.s.bp_now("nurse") is True
    assert r.s.status().bp_pending
    assert [d["auto"] for d in r.kinds("bp_request")] == [False, True]


def test_markers_are_journaled_with_every_revision():
    r = Rig()
    r.clock.advance(10 * MIN)
    m = r.s.mark("1", "nurse")
    r.s.edit_marker(m.id, user="nurse", reason="it started earlier", t=r.clock.wall() - 120)
    r.s.delete_marker(m.id, user="dr", reason="entered for the wrong patient")
    revs = r.kinds("marker")
    assert [(d["revision"], d["deleted"]) for d in revs] == [(1, False), (2, False), (3, True)]
    assert revs[1]["t"] == r.clock.wall() - 120 and revs[0]["t"] == r.clock.wall()
    assert r.s.status().markers == ()
    with pytest.raises(MarkerError):
        r.s.mark("0", "nurse")  # a note needs its text
    note = r.s.mark("0", "nurse", note="patient asks for water")
    assert r.s.status().markers == (note,)


def test_scales_are_journaled_and_clear_the_prompt():
    r = Rig()
    (due,) = r.s.status().scales_due
    assert due.code == "baseline"
    assert r.s.record_scale(Moaas(5), "nurse") == ("baseline",)
    r.s.record_scale(Rating("nausea", 2), "nurse")
    assert r.s.status().scales_due[0].scales == ("cadss", "anxiety")
    assert [d["scale"] for d in r.kinds("scale")] == ["moaas", "nausea"]
    with pytest.raises(SessionError):
        r.s.record_scale(Moaas(4), " ")


def _aldrete(sbp: float = 122, spo2: float = 97) -> Aldrete:
    return Aldrete(2, 2, 2, sbp_mmhg=sbp, baseline_sbp_mmhg=120, spo2_pct=spo2, on_oxygen=False)


def test_discharge_closes_only_when_ready_or_overridden():
    r = Rig()
    r.engine.start("nurse")
    r.s.tick()
    with pytest.raises(SessionError, match="still running"):
        r.s.discharge(_aldrete(), vitals_near_baseline=True, responsible_adult="Sam", checked_by="nurse",
                      checklist={"driver present": True})
    r.clock.advance(40 * MIN)
    r.s.tick()
    early = r.s.discharge(_aldrete(), vitals_near_baseline=True, responsible_adult="Sam", checked_by="nurse",
                          checklist={"driver present": True})
    assert not early.closed and any("observation" in u for u in early.unmet)
    r.clock.advance(61 * MIN)
    r.s.tick()
    low = r.s.discharge(_aldrete(sbp=180), vitals_near_baseline=True, responsible_adult="", checked_by="nurse",
                        checklist={"driver present": False})
    assert not low.closed and len(low.unmet) == 3  # Aldrete 8 (circulation 0), no adult, checklist
    ok = r.s.discharge(_aldrete(), vitals_near_baseline=True, responsible_adult="Sam", checked_by="nurse",
                       checklist={"driver present": True})
    assert ok.closed and r.s.phase is Phase.CLOSED and r.s.status().bp_due_in_s is None
    assert [d["closed"] for d in r.kinds("discharge")] == [False, False, True]
    with pytest.raises(SessionError, match="closed"):
        r.s.discharge(_aldrete(), vitals_near_baseline=True, responsible_adult="Sam", checked_by="nurse",
                      checklist={})


def test_override_needs_a_reason_and_is_recorded():
    r = Rig(plan=None)  # monitoring only: discharge straight from pre-infusion
    res = r.s.discharge(_aldrete(spo2=88), vitals_near_baseline=True, responsible_adult="Sam", checked_by="dr",
                        checklist={}, override_reason="transferred to ward")
    assert res.closed and res.unmet
    assert r.kinds("discharge")[0]["override_reason"] == "transferred to ward"


def test_course_text():
    assert Rig().s.status().course_text == "infusion 3 of 6"


def test_core_counts_the_patients_sessions_and_journals_them(tmp_path):
    store = Store(tmp_path / "s.db")
    for n in (1, 2):
        core = MonitorCore(store, [])
        core.start(SessionInfo(patient_id="P7", weight_kg=70, dose_mg_per_kg=0.5, infusion_min=40,
                               extra={"course_length": 6}))
        assert core.clinical is not None and core.clinical.status().course_text == f"infusion {n} of 6"
        core.clinical.mark("3", "nurse")
        core.stop()
    sessions = SqliteSessions(tmp_path / "s.db")
    record = sessions.record(sessions.resolve("2"))
    assert [r.session_number for _, r in record.entries(SessionStart)] == [2]
    assert [r.code for _, r in record.entries(MarkerRevision)] == ["dizziness"]
    assert isinstance(core.lock, type(threading.RLock()))


def test_a_stray_marker_can_be_undone_for_a_few_seconds_without_a_reason(clock):
    from monitor.clinical.session import UNDO_S, SessionError

    session = ClinicalSession(load_clinical_config(), infusion=None, journal=lambda r, u: None,
                              wallclock=clock.wall)
    first = session.mark("1", "AB")
    clock.advance(UNDO_S - 1)
    undone = session.undo_mark(first.id, "AB")
    assert undone.deleted and "undone" in undone.reason and session.status().markers == ()
    late = session.mark("2", "AB")
    clock.advance(UNDO_S + 1)
    with pytest.raises(SessionError, match="delete it with a reason"):
        session.undo_mark(late.id, "AB")


def test_the_user_at_the_monitor_is_recorded_at_start_and_at_every_switch(tmp_path):
    import stored
    from monitor.storage.store import Store

    core = MonitorCore(Store(tmp_path / "s.db"), [])
    sid = core.start(SessionInfo(patient_id="P1"), operator="AB")
    core.set_operator("AB")  # the same person: nothing to record
    core.set_operator(" Kim Lee ")
    with pytest.raises(ValueError, match="initials or name"):
        core.set_operator("  ")
    assert core.operator == "Kim Lee" and core.view().header.user == "Kim Lee"
    core.stop()
    assert stored.journal(tmp_path / "s.db", sid, "operator") == [
        ({"user": "AB", "previous": ""}, "AB"), ({"user": "Kim Lee", "previous": "AB"}, "Kim Lee")]
