"""The session database: schema, migrations, interrupted-session recovery, queries.

One SQLite file in WAL mode. The recorder thread and the UI thread share one
connection under a lock, so a query never sees a half-written batch. Times
are UTC epoch seconds (float); each session keeps its IANA time zone name.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import sqlite_utils

from monitor import __version__

#: A running session whose heartbeat is older than this, from another host, is
#: treated as interrupted (on this host a dead pid is proof enough).
STALE_HEARTBEAT_S = 30.0
#: How long a write waits for another program's lock before it counts as failed (and is retried later).
BUSY_TIMEOUT_S = 5.0


class StoreError(Exception):
    """The database cannot be used (corrupt, locked, not a database); message is for people."""


def _v1(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE patients (id TEXT PRIMARY KEY, name TEXT, created_utc REAL);
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY, patient_id TEXT, started_utc REAL NOT NULL, ended_utc REAL,
            tz TEXT NOT NULL, state TEXT NOT NULL, weight_kg REAL, dose_mg_per_kg REAL,
            infusion_min REAL, bag_ml REAL, profile TEXT, app_version TEXT,
            pid INTEGER, host TEXT, heartbeat_utc REAL, end_reason TEXT);
        CREATE TABLE devices (
            id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL, role TEXT, protocol TEXT, port TEXT,
            baudrate INTEGER, model TEXT, serial_number TEXT, firmware TEXT, t REAL);
        CREATE TABLE numerics (
            session_id INTEGER NOT NULL, t REAL NOT NULL, t_dev REAL, source TEXT NOT NULL,
            parameter TEXT NOT NULL, value REAL, unit TEXT, flags TEXT);
        CREATE INDEX numerics_session_t ON numerics (session_id, t);
        CREATE TABLE waveform_chunks (
            session_id INTEGER NOT NULL, source TEXT NOT NULL, parameter TEXT NOT NULL,
            t0 REAL NOT NULL, t1 REAL NOT NULL, n INTEGER NOT NULL, samples BLOB NOT NULL);
        CREATE INDEX waveform_session_t ON waveform_chunks (session_id, t0);
        CREATE TABLE nibp (
            session_id INTEGER NOT NULL, t REAL NOT NULL, source TEXT, sbp REAL, dbp REAL, map REAL,
            pulse_rate REAL, error_code INTEGER, error TEXT);
        CREATE INDEX nibp_session_t ON nibp (session_id, t);
        CREATE TABLE device_status (
            session_id INTEGER NOT NULL, t REAL NOT NULL, source TEXT, condition TEXT,
            active INTEGER, detail TEXT);
        CREATE INDEX device_status_session_t ON device_status (session_id, t);
        CREATE TABLE alarms (
            session_id INTEGER NOT NULL, t REAL NOT NULL, event TEXT, alarm_id TEXT, condition TEXT,
            kind TEXT, priority TEXT, message TEXT, source TEXT, parameter TEXT, value REAL, "limit" REAL,
            user TEXT);
        CREATE INDEX alarms_session_t ON alarms (session_id, t);
        CREATE TABLE journal (
            session_id INTEGER NOT NULL, t REAL NOT NULL, kind TEXT NOT NULL, data TEXT, user TEXT);
        CREATE INDEX journal_session_t ON journal (session_id, t);
        CREATE TABLE raw_bytes (
            session_id INTEGER NOT NULL, source TEXT NOT NULL, t REAL NOT NULL,
            direction TEXT NOT NULL, data BLOB NOT NULL);
        CREATE INDEX raw_bytes_session_t ON raw_bytes (session_id, t);
        """
    )


def track_changes(db: sqlite_utils.Database, table: str) -> None:
    """Give a table whose rows change (not only grow) a `rev` column that rises on every insert and update.

    The central replicator ships a table with a `rev` column by rev (upserting
    changed rows) and every other table by rowid, so a migration that adds a
    mutable table calls this for it. Revs are assigned inside the writing
    transaction; SQLite has one writer at a time, so they rise in commit order.
    """
    db.execute(f"ALTER TABLE {table} ADD COLUMN rev INTEGER NOT NULL DEFAULT 0")
    db.execute(f"UPDATE {table} SET rev = rowid")
    db.execute(f"CREATE INDEX {table}_rev ON {table} (rev)")
    bump = f"UPDATE {table} SET rev = (SELECT MAX(rev) FROM {table}) + 1 WHERE rowid = NEW.rowid"
    db.execute(f"CREATE TRIGGER {table}_rev_insert AFTER INSERT ON {table} BEGIN {bump}; END")
    db.execute(f"CREATE TRIGGER {table}_rev_update AFTER UPDATE ON {table} WHEN NEW.rev = OLD.rev BEGIN {bump}; END")


