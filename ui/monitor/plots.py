"""The pleth sweep and the trends (pyqtgraph), drawn from the frame's views with preallocated curves.

Curves are created once; each frame only calls setData with skipFiniteCheck
and a fixed range, never auto-range, so painting stays cheap (BENCHMARKS.md).
The pleth is blanked with "no signal" when the view says so (never a frozen
wave). The trends have a band per scale, SpO2 (%) above and pulse / BP
(/min, mmHg) below, each with its unit on its axis; event labels sit in their
own strip above the data, in rows so they never overlap.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QButtonGroup, QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout

from monitor.live.state import SWEEP_S
from monitor.live.view import PlethView, TrendView
from ui import theme

GAP = 8  # samples blanked ahead of the sweep's write position, like a bedside monitor's eraser bar
#: Trend spans the nurse can choose: label -> seconds (None: the whole session).
SPANS = {"30 min": 30 * 60.0, "2 h": 2 * 3600.0, "Session": None}
MIN_SPAN_S = 5 * 60.0
LABEL_ROWS = 2


class PlethSweep(pg.PlotWidget):
    """A left-to-right sweeping plethysmogram of the last 10 s, blank with a message when there is no signal."""

    def __init__(self) -> None:
        super().__init__(background=theme.BACKGROUND)
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        for axis in ("bottom", "left"):
            self.getPlotItem().hideAxis(axis)
        self.curve = self.plot(pen=pg.mkPen(theme.SPO2, width=2), connect="finite")
        self.setXRange(0, SWEEP_S, padding=0)
        self.setYRange(-5, 135, padding=0)
        self.title = pg.TextItem("Pleth", color=theme.SPO2, anchor=(0, 0))
        self.title.setFont(theme.font(15, bold=True))
        self.title.setPos(0.05, 135)
        self.addItem(self.title)
        self.message = pg.TextItem("", color=theme.TEXT, anchor=(0.5, 0.5))
        self.message.setFont(theme.font(24, bold=True))
        self.message.setPos(SWEEP_S / 2, 65)
        self.addItem(self.message)
        self._x = np.zeros(0)
        self._buf = np.zeros(0)
        self._blank = False

    def show_view(self, view: PlethView) -> None:
        """Draw the sweep, or blank it with its message."""
        if view.blank or view.sweep is None:
            if not self._blank:
                self.curve.setData([], [])
                self._blank = True
            self.message.setText(view.message)
            return
        self._blank = False
        self.message.setText("")
        sweep = view.sweep.values
        if len(self._x) != len(sweep):
            self._x = np.linspace(0.0, SWEEP_S, len(sweep), endpoint=False)
            self._buf = np.empty(len(sweep))
        np.copyto(self._buf, sweep)
        self._buf[(np.arange(GAP) + view.sweep.pos) % len(sweep)] = np.nan
        self.curve.setData(self._x, self._buf, skipFiniteCheck=True)


class TrendPanel(QFrame):
    """SpO2 on its own band, pulse and BP on another, a strip of event labels, and a span selector."""

    sigSpan = Signal(str)

    def __init__(self, span: str = "30 min") -> None:
        super().__init__()
        self.setObjectName("panel")
        self.span = span
        legend = QLabel(f"<span style='color:{theme.SPO2}'>━ SpO₂</span>&nbsp; "
                        f"<span style='color:{theme.PULSE}'>┅ Pulse</span>&nbsp; "
                        f"<span style='color:{theme.ECG}'>━ HR</span>&nbsp; "
                        f"<span style='color:{theme.NIBP}'>┃ BP sys–dia</span>")
        legend.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        theme.set_font(legend, 14)
        self.legend = legend
        self.buttons: dict[str, QPushButton] = {}
        group = QButtonGroup(self)
        top = QHBoxLayout()
        top.setContentsMargins(8, 2, 4, 0)
        top.addWidget(legend, 1)
        for name in SPANS:
            b = QPushButton(name)
            b.setCheckable(True)
            b.setChecked(name == span)
            theme.set_font(b, 14, bold=True)
            b.clicked.connect(lambda _=False, n=name: self.set_span(n))
            group.addButton(b)
            top.addWidget(b)
            self.buttons[name] = b
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground(theme.BACKGROUND)
        self.view.ci.setContentsMargins(0, 0, 4, 0)
        self.view.ci.setSpacing(0)
        self._names: list[pg.TextItem] = []  # each band's name and unit, top left
        self._scale = 1.0
        self.strip = self.view.addViewBox(row=0, col=1)
        self.strip.setMouseEnabled(False, False)
        self.strip.setMenuEnabled(False)
        self.strip.setYRange(0, LABEL_ROWS, padding=0)
        self.spo2 = self.view.addPlot(row=1, col=0, colspan=2)
        self.vitals = self.view.addPlot(row=2, col=0, colspan=2, axisItems={"bottom": pg.DateAxisItem()})
        self.view.ci.layout.setRowStretchFactor(1, 2)
        self.view.ci.layout.setRowStretchFactor(2, 3)
        for plot, unit in ((self.spo2, "SpO₂ %"), (self.vitals, "Pulse, HR /min · BP mmHg")):
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(False, False)
            plot.hideButtons()
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setDownsampling(auto=True, mode="peak")  # 4 h of 1 s points on ~600 pixels
            plot.setClipToView(True)
            plot.getAxis("left").setWidth(40)
            name = pg.TextItem(unit, color=theme.DIM, anchor=(0, 0))
            self._names.append(name)
            name.setParentItem(plot.getViewBox())  # in the band's own pixels: stays top left whatever the range
            name.setPos(4, 0)
            for axis in ("bottom", "left"):
                ax = plot.getAxis(axis)
                ax.setTextPen(theme.DIM)
                ax.setPen(theme.DIM)
        self.spo2.hideAxis("bottom")
        self.spo2.setXLink(self.vitals)
        self.strip.setXLink(self.vitals)
        self.spo2.setYRange(80, 100, padding=0.02)
        self.vitals.setYRange(30, 200, padding=0)
        self.spo2.getAxis("left").setTicks([[(v, str(v)) for v in (70, 80, 90, 100)]])
        self.curves = {
            "spo2": self.spo2.plot(pen=pg.mkPen(theme.SPO2, width=2), connect="finite"),
            "pulse_rate": self.vitals.plot(pen=pg.mkPen(theme.PULSE, width=2, style=Qt.DashLine), connect="finite"),
            "heart_rate": self.vitals.plot(pen=pg.mkPen(theme.ECG, width=2), connect="finite"),
        }
        self.bp = pg.ErrorBarItem(x=np.zeros(0), y=np.zeros(0), top=np.zeros(0), bottom=np.zeros(0),
                                  beam=0, pen=pg.mkPen(theme.NIBP, width=3))
        self.vitals.addItem(self.bp)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addLayout(top)
        box.addWidget(self.view, 1)
        self._events: tuple[tuple[float, str], ...] = ()
        self._lines: list[pg.InfiniteLine] = []
        self._labels: list[pg.TextItem] = []
        self._range = (0.0, 1.0)
        self._start = time.time()
        self.set_scale(1.0)

    @property
    def window_s(self) -> float | None:
        """Return the span shown (s), None for the whole session."""
        return SPANS[self.span]

    def set_span(self, name: str) -> None:
        """Show the last 30 min, 2 h or the whole session."""
        self.span = name
        self.buttons[name].setChecked(True)
        self.sigSpan.emit(name)

    def show_trends(self, trends: TrendView, now: float) -> None:
        """Plot the series and events of a trend frame; now is UTC epoch s."""
        self._start = trends.start
        low = 90.0
        for param, curve in self.curves.items():
            t, v = trends.series.get(param, (np.zeros(0), np.zeros(0)))
            curve.setData(t, v, skipFiniteCheck=True)
            if param == "spo2" and len(v) and np.isfinite(v).any():
                low = min(low, float(np.nanmin(v)))
        self.spo2.setYRange(max(50.0, min(80.0, np.floor(low / 5) * 5 - 5)), 100, padding=0.02)
        ts, s = trends.series.get("sbp", (np.zeros(0), np.zeros(0)))
        td, d = trends.series.get("dbp", (np.zeros(0), np.zeros(0)))
        n = min(len(ts), len(td))
        if n:
            top, bottom = np.asarray(s[-n:], float), np.asarray(d[-n:], float)
            self.bp.setData(x=np.asarray(ts[-n:], float), y=(top + bottom) / 2, top=(top - bottom) / 2,
                            bottom=(top - bottom) / 2)
        span = self.window_s
        if span is None:
            span = max(MIN_SPAN_S, now - trends.start)
        span = max(MIN_SPAN_S, min(span, max(MIN_SPAN_S, (now - trends.start) * 1.05)))
        self._range = (now - span, now + span * 0.02)
        self.vitals.setXRange(*self._range, padding=0)
        self._show_events(trends.events)

    def _show_events(self, events: tuple[tuple[float, str], ...]) -> None:
        if events != self._events:
            for line in self._lines:
                line.getViewBox().removeItem(line) if line.getViewBox() else None
            self._lines = []
            for t, text in events:
                colour = theme.INFUSION if text.startswith("infusion") else theme.TEXT
                for plot in (self.spo2, self.vitals):
                    line = pg.InfiniteLine(pos=t, angle=90, pen=pg.mkPen(colour, width=1, style=Qt.DashLine))
                    plot.addItem(line)
                    self._lines.append(line)
            self._events = events
        self._place_labels()

    def set_scale(self, factor: float) -> None:
        """Size the axis numbers, band names and event labels with the window's font scale (read from 3 m at
        1920x1080 as well as at 1366x768)."""
        self._scale = factor
        for name in self._names:
            name.setFont(theme.font(12 * factor, bold=True))
        for plot in (self.spo2, self.vitals):
            for axis in ("bottom", "left"):
                plot.getAxis(axis).setStyle(tickFont=theme.font(12 * factor))
            plot.getAxis("left").setWidth(int(40 * factor))
        self.view.ci.layout.setRowFixedHeight(0, int(30 * factor))
        self._place_labels()

    def _place_labels(self) -> None:
        """Put each event's label in the first row where it does not overlap another (shortened, or left out)."""
        for label in self._labels:
            self.strip.removeItem(label)
        self._labels = []
        x0, x1 = self._range
        width_px = max(1.0, self.strip.width())
        s_per_px = (x1 - x0) / width_px
        fm = QFontMetrics(theme.font(13 * self._scale))
        ends = [-np.inf] * LABEL_ROWS
        edge = x1 + (x1 - x0) * 0.02
        for t, text in self._events:
            if not x0 <= t <= x1:
                continue
            placed = None
            for candidate in dict.fromkeys((text, text.split(":")[0], text.split(" ")[0])):
                w = (fm.horizontalAdvance(candidate) + 10) * s_per_px
                start, anchor = (t, 0.0) if t + w <= edge else (t - w, 1.0)  # near "now": text left of its line
                row = next((r for r in range(LABEL_ROWS) if ends[r] < start), None)
                if row is not None and start >= x0:
                    placed = (candidate, start + w, anchor, row)
                    break
            if placed is None:
                continue  # no room: the line stays, the words are in the event list
            candidate, end, anchor, row = placed
            ends[row] = end
            colour = theme.INFUSION if text.startswith("infusion") else theme.TEXT
            label = pg.TextItem(candidate, color=colour, anchor=(anchor, 0.5))
            label.setFont(theme.font(13 * self._scale))
            label.setPos(t, LABEL_ROWS - row - 0.5)
            self.strip.addItem(label)
            self._labels.append(label)
        self.strip.setXRange(x0, x1, padding=0)
