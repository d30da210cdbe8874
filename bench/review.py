"""Review: open an 8 h session and draw its whole timeline; zoom and pan. Against SELECT-all and plot.

The session is written through the recorder, as a monitor writes it: 75 Hz
pleth, SpO2 / pulse / perfusion index at 1 Hz, 50 NIBP readings, 100 event
markers, 200 alarms, an infusion with a pause. "load" is opening the file,
reading the session record and the decimated levels and drawing the whole
timeline (pyqtgraph, offscreen, painted into an image); "zoom" is showing a
10-minute window (full-resolution numerics, the pleth's 1-s envelope) and
painting it. The baseline is the naive way: SELECT every numeric and every
waveform sample through the same session reader (SessionSource.numerics and
wave), setData everything, paint; a second line compares with the same
naive plot fed by lean hand-written SELECTs. The zoom baseline is setXRange on
the fully loaded naive plot and a paint (its most favourable case: everything
is already in memory), zoomed to the same windows as ours, in turn by blocks
of five: a burst of other work on the machine slows both, and each is timed
as a screen zooming it runs, with its own data in the processor's caches (one
naive paint between two of ours walks 2 million points and left ours a third
slower, a cost no review station pays). Targets (BENCHMARKS.md): load < 1 s,
zoom < 50 ms, at least 10x faster than the baseline.
"""

from __future__ import annotations

import math
import os
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

from devices.values import NibpResult, WaveSegment, sample
from monitor.alarms.model import AlarmEvent, AlarmKind, EventKind, Priority
from monitor.clinical.dosing import DosePlan
from monitor.clinical.infusion import InfusionEngine
from monitor.record.journal import MarkerRevision, PhaseChange
from monitor.storage.recorder import Recorder
from monitor.storage.store import Store

T0 = 1_800_000_000.0
RATE = 75.0


def generate_session(path: str | Path, hours: float = 8.0, seed: int = 7) -> int:
    """Write a closed session of `hours` through the recorder (as a monitor would) and return its id."""
    rng = np.random.default_rng(seed)
    store = Store(path)
    sid = store.create_session(patient_id="BENCH-1", started_utc=T0, tz="UTC", weight_kg=70.0, dose_mg_per_kg=0.5,
                               infusion_min=40.0, bag_ml=100.0)
    store.write_batch({"devices": [{"session_id": sid, "role": "pulseox", "source": "pulseox", "protocol": "nonin",
                                    "port": "sim"},
                                   {"session_id": sid, "role": "nibp", "source": "nibp", "protocol": "suntech",
                                    "port": "sim"}]})
    rec = Recorder(store, sid, capture_raw=False)
    rec.start()
    seconds = int(hours * 3600)
    phase = np.arange(int(RATE)) / RATE
    for s in range(seconds):
        t = T0 + s
        beat = 60 + 40 * np.sin(2 * np.pi * 1.2 * (phase + s)) + rng.normal(0, 2, len(phase))
        rec.put(WaveSegment(t + 1 - 1 / RATE, "pulseox", "pleth", tuple(beat.tolist()), RATE))
        dip = 8 * math.exp(-((s % 3600) - 1800) ** 2 / 2e4)
        rec.put(sample(t, "pulseox", "spo2", float(round(97 - dip + rng.normal(0, 0.5)))))
        rec.put(sample(t, "pulseox", "pulse_rate", float(round(72 + 10 * math.sin(s / 900) + rng.normal(0, 1)))))
        rec.put(sample(t, "pulseox", "perfusion_index", round(float(3 + rng.normal(0, 0.2)), 2)))
    for k in range(50):
        sbp = 120 + 25 * math.sin(k / 8)
        rec.put(NibpResult(T0 + 30 + k * seconds / 50, "nibp", round(sbp), round(sbp * 0.65), round(sbp * 0.77), 70.0))
    for k in range(100):
        t = T0 + 60 + k * seconds / 100
        rec.journal(MarkerRevision(f"m{k}", 1, t, "nausea", "Nausea", "", "AB", t), "AB", t)
    for k in range(200):
        t = T0 + 45 + k * seconds / 200
        pr = (Priority.HIGH, Priority.MEDIUM, Priority.LOW)[k % 3]
        technical = k % 5 == 0
        kind = AlarmKind.TECHNICAL if technical else AlarmKind.PHYSIOLOGICAL
        cond, param = ("no_data", "") if technical else ("spo2_low", "spo2")
        for dt, ev, user in ((0, EventKind.RAISED, ""), (20, EventKind.ACKNOWLEDGED, "AB"), (40, EventKind.CLEARED, "")):
            rec.put(AlarmEvent(t + dt, ev, f"a-{k}", cond, kind, pr, "SpO2 low" if param else "no data", "pulseox",
                               param, 89.0 if param else None, 90.0 if param else None, user))
    now = [0.0]
    engine = InfusionEngine(DosePlan(70, 0.5, 40, 100), clock=lambda: now[0], wallclock=lambda: T0 + now[0])
    for minute, step in ((10, lambda: engine.start("AB")), (25, lambda: engine.pause("nausea", "AB")),
                         (30, lambda: engine.resume("AB")), (55, engine.tick), (56, lambda: engine.complete("AB"))):
        now[0] = minute * 60
        step()
    for ev in engine.log:
        rec.journal(ev, ev.user, ev.t)
    for t, phase_name in ((T0 + 600, "infusion"), (T0 + 3300, "observation")):
        rec.journal(PhaseChange(phase_name), "", t)
    rec.stop()
    store.update_session(sid, state="closed", ended_utc=T0 + seconds, end_reason="closed")
    store.close()
    return sid


