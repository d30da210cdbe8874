"""The trend's scales and the pleth's fit, without a display: every band keeps three labelled ticks whatever its
values, the time axis steps in whole minutes, and the pleth's range follows the oximeter's amplitude."""

from __future__ import annotations

import time

import numpy as np
import pytest

from monitor.live.state import SWEEP_S, Sweep
from monitor.live.view import PlethView
from ui.monitor.plots import PLETH_MIN_SPAN, ClockAxis, PlethSweep, spo2_ticks, vitals_ticks


@pytest.mark.parametrize("low", [50.0, 60.0, 65.0, 70.0, 75.0, 80.0])
def test_the_spo2_band_keeps_three_ticks_down_to_its_low_end(low):
    bottom, ticks = spo2_ticks(low)
    assert len(ticks) >= 3 and ticks[0] == 100.0 and bottom == min(ticks) <= low  # no value below the band


@pytest.mark.parametrize("high, top, ticks", [(0.0, 200.0, [60, 120, 180]), (186.0, 200.0, [60, 120, 180]),
                                              (232.0, 240.0, [60, 120, 180, 240]), (243.0, 260.0, [60, 120, 180, 240])])
def test_the_pulse_bp_band_reaches_the_highest_value(high, top, ticks):
    assert vitals_ticks(high) == (top, [float(v) for v in ticks])


def test_the_time_axis_steps_in_whole_minutes_wide_enough_to_read(qtbot):
    axis = ClockAxis("UTC")
    t0 = 1_700_000_000.0
    (step, values), = axis.tickValues(t0, t0 + 1800, 680)
    assert step == 300 and all(v % 300 == 0 for v in values) and len(values) == 6
    (step, _), = axis.tickValues(t0, t0 + 7200, 680)
    assert step == 900
    assert axis.tickStrings([1_700_000_100.0], 1.0, 300) == ["22:15"]


@pytest.mark.parametrize("low, high", [(0, 255), (0, 100), (120, 124)])
def test_the_pleth_range_follows_the_wave(qtbot, low, high):
    pleth = PlethSweep()
    qtbot.addWidget(pleth)
    n = int(SWEEP_S * 75)
    wave = low + (high - low) * (0.5 + 0.5 * np.sin(np.arange(n) / 10))
    pleth.show_view(PlethView(Sweep(wave, 0, 75.0, time.monotonic()), False, ""))
    y0, y1 = pleth.y_range
    assert y0 <= wave.min() and wave.max() <= y1
    assert y1 - y0 >= PLETH_MIN_SPAN and (y1 - y0) <= max(PLETH_MIN_SPAN, high - low) * 1.5
    smaller = (wave - low) / 4 + low  # a weaker wave: the range shrinks to it
    pleth.show_view(PlethView(Sweep(smaller, 0, 75.0, time.monotonic()), False, ""))
    assert pleth.y_range[1] - pleth.y_range[0] <= max(PLETH_MIN_SPAN, (high - low) / 4) * 1.5