def _replication(db: sqlite_utils.Database) -> None:
    """Prepare the file for the central replicator: change counters on the mutable tables, its marks.

    central_source holds this file's identity (so a central store can tell a
    replaced chair database from the one it knows); central_marks holds, per
    central store, chair name and table, the last rowid or rev that store has
    committed. Tables named central_* are the replicator's own and are never shipped.
    """
    for table in ("patients", "sessions", "devices"):
        track_changes(db, table)
    db.executescript(
        """
        CREATE TABLE central_source (uid TEXT NOT NULL);
        CREATE TABLE central_marks (store_uid TEXT NOT NULL, chair TEXT NOT NULL, tbl TEXT NOT NULL,
                                    mark INTEGER NOT NULL, PRIMARY KEY (store_uid, chair, tbl));
        """
    )
    db.execute("INSERT INTO central_source (uid) VALUES (?)", [uuid.uuid4().hex])


#: Migrations in order; index i upgrades user_version i to i + 1. Append, never edit.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _replication]
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class SessionRow:
    """A session as listed to people."""

    id: int
    patient_id: str | None
    started_utc: float
    ended_utc: float | None
    tz: str
    state: str
    weight_kg: float | None
    dose_mg_per_kg: float | None
    infusion_min: float | None
    end_reason: str | None
    chair: str | None = None  # set when read from the central store

    @property
    def ref(self) -> str:
        """Return how commands name this session: its id locally, 'CHAIR:ID' in the central store."""
        return str(self.id) if self.chair is None else f"{self.chair}:{self.id}"


