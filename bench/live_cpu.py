"""Live CPU: CPU % of the app process showing 2 devices (75 Hz pleth + NIBP) with a full 4 h trend.

Simulators run in child processes (`infusion-monitor simulate`), so only the
app is measured. Floor: a bare pyqtgraph scene of the same size drawing the
same curves at the same rates (a 750-point pleth sweep at 25 frames/s, two
4 h trends of 14,400 points redrawn once a second, downsampled and clipped
to the view), with no other widget, beside the same monitor core reading the
same two devices and recording them: the reader, recorder and alarm threads
(about 2 % of a core) are work any chair must do whatever it draws, so a
floor without them measured the window against a scene that monitors nobody.
Baseline: the same window redrawing every curve every frame with auto-range
(the naive way). All three in the same run; target < 10 % and within 1.3x
the floor.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

SECONDS = 20.0
TREND_POINTS = 4 * 3600


def _cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _core(paths: dict[str, str], db: str):
    """Return a started monitor core reading the two simulated devices and recording them into db."""
    from devices.spec import DeviceSpec
    from monitor.live.core import MonitorCore
    from monitor.storage.store import Store

    core = MonitorCore(Store(db), [DeviceSpec("pulseox", "nonin", paths["nonin"]),
                                   DeviceSpec("nibp", "suntech", paths["suntech"])], capture_raw=False)
    core.start()
    return core


def measure(naive: bool, paths: dict[str, str], db: str, seconds: float) -> float:
    """Return the app's CPU % of one core over `seconds` of live display."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from ui.monitor import main_window
    from ui.monitor.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    core = _core(paths, db)
    now = time.time()
    for param, base in (("spo2", 97.0), ("pulse_rate", 72.0)):  # a session 4 h old: full trend rings
        ring = core.live._trends.setdefault(("pulseox", param),
                                            __import__("monitor.live.state", fromlist=["Ring"]).Ring(TREND_POINTS))
        for i in range(TREND_POINTS):
            ring.append(now - TREND_POINTS + i, base + np.sin(i / 50.0))
    window = MainWindow(core)
    window.trend.set_span("Session")
    window.resize(1366, 700)
    window.show()
    if naive:
        saved = main_window.TREND_EVERY
        main_window.TREND_EVERY = 1
        for plot in (window.trend.spo2, window.trend.vitals):
            plot.enableAutoRange()
        window.trend.vitals.setXRange = lambda *a, **k: None  # keep auto-range on, as naive code does
    loop = QEventLoop()
    QTimer.singleShot(2000, loop.quit)  # warm-up
    loop.exec()
    cpu0, wall0 = _cpu_s(), time.perf_counter()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    cpu = (_cpu_s() - cpu0) / (time.perf_counter() - wall0) * 100
    window.timer.stop()
    window.close()
    core.stop()
    if naive:
        main_window.TREND_EVERY = saved
    app.processEvents()
    return cpu


def floor(paths: dict[str, str], db: str, seconds: float) -> float:
    """Return the CPU % of one core a bare pyqtgraph scene takes to draw the window's curves at its rates, beside
    the monitor core that reads and records the same devices (no window reads it)."""
    import pyqtgraph as pg
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from monitor.live.state import SWEEP_S
    from ui.monitor.main_window import FRAME_MS, TREND_EVERY

    app = QApplication.instance() or QApplication([])
    scene = pg.GraphicsLayoutWidget()
    pleth = scene.addPlot(row=0, col=0)
    trends = [scene.addPlot(row=1, col=0), scene.addPlot(row=2, col=0)]
    sweep_x = np.linspace(0.0, SWEEP_S, int(SWEEP_S * 75), endpoint=False)
    sweep = 128 + 100 * np.sin(sweep_x * 7)
    pleth_curve = pleth.plot(pen=pg.mkPen("g", width=2), connect="finite")
    pleth.setRange(xRange=(0, SWEEP_S), yRange=(0, 255), padding=0)
    now = time.time()
    t = now - TREND_POINTS + np.arange(TREND_POINTS, dtype=float)
    series = [97.0 + np.sin(np.arange(TREND_POINTS) / 50.0), 72.0 + np.sin(np.arange(TREND_POINTS) / 50.0)]
    trend_curves = []
    for plot, low, high in zip(trends, (80.0, 30.0), (100.0, 200.0)):
        plot.setDownsampling(auto=True, mode="peak")
        plot.setClipToView(True)
        plot.setRange(xRange=(now - TREND_POINTS, now), yRange=(low, high), padding=0)
        trend_curves.append(plot.plot(pen=pg.mkPen("c", width=2), connect="finite"))
    scene.resize(1366, 700)
    scene.show()
    core = _core(paths, db)
    frame = [0]

    def tick() -> None:
        pos = frame[0] * 3 % len(sweep)  # 3 samples per 40 ms at 75 Hz
        buf = sweep.copy()
        buf[(np.arange(8) + pos) % len(buf)] = np.nan
        pleth_curve.setData(sweep_x, buf, skipFiniteCheck=True)
        if frame[0] % TREND_EVERY == 0:
            for curve, v in zip(trend_curves, series):
                curve.setData(t, v, skipFiniteCheck=True)
        frame[0] += 1

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(FRAME_MS)
    loop = QEventLoop()
    QTimer.singleShot(2000, loop.quit)  # warm-up, as for the window
    loop.exec()
    cpu0, wall0 = _cpu_s(), time.perf_counter()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    cpu = (_cpu_s() - cpu0) / (time.perf_counter() - wall0) * 100
    timer.stop()
    scene.close()
    core.stop()
    app.processEvents()
    return cpu


#: The arguments of a `--quick` smoke run (bench/__main__.py).
QUICK = {"seconds": 2.0}


def run(seconds: float = SECONDS) -> list[str]:
    sims = {name: subprocess.Popen([sys.executable, "-m", "monitor.cli", "simulate", "--protocol", name],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            for name in ("nonin", "suntech")}
    try:
        paths = {name: p.stdout.readline().strip() for name, p in sims.items()}
        with tempfile.TemporaryDirectory() as tmp:
            bare = floor(paths, f"{tmp}/f.db", seconds)
            ours = measure(False, paths, f"{tmp}/a.db", seconds)
            base = measure(True, paths, f"{tmp}/b.db", seconds)
    finally:
        for p in sims.values():
            p.terminate()
            p.wait(5)
    return [f"live CPU (2 devices, 4 h trend, {seconds:g} s): {ours:.1f} % of one core "
            f"(floor {bare:.1f} % bare pyqtgraph scene of the same curves beside the same device threads, "
            f"ratio x{ours / bare:.1f})",
            f"live CPU against the naive redraw (2 devices, 4 h trend, {seconds:g} s): {ours:.1f} % of one core "
            f"(baseline {base:.1f} % every curve every frame with auto-range, ratio x{base / ours:.1f})"]


if __name__ == "__main__":
    print("\n".join(run()))
