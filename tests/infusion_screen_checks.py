"""The infusion's Rate and Start on a real display at 1366 x 768, driven by clicks and keys in the real modal
dialogs: a rate shows its dose rate, end and dose by the end before *Change rate*; above the soft limit it needs
the tick (recorded in the reason), above the hard limit it is refused; Start names every unmet item once and
records the answer.

Run by tests/ui/test_infusion_screens.py on Xvfb with QT_QPA_PLATFORM=xcb; pictures go to $SCREEN_SHOTS_DIR when set.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import truth_screen_checks as truth
from flag_screen_checks import SCREEN, click, fits
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget
from stored import journal

from monitor.alarms import Priority
from monitor.alarms.keys import AppAlarm
from monitor.clinical.infusion import InfusionState
from monitor.live.core import MonitorCore, SessionInfo
from monitor.storage.store import Store
from ui import gallery
from ui.dialogs import ItemsDialog, RateDialog

app, shots = truth.app, truth.shots  # the fixtures: the dark desktop, where the pictures go


def in_modal(drive: Callable[[QWidget], None]) -> list[BaseException]:
    """Drive the next modal dialog from inside its own exec loop; return the failures met there (raised later)."""
    failures: list[BaseException] = []

    def attempt(tries: int = 200) -> None:
        modal = QApplication.activeModalWidget()
        if modal is None and tries:
            QTimer.singleShot(25, lambda: attempt(tries - 1))
            return
        try:
            assert modal is not None, "no dialog opened"
            drive(modal)
        except BaseException as exc:  # noqa: BLE001 (kept and raised by the test, after the dialog closes)
            failures.append(exc)
            if modal is not None:
                modal.reject()

    QTimer.singleShot(0, attempt)
    return failures


@pytest.fixture
def window(tmp_path, qtbot):
    """The monitor of a 70 kg patient, 0.5 mg/kg over 40 min (150 mL/h from a 100 mL bag), AB at the monitor; the
    start dialog's checklist has the driver unticked."""
    from ui.monitor.main_window import MainWindow

    store = Store(tmp_path / "chair.db")
    core = MonitorCore(store, [])
    core.start(SessionInfo(patient_id="P-KET-07", weight_kg=70, dose_mg_per_kg=0.5, infusion_min=40, bag_ml=100,
                           extra={"checklist": {"fasting": True, "driver_arranged": False, "consent": True}}),
               operator="AB")
    win = MainWindow(core)
    qtbot.addWidget(win)
    gallery.shown(win, SCREEN)
    try:
        yield win
    finally:
        win.timer.stop()
        win.hide()
        core.stop()
        store.close()


def type_rate(qtbot, dialog: RateDialog, rate: str, reason: str) -> None:
    dialog.rate.selectAll()
    qtbot.keyClicks(dialog.rate, rate)
    dialog.reason.clear()
    qtbot.keyClicks(dialog.reason, reason)
    gallery.settle(100)


def test_a_rate_above_the_soft_limit_is_shown_confirmed_by_a_tick_and_recorded(app, qtbot, window, shots):
    core = window.core
    core.infusion_action("start", user="AB", confirm_soft_limits=True)
    window.refresh()
    failures: list[str] = []

    def soft(dialog: QWidget) -> None:
        assert isinstance(dialog, RateDialog)
        type_rate(qtbot, dialog, "100", "BP rising")
        assert (dialog.dose_rate.text(), dialog.dose_by_end.text()) == ("0.50 mg/kg/h", "35.0 mg (0.50 mg/kg)")
        assert "(in " in dialog.ends.text() and not dialog.soft_ok.isVisible() and dialog.ok.isEnabled()
        assert dialog.limit.text() == "Within the drug library's limits."
        type_rate(qtbot, dialog, "400", "behind schedule, on advice of Dr Lee")
        assert dialog.dose_rate.text() == "2.00 mg/kg/h"
        assert "above the soft limit of 1.5 mg/kg/h" in dialog.limit.text()
        assert dialog.soft_ok.isVisible() and not dialog.soft_ok.isChecked() and not dialog.ok.isEnabled()
        gallery.grab(dialog, shots / "rate-soft-limit-unticked.png")
        failures.extend(fits("rate dialog, soft limit", dialog))
        click(qtbot, dialog.soft_ok)
        assert dialog.ok.isEnabled()
        dialog._clock.timeout.emit()  # the figures refresh while the dialog is open; the tick stays
        assert dialog.soft_ok.isChecked() and dialog.ok.isEnabled()
        gallery.grab(dialog, shots / "rate-soft-limit-ticked.png")
        click(qtbot, dialog.ok)

    errors = in_modal(soft)
    click(qtbot, window.infusion.buttons["rate"])
    assert not errors, errors
    last = core.infusion.log[-1]
    assert (last.kind, last.rate_ml_per_h, last.user) == ("rate_changed", 400.0, "AB")
    assert last.reason.startswith("behind schedule, on advice of Dr Lee (soft limit confirmed: Rate 400 mL/h")
    assert not failures, "\n".join(failures)
    core.stop()
    rows = journal(core.store.path, core.session_id, "infusion")
    assert [(d["kind"], d["reason"], u) for d, u in rows if d["kind"] == "rate_changed"] == [
        ("rate_changed", last.reason, "AB")]


