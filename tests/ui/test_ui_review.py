"""The review station window (pytest-qt, offscreen): browser, timeline, summary, corrections, burden, playback."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from devices.values import NibpResult, WaveSegment, sample
from monitor.alarms.model import AlarmEvent, AlarmKind, EventKind, Priority
from monitor.record.journal import MarkerRevision
from monitor.record.journal import PhaseChange
from monitor.review.timeline import RAW_WAVE_S
from test_summary import _infusion
from ui.review import worker as worker_module
from ui.review.corrections_view import CorrectionDialog
from ui.review.window import ReviewWindow
from written import T0, Session

MINUTES = 30


def _write(s: Session, minutes: int = MINUTES) -> None:
    for k in range(minutes * 60):
        s.rec.put(sample(s.t0 + k, "pulseox", "spo2", 86.0 if 600 <= k < 630 else 97.0))
        s.rec.put(sample(s.t0 + k, "pulseox", "pulse_rate", 70.0))
        if k < 900:
            s.rec.put(WaveSegment(s.t0 + k + 74 / 75, "pulseox", "pleth", tuple(float(i % 25) for i in range(75)), 75.0))
    for k, sbp in enumerate((128, 152, 141)):
        s.rec.put(NibpResult(s.t0 + 60 + k * 600, "nibp", float(sbp), 80.0 + k, 96.0 + k, 70.0))
    for ev in _infusion([(2, "start", ""), (12, "pause", "nausea"), (14, "resume", "")]):
        s.rec.journal(ev, ev.user, t=ev.t - T0 + s.t0)
    s.rec.journal(PhaseChange("infusion"), "", s.t0 + 120)
    s.rec.journal(MarkerRevision("m1", 1, s.t0 + 700, "nausea", "Nausea", "", "AB", s.t0 + 700), "AB", s.t0 + 700)
    for dt, kind in ((610, EventKind.RAISED), (640, EventKind.CLEARED)):
        s.rec.put(AlarmEvent(s.t0 + dt, kind, "a1", "spo2_low", AlarmKind.PHYSIOLOGICAL, Priority.HIGH,
                             "SpO2 86 < 90", "pulseox", "spo2", 86.0, 90.0))


@pytest.fixture
def db(tmp_path):
    first = Session(tmp_path, patient="P-ALPHA")
    _write(first)
    first.close(MINUTES * 60)
    second = Session(tmp_path, start=T0 + 86400 * 3, patient="P-BETA")
    second.spo2(0, [95.0] * 120)
    second.close(300)
    return tmp_path / "s.db"


@pytest.fixture
def window(qtbot, db):
    w = ReviewWindow.for_database(db)
    qtbot.addWidget(w)
    w.resize(1400, 850)
    w.show()
    qtbot.waitUntil(lambda: w.browser.table.rowCount() == 2 and w.browser.table.item(1, 5).text() != "…",
                    timeout=10000)
    return w


def _cells(w: ReviewWindow, row: int) -> list[str]:
    return [w.browser.table.item(row, c).text() for c in range(w.browser.table.columnCount())]


def _open(qtbot, w: ReviewWindow, ref: str = "1") -> None:
    w.open_session(ref)
    qtbot.waitUntil(lambda: w.summary is not None and w.summary.meta.ref == ref, timeout=15000)


def test_browser_lists_sessions_newest_first_with_their_figures_and_searches(qtbot, window):
    newest, older = _cells(window, 0), _cells(window, 1)
    assert newest[0] == "P-BETA" and older[0] == "P-ALPHA"
    assert older[3] == "0:30:00" and older[5] == "152" and older[6] == "86 %" and older[7] == "1/0/0"
    assert older[4].endswith("mg") and older[8] == "—" and older[9] == "" and older[10] == "closed"
    window.browser.search.setText("alp")
    qtbot.waitUntil(lambda: window.browser.table.rowCount() == 1, timeout=5000)
    assert window.browser.table.item(0, 0).text() == "P-ALPHA"


def test_date_filter(qtbot, window):
    from PySide6.QtCore import QDate
    from datetime import datetime

    day = datetime.fromtimestamp(T0 + 86400 * 3).date()
    window.browser.days.since.setDate(QDate(day.year, day.month, day.day))
    window.browser.days.until.setDate(QDate(day.year, day.month, day.day))
    window.browser.any_date.setChecked(False)
    qtbot.waitUntil(lambda: window.browser.table.rowCount() == 1, timeout=5000)
    assert window.browser.table.item(0, 0).text() == "P-BETA"


def test_a_session_opens_to_its_whole_timeline_and_summary(qtbot, window):
    window.browser.table.cellDoubleClicked.emit(1, 0)
    qtbot.waitUntil(lambda: window.summary is not None, timeout=15000)
    view = window.page.timeline
    x0, x1 = view.view_range()
    assert x0 <= T0 + 60 and x1 >= T0 + MINUTES * 60 - 60
    bars, line = view.curves[("pulseox", "spo2")]
    _, y = line.getData()
    assert np.nanmin(y) <= 87  # the desaturation shows on the whole-session view
    html = window.page.summary.toHtml()
    for words in ("152", "86", "below 90 %", "Nausea", "nausea"):
        assert words in html
    assert window.page.tabs.count() == 4 and window.page.jumps.count() >= 4
    assert window.page.audit.rowCount() == 0


def test_zoom_with_keys_shows_the_pleth_itself_and_the_cursor_reads_every_value(qtbot, window):
    _open(qtbot, window)
    view = window.page.timeline
    view.jump_to(T0 + 615, 120)
    qtbot.waitUntil(lambda: np.count_nonzero(np.isfinite(view.curves[("pulseox", "pleth")][1].getData()[1]))
                    > 60 * 75, timeout=5000)  # the waveform, not an envelope
    assert "zoom to" not in view.pleth_note.text
    text = view.readout.text()
    assert "SpO₂ 86 %" in text and "BP 128/80 (MAP 96) 9 min before" in text and "SpO2 86 < 90" in text
    assert "infusion running 150 mL/h" in text and "phase infusion" in text
    before = view.view_range()
    qtbot.keyClick(view, Qt.Key_Down)
    after = view.view_range()
    assert after[1] - after[0] == pytest.approx(2 * (before[1] - before[0]))
    qtbot.keyClick(view, Qt.Key_Right)
    assert view.view_range()[0] > after[0]
    qtbot.keyClick(view, Qt.Key_Home)
    assert view.view_range()[1] - view.view_range()[0] > MINUTES * 60 * 0.9
    qtbot.waitUntil(lambda: "zoom to" in view.pleth_note.text, timeout=5000)  # wide again: the envelope
    assert RAW_WAVE_S == 300


def test_clicking_an_event_or_alarm_in_the_list_jumps_to_it(qtbot, window):
    _open(qtbot, window)
    items = [window.page.jumps.item(i) for i in range(window.page.jumps.count())]
    alarm = next(i for i in items if "SpO2 86 < 90" in i.text())
    window.page.jumps.itemClicked.emit(alarm)
    x0, x1 = window.page.timeline.view_range()
    assert x0 < T0 + 610 < x1 and x1 - x0 <= 601
    assert window.page.timeline.cursors[0].value() == pytest.approx(T0 + 610)


def test_a_correction_is_stored_shown_in_the_audit_trail_and_the_summary(qtbot, window):
    _open(qtbot, window)
    w = window
    dialog = CorrectionDialog(w.timeline_data.record, w.summary.markers, T0 + 700, action="edit", marker_id="m1")
    qtbot.addWidget(dialog)
    dialog.note.setText("mild, settled with fluids")
    dialog.user.setText("Dr Reviewer")
    dialog.reason.setText("added from the nurse's paper notes")
    w.sigCorrect.emit(dialog.change())
    qtbot.waitUntil(lambda: w.page.audit.rowCount() == 1, timeout=10000)
    row = [w.page.audit.item(0, c).text() for c in range(w.page.audit.columnCount())]
    assert row[1:4] == ["Dr Reviewer", "event edited", "Nausea: mild, settled with fluids"]
    assert row[5] == "added from the nurse's paper notes"
    qtbot.waitUntil(lambda: "settled with fluids" in w.page.summary.toHtml(), timeout=10000)


def test_a_refused_correction_says_why(qtbot, window, monkeypatch):
    _open(qtbot, window)
    shown = []
    monkeypatch.setattr("ui.review.window.tell", lambda *a, **k: shown.append(a[2]))
    dialog = CorrectionDialog(window.timeline_data.record, window.summary.markers, T0 + 700, action="delete",
                              marker_id="m1")
    qtbot.addWidget(dialog)
    dialog.user.setText("Dr Reviewer")  # no reason
    window.sigCorrect.emit(dialog.change())
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    assert "a reason is required" in shown[0] and window.page.audit.rowCount() == 0


def test_the_alarm_burden_of_the_session_and_over_dates(qtbot, window):
    _open(qtbot, window)
    table = window.page.burden.table
    qtbot.waitUntil(lambda: table.rowCount() == 1, timeout=5000)
    assert table.item(0, 0).text() == "SpO₂" and table.item(0, 3).text() == "1"
    assert "2.0 per hour" in window.page.burden.totals.text()
    window.range.patient.setText("P-ALPHA")
    window.range.days.since.setDate(window.range.days.since.minimumDate())
    window.range.ask()
    qtbot.waitUntil(lambda: window.range.table.table.rowCount() == 1, timeout=5000)
    assert window.range.table.totals.text().startswith("1 session(s)")


def test_playback_runs_in_the_monitor_screen_marked_playback(qtbot, window):
    _open(qtbot, window)
    window.page.timeline.set_cursor(T0 + 590)
    pb_window = window.play_back(speed=60)
    assert pb_window is not None
    qtbot.addWidget(pb_window)
    assert "PLAYBACK" in pb_window.windowTitle() and "not a live patient" in pb_window.windowTitle()
    assert "NOT A LIVE PATIENT" in pb_window.banner.text() and "sound off" in pb_window.banner.text()
    qtbot.waitUntil(lambda: "spo2" in pb_window.tiles and pb_window.tiles["spo2"].value.text() == "86", timeout=15000)
    assert pb_window.playback.core.store.path == ":memory:"
    pb_window.toggle_pause()
    assert "paused" in pb_window.banner.text()
    pb_window.close()
    assert not pb_window.playback.is_alive()


def test_the_play_back_button_asks_the_speed_and_opens_the_playback(qtbot, window):
    """The button's clicked(bool) once reached the speed argument: 'playback speed must be from 1x to 60x, got False'."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox

    _open(qtbot, window)
    window.page.timeline.set_cursor(T0 + 590)
    asked: list[str] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(50, answer)
            return
        asked.append(type(dialog).__name__)
        if isinstance(dialog, QInputDialog):
            dialog.setTextValue("60x")
            dialog.accept()
        elif isinstance(dialog, QMessageBox):
            asked.append(dialog.text())
            dialog.reject()

    QTimer.singleShot(50, answer)
    qtbot.mouseClick(window.page.buttons["play"], Qt.LeftButton)
    assert asked == ["QInputDialog"]
    [pb_window] = window.playbacks
    qtbot.addWidget(pb_window)
    assert pb_window.playback.clock.speed == 60
    pb_window.close()


