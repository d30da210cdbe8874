"""pytest-qt: start dialog arithmetic and limits, infusion and clinical panels in the main window, event keys, dialogs."""

from __future__ import annotations

import json
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QInputDialog

import stored
from monitor.core import MonitorCore, SessionInfo
from monitor.infusion import InfusionState
from devices.values import NibpResult, sample
from monitor.schedule import Phase
from monitor.store import Store
from ui.clinical_dialogs import DischargeDialog, MarkerEditDialog, ScalesDialog
from ui.main_window import MainWindow
from ui.start_dialog import StartSessionDialog


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "s.db")
    yield s
    s.close()


def fill(dlg: StartSessionDialog, patient="P1", weight="70", dose="0.5", minutes="40", bag="100", checks=True):
    dlg.patient.setCurrentText(patient)
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
    dlg = StartSessionDialog(store)
    qtbot.addWidget(dlg)
    assert not dlg.ok.isEnabled() and "patient ID" in dlg.why_not.text()
    fill(dlg)
    assert "Total 35.0 mg in 100 mL = 0.35 mg/mL" in dlg.figures.text()
    assert "150.0 mL/h" in dlg.figures.text() and "0.75 mg/kg/h" in dlg.figures.text()
    assert dlg.name.text() == "Ann"
    assert dlg.number.text() == "This will be infusion 3 of 6"
    assert dlg.ok.isEnabled() and not dlg.confirm.isVisibleTo(dlg)
    dlg.weight.setText("80")  # live
    assert "Total 40.0 mg" in dlg.figures.text()
    info = dlg.session_info()
    assert (info.patient_id, info.weight_kg, info.dose_mg_per_kg, info.infusion_min, info.bag_ml) == ("P1", 80, 0.5, 40, 100)
    assert info.extra["course_length"] == 6 and info.extra["soft_limits_confirmed"] is False
    assert all(info.extra["checklist"].values())


def test_start_dialog_needs_the_checklist(qtbot, store):
    dlg = StartSessionDialog(store)
    qtbot.addWidget(dlg)
    fill(dlg, checks=False)
    assert not dlg.ok.isEnabled() and "consent" in dlg.why_not.text()


def test_soft_limit_needs_the_recorded_confirmation(qtbot, store):
    dlg = StartSessionDialog(store)
    qtbot.addWidget(dlg)
    fill(dlg, dose="0.9")
    assert "above the soft limit of 0.75 mg/kg" in dlg.problems.text()
    assert dlg.confirm.isVisibleTo(dlg) and not dlg.ok.isEnabled()
    qtbot.mouseClick(dlg.confirm, Qt.LeftButton)
    assert dlg.confirm.isChecked() and dlg.ok.isEnabled()
    info = dlg.session_info()
    assert info.extra["soft_limits_confirmed"] is True and info.extra["confirmed_by"] == "nurse"
    assert "Dose 0.9 mg/kg" in info.extra["soft_limits"][0]


@pytest.mark.parametrize("field, value, words", [
    ("weight", "0", "Weight 0 kg must be above zero"),
    ("weight", "-3", "must be above zero"),
    ("weight", "500", "above the hard limit of 300 kg"),
    ("dose", "5", "above the hard limit of 1 mg/kg"),
    ("duration", "0", "Duration 0 min must be above zero"),
])
def test_hard_limit_refuses_with_the_reason_and_ok_disabled(qtbot, store, field, value, words):
    dlg = StartSessionDialog(store)
    qtbot.addWidget(dlg)
    fill(dlg)
    getattr(dlg, field).setText(value)
    assert words in dlg.problems.text() and dlg.problems.text().startswith("Refused")
    assert not dlg.ok.isEnabled() and not dlg.confirm.isVisibleTo(dlg)
    dlg.confirm.setChecked(True)  # a tick cannot override a hard limit
    assert not dlg.ok.isEnabled()


def test_not_a_number_disables_start(qtbot, store):
    dlg = StartSessionDialog(store)
    qtbot.addWidget(dlg)
    fill(dlg, weight="seventy")
    assert not dlg.ok.isEnabled() and "as numbers" in dlg.why_not.text()
    dlg.weight.setText("70,5")  # a decimal comma is accepted
    assert dlg.ok.isEnabled()


@pytest.fixture
def window(qtbot, store):
    core = MonitorCore(store, [])
    core.start(SessionInfo(patient_id="P1", weight_kg=70, dose_mg_per_kg=0.9, infusion_min=40, bag_ml=100,
                           extra={"course_length": 6, "soft_limits_confirmed": True}))
    w = MainWindow(core)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.timer.stop()
    core.stop()


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
    qtbot.mouseClick(window.infusion.buttons["start"], Qt.LeftButton)  # soft limit confirmed in the dialog
    assert core.infusion.state is InfusionState.RUNNING
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("patient nauseous", True))
    window.refresh()
    qtbot.mouseClick(window.infusion.buttons["pause"], Qt.LeftButton)
    assert core.infusion.state is InfusionState.PAUSED
    window.refresh()
    assert window.infusion.state.text() == "❚❚ Paused" and window.infusion.buttons["resume"].isEnabled()
    started = [d for d, _ in journal(core, "infusion") if d["kind"] == "started"]
    assert started and "soft limits confirmed" in started[0]["reason"]
    qtbot.waitUntil(lambda: core.clinical.phase is Phase.INFUSION, timeout=2000)
    window.clinical.refresh()
    assert window.clinical.phase.text() == "Infusion  ·  infusion 1 of 6"


