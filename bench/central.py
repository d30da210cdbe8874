"""Central replication: N chairs (50 by default) at the real data rate replicating to a local PostgreSQL server.

Each simulated chair is its own process, as each chair is its own laptop: a
Recorder fed a Nonin-like stream in real time (75 Hz pleth, SpO2, pulse rate
and perfusion index each second, the raw bytes) commits to the chair's SQLite
file every 0.5 s, and the Replicator ships it. Lag is the time from a local
commit to the central commit that covers its rows (the replicator's marks,
polled every 10 ms). Throughput is a chair's catch-up after an hour offline,
shipped by the Replicator, against the naive way in the same run: one INSERT
(ON CONFLICT DO NOTHING, as a resend needs) and COMMIT per row, as the same
chair role through row-level security. The server is a throwaway cluster with
fsync on, like a real one.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import tempfile
import threading
import time
from array import array
from pathlib import Path

import numpy as np

from bench.pgserver import PgServer, find_bindir

WARMUP_S = 3.0
POLL_S = 0.01
_BULK = ("numerics", "waveform_chunks", "raw_bytes")


def _chair(name: str, url: str, db: str, seconds: float, out) -> None:
    """Run one chair for `seconds` of real time; put its lags (s) and shipped row count on out."""
    from devices.values import sample
    from monitor.central.link import ChairSettings
    from monitor.central.replicator import Replicator
    from monitor.storage.recorder import Recorder
    from monitor.storage.store import Store

    store = Store(db)
    sid = store.create_session(patient_id=f"P-{name}")
    commits: list[tuple[float, dict[str, int]]] = []
    write = store.write_batch

    def timed_write(rows, session_id=None, heartbeat=None, end=None) -> None:
        write(rows, session_id, heartbeat, end)
        with store.lock:
            tops = {t: store.db.execute(f"SELECT MAX({'rev' if t == 'sessions' else 'rowid'}) FROM {t}").fetchone()[0]
                    or 0 for t in ("numerics", "waveform_chunks", "raw_bytes", "sessions")}
        commits.append((time.time(), tops))

    store.write_batch = timed_write  # type: ignore[method-assign]
    rec = Recorder(store, sid)
    rep = Replicator(db, ChairSettings(url, name))
    rec.start()
    rep.start()
    lags: list[float] = []
    start = time.monotonic()
    stop = threading.Event()

    def watch() -> None:
        pending = 0
        while not stop.is_set():
            marks, now = rep.marks(), time.time()
            while pending < len(commits) and all(marks.get(t, 0) >= top for t, top in commits[pending][1].items()):
                if commits[pending][0] - WARMUP_S > t_first:
                    lags.append(now - commits[pending][0])
                pending += 1
            time.sleep(POLL_S)

    t_first = time.time()
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    n = 0
    frame = bytes(range(5))
    while (elapsed := time.monotonic() - start) < seconds:
        t = time.time()
        while n < elapsed * 75:  # the pleth values due by now, with their raw frames
            rec.put(sample(t, "pulseox", "pleth", float(n % 128)))
            rec.put_raw("pulseox", t, "rx", frame)
            if n % 75 == 0:
                s = n // 75
                for param, value in (("spo2", 90.0 + s % 9), ("pulse_rate", 60.0 + s % 31),
                                     ("perfusion_index", 1.0 + s % 40 / 10)):
                    rec.put(sample(t, "pulseox", param, value))
            n += 1
        time.sleep(0.02)
    rec.stop()
    time.sleep(2.0)  # let the last commits reach the store
    stop.set()
    watcher.join()
    rep.stop()
    out.put((lags, rep.state().rows))


def _central_bytes(conn) -> int:
    """Return the bytes of the central schema's tables, their indexes and TOAST."""
    return conn.execute("SELECT COALESCE(SUM(pg_total_relation_size(oid)), 0)::bigint FROM pg_class "
                        "WHERE relnamespace = 'infusion'::regnamespace AND relkind = 'r'").fetchone()[0]


def _backlog(db: Path, seconds: int) -> int:
    """Write `seconds` of what a Nonin chair stores (3 numerics, a 1 s pleth chunk, 2 raw-byte rows a second)."""
    from monitor.storage.store import Store

    store = Store(db)
    sid = store.create_session(patient_id="P-BACKLOG")
    t0, wave, raw = 1.8e9, array("f", range(75)).tobytes(), bytes(range(187))
    rows = {"numerics": [{"session_id": sid, "t": t0 + s, "source": "pulseox", "parameter": p, "value": 90.0 + s % 9,
                          "unit": "%"} for s in range(seconds) for p in ("spo2", "pulse_rate", "perfusion_index")],
            "tracks": [{"session_id": sid, "track": 1, "source": "pulseox", "parameter": "pleth", "unit": "1",
                        "rate": 75.0}],
            "waveform_chunks": [{"session_id": sid, "track": 1, "t0": t0 + s, "t1": t0 + s + 74 / 75, "n": 75,
                                 "samples": wave} for s in range(seconds)],
            "raw_bytes": [{"session_id": sid, "source": "pulseox", "t": t0 + s / 2, "direction": "rx", "data": raw}
                          for s in range(2 * seconds)]}
    store.write_batch(rows)
    store.close()  # the last connection checkpoints: the file alone is the data
    return sum(len(v) for v in rows.values()) + 1


