"""The review's pleth scale holds across zooms and pans while the wave fills most of it, and is fitted again
when the wave leaves it or shrinks in it: never a wave cut off, never a ripple in a tall box."""

from __future__ import annotations

import numpy as np

from monitor.review.timeline import Trace
from ui.review.timeline_view import PLETH_FILL, TimelineView

T0 = 1_800_000_000.0


def _envelope(lo: float, hi: float) -> dict:
    t = T0 + np.arange(600.0)
    return {("pulseox", "pleth"): Trace("pulseox", "pleth", 1.0, t, np.full(600, lo), np.full(600, hi),
                                        np.full(600, (lo + hi) / 2))}


def test_the_pleth_scale_holds_while_the_wave_fills_it_and_is_fitted_again_when_not(qapp):
    view = TimelineView()
    box = view.plots["pleth"].getViewBox()
    view.show_traces(_envelope(10, 110))
    fitted = box.viewRange()[1]
    assert fitted[0] < 10 and fitted[1] > 110
    view.show_traces(_envelope(14, 104))  # another window of the same wave: the same scale
    assert box.viewRange()[1] == fitted
    view.show_traces(_envelope(5, 200))  # the wave leaves the scale: fitted at once, nothing cut off
    y0, y1 = box.viewRange()[1]
    assert y0 < 5 and y1 > 200
    view.show_traces(_envelope(90, 110))  # a small wave: fitted to fill the box
    y0, y1 = box.viewRange()[1]
    assert (110 - 90) / (y1 - y0) >= PLETH_FILL
    view.close()
