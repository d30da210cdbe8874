"""Ingest: samples per second stored by the Recorder vs the floor: the same values by one bare executemany.

The load is what a Nonin oximeter sends: 75 pleth samples/s plus SpO2, pulse
rate and perfusion index once a second with changing numbers. Pleth comes as
the reader delivers it: one WaveSegment per read of the port. Two figures:
reads of one 25-frame packet (a reader that is busy, or an import), and reads
of one frame (an idle reader keeping up live, where 78 values/s is the real
load and the figure is the headroom).
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path

from devices.values import Param, Sample, WaveSegment, sample
from monitor.storage.recorder import Recorder
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store


def make_samples(seconds: int, per_read: int = 25, t0: float = 1.8e9) -> list[Sample | WaveSegment]:
    """Return `seconds` of Nonin output: pleth in segments of per_read frames (a divisor of 75), numerics."""
    out: list[Sample | WaveSegment] = []
    for s in range(seconds):
        for i in range(0, 75, per_read):
            out.append(WaveSegment(t0 + s + (i + per_read - 1) / 75, "pulseox", "pleth",
                                   tuple(float((s * 75 + i + k) % 128) for k in range(per_read)), 75.0))
        out.append(sample(t0 + s, "pulseox", Param.SPO2, 90.0 + s % 10))
        out.append(sample(t0 + s, "pulseox", Param.PULSE_RATE, 60.0 + s % 30))
        out.append(sample(t0 + s, "pulseox", Param.PERFUSION_INDEX, 1.0 + (s % 40) / 10))
    return out


def count(items: list[Sample | WaveSegment]) -> int:
    """Return how many values the items carry."""
    return sum(len(i.values) if isinstance(i, WaveSegment) else 1 for i in items)


def product(samples: list[Sample | WaveSegment], db: Path) -> float:
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
    store.close()
    sessions = SqliteSessions(db)
    meta = sessions.resolve(str(sid))
    stored = sum(1 for _ in sessions.numerics(meta)) + sum(len(sessions.wave(meta, track)[1])
                                                            for track in sessions.record(meta).tracks)
    assert stored == count(samples), (stored, count(samples))
    sessions.close()
    return elapsed


def floor(samples: list[Sample | WaveSegment], db: Path) -> float:
    """Return seconds to store the same values the barest way: one row each, one executemany, one transaction.

    No work of the product's (queueing, wave chunks, alarms' reads) is here: the
    product's time over this is what that work costs.
    """
    rows = [(s.t, s.source, s.param, value, "1")
            for s in samples for value in (s.values if isinstance(s, WaveSegment) else (s.value,))]
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE s (t REAL, source TEXT, parameter TEXT, value REAL, unit TEXT)")
    start = time.perf_counter()
    with conn:
        conn.executemany("INSERT INTO s VALUES (?, ?, ?, ?, ?)", rows)
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


#: The arguments of a `--quick` smoke run (bench/__main__.py).
QUICK = {"seconds": 60}


def run(seconds: int = 1200) -> list[str]:
    """Return the figure lines (bench/__main__.py format); ratio = the product's time over the floor's."""
    with tempfile.TemporaryDirectory() as tmp:
        values = make_samples(seconds)
        base = count(values) / floor(values, Path(tmp) / "floor.db")  # the same values, however they were read
        lines = []
        for per_read, what in ((25, "reads of a 25-frame packet"), (1, "reads of one frame, live")):
            big = make_samples(seconds, per_read)
            db = Path(tmp) / f"product-{per_read}.db"
            rate = count(big) / product(big, db)
            lines.append(f"ingest ({what}): {rate:,.0f} samples/s (floor {base:,.0f} samples/s bare executemany "
                         f"in one transaction, ratio x{base / rate:.1f})")
        size = sum(p.stat().st_size for p in Path(tmp).glob("product-1.db*"))
    per_hour = size / seconds * 3600 / 1e6
    return [*lines,
            f"database size: {per_hour:.1f} MB/h with 75 Hz pleth (target 20 MB/h, ratio x{20 / per_hour:.1f})"]


if __name__ == "__main__":
    print("\n".join(run()))