def test_number_keys_mark_events_at_once_and_0_asks_for_a_note(qtbot, window, monkeypatch):
    core = window.core
    window.activateWindow()
    window.setFocus()
    qtbot.keyClick(window, Qt.Key_1)
    qtbot.keyClick(window, Qt.Key_8)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("asks for water", True))
    qtbot.keyClick(window, Qt.Key_0)
    marks = core.clinical.status().markers
    assert [m.code for m in marks] == ["nausea", "antihypertensive", "note"]
    assert marks[-1].note == "asks for water"
    window.clinical.refresh()
    assert window.clinical.list.count() == 3 and "Note: asks for water" in window.clinical.list.item(0).text()
    paused = []
    monkeypatch.setattr(core, "pause_audio", lambda user="": paused.append(user))
    qtbot.keyClick(window, Qt.Key_Space)  # Space still pauses the sound
    assert paused == ["nurse"]
    stored = journal(core, "marker")
    assert [d["code"] for d, _ in stored] == ["nausea", "antihypertensive", "note"]


def test_marker_edit_dialog_backdates_and_deletes_with_a_reason(qtbot, window):
    session = window.core.clinical
    m = session.mark("3", "nurse")
    dlg = MarkerEditDialog(m, session.markers.markers, session.markers.session_start)
    qtbot.addWidget(dlg)
    assert not dlg.save.isEnabled()
    dlg.kind.setCurrentIndex(dlg.kind.findData("headache"))
    dlg.reason.setText("wrong key")
    assert dlg.save.isEnabled() and dlg.changes() == {"code": "headache"}
    session.edit_marker(m.id, user="nurse", reason=dlg.reason.text(), **dlg.changes())
    assert [r.code for r in session.markers.history(m.id)] == ["dizziness", "headache"]


def test_scales_dialog_records_the_ticked_scales(qtbot, window):
    dlg = ScalesDialog(("moaas", "nausea"))
    qtbot.addWidget(dlg)
    assert not dlg.groups["cadss"].isChecked()
    dlg.moaas.button(4).setChecked(True)
    dlg.ratings["nausea"].setValue(3)
    scores = dlg.scores()
    assert [s.to_dict() for s in scores] == [{"scale": "moaas", "total": 4, "anchor": scores[0].anchor},
                                            {"scale": "nausea", "total": 3}]
    dlg.groups["cadss"].setChecked(True)
    dlg.cadss[0].setValue(2)
    assert dlg.cadss_total.text() == "total 2 / 24"
    for s in dlg.scores():
        window.core.clinical.record_scale(s, "nurse")
    assert window.core.clinical.status().scales_due[0].scales == ("anxiety",)


def test_discharge_dialog_computes_items_and_enables_only_when_met_or_overridden(qtbot, window):
    session = window.core.clinical
    dlg = DischargeDialog(session.discharge_unmet, sbp=150, baseline_sbp=128, spo2=96)
    qtbot.addWidget(dlg)
    assert dlg.circulation.text().startswith("1") and "22 mmHg" in dlg.circulation.text()
    assert dlg.oxygenation.text() == "2" and dlg.total.text() == "9 / 10"
    assert not dlg.ok.isEnabled()
    dlg.vitals_ok.setChecked(True)
    dlg.adult.setText("Sam")
    for box in dlg.checks.values():
        box.setChecked(True)
    assert dlg.ok.isEnabled() and dlg.unmet.text() == "All discharge criteria met."  # no infusion started yet
    dlg.spo2.setValue(89)
    assert dlg.oxygenation.text() == "0" and not dlg.ok.isEnabled()
    dlg.override.setText("discussed with the anaesthetist")
    assert dlg.ok.isEnabled() and dlg.ok.text() == "Discharge (override)"
    dlg.spo2.setValue(0)  # not measured: no score, no discharge
    assert dlg.total.text() == "— / 10" and not dlg.ok.isEnabled()


def test_discharge_from_the_panel_closes_the_session(qtbot, window, monkeypatch):
    core = window.core
    core._handle(NibpResult(time.time(), "nibp", 124, 80, 95, 70))
    core._handle(sample(time.time(), "pulseox", "spo2", 97))

    def fake_exec(dlg):
        dlg.vitals_ok.setChecked(True)
        dlg.adult.setText("Sam")
        for box in dlg.checks.values():
            box.setChecked(True)
        return QDialog.Accepted

    monkeypatch.setattr(DischargeDialog, "exec", fake_exec)
    told = []
    monkeypatch.setattr("ui.clinical_panel.QMessageBox.information", lambda *a: told.append(a[2]))
    window.show()
    qtbot.mouseClick(window.clinical.discharge_button, Qt.LeftButton)
    assert core.clinical.phase is Phase.CLOSED
    assert told and "discharged" in told[0] and not window.isVisible()  # the window closes with the session
    window.clinical.refresh()
    assert window.clinical.phase.text().startswith("Discharged") and not window.clinical.marker_buttons["1"].isEnabled()
    (entry, user), = journal(core, "discharge")
    assert entry["closed"] and entry["aldrete"]["total"] == 10 and user == "nurse"
