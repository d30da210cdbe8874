"""Replay: an 8 h raw capture of a CMS50D+ (60 frames/s) parsed again into a new session.

Target (issue 21): < 5 s for 8 h, and within 2x the floor: the same rows
read and fed to the same parser, its items dropped, in the same run. Both
are the best of REPEATS runs, taken in turn (bench/import_capture.py says why).
"""

from __future__ import annotations

import tempfile
import time

from devices.cms50dplus import Cms50dPlusParser, Cms50dPlusSimulator
from devices.sim.physiology import Patient
from monitor.ingest.replay import replay
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store

HOURS = 8.0
REPEATS = 3
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


def parse_only_s(sessions: SqliteSessions, sid: int) -> float:
    """Return the seconds reading the capture's rows and feeding them to the parser take, storing nothing."""
    parser = Cms50dPlusParser()
    start = time.perf_counter()
    for t, data in sessions.raw(sessions.resolve(str(sid)), "pulseox"):
        parser.feed(data, t)
    return time.perf_counter() - start


#: The arguments of a `--quick` smoke run (bench/__main__.py).
QUICK = {"hours": 0.05, "repeats": 1}


def run(hours: float = HOURS, repeats: int = REPEATS) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"{tmp}/replay.db")
        sid = capture(store, hours)
        floor = elapsed = float("inf")
        for _ in range(repeats):
            floor = min(floor, parse_only_s(SqliteSessions(store.path), sid))
            start = time.perf_counter()
            report = replay(store, SqliteSessions(store.path), str(sid))
            elapsed = min(elapsed, time.perf_counter() - start)
        values = report.devices["pulseox"].items
        store.close()
    return [f"replay of an {hours:g} h capture ({values:,} values): {elapsed:.1f} s "
            f"(floor {floor:.1f} s reading and parsing alone, ratio x{elapsed / floor:.1f})"]


if __name__ == "__main__":
    print("\n".join(run()))