def naive_load(path: str, sid: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The naive way through the product's reader: every numeric and every waveform sample of the session."""
    from monitor.storage.sessions import SqliteSessions

    source = SqliteSessions(path)
    meta = source.resolve(str(sid))
    series: dict[str, tuple[list[float], list[float]]] = {}
    for row in source.numerics(meta):
        ts, vs = series.setdefault(row.parameter, ([], []))
        ts.append(row.t)
        vs.append(math.nan if row.value is None else row.value)
    out = {p: (np.asarray(ts), np.asarray(vs)) for p, (ts, vs) in series.items()}
    for track in source.record(meta).tracks:
        out[track.parameter] = source.wave(meta, track)
    source.close()
    return out


def lean_load(path: str, sid: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The naive way written lean: plain SELECTs of every numeric and chunk, decoded with numpy."""
    conn = sqlite3.connect(path)
    series: dict[str, tuple[list[float], list[float]]] = {}
    for t, param, value in conn.execute("SELECT t, parameter, value FROM numerics WHERE session_id = ?", [sid]):
        ts, vs = series.setdefault(param, ([], []))
        ts.append(t)
        vs.append(math.nan if value is None else value)
    times, values = [], []
    for t1, blob in conn.execute("SELECT t1, samples FROM waveform_chunks WHERE session_id = ? ORDER BY t0", [sid]):
        v = np.frombuffer(blob, dtype=np.float32)
        times.append(t1 - np.arange(len(v))[::-1] / RATE)
        values.append(v)
    conn.close()
    out = {p: (np.asarray(ts), np.asarray(vs)) for p, (ts, vs) in series.items()}
    out["pleth"] = (np.concatenate(times), np.concatenate(values).astype(float))
    return out


PIXELS = 1600
ZOOMS = 20
#: Windows zoomed by one plot before the other takes its turn.
BLOCK = 5
LOADS = 5


def _paint(widget) -> None:
    """Paint the widget completely (offscreen), as a screen refresh would."""
    widget.grab()


def naive_view(data: dict):
    """Plot everything as it comes: one curve per signal, every point, no decimation."""
    import pyqtgraph as pg

    view = pg.GraphicsLayoutWidget()
    view.resize(PIXELS, 900)
    first = None
    for row, (param, (t, v)) in enumerate(data.items()):
        plot = view.addPlot(row=row, col=0)
        plot.plot(t, v)
        if first is None:
            first = plot
        else:
            plot.setXLink(first)
    return view, first


#: The arguments of a `--quick` smoke run (bench/__main__.py).
QUICK = {"hours": 0.05}


def run(hours: float = 8.0) -> list[str]:
    from PySide6.QtWidgets import QApplication

    from monitor.review.timeline import SessionTimeline
    from monitor.storage.sessions import SqliteSessions
    from ui.review.timeline_view import TimelineView

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "review.db")
        sid = generate_session(path, hours)
        samples = sum(len(np.frombuffer(b, dtype=np.float32)) for (b,) in
                      sqlite3.connect(path).execute("SELECT samples FROM waveform_chunks"))

        view = TimelineView()  # the window exists before a session is opened
        view.resize(PIXELS, 900)
        _paint(view)
        loads = []
        for _ in range(LOADS):
            start = time.perf_counter()
            source = SqliteSessions(path)
            meta = source.resolve(str(sid))
            timeline = SessionTimeline(source, meta)
            view.show_session(timeline, timeline.traces(timeline.start, timeline.end, PIXELS))
            _paint(view)
            loads.append(time.perf_counter() - start)
            view.timeline = None  # the next load opens it as a new session
        load = float(np.median(loads))

        baselines = {}
        for name, read in (("naive", naive_load), ("lean", lean_load)):
            runs = []
            for _ in range(3):
                start = time.perf_counter()
                naive, naive_plot = naive_view(read(path, sid))
                _paint(naive)
                runs.append(time.perf_counter() - start)
            baselines[name] = float(np.median(runs))

        start = time.perf_counter()
        timeline.series()  # the window reads the values on its worker thread once the timeline is drawn
        values_s = time.perf_counter() - start

        rng = np.random.default_rng(1)
        span = min(600.0, (timeline.end - timeline.start) / 2)
        windows = [(w, w + span) for w in rng.uniform(timeline.start, timeline.end - span, ZOOMS)]
        ours, theirs = [], []
        for block in range(0, ZOOMS, BLOCK):  # in turn, block by block: a burst of other work slows both
            for w0, w1 in windows[block:block + BLOCK]:
                start = time.perf_counter()
                view.plots["spo2"].setXRange(w0, w1, padding=0)
                view.show_traces(timeline.traces(w0, w1, PIXELS))
                _paint(view)
                ours.append(time.perf_counter() - start)
            for w0, w1 in windows[block:block + BLOCK]:
                start = time.perf_counter()
                naive_plot.setXRange(w0, w1, padding=0)
                _paint(naive)
                theirs.append(time.perf_counter() - start)
        source.close()
    zoom, naive_zoom = float(np.median(ours)), float(np.median(theirs))
    naive_s, lean_s = baselines["naive"], baselines["lean"]
    del app
    return [f"# review session: {hours:g} h, {samples:,} pleth samples, {int(hours * 3600) * 3:,} numerics, 50 NIBP, "
            "100 events, 200 alarms",
            f"review load: {load * 1000:.0f} ms median of {LOADS} (baseline {naive_s * 1000:.0f} ms, ratio x{naive_s / load:.0f})",
            f"review load vs a lean SELECT-all (sqlite3 + numpy, every point plotted): {load * 1000:.0f} ms "
            f"(baseline {lean_s * 1000:.0f} ms, ratio x{lean_s / load:.0f})",
            f"review zoom: {zoom * 1000:.1f} ms median, {np.percentile(ours, 90) * 1000:.1f} ms p90 "
            f"(baseline {naive_zoom * 1000:.0f} ms, ratio x{naive_zoom / zoom:.0f})",
            f"review values read after the timeline is drawn (worker thread): {values_s * 1000:.0f} ms "
            f"(baseline {lean_s * 1000:.0f} ms lean SELECT-all and plot, ratio x{lean_s / values_s:.1f})"]


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print("\n".join(run()))
