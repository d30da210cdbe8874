"""The course view: one patient's infusions side by side, with small plots across the course.

Shows what monitor.review.course builds, nothing computed here: a header, the PHQ-9 response and remission in
words, every item-9 flag with its reviews (an unreviewed one in the medium-alarm colour), the BP forecast
for the next infusion, a table with a row per infusion, and the course's small plots (pyqtgraph).

Use: CourseView(source, patient_id) reads the course on its own thread (the window never waits) and shows
it when read; give it a SessionSource no other thread is using (the review window's open_source() gives a
fresh one). show_course(course) shows a course already read. `infusion-monitor course --window` opens it
on its own through run_course.
"""

from __future__ import annotations

import html
import logging
import math
import sys

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QThread, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QGridLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from monitor.alarms import Priority
from monitor.clinical.config import ConfigError
from monitor.clinical.forecast import ForecastPrior
from monitor.record.instruments import INSTRUMENTS
from monitor.review.course import (
    Course,
    CourseChart,
    CourseError,
    InfusionRow,
    build_course,
    course_charts,
    session_day,
)
from monitor.storage.sessions import SessionSource, SqliteSessions
from monitor.storage.store import StoreError
from ui import theme
from ui.dialogs import tell
from ui.review.course_dialogs import enter_between_visits, enter_plan
from ui.review.course_pdf import CoursePdfWriter, ask_course_pdf_path
from ui.review.flag_review import review_flag

STYLE = (f"QWidget {{ background: {theme.PANEL}; color: {theme.TEXT}; }}"
         "QTableWidget { background: #0b0d10; color: #f0f0f0; gridline-color: #333; font-size: 13px; }"
         "QHeaderView::section { background: #2d333b; color: #f0f0f0; padding: 4px; border: 0; font-weight: bold;"
         " font-size: 13px; }"
         "QLabel[role='words'] { font-size: 15px; }"
         f"QLabel[role='dim'] {{ font-size: 13px; color: {theme.DIM}; }}"
         f"QLabel[role='flag'] {{ font-size: 15px; font-weight: bold; background: {theme.ALARM_BG[Priority.MEDIUM]};"
         " color: #000000; padding: 4px; }"
         "QLabel[role='reviewed'] { font-size: 14px; border: 1px solid #555; padding: 4px; }")
#: Table columns before the questionnaires (one column each) and the side effects; the forecast stands next to
#: the SBP it forecast, so OUTSIDE is read beside the peak.
#: The table's headings, on as many lines as their words need, so a column is as narrow as its values: at 1280 px
#: the last columns (the questionnaires, side effects) were off the right edge.
COLUMNS = ("#", "date", "session", "dose\nmg/kg", "given", "SBP mmHg\nbase/peak\n(rise)", "BP forecast\npeak\n(range)",
           "SpO₂\nlow", "CADSS\nhigh", "MOAA/S\nlow", "alarms\nH/M/L", "rescue\ndrugs given")
#: Height of a table row (px).
ROW_PX = 30
#: Height of one small plot (px): four in two rows, read at a glance, scrolled to on a small screen.
PLOT_PX = 260
#: Cell colours of a reviewed item-9 flag (seen, answered: no alarm colour, but never plain).
REVIEWED_BG, REVIEWED_FG = "#2e4a62", "#ffffff"
log = logging.getLogger(__name__)
#: Readers still running (a QThread must not be destroyed while it runs, even if its view is).
_READING: set[QThread] = set()


class _Reader(QThread):
    """Reads a course off the window's thread; kept alive until it ends, whatever happens to the view."""

    sigRead = Signal(object)  # Course
    sigFailed = Signal(str)

    def __init__(self, source: SessionSource, patient_id: str, prior: ForecastPrior | None) -> None:
        super().__init__()
        self.source, self.patient_id, self.prior = source, patient_id, prior

    def run(self) -> None:
        try:
            self.sigRead.emit(build_course(self.source, self.patient_id, self.prior))
        except (CourseError, ConfigError, StoreError) as exc:
            self.sigFailed.emit(str(exc))
        except Exception as exc:  # a fault of ours: said in one line on the view, the traceback in the log
            log.exception("course not read")  # no patient ID in the log
            self.sigFailed.emit(f"an internal error ({exc.__class__.__name__}) stopped reading the course; "
                                "the log has the details")