def test_a_rate_above_the_hard_limit_cannot_be_set(app, qtbot, window, shots):
    core = window.core
    core.infusion_action("start", user="AB", confirm_soft_limits=True)
    window.refresh()

    def hard(dialog: QWidget) -> None:
        assert isinstance(dialog, RateDialog)
        type_rate(qtbot, dialog, "1300", "typo")
        assert dialog.limit.text().startswith("Refused: Rate 1300 mL/h gives 6.5 mg/kg/h")
        assert not dialog.soft_ok.isVisible() and not dialog.ok.isEnabled()
        gallery.grab(dialog, shots / "rate-hard-limit.png")
        click(qtbot, dialog.ok)  # disabled: nothing happens
        assert dialog.isVisible()
        dialog.reject()

    errors = in_modal(hard)
    click(qtbot, window.infusion.buttons["rate"])
    assert not errors, errors
    assert [e.kind for e in core.infusion.log] == ["started"]
    assert core.infusion.state is InfusionState.RUNNING and core.infusion.current_rate_ml_per_h == 150.0


def answer(qtbot, dialog: QWidget, yes: bool) -> None:
    assert isinstance(dialog, ItemsDialog)
    click(qtbot, dialog.yes if yes else dialog.no)


def test_start_names_every_unmet_item_once_and_records_the_answer(app, qtbot, window, shots):
    core = window.core
    core.raise_technical(AppAlarm.RECORDING, Priority.HIGH, "Recording failed: the database refuses rows")
    window.refresh()
    failures: list[str] = []
    texts: list[str] = []

    def wait(dialog: QWidget) -> None:
        assert isinstance(dialog, ItemsDialog) and dialog.no.isDefault()
        texts.extend(label.text() for label in dialog.items)
        gallery.settle(200)
        gallery.grab(dialog, shots / "start-checkpoint.png")
        failures.extend(fits("start checkpoint", dialog))
        answer(qtbot, dialog, yes=False)

    errors = in_modal(wait)
    click(qtbot, window.infusion.buttons["start"])
    assert not errors, errors
    assert core.infusion.state is InfusionState.NOT_STARTED
    assert texts == ["•  High alarm: Recording failed: the database refuses rows",
                     "•  No baseline BP: the rise alarms stay off for this infusion",
                     "•  Baseline scales not recorded: MOAA/S, CADSS, nausea 0-10, anxiety 0-10",
                     "•  Questionnaires due before the infusion not entered: PHQ-9, GAD-7",
                     "•  Pre-infusion checklist: driver arranged not ticked"]
    errors = in_modal(lambda dialog: answer(qtbot, dialog, yes=True))
    click(qtbot, window.infusion.buttons["start"])
    assert not errors, errors
    assert core.infusion.state is InfusionState.RUNNING
    assert not failures, "\n".join(failures)
    window.refresh()
    gallery.settle(200)
    gallery.grab(window, shots / "start-checkpoint-started.png")
    core.stop()
    checks = [(d["started"], len(d["unmet"]), u) for d, u in journal(core.store.path, core.session_id, "start_check")]
    assert checks == [(False, 5, "AB"), (True, 5, "AB")]
