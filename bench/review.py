"""Review: open an 8 h session and draw its whole timeline; zoom and pan. Against SELECT-all and plot.

The session is written through the recorder, as a monitor writes it: 75 Hz
pleth, SpO2 / pulse / perfusion index at 1 Hz, 50 NIBP readings, 100 event
markers, 200 alarms, an infusion with a pause. "load" is opening the file,
reading the session record and the decimated levels and drawing the whole
timeline (pyqtgraph, offscreen, painted into an image); "zoom" is showing a
10-minute window (full-resolution numerics, the pleth's 1-s envelope) and
painting it. The baseline is the naive way: SELECT every numeric and every
waveform chunk, decode, setData everything, paint; its zoom is setXRange on
that fully loaded plot and a paint. Targets (BENCHMARKS.md): load < 1 s,
zoom < 50 ms, both at least 10x faster than the baseline.
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
from monitor.markers import MarkerRevision
from monitor.recorder import Recorder
from monitor.records import PhaseChange
from monitor.store import Store

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
        kind = AlarmKind.TECHNICAL if k % 5 == 0 else AlarmKind.PHYSIOLOGICAL
        for dt, ev, user in ((0, EventKind.RAISED, ""), (20, EventKind.ACKNOWLEDGED, "AB"), (40, EventKind.CLEARED, "")):
            rec.put(AlarmEvent(t + dt, ev, f"a-{k}", "spo2_low", kind, pr, "SpO2 low", "pulseox", "spo2", 89.0, 90.0,
                                 user))
    for t, phase_name in ((T0 + 600, "infusion"), (T0 + 3000, "observation")):
        rec.journal(PhaseChange(phase_name), "", t)
    rec.stop()
    store.update_session(sid, state="closed", ended_utc=T0 + seconds, end_reason="closed")
    store.close()
    return sid


def naive_load(path: str, sid: int):
    """The naive way: SELECT every numeric and every chunk, decode, and hand everything to the plot."""
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
