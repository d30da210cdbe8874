"""The live trend, the pleth and the alarm history on a real display, as a nurse reads them from the chair.

The trend at 1366 x 768: both bands carry at least three drawn tick numbers at a legible size, the BP is a bar
from diastolic to systolic, the time axis is the clock in whole minutes; the pleth of a Nonin (0-255) and of a
CMS50D+ (0-100) fits its box; the alarm history (1366 x 768 and 1024 x 600) is one compact line per alarm with
the whole text in the tooltip and, after a click, under the table.

Run by tests/ui/test_trend_history_screens.py on Xvfb with QT_QPA_PLATFORM=xcb, at the screen's own size;
pictures go to $SCREEN_SHOTS_DIR when set.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
import truth_screen_checks as truth
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication
from screen_checks import clipping_failures, legibility_failures

from monitor.alarms import AlarmEvent, AlarmKind, EventKind, Priority
from monitor.live.core import MonitorCore
from monitor.live.state import SWEEP_S, Sweep
from monitor.live.view import PlethView
from monitor.storage.store import Store
from ui import gallery
from ui.monitor.alarm_history import COLUMNS, AlarmHistory, AlarmLog
from ui.monitor.plots import PlethSweep

app, shots = truth.app, truth.shots  # the fixtures: the dark desktop, where the pictures go
PORT_ERROR = ("Pulse oximeter: connection lost (/dev/pts/1 lost: device reports readiness to read but returned no "
              "data (device disconnected or multiple access on port?))")


def screen() -> tuple[int, int]:
    size = QApplication.primaryScreen().size()
    return size.width(), size.height()


def drawn_labels(axis) -> list[str]:
    """Return the tick numbers the axis draws (those it would leave out for want of room are not counted)."""
    image = QImage(10, 10, QImage.Format_ARGB32)
    painter = QPainter(image)
    try:
        _, _, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text for _, _, text in texts]


def test_the_trend_reads_at_1366x768(app, tmp_path, shots):
    if screen() != (1366, 768):
        pytest.skip("the trend is checked on a 1366 x 768 screen")
    from ui.monitor.main_window import MainWindow

    with gallery.scene(tmp_path / "trend", history_min=40) as s:
        s.feed_bp(124, 79)
        window = MainWindow(s.core)
        gallery.shown(window, screen())
        trend = window.trend
        gallery.wait_for(lambda: len(trend.bp.opts["x"]) >= 1 and trend.curves["spo2"].getData()[0] is not None,
                         timeout_s=60)
        gallery.settle(1200)
        gallery.grab(window, shots / "trend-1366x768.png")
        for plot in (trend.spo2, trend.vitals):
            left = plot.getAxis("left")
            labels = drawn_labels(left)
            assert len(labels) >= 3, labels
            assert left.style["tickFont"].pixelSize() >= 14
        assert set(drawn_labels(trend.spo2.getAxis("left"))) >= {"80", "90", "100"}
        # BP: a bar from diastolic to systolic, many pixels tall and wide, not a dot
        bp = trend.bp.opts
        last = len(bp["x"]) - 1
        assert (bp["y"][last] + bp["top"][last], bp["y"][last] - bp["bottom"][last]) == (124.0, 79.0)
        box = trend.vitals.getViewBox()
        sys_px = box.mapViewToScene(QPointF(bp["x"][last], 124.0)).y()
        dia_px = box.mapViewToScene(QPointF(bp["x"][last], 79.0)).y()
        assert dia_px - sys_px >= 8
        assert bp["pen"].width() >= 5
        # the clock in whole minutes over the last 30 min
        axis = trend.vitals.getAxis("bottom")
        x0, x1 = box.viewRange()[0]
        assert trend.window_s == 30 * 60 and 20 * 60 <= x1 - x0 <= 31 * 60  # a young session's window grows to 30 min
        times = drawn_labels(axis)
        assert len(times) >= 3 and all(re.fullmatch(r"\d\d:\d\d", t) for t in times), times
        (step, values), = axis.tickValues(x0, x1, axis.width())
        assert step % 60 == 0 and all(v % 60 == 0 for v in values)
        assert axis.style["tickFont"].pixelSize() >= 14
        failures = legibility_failures("trend", window) + clipping_failures("trend", window)
        window.timer.stop()
        window.hide()
        window.deleteLater()
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("device, low, high", [("nonin", 0, 255), ("cms50dplus", 0, 100)])
def test_the_pleth_fits_whatever_the_oximeters_range(app, shots, device, low, high):
    if screen() != (1366, 768):
        pytest.skip("the pleth is checked on a 1366 x 768 screen")
    pleth = PlethSweep()
    gallery.shown(pleth, (700, 90))
    n = int(SWEEP_S * 75)
    t = np.arange(n) / 75.0
    wave = low + 0.05 * (high - low) + 0.9 * (high - low) * np.clip(np.sin(2 * np.pi * 1.2 * t), 0, None) ** 2
    pleth.show_view(PlethView(Sweep(wave, n - 1, 75.0, time.monotonic()), False, ""))
    gallery.settle(200)
    gallery.grab(pleth, shots / f"pleth-{device}.png")
    y0, y1 = pleth.getViewBox().viewRange()[1]
    drawn = pleth.curve.getData()[1]
    drawn = drawn[np.isfinite(drawn)]
    assert y0 <= drawn.min() and drawn.max() <= y1  # never clipped flat
    assert (drawn.max() - drawn.min()) / (y1 - y0) >= 0.6  # and filling the box, not a ripple
    pleth.close()


@pytest.fixture
def history(tmp_path):
    """An alarm history of 30 alarms: a flapping oximeter cable (its OS error in the text) and desaturations."""
    core = MonitorCore(Store(tmp_path / "s.db"), [], tz="UTC")
    log = AlarmLog(core)
    t0 = 1_700_000_000.0
    for i in range(15):
        t = t0 + 60 * i
        port = AlarmEvent(t, EventKind.RAISED, f"p{i}", "port_lost", AlarmKind.TECHNICAL, Priority.MEDIUM,
                          PORT_ERROR, "pulseox", "", None, None)
        spo2 = AlarmEvent(t + 20, EventKind.RAISED, f"s{i}", "spo2_low", AlarmKind.PHYSIOLOGICAL, Priority.HIGH,
                          f"SpO2 {84 + i % 5} < 90", "pulseox", "spo2", 84.0 + i % 5, 90.0)
        log.events += [port, spo2]
        log.events.append(AlarmEvent(t + 3, EventKind.CLEARED, f"p{i}", "port_lost", AlarmKind.TECHNICAL,
                                     Priority.MEDIUM, PORT_ERROR, "pulseox", "", None, None))
        log.events.append(AlarmEvent(t + 30, EventKind.ACKNOWLEDGED, f"s{i}", "spo2_low", AlarmKind.PHYSIOLOGICAL,
                                     Priority.HIGH, "", "pulseox", "spo2", None, None, user="ann"))
        log.events.append(AlarmEvent(t + 45, EventKind.CLEARED, f"s{i}", "spo2_low", AlarmKind.PHYSIOLOGICAL,
                                     Priority.HIGH, "", "pulseox", "spo2", None, None))
    log.events.sort(key=lambda e: e.t)
    yield log
    core.store.close()


def test_the_alarm_history_reads_like_a_log(app, qtbot, shots, history):
    width, height = screen()
    dialog = AlarmHistory(history)
    qtbot.addWidget(dialog)
    hint = dialog.minimumSizeHint().expandedTo(dialog.minimumSize())
    assert hint.width() <= width and hint.height() <= height - 40  # fits the screen less a title bar
    gallery.shown(dialog, (min(1000, width - 24), min(540, height - 60)))
    table = dialog.table
    assert [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())] == list(COLUMNS)
    assert table.rowCount() == 30  # one line per alarm
    port = next(r for r in range(30) if table.item(r, 2).text() == "Pulse oximeter: connection lost")
    spo2 = next(r for r in range(30) if table.item(r, 2).text().startswith("SpO2 "))
    assert [table.item(spo2, c).text() for c in (1, 3, 4, 5)] == ["!!! high", table.item(spo2, 3).text(), "90 %",
                                                                  "25 s"]
    assert re.fullmatch(r"\d\d:\d\d:\d\d", table.item(spo2, 0).text())
    assert table.item(spo2, 6).text().startswith("ann at ")
    assert "/dev/pts/1" not in table.item(port, 2).text()
    assert PORT_ERROR in table.item(port, 2).toolTip()  # the whole technical text, in words
    visible = [r for r in range(30) if table.visualRect(table.model().index(r, 0)).bottom() <= table.viewport().height()]
    assert len(visible) >= 10 and table.rowHeight(0) <= 32  # many compact rows at once
    rect = table.visualRect(table.model().index(port, 2))
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: PORT_ERROR in dialog.detail.text(), timeout=5000)
    gallery.settle(200)
    gallery.grab(dialog, shots / f"alarm-history-{width}x{height}.png")
    failures = legibility_failures("history", dialog) + clipping_failures("history", dialog)
    assert not failures, "\n".join(failures)
