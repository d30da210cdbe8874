"""The pleth sweep and the trends (pyqtgraph), drawn from the frame's views with preallocated curves.

Curves are created once; each frame only calls setData with skipFiniteCheck
and a range computed here, never pyqtgraph's auto-range, so painting stays
cheap (BENCHMARKS.md). The pleth is blanked with "no signal" when the view says
so (never a frozen wave), and scaled to the span of its last sweep, as each
oximeter has its own amplitude range (CMS50D+ 0-100, Nonin 0-255): a wave is
never clipped flat. The trends have a band per scale, SpO2 (%) above and
pulse / BP (/min, mmHg) below, each named with its colours and read on at least
three labelled ticks; BP is a systolic-diastolic bar; the time axis is the
clock in minutes (HH:MM). Event labels sit in their own strip above the data,
in rows so they never overlap; the span buttons stand at the right so the
bands keep the height.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontMetrics, QPen
from PySide6.QtWidgets import QButtonGroup, QFrame, QHBoxLayout, QPushButton, QVBoxLayout

from monitor.live.state import SWEEP_S
from monitor.live.view import PlethView, TrendView
from monitor.timefmt import Zone, clock_text
from ui import theme
from ui.pixel_curve import PixelCurve

GAP = 8  # samples blanked ahead of the sweep's write position, like a bedside monitor's eraser bar
#: Trend spans the nurse can choose: label -> seconds (None: the whole session).
SPANS = {"30 min": 30 * 60.0, "2 h": 2 * 3600.0, "Session": None}
MIN_SPAN_S = 5 * 60.0
LABEL_ROWS = 2
#: The pleth's smallest vertical span (device units): a flat or tiny wave is not blown up into noise.
PLETH_MIN_SPAN = 16.0
PLETH_HEADROOM = 0.3  # of the wave's span, above it, for the "Pleth" name
#: Time-axis steps (s), the first that leaves this many pixels per label: whole minutes, never seconds.
TIME_STEPS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 4 * 3600)
TIME_LABEL_PX = 80
TICK_PX = 14  # axis numbers at font scale 1: read from the chair
VITALS_LOW = 30.0  # the pulse/BP band's floor (/min, mmHg)


def spo2_ticks(low: float) -> tuple[float, list[float]]:
    """Return the SpO2 band's low end and ticks from its lowest value shown (a multiple of 5, at most 80): 10 %
    apart down from 100, 20 % when the band reaches lower than 70; the lowest tick is at or below low."""
    step = 10.0 if low >= 70 else 20.0
    ticks = [100.0 - step * i for i in range(int(np.ceil((100 - low) / step)) + 1)]
    return min(ticks), ticks


def vitals_ticks(high: float) -> tuple[float, list[float]]:
    """Return the pulse/BP band's top (>= 200, over the highest value shown) and ticks every 60 (60, 120, 180...):
    few enough to stay apart on a band 60 px high, at values a nurse knows (a pulse of 60, an SBP of 120, 180)."""
    top = max(200.0, float(np.ceil(high / 20) * 20))
    return top, [float(v) for v in np.arange(60, top + 1, 60)]


class ClockAxis(pg.AxisItem):
    """The time axis: the clock (HH:MM) in the session's zone at whole-minute steps wide enough to read."""

    def __init__(self, tz: Zone = None) -> None:
        super().__init__("bottom")
        self.tz = tz

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, list[float]]]:
        span = max(1.0, maxVal - minVal)
        step = next((s for s in TIME_STEPS if s / span * size >= TIME_LABEL_PX), TIME_STEPS[-1])
        first = np.ceil(minVal / step) * step
        return [(step, [float(t) for t in np.arange(first, maxVal, step)])]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [clock_text(t, self.tz) for t in values]


