"""The second patient identifier on a real display, driven by keys and clicks: the Start dialog takes the date of
birth, says in one line what is wrong with a wrong one, warns when the patient was recorded with another, starts
with a right one; the monitor's header then names the patient by both identifiers, whole and legible.

Run by tests/ui/test_identity_screens.py on Xvfb with QT_QPA_PLATFORM=xcb at the size in $IDENTITY_SCREEN
(e.g. 1024x600); pictures go to $SCREEN_SHOTS_DIR when set.
"""

from __future__ import annotations

import os

import pytest
import truth_screen_checks as truth
from flag_screen_checks import click, typed_start_dialog
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QWidget
from screen_checks import clipping_failures, legibility_failures

from monitor.live.core import MonitorCore, SessionInfo
from monitor.storage.store import Store
from ui import gallery

SCREEN = tuple(int(x) for x in os.environ.get("IDENTITY_SCREEN", "1366x768").split("x"))
NAME = "x".join(map(str, SCREEN))
app, shots = truth.app, truth.shots  # the fixtures: the dark desktop, where the pictures go


def fits(name: str, top: QWidget) -> list[str]:
    """Return what keeps a top-level from being read whole on this screen (a taskbar takes 40 px).

    Text that reads unlegible is measured again after a second: a label grabbed mid-relayout (a line under a
    field appearing) has been seen drawn black once on Xvfb; a real fault fails both measures.
    """
    hint = top.minimumSizeHint().expandedTo(top.minimumSize())
    out = [] if hint.width() <= SCREEN[0] and hint.height() <= SCREEN[1] - 40 else [f"{name}: needs {hint}"]
    unlegible = legibility_failures(name, top)
    if unlegible:
        gallery.settle(1000)
        unlegible = legibility_failures(name, top)
    return out + unlegible + clipping_failures(name, top)


def retype(qtbot, field, text: str) -> None:
    field.selectAll()
    qtbot.keyClick(field, Qt.Key.Key_Delete)
    qtbot.keyClicks(field, text)
    gallery.settle(400)  # the line under the field appears or goes: the form lays out again


@pytest.fixture
def chair(tmp_path):
    """A chair's file where P-0412 was started once with the date of birth 12 March 1980."""
    store = Store(tmp_path / "chair.db")
    store.ensure_patient("P-0412", "Jordan Avery")
    store.close_session(store.create_session(patient_id="P-0412", birth_date="1980-03-12"))
    yield store
    store.close()


def test_the_start_dialog_takes_the_date_of_birth_and_says_what_is_wrong(app, qtbot, chair, shots):
    dlg = typed_start_dialog(qtbot, chair, "P-0412")
    assert dlg.why_not.text() == "Still needed: the date of birth."  # only what is missing
    qtbot.keyClicks(dlg.second, "31.02.1980")
    gallery.settle(400)
    assert dlg.second_problem.isVisible() and dlg.second_problem.text() == \
        "The date of birth 31.02.1980 is not a real date."
    assert dlg.why_not.text() == "Still needed: a valid date of birth." and not dlg.ok.isEnabled()
    gallery.grab(dlg, shots / f"identity-start-wrong-dob-{NAME}.png")
    failures = fits("start dialog, wrong date of birth", dlg)

    retype(qtbot, dlg.second, "12.03.2031")
    assert dlg.second_problem.text() == "The date of birth 12 Mar 2031 is in the future."

    retype(qtbot, dlg.second, "12.12.1980")  # a real date, but not the one recorded
    assert not dlg.second_problem.isVisible()
    assert dlg.identity_text.isVisible() and dlg.identity_text.text() == \
        "Patient P-0412 was recorded with DOB 12 Mar 1980: check the identity."
    assert dlg.why_not.text() == "Still needed: your check of the patient's identity." and not dlg.ok.isEnabled()
    gallery.grab(dlg, shots / f"identity-start-other-dob-{NAME}.png")
    failures += fits("start dialog, another date of birth", dlg)
    click(qtbot, dlg.identity_checked)
    assert dlg.ok.isEnabled()

    retype(qtbot, dlg.second, "12.03.1980")  # the one recorded: no warning, nothing to tick
    assert not dlg.identity_text.isVisible() and not dlg.identity_checked.isChecked() and dlg.ok.isEnabled()
    gallery.grab(dlg, shots / f"identity-start-ready-{NAME}.png")
    click(qtbot, dlg.ok)
    assert dlg.result() == QDialog.DialogCode.Accepted
    info = dlg.session_info()
    assert (info.patient_id, info.birth_date) == ("P-0412", "1980-03-12")
    assert not failures, "\n".join(failures)


def test_the_monitor_header_names_the_patient_by_both_identifiers(app, qtbot, chair, shots):
    from ui.monitor.main_window import MainWindow

    core = MonitorCore(chair, [])  # started as the dialog above starts it
    core.start(SessionInfo(patient_id="P-0412", patient_name="Jordan Avery", birth_date="1980-03-12", weight_kg=72,
                           dose_mg_per_kg=0.5, infusion_min=40, bag_ml=100), operator="AB")
    window = MainWindow(core)
    qtbot.addWidget(window)
    try:
        gallery.shown(window, (SCREEN[0], SCREEN[1] - 40))
        qtbot.waitUntil(lambda: window.header.patient.full_text() != "", timeout=15000)
        header = window.header.patient
        assert header.full_text() == "P-0412 · DOB 12 Mar 1980 · Jordan Avery"
        # both identifiers whole: where the header is short of room, only the name is cut
        assert header.text().startswith("P-0412 · DOB 12 Mar 1980"), f"the header shows '{header.text()}'"
        gallery.grab(window, shots / f"identity-monitor-header-{NAME}.png")
        failures = legibility_failures("monitor header", window.header)
        assert not failures, "\n".join(failures)
    finally:
        window.timer.stop()
        window.hide()
        core.stop()
