"""The pleth sweep and the trend plot (pyqtgraph), drawn from preallocated arrays.

Curves are created once; each frame only calls setData with skipFiniteCheck
and a fixed range, never auto-range, so painting stays cheap (BENCHMARKS.md).
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from monitor.live import SWEEP_S, Snapshot
from ui import theme

MIN_WINDOW_S = 5 * 60
GAP = 8  # samples blanked ahead of the sweep's write position, like a bedside monitor's eraser bar


class PlethSweep(pg.PlotWidget):
    """A left-to-right sweeping plethysmogram of the last 10 s."""

    def __init__(self) -> None:
        super().__init__(background=theme.BACKGROUND)
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.getPlotItem().hideAxis("bottom")
        self.getPlotItem().hideAxis("left")
        self.setTitle("Pleth", color=theme.SPO2, size="14pt")
        self.curve = self.plot(pen=pg.mkPen(theme.SPO2, width=2), connect="finite")
        self.setXRange(0, SWEEP_S, padding=0)
        self.setYRange(-5, 135, padding=0)
        self._x = np.zeros(0)
        self._buf = np.zeros(0)

    def show_snapshot(self, snap: Snapshot) -> None:
        current = snap.primary_sweep()
        if current is None:
            return
        sweep = current.values
        if len(self._x) != len(sweep):
            self._x = np.linspace(0.0, SWEEP_S, len(sweep), endpoint=False)
            self._buf = np.empty(len(sweep))
        np.copyto(self._buf, sweep)
        gap = (np.arange(GAP) + current.pos) % len(sweep)
        self._buf[gap] = np.nan
        self.curve.setData(self._x, self._buf, skipFiniteCheck=True)


class TrendPlot(pg.PlotWidget):
    """SpO2 and pulse rate over the last minutes, with NIBP systolic/diastolic as points."""

    def __init__(self, window_s: float = 30 * 60) -> None:
        super().__init__(background=theme.BACKGROUND, axisItems={"bottom": pg.DateAxisItem()})
        self.window_s = window_s
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.addLegend(offset=(10, 5), labelTextColor=theme.TEXT, labelTextSize="12pt")
        self.showGrid(x=True, y=True, alpha=0.2)
        self.getPlotItem().setDownsampling(auto=True, mode="peak")  # 4 h of 1 s points on ~600 pixels
        self.getPlotItem().setClipToView(True)
        self.setYRange(30, 200, padding=0)
        for axis in ("bottom", "left"):
            ax = self.getPlotItem().getAxis(axis)
            ax.setTextPen(theme.DIM)
            ax.setPen(theme.DIM)
            ax.setStyle(tickFont=theme.font(13))
        self.curves = {
            "spo2": self.plot(pen=pg.mkPen(theme.SPO2, width=2), name="SpO2 %", connect="finite"),
            "pulse_rate": self.plot(pen=pg.mkPen(theme.PULSE, width=2), name="Pulse /min", connect="finite"),
            "sbp": self.plot(pen=None, symbol="t", symbolBrush=theme.NIBP, symbolSize=11, name="SBP/DBP mmHg"),
            "dbp": self.plot(pen=None, symbol="t1", symbolBrush=theme.NIBP, symbolSize=11),
        }
        self._events: list[tuple[float, str]] = []
        self._lines: list[pg.InfiniteLine] = []

    def show_events(self, events: list[tuple[float, str]]) -> None:
        """Draw infusion steps and event markers as labelled vertical lines (only when they change)."""
        if events == self._events:
            return
        for line in self._lines:
            self.removeItem(line)
        self._lines = []
        for i, (t, text) in enumerate(events):
            colour = theme.INFUSION if text.startswith("infusion") else theme.TEXT
            line = pg.InfiniteLine(pos=t, angle=90, pen=pg.mkPen(colour, width=1, style=Qt.DashLine),
                                   label=text, labelOpts={"position": 0.95 - 0.12 * (i % 6), "color": colour,
                                                          "anchors": [(1, 0), (1, 0)]})  # text left of the line
            line.label.setFont(theme.font(14))
            self.addItem(line)
            self._lines.append(line)
        self._events = list(events)

    def show_snapshot(self, snap: Snapshot) -> None:
        """Plot the trends; a young session spans its own length (at least 5 min), not 30 empty minutes."""
        now = time.time()
        first = now
        for param, curve in self.curves.items():
            source = next((s for s in snap.sources if (s, param) in snap.trends), "")
            t, v = snap.trends.get((source, param), (np.zeros(0), np.zeros(0)))
            curve.setData(t, v, skipFiniteCheck=True)
            if len(t):
                first = min(first, float(t[0]))
        span = min(self.window_s, max(MIN_WINDOW_S, (now - first) * 1.1))
        self.setXRange(now - span, now + span * 0.02, padding=0)
