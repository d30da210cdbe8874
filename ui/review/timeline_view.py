"""The whole-session timeline: SpO2, pulse, BP whiskers, infusion and phases, events, alarms, pleth.

Each signal has its own plot and scale, all on one time axis in the session's
own time zone. Envelopes (min-max per bucket) are drawn as vertical bars with
the mean on top, so a one-second desaturation keeps its depth at any zoom.
Mouse wheel and drag zoom and pan the time axis; keys: Left/Right pan,
Up/+ and Down/- zoom, Home shows the whole session. The cursor follows the
mouse and the line above the plots reads every value at that time; a click on
an event or alarm lane, or on the lists beside, jumps to it. Data comes from
the review worker; this widget only paints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontMetrics, QKeyEvent
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QLabel, QVBoxLayout, QWidget

from devices.values import spec_of
from monitor.alarms.model import Priority
from monitor.alarms.profile import label
from monitor.review.timeline import RAW_WAVE_S, Readout, SessionTimeline, Trace
from monitor.storage.levels import Key
from monitor.timefmt import time_text, zone
from ui import theme
from ui.review.timeline_items import Bands, Bars, Envelope, Levels, Marks, MeanLine, TimeGrid
from ui.time_axis import TimeAxis

#: Parameter -> (plot name, y range shown).
PLOTS = {"spo2": ("SpO₂ %", (70.0, 101.0)), "pulse_rate": ("Pulse /min", (30.0, 160.0)),
         "bp": ("BP mmHg", (40.0, 220.0)), "lanes": ("", (-0.45, 4.0)), "alarms": ("", (0.0, 3.0)),
         "pleth": ("Pleth", (None, None))}
COLOURS = {"spo2": theme.SPO2, "pulse_rate": theme.PULSE, "pleth": theme.SPO2}
PHASE_COLOURS = {"pre_infusion": "#2b3440", "infusion": "#5a3b12", "observation": "#1f3d2b", "closed": "#303030"}
MARK_Y = {"event": 1.2, "scale": 0.45, "infusion": 1.2, "phase": 1.2, "discharge": 0.45}
MARK_SYMBOL = {"event": "t", "scale": "d", "infusion": "s", "phase": "s", "discharge": "star"}
ALARM_ROW = {Priority.HIGH: 2.0, Priority.MEDIUM: 1.0, Priority.LOW: 0.0}
GRID = "#2a2f36"
#: Labels of marks are written when at most this many marks are in view.
MAX_LABELS = 30
ZOOM_STEP = 2.0
PAN_STEP = 0.2
MIN_SPAN_S = 20.0
DEBOUNCE_MS = 30
#: The pleth's scale is fitted again when the wave in view fills less than this share of its height.
PLETH_FILL = 0.75
#: Least room (px) between two labels on one row.
LABEL_GAP_PX = 8
#: A mark's label starts this far (px) right of the mark's centre, above (events) or below (scales) its line.
MARK_LABEL_PX = 4.0
#: The margin (px) a text item keeps around its words (QTextDocument's default document margin).
TEXT_MARGIN_PX = 4
#: How far (rows) the lanes' bottom may be lowered to make room for the words below the scales' marks.
MAX_ROOM_ROWS = 0.4


@dataclass(frozen=True)
class Label:
    """Words to write beside a mark or a BP reading: plot, position (UTC epoch s, y), text, colour, anchor."""

    plot: str
    t: float
    y: float
    text: str
    colour: str
    anchor: tuple[float, float]
    end: float | None = None  # a band's label: written only when the band is wide enough for it
    bold: bool = False
    offset_px: float = 0.0  # a mark's label is written this far right of its mark

    def x(self, per_px: float) -> float:
        """Return where the label is written (UTC epoch s) at per_px seconds per pixel."""
        return self.t + self.offset_px * per_px


def _pen(colour: str, width: float = 1.0, alpha: int = 255, style=Qt.SolidLine) -> pg.QtGui.QPen:
    c = QColor(colour)
    c.setAlpha(alpha)
    pen = pg.mkPen(c, width=width, style=style)
    pen.setCosmetic(True)
    return pen


class TimelineView(QWidget):
    """Plots of one session on a shared, zoomable time axis; emits sigRange when the view needs data."""

    sigRange = Signal(float, float, int)  # t0, t1 (UTC epoch s), width in pixels
    sigJumped = Signal(float)

    def __init__(self) -> None:
        super().__init__()
        self.setFocusPolicy(Qt.StrongFocus)
        self.timeline: SessionTimeline | None = None
        self.readout_ready = False
        self.readout = QLabel("Open a session")
        self.readout.setFont(theme.font(15))
        self.readout.setWordWrap(True)
        self.readout.setMinimumHeight(48)
        self.readout.setStyleSheet(f"color: {theme.TEXT}; background: {theme.PANEL}; padding: 4px;")
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(theme.BACKGROUND)
        # every item moves at each zoom: a spatial index would be rebuilt each time for a few hundred items
        self.graphics.scene().setItemIndexMethod(QGraphicsScene.NoIndex)
        self.axis = TimeAxis()
        self.plots: dict[str, pg.PlotItem] = {}
        heights = {"spo2": 3, "pulse_rate": 3, "bp": 3, "lanes": 2.4, "alarms": 1.4, "pleth": 2.2}
        for row, (name, (title, (y0, y1))) in enumerate(PLOTS.items()):
            plot = self.graphics.addPlot(row=row, col=0, axisItems={"bottom": self.axis} if name == "pleth" else None)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.setMouseEnabled(x=True, y=False)
            if name in ("spo2", "pulse_rate", "bp"):  # an opaque time grid on the vital signs only
                plot.addItem(TimeGrid(self.axis, GRID), ignoreBounds=True)
            plot.getAxis("left").setWidth(62)
            for axis in ("left", "bottom", "top", "right"):
                # every axis follows every zoom, and with an automatic SI prefix it rewrites its label's HTML
                # each time: only the pleth's values (a device's own units) could ever need a prefix
                plot.getAxis(axis).enableAutoSIPrefix(name == "pleth" and axis == "left")
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setTextPen(theme.DIM)
                plot.getAxis(axis).setPen(GRID)
                plot.getAxis(axis).setStyle(tickFont=theme.font(12))
            if name != "pleth":
                plot.hideAxis("bottom")
            if title:
                plot.setLabel("left", title, color=COLOURS.get(name, theme.TEXT), size="11pt")
            # a time zoom leaves every scale but the pleth's as it was: kept as pixels, not drawn again
            plot.getAxis("left").label.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
            if name != "pleth":
                plot.getAxis("left").setCacheMode(QGraphicsItem.DeviceCoordinateCache)
            if y0 is not None:
                plot.setYRange(y0, y1, padding=0)
            self.graphics.ci.layout.setRowStretchFactor(row, int(heights[name] * 10))
            self.plots[name] = plot
            if row:
                plot.setXLink(self.plots["spo2"])
        self.plots["spo2"].addItem(Levels([(94, _pen("#f5c400", 1, 120, Qt.DashLine)),
                                           (90, _pen("#d0021b", 1, 140, Qt.DashLine))]), ignoreBounds=True)
        self._alarm_lane_labels()
        self.cursors = []
        for plot in self.plots.values():
            line = pg.InfiniteLine(angle=90, movable=False, pen=_pen("#ffffff", 1, 110))
            line.setVisible(False)
            plot.addItem(line, ignoreBounds=True)
            self.cursors.append(line)
        self.curves: dict[Key, tuple[Envelope, MeanLine]] = {}
        self.bp_bars = Envelope(pen=_pen(theme.NIBP, 2))
        # the whiskers' caps and the MAP dots above them in one item: each item costs a paint call per zoom
        self.bp_marks = Marks()
        for item in (self.bp_bars, self.bp_marks):
            self.plots["bp"].addItem(item)
        self.lane_items: list = []
        self.labels: list[Label] = []  # written only when few are in view (text items are costly to make)
        self._bp_range = PLOTS["bp"][1]  # the BP plot's range before room is made for the words above it
        self.shown_labels: dict[Label, pg.TextItem] = {}
        self.pleth_note = pg.LabelItem("", color=theme.TEXT, size="10pt")
        self.pleth_note.setParentItem(self.plots["pleth"].getViewBox())
        self.pleth_note.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(8, 2))
        self.pleth_note.item.setCacheMode(QGraphicsItem.DeviceCoordinateCache)  # words laid out once, not per paint
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self._range_settled)
        self.plots["spo2"].getViewBox().sigXRangeChanged.connect(lambda *_: self._debounce.start())
        self.plots["bp"].getViewBox().sigResized.connect(lambda *_: self._room_above_bp())  # the words' room is in px
        self.plots["lanes"].getViewBox().sigResized.connect(lambda *_: self._labels_again())  # whole ones, in px
        self.inner_titles: dict[str, pg.LabelItem] = {}  # a short plot's title, written across inside it
        for name, (title, _) in PLOTS.items():
            if title and name != "pleth":  # the pleth's corner holds its note; its plot is tall enough anyway
                box = self.plots[name].getViewBox()
                inner = self.inner_titles[name] = pg.LabelItem(title, color=COLOURS.get(name, theme.TEXT), size="10pt")
                inner.setParentItem(box)
                inner.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(4, -2))
                inner.setVisible(False)
                box.sigResized.connect(lambda *_, n=name: self._title_if_room(n))
        self.graphics.scene().sigMouseMoved.connect(self._mouse_moved)
        self.graphics.scene().sigMouseClicked.connect(self._mouse_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.readout)
        layout.addWidget(self.graphics, 1)

    def _alarm_lane_labels(self) -> None:
        self.plots["alarms"].getAxis("left").setTicks([[(row + 0.5, p.label) for p, row in ALARM_ROW.items()]])
        self.plots["lanes"].getAxis("left").setTicks([[(3.5, "phase"), (2.5, "infusion"),
                                                       (MARK_Y["event"], "events"), (MARK_Y["scale"], "scales")]])

    # --- data in ----------------------------------------------------------------------------------

    def show_session(self, timeline: SessionTimeline, traces: dict[Key, Trace] | None) -> None:
        """Show a session read by the worker: lanes, BP, limits; whole session unless the same one is refreshed."""
        same = self.timeline is not None and self.timeline.meta.id == timeline.meta.id
        self.timeline = timeline
        self.readout_ready = False
        self.readout.setText("Move the pointer over the plots to read every value at that time; click an event or "
                             "alarm to jump to it. Wheel or +/− zoom, drag or ←/→ pan, Home for the whole session.")
        self.axis.set_zone(zone(timeline.meta.tz))
        span = max(timeline.end - timeline.start, MIN_SPAN_S)
        margin = span * 0.01
        for plot in self.plots.values():
            plot.getViewBox().setLimits(xMin=timeline.start - margin, xMax=timeline.end + margin,
                                        minXRange=MIN_SPAN_S)
        for old, item in self.shown_labels.items():
            self.plots[old.plot].removeItem(item)
        self.labels, self.shown_labels = [], {}
        self._show_bp(timeline)
        self._show_lanes(timeline)
        self._show_alarms(timeline)
        if traces is not None:
            self.show_traces(traces)
        if not same:
            self.whole()
        else:
            self._range_settled()

    def show_traces(self, traces: dict[Key, Trace]) -> None:
        """Set every signal's curves from the worker's traces (envelope bars plus mean, or the values)."""
        timeline = self.timeline
        primary = {}
        if timeline is not None:
            order = [d.source for d in timeline.record.devices]
            for src, param in traces:
                rank = order.index(src) if src in order else len(order)
                if param not in primary or rank < primary[param][0]:
                    primary[param] = (rank, src)
        for key, trace in traces.items():
            src, param = key
            plot = self.plots.get(param)
            if plot is None:
                continue  # perfusion index, respiration...: in the readout only
            bars, line = self.curves.get(key) or self._new_curves(key, plot, primary.get(param, (0, src))[1] == src)
            if trace.width > 0:
                x = np.repeat(trace.t, 2)
                y = np.column_stack([trace.lo, trace.hi]).ravel()
                bars.setData(x, y, connect="pairs")
                bars.setVisible(True)
            else:
                bars.setVisible(False)
            if param == "pleth" and trace.width > 0:
                line.setData([], [])  # the mean of a waveform says nothing; its envelope does
            else:
                line.setData(trace.t, trace.mean, connect="finite")
            if param == "pleth":
                self._pleth_note(trace)
        for key, (bars, line) in self.curves.items():
            if key not in traces:
                bars.setData([], [])
                line.setData([], [])
        for param in ("spo2", "pulse_rate"):
            self._fit(param, [t for (_, p), t in traces.items() if p == param])

    def _fit(self, param: str, traces: list[Trace]) -> None:
        """Show the plot's usual range, widened so that no value in view is ever cut off."""
        lo, hi = PLOTS[param][1]
        values = [a[np.isfinite(a)] for t in traces for a in (t.lo, t.hi)]
        values = [v for v in values if len(v)]
        if values:
            lo = min(lo, float(min(v.min() for v in values)) - 2)
            hi = max(hi, float(max(v.max() for v in values)) + 2)
        self.plots[param].setYRange(lo, hi, padding=0)

    def _new_curves(self, key: Key, plot: pg.PlotItem, primary: bool) -> tuple[Envelope, MeanLine]:
        colour = COLOURS.get(key[1], theme.TEXT)
        bars = Envelope(pen=_pen(colour, 1, 90 if primary else 40))
        line = MeanLine(pen=_pen(colour, 2 if primary else 1, 255 if primary else 120,
                                 Qt.SolidLine if primary else Qt.DashLine))
        plot.addItem(bars)
        plot.addItem(line)
        self.curves[key] = (bars, line)
        return bars, line

    def _pleth_note(self, trace: Trace) -> None:
        note = "" if trace.width <= 0 else (f"envelope (min-max per {trace.width:g} s): zoom to "
                                            f"{RAW_WAVE_S / 60:.0f} min or less for the waveform")
        if note != self.pleth_note.text:  # setText lays out HTML: not on every zoom for the same words
            self.pleth_note.setText(note)
        finite = trace.mean[np.isfinite(trace.mean)]
        if len(finite):
            lo, hi = (np.nanmin(trace.lo), np.nanmax(trace.hi)) if trace.width > 0 else (finite.min(), finite.max())
            y0, y1 = self.plots["pleth"].getViewBox().viewRange()[1]
            # the scale holds while the wave stays inside it and fills most of it: it no longer jumps at every
            # pan, and the axis is not drawn again at every zoom (a third of a zoom's painting)
            if not (y0 <= lo and hi <= y1 and hi - lo >= PLETH_FILL * (y1 - y0)):
                pad = (hi - lo) * 0.08 + 1e-6
                self.plots["pleth"].setYRange(lo - pad, hi + pad, padding=0)

    def _show_bp(self, timeline: SessionTimeline) -> None:
        t = np.array([n.t for n in timeline.nibp])
        sbp = np.array([n.sbp for n in timeline.nibp], dtype=float)
        dbp = np.array([n.dbp for n in timeline.nibp], dtype=float)
        self.bp_bars.setData(np.repeat(t, 2), np.column_stack([dbp, sbp]).ravel(), connect="pairs")
        maps = [(n.t, n.map) for n in timeline.nibp if n.map is not None]
        caps, dots = 2 * len(t), len(maps)
        self.bp_marks.setData(np.concatenate([t, t, [m[0] for m in maps]]),
                              np.concatenate([sbp, dbp, [m[1] for m in maps]]),
                              symbol=["_"] * caps + ["o"] * dots, size=[14] * caps + [6] * dots,
                              pen=[_pen(theme.NIBP, 2)] * caps + [pg.mkPen(None)] * dots,
                              brush=[pg.mkBrush(None)] * caps + [pg.mkBrush(theme.INFUSION)] * dots)
        plot = self.plots["bp"]
        self.labels += [Label("bp", n.t, n.sbp, f"{n.sbp:.0f}/{n.dbp:.0f}", theme.NIBP, (0.5, 1.2))
                        for n in timeline.nibp]
        lo, hi = PLOTS["bp"][1]
        if len(t):
            lo, hi = min(lo, float(dbp.min()) - 5), max(hi, float(sbp.max()) + 15)
        self._bp_range = (lo, hi)
        plot.setYRange(lo, hi, padding=0)

    def _show_lanes(self, timeline: SessionTimeline) -> None:
        lanes = self.plots["lanes"]
        for item in self.lane_items:
            lanes.removeItem(item)
        self.lane_items = []
        bands = Bands()
        for p in timeline.phases:
            end = timeline.end if p.end_utc is None else p.end_utc
            if end <= p.start_utc:
                continue
            bands.add(p.start_utc, end, 3.05, 3.95, PHASE_COLOURS.get(p.phase, "#333"))
            self.labels.append(Label("lanes", p.start_utc, 3.5, p.phase.replace("_", "-"), theme.TEXT, (0, 0.5), end))
        if timeline.infusion is not None:
            for seg in timeline.infusion.segments:
                end = timeline.end if seg.end_utc is None else seg.end_utc
                running = seg.state == "running"
                bands.add(seg.start_utc, end, 2.1, 2.9, theme.INFUSION if running else "#555b63")
                text = f"{seg.rate_ml_per_h:g} mL/h" if running else "paused" + (f": {seg.reason}" if seg.reason else "")
                self.labels.append(Label("lanes", seg.start_utc, 2.5, text, "#000000" if running else theme.TEXT,
                                         (0, 0.5), end, bold=True))
        if bands.x0:
            self._lane_add(bands.item())
        by_kind: dict[str, list] = {}
        for m in timeline.marks():
            if m.kind != "infusion":  # the infusion band shows its steps; the jump list names them
                by_kind.setdefault(m.kind, []).append(m)
        for kind, items in by_kind.items():
            colour = theme.INFUSION if kind == "infusion" else theme.TEXT if kind == "event" else "#b18cff"
            scatter = Marks([m.t for m in items], [MARK_Y[kind]] * len(items), symbol=MARK_SYMBOL[kind],
                                        size=12, brush=pg.mkBrush(colour), pen=None)
            self._lane_add(scatter)
            self.labels += [Label("lanes", m.t, MARK_Y[kind], m.text, colour, (0, 1.0 if MARK_Y[kind] > 1 else 0.0),
                                  offset_px=MARK_LABEL_PX) for m in items]

    def _lane_add(self, item) -> None:
        self.plots["lanes"].addItem(item)
        self.lane_items.append(item)

    def _show_alarms(self, timeline: SessionTimeline) -> None:
        plot = self.plots["alarms"]
        for item in [i for i in plot.items if isinstance(i, Bars)]:
            plot.removeItem(item)
        for priority, row in ALARM_ROW.items():
            for technical in (False, True):
                spans = [a for a in timeline.alarms if a.priority is priority and a.technical == technical]
                if not spans:
                    continue
                x0 = [a.raised_t for a in spans]
                x1 = [max(a.raised_t + 1.0, a.ended_t or a.cleared_t or timeline.end) for a in spans]
                colour = QColor(theme.ALARM_BG[priority])
                colour.setAlpha(110 if technical else 230)  # technical alarms paler
                # one item per colour: Qt fills a batch of one colour's rectangles at once
                plot.addItem(Bars(x0=x0, x1=x1, y0=[row + 0.1] * len(spans), y1=[row + 0.9] * len(spans),
                                             brush=colour, pen=_pen(theme.ALARM_BG[priority], 1)))

    # --- view ---------------------------------------------------------------------------------

    def whole(self) -> None:
        """Show the whole session."""
        if self.timeline is not None:
            self.plots["spo2"].setXRange(self.timeline.start, self.timeline.end, padding=0.005)

    def view_range(self) -> tuple[float, float]:
        """Return the time window shown (UTC epoch s)."""
        x0, x1 = self.plots["spo2"].getViewBox().viewRange()[0]
        return float(x0), float(x1)

    def zoom(self, factor: float, centre: float | None = None) -> None:
        """Zoom the time axis by factor (> 1 zooms in) around centre (default: the cursor, else the middle)."""
        x0, x1 = self.view_range()
        c = centre if centre is not None else (self.cursors[0].value() if self.cursors[0].isVisible()
                                               else (x0 + x1) / 2)
        if not x0 <= c <= x1:
            c = (x0 + x1) / 2
        span = max(MIN_SPAN_S, (x1 - x0) / factor)
        left = (c - x0) / max(x1 - x0, 1e-9)
        self.plots["spo2"].setXRange(c - span * left, c + span * (1 - left), padding=0)

    def pan(self, fraction: float) -> None:
        """Move the view by a fraction of its width (negative: earlier)."""
        x0, x1 = self.view_range()
        d = (x1 - x0) * fraction
        self.plots["spo2"].setXRange(x0 + d, x1 + d, padding=0)

    def jump_to(self, t: float, span: float = 600.0) -> None:
        """Centre the view on t with `span` seconds shown, and put the cursor there."""
        self.plots["spo2"].setXRange(t - span / 2, t + span / 2, padding=0)
        self.set_cursor(t)
        self.sigJumped.emit(t)

    def set_cursor(self, t: float) -> None:
        """Put the cursor at t and read every value there."""
        for line in self.cursors:
            line.setValue(t)
            line.setVisible(True)
        self.readout.setText(self.readout_text(t))

    def readout_text(self, t: float) -> str:
        """Return the cursor line: time in the session's zone, every value, BP, infusion, phase, alarms."""
        timeline = self.timeline
        if timeline is None:
            return ""
        when = time_text(t, timeline.meta.tz)
        if not self.readout_ready:
            return f"{when}   (reading the values…)"
        return f"{when}   " + readout_words(timeline.readout(t))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt naming)
        key = event.key()
        if key in (Qt.Key_Left, Qt.Key_Right):
            self.pan(-PAN_STEP if key == Qt.Key_Left else PAN_STEP)
        elif key in (Qt.Key_Up, Qt.Key_Plus, Qt.Key_Equal):
            self.zoom(ZOOM_STEP)
        elif key in (Qt.Key_Down, Qt.Key_Minus):
            self.zoom(1 / ZOOM_STEP)
        elif key == Qt.Key_Home:
            self.whole()
        else:
            super().keyPressEvent(event)

    def _range_settled(self) -> None:
        x0, x1 = self.view_range()
        width = int(self.plots["spo2"].getViewBox().width()) or 1000
        self._write_labels(x0, x1)
        self.sigRange.emit(x0, x1, width)

    def _labels_again(self) -> None:
        """Write the labels again for the plots' new size (which of them stand whole depends on it)."""
        if self.timeline is not None:
            self._write_labels(*self.view_range())

    def _write_labels(self, x0: float, x1: float) -> None:
        """Write the labels in view that can be read: a band's when it is wide enough, marks and BP readings
        when there are few enough of them in the plot, packed so that none is written over another."""
        per_px = (x1 - x0) / max(1.0, self.plots["lanes"].getViewBox().width())
        wanted: set[Label] = set()
        for plot in ("lanes", "bp"):
            here = [lb for lb in self.labels if lb.plot == plot and lb.end is None and x0 <= lb.t <= x1]
            fitted = (packed(here, per_px, lambda lb: QFontMetrics(_label_font(lb)).horizontalAdvance(lb.text))
                      if len(here) <= MAX_LABELS else [])
            if plot == "lanes":
                self._room_below_lanes(fitted)  # and back to the lanes' own range when none is written
            wanted.update(lb for lb in fitted if plot == "bp" or self._stands_whole(lb))
        wanted.update(lb for lb in self.labels if lb.end is not None and lb.end > x0 and lb.t < x1
                      and (min(lb.end, x1) - max(lb.t, x0)) / per_px >= 8 * len(lb.text))
        for lb in [lb for lb in self.shown_labels if lb not in wanted]:
            self.plots[lb.plot].removeItem(self.shown_labels.pop(lb))
        for lb in wanted - set(self.shown_labels):
            item = pg.TextItem(lb.text, color=lb.colour, anchor=lb.anchor)
            item.setFont(_label_font(lb))
            item.textItem.setCacheMode(QGraphicsItem.DeviceCoordinateCache)  # a zoom or pan only moves the words
            item.setZValue(10)
            self.plots[lb.plot].addItem(item, ignoreBounds=True)
            self.shown_labels[lb] = item
        for lb, item in self.shown_labels.items():  # a band's words at its visible start, a mark's beside it
            item.setPos(max(lb.t, x0) if lb.end is not None else _within(lb, x0, x1, per_px), lb.y)
        self._room_above_bp()

    def _room_below_lanes(self, labels: list[Label]) -> None:
        """Lower the lanes' bottom so that the words written below their marks (the scales') stand whole.

        As the BP plot's top is raised for its readings (_room_above_bp): the room is in pixels, the range in
        rows, so the shorter the lanes, the lower the bottom; by at most MAX_ROOM_ROWS, beyond which the rows above
        would be too thin to read (a 1024 x 600 screen), and the words are left out (_stands_whole).
        """
        lo, hi = PLOTS["lanes"][1]
        box = self.plots["lanes"].getViewBox()
        height = box.height()
        below = [lb for lb in labels if lb.anchor[1] == 0.0]
        if below and height > 0:
            need = max(_label_size(lb)[1] for lb in below) - TEXT_MARGIN_PX + 1  # to the glyphs' foot
            if need < height:
                wanted = min((lb.y - need * hi / height) / (1 - need / height) for lb in below)
                if wanted >= lo - MAX_ROOM_ROWS:
                    lo = min(lo, wanted)
        if box.viewRange()[1] != [lo, hi]:
            self.plots["lanes"].setYRange(lo, hi, padding=0)

    def _stands_whole(self, lb: Label) -> bool:
        """Tell whether a point label's words, written at its row, lie whole within its plot's height.

        On a 1024 x 600 screen the lanes are about 60 px high, and the scales' words below their marks were cut
        in half at the plot's bottom edge: a label is written whole or not at all (its mark stays, and the cursor
        reads it), as the time axis writes only whole times.
        """
        box = self.plots[lb.plot].getViewBox()
        (_, _), (y0, y1) = box.viewRange()
        height = box.height()
        if height <= 0 or y1 <= y0:
            return False
        box_px = _label_size(lb)[1]
        glyphs_top = (y1 - lb.y) / (y1 - y0) * height - lb.anchor[1] * box_px + TEXT_MARGIN_PX
        return glyphs_top >= 0 and glyphs_top + box_px - 2 * TEXT_MARGIN_PX <= height

    def _title_if_room(self, name: str) -> None:
        """Write a plot's title upwards beside its scale where the plot is tall enough for it, else across, inside
        the plot's top left corner: on a 1024 x 600 screen the plots are short, and "SpO₂ %" was written over
        "Pulse /min"."""
        axis = self.plots[name].getAxis("left")
        words = QFontMetrics(theme.font(15)).horizontalAdvance(PLOTS[name][0])  # 11 pt
        room = self.plots[name].getViewBox().height() >= words + 4
        if axis.label.isVisible() != room:
            axis.showLabel(room)
        self.inner_titles[name].setVisible(not room)

    def _room_above_bp(self) -> None:
        """Raise the BP plot's top so that every reading's words written above its whisker are whole.

        "190/85" above a whisker near the top was cut at the plot's edge. The room a label needs is in pixels
        (its line height), the plot's range in mmHg: the top is the least at which the highest label fits.
        """
        shown = [lb for lb in self.shown_labels if lb.plot == "bp"]
        lo, hi = self._bp_range
        height = self.plots["bp"].getViewBox().height()
        if shown and height > 0:
            need = max(_label_size(lb)[1] * lb.anchor[1] for lb in shown) + 2
            if need < height:
                hi = max(hi, (max(lb.y for lb in shown) - need * lo / height) / (1 - need / height))
        if self.plots["bp"].getViewBox().viewRange()[1] != [lo, hi]:
            self.plots["bp"].setYRange(lo, hi, padding=0)

    def _mouse_moved(self, pos) -> None:
        for plot in self.plots.values():
            if plot.sceneBoundingRect().contains(pos):
                self.set_cursor(plot.getViewBox().mapSceneToView(pos).x())
                return

    def _mouse_clicked(self, event) -> None:
        timeline = self.timeline
        if timeline is None or event.button() != Qt.LeftButton:
            return
        pos = event.scenePos()
        for name in ("lanes", "alarms"):
            plot = self.plots[name]
            if not plot.sceneBoundingRect().contains(pos):
                continue
            vb = plot.getViewBox()
            t = vb.mapSceneToView(pos).x()
            per_px = (self.view_range()[1] - self.view_range()[0]) / max(1.0, vb.width())
            times = [m.t for m in timeline.marks()] if name == "lanes" else [a.raised_t for a in timeline.alarms]
            near = min(times, key=lambda x: abs(x - t), default=None)
            if near is not None and abs(near - t) <= 8 * per_px:
                self.jump_to(near, min(600.0, self.view_range()[1] - self.view_range()[0]))
            return


