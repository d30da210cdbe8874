"""The timeline's data items: envelopes, mean lines, marks, bars and bands, each bounded by its plot's view.

pyqtgraph works each data item's bounds out from its data and from the size
of a pixel in data units, again at every zoom: a tenth of a zoom's work on the
review timeline, for bounds that tell Qt nothing. Each plot's view box clips
what its items draw to the view, and every item here is drawn whenever its
plot is: so an item's bounds are simply the view's rectangle (InView). The
plots' ranges are set by the timeline, never fitted to these bounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from pyqtgraph.graphicsItems.ScatterPlotItem import renderSymbol
from PySide6.QtCore import QLineF, QPointF, QRectF
from PySide6.QtGui import QColor, QImage, QPen

from ui.pixel_curve import PixelCurve
from ui.time_axis import TimeAxis


class InView:
    """Mixin: the item's bounds are its view box's visible rectangle (data units), asked for at no cost."""

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt naming)
        view = self.getViewBox()
        return view.viewRect() if isinstance(view, pg.ViewBox) else QRectF()


class Envelope(InView, PixelCurve):
    """A signal's min-max bars (one vertical segment per bucket: connect="pairs"), and the BP whiskers."""


class MeanLine(InView, PixelCurve):
    """A signal's values, or its buckets' means, as a line."""


class Marks(InView, pg.GraphicsObject):
    """Symbols at points: events, scales, BP whiskers' caps and MAP dots, each kind rendered once to an image.

    pyqtgraph's scatter item maps, masks and lays out every point's fragment again at each zoom, whether or not
    it is in view: a tenth of a zoom's work for the few marks a window shows. Here each kind of symbol (shape,
    size, pen, brush) is rendered once, and a paint draws that image at the marks in view.
    """

    def __init__(self, x=(), y=(), **style) -> None:
        super().__init__()
        self._kinds: list[tuple[QImage, np.ndarray, np.ndarray]] = []
        self.setData(x, y, **style)

    def setData(self, x, y, symbol="o", size=10, pen=None, brush=None) -> None:  # noqa: N802 (pyqtgraph naming)
        """Set the marks at (x, y): symbol, size (px), pen and brush are one for all or one per mark."""
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)

        def each(value) -> list:
            return list(value) if isinstance(value, (list, tuple)) else [value] * len(x)

        styles = list(zip(each(symbol), each(size), each(pen), each(brush)))
        kinds: dict[tuple, list[int]] = {}
        for i, (shape, px, line, fill) in enumerate(styles):
            kinds.setdefault((shape, px, id(line), id(fill)), []).append(i)
        self._kinds = []
        for at in kinds.values():
            shape, px, line, fill = styles[at[0]]
            image = renderSymbol(shape, px, pg.mkPen(line), pg.mkBrush(fill))
            self._kinds.append((image, x[at], y[at]))
        self.update()

    def paint(self, p, opt, widget) -> None:  # noqa: D102 (Qt's paint)
        tr = p.transform()
        view = self.boundingRect()
        left, right = sorted((tr.m11() * view.left() + tr.dx(), tr.m11() * view.right() + tr.dx()))
        p.save()
        p.resetTransform()
        for image, x, y in self._kinds:
            half = image.width() / 2
            px = tr.m11() * x + tr.m21() * y + tr.dx()
            py = tr.m12() * x + tr.m22() * y + tr.dy()
            for i in np.flatnonzero((px >= left - half) & (px <= right + half)):
                p.drawImage(QPointF(px[i] - half, py[i] - image.height() / 2), image)
        p.restore()


class Levels(InView, pg.GraphicsObject):
    """Horizontal lines at set values across the whole view (the SpO2 plot's 94 and 90), each with its pen."""

    def __init__(self, levels: list[tuple[float, QPen]]) -> None:
        super().__init__()
        self.levels = levels

    def paint(self, p, opt, widget) -> None:  # noqa: D102 (Qt's paint)
        view = self.boundingRect()
        for y, pen in self.levels:
            p.setPen(pen)
            p.drawLine(QPointF(view.left(), y), QPointF(view.right(), y))


class Bars(InView, pg.BarGraphItem):
    """Filled rectangles: alarm spans, phase and infusion bands."""


@dataclass
class Bands:
    """Coloured spans of one lane gathered into a single bar item, drawn in the order they were added.

    One item rather than one per band: every item on a plot costs a paint call on each zoom, whatever part of
    it is in view."""

    x0: list[float] = field(default_factory=list)
    x1: list[float] = field(default_factory=list)
    y0: list[float] = field(default_factory=list)
    y1: list[float] = field(default_factory=list)
    brushes: list = field(default_factory=list)

    def add(self, x0: float, x1: float, y0: float, y1: float, colour: str) -> None:
        """Add the span [x0, x1] x [y0, y1] filled with colour."""
        self.x0.append(x0)
        self.x1.append(x1)
        self.y0.append(y0)
        self.y1.append(y1)
        self.brushes.append(pg.mkBrush(colour))

    def item(self) -> Bars:
        """Return the bar item that draws every span."""
        return Bars(x0=self.x0, x1=self.x1, y0=self.y0, y1=self.y1, brushes=self.brushes, pen=None)


class TimeGrid(InView, pg.GraphicsObject):
    """Vertical lines across a plot at the time axis's labelled ticks, so a value is read against the clock.

    pyqtgraph draws a grid with the plot's own bottom axis, hidden on every plot but the lowest: the vital signs'
    grid was never drawn. One opaque line per labelled tick, behind the data."""

    def __init__(self, axis: TimeAxis, colour: str) -> None:
        super().__init__()
        self.axis = axis
        self.pen = QPen(QColor(colour))
        self.pen.setCosmetic(True)
        self.setZValue(-10)

    def paint(self, p, opt, widget) -> None:  # noqa: D102 (Qt's paint)
        view = self.boundingRect()
        _, major, _ = self.axis.ticks(view.left(), view.right(), p.transform().m11() * view.width())
        p.setRenderHint(p.RenderHint.Antialiasing, False)
        p.setPen(self.pen)
        p.drawLines([QLineF(t, view.top(), t, view.bottom()) for t in major])