def _batched(db: Path, url: str, chair: str) -> float:
    """Return rows/s of the Replicator catching up on db from scratch, once connected (as the baseline is)."""
    from monitor.central.link import ChairSettings
    from monitor.central.replicator import Replicator

    conn = sqlite3.connect(db)
    total = sum(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in _BULK)
    conn.close()
    rep = Replicator(db, ChairSettings(url, chair), interval_s=0.05)
    rep.start()
    while rep.state().status == "connecting":
        time.sleep(0.001)
    start = time.perf_counter()
    while rep.state().rows < total + 1:
        if rep.state().status == "refused":
            raise RuntimeError(rep.state().detail)
        time.sleep(0.005)
    elapsed = time.perf_counter() - start
    rep.stop()
    return rep.state().rows / elapsed


def _naive(db: Path, url: str, rows: int) -> float:
    """Return rows/s of one INSERT ... ON CONFLICT DO NOTHING and COMMIT per row, for the first `rows` rows."""
    import psycopg

    from monitor.central.schema import local_tables, quote

    conn = sqlite3.connect(db)
    tables = {t.name: t for t in local_tables(conn)}
    todo = []
    for name in _BULK:
        t = tables[name]
        cols = ", ".join(quote(c) for c in t.names)
        sql = (f"INSERT INTO {t.qualified} (chair_id, local_rowid, {cols}) VALUES (current_user, "
               f"{', '.join(['%s'] * (len(t.names) + 1))}) ON CONFLICT DO NOTHING")
        todo += [(sql, r) for r in conn.execute(f"SELECT rowid, {cols} FROM {name} LIMIT {rows // len(_BULK)}")]
    conn.close()
    with psycopg.connect(url, autocommit=True) as pg:
        start = time.perf_counter()
        for sql, row in todo:
            pg.execute(sql, row)  # autocommit: each INSERT is its own transaction
        elapsed = time.perf_counter() - start
    return len(todo) / elapsed


#: The arguments of a `--quick` smoke run (bench/__main__.py).
QUICK = {"chairs": 2, "seconds": 4.0, "backlog_s": 300, "naive_rows": 200}


def run(chairs: int = 50, seconds: float = 60.0, backlog_s: int = 7200, naive_rows: int = 4000) -> list[str]:
    """Return the figure lines (BENCHMARKS.md format); a line saying why when PostgreSQL is not here."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return ["# central replication: skipped (psycopg not installed: pip install -e '.[central]')"]
    if find_bindir() is None:
        return ["# central replication: skipped (no PostgreSQL server binaries: install the postgresql package)"]
    from monitor.central.schema import init_central

    names = [f"bench-{i:02d}" for i in range(chairs)]
    with PgServer(durable=True) as pg, tempfile.TemporaryDirectory() as tmp:
        os.environ["PGPASSFILE"] = str(pg.pgpass)
        admin = pg.create_database("bench")
        init_central(admin, chairs=[*names, "bench-batch", "bench-naive"])
        for name in (*names, "bench-batch", "bench-naive"):
            pg.add_login(name)
        with psycopg.connect(admin) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]

        db = Path(tmp) / "backlog.db"  # first the catch-up, on a quiet machine
        backlog_rows = _backlog(db, backlog_s)
        with psycopg.connect(admin) as conn:
            before = _central_bytes(conn)
        batched = _batched(db, pg.url("bench-batch", "bench"), "bench-batch")
        with psycopg.connect(admin) as conn:
            central_mb_h = (_central_bytes(conn) - before) / 1e6 / (backlog_s / 3600)
        local_mb_h = db.stat().st_size / 1e6 / (backlog_s / 3600)
        naive = _naive(db, pg.url("bench-naive", "bench"), naive_rows)

        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        procs = [ctx.Process(target=_chair, args=(n, pg.url(n, "bench"), f"{tmp}/{n}.db", seconds, out))
                 for n in names]
        for p in procs:
            p.start()
        results = [out.get(timeout=seconds + 120) for _ in procs]
        for p in procs:
            p.join(30)
        lags = np.array([lag for chair_lags, _ in results for lag in chair_lags])
        shipped = sum(rows for _, rows in results)

    p50, p99 = (np.percentile(lags, q) for q in (50, 99)) if lags.size else (float("nan"), float("nan"))
    return [
        f"# postgresql: {version} (throwaway local server, fsync on)",
        f"central lag p50 ({chairs} chairs at real rate, {seconds:g} s, {lags.size:,} commits, "
        f"{shipped / seconds:,.0f} rows/s shipped): {p50:.2f} s (target 2 s, ratio x{2 / p50:.1f})",
        f"central lag p99 ({chairs} chairs at real rate): {p99:.2f} s (target 2 s, ratio x{2 / p99:.1f})",
        f"central size: {central_mb_h:.1f} MB per chair-hour with 75 Hz pleth and raw bytes "
        f"(baseline {local_mb_h:.1f} MB/h the chair's SQLite file, ratio x{central_mb_h / local_mb_h:.1f})",
        f"central shipping (catch-up of {backlog_rows:,} rows, {backlog_s / 3600:g} chair-h): {batched:,.0f} rows/s "
        f"(baseline {naive:,.0f} rows/s per-row INSERT+COMMIT, ratio x{batched / naive:.0f})",
    ]


if __name__ == "__main__":
    print("\n".join(run()))