class PlethSweep(pg.PlotWidget):
    """A left-to-right sweeping plethysmogram of the last 10 s, blank with a message when there is no signal."""

    def __init__(self) -> None:
        super().__init__(background=theme.BACKGROUND)
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        for axis in ("bottom", "left"):
            self.getPlotItem().hideAxis(axis)
        # the curve itself, not a PlotDataItem around it: nothing to clip or downsample in 750 points, and the
        # 2 px line is stroked in device pixels (a third of the work at every frame)
        self.curve = PixelCurve(pen=pg.mkPen(theme.SPO2, width=2), connect="finite")
        self.addItem(self.curve)
        self.setXRange(0, SWEEP_S, padding=0)
        self.y_range = (-5.0, 135.0)
        self.title = pg.TextItem("Pleth", color=theme.SPO2, anchor=(0, 0))
        self.title.setFont(theme.font(15, bold=True))
        self.title.setParentItem(self.getViewBox())  # in the box's pixels: top left whatever the wave's range
        self.title.setPos(2, 0)
        self.message = pg.TextItem("", color=theme.TEXT, anchor=(0.5, 0.5))
        self.message.setFont(theme.font(24, bold=True))
        self.addItem(self.message)
        self._set_y(*self.y_range)
        self._x = np.zeros(0)
        self._buf = np.zeros(0)
        self._blank = False

    def show_view(self, view: PlethView) -> None:
        """Draw the sweep, or blank it with its message."""
        if view.blank or view.sweep is None:
            if not self._blank:
                self.curve.setData([], [])
                self._blank = True
            self._say(view.message)
            return
        self._blank = False
        self._say("")
        sweep = view.sweep.values
        if len(self._x) != len(sweep):
            self._x = np.linspace(0.0, SWEEP_S, len(sweep), endpoint=False)
            self._buf = np.empty(len(sweep))
        np.copyto(self._buf, sweep)
        self._buf[(np.arange(GAP) + view.sweep.pos) % len(sweep)] = np.nan
        self._fit(sweep)
        self.curve.setData(self._x, self._buf, skipFiniteCheck=True)

    def _say(self, message: str) -> None:
        if message != self.message.toPlainText():  # the text item lays itself out again at every setText
            self.message.setText(message)

    def _fit(self, sweep: np.ndarray) -> None:
        """Fit the range to the sweep's span (at least PLETH_MIN_SPAN), room above for the name: grown at once
        when the wave leaves it, shrunk only when the wave fills less than half of it (no jitter)."""
        finite = sweep[np.isfinite(sweep)]
        if not len(finite):
            return
        lo, hi = float(finite.min()), float(finite.max())
        if hi - lo < PLETH_MIN_SPAN:
            mid = (lo + hi) / 2
            lo, hi = mid - PLETH_MIN_SPAN / 2, mid + PLETH_MIN_SPAN / 2
        span = hi - lo
        low, high = self.y_range
        if lo < low or hi > high - span * PLETH_HEADROOM * 0.5 or span < (high - low) * 0.5:
            pad = span * 0.08
            self._set_y(lo - pad, hi + span * PLETH_HEADROOM)

    def _set_y(self, low: float, high: float) -> None:
        self.y_range = (low, high)
        self.setYRange(low, high, padding=0)
        self.message.setPos(SWEEP_S / 2, (low + high) / 2)


