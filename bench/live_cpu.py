"""Live CPU: CPU % of the app process showing 2 devices (75 Hz pleth + NIBP) with a full 4 h trend.

Simulators run in child processes (`infusion-monitor simulate`), so only the
app is measured. Baseline: the same window redrawing every curve every frame
with auto-range (the naive way), in the same run.
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


def measure(naive: bool, paths: dict[str, str], db: str, seconds: float) -> float:
    """Return the app's CPU % of one core over `seconds` of live display."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from devices.spec import DeviceSpec
    from monitor.live.core import MonitorCore
    from monitor.storage.store import Store
    from ui.monitor import main_window
    from ui.monitor.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    core = MonitorCore(Store(db), [DeviceSpec("pulseox", "nonin", paths["nonin"]),
                                   DeviceSpec("nibp", "suntech", paths["suntech"])], capture_raw=False)
    core.start()
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


#: The arguments of a `--quick` smoke run (bench/__main__.py).
QUICK = {"seconds": 2.0}


def run(seconds: float = SECONDS) -> list[str]:
    sims = {name: subprocess.Popen([sys.executable, "-m", "monitor.cli", "simulate", "--protocol", name],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            for name in ("nonin", "suntech")}
    try:
        paths = {name: p.stdout.readline().strip() for name, p in sims.items()}
        with tempfile.TemporaryDirectory() as tmp:
            ours = measure(False, paths, f"{tmp}/a.db", seconds)
            base = measure(True, paths, f"{tmp}/b.db", seconds)
    finally:
        for p in sims.values():
            p.terminate()
            p.wait(5)
    return [f"live CPU (2 devices, 4 h trend, {seconds:g} s): {ours:.1f} % of one core "
            f"(baseline {base:.1f} %, ratio x{base / ours:.1f})"]


if __name__ == "__main__":
    print("\n".join(run()))
