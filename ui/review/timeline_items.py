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

import pyqtgraph as pg
from PySide6.QtCore import QRectF

from ui.pixel_curve import PixelCurve


class InView:
    """Mixin: the item's bounds are its view box's visible rectangle (data units), asked for at no cost."""

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt naming)
        view = self.getViewBox()
        return view.viewRect() if isinstance(view, pg.ViewBox) else QRectF()


class Envelope(InView, pg.PlotCurveItem):
    """A signal's min-max bars (one vertical segment per bucket)."""


class MeanLine(InView, PixelCurve):
    """A signal's values, or its buckets' means, as a line."""


class Marks(InView, pg.ScatterPlotItem):
    """Symbols at points: events, scales, BP whiskers' caps and MAP dots."""


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
