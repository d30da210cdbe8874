"""An item-9 flag left unreviewed two sessions ago, on a real display at 1366 x 768, driven by clicks: the Start
dialog lists it and refuses Start until it is read; the next session's monitor raises the flag alarm, refuses the
infusion's Start without a recorded confirmation, and *Review flag…* records the review and ends the alarm.

Run by tests/ui/test_flag_screens.py on Xvfb with QT_QPA_PLATFORM=xcb; pictures go to $SCREEN_SHOTS_DIR when set.
"""

from __future__ import annotations

import time

import pytest
import truth_screen_checks as truth
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QWidget
from screen_checks import clipping_failures, legibility_failures
from stored import journal

from monitor.alarms.keys import AppAlarm
from monitor.clinical.infusion import InfusionState
from monitor.live.core import MonitorCore
from monitor.record.outcomes import OutcomeScore
from monitor.storage.chair_patients import ChairPatients
from monitor.storage.store import Store
from ui import gallery
from ui.monitor.outcome_dialog import FlagReviewDialog
from ui.monitor.start_dialog import StartSessionDialog

SCREEN = (1366, 768)
app, shots = truth.app, truth.shots  # the fixtures: the dark desktop, where the pictures go


@pytest.fixture
def flagged(tmp_path):
    """A chair's file: P-KET-07's session 1 has an unreviewed item-9 flag, session 2 came and went without review."""
    store = Store(tmp_path / "chair.db")
    store.ensure_patient("P-KET-07", "Jordan Avery")
    first = store.create_session(patient_id="P-KET-07")
    score = OutcomeScore("phq9", (2, 2, 2, 2, 1, 2, 1, 1, 2), time.time() - 3 * 86400, "EHR", "import")
    store.append_journal(first, score, score.user, score.t)
    store.close_session(first)
    store.close_session(store.create_session(patient_id="P-KET-07"))
    yield store, score
    store.close()


def fits(name: str, top: QWidget) -> list[str]:
    hint = top.minimumSizeHint().expandedTo(top.minimumSize())
    out = [] if hint.width() <= SCREEN[0] and hint.height() <= SCREEN[1] - 40 else [f"{name}: needs {hint}"]
    return out + legibility_failures(name, top) + clipping_failures(name, top)


def click(qtbot, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.LeftButton)


def typed_start_dialog(qtbot, store: Store, patient: str, born: str = "", lookup=None) -> StartSessionDialog:
    """Open the Start dialog on screen and type into it as a nurse does: initials AB, the patient, the date of
    birth (when given), 72 kg (the plan's other fields keep their defaults), every checklist item ticked.
    lookup: the central store's answers about other chairs' flags (ChairPatients.elsewhere), if any."""
    dlg = StartSessionDialog(ChairPatients(store, lookup))
    qtbot.addWidget(dlg)
    gallery.shown(dlg)
    qtbot.keyClicks(dlg.user, "AB")
    qtbot.keyClicks(dlg.patient.lineEdit(), patient)
    qtbot.keyClicks(dlg.second, born)
    qtbot.keyClicks(dlg.weight, "72")
    for box in dlg.checks.values():
        click(qtbot, box)
    gallery.settle(200)
    return dlg


def test_the_start_dialog_lists_the_flag_and_refuses_start_until_it_is_read(app, qtbot, flagged, shots):
    store, score = flagged
    dlg = typed_start_dialog(qtbot, store, "P-KET-07", "12.03.1980")
    assert dlg.flag_group.isVisible() and dlg.flag_group.title() == "Questionnaire flag NOT REVIEWED"
    assert dlg.flag_text.text().startswith("Session 1, ") and "PHQ-9 item 9 = 2" in dlg.flag_text.text()
    assert not dlg.ok.isEnabled()
    assert dlg.why_not.text() == "Still needed: your confirmation that you read the unreviewed questionnaire flag."
    gallery.grab(dlg, shots / "flag-start-dialog-unread.png")
    failures = fits("start dialog with a flag", dlg)
    click(qtbot, dlg.ok)
    assert dlg.isVisible()  # a disabled Start does nothing
    click(qtbot, dlg.flag_seen)
    assert dlg.flag_seen.isChecked() and dlg.ok.isEnabled() and dlg.why_not.text() == ""
    gallery.grab(dlg, shots / "flag-start-dialog-read.png")
    click(qtbot, dlg.ok)
    assert dlg.result() == QDialog.DialogCode.Accepted
    extra = dlg.session_info().extra
    assert (extra["flags_seen"], extra["flags_seen_by"]) == ([score.id], "AB")
    assert not failures, "\n".join(failures)


