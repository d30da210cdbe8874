"""pytest-qt: start dialog arithmetic and limits, infusion and clinical panels in the main window, event keys, dialogs."""

from __future__ import annotations

import time

import pytest
import stored
from monitor_window import shown_window
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from devices.values import NibpResult, sample
from monitor.clinical.infusion import InfusionState
from monitor.clinical.plan import CoursePlan
from monitor.clinical.schedule import Phase
from monitor.live.core import MonitorCore, SessionInfo
from monitor.storage.chair_patients import ChairPatients
from monitor.storage.store import Store
from ui.monitor.clinical_dialogs import DischargeDialog, MarkerEditDialog, ScalesDialog
from ui.monitor.start_dialog import StartSessionDialog


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "s.db")
    yield s
    s.close()


def fill(dlg: StartSessionDialog, patient="P1", weight="70", dose="0.5", minutes="40", bag="100", checks=True,
         user="AB", born="12.03.1980"):
    dlg.user.setText(user)
    dlg.patient.setCurrentText(patient)
    dlg.second.setText(born)
    dlg.weight.setText(weight)
    dlg.dose.setText(dose)
    dlg.duration.setText(minutes)
    dlg.bag.setText(bag)
    for box in dlg.checks.values():
        box.setChecked(checks)


def test_start_dialog_shows_live_arithmetic_and_the_course_number(qtbot, store):
    store.ensure_patient("P1", "Ann")
    store.create_session(patient_id="P1")
    store.create_session(patient_id="P1")
    dlg = StartSessionDialog(ChairPatients(store))
    qtbot.addWidget(dlg)
    assert not dlg.ok.isEnabled() and "patient ID" in dlg.why_not.text() and "initials or name" in dlg.why_not.text()
    fill(dlg)
    assert "Total 35.0 mg in 100 mL = 0.35 mg/mL" in dlg.total.text() and "0.75 mg/kg/h" in dlg.total.text()
    assert dlg.rate.text() == "Set pump to 150.0 mL/h"
    assert dlg.draw.text() == "Draw up 0.70 mL of ketamine 50 mg/mL into the bag"
    assert dlg.name.text() == "Ann"
    assert dlg.number.text() == "This will be infusion 3 of 6"
    assert dlg.ok.isEnabled() and not dlg.confirm.isVisibleTo(dlg)
    dlg.weight.setText("80")  # live
    assert "Total 40.0 mg" in dlg.total.text() and dlg.draw.text().startswith("Draw up 0.80 mL")
    info = dlg.session_info()
    assert dlg.operator() == "AB" and dlg.outcomes_mode() == ""
    assert (info.patient_id, info.weight_kg, info.dose_mg_per_kg, info.infusion_min, info.bag_ml) == ("P1", 80, 0.5, 40, 100)
    assert info.extra["course_length"] == 6 and info.extra["soft_limits_confirmed"] is False
    assert all(info.extra["checklist"].values())


def test_start_dialog_names_the_next_infusion_in_the_patients_planned_course(qtbot, store):
    """A clinician's plan (course --plan) is read where the nurse starts: the next infusion's place in it."""
    store.ensure_patient("P1", "Ann")
    for _ in range(6):
        store.create_session(patient_id="P1")
    store.add_course_plan("P1", CoursePlan(6, 3.0, 4.0, None, "Dr Lee", time.time()))
    dlg = StartSessionDialog(ChairPatients(store))
    qtbot.addWidget(dlg)
    dlg.show()
    assert not dlg.plan_hint.isVisible()
    fill(dlg)
    assert dlg.plan_hint.isVisible() and dlg.plan_hint.text().startswith("Planned course: induction of 6 infusions")
    dlg.patient.setCurrentText("P2")  # another, new patient: no plan shown
    assert not dlg.plan_hint.isVisible()


def test_start_dialog_needs_the_checklist(qtbot, store):
    dlg = StartSessionDialog(ChairPatients(store))
    qtbot.addWidget(dlg)
    fill(dlg, checks=False)
    assert not dlg.ok.isEnabled() and "checklist items 1, 2, 3 ticked" in dlg.why_not.text()


def test_soft_limit_needs_the_recorded_confirmation(qtbot, store):
    dlg = StartSessionDialog(ChairPatients(store))
    qtbot.addWidget(dlg)
    fill(dlg, dose="0.9")
    assert "above the soft limit of 0.75 mg/kg" in dlg.problems.text()
    assert dlg.confirm.isVisibleTo(dlg) and not dlg.ok.isEnabled()
    assert dlg.dose.property("invalid") == "true" and dlg.weight.property("invalid") == "false"  # the field to check
    dlg.show()
    qtbot.waitExposed(dlg)
    qtbot.mouseClick(dlg.confirm, Qt.LeftButton)
    assert dlg.confirm.isChecked() and dlg.ok.isEnabled()
    info = dlg.session_info()
    assert info.extra["soft_limits_confirmed"] is True and info.extra["confirmed_by"] == "AB"
    assert "Dose 0.9 mg/kg" in info.extra["soft_limits"][0]


