"""PostgreSQL for the central-store tests: a throwaway server, a fresh database per test, a cuttable link.

The server is the machine's own (bench/pgserver.py); tests skip, saying why,
when its binaries or psycopg are missing (.ci/run installs both, so CI never
skips). Passwords live only in the server's private pgpass file, which the
tests hand to libpq through PGPASSFILE, as IT does on a chair.
"""

from __future__ import annotations

import itertools
import os
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.pgserver import PgServer, find_bindir

CHAIRS = ("chair-a", "chair-b")
REVIEWER = "desk"
_numbers = itertools.count(1)

from monitor.storage.schema import DERIVED_TABLES


def require_postgres() -> None:
    """Skip the calling test, with the reason, when a PostgreSQL server or psycopg is not available.

    Under CI (CI=true) that is a failure instead: .ci/run installs both, so a skip there would hide a broken setup.
    """
    missing = None
    if find_bindir() is None:
        missing = "PostgreSQL server binaries (initdb, pg_ctl) not found: install the postgresql package (.ci/run does)"
    else:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            missing = "psycopg is not installed: pip install -e '.[test]'"
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)


@pytest.fixture(scope="session")
def pg_server():
    """One throwaway server for the whole test session."""
    require_postgres()
    server = PgServer().start()
    yield server
    server.cleanup()


@dataclass
class Central:
    """A central store initialised for two chairs and a reviewer; URLs carry no password."""

    server: PgServer
    dbname: str

    @property
    def admin(self) -> str:
        return self.server.url(dbname=self.dbname)

    def url(self, user: str, port: int | None = None) -> str:
        url = self.server.url(user, self.dbname)
        return url if port is None else url.replace(f":{self.server.port}/", f":{port}/")

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.admin) as conn:
            return conn.execute(sql, params).fetchall()


def make_central(server: PgServer, monkeypatch) -> Central:
    """Create a new database on server, run central init for CHAIRS and REVIEWER, give them passwords."""
    from monitor.central.schema import init_central

    monkeypatch.setenv("PGPASSFILE", str(server.pgpass))
    name = f"clinic{next(_numbers)}"
    server.create_database(name)
    init_central(server.url(dbname=name), chairs=list(CHAIRS), reviewers=[REVIEWER])
    for user in (*CHAIRS, REVIEWER):
        server.add_login(user)
    return Central(server, name)


@pytest.fixture
def central(pg_server, monkeypatch) -> Central:
    return make_central(pg_server, monkeypatch)


def local_rows(db: Path, table: str) -> list[tuple]:
    """Return (rowid, *columns) of a local table, in rowid order."""
    conn = sqlite3.connect(db)
    try:
        return [tuple(r) for r in conn.execute(f'SELECT rowid, * FROM "{table}" ORDER BY rowid')]
    finally:
        conn.close()


def central_rows(central: Central, chair: str, table: str) -> list[tuple]:
    """Return (local_rowid, *local columns) of one chair's rows of a central table, in rowid order."""
    from monitor.central.schema import quote

    columns = [r[0] for r in central.query(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'infusion' AND table_name = %s "
        "AND column_name NOT IN ('chair_id', 'local_rowid') ORDER BY ordinal_position", (table,))]
    rows = central.query(f"SELECT local_rowid, {', '.join(map(quote, columns))} FROM infusion.{quote(table)} "
                         "WHERE chair_id = %s ORDER BY local_rowid", (chair,))
    return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in rows]


def assert_replica_exact(central: Central, chair: str, db: Path) -> dict[str, int]:
    """Check every replicated table of db equals the chair's central rows (count and content); return counts."""
    from monitor.central.schema import local_tables

    conn = sqlite3.connect(db)
    tables = [t.name for t in local_tables(conn)]
    conn.close()
    counts = {}
    for table in tables:
        local, remote = local_rows(db, table), central_rows(central, chair, table)
        assert len(remote) == len(local), f"{table}: {len(remote)} central rows, {len(local)} local"
        assert remote == local, f"{table}: contents differ"
        counts[table] = len(local)
    return counts


def wait_for(predicate, timeout: float, what: str, step: float = 0.2):
    """Poll predicate until it returns a true value (returned) or fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(step)


def caught_up(rep, db: Path) -> bool:
    """Tell whether a replicator's marks cover every row of the file."""
    conn = sqlite3.connect(db)
    try:
        marks = rep.marks()
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                     "AND name NOT LIKE 'central%' AND name NOT LIKE 'sqlite%'"):
            if table in DERIVED_TABLES:  # not shipped
                continue
            cursor = "rev" if "rev" in [c[1] for c in conn.execute(f"PRAGMA table_info({table})")] else "rowid"
            top = conn.execute(f"SELECT MAX({cursor}) FROM {table}").fetchone()[0]
            if top is not None and marks.get(table, 0) < top:
                return False
        return True
    finally:
        conn.close()


def replicate(db: Path, settings, timeout: float = 30, **options):
    """Run a Replicator on db until the store has every row; return it (stopped)."""
    from monitor.central.replicator import Replicator

    rep = Replicator(db, settings, **options)
    rep.start()
    try:
        wait_for(lambda: caught_up(rep, db), timeout, "the shipment")
    finally:
        rep.stop()
    return rep


def refusal(db: Path, settings):
    """Run a Replicator on db until the store refuses it; return that state (the replicator stopped)."""
    from monitor.central.replicator import Replicator

    rep = Replicator(db, settings)
    rep.start()
    try:
        return wait_for(lambda: rep.state() if rep.state().status == "refused" else None, 20, "the refusal")
    finally:
        rep.stop()


def record_process(db: Path, chair: str, central_url: str, *extra: str, seconds: float | None = None,
                   sim_path: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start `infusion-monitor record --central` for a chair on a simulated oximeter (stdout: alarm JSON)."""
    cmd = [sys.executable, "-m", "monitor.cli", "record", "--db", str(db), "--device", f"pulseox=nonin:{sim_path}",
           "--central", central_url, *extra]
    if seconds is not None:
        cmd += ["--duration", str(seconds)]
    full_env = {**os.environ, "INFUSION_MONITOR_CHAIR": chair, **(env or {})}
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env)


class CuttableLink(threading.Thread):
    """A loopback TCP relay to the server that drops connections mid-stream, like a failing network.

    cut_after holds client-to-server byte counts: the n-th connection is cut
    once that many bytes went through it; later connections pass. A cut resets
    the chair's end and leaves the server's end open and silent, as when the
    network fails on the chair's side: the server keeps the old session (and
    its locks) until it is told otherwise.
    """

    def __init__(self, target_port: int, cut_after: list[int]) -> None:
        super().__init__(daemon=True)
        self.target_port = target_port
        self.cut_after = list(cut_after)
        self.cuts = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._open: list[socket.socket] = []

    def run(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            self._open += [client, server]
            link = {"cut": False}
            limit = self.cut_after.pop(0) if self.cut_after else None
            threading.Thread(target=self._pump, args=(client, server, limit, link), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, None, link), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, limit: int | None, link: dict) -> None:
        sent = 0
        try:
            while not link["cut"]:
                data = src.recv(65536)
                if not data or link["cut"]:
                    break
                if limit is not None and sent + len(data) >= limit:
                    dst.sendall(data[: max(0, limit - sent)])
                    link["cut"] = True
                    self.cuts += 1
                    src.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    src.shutdown(socket.SHUT_RDWR)  # the chair sees its connection reset
                    return
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        if not link["cut"]:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()
        for s in self._open:
            s.close()
