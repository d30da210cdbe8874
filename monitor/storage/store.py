"""The session database on the chair: opening and checking the file, writing, interrupted-session recovery.

One SQLite file in WAL mode, checked before it is opened for writing: a damaged
file, or one of another program, is refused and left exactly as it was
(check_file, monitor.storage.integrity). The recorder thread and the UI thread share one
connection under a lock, so nothing sees a half-written batch. Times are UTC
epoch seconds (float); each session keeps its IANA time zone name. Review and
export read through monitor.storage.sessions, on a read-only connection. The
schema and its migrations are in monitor.storage.schema.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from monitor import __version__
from monitor.paths import private_file
from monitor.storage.connection import StoreConnection
from monitor.storage.integrity import layout, layout_problem, page_problem
from monitor.storage.rows import Tuples
from monitor.storage.schema import MIGRATIONS, SCHEMA_VERSION, expected_layout

if TYPE_CHECKING:  # the journal's record kinds load with the first journal read or write, not to open the file
    from devices.values import DeviceInfo
    from monitor.clinical.plan import CoursePlan
    from monitor.record.base import Record
    from monitor.storage.journal import JournalRead

#: A running session whose heartbeat is older than this, from another host, is
#: treated as interrupted (on this host a dead pid is proof enough).
STALE_HEARTBEAT_S = 30.0
#: How long a write waits for another program's lock before it counts as failed (and is retried later).
BUSY_TIMEOUT_S = 5.0
#: Tables whose rows are rewritten whole when written again (INSERT OR REPLACE on their primary key).
REPLACED_TABLES = frozenset({"levels", "summaries"})
#: Rows inserted by one statement at most (fewer where SQLite allows fewer values in a statement).
STATEMENT_ROWS = 1000


class StoreError(Exception):
    """The database cannot be used (corrupt, locked, not a database); message is for people."""


@dataclass(frozen=True)
class SessionEnd:
    """How a session ends: when (UTC epoch s), why, and what each device said it is (source -> fields).

    Device fields are columns of `devices`: model, serial_number, firmware.
    t is None when the end is not known (a replayed session that was never closed).
    """

    t: float | None
    reason: str
    devices: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def reported(cls, t: float | None, reason: str, infos: Iterable[DeviceInfo]) -> SessionEnd:
        """Return the end of a session whose devices reported these identities."""
        return cls(t, reason, {info.source: {"model": info.model, "serial_number": info.serial_number,
                                             "firmware": info.firmware} for info in infos})


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
    """The chair's open database, for writing. Thread-safe: every use holds `lock`.

    Every write transaction starts with BEGIN IMMEDIATE: it takes the write lock
    up front, so a busy database makes it wait (up to BUSY_TIMEOUT_S) instead of
    failing at once when a read turns into a write. Reading for review goes
    through monitor.storage.sessions on its own connection.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.lock = threading.RLock()
        try:
            if self.path != ":memory:":
                _refuse_unwritable(Path(self.path).expanduser())
                private_file(Path(self.path).expanduser())
                check_file(self.path)  # before WAL: a damaged file, or one not ours, is left exactly as it was
            conn = sqlite3.connect(self.path, check_same_thread=False, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            _switch_to_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self.db = StoreConnection(conn)  # sqlite-utils (and its numpy) only once a table helper is used
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(explain(self.path, exc)) from None
        except OSError as exc:
            raise StoreError(f"cannot open database {self.path}: {exc.strerror or exc}") from None

    def _migrate(self) -> None:
        """Bring the schema to SCHEMA_VERSION in one write transaction that also reads the version.

        Two first starts on a new file cannot both create the tables: the second
        waits for the first's lock, then finds the version already current.
        """
        with self._write():
            version = check_schema(self.db.conn, self.path)
            for index in range(version, SCHEMA_VERSION):
                MIGRATIONS[index](self.db)
            if version != SCHEMA_VERSION:
                self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _write(self) -> Iterator[None]:
        """Run the block as one write transaction (BEGIN IMMEDIATE); StoreError in words if it fails."""
        with self.lock:
            conn = self.db.conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as exc:
                raise StoreError(explain(self.path, exc)) from None
            try:
                yield
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.DatabaseError):
                    raise StoreError(explain(self.path, exc)) from None
                raise

    def close(self) -> None:
        with self.lock:
            self.db.conn.close()

    # --- writing -------------------------------------------------------------------

    def write_batch(self, rows: dict[str, list[dict[str, Any]] | Tuples], session_id: int | None = None,
                    heartbeat: float | None = None, end: SessionEnd | None = None) -> None:
        """Insert rows for several tables in one transaction (the recorder's flush), in the order of the tables.

        A table's rows are dicts of column -> value, or Tuples (the recorder's
        busiest tables). Rows of REPLACED_TABLES replace the stored row with the same key (a
        level bucket's newer aggregate). With `end`, the same transaction also
        stores the devices' identity and closes the session, so a session is
        never closed without its last rows.
        """
        with self._write():
            for table, items in rows.items():
                _insert(self.db.conn, table, items)
            if session_id is not None and heartbeat is not None:
                self.db.execute("UPDATE sessions SET heartbeat_utc = ? WHERE id = ?", [heartbeat, session_id])
            if session_id is not None and end is not None:
                self._end(session_id, end)

    def _end(self, session_id: int, end: SessionEnd) -> None:
        for source, fields in end.devices.items():
            sets = ", ".join(f"{k} = ?" for k in fields)
            self.db.execute(f"UPDATE devices SET {sets} WHERE session_id = ? AND source = ?",
                            [*fields.values(), session_id, source])
        # an interrupted session too: another start may have marked it so while its rows waited in a recovery file
        self.db.execute("UPDATE sessions SET state = 'closed', ended_utc = ?, end_reason = ? "
                        "WHERE id = ? AND state IN ('running', 'interrupted')", [end.t, end.reason, session_id])

    def ensure_patient(self, patient_id: str, name: str | None = None) -> None:
        """Create the patient if new; a given name updates the stored one."""
        with self._write():
            row = self.db.execute("SELECT name FROM patients WHERE id = ?", [patient_id]).fetchone()
            if row is None:
                self.db.execute("INSERT INTO patients (id, name, created_utc) VALUES (?, ?, ?)",
                                [patient_id, name, time.time()])
            elif name:
                self.db.execute("UPDATE patients SET name = ? WHERE id = ?", [name, patient_id])

    def set_patient_setting(self, patient_id: str, key: str, value: Any) -> None:
        """Store one JSON-ready setting with the patient (created if new), keeping the others."""
        with self._write():
            if self.db.execute("SELECT 1 FROM patients WHERE id = ?", [patient_id]).fetchone() is None:
                self.db.execute("INSERT INTO patients (id, created_utc) VALUES (?, ?)", [patient_id, time.time()])
            settings = {**self.patient_settings(patient_id), key: value}
            self.db.execute("UPDATE patients SET settings = ? WHERE id = ?", [json.dumps(settings), patient_id])

    def patient_settings(self, patient_id: str) -> dict[str, Any]:
        """Return the patient's settings ({} for an unknown patient or unreadable settings)."""
        with self.lock:
            row = self.db.execute("SELECT settings FROM patients WHERE id = ?", [patient_id]).fetchone()
        try:
            settings = json.loads(row[0]) if row and row[0] else {}
        except ValueError:
            return {}
        return settings if isinstance(settings, dict) else {}

    def add_course_plan(self, patient_id: str, plan: CoursePlan) -> None:
        """Record a patient's planned course (created if new); earlier plans are kept, the latest counts."""
        with self._write():
            if self.db.execute("SELECT 1 FROM patients WHERE id = ?", [patient_id]).fetchone() is None:
                self.db.execute("INSERT INTO patients (id, created_utc) VALUES (?, ?)", [patient_id, time.time()])
            self.db.execute("INSERT INTO course_plans (patient_id, t, induction, induction_weeks, booster_weeks, "
                            "boosters, note, user) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            [patient_id, plan.t, plan.induction, plan.induction_weeks, plan.booster_weeks,
                             plan.boosters, plan.note, plan.by])

    def row_counts(self, session_id: int) -> dict[str, int]:
        """Return how many numerics, BP results, device status rows and waveform samples a session holds."""
        with self.lock:
            counts = {table: self.db.execute(f"SELECT COUNT(*) FROM {table} WHERE session_id = ?",
                                             [session_id]).fetchone()[0]
                      for table in ("numerics", "nibp", "device_status")}
            counts["wave_samples"] = self.db.execute("SELECT COALESCE(SUM(n), 0) FROM waveform_chunks "
                                                     "WHERE session_id = ?", [session_id]).fetchone()[0]
        return counts

    def journal_records(self, session_id: int, kinds: tuple[str, ...]) -> JournalRead:
        """Return a session's journal records of some kinds in time order, and those rows that do not read."""
        from monitor.storage.journal import JOURNAL_COLUMNS, read_journal

        marks = ", ".join("?" * len(kinds))
        with self.lock:
            return read_journal(self.db.execute(
                f"SELECT {JOURNAL_COLUMNS} FROM journal WHERE session_id = ? AND kind IN ({marks}) ORDER BY t, rowid",
                [session_id, *kinds]).fetchall())

    def append_journal(self, session_id: int, record: Record, user: str, t: float) -> None:
        """Add one journal record to a session (running or closed) in its own short transaction.

        For writers outside the session's recorder, e.g. the `outcome` command;
        the recorder batches its own entries.
        """
        from monitor.record.base import to_row

        kind, version, data = to_row(record)
        self.write_batch({"journal": [{"session_id": session_id, "t": t, "kind": kind, "v": version, "data": data,
                                       "user": user}]})

    def create_session(self, **fields: Any) -> int:
        """Insert a running session for this process and return its id."""
        now = time.time()
        row = {"started_utc": now, "tz": local_tz_name(), "state": "running", "app_version": __version__,
               "pid": os.getpid(), "host": socket.gethostname(), "heartbeat_utc": now, "uid": uuid.uuid4().hex}
        row.update(fields)
        with self._write():  # plain SQL: sqlite-utils' table helper cost an import or replay 0.1 s to load
            return int(self.db.execute(_insert_sql("sessions", tuple(row)), list(row.values())).lastrowid)

    def update_session(self, session_id: int, **fields: Any) -> None:
        """Set some columns of a session (names from the code, never from input)."""
        sets = ", ".join(f'"{column}" = ?' for column in fields)
        with self._write():
            self.db.execute(f"UPDATE sessions SET {sets} WHERE id = ?", [*fields.values(), session_id])

    def close_session(self, session_id: int, reason: str = "closed") -> None:
        """Mark a session closed now (idempotent)."""
        self.write_batch({}, session_id, end=SessionEnd(time.time(), reason))

    def session_uid(self, session_id: int) -> str:
        """Return the global identity of a session of this database."""
        with self.lock:
            row = self.db.execute("SELECT uid FROM sessions WHERE id = ?", [session_id]).fetchone()
        if row is None:
            raise StoreError(f"there is no session {session_id} in {self.path}")
        return str(row[0])

    def session_id_of(self, uid: str) -> int | None:
        """Return the id of the session with this global identity, None if this database has none."""
        with self.lock:
            row = self.db.execute("SELECT id FROM sessions WHERE uid = ?", [uid]).fetchone()
        return None if row is None else int(row[0])

    def recover_interrupted(self) -> list[int]:
        """Mark sessions whose process died while running as 'interrupted'; return their ids.

        A session is interrupted when its process is gone (same host) or its
        heartbeat is stale (other host). Its end time is its last stored data.
        """
        found: list[int] = []
        with self._write():
            rows = self.db.execute("SELECT id, pid, host, heartbeat_utc, started_utc FROM sessions "
                                   "WHERE state = 'running'").fetchall()
            for sid, pid, shost, heartbeat, started in rows:
                if process_gone(pid, shost, heartbeat or started):
                    last = interrupted_end(lambda sql, args: self.db.execute(sql, args).fetchall(), "session_id = ?",
                                           [sid], heartbeat, started)
                    self.db.execute(
                        "UPDATE sessions SET state = 'interrupted', ended_utc = ?, end_reason = ? WHERE id = ?",
                        [last, INTERRUPTED_REASON, sid],
                    )
                    found.append(sid)
        return found

    # --- what the chair reads back ---------------------------------------------------

    def patients(self) -> list[tuple[str, str]]:
        """Return (id, name) of every patient, by id ('' for no name)."""
        with self.lock:
            return [(pid, name or "") for pid, name in
                    self.db.execute("SELECT id, name FROM patients ORDER BY id").fetchall()]

    def second_ids(self, patient_id: str, birth_date: bool) -> list[str]:
        """Return the second identifiers the patient's sessions were started with, each once, oldest first.

        birth_date chooses dates of birth (ISO) or the clinic's own second IDs.
        """
        column = "birth_date" if birth_date else "second_id"
        with self.lock:
            rows = self.db.execute(f"SELECT {column} FROM sessions WHERE patient_id = ? AND {column} IS NOT NULL "
                                   f"GROUP BY {column} ORDER BY MIN(started_utc)", [patient_id]).fetchall()
        return [r[0] for r in rows]

    def session_count(self, patient_id: str, up_to: int | None = None) -> int:
        """Return how many sessions the patient has (up to and including session id up_to)."""
        with self.lock:
            sql, args = "SELECT COUNT(*) FROM sessions WHERE patient_id = ?", [patient_id]
            if up_to is not None:
                sql, args = sql + " AND id <= ?", [*args, up_to]
            return int(self.db.execute(sql, args).fetchone()[0])


