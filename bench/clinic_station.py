"""The central station at a clinic-year: one refresh of 20 chairs' tiles from a central store holding a year of sessions.

20 chairs, each with its file of sessions written as in bench/clinic_year.py (2 sessions of 2 h a day,
the journal, BP, alarms and summaries), the last one of each chair still running, replicated to a
throwaway local PostgreSQL server by the chairs' own Replicator. A refresh is what the station does each
time it redraws (monitor.central.station.chair_views, read as the reviewer login), against the 100 ms
target, at a tenth of the year and at the whole year. The station reads only each chair's current session,
through the (chair, session, time) indexes, so the past sessions' values are stored one a minute (not one a
second) to keep the bench's server small: the year's sessions, journal, alarm and BP rows are all there.
The chairs' files are built once and kept under the temporary folder (see clinic_year.cache_path). After
the load the server's statistics are gathered (ANALYZE), as autovacuum does on a server that runs: planned
on none, the station's latest-value query reads a whole session's values per chair (0.15 s at 400 sessions).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from bench import clinic_year
from bench.pgserver import PgServer, find_bindir
from bench.timing import best_s
from monitor.storage.store import Store

CHAIRS = 20
PAST_STEP_S = 60
TARGET_S = 0.1
REPEATS = 5
#: The arguments of a `--quick` smoke run (bench/__main__.py).
QUICK = {"sessions": 300}


def chair_files(sessions: int) -> tuple[list[Path], float]:
    """Return the chairs' files of a clinic of `sessions` sessions (built once), and the station's clock then."""
    folder = clinic_year.cache_path(sessions).with_name(f"station-g{clinic_year.GENERATOR_VERSION}-"
                                                        f"{clinic_year.cache_path(sessions).stem}-{CHAIRS}")
    files = [folder / f"chair-{c:02d}.db" for c in range(CHAIRS)]
    last = sessions - 1
    now = clinic_year.T0 + (last // (CHAIRS * clinic_year.PER_DAY)) * clinic_year.DAY + clinic_year.SESSION_S \
        + ((last // CHAIRS) % clinic_year.PER_DAY) * 5 * 3600.0
    if all(f.exists() for f in files):
        return files, now
    building = folder.with_suffix(f".{os.getpid()}.building")
    building.mkdir(parents=True, exist_ok=True)
    stores = [Store(building / f.name) for f in files]
    try:
        for i in range(sessions):
            current = i >= sessions - CHAIRS  # each chair's last session runs
            store = stores[i % CHAIRS]
            sid = clinic_year._session(store, i, chairs=CHAIRS, step=1 if current else PAST_STEP_S, running=current)
            if current:
                store.update_session(sid, heartbeat_utc=now)
    finally:
        for store in stores:
            store.close()
    for f in files:
        for suffix in ("-wal", "-shm"):
            Path(f"{building / f.name}{suffix}").unlink(missing_ok=True)
    building.rename(folder)
    return files, now


def _replicate(files: list[Path], pg: PgServer, dbname: str) -> None:
    """Ship every chair's file to a new central database through the chairs' Replicator, until caught up."""
    from monitor.central.link import ChairSettings
    from monitor.central.replicator import Replicator
    from monitor.central.schema import init_central

    names = [f.stem for f in files]
    init_central(pg.create_database(dbname), chairs=names, reviewers=["station"])
    for name in (*names, "station"):
        pg.add_login(name)
    for f, name in zip(files, names):
        rep = Replicator(f, ChairSettings(pg.url(name, dbname), name), interval_s=0.05)
        rep.start()
        deadline = time.monotonic() + 600
        while rep.state().caught_up_t is None:
            if rep.state().status == "refused" or time.monotonic() > deadline:
                rep.stop()
                raise RuntimeError(f"{name} did not reach the central store: {rep.state().detail}")
            time.sleep(0.02)
        rep.stop()
    import psycopg

    with psycopg.connect(pg.url(dbname=dbname), autocommit=True) as admin:
        admin.execute("ANALYZE")  # as autovacuum does on a server that runs: the bulk load left no statistics


def _refresh_s(url: str, now: float) -> float:
    from monitor.central.reader import CentralSessions
    from monitor.central.station import chair_views

    with CentralSessions(url) as central:
        assert len(chair_views(central, now)) == CHAIRS  # connected, caches warm
        views = chair_views(central, now)
        assert all(v.session_state == "running" and v.spo2 is not None for v in views)
        return best_s(lambda: chair_views(central, now), REPEATS)


def run(sessions: int = clinic_year.CHAIRS * clinic_year.PER_DAY * 250) -> list[str]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return ["# station at a clinic-year: skipped (psycopg not installed: pip install -e '.[central]')"]
    if find_bindir() is None:
        return ["# station at a clinic-year: skipped (no PostgreSQL server binaries: install the postgresql package)"]
    sizes = (sessions // 10, sessions)
    took = {}
    with PgServer() as pg:
        os.environ["PGPASSFILE"] = str(pg.pgpass)
        for n in sizes:
            files, now = chair_files(n)
            _replicate(files, pg, f"year{n}")
            took[n] = _refresh_s(pg.url("station", f"year{n}"), now)
    small, big = took[sizes[0]], took[sizes[1]]
    return [f"station refresh, {CHAIRS} chairs ({sizes[1]:,} sessions in the central store): {big * 1000:.1f} ms "
            f"(target {TARGET_S * 1000:.0f} ms, ratio x{TARGET_S / big:.1f})",
            f"# station refresh grew from {sizes[0]:,} to {sizes[1]:,} sessions: {small * 1000:.1f} -> "
            f"{big * 1000:.1f} ms (x{big / small:.1f}); past sessions' values one a minute"]


if __name__ == "__main__":
    print("\n".join(run()))
