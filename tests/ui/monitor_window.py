"""The chair's window around a started core, as the screen tests of the session and of signing use it."""

from __future__ import annotations

from collections.abc import Iterator

from monitor.live.core import MonitorCore
from ui.monitor.main_window import MainWindow


def shown_window(qtbot, core: MonitorCore) -> Iterator[MainWindow]:
    """Yield the monitor window of a started core, shown at 1280x800; stop its frames and the core after."""
    w = MainWindow(core)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.timer.stop()
    core.stop()