@pytest.mark.parametrize("field, value, words", [
    ("weight", "0", "Weight 0 kg must be above zero"),
    ("weight", "-3", "must be above zero"),
    ("weight", "500", "above the hard limit of 300 kg"),
    ("dose", "5", "above the hard limit of 1 mg/kg"),
    ("duration", "0", "Duration 0 min must be above zero"),
])
def test_hard_limit_refuses_with_the_reason_and_ok_disabled(qtbot, store, field, value, words):
    dlg = StartSessionDialog(ChairPatients(store))
    qtbot.addWidget(dlg)
    fill(dlg)
    getattr(dlg, field).setText(value)
    assert words in dlg.problems.text() and dlg.problems.text().startswith("Refused")
    assert not dlg.ok.isEnabled() and not dlg.confirm.isVisibleTo(dlg)
    dlg.confirm.setChecked(True)  # a tick cannot override a hard limit
    assert not dlg.ok.isEnabled()


def test_not_a_number_disables_start(qtbot, store):
    dlg = StartSessionDialog(ChairPatients(store))
    qtbot.addWidget(dlg)
    fill(dlg, weight="seventy")
    assert not dlg.ok.isEnabled() and dlg.why_not.text() == "Still needed: weight as a number."  # only what is missing
    dlg.weight.setText("70,5")  # a decimal comma is accepted
    assert dlg.ok.isEnabled()


@pytest.fixture
def window(qtbot, store):
    core = MonitorCore(store, [])
    core.start(SessionInfo(patient_id="P1", weight_kg=70, dose_mg_per_kg=0.9, infusion_min=40, bag_ml=100,
                           extra={"course_length": 6, "soft_limits_confirmed": True}), operator="AB")
    yield from shown_window(qtbot, core)


def journal(core: MonitorCore, kind: str) -> list[tuple[dict, str]]:
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        rows = stored.journal(core.store.path, core.session_id, kind)
        if rows:
            return rows
        time.sleep(0.05)
    return []


def test_infusion_panel_start_pause_through_the_window(qtbot, window, monkeypatch):
    core = window.core
    asked = []
    monkeypatch.setattr("ui.monitor.main_window.confirm_items",
                        lambda parent, title, lead, items, *a: asked.append((title, items)) or True)
    qtbot.mouseClick(window.infusion.buttons["start"], Qt.LeftButton)  # soft limit confirmed in the dialog
    assert core.infusion.state is InfusionState.RUNNING
    [(title, items)] = asked  # asked once, naming what is not done: no BP yet, so the rise alarms would be off
    assert title == "Start the infusion?" and "no baseline BP: the rise alarms stay off for this infusion" in items
    monkeypatch.setattr("ui.monitor.main_window.ask_text", lambda *a, **k: "patient nauseous")
    window.refresh()
    qtbot.mouseClick(window.infusion.buttons["pause"], Qt.LeftButton)
    assert core.infusion.state is InfusionState.PAUSED
    window.refresh()
    assert window.infusion.state.text() == "❚❚ PAUSED" and window.infusion.buttons["resume"].text() == "Resume"
    assert window.infusion.rate.full_text().startswith("Rate 0 mL/h")
    qtbot.mouseClick(window.infusion.buttons["resume"], Qt.LeftButton)
    assert core.infusion.state is InfusionState.RUNNING
    rows = journal(core, "infusion")
    started = [d for d, _ in rows if d["kind"] == "started"]
    assert started and "soft limits confirmed" in started[0]["reason"]
    assert {user for _, user in rows} == {"AB"}
    qtbot.waitUntil(lambda: core.clinical.phase is Phase.INFUSION, timeout=2000)
    window.refresh()
    assert window.clinical.phase.full_text() == "Infusion" and window.header.details.full_text() == \
        "70 kg   Infusion 1 of 6"
    assert window.header.baseline.full_text() == "⚠ NO BASELINE BP: rise alarms off"