class TrendPanel(QFrame):
    """SpO2 on its own band, pulse and BP on another, a strip of event labels, and a span selector."""

    sigSpan = Signal(str)

    def __init__(self, span: str = "30 min", tz: Zone = None) -> None:
        super().__init__()
        self.setObjectName("panel")
        self.span = span
        self.buttons: dict[str, QPushButton] = {}
        group = QButtonGroup(self)
        side = QVBoxLayout()
        side.setContentsMargins(4, 4, 4, 4)
        for name in SPANS:
            b = QPushButton(name)
            b.setCheckable(True)
            b.setChecked(name == span)
            theme.set_font(b, 14, bold=True)
            b.clicked.connect(lambda _=False, n=name: self.set_span(n))
            group.addButton(b)
            side.addWidget(b)
            self.buttons[name] = b
        side.addStretch(1)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground(theme.BACKGROUND)
        self.view.ci.setContentsMargins(0, 0, 4, 0)
        self.view.ci.setSpacing(0)
        self._names: list[pg.TextItem] = []  # each band's name, colours and unit, top left
        self._scale = 1.0
        self.strip = self.view.addViewBox(row=0, col=1)
        self.strip.setMouseEnabled(False, False)
        self.strip.setMenuEnabled(False)
        self.strip.setYRange(0, LABEL_ROWS, padding=0)
        self.spo2 = self.view.addPlot(row=1, col=0, colspan=2)
        self.vitals = self.view.addPlot(row=2, col=0, colspan=2, axisItems={"bottom": ClockAxis(tz)})
        self.view.ci.layout.setRowStretchFactor(1, 2)
        self.view.ci.layout.setRowStretchFactor(2, 3)
        names = (f"<span style='color:{theme.SPO2}'>━ SpO₂ %</span>",
                 f"<span style='color:{theme.PULSE}'>┅ Pulse</span> <span style='color:{theme.ECG}'>━ HR</span>"
                 f" <span style='color:{theme.DIM}'>/min</span>&nbsp; "
                 f"<span style='color:{theme.NIBP}'>┃ BP sys–dia</span> <span style='color:{theme.DIM}'>mmHg</span>")
        for plot, html in ((self.spo2, names[0]), (self.vitals, names[1])):
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(False, False)
            plot.hideButtons()
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setDownsampling(auto=True, mode="peak")  # 4 h of 1 s points on ~600 pixels
            plot.setClipToView(True)
            name = pg.TextItem(html=html, anchor=(0, 0))
            self._names.append(name)
            name.setParentItem(plot.getViewBox())  # in the band's own pixels: stays top left whatever the range
            name.setPos(4, -4)
            for axis in ("bottom", "left"):
                ax = plot.getAxis(axis)
                ax.setTextPen(theme.TEXT)
                ax.setPen(theme.DIM)
        self.spo2.hideAxis("bottom")
        self.spo2.setXLink(self.vitals)
        self.strip.setXLink(self.vitals)
        self._bands = {"spo2": (80.0, 100.0, spo2_ticks(80.0)[1]), "vitals": (VITALS_LOW, *vitals_ticks(0.0))}
        self._ticks: dict[int, list] = {}  # id(plot) -> the ticks its left axis was given
        # the lowest and highest value of each pixel column (pyqtgraph's default keeps 5 points a pixel: 4 h of
        # 1 s points on 1,300 px were all drawn, a 2 px line of 14,400 segments each second)
        fine = {"connect": "finite", "autoDownsampleFactor": 1.0}
        self.curves = {
            "spo2": self.spo2.plot(pen=pg.mkPen(theme.SPO2, width=2), **fine),
            "pulse_rate": self.vitals.plot(pen=pg.mkPen(theme.PULSE, width=2, style=Qt.DashLine), **fine),
            "heart_rate": self.vitals.plot(pen=pg.mkPen(theme.ECG, width=2), **fine),
        }
        self.bp = pg.ErrorBarItem(x=np.zeros(0), y=np.zeros(0), top=np.zeros(0), bottom=np.zeros(0),
                                  beam=0, pen=self._bp_pen(1.0))
        self.vitals.addItem(self.bp)
        box = QHBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.view, 1)
        box.addLayout(side)
        self._events: tuple[tuple[float, str], ...] = ()
        self._lines: list[pg.InfiniteLine] = []
        self._labels: list[pg.TextItem] = []
        self._range = (0.0, 1.0)
        self._start = time.time()
        self.set_scale(1.0)

    @staticmethod
    def _bp_pen(scale: float) -> QPen:
        """The BP bar's pen: a wide bar from diastolic to systolic, seen from the chair."""
        pen = pg.mkPen(theme.NIBP, width=max(5, int(7 * scale)))
        pen.setCapStyle(Qt.FlatCap)  # ends exactly at systolic and diastolic
        return pen

    def _set_bands(self) -> None:
        """Give each band its range and labelled ticks, with half a label's height (in pixels) beyond each end so
        the end ticks' numbers are drawn (the axis leaves out a number that would cross its edge)."""
        for plot, (low, high, ticks) in ((self.spo2, self._bands["spo2"]), (self.vitals, self._bands["vitals"])):
            height = plot.getViewBox().height()
            margin_px = TICK_PX * self._scale * 0.5 + 2
            pad = (high - low) * margin_px / max(1.0, height - 2 * margin_px)
            plot.setYRange(low - pad, high + pad, padding=0)
            wanted = [[(v, f"{v:.0f}") for v in ticks]]
            if self._ticks.get(id(plot)) != wanted:  # setTicks draws the scale again: not each second for the same
                self._ticks[id(plot)] = wanted
                plot.getAxis("left").setTicks(wanted)

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
        lows, highs = [90.0], [0.0]
        for param, curve in self.curves.items():
            t, v = trends.series.get(param, (np.zeros(0), np.zeros(0)))
            curve.setData(t, v, skipFiniteCheck=True)
            if len(v) and np.isfinite(v).any():
                (lows if param == "spo2" else highs).append(float(np.nanmin(v) if param == "spo2" else np.nanmax(v)))
        low, ticks = spo2_ticks(max(50.0, min(80.0, np.floor(min(lows) / 5) * 5 - 5)))
        self._bands["spo2"] = (low, 100.0, ticks)
        ts, s = trends.series.get("sbp", (np.zeros(0), np.zeros(0)))
        td, d = trends.series.get("dbp", (np.zeros(0), np.zeros(0)))
        n = min(len(ts), len(td))
        if n:
            top, bottom = np.asarray(s[-n:], float), np.asarray(d[-n:], float)
            self.bp.setData(x=np.asarray(ts[-n:], float), y=(top + bottom) / 2, top=(top - bottom) / 2,
                            bottom=(top - bottom) / 2)
            if np.isfinite(top).any():
                highs.append(float(np.nanmax(top)))
        self._bands["vitals"] = (VITALS_LOW, *vitals_ticks(max(highs)))
        self._set_bands()
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
            name.setFont(theme.font(13 * factor, bold=True))
        for plot in (self.spo2, self.vitals):
            for axis in ("bottom", "left"):
                plot.getAxis(axis).setStyle(tickFont=theme.font(TICK_PX * factor), tickTextOffset=3)
            plot.getAxis("left").setStyle(hideOverlappingLabels=False)  # the end ticks' labels may reach the edge
            plot.getAxis("left").setWidth(int(40 * factor))
        self.vitals.getAxis("bottom").setHeight(int((TICK_PX + 8) * factor))
        self.bp.setData(pen=self._bp_pen(factor))
        self.view.ci.layout.setRowFixedHeight(0, int(30 * factor))
        self._set_bands()
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