def local_tz_name() -> str:
    """Return the machine's IANA zone name (e.g. 'Europe/Paris'), or 'UTC' if unknown."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz:
        return tz
    try:
        link = os.readlink("/etc/localtime")
        if "zoneinfo/" in link:
            return link.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    return "UTC"


class Store:
    """The open database. Thread-safe: every use holds `lock`."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.lock = threading.RLock()
        try:
            if self.path != ":memory:":
                Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, check_same_thread=False, timeout=BUSY_TIMEOUT_S)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self.db = sqlite_utils.Database(conn)
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(_explain(self.path, exc)) from None
        except OSError as exc:
            raise StoreError(f"cannot open database {self.path}: {exc.strerror or exc}") from None

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(f"database {self.path} was written by a newer version (schema {version}); update the app")
        for index in range(version, SCHEMA_VERSION):
            with self.db.conn:
                MIGRATIONS[index](self.db)
                self.db.execute(f"PRAGMA user_version = {index + 1}")

    def close(self) -> None:
        with self.lock:
            self.db.conn.close()

    # --- writing -------------------------------------------------------------------

    def write_batch(self, rows: dict[str, list[dict[str, Any]]], session_id: int | None = None,
                    heartbeat: float | None = None) -> None:
        """Insert rows for several tables in one transaction (the recorder's flush)."""
        with self.lock:
            try:
                with self.db.atomic():  # one transaction: sqlite-utils' own inserts nest as savepoints
                    for table, items in rows.items():
                        if items:
                            self.db[table].insert_all(items, batch_size=500)
                    if session_id is not None and heartbeat is not None:
                        self.db.execute("UPDATE sessions SET heartbeat_utc = ? WHERE id = ?", [heartbeat, session_id])
            except sqlite3.DatabaseError as exc:
                raise StoreError(_explain(self.path, exc)) from None

    def ensure_patient(self, patient_id: str, name: str | None = None) -> None:
        """Create the patient if new; a given name updates the stored one."""
        with self.lock, self.db.conn:
            row = self.db.execute("SELECT name FROM patients WHERE id = ?", [patient_id]).fetchone()
            if row is None:
                self.db["patients"].insert({"id": patient_id, "name": name, "created_utc": time.time()})
            elif name:
                self.db.execute("UPDATE patients SET name = ? WHERE id = ?", [name, patient_id])

    def create_session(self, **fields: Any) -> int:
        """Insert a running session for this process and return its id."""
        now = time.time()
        row = {"started_utc": now, "tz": local_tz_name(), "state": "running", "app_version": __version__,
               "pid": os.getpid(), "host": socket.gethostname(), "heartbeat_utc": now}
        row.update(fields)
        with self.lock, self.db.conn:
            return int(self.db["sessions"].insert(row).last_pk)

    def update_session(self, session_id: int, **fields: Any) -> None:
        with self.lock, self.db.conn:
            self.db["sessions"].update(session_id, fields)

    def update_devices(self, session_id: int, role: str, **fields: Any) -> None:
        """Set fields (model, serial_number, firmware) on a session's device rows of one role."""
        sets = ", ".join(f"{k} = ?" for k in fields)
        with self.lock, self.db.conn:
            self.db.execute(f"UPDATE devices SET {sets} WHERE session_id = ? AND role = ?",
                            [*fields.values(), session_id, role])

    def close_session(self, session_id: int, reason: str = "closed") -> None:
        """Mark a session closed now (idempotent)."""
        with self.lock, self.db.conn:
            self.db.execute(
                "UPDATE sessions SET state = 'closed', ended_utc = COALESCE(ended_utc, ?), end_reason = ? "
                "WHERE id = ? AND state = 'running'",
                [time.time(), reason, session_id],
            )

    def recover_interrupted(self) -> list[int]:
        """Mark sessions whose process died while running as 'interrupted'; return their ids.

        A session is interrupted when its process is gone (same host) or its
        heartbeat is stale (other host). Its end time is its last stored data.
        """
        found: list[int] = []
        host = socket.gethostname()
        with self.lock, self.db.conn:
            rows = self.db.execute("SELECT id, pid, host, heartbeat_utc, started_utc FROM sessions WHERE state = 'running'")
            for sid, pid, shost, heartbeat, started in rows.fetchall():
                if shost == host and pid and pid != os.getpid():
                    dead = not _pid_alive(pid)
                elif shost == host and pid == os.getpid():
                    dead = False
                else:
                    dead = (time.time() - (heartbeat or started)) > STALE_HEARTBEAT_S
                if dead:
                    last = self._last_data_t(sid) or heartbeat or started
                    self.db.execute(
                        "UPDATE sessions SET state = 'interrupted', ended_utc = ?, end_reason = ? WHERE id = ?",
                        [last, "the recording process stopped unexpectedly", sid],
                    )
                    found.append(sid)
        return found

    def _last_data_t(self, session_id: int) -> float | None:
        best = None
        for table, col in (("numerics", "t"), ("waveform_chunks", "t1"), ("nibp", "t"), ("alarms", "t")):
            value = self.db.execute(f"SELECT MAX({col}) FROM {table} WHERE session_id = ?", [session_id]).fetchone()[0]
            if value is not None and (best is None or value > best):
                best = value
        return best

    # --- reading -------------------------------------------------------------------

    def sessions(self) -> list[SessionRow]:
        with self.lock:
            rows = self.db.execute(
                "SELECT id, patient_id, started_utc, ended_utc, tz, state, weight_kg, dose_mg_per_kg, "
                "infusion_min, end_reason FROM sessions ORDER BY started_utc, id"
            ).fetchall()
        return [SessionRow(*r) for r in rows]

    def resolve_session(self, ref: str) -> int:
        """Turn 'latest' or a number into a session id; ValueError in words if none."""
        with self.lock:
            if ref == "latest":
                row = self.db.execute("SELECT id FROM sessions ORDER BY started_utc DESC, id DESC LIMIT 1").fetchone()
                if row is None:
                    raise ValueError("there are no sessions in this database yet")
                return int(row[0])
            if not ref.isdigit():
                raise ValueError(f"session '{ref}' is not a number or 'latest'")
            row = self.db.execute("SELECT id FROM sessions WHERE id = ?", [int(ref)]).fetchone()
        if row is None:
            raise ValueError(f"there is no session {ref} in this database")
        return int(row[0])

    def session(self, session_id: int) -> dict[str, Any]:
        with self.lock:
            return dict(self.db["sessions"].get(session_id))

    def query(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        """Run a read query under the lock and return all rows (small results only)."""
        with self.lock:
            return iter(self.db.execute(sql, list(params)).fetchall())


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _explain(path: str, exc: sqlite3.DatabaseError) -> str:
    """Say in words what a database error means for the user."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return f"database {path} is locked by another program; close it and try again"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return f"database {path} is damaged or not an infusion-monitor database ({text})"
    if "readonly" in text or "read-only" in text:
        return f"database {path} is read-only; choose a writable location with --db"
    if "disk" in text or "full" in text:
        return f"cannot write database {path}: {text} (disk full?)"
    return f"database {path}: {text}"