def _label_font(label: Label):
    return theme.font(11 if label.plot == "lanes" and not label.bold else 12, bold=label.bold)


def _label_size(lb: Label) -> tuple[float, float]:
    """Return the width and height (px) a label's text item takes: its words and the text item's margin around them
    (the anchor places that whole box)."""
    metrics = QFontMetrics(_label_font(lb))
    return metrics.horizontalAdvance(lb.text) + 2 * TEXT_MARGIN_PX, metrics.height() + 2 * TEXT_MARGIN_PX


def _within(lb: Label, x0: float, x1: float, per_px: float) -> float:
    """Return where a point label is written so that its words lie whole within [x0, x1] (UTC epoch s): a reading
    at the view's edge had its words cut ("28/80" for 128/80), which reads as another number."""
    width = _label_size(lb)[0] * per_px
    x = lb.x(per_px)
    left = x - lb.anchor[0] * width
    margin = 2 * per_px
    if left < x0 + margin:
        x += x0 + margin - left
    elif left + width > x1 - margin:
        x -= left + width - (x1 - margin)
    return x


def packed(labels: list[Label], per_px: float, width_px: Callable[[Label], float]) -> list[Label]:
    """Return the point labels to write so that none starts inside the one before it on its row.

    Events and scales seconds apart are merged into one label ("Antihypertensive given · Anxiety given"), so
    every name stays readable; a BP reading too close to the one before is left unwritten (its whisker is drawn
    and the cursor reads it). per_px is seconds per pixel; width_px gives a label's text width in pixels.
    """
    out: list[Label] = []
    last: dict[tuple[str, float], int] = {}  # a row (plot, y) -> its last label in out

    def span(lb: Label) -> tuple[float, float]:
        w = width_px(lb) * per_px
        left = lb.x(per_px) - lb.anchor[0] * w
        return left, left + w + LABEL_GAP_PX * per_px

    for lb in sorted(labels, key=lambda x: x.t):
        row = (lb.plot, lb.y)
        k = last.get(row)
        if k is not None and span(lb)[0] < span(out[k])[1]:
            if lb.plot == "lanes":  # one colour for a mixed group: the words' own
                prev = out[k]
                out[k] = replace(prev, text=f"{prev.text} · {lb.text}",
                                 colour=prev.colour if prev.colour == lb.colour else theme.TEXT)
            continue
        last[row] = len(out)
        out.append(lb)
    return out


def readout_words(r: Readout) -> str:
    """Say everything the cursor reads, for the line above the plots."""
    parts = []
    for (src, param), value in sorted(r.values.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        unit = spec_of(param).unit
        shown = "---" if value is None else f"{value:.1f}".rstrip("0").rstrip(".") + f" {unit}"
        parts.append(f"{label(param)} {shown}" + (f" ({src})" if src != "pulseox" else ""))
    if r.bp is not None:
        mean = f" (MAP {r.bp.map:.0f})" if r.bp.map is not None else ""
        parts.append(f"BP {r.bp.sbp:.0f}/{r.bp.dbp:.0f}{mean} {r.bp_age_s / 60:.0f} min before")
    if r.infusion is not None:
        parts.append("infusion " + (f"running {r.infusion.rate_ml_per_h:g} mL/h" if r.infusion.state == "running"
                                    else "paused" + (f" ({r.infusion.reason})" if r.infusion.reason else "")))
    parts.append(f"phase {r.phase.replace('_', '-')}")
    if r.alarms:
        parts.append("alarms: " + "; ".join(f"{theme.ALARM_MARK[a.priority]} {a.message}" for a in r.alarms
                                            if a.priority is not None))
    return "  ·  ".join(parts)
