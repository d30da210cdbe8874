"""Long-session memory: RSS of the core (live state, alarms, recorder) over a simulated 8 h session.

The CMS50D+ simulator's bytes for 8 h are parsed and handed to the core as
fast as it stores them (no pty, no waiting), so hours take minutes. Target:
< 30 MB growth, flat after warm-up. Baseline: a naive live state that keeps
every value in Python lists, fed the same values.
"""

from __future__ import annotations

import tempfile
import time

from devices.cms50dplus import Cms50dPlusParser, Cms50dPlusSimulator
from devices.sim.physiology import Patient
from devices.values import WaveSegment
from monitor.live.core import MonitorCore
from monitor.storage.store import Store

HOURS = 8.0
WARM_MIN = 30  # minutes of warm-up before the growth is counted


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 1e6


def minutes_of_items(minutes: int):
    """Yield one minute of parsed items at a time (simulated time from 1.8e9)."""
    sim, patient, parser = Cms50dPlusSimulator(), Patient("ketamine", seed=4), Cms50dPlusParser()
    for m in range(minutes):
        t0 = 1.8e9 + m * 60
        data = b"".join(sim.frame(patient.step(m * 60 + i / 60)) for i in range(3600))
        yield parser.feed(data, t0)


#: The arguments of a `--quick` smoke run (bench/__main__.py).
QUICK = {"hours": 0.1, "warm_min": 2}


def run(hours: float = HOURS, warm_min: int = WARM_MIN) -> list[str]:
    minutes = int(hours * 60)
    with tempfile.TemporaryDirectory() as tmp:
        core = MonitorCore(Store(f"{tmp}/m.db"), [], capture_raw=False)
        core.start()
        start, warm = time.perf_counter(), None
        for m, items in enumerate(minutes_of_items(minutes)):
            for item in items:
                core._handle(item)
            while not core.recorder._queue.empty():  # as fast as storage goes, never faster
                time.sleep(0.01)
            if m == warm_min:
                warm = rss_mb()
        growth = rss_mb() - (warm or rss_mb())
        elapsed = time.perf_counter() - start
        core.stop()
    before, kept = rss_mb(), []  # the naive way, measured on one hour and scaled: every value kept
    for items in minutes_of_items(60):
        for i in items:
            values = i.values if isinstance(i, WaveSegment) else (getattr(i, "value", None),)
            kept.extend((i.t, getattr(i, "param", ""), v) for v in values)
    naive = (rss_mb() - before) * hours
    return [f"long session memory ({hours:g} h simulated in {elapsed:.0f} s): {growth:.1f} MB growth after "
            f"{warm_min} min warm-up (baseline {naive:.0f} MB, ratio x{naive / max(growth, 0.1):.0f})"]


if __name__ == "__main__":
    print("\n".join(run()))