def _insert(conn: sqlite3.Connection, table: str, rows: list[dict[str, Any]] | Tuples) -> None:
    """Insert rows (dicts of column -> value, or Tuples) with one prepared statement per set of columns.

    executemany on a prepared INSERT is the fast path of the recorder's flush;
    rows of one table almost always have the same columns, so this is one
    call, and Tuples go to it as they are. Rows of REPLACED_TABLES replace a
    stored row with the same key.
    """
    if isinstance(rows, Tuples):
        _insert_many(conn, table, rows.columns, rows.rows)
        return
    start = 0
    while start < len(rows):
        columns = tuple(rows[start])
        end = start + 1
        while end < len(rows) and tuple(rows[end]) == columns:
            end += 1
        _insert_many(conn, table, columns, [tuple(row.values()) for row in rows[start:end]])
        start = end


def _insert_many(conn: sqlite3.Connection, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Insert rows of these columns, many in one statement.

    sqlite3 lets other threads run while SQLite works, one statement at a
    time: with executemany's statement per row, the recorder thread waited
    for the interpreter after every row while an import parsed, and wrote
    hardly anything until the parse ended. A statement of thousands of rows
    lets SQLite's work run beside the parse.
    """
    per = max(1, min(STATEMENT_ROWS, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(columns)))
    whole = len(rows) - len(rows) % per
    if whole:
        sql = _insert_sql(table, columns, per)
        for start in range(0, whole, per):
            conn.execute(sql, list(chain.from_iterable(rows[start:start + per])))
    if whole < len(rows):
        conn.executemany(_insert_sql(table, columns), rows[whole:])


def _insert_sql(table: str, columns: tuple[str, ...], rows: int = 1) -> str:
    """Return the INSERT (OR REPLACE, for REPLACED_TABLES) of `rows` rows of these columns into table."""
    verb = "INSERT OR REPLACE" if table in REPLACED_TABLES else "INSERT"
    names = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join([f'({", ".join("?" * len(columns))})'] * rows)
    return f'{verb} INTO "{table}" ({names}) VALUES {values}'


def check_schema(conn: sqlite3.Connection, path: str) -> int:
    """Return the file's schema version (0 for a new, empty file), reading only.

    StoreError in words if the file holds another program's tables (version
    0, or a negative one, with tables), was written by a newer version, or
    lacks a table, column, index or trigger its version has (a damaged file,
    or another program's that set a version of its own).
    """
    version, found = conn.execute("PRAGMA user_version").fetchone()[0], layout(conn)
    if version > SCHEMA_VERSION:
        raise StoreError(f"database {path} was written by a newer version (schema {version}); update the app")
    expected = expected_layout(max(version, 0))
    if version < 0 or found and not found.keys() & expected.keys():
        raise StoreError(f"{path} is not an infusion-monitor database (it holds another program's tables); "
                         "choose another file with --db")
    problem = layout_problem(found, expected)
    if problem:
        raise StoreError(refused(path, problem))
    return version


def check_file(path: str) -> None:
    """Refuse (StoreError) a file that is damaged or not an infusion-monitor database, before anything writes to it.

    Runs on a read-only connection: the file, and a WAL file beside it, are
    left byte for byte as they were (see monitor.storage.integrity for what is read).
    """
    uri = Path(path).expanduser().resolve().as_uri()
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
        try:
            check_schema(conn, path)
            problem = page_problem(conn)
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:  # locked, unreadable: the file may well be whole
        raise StoreError(explain(path, exc)) from None
    except sqlite3.DatabaseError as exc:  # SQLite's "corrupt" and "not a database"
        problem = str(exc)
    if problem:
        raise StoreError(refused(path, problem))


def damaged(path: str, problem: str) -> str:
    """Say that a database file is damaged (or not ours), and what was found."""
    return f"database {path} is damaged or not an infusion-monitor database ({problem})"


def refused(path: str, problem: str) -> str:
    """Say that a database file was refused as damaged, untouched, and what to do."""
    return (f"{damaged(path, problem)}; nothing was written into it: keep it as it is for IT, and restore it from "
            "a backup or choose another file with --db")


INTERRUPTED_REASON = "the recording process stopped unexpectedly"


def process_gone(pid: int | None, host: str | None, heartbeat: float) -> bool:
    """Tell whether the process that recorded a running session is gone.

    On this host a dead pid is proof enough; a session of another host (a shared
    folder) counts as gone when its heartbeat is stale.
    """
    if host == socket.gethostname() and pid:
        return pid != os.getpid() and not _pid_alive(pid)
    return heartbeat_stale(heartbeat)


def heartbeat_stale(heartbeat: float) -> bool:
    """Tell whether a running session's heartbeat (UTC epoch s) is older than STALE_HEARTBEAT_S."""
    return time.time() - heartbeat > STALE_HEARTBEAT_S


def last_data_t(rows: Callable[[str, list], list[tuple]], where: str, args: list) -> float | None:
    """Return the time (UTC epoch s) of a session's last stored value or alarm, None if it has none.

    rows runs one query (? placeholders) and returns its rows; where, with its
    args, selects the session's rows of a table (e.g. "session_id = ?"), so
    the central store asks the same with its chair.
    """
    times = [rows(f"SELECT MAX({col}) FROM {table} WHERE {where}", args)[0][0]
             for table, col in (("numerics", "t"), ("waveform_chunks", "t1"), ("nibp", "t"), ("alarms", "t"))]
    return max((t for t in times if t is not None), default=None)


def interrupted_end(rows: Callable[[str, list], list[tuple]], where: str, args: list, heartbeat: float | None,
                    started: float) -> float:
    """Return when a session whose recorder died ends (UTC epoch s): its last stored data, else its last
    heartbeat, else its start.

    Never the time it was found: a crash found the next morning did not record all night. The one rule for
    the store that marks the session (Store.recover_interrupted) and a reader that finds it (SqlSessions).
    """
    return last_data_t(rows, where, args) or heartbeat or started


def _switch_to_wal(conn: sqlite3.Connection) -> None:
    """Put the database in WAL mode, waiting up to BUSY_TIMEOUT_S for other connections.

    Switching a new file to WAL needs an exclusive lock, and SQLite answers
    "locked" at once instead of calling the busy handler when another first
    start holds the file, so the wait is done here.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


def _refuse_unwritable(path: Path) -> None:
    """Raise StoreError if the database is not a file (a folder, a device), or it or its folder is read-only.

    SQLite keeps the -wal and -shm files in the database's folder. It would
    take a folder or /dev/null and answer "disk I/O error" at the first write.
    """
    if path.exists() and not path.is_file():
        raise StoreError(f"database {path} is not a file (a folder or a device); give a file name with --db")
    for part in (path, path.parent):
        if part.exists() and not os.access(part, os.W_OK):
            raise StoreError(READ_ONLY.format(path=path))


READ_ONLY = "database {path} is read-only; choose a writable location with --db (sessions and export can still read it)"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def explain(path: str, exc: sqlite3.DatabaseError) -> str:
    """Say in words what a database error means for the user."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return f"database {path} is locked by another program; close it and try again"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return damaged(path, text)
    if "readonly" in text or "read-only" in text:
        return READ_ONLY.format(path=path)
    if "disk" in text or "full" in text:
        return f"cannot write database {path}: {text} (disk full?)"
    return f"database {path}: {text}"
