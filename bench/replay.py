"""Replay: an 8 h raw capture of a CMS50D+ (60 frames/s) parsed again into a new session.

Target (BENCHMARKS.md): < 30 s for 8 h. Baseline: the naive way, one INSERT
and COMMIT per decoded value, measured on the first minutes and scaled.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time

from devices.cms50dplus import Cms50dPlusParser, Cms50dPlusSimulator
from devices.sim.physiology import Patient
from devices.values import WaveSegment
from monitor.ingest.replay import replay
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store

HOURS = 8.0
CHUNK_S = 0.5  # the recorder's flush interval: one raw row per half second


def capture(store: Store, hours: float) -> int:
    """Store a session whose raw bytes are `hours` of simulated CMS50D+ output; return its id."""
    sid = store.create_session()
    store.write_batch({"devices": [{"session_id": sid, "role": "pulseox", "source": "pulseox", "protocol": "cms50dplus",
                                    "port": "sim"}]})
    sim, patient = Cms50dPlusSimulator(), Patient("ketamine", seed=2)
    frames_per_chunk = int(CHUNK_S * 60)
    t0, rows = 1.8e9, []
    one_minute = b"".join(sim.frame(patient.step(i / 60)) for i in range(3600))  # reused: the parser's work is the same
    per_chunk = 5 * frames_per_chunk
    for i in range(int(hours * 3600 / CHUNK_S)):
        start = (i * per_chunk) % len(one_minute)
        data = (one_minute + one_minute)[start:start + per_chunk]
        rows.append({"session_id": sid, "source": "pulseox", "t": t0 + i * CHUNK_S, "direction": "rx", "data": data})
        if len(rows) >= 5000:
            store.write_batch({"raw_bytes": rows})
            rows = []
    store.write_batch({"raw_bytes": rows})
    store.close_session(sid)
    return sid


def naive_values_per_s(store: Store, sid: int, seconds: float = 3.0) -> float:
    """Decode the capture and INSERT + COMMIT each value, for `seconds`; return values per second."""
    conn = sqlite3.connect(store.path)
    conn.execute("CREATE TABLE IF NOT EXISTS naive (t REAL, parameter TEXT, value REAL)")
    parser, n = Cms50dPlusParser(), 0
    start = time.perf_counter()
    sessions = SqliteSessions(store.path)
    for t, data in sessions.raw(sessions.resolve(str(sid)), "pulseox"):
        for item in parser.feed(data, t):
            for value in (item.values if isinstance(item, WaveSegment) else (item.value,)):
                conn.execute("INSERT INTO naive VALUES (?, ?, ?)", (item.t, item.param, value))
                conn.commit()
                n += 1
        if time.perf_counter() - start > seconds and n:  # a rate of 0 is no rate
            break
    rate = n / (time.perf_counter() - start)
    conn.close()
    return rate


#: The arguments of a `--quick` smoke run (bench/__main__.py).
QUICK = {"hours": 0.05, "naive_seconds": 0.2}


def run(hours: float = HOURS, naive_seconds: float = 3.0) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"{tmp}/replay.db")
        sid = capture(store, hours)
        start = time.perf_counter()
        report = replay(store, SqliteSessions(store.path), str(sid))
        elapsed = time.perf_counter() - start
        values = report.devices["pulseox"].items
        naive = values / naive_values_per_s(store, sid, naive_seconds)
        store.close()
    return [f"replay of an {hours:g} h capture: {elapsed:.1f} s for {values:,} values "
            f"(baseline {naive:.0f} s estimated, ratio x{naive / elapsed:.0f})"]


if __name__ == "__main__":
    print("\n".join(run()))
