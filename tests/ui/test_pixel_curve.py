"""PixelCurve draws a wide line in device pixels with the pixels pyqtgraph's curve draws; other pens go its way."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from ui.pixel_curve import PixelCurve

T0 = 1_800_000_000.0  # epoch seconds, as every plot's x


def _pixels(curve: pg.PlotCurveItem, x: np.ndarray, y: np.ndarray, connect: str = "finite") -> np.ndarray:
    """Return the pixels (RGB32) of a 600 x 200 plot of (x, y) drawn by curve."""
    plot = pg.PlotWidget(background="k")
    plot.resize(600, 200)
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    plot.addItem(curve)
    plot.setRange(xRange=(T0, T0 + 300), yRange=(80, 100), padding=0)
    curve.setData(x, y, connect=connect)
    image = plot.grab().toImage().convertToFormat(QImage.Format_RGB32)
    plot.close()
    return np.frombuffer(image.constBits(), np.uint32).reshape(image.height(), -1).copy()


def _drawn(curve: pg.PlotCurveItem, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Return the lit pixels of a 600 x 200 plot of (x, y) drawn by curve."""
    return _pixels(curve, x, y) != 0xFF000000


def test_a_wide_line_lights_the_pixels_pyqtgraph_lights_and_leaves_its_gaps(qapp):
    x = T0 + np.arange(300.0)
    y = 90 + 6 * np.sin(np.arange(300) / 9.0)
    y[140:150] = np.nan  # a gap: no line across it
    pen = pg.mkPen("#00ff00", width=2)
    theirs, mine = _drawn(pg.PlotCurveItem(pen=pen), x, y), _drawn(PixelCurve(pen=pen), x, y)
    assert mine.sum() > 1000
    assert (mine != theirs).sum() <= 0.02 * theirs.sum()  # a rounding at a half pixel, here and there
    gap = slice(int(600 * 141 / 300) + 2, int(600 * 149 / 300) - 2)
    assert not mine[:, gap].any()


def test_a_dashed_or_thin_curve_is_drawn_by_pyqtgraph(qapp):
    x = T0 + np.arange(300.0)
    y = 90 + 6 * np.sin(np.arange(300) / 9.0)
    for pen in (pg.mkPen("#00ff00", width=2, style=Qt.DashLine), pg.mkPen("#00ff00", width=1)):
        curve = PixelCurve(pen=pen)
        assert not curve._in_pixels()
        assert (_drawn(curve, x, y) == _drawn(pg.PlotCurveItem(pen=pen), x, y)).all()


def test_an_envelopes_thin_translucent_bars_are_drawn_in_pixels_as_pyqtgraph_draws_them(qapp):
    t = T0 + np.arange(0.0, 300.0, 0.5)
    lo, hi = 85 + 3 * np.sin(t / 7.0), 95 + 3 * np.cos(t / 5.0)
    x, y = np.repeat(t, 2), np.column_stack([lo, hi]).ravel()
    colour = pg.mkColor("#00ff00")
    colour.setAlpha(90)
    pen = pg.mkPen(colour, width=1)
    pen.setCosmetic(True)
    mine = PixelCurve(pen=pen)
    mine.setData(x, y, connect="pairs")
    assert mine._in_pixels()
    a, b = _pixels(mine, x, y, "pairs"), _pixels(pg.PlotCurveItem(pen=pen), x, y, "pairs")
    assert (b != 0xFF000000).sum() > 10_000
    assert (a != b).sum() <= 0.02 * (b != 0xFF000000).sum()  # the same pixels, the same translucent green