def test_number_keys_mark_events_at_once_and_0_asks_for_a_note(qtbot, window, monkeypatch):
    core = window.core
    window.activateWindow()
    window.setFocus()
    qtbot.keyClick(window, Qt.Key_1)
    qtbot.keyClick(window, Qt.Key_8)
    monkeypatch.setattr("ui.monitor.clinical_panel.ask_text", lambda *a, **k: "asks for water")
    qtbot.keyClick(window, Qt.Key_0)
    marks = core.clinical.status().markers
    assert [m.code for m in marks] == ["nausea", "antihypertensive", "note"]
    assert marks[-1].note == "asks for water"
    window.refresh()
    assert window.clinical.list.count() == 3 and "Note: asks for water · AB" in window.clinical.list.item(0).text()
    paused = []
    monkeypatch.setattr(core, "pause_audio", lambda user="": paused.append(user))
    qtbot.keyClick(window, Qt.Key_Space)  # Space still pauses the sound
    assert paused == ["AB"]
    stored = journal(core, "marker")
    assert [d["code"] for d, _ in stored] == ["nausea", "antihypertensive", "note"]


def test_a_stray_key_is_undone_with_one_click(qtbot, window):
    core = window.core
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key_5)
    window.refresh()
    assert window.clinical.undo_button.isEnabled() and "Anxiety" in window.clinical.undo_text.full_text()
    qtbot.mouseClick(window.clinical.undo_button, Qt.LeftButton)
    assert core.clinical.status().markers == ()
    window.refresh()
    assert not window.clinical.undo_button.isEnabled() and window.clinical.list.item(0).text() == "No events yet"
    (entered, _), (undone, user) = journal(core, "marker")
    assert undone["deleted"] and "undone" in undone["reason"] and user == "AB"


def test_marker_edit_dialog_backdates_and_deletes_with_a_reason(qtbot, window):
    session = window.core.clinical
    m = session.mark("3", "AB")
    dlg = MarkerEditDialog(m, session.markers.markers, session.markers.session_start)
    qtbot.addWidget(dlg)
    assert not dlg.save.isEnabled()
    dlg.kind.setCurrentIndex(dlg.kind.findData("headache"))
    dlg.reason.setText("wrong key")
    assert dlg.save.isEnabled() and dlg.changes() == {"code": "headache"}
    session.edit_marker(m.id, user="AB", reason=dlg.reason.text(), **dlg.changes())
    assert [r.code for r in session.markers.history(m.id)] == ["dizziness", "headache"]


def test_scales_dialog_starts_empty_and_records_only_when_every_item_is_chosen(qtbot, window):
    dlg = ScalesDialog(("moaas", "nausea"), patient="P1")
    qtbot.addWidget(dlg)
    assert not dlg.groups["cadss"].isChecked()
    assert dlg.moaas.checkedId() == -1 and not dlg.ok.isEnabled()  # nothing chosen for the nurse
    assert dlg.unchosen() == ["MOAA/S", "nausea"]
    dlg.choose("moaas", 4)
    assert not dlg.ok.isEnabled()
    dlg.choose("nausea", 3)
    assert dlg.ok.isEnabled() and dlg.missing.text() == ""
    scores = dlg.scores()
    assert [s.to_dict() for s in scores] == [{"scale": "moaas", "total": 4, "anchor": scores[0].anchor},
                                            {"scale": "nausea", "total": 3}]
    dlg.groups["cadss"].setChecked(True)
    assert not dlg.ok.isEnabled() and "CADSS items 1, 2, 3, 4, 5, 6" in dlg.missing.text()
    for item in range(6):
        dlg.choose("cadss", 2 if item == 0 else 0, item)
    assert dlg.cadss_total.text() == "total 2 / 24" and dlg.ok.isEnabled()
    for s in dlg.scores():
        window.core.clinical.record_scale(s, "AB")
    assert window.core.clinical.status().scales_due[0].scales == ("anxiety",)


def facts(sbp=150.0, baseline=128.0, spo2=96.0):
    from monitor.live.view import DischargeFacts

    return DischargeFacts(sbp, f"SBP {sbp} mmHg at 10:00, 2 min ago", baseline, spo2, f"SpO₂ {spo2} % now",
                          "pulse 70 /min now")


def choose_all(dlg, score=2):
    for combo in dlg.items.values():
        combo.setCurrentIndex(combo.findData(score))