def test_the_next_sessions_monitor_raises_the_flag_refuses_start_and_records_the_review(app, qtbot, flagged, shots,
                                                                                       monkeypatch):
    from ui.monitor.main_window import MainWindow

    store, score = flagged
    dlg = StartSessionDialog(ChairPatients(store))
    qtbot.addWidget(dlg)
    dlg.user.setText("AB")
    dlg.patient.setCurrentText("P-KET-07")
    dlg.second.setText("12.03.1980")
    dlg.weight.setText("72")
    dlg.flag_seen.setChecked(True)
    for box in dlg.checks.values():
        box.setChecked(True)
    core = MonitorCore(store, [])
    core.start(dlg.session_info(), operator="AB")
    window = MainWindow(core)
    qtbot.addWidget(window)
    try:
        gallery.shown(window, SCREEN)
        qtbot.waitUntil(lambda: any(a.condition == AppAlarm.OUTCOME_FLAG for a in core.alarm_view().active),
                        timeout=15000)
        core.enter_bp(128, 82, user="AB")  # a baseline
        qtbot.waitUntil(lambda: core.view().header.baseline_role == "ok", timeout=15000)
        window.refresh()
        gallery.settle(200)
        assert window.clinical.review_button.isEnabled()
        assert window.clinical.outcomes.full_text().startswith("⚑ PHQ-9 item 9 = 2")
        gallery.grab(window, shots / "flag-monitor-next-session.png")
        failures = legibility_failures("monitor with a carried flag", window)
        asked = []
        answer = [False]
        monkeypatch.setattr("ui.monitor.main_window.confirm_items",
                            lambda parent, title, lead, items, *a: asked.append(" / ".join(items)) or answer[0])
        click(qtbot, window.infusion.buttons["start"])
        assert len(asked) == 1 and "PHQ-9 item 9 = 2" in asked[0]
        assert core.infusion.state is InfusionState.NOT_STARTED

        def review(dialog: FlagReviewDialog) -> int:
            dialog.reviewer.setText("Dr Lee")
            dialog.note.setPlainText("assessed: passive thoughts, no plan; safety plan reviewed; may proceed")
            return 1

        monkeypatch.setattr(FlagReviewDialog, "exec", review)
        click(qtbot, window.clinical.review_button)
        qtbot.waitUntil(lambda: not any(a.condition == AppAlarm.OUTCOME_FLAG for a in core.alarm_view().active),
                        timeout=15000)
        window.refresh()
        assert not window.clinical.review_button.isEnabled()
        assert window.clinical.outcomes.full_text().endswith(
            "⚑ PHQ-9 item 9 = 2 of session 1 reviewed by Dr Lee: assessed: passive thoughts, no plan; "
            "safety plan reviewed; may proceed")
        answer[0] = True  # the other items (scales, questionnaires of this session) are gone past
        click(qtbot, window.infusion.buttons["start"])
        assert len(asked) == 2 and "PHQ-9 item 9" not in asked[1]  # not named again: reviewed
        assert core.infusion.state is InfusionState.RUNNING
        window.refresh()
        gallery.settle(200)
        gallery.grab(window, shots / "flag-monitor-reviewed.png")
    finally:
        window.timer.stop()
        window.hide()
        core.stop()
    ((review_data, user),) = journal(store.path, core.session_id, "outcome_review")
    assert (review_data["outcome_id"], user) == (score.id, "Dr Lee")
    ((seen, by),) = journal(store.path, core.session_id, "outcome_flag_override")
    assert (seen["stage"], seen["outcome_ids"], by) == ("session", [score.id], "AB")
    assert not failures, "\n".join(failures)


def review_by(reviewer: str, note: str):
    """Stand in for a clinician typing into the review dialog and pressing Record review."""

    def answer(dialog: FlagReviewDialog) -> int:
        dialog.reviewer.setText(reviewer)
        dialog.note.setPlainText(note)
        return 1

    return answer


def test_the_review_station_lists_the_flag_not_reviewed_and_records_a_late_review(app, qtbot, flagged, shots,
                                                                                  monkeypatch):
    from ui.review.window import ReviewWindow

    store, score = flagged
    window = ReviewWindow.for_database(store.path)
    qtbot.addWidget(window)
    try:
        gallery.shown(window, (SCREEN[0], SCREEN[1] - 40))
        window.open_session("1")
        qtbot.waitUntil(lambda: window.summary is not None and window.summary.meta.ref == "1", timeout=20000)
        gallery.settle(300)
        page = window.page
        assert "⚑ PHQ-9 item 9 = 2 in this session: NOT REVIEWED" in page.flags.text()
        assert page.buttons["flag"].isEnabled()
        assert window.minimumSizeHint().width() <= SCREEN[0]
        gallery.grab(window, shots / "flag-review-station-not-reviewed.png")
        failures = legibility_failures("review station with a flag", window)
        monkeypatch.setattr(FlagReviewDialog, "exec", review_by("Dr Lee", "phoned the patient: no plan; safe"))
        click(qtbot, page.buttons["flag"])
        qtbot.waitUntil(lambda: "reviewed by Dr Lee" in page.flags.text(), timeout=10000)
        assert not page.buttons["flag"].isEnabled()
        gallery.grab(window, shots / "flag-review-station-reviewed.png")
    finally:
        window.close()
    with store.lock:  # an addendum in the flag's own session: no session of the patient is running
        rows = store.db.execute("SELECT session_id, user FROM journal WHERE kind = 'outcome_review'").fetchall()
    assert rows == [(1, "Dr Lee")]
    assert not failures, "\n".join(failures)


def test_the_course_window_records_a_review(app, qtbot, flagged, monkeypatch):
    from PySide6.QtWidgets import QToolBar

    from monitor.storage.outcomes import flags_of_patient
    from monitor.storage.sessions import SqliteSessions
    from ui.review.course_view import CourseWindow

    store, score = flagged
    window = CourseWindow(SqliteSessions(store.path), "P-KET-07")
    qtbot.addWidget(window)
    try:
        gallery.shown(window, (SCREEN[0], SCREEN[1] - 40))
        monkeypatch.setattr(FlagReviewDialog, "exec", review_by("Dr Kim", "seen in clinic"))
        (action,) = [a for a in window.findChild(QToolBar).actions() if a.text() == "Review flag…"]
        assert action.isEnabled()
        action.trigger()
        (flag,) = flags_of_patient(store, "P-KET-07")
        assert [r.reviewer for r in flag.reviews] == ["Dr Kim"]
        qtbot.waitUntil(lambda: window.view.course is not None, timeout=20000)
    finally:
        window.close()