def _label(text: str, role: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setProperty("role", role)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class CourseView(QWidget):
    """A patient's course: words, flags, forecast, a row per infusion and the small plots."""

    sigShown = Signal(object)  # the Course, once shown
    sigFailed = Signal(str)

    def __init__(self, source: SessionSource | None, patient_id: str, parent: QWidget | None = None,
                 prior: ForecastPrior | None = None) -> None:
        super().__init__(parent)
        self.patient_id = patient_id
        self.course: Course | None = None
        self.setStyleSheet(STYLE)
        self.title = QLabel(f"Reading the course of patient {patient_id}…")
        self.title.setFont(theme.font(20, bold=True))
        self.notice = _label("Not a certified medical device: check figures against the clinical record. The BP "
                             "forecast is advice; it changes no alarm limit.", "dim")
        self.words = QVBoxLayout()  # always on screen: the PHQ-9 story, every item-9 flag, the next forecast
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(ROW_PX)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # as tall as its rows
        self.total = _label("", "words")
        self.plots = QGridLayout()
        # the table and the plots scroll together, so the window fits a 1366 x 768 laptop with nothing cut
        body = QWidget()
        inner = QVBoxLayout(body)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(self.table)
        inner.addWidget(self.total)
        inner.addLayout(self.plots)
        inner.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(body)
        self.scroll.setMinimumHeight(4 * ROW_PX)
        layout = QVBoxLayout(self)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addLayout(self.words)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.notice)
        self._reader: _Reader | None = None
        if source is not None:
            self._reader = reader = _Reader(source, patient_id, prior)
            reader.sigRead.connect(self.show_course)
            reader.sigFailed.connect(self._failed)
            _READING.add(reader)
            reader.finished.connect(lambda: _READING.discard(reader))
            reader.start()

    def wait_read(self) -> None:
        """Wait for the reading thread to end (before the view goes away)."""
        if self._reader is not None:
            self._reader.wait()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.wait_read()
        super().closeEvent(event)

    def _failed(self, message: str) -> None:
        self.title.setText(f"The course of patient {self.patient_id} cannot be read: {message}")
        self.sigFailed.emit(message)

    # --- showing ----------------------------------------------------------------------------------

    def show_course(self, course: Course) -> None:
        """Show a course (read by this view or by the caller)."""
        self.course = course
        rows = course.rows
        self.title.setText(f"Course of patient {course.patient_id}"
                           + (f" ({course.patient_name})" if course.patient_name else "")
                           + f": {len(rows)} session{'s' if len(rows) != 1 else ''}, {session_day(rows[0].meta)} "
                             f"to {session_day(rows[-1].meta)}")
        _clear(self.words)
        self.words.addWidget(_label(course.phq9_words(), "words"))
        for f in course.flags:
            reviews = "; ".join(r.text for r in f.flag.reviews)
            text = (f"{'' if f.flag.reviewed else '!! '}Session {f.session.ref}, {session_day(f.session)}: "
                    f"{f.flag.score.flag_text}: " + (reviews or "NOT REVIEWED: a clinician must assess the patient"))
            self.words.addWidget(_label(text, "reviewed" if f.flag.reviewed else "flag"))
        if not course.flags:
            self.words.addWidget(_label("PHQ-9 item 9: no flag in this course", "dim"))
        self.words.addWidget(_label(course.forecast_words(), "words"))
        self.words.addWidget(_label(course.plan_words(), "words" if course.plan else "dim"))
        self._fill_table(course)
        self.total.setText(course.total_dose_text())
        _clear(self.plots)
        charts = course_charts(course)
        across = 2 if len(charts) == 4 else 3
        for n, chart in enumerate(charts):
            self.plots.addWidget(CourseChartWidget(chart), n // across, n % across)
        self.sigShown.emit(course)

    def _fill_table(self, course: Course) -> None:
        codes = course.instruments()
        heads = [*COLUMNS, *(INSTRUMENTS[c].name for c in codes), "side effects"]
        self.table.clear()
        self.table.setColumnCount(len(heads))
        self.table.setHorizontalHeaderLabels(heads)
        self.table.setRowCount(len(course.rows))
        for r, row in enumerate(course.rows):
            for c, (text, colours) in enumerate(_cells(row, codes, course.place(row, short=True))):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if colours is not None:
                    item.setBackground(QColor(colours[0]))
                    item.setForeground(QColor(colours[1]))
                self.table.setItem(r, c, item)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.resizeRowsToContents()  # a flagged row takes two lines
        # as tall as all its rows: the scroll area around it scrolls, never the table on its own
        self.table.setFixedHeight(self.table.verticalHeader().length()
                                  + self.table.horizontalHeader().sizeHint().height()
                                  + self.table.horizontalScrollBar().sizeHint().height()
                                  + 2 * self.table.frameWidth() + 2)

    def cell(self, row: int, column: str) -> str:
        """Return the text shown in a row (0-based) under a column heading, its lines joined by spaces (for tests
        and screen readers)."""
        heads = [self.table.horizontalHeaderItem(c).text().replace("\n", " ") for c in range(self.table.columnCount())]
        return self.table.item(row, heads.index(column.replace("\n", " "))).text()


def _num(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


#: Colours (background, text) of a cell that stands out; None for a plain cell.
Colours = tuple[str, str] | None
_ALARM_COLOURS = {"high": Priority.HIGH, "medium": Priority.MEDIUM, "low": Priority.LOW}


def _cells(row: InfusionRow, codes: list[str], place: str = "") -> list[tuple[str, Colours]]:
    """Return the row's cells (text, colours) in the order of the table's columns (place: where the infusion
    stands in the planned course, under its date): the alarms in the colour of
    their highest priority, an unreviewed item-9 flag in the medium-alarm colour, a reviewed one in blue-grey, a
    peak OUTSIDE its forecast in the medium-alarm colour."""
    cadss, moaas = row.max_cadss, row.min_moaas
    top = row.top_alarm
    alarm = None if top is None else (theme.ALARM_BG[_ALARM_COLOURS[top]], theme.ALARM_FG[_ALARM_COLOURS[top]])
    medium = (theme.ALARM_BG[Priority.MEDIUM], theme.ALARM_FG[Priority.MEDIUM])
    cells: list[tuple[str, Colours]] = [
        (str(row.number), None), (session_day(row.meta) + (f"\n{place}" if place else ""), None), (row.meta.ref, None),
        (_num(row.dose_mg_per_kg, 2), None), (row.given_text + ("\nstopped" if row.stopped_early else ""), None),
        (f"{_num(row.baseline_sbp)}/{_num(row.peak_sbp)}"
         + ("" if row.sbp_rise is None or not row.started else f" ({row.sbp_rise:+.0f})"), None),
        (row.forecast_text().replace(" OUTSIDE", "\nOUTSIDE"), medium if row.forecast_held() is False else None),
        (_num(row.min_spo2), None),
        ("-" if cadss is None else f"{cadss.total}" + (f"/{cadss.max_total}" if cadss.max_total else ""), None),
        ("-" if moaas is None else str(moaas.total), None),
        (row.alarms_text, alarm), (row.rescue_text().replace(", ", "\n"), None)]
    for code in codes:
        flag = row.flag_of(code)
        colours = None if flag is None else (REVIEWED_BG, REVIEWED_FG) if flag.reviewed else medium
        lines = (w.replace(" NOT REVIEWED", "\nNOT REVIEWED") for w in row.outcome_lines(code) if w)
        cells.append(("\n".join(lines), colours))  # lines: the column is narrow
    cells.append((row.side_effects_text().replace(", ", "\n"), None))
    return cells


def _clear(layout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        if item.widget() is not None:
            item.widget().deleteLater()


class CourseChartWidget(pg.PlotWidget):
    """One small plot across the course, as monitor.review.course.course_charts describes it.

    What each colour and dashed line means is written in the title, not in a legend over the values.
    """

    DASHES = ((Qt.PenStyle.DashLine, "- - -"), (Qt.PenStyle.DotLine, "\u00b7\u00b7\u00b7"),
              (Qt.PenStyle.DashDotLine, "-\u00b7-"))

    def __init__(self, chart: CourseChart) -> None:
        super().__init__(background=theme.BACKGROUND)
        self.chart = chart
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.setFixedHeight(PLOT_PX)
        item = self.getPlotItem()
        keys = " ".join(f"<span style='color:{s.color}'>\u25a0 {html.escape(s.label)}</span>" for s in chart.series)
        lines = " ".join(f"<span style='color:{theme.DIM}'>{mark} {html.escape(label)}</span>"
                         for (_, label), (_, mark) in zip(chart.lines, self._dashes(len(chart.lines))))
        item.setTitle(f"<b>{html.escape(chart.title)}</b> ({html.escape(chart.unit)})<br>{keys}"
                      + (f"<br>{lines}" if lines else ""), color=theme.TEXT, size="10pt")
        title_px = 62 if lines else 44  # three or two lines of title
        item.layout.setRowFixedHeight(0, title_px)
        item.titleLabel.setMaximumHeight(title_px)
        bottom = item.getAxis("bottom")
        bottom.setTicks([chart.ticks(), []])  # labels that do not run into each other
        bottom.setHeight(40)  # two lines: number and date
        for axis in ("bottom", "left"):
            item.getAxis(axis).setTextPen(theme.TEXT)
        self.setXRange(*chart.x_range, padding=0)
        self.setYRange(*chart.y_range, padding=0.12)  # room for the value written above the highest point
        bars = [s for s in chart.series if s.style == "bars"]
        width = 0.6 / max(1, len(bars))
        for series in chart.series:
            at = [chart.position(series, k) for k in range(len(series.values))]
            x = [at[i] for i, v in enumerate(series.values) if v is not None]
            y = [v for v in series.values if v is not None]
            if series.style == "bars":
                offset = (bars.index(series) - (len(bars) - 1) / 2) * width
                self.addItem(pg.BarGraphItem(x=[i + offset for i in x], height=y, width=width, brush=series.color,
                                             pen=None))
                self._values(x, y, offset, series.color)
                continue
            shift = 0.4 if bars and series.low else 0.0  # a range goes beside the bar it is compared with
            ranged = [(at[i], v, lo, hi) for i, (v, lo, hi) in enumerate(zip(series.values, series.low, series.high))
                      if None not in (v, lo, hi)]
            if ranged:
                i, v, lo, hi = (np.array(a, dtype=float) for a in zip(*ranged))
                self.addItem(pg.ErrorBarItem(x=i + shift, y=v, top=hi - v, bottom=v - lo, beam=0.12,
                                             pen=pg.mkPen(series.color, width=2)))
            values = [math.nan if v is None else v for v in series.values]
            self.plot([x + shift for x in at], values, connect="finite",
                      pen=pg.mkPen(series.color, width=2) if series.style == "line" else None,
                      symbol="o", symbolSize=8, symbolBrush=series.color, symbolPen=None)
            if series.style == "line":
                self._values(x, y, 0.0, series.color,
                             [chart.label_below(series, i) for i, v in enumerate(series.values) if v is not None])
            elif series.xs:  # an entry between visits is a total too
                self._values(x, y, 0.0, series.color)
        for (value, _), (dash, _) in zip(chart.lines, self._dashes(len(chart.lines))):
            self.addItem(pg.InfiniteLine(pos=value, angle=0, pen=pg.mkPen(theme.DIM, width=1, style=dash)))

    def _dashes(self, n: int) -> list[tuple[Qt.PenStyle, str]]:
        return [self.DASHES[k % len(self.DASHES)] for k in range(n)]

    def _values(self, x: list[float], y: list[float], offset: float, color: str,
                below: list[bool] | None = None) -> None:
        """Write each value above its point or bar (below it where the chart says so)."""
        for i, v, down in zip(x, y, below or [False] * len(x)):
            text = pg.TextItem(f"{v:.3g}", color=color, anchor=(0.5, -0.1 if down else 1.1))
            text.setPos(i + offset, v)
            self.addItem(text)


# --- on its own --------------------------------------------------------------------------------


class CourseWindow(QMainWindow):
    """The course view in a window of its own (`course --window`, or from a session in review); it owns its source."""

    def __init__(self, source: SessionSource, patient_id: str) -> None:
        super().__init__()
        self.source = source
        self.setWindowTitle(f"Course of patient {patient_id} - infusion-monitor (not a certified medical device)")
        self.setStyleSheet(f"QMainWindow {{ background: {theme.PANEL}; }}")
        self.patient_id = patient_id
        self.view = CourseView(source, patient_id)
        self.setCentralWidget(self.view)
        bar = self.addToolBar("Course")
        if isinstance(source, SqliteSessions):  # what a clinician enters is written to the chair's file, never the
            # central store
            bar.addAction("Review flag…").triggered.connect(self.review_flag)
            bar.addAction("Planned course…").triggered.connect(self.enter_plan)
            bar.addAction("Questionnaire between visits…").triggered.connect(self.enter_between_visits)
        self.pdf_action = bar.addAction("Course document (PDF)…")
        self.pdf_action.triggered.connect(lambda: self.save_pdf())
        self.writer: CoursePdfWriter | None = None

    def review_flag(self) -> None:
        """Record a clinician's review of the patient's unreviewed item-9 flag, then read the course again."""
        if review_flag(self, self.source.path, self.patient_id) is not None:  # type: ignore[attr-defined]
            self.reread()

    def enter_plan(self) -> None:
        """Record the patient's planned course, then read the course again."""
        current = None if self.view.course is None else self.view.course.plan
        if enter_plan(self, self.source.path, self.patient_id, current) is not None:  # type: ignore[attr-defined]
            self.reread()

    def enter_between_visits(self) -> None:
        """Enter questionnaires answered on a day between visits, then read the course again."""
        if enter_between_visits(self, self.source.path, self.patient_id):  # type: ignore[attr-defined]
            self.reread()

    def save_pdf(self, path: str | None = None) -> None:
        """Write the course document (asking where unless path is given) on a thread of its own, the window
        live meanwhile and its button off; the status bar says what was written, a message box why not."""
        if self.writer is not None:
            return
        path = path or ask_course_pdf_path(self)
        if path is None:
            return
        self.view.wait_read()  # the source is the reader's until it has read, then the writer's until it has written
        self.pdf_action.setEnabled(False)
        self.statusBar().showMessage(f"Writing the course document to {path}…")
        self.writer = CoursePdfWriter(self.source, self.patient_id, path)
        self.writer.sigDone.connect(self._pdf_done)
        self.writer.start()

    def _pdf_done(self, written: str, failure: str) -> None:
        self.wait_written()
        self.writer = None
        self.pdf_action.setEnabled(True)
        if not self.isVisible():  # closed while it wrote: the writer's log says how it went
            return
        if written:
            self.statusBar().showMessage(written)
        else:
            self.statusBar().showMessage(f"Course document not written: {failure}")
            tell(self, "Course document", f"The course document was not written: {failure}", warning=True)

    def wait_written(self) -> None:
        """Wait for the course document being written, if one is (before the source is read or closed)."""
        if self.writer is not None:
            self.writer.wait()

    def reread(self) -> None:
        """Read the course again into a new view (after something was entered)."""
        self.view.wait_read()
        self.wait_written()
        self.view = CourseView(self.source, self.patient_id)
        self.setCentralWidget(self.view)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.view.wait_read()
        self.wait_written()  # the document is whole (or its failure in the log) before its source closes
        self.source.close()
        super().closeEvent(event)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Keep the window inside the screen it opens on, whatever size its opener asked for."""
        super().showEvent(event)
        screen = self.screen()
        if screen is not None:
            room = screen.availableGeometry()
            if self.width() > room.width() or self.height() > room.height():
                self.resize(min(self.width(), room.width()), min(self.height(), room.height()))


def run_course(source: SessionSource, patient_id: str) -> int:
    """Open the course of a patient over a session source until the window is closed; return the exit code."""
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("infusion-monitor course")
    window = CourseWindow(source, patient_id)
    window.resize(1500, 950)
    window.show()
    return app.exec()