def test_discharge_dialog_starts_unchosen_takes_measured_values_and_needs_criteria_or_override(qtbot, window):
    session = window.core.clinical
    dlg = DischargeDialog(session.discharge_unmet, facts(), "AB", "P1")
    qtbot.addWidget(dlg)
    assert all(c.currentIndex() == -1 for c in dlg.items.values()) and dlg.total.text() == "— / 10"
    assert not dlg.ok.isEnabled() and "choose activity" in dlg.unmet.text()
    choose_all(dlg)
    assert dlg.circulation.text().startswith("1: SBP 150") and "22 mmHg from baseline 128" in dlg.circulation.text()
    assert dlg.oxygenation.text().startswith("2: ") and dlg.total.text() == "9 / 10"
    assert not dlg.ok.isEnabled()
    dlg.vitals_ok.setChecked(True)
    dlg.adult.setText("Sam")
    for box in dlg.checks.values():
        box.setChecked(True)
    assert dlg.ok.isEnabled() and dlg.unmet.text() == "All discharge criteria met."  # no infusion started yet
    low = DischargeDialog(session.discharge_unmet, facts(spo2=89.0), "AB", "P1")
    qtbot.addWidget(low)
    choose_all(low)
    low.vitals_ok.setChecked(True)
    low.adult.setText("Sam")
    for box in low.checks.values():
        box.setChecked(True)
    assert low.oxygenation.text().startswith("0: ") and not low.ok.isEnabled()
    low.override.setText("discussed with the anaesthetist")
    assert low.ok.isEnabled() and low.ok.text() == "Discharge (override)"
    none = DischargeDialog(session.discharge_unmet, facts(spo2=None), "AB", "P1")  # no live SpO2: no score
    qtbot.addWidget(none)
    choose_all(none)
    assert none.total.text() == "— / 10" and not none.ok.isEnabled() and "SpO₂" in none.unmet.text()


def test_discharge_from_the_panel_closes_the_session(qtbot, window, monkeypatch):
    core = window.core
    core.feed(NibpResult(time.time(), "nibp", 124, 80, 95, 70))
    core.feed(sample(time.time(), "pulseox", "spo2", 97))
    window.refresh()
    assert not window.clinical.discharge_button.isEnabled()  # the planned infusion has not even started
    core.infusion_action("start", user="AB", confirm_soft_limits=True)
    core.infusion_action("stop", user="AB", reason="patient asked to stop")
    qtbot.waitUntil(lambda: core.clinical.phase is Phase.OBSERVATION, timeout=3000)
    window.refresh()

    def fake_exec(dlg):
        choose_all(dlg)
        dlg.vitals_ok.setChecked(True)
        dlg.adult.setText("Sam")
        for box in dlg.checks.values():
            box.setChecked(True)
        dlg.override.setText("observation shortened on the physician's order")
        return QDialog.Accepted

    monkeypatch.setattr(DischargeDialog, "exec", fake_exec)
    told = []
    monkeypatch.setattr("ui.monitor.clinical_panel.tell", lambda parent, title, text, warning=False: told.append(text))
    window.show()
    assert window.clinical.discharge_button.isEnabled()
    qtbot.mouseClick(window.clinical.discharge_button, Qt.LeftButton)
    assert core.clinical.phase is Phase.CLOSED
    assert told and "discharged" in told[0] and not window.isVisible()  # the window closes with the session
    window.refresh()
    assert window.clinical.phase.full_text().startswith("Discharged")
    assert not window.clinical.marker_buttons["1"].isEnabled()
    (entry, user), = journal(core, "discharge")
    assert entry["closed"] and entry["aldrete"]["total"] == 10 and user == "AB"


def test_start_asks_while_an_item_9_flag_awaits_review_and_the_panel_shows_it(qtbot, window, monkeypatch):
    from monitor.clinical.outcomes import entered

    core = window.core
    score = entered("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 2], user="AB", mode="patient", cutoffs={"pcl5": 33},
                    t=time.time())
    core.clinical.record_outcome(score)
    core.enter_bp(128, 82, user="AB")  # a baseline
    qtbot.waitUntil(lambda: core.view().header.baseline_role == "ok", timeout=3000)
    window.refresh()
    assert window.clinical.outcomes.full_text().startswith("⚑ PHQ-9 item 9 = 2")
    assert window.clinical.review_button.isEnabled()
    asked = []
    answer = [False]
    monkeypatch.setattr("ui.monitor.main_window.confirm_items",
                        lambda parent, title, lead, items, *a: asked.append(" / ".join(items)) or answer[0])
    qtbot.mouseClick(window.infusion.buttons["start"], Qt.LeftButton)
    assert "PHQ-9 item 9 = 2" in asked[0] and core.infusion.state is InfusionState.NOT_STARTED
    core.clinical.review_outcome_flag(score.id, "Dr Lee", "passive thoughts, no plan; may proceed")
    window.refresh()
    answer[0] = True
    qtbot.mouseClick(window.infusion.buttons["start"], Qt.LeftButton)
    assert len(asked) == 2 and "PHQ-9" not in asked[1] and core.infusion.state is InfusionState.RUNNING
    qtbot.waitUntil(lambda: [d["started"] for d, _ in stored.journal(core.store.path, core.session_id, "start_check")]
                    == [False, True], timeout=5000)
    assert not journal(core, "outcome_flag_override")  # reviewed: nothing to go past