def test_a_running_session_is_shown_running_and_growing(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(worker_module, "REFRESH_S", 0.3)
    s = Session(tmp_path)
    s.spo2(0, [97.0] * 60)
    w = ReviewWindow.for_database(s.db)
    qtbot.addWidget(w)
    try:
        w.show()
        _open(qtbot, w)
        assert "RECORDING" in w.page.live.text() and not w.page.buttons["correct"].isEnabled()
        first_end = w.timeline_data.end

        def valid_s() -> float:
            return 0.0 if w.summary.spo2 is None else w.summary.spo2.covered_s

        qtbot.waitUntil(lambda: valid_s() >= 59, timeout=15000)  # the recorder flushes every half second
        s.spo2(60, [97.0] * 60)
        qtbot.waitUntil(lambda: w.timeline_data.end > first_end and valid_s() >= 119, timeout=15000)
    finally:
        s.rec.stop()


def test_the_monitor_window_has_a_review_entry(qtbot, tmp_path):
    from monitor.live.core import MonitorCore
    from monitor.storage.store import Store
    from ui.app import ReviewOpener
    from ui.monitor.main_window import MainWindow

    core = MonitorCore(Store(tmp_path / "m.db"), [])
    core.start()
    try:
        opener = ReviewOpener(core.database_path)
        main = MainWindow(core, open_review=opener)
        qtbot.addWidget(main)
        next(a for a in main.menu.actions() if a.text() == "Review sessions…").trigger()
        qtbot.addWidget(opener.window)
        qtbot.waitUntil(lambda: opener.window.browser.table.rowCount() == 1, timeout=10000)
        assert opener.window.browser.table.item(0, 10).text() == "running"
        opener.window.close()
        bare = MainWindow(core)  # as a playback builds it: no review entry
        qtbot.addWidget(bare)
        assert "Review sessions…" not in [a.text() for a in bare.menu.actions()]
    finally:
        core.stop()


def test_the_patients_course_opens_from_a_session(qtbot, window):
    _open(qtbot, window, "1")
    button = window.page.buttons["course"]
    assert button.isEnabled()
    assert window.minimumSizeHint().width() <= 1366  # the session page fits a clinic laptop with every button
    qtbot.mouseClick(button, Qt.LeftButton)
    assert len(window.courses) == 1
    course = window.courses[0]
    qtbot.waitUntil(lambda: course.view.course is not None, timeout=20000)
    assert course.view.course.patient_id == "P-ALPHA" and len(course.view.course.rows) == 1
    assert "P-ALPHA" in course.windowTitle()
    window.close()
    assert not course.isVisible()
