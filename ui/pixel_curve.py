"""A pyqtgraph curve whose wide lines are mapped to screen pixels before Qt draws them.

A line two pixels wide costs Qt's raster engine about three times more when it
is drawn through the plot's transform (data units, epoch seconds) than when the
same segments are given in device pixels: the stroker then works on short,
integer-sized segments. The pixels are the same but for a rare rounding at a
half pixel. It is a third of the review timeline's painting at a zoom, and of
the chair's sweep at each frame. Separate segments (an envelope's min-max
bars, connect="pairs") go the same way at any width or alpha: pyqtgraph would
build a path of them again at every zoom. Other thin, dashed, translucent,
filled or antialiased curves are drawn by pyqtgraph as usual.
"""

from __future__ import annotations

import pyqtgraph as pg
from pyqtgraph.graphicsItems.PlotCurveItem import arrayToLineSegments
from PySide6.QtCore import Qt


class PixelCurve(pg.PlotCurveItem):
    """A PlotCurveItem that draws its wide, solid, opaque lines as segments in device pixels."""

    def __init__(self, *args, **kwargs) -> None:
        self._pixel_segments = None  # reused between paints: no allocation per frame
        super().__init__(*args, **kwargs)

    def _in_pixels(self) -> bool:
        opts, pen = self.opts, self.opts["pen"]
        # separate segments ("pairs": an envelope's min-max bars) never overlap, so a thin or translucent pen
        # draws them as pyqtgraph's path would; joined segments would double their shared ends' alpha
        pairs = (opts["connect"] == "pairs" and pen.style() == Qt.SolidLine and pen.isSolid()
                 and not opts["antialias"])
        return (opts["shadowPen"] is None and opts["fillLevel"] is None and not opts["stepMode"]
                and self._exportOpts is False and pen.isCosmetic()
                and (pairs or self._shouldUseDrawLineSegments(pen)))

    def paint(self, p, opt, widget) -> None:  # noqa: D102 (Qt's paint)
        x, y = self.getData()
        if x is None or len(x) < 2 or not self._in_pixels() or not p.transform().isAffine():
            super().paint(p, opt, widget)
            return
        tr = p.transform()
        px = tr.m11() * x + tr.m21() * y + tr.dx()
        py = tr.m12() * x + tr.m22() * y + tr.dy()
        self._pixel_segments = arrayToLineSegments(px, py, connect=self.opts["connect"],
                                                   finiteCheck=not self.opts["skipFiniteCheck"],
                                                   out=self._pixel_segments)
        p.save()
        p.resetTransform()
        p.setRenderHint(p.RenderHint.Antialiasing, False)
        p.setPen(self.opts["pen"])
        p.drawLines(*self._pixel_segments.drawargs())
        p.restore()
