"""Ingest: samples per second stored by the Recorder vs one INSERT + COMMIT per sample.

The load is what a Nonin oximeter sends: 75 pleth samples/s plus SpO2, pulse
rate and perfusion index once a second, as Sample values with changing numbers.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path

from monitor.recorder import Recorder
from devices.values import Param, Sample, sample
from monitor.store import Store


def make_samples(seconds: int, t0: float = 1.8e9) -> list[Sample]:
    out: list[Sample] = []
    for s in range(seconds):
        for i in range(75):
            out.append(sample(t0 + s + i / 75, "pulseox", Param.PLETH, float((s * 75 + i) % 128)))
        out.append(sample(t0 + s, "pulseox", Param.SPO2, 90.0 + s % 10))
        out.append(sample(t0 + s, "pulseox", Param.PULSE_RATE, 60.0 + s % 30))
        out.append(sample(t0 + s, "pulseox", Param.PERFUSION_INDEX, 1.0 + (s % 40) / 10))
    return out


def product(samples: list[Sample], db: Path) -> float:
    """Return seconds to store all samples through the Recorder, flush included."""
    store = Store(db)
    sid = store.create_session()
    rec = Recorder(store, sid, capture_raw=False)
    start = time.perf_counter()
    rec.start()
    for s in samples:
        rec.put(s)
    rec.stop()
    elapsed = time.perf_counter() - start
    stored = store.row_counts(sid)["numerics"]
    assert stored == sum(1 for s in samples if s.param != "pleth"), stored
    store.close()
    return elapsed


def naive(samples: list[Sample], db: Path) -> float:
    """Return seconds to store the samples one INSERT and COMMIT each, same pragmas."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE s (t REAL, source TEXT, parameter TEXT, value REAL, unit TEXT)")
    start = time.perf_counter()
    for s in samples:
        conn.execute("INSERT INTO s VALUES (?, ?, ?, ?, ?)", (s.t, s.source, s.param, s.value, s.unit))
        conn.commit()
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def run(seconds: int = 600, naive_seconds: int = 120) -> list[str]:
    """Return the figure lines (BENCHMARKS.md format)."""
    with tempfile.TemporaryDirectory() as tmp:
        big = make_samples(seconds)
        small = make_samples(naive_seconds)
        rate = len(big) / product(big, Path(tmp) / "product.db")
        base = len(small) / naive(small, Path(tmp) / "naive.db")
        with_db = Store(Path(tmp) / "product.db")
        size = Path(tmp, "product.db").stat().st_size + sum(
            p.stat().st_size for p in Path(tmp).glob("product.db-*"))
        with_db.close()
    per_hour = size / seconds * 3600 / 1e6
    return [
        f"ingest: {rate:,.0f} samples/s (baseline {base:,.0f}, ratio x{rate / base:.0f})",
        f"database size: {per_hour:.1f} MB/h with 75 Hz pleth (baseline 20 MB/h target, ratio x{20 / per_hour:.1f})",
    ]


if __name__ == "__main__":
    print("\n".join(run()))
