"""The review timeline's light items draw what pyqtgraph's would, and their bounds follow the view."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from ui.review.timeline_items import Envelope, Levels, Marks

T0 = 1_800_000_000.0


def _drawn(item, x_range=(T0, T0 + 600)) -> np.ndarray:
    """Return the pixels (RGB32) of a 600 x 200 plot showing item."""
    plot = pg.PlotWidget(background="k")
    plot.resize(600, 200)
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    plot.addItem(item)
    plot.setRange(xRange=x_range, yRange=(40, 220), padding=0)
    image = plot.grab().toImage().convertToFormat(QImage.Format_RGB32)
    plot.close()
    return np.frombuffer(image.constBits(), np.uint32).reshape(image.height(), -1).copy()


def _bp_marks_style(n: int) -> dict:
    cap = pg.mkPen("#ffffff", width=2)
    return {"symbol": ["_"] * (2 * n) + ["o"] * n, "size": [14] * (2 * n) + [6] * n,
            "pen": [cap] * (2 * n) + [pg.mkPen(None)] * n,
            "brush": [pg.mkBrush(None)] * (2 * n) + [pg.mkBrush("#ffa500")] * n}


def test_marks_light_the_pixels_of_pyqtgraphs_scatter_for_each_kind_of_symbol(qapp):
    t = T0 + np.array([30.0, 200.0, 410.0, 590.0])
    sbp, dbp, mean = np.array([130, 160, 190, 120.0]), np.array([80, 95, 110, 70.0]), np.array([97, 117, 137, 87.0])
    x, y = np.concatenate([t, t, t]), np.concatenate([sbp, dbp, mean])
    mine, theirs = Marks(), pg.ScatterPlotItem()
    mine.setData(x, y, **_bp_marks_style(len(t)))
    theirs.setData(x, y, **_bp_marks_style(len(t)))
    a, b = _drawn(mine), _drawn(theirs)
    lit = (b != 0xFF000000).sum()
    assert lit > 200
    assert (a != b).sum() <= 0.05 * lit
    events = Marks([T0 + 100, T0 + 300], [150, 150], symbol="t", size=12, brush=pg.mkBrush("#ffffff"), pen=None)
    scatter = pg.ScatterPlotItem([T0 + 100, T0 + 300], [150, 150], symbol="t", size=12,
                                 brush=pg.mkBrush("#ffffff"), pen=None)
    a, b = _drawn(events), _drawn(scatter)
    assert (b != 0xFF000000).sum() > 50 and (a != b).sum() <= 0.05 * (b != 0xFF000000).sum()


def test_marks_at_the_views_edges_are_drawn_half(qapp):
    marks = Marks([T0 - 1, T0 + 601], [150, 150], symbol="o", size=12, brush=pg.mkBrush("#ffffff"), pen=None)
    pixels = _drawn(marks) != 0xFF000000
    assert pixels[:, :4].any() and pixels[:, 596:].any()  # centres just outside: their inner halves show
    assert not pixels[:, 20:580].any()


def test_levels_are_drawn_across_the_whole_view(qapp):
    levels = Levels([(94.0, pg.mkPen("#f5c400", width=1)), (90.0, pg.mkPen("#d0021b", width=1, style=Qt.DashLine))])
    pixels = _drawn(levels, (T0 + 5000, T0 + 5600))
    rows = [r for r in range(pixels.shape[0]) if (pixels[r] != 0xFF000000).sum() > 250]
    assert len(rows) == 2 and abs(rows[1] - rows[0]) <= 6  # 94 and 90 on a 180 mmHg scale of 200 px


def test_bounds_are_the_view_after_every_zoom(qapp):
    plot = pg.PlotWidget()
    envelope = Envelope()
    plot.addItem(envelope)
    plot.setRange(xRange=(T0, T0 + 600), yRange=(40, 220), padding=0)
    assert envelope.boundingRect() == plot.getViewBox().viewRect()
    plot.setXRange(T0 + 1000, T0 + 1060, padding=0)
    rect = envelope.boundingRect()
    assert (rect.left(), rect.right()) == (T0 + 1000, T0 + 1060)
    plot.close()


def test_the_time_grid_stands_at_the_axis_labels(qapp):
    from ui.review.timeline_items import TimeGrid
    from ui.time_axis import TimeAxis

    axis = TimeAxis()
    axis.set_zone("UTC")
    plot = pg.PlotWidget(background="k", axisItems={"bottom": axis})
    plot.resize(700, 250)
    plot.hideAxis("left")
    plot.addItem(TimeGrid(axis, "#2a2f36"), ignoreBounds=True)
    t0 = 1_800_000_000.0 - 1_800_000_000.0 % 3600  # a whole hour
    plot.setRange(xRange=(t0 + 30, t0 + 630), yRange=(0, 1), padding=0)
    image = plot.grab().toImage().convertToFormat(QImage.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), np.uint32).reshape(image.height(), -1)
    box = plot.getViewBox()
    top_left = box.mapToScene(box.rect().topLeft())
    rows = pixels[int(top_left.y()) + 5:int(top_left.y()) + 100]
    lit = [x for x in range(pixels.shape[1]) if (rows[:, x] == 0xFF2A2F36).all()]  # a whole column of grid
    _, labels = axis.marks(axis.geometry().width())
    expected = [int(top_left.x() + x) for x, _ in labels]
    assert len(expected) >= 3 and len(lit) >= len(expected)
    assert all(any(abs(x - e) <= 1 for x in lit) for e in expected)
    plot.close()
