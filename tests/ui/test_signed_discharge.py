"""pytest-qt: with a staff list, *Discharge…* closes the session only once the user at the monitor signs with their
PIN, and the record names the signer; cancelling the PIN leaves the session open."""

from __future__ import annotations

import time

import pytest
from monitor_window import shown_window
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog
from staff_fixtures import staff_book

from devices.values import NibpResult, sample
from monitor.clinical.schedule import Phase
from monitor.clinical.signing import Action, Signing
from monitor.live.core import MonitorCore, SessionInfo
from monitor.record.signing import Signature
from monitor.storage.store import Store
from ui.monitor.clinical_dialogs import DischargeDialog
from ui.signing import PinDialog


@pytest.fixture
def window(qtbot, tmp_path):
    book = staff_book(tmp_path / "staff.json")
    core = MonitorCore(Store(tmp_path / "s.db"), [], signing=Signing.load(book.path))
    first = core.sign(Action.SWITCH_USER, "1111", "AB")
    core.start(SessionInfo(patient_id="P1", weight_kg=70, dose_mg_per_kg=0.5, infusion_min=40, bag_ml=100),
               operator=first.initials)
    yield from shown_window(qtbot, core)


def on_pin_dialog(pin: str | None) -> None:
    """Once the PIN dialog is open, type pin and Enter (None: cancel it)."""

    def run() -> None:
        dialog = next((w for w in QApplication.topLevelWidgets() if isinstance(w, PinDialog) and w.isVisible()), None)
        if dialog is None:
            QTimer.singleShot(20, run)
        elif pin is None:
            dialog.reject()
        else:
            QTest.keyClicks(dialog.pin, pin)
            QTest.keyClick(dialog.pin, Qt.Key_Return)

    QTimer.singleShot(20, run)


def test_discharge_is_signed_by_the_users_pin_and_names_the_signer(qtbot, window, monkeypatch):
    core = window.core
    core.feed(NibpResult(time.time(), "nibp", 124, 80, 95, 70))
    core.feed(sample(time.time(), "pulseox", "spo2", 97))
    core.infusion_action("start", user="AB")
    core.infusion_action("stop", user="AB", reason="patient asked to stop")
    qtbot.waitUntil(lambda: core.clinical.phase is Phase.OBSERVATION, timeout=5000)
    window.refresh()

    def filled(dlg: DischargeDialog) -> int:
        for combo in dlg.items.values():
            combo.setCurrentIndex(combo.findData(2))
        dlg.vitals_ok.setChecked(True)
        dlg.adult.setText("Sam")
        dlg.who.setText("somebody else")
        for box in dlg.checks.values():
            box.setChecked(True)
        dlg.override.setText("observation shortened on the physician's order")
        return QDialog.Accepted

    monkeypatch.setattr(DischargeDialog, "exec", filled)
    monkeypatch.setattr("ui.monitor.clinical_panel.tell", lambda *a, **k: None)
    on_pin_dialog(None)
    qtbot.mouseClick(window.clinical.discharge_button, Qt.LeftButton)
    assert core.clinical.phase is Phase.OBSERVATION  # no PIN, no discharge
    on_pin_dialog("1111")
    qtbot.mouseClick(window.clinical.discharge_button, Qt.LeftButton)
    assert core.clinical.phase is Phase.CLOSED
    core.stop()
    read = core.store.journal_records(core.session_id, ("discharge", "signature")).entries
    discharge = next(e for e in read if e.kind == "discharge")
    assert discharge.record.checked_by == "AB" and discharge.user == "AB"
    assert [e.record for e in read if e.kind == "signature"][-1] == Signature("discharge", "AB", True, "Anna Berg",
                                                                              "nurse")
