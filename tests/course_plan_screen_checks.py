"""The course window's entries on a real display at 1366 x 768, driven by clicks: a planned course (the 7th of
10 infusions reads "booster 1"), a PHQ-9 answered at home between infusions 8 and 9 (on the calendar axis, and
the remission lost that day), and the course document written from its button (0600, the disclaimer on every
page, read back with pypdf).

Run by tests/ui/test_course_plan_screens.py on Xvfb with QT_QPA_PLATFORM=xcb; pictures go to $SCREEN_SHOTS_DIR.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from datetime import date

import pytest
import truth_screen_checks as truth
from course_sessions import TEN, make_course, phq9
from PySide6.QtCore import QDate, QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog, QMessageBox, QToolBar, QWidget
from screen_checks import legibility_failures
from shiboken6 import isValid

from monitor.export import ExportError
from monitor.storage.sessions import SqliteSessions
from ui import gallery
from ui.monitor.outcome_dialog import OutcomeDialog
from ui.review.course_dialogs import BetweenVisitsDialog, PlanDialog
from ui.review.course_view import CourseWindow

app, shots = truth.app, truth.shots  # the fixtures: the dark desktop, where the pictures go
#: The day the patient answered a PHQ-9 at home: between infusion 6 (2023-11-26, PHQ-9 4) and 7 (2023-12-03, 3).
HOME_DAY = date(2023, 11, 30)


@pytest.fixture
def window(app, tmp_path, qtbot):
    db = tmp_path / "course.db"
    make_course(db, TEN)
    win = CourseWindow(SqliteSessions(db), "P-1")
    qtbot.addWidget(win)
    gallery.shown(win, (1366, 740))
    qtbot.waitUntil(lambda: win.view.course is not None, timeout=60000)
    yield win
    win.close()


def on_modal(kind: type, act: Callable[[QWidget], None], timeout_s: float = 30.0) -> None:
    """Act on the next modal dialog of a kind once it is up (the click that opens it blocks in its exec)."""
    left = [int(timeout_s * 20)]

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, kind) and dialog.isVisible():
            try:
                act(dialog)
            finally:  # a failed check must not leave the test waiting on an open dialog
                QTimer.singleShot(3000, lambda: isValid(dialog) and dialog.isVisible() and dialog.reject())
        elif left[0] > 0:
            left[0] -= 1
            QTimer.singleShot(50, poll)
    QTimer.singleShot(50, poll)


def tool(win: CourseWindow, text: str) -> QWidget:
    bar = win.findChild(QToolBar)
    action = next(a for a in bar.actions() if a.text() == text)
    return bar.widgetForAction(action)


def reread(qtbot, win: CourseWindow) -> None:
    qtbot.waitUntil(lambda: win.view.course is not None, timeout=60000)
    gallery.settle(300)


def test_a_plan_entered_in_the_window_names_each_infusion_by_its_place(window, qtbot, shots):
    def fill(dlg: PlanDialog) -> None:
        dlg.induction.setValue(6)
        qtbot.keyClicks(dlg.by, "Dr Lee")
        qtbot.keyClicks(dlg.note, "standard induction")
        gallery.grab(dlg, shots / "course-plan-dialog.png")
        assert legibility_failures("plan dialog", dlg) == []
        qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.LeftButton)

    on_modal(PlanDialog, fill)
    qtbot.mouseClick(tool(window, "Planned course…"), Qt.LeftButton)
    reread(qtbot, window)
    view = window.view
    assert view.course.plan is not None and view.course.plan.by == "Dr Lee"
    assert view.cell(6, "date") == "2023-12-03\nbooster 1" and view.cell(5, "date") == "2023-11-26\ninduction 6/6"
    words = [w.text() for w in view.findChildren(type(view.title)) if w.text().startswith("Planned course:")]
    assert words and "induction of 6 infusions over 3 weeks, then a booster every 4 weeks (Dr Lee" in words[0]
    assert "next: booster 5, due around 2024-01-17" in words[0]
    gallery.grab(window, shots / "course-plan-1366.png")


def test_a_questionnaire_answered_at_home_goes_on_the_calendar_and_names_the_relapse(window, qtbot, shots):
    def ask(dlg: BetweenVisitsDialog) -> None:
        dlg.day.setDate(QDate(HOME_DAY.year, HOME_DAY.month, HOME_DAY.day))
        qtbot.keyClicks(dlg.user, "Dr Lee")
        if dlg.codes["gad7"].isChecked():  # on its box, not the middle of a stretched row
            qtbot.mouseClick(dlg.codes["gad7"], Qt.LeftButton, pos=QPoint(8, dlg.codes["gad7"].height() // 2))
        assert dlg.chosen() == ["phq9"]
        gallery.grab(dlg, shots / "course-between-visits-dialog.png")
        qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.LeftButton)

    def answer(dlg: OutcomeDialog) -> None:
        for item, score in enumerate(phq9(9)):  # mild: the remission (< 5) of infusion 6 lost that day
            qtbot.mouseClick(dlg.groups["phq9"][item].button(score), Qt.LeftButton)
        gallery.grab(dlg, shots / "course-between-visits-items.png")
        qtbot.mouseClick(dlg.save, Qt.LeftButton)

    on_modal(BetweenVisitsDialog, ask)
    on_modal(OutcomeDialog, answer, 60.0)
    qtbot.mouseClick(tool(window, "Questionnaire between visits…"), Qt.LeftButton)
    reread(qtbot, window)
    course = window.view.course
    home = [s for s in course.rows[6].entries if s.instrument == "phq9" and s.total == 9]
    assert home and course.rows[6].outcome("phq9").total == 3  # falls to infusion 7, which counts its own later one
    words = course.phq9_words()
    assert "remission lost on 2023-11-30, between visits; remission met again at infusion 7 (2023-12-03)" in words
    chart = window.view.plots.itemAt(0).widget().chart
    between = next(s for s in chart.series if s.label == "PHQ-9 between visits")
    assert list(zip(between.xs, between.values)) == [(15.0, 9.0)]  # day 15 of the course, between day 11 and 18
    gallery.grab(window, shots / "course-between-visits-1366.png")
    bar = window.view.scroll.verticalScrollBar()
    bar.setValue(bar.maximum())  # down to the plots: the home PHQ-9 between infusions 6 and 7 on the calendar
    gallery.settle(300)
    gallery.grab(window, shots / "course-between-visits-plots-1366.png")


def test_the_course_document_button_writes_a_private_pdf_with_the_disclaimer_on_every_page(window, qtbot, shots,
                                                                                           tmp_path, monkeypatch):
    """Written off the window's thread: the window answers while it writes, its button off; then 0600, every page
    with the disclaimer, and the status bar says what was written."""
    import threading

    import ui.review.report

    pypdf = pytest.importorskip("pypdf")
    out = tmp_path / "course.pdf"
    real, gate, writing = ui.review.report.write_course_pdf, threading.Event(), []

    def held(*args, **kwargs) -> int:  # the real writer, held at its start until the test has looked
        writing.append(threading.current_thread())
        assert gate.wait(60), "the test never let the writer go"
        return real(*args, **kwargs)

    monkeypatch.setattr(ui.review.report, "write_course_pdf", held)

    def save_as(dlg: QFileDialog) -> None:  # Qt's own file dialog (no desktop's on Xvfb)
        dlg.selectFile(str(out))
        gallery.grab(dlg, shots / "course-pdf-save-as.png")
        qtbot.mouseClick(dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save), Qt.LeftButton)

    button = tool(window, "Course document (PDF)…")
    on_modal(QFileDialog, save_as)
    qtbot.mouseClick(button, Qt.LeftButton)
    qtbot.waitUntil(lambda: bool(writing), timeout=30000)
    assert writing[0] is not threading.main_thread()  # not the window's thread
    ticks = []
    QTimer.singleShot(0, lambda: ticks.append(1))
    qtbot.waitUntil(lambda: bool(ticks), timeout=5000)  # the window's event loop runs while the writer writes
    assert not button.isEnabled() and not window.pdf_action.isEnabled()  # no second document meanwhile
    assert window.statusBar().currentMessage() == f"Writing the course document to {out}…"
    gallery.grab(window, shots / "course-pdf-writing-1366.png")
    gate.set()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Wrote the course document of patient P-1"),
                    timeout=60000)
    assert button.isEnabled()
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    pages = [page.extract_text() for page in pypdf.PdfReader(str(out)).pages]
    assert len(pages) >= 3
    assert all("not a certified medical device" in " ".join(p.lower().split()) for p in pages)  # no NFKC: no ligature
    text = " ".join(" ".join(pages).split())
    assert "PHQ-9 22 at infusion 1 -> 16 at infusion 10" in text and "NOT REVIEWED" in text
    assert "Total given: 428.75 mg over 10 infusions (1 stopped early)" in text
    gallery.grab(window, shots / "course-pdf-written-1366.png")


@pytest.mark.parametrize("fault, words", [
    (ExportError("cannot write {out}: No space left on device"), "cannot write {out}: No space left on device"),
    (RuntimeError("a bug\nTraceback ..."), "an internal error (RuntimeError) stopped it; the log has the details")])
def test_a_course_document_that_cannot_be_written_is_said_in_one_line_and_the_button_comes_back(
        window, qtbot, shots, tmp_path, monkeypatch, fault, words):
    import ui.review.report

    out = tmp_path / "course.pdf"
    words = words.format(out=out)

    def full_disk(source, patient_id, path) -> int:
        raise type(fault)(str(fault).format(out=path))

    monkeypatch.setattr(ui.review.report, "write_course_pdf", full_disk)
    said: list[str] = []

    def save_as(dlg: QFileDialog) -> None:
        dlg.selectFile(str(out))
        qtbot.mouseClick(dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save), Qt.LeftButton)

    def read_and_close(box: QMessageBox) -> None:
        said.append(box.text())
        gallery.grab(box, shots / f"course-pdf-not-written-{type(fault).__name__}.png")
        qtbot.mouseClick(box.buttons()[0], Qt.LeftButton)

    button = tool(window, "Course document (PDF)…")
    on_modal(QFileDialog, save_as)
    on_modal(QMessageBox, read_and_close, timeout_s=60)
    qtbot.mouseClick(button, Qt.LeftButton)
    qtbot.waitUntil(lambda: bool(said), timeout=60000)
    assert said == [f"The course document was not written: {words}"] and "\n" not in said[0]  # one line
    assert window.statusBar().currentMessage() == f"Course document not written: {words}"
    qtbot.waitUntil(button.isEnabled, timeout=10000)
    assert not out.exists()
