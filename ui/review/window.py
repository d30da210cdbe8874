"""The review station window: session browser, then a session's timeline with its summary, events and
alarms, alarm burden and corrections; playback through the monitor screen; burden over a date range.

Everything it shows is read by the review worker on its own thread; long
loads show their progress in the status bar and the window never waits.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from monitor.central.link import CentralError
from monitor.clinical.markers import current_markers
from monitor.live.playback import SPEEDS, start_playback
from monitor.record.journal import MarkerRevision
from monitor.review.burden import AlarmBurden
from monitor.review.summary import SessionSummary
from monitor.review.timeline import SessionTimeline
from monitor.storage.outcomes import source_flags
from monitor.storage.sessions import SessionMeta, SessionSource, SqliteSessions
from monitor.storage.store import StoreError
from monitor.timefmt import date_time_text, hms, time_text
from ui import theme
from ui.dialogs import tell
from ui.review.browser import SessionBrowser
from ui.review.burden_view import BurdenTable, RangeBurden
from ui.review.corrections_view import AuditTrail, CorrectionDialog
from ui.review.course_view import CourseWindow
from ui.review.flag_review import flag_lines, review_flag
from ui.review.playback_window import PlaybackWindow
from ui.review.screen_fit import fit_to_screen
from ui.review.summary_panel import SummaryPanel
from ui.review.timeline_view import TimelineView
from ui.review.worker import ReviewWorker, start_worker, stop_worker

NOTICE = "Not a certified medical device: check figures against the clinical record."
STYLE = (f"QMainWindow, QWidget {{ background: {theme.PANEL}; color: {theme.TEXT}; }}"
         "QPushButton { background: #2d333b; color: #f0f0f0; border: 1px solid #555; border-radius: 4px;"
         " padding: 5px 12px; } QPushButton:hover { background: #3b434d; }"
         "QTableWidget, QListWidget { background: #0b0d10; color: #f0f0f0; gridline-color: #333; }"
         "QHeaderView::section { background: #2d333b; color: #f0f0f0; padding: 4px; border: 0; font-weight: bold; }"
         "QTabBar::tab { background: #2d333b; color: #f0f0f0; padding: 6px 9px; }"
         "QTabBar::tab:selected { background: #3b434d; font-weight: bold; }"
         "QLineEdit, QDateEdit, QComboBox, QSpinBox, QDateTimeEdit { background: #0b0d10; color: #f0f0f0;"
         " border: 1px solid #555; padding: 3px; }")


class SessionPage(QWidget):
    """One session: header and controls, the timeline, and tabs beside it."""

    sigBack = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.header = QLabel("")
        self.header.setFont(theme.font(19, bold=True))
        self.header.setWordWrap(True)  # on a 1024 px screen the session's line takes two, not a window too wide
        self.live = QLabel("")
        self.live.setFont(theme.font(16, bold=True))
        self.timeline = TimelineView()
        self.buttons: dict[str, QPushButton] = {}
        head, row = QHBoxLayout(), QHBoxLayout()  # the session's words on a line of their own: it fits 1366 px
        # the keys (Home, +, −) are said in the timeline's hint: without them the row fits a 1024 px screen
        for key, text, tip in (("back", "◀ Sessions", ""), ("whole", "Whole session", "Home key"),
                               ("in", "Zoom in", "+ key, or the mouse wheel"),
                               ("out", "Zoom out", "− key, or the mouse wheel"),
                               ("play", "Play back…", "Play the session back from the cursor"),
                               ("correct", "Correct…", ""), ("course", "Patient's course…", ""),
                               ("flag", "Review flag…", "")):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.setFocusPolicy(Qt.NoFocus)
            self.buttons[key] = button
            if key == "back":
                head.addWidget(button)
                head.addWidget(self.header, 1)
                head.addWidget(self.live)
            else:
                row.addWidget(button)
        row.addStretch(1)
        self.buttons["back"].clicked.connect(self.sigBack)
        self.buttons["whole"].clicked.connect(self.timeline.whole)
        self.buttons["in"].clicked.connect(lambda: self.timeline.zoom(2.0))
        self.buttons["out"].clicked.connect(lambda: self.timeline.zoom(0.5))
        self.flags = QLabel("")  # the patient's item-9 flags as this session stands with them (flag_review)
        self.flags.setFont(theme.font(16, bold=True))
        self.flags.setWordWrap(True)
        self.flags.setTextFormat(Qt.RichText)
        self.flags.setVisible(False)
        self.summary = SummaryPanel()
        self.jumps = QListWidget()
        self.jumps.setFont(theme.font(14))
        self.jumps.itemClicked.connect(lambda item: self.timeline.jump_to(item.data(Qt.UserRole)))
        self.jumps.itemActivated.connect(lambda item: self.timeline.jump_to(item.data(Qt.UserRole)))
        self.burden = BurdenTable()
        self.audit = AuditTrail()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.summary, "Summary")
        self.tabs.addTab(self.jumps, "Events and alarms")
        self.tabs.addTab(self.burden, "Alarm burden")
        self.tabs.addTab(self.audit, "Corrections")
        self.tabs.setUsesScrollButtons(False)  # every tab's name whole: the panel is never narrower than its tabs
        self.tabs.tabBar().setElideMode(Qt.ElideNone)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(self.timeline)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([960, 480])  # on a 1366 px laptop the tabs' names still show whole
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        box.addLayout(head)
        box.addLayout(row)
        box.addWidget(self.flags)
        box.addWidget(split, 1)

    def show_session(self, timeline: SessionTimeline) -> None:
        """Show the header, the jump list and the audit trail of a session read by the worker."""
        m = timeline.meta
        length = hms(m.duration_s) if m.duration_s is not None else "so far " + hms(timeline.end - m.started_utc)
        self.header.setText(f"Session {m.ref} · patient {m.patient_id or '—'} · "
                            f"{date_time_text(m.started_utc, m.tz)} ({m.tz}) · "
                            f"{length} · {m.state}")
        if m.state == "running":
            self.live.setText("● RECORDING — shown as it grows")
            self.live.setStyleSheet("color: #4cff6a;")
        else:
            self.live.setText("")
        self.buttons["course"].setEnabled(bool(m.patient_id))
        self.buttons["correct"].setEnabled(m.state != "running")
        self.buttons["correct"].setToolTip("a running session is corrected on its monitor" if m.state == "running"
                                           else "edit, add or delete an event, or add a late scale")
        lines = [(mk.t, mk.text, theme.INFUSION if mk.kind == "infusion" else theme.TEXT) for mk in timeline.marks()]
        lines += [(a.raised_t, f"{theme.ALARM_MARK[a.priority]} {a.message} ({hms(a.present_s)}"
                   + (", technical)" if a.technical else ")"), theme.ALARM_BG[a.priority])
                  for a in timeline.alarms if a.priority is not None]
        self.jumps.clear()
        for t, text, colour in sorted(lines, key=lambda x: x[0]):
            item = QListWidgetItem(f"{time_text(t, m.tz)}  {text}")
            item.setData(Qt.UserRole, t)
            item.setForeground(QColor(colour))
            self.jumps.addItem(item)
        self.audit.show_record(timeline.record)

    def show_flags(self, lines: list[tuple[str, bool]], can_review: bool, why_not: str) -> None:
        """Show the patient's flags as they stand for this session, NOT REVIEWED in red, reviewed in plain text;
        Review flag… while one is not reviewed."""
        self.flags.setText("<br>".join(f"<span style='color: {theme.TEXT if done else theme.ERROR}'>"
                                       f"{html.escape(text)}</span>" for text, done in lines))
        self.flags.setVisible(bool(lines))
        self._fit_flags()
        waiting = any(not done for _, done in lines)
        self.buttons["flag"].setEnabled(waiting and can_review)
        self.buttons["flag"].setToolTip(why_not if waiting and not can_review
                                        else "record a clinician's review of the item-9 flag")

    def _fit_flags(self) -> None:
        """Give the wrapped flag lines the height they need (a layout does not ask a label's height for width)."""
        self.flags.setMinimumHeight(self.flags.heightForWidth(max(200, self.width() - 8)) if self.flags.text() else 0)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        self._fit_flags()


class ReviewWindow(QMainWindow):
    """The review station over one session source; corrections go to store_path (None: read-only)."""

    sigList = Signal(object)
    sigOpen = Signal(str, int)
    sigRangeBurden = Signal(object)
    sigCorrect = Signal(object)

    def __init__(self, open_source: Callable[[], SessionSource], store_path: str | None, title: str = "") -> None:
        super().__init__()
        self.open_source = open_source
        self.store_path = store_path
        self.setWindowTitle(f"infusion-monitor review — {title}" if title else "infusion-monitor review")
        self.setStyleSheet(STYLE)
        self.browser = SessionBrowser()
        self.page = SessionPage()
        self.range = RangeBurden()
        back = QPushButton("◀ Sessions")
        back.clicked.connect(lambda: self.stack.setCurrentWidget(self.browser))
        range_page = QWidget()
        box = QVBoxLayout(range_page)
        box.addWidget(back, 0, Qt.AlignLeft)
        box.addWidget(self.range, 1)
        self.stack = QStackedWidget()
        for widget in (self.browser, self.page, range_page):
            self.stack.addWidget(widget)
        self.setCentralWidget(self.stack)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(260)
        self.progress.setVisible(False)
        self.status = QLabel("")
        notice = QLabel(NOTICE)
        notice.setStyleSheet("color: #ffb347;")
        self.statusBar().addWidget(self.status, 1)
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(notice)
        self.timeline_data: SessionTimeline | None = None
        self.summary: SessionSummary | None = None
        self.user = ""
        self.playbacks: list[PlaybackWindow] = []
        self.courses: list[CourseWindow] = []
        self._last_error = ""
        self._fitted = False
        self.resize(1500, 900)  # on a smaller screen, its free area (showEvent)

        self.worker = ReviewWorker(open_source, store_path)
        self.browser.sigFilter.connect(self.sigList)
        self.browser.sigOpen.connect(self.open_session)
        self.browser.sigRangeBurden.connect(lambda: self.stack.setCurrentWidget(range_page))
        self.range.sigAsk.connect(self.sigRangeBurden)
        self.page.sigBack.connect(self.back_to_list)
        self.page.timeline.sigRange.connect(self._want_traces)
        self.page.buttons["play"].clicked.connect(lambda: self.play_back())  # clicked(bool) is no speed
        self.page.buttons["correct"].clicked.connect(lambda: self.correct())
        self.page.buttons["course"].clicked.connect(self.open_course)
        self.page.buttons["flag"].clicked.connect(self.review_flag)
        self.sigList.connect(self.worker.list_sessions)
        self.sigOpen.connect(self.worker.open_session)
        self.sigRangeBurden.connect(self.worker.burden_range)
        self.sigCorrect.connect(self.worker.correct)
        self.worker.sigSessions.connect(self.browser.show_sessions)
        self.worker.sigLine.connect(self.browser.show_line)
        self.worker.sigOpened.connect(self._opened)
        self.worker.sigTraces.connect(self._traces)
        self.worker.sigSummary.connect(self._summarised)
        self.worker.sigBurden.connect(self._burden)
        self.worker.sigCorrected.connect(self._corrected)
        self.worker.sigProgress.connect(self._progress)
        self.worker.sigError.connect(self._error)
        self.thread = start_worker(self.worker)
        self.browser.ask()

    @classmethod
    def for_database(cls, db: str | Path) -> ReviewWindow:
        """Return a review window over a chair's SQLite file (read-only; corrections appended to it)."""
        return cls(lambda: SqliteSessions(db), str(db), str(db))

    @classmethod
    def for_central(cls, url: str) -> ReviewWindow:
        """Return a review window over the clinic's central store (read-only: corrections are made on the chair)."""
        from monitor.central.link import describe
        from monitor.central.reader import CentralSessions

        return cls(lambda: CentralSessions(url), None, f"central store {describe(url)}")

    # --- navigation ------------------------------------------------------------------------------

    def open_session(self, ref: str) -> None:
        """Open a session: the whole timeline first, then its values and summary as they are read."""
        self.stack.setCurrentWidget(self.page)
        self.page.summary.setHtml("<p>Reading the session…</p>")
        self.page.timeline.setFocus()
        self.sigOpen.emit(ref, max(400, self.page.timeline.graphics.width() - 70))

    def back_to_list(self) -> None:
        self.stack.setCurrentWidget(self.browser)
        self.browser.ask()

    def _opened(self, timeline: SessionTimeline, traces) -> None:
        self.timeline_data = timeline
        self.page.show_session(timeline)
        self.page.timeline.show_session(timeline, traces)
        self._show_flags(timeline.meta)

    def _show_flags(self, meta: SessionMeta) -> None:
        """List the patient's item-9 flags on the session page, with reviews from any of their sessions."""
        lines: list[tuple[str, bool]] = []
        if meta.patient_id:
            try:
                source = self.open_source()
                try:
                    lines = flag_lines(source_flags(source, meta.patient_id), meta.id, meta.tz)
                finally:
                    source.close()
            except (StoreError, CentralError, ValueError) as exc:
                lines = [(f"⚑ the patient's questionnaire flags cannot be read: {exc}", False)]
        self.page.show_flags(lines, self.store_path is not None, "a review is entered on the chair's file "
                             "(review --db) or with the flags command")

    def review_flag(self) -> None:
        """Record a clinician's review of the patient's unreviewed item-9 flag, then read the session again."""
        timeline = self.timeline_data
        if timeline is None or not timeline.meta.patient_id or self.store_path is None:
            return
        meta = timeline.meta
        if review_flag(self, self.store_path, meta.patient_id, meta.id) is not None:
            self.status.setText("review stored")
            self._show_flags(meta)

    def _want_traces(self, t0: float, t1: float, pixels: int) -> None:
        self.worker.want_traces(t0, t1, pixels)  # thread-safe; the worker reads only the latest wish

    def _traces(self, window: tuple[float, float], traces) -> None:
        self.page.timeline.show_traces(traces)

    def _summarised(self, timeline: SessionTimeline, summary: SessionSummary) -> None:
        self.summary = summary
        self.page.summary.show_summary(summary)
        self.page.timeline.readout_ready = True

    def _burden(self, scope: str, burden: AlarmBurden) -> None:
        (self.page.burden if scope == "session" else self.range.table).show_burden(burden)

    def _progress(self, fraction: float, words: str) -> None:
        self.progress.setVisible(bool(words) and fraction < 1.0)
        self.progress.setValue(int(fraction * 1000))
        self.status.setText(words)

    def _error(self, message: str) -> None:
        """Say what went wrong; the same problem again (a running session read every few seconds) only in the
        status line."""
        repeated = message == self._last_error
        self._last_error = message
        self.status.setText(message)
        if not repeated:
            tell(self, "Review", message, warning=True)

    # --- playback and corrections -----------------------------------------------------------------

    def play_back(self, speed: float | None = None) -> PlaybackWindow | None:
        """Replay the open session through the monitor screen from the cursor (or the start), at a chosen speed."""
        timeline = self.timeline_data
        if timeline is None:
            return None
        if speed is None:
            choices = [f"{s:g}x" for s in SPEEDS]
            text, ok = QInputDialog.getItem(self, "Playback", "Speed (the session time runs this much faster):",
                                            choices, 3, False)
            if not ok:
                return None
            speed = SPEEDS[choices.index(text)]
        cursor = self.page.timeline.cursors[0]
        start = cursor.value() if cursor.isVisible() else timeline.start
        start = min(max(start, timeline.start), timeline.end - 1.0)
        try:
            playback = start_playback(self.open_source(), timeline.meta, start_at=start, speed=speed)
        except ValueError as exc:
            tell(self, "Playback", str(exc), warning=True)
            return None
        window = PlaybackWindow(playback)
        fit_to_screen(window, 1280, 800)
        window.show()
        self.playbacks.append(window)
        return window

    def open_course(self) -> CourseWindow | None:
        """Open the course of the open session's patient (every infusion side by side) in a window of its own."""
        timeline = self.timeline_data
        if timeline is None or not timeline.meta.patient_id:
            return None
        try:
            source = self.open_source()
        except (StoreError, CentralError) as exc:
            tell(self, "Patient's course", str(exc), warning=True)
            return None
        window = CourseWindow(source, timeline.meta.patient_id)
        fit_to_screen(window, 1400, 900)
        window.show()
        self.courses.append(window)
        return window

    def correct(self, action: str = "edit", marker_id: str = "") -> CorrectionDialog | None:
        """Ask for a correction of the open session and have the worker append it."""
        timeline = self.timeline_data
        if timeline is None:
            return None
        markers = current_markers(rev for _, rev in timeline.record.entries(MarkerRevision))
        if not markers and action in ("edit", "delete"):
            action = "add"
        cursor = self.page.timeline.cursors[0]
        at = cursor.value() if cursor.isVisible() else timeline.start
        dialog = CorrectionDialog(timeline.record, markers, at, self.user, action, marker_id, self)
        if dialog.exec():
            self.user = dialog.user.text().strip()
            self.status.setText("storing the correction…")
            self.sigCorrect.emit(dialog.change())
        return dialog

    def _corrected(self, problem: str) -> None:
        if problem:
            tell(self, "Correction not stored", problem, warning=True)
        else:
            self.status.setText("correction stored; the session is read again")

    def showEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        """Fit the screen when first shown, whatever size the opener asked for (1500 x 900 on a 1366 x 768 laptop)."""
        super().showEvent(event)
        if not self._fitted:
            self._fitted = True
            fit_to_screen(self)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        for window in self.playbacks + self.courses:
            window.close()
        stop_worker(self.worker, self.thread)
        super().closeEvent(event)

