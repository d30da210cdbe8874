"""The chair's schema as migrations: user_version i is upgraded to i + 1 by MIGRATIONS[i], in one transaction.

A file's expected tables, indexes and triggers are what its version's
migrations make (expected_layout), so the check of an opened file and the
central store's derived schema (monitor.central.schema) read the same history.
Append a migration, never edit one: files in clinics were written by them.
"""

from __future__ import annotations

import sqlite3
import uuid
from functools import cache
from typing import TYPE_CHECKING, Callable

from monitor.storage.integrity import Layout, layout

if TYPE_CHECKING:  # a migration runs its statements with execute() alone: see MIGRATIONS
    import sqlite_utils


def _script(db: sqlite_utils.Database, sql: str) -> None:
    """Run statements one by one: executescript() would commit the migration's transaction midway."""
    for statement in sql.split(";"):
        if statement.strip():
            db.execute(statement)


def _v1(db: sqlite_utils.Database) -> None:
    _script(
        db,
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


def _v2(db: sqlite_utils.Database) -> None:
    """Settle the session record: versioned journal records, waveform tracks, source names, session uids.

    - journal.v: the version of the record's data shape (rows of schema 1 are version 1).
    - tracks: each waveform declared once per session with its source, parameter, unit and sample rate;
      chunks refer to their track by number instead of repeating source and parameter. The rate of
      old chunks is the protocol's nominal rate, or measured from the chunks when the protocol is unknown.
    - devices.source: the name values of a device are stored under (the role in schema 1).
    - sessions.uid: a global identity for reports, exports and the central store.
    - nibp.flags: e.g. 'manual' for a BP typed in by the nurse.
    """
    _script(
        db,
        """
        ALTER TABLE journal ADD COLUMN v INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE sessions ADD COLUMN uid TEXT;
        UPDATE sessions SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL;
        CREATE UNIQUE INDEX sessions_uid ON sessions (uid);
        ALTER TABLE devices ADD COLUMN source TEXT;
        UPDATE devices SET source = role;
        ALTER TABLE nibp ADD COLUMN flags TEXT;
        CREATE TABLE tracks (
            session_id INTEGER NOT NULL, track INTEGER NOT NULL, source TEXT NOT NULL, parameter TEXT NOT NULL,
            unit TEXT NOT NULL, rate REAL NOT NULL, PRIMARY KEY (session_id, track));
        ALTER TABLE waveform_chunks ADD COLUMN track INTEGER;
        """
    )
    groups = db.execute("SELECT session_id, source, parameter, SUM(n), MIN(t0), MAX(t1) FROM waveform_chunks "
                        "GROUP BY session_id, source, parameter ORDER BY session_id, MIN(rowid)").fetchall()
    numbers: dict[int, int] = {}
    for sid, source, param, n, t0, t1 in groups:
        rate = 0.0
        row = db.execute("SELECT protocol FROM devices WHERE session_id = ? AND role = ?", [sid, source]).fetchone()
        if row is not None:
            from devices import registry  # every protocol: loaded for old chunks, not to check a file's layout

            try:
                rate = registry.get(row[0]).parser(source).waveform_rate
            except ValueError:
                rate = 0.0
        if not rate and t1 > t0:
            rate = round(n / (t1 - t0), 1)
        numbers[sid] = track = numbers.get(sid, 0) + 1
        db.execute("INSERT INTO tracks VALUES (?, ?, ?, ?, ?, ?)", [sid, track, source, param, "1", rate])
        db.execute("UPDATE waveform_chunks SET track = ? WHERE session_id = ? AND source = ? AND parameter = ?",
                   [track, sid, source, param])
    _script(
        db,
        """
        ALTER TABLE waveform_chunks DROP COLUMN source;
        ALTER TABLE waveform_chunks DROP COLUMN parameter;
        CREATE INDEX waveform_track_t ON waveform_chunks (session_id, track, t0);
        """
    )


def _v3(db: sqlite_utils.Database) -> None:
    """Per-patient settings (JSON object), e.g. which outcome questionnaires the patient is asked."""
    db.execute("ALTER TABLE patients ADD COLUMN settings TEXT")


def _v4(db: sqlite_utils.Database) -> None:
    """Decimated levels for review (monitor/storage/levels.py): count, min, max, mean of valid values per bucket.

    One row per (session, bucket width, source, parameter, bucket start), keyed in that order so a
    time window of one signal at one width is one index range. The recorder writes them with the values; sessions
    recorded before have none and review computes theirs in memory (it never writes to what it reads).
    """
    db.execute("CREATE TABLE levels (session_id INTEGER NOT NULL, width REAL NOT NULL, t REAL NOT NULL, "
               "source TEXT NOT NULL, parameter TEXT NOT NULL, n INTEGER NOT NULL, lo REAL NOT NULL, "
               "hi REAL NOT NULL, mean REAL NOT NULL, PRIMARY KEY (session_id, width, source, parameter, t)) "
               "WITHOUT ROWID")


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


def _v5(db: sqlite_utils.Database) -> None:
    """Prepare the file for the central replicator: change counters on the mutable tables, its marks.

    central_source holds this file's identity (so a central store can tell a
    replaced chair database from the one it knows); central_marks holds, per
    central store, chair name and table, the last rowid or rev that store has
    committed. Tables named central_* are the replicator's own and are never shipped.
    """
    for table in ("patients", "sessions", "devices"):
        track_changes(db, table)
    _script(
        db,
        """
        CREATE TABLE central_source (uid TEXT NOT NULL);
        CREATE TABLE central_marks (store_uid TEXT NOT NULL, chair TEXT NOT NULL, tbl TEXT NOT NULL,
                                    mark INTEGER NOT NULL, PRIMARY KEY (store_uid, chair, tbl));
        """
    )
    db.execute("INSERT INTO central_source (uid) VALUES (?)", [uuid.uuid4().hex])


def _v_stored_summaries(db: sqlite_utils.Database) -> None:
    """Stored review summaries (monitor/storage/summaries.py), and the indexes a clinic-year of sessions needs.

    One row per ended session: the summary and the session browser's line as JSON, with the mark (code
    version and the session's row facts) they were computed at, so a stale one is told and recomputed.
    A session's sessions are found by patient, and its devices by session, through an index (a patient's
    course and the browser's list read them for every session).
    """
    _script(
        db,
        """
        CREATE TABLE summaries (session_id INTEGER PRIMARY KEY, mark TEXT NOT NULL, line TEXT NOT NULL,
                                summary TEXT NOT NULL);
        CREATE INDEX sessions_patient_started ON sessions (patient_id, started_utc);
        CREATE INDEX devices_session ON devices (session_id)
        """
    )


def _v_course_plans(db: sqlite_utils.Database) -> None:
    """Planned courses (monitor.clinical.plan): one row per plan a clinician enters for a patient, never updated.

    The latest row of a patient (by t, UTC epoch s) is the plan in force; earlier rows stay as the record of who
    planned what and when. Rows only grow, so the central store ships them by rowid like the journal.
    """
    db.execute("CREATE TABLE course_plans (patient_id TEXT NOT NULL, t REAL NOT NULL, induction INTEGER NOT NULL, "
               "induction_weeks REAL, booster_weeks REAL, boosters INTEGER, note TEXT, user TEXT NOT NULL)")
    db.execute("CREATE INDEX course_plans_patient ON course_plans (patient_id, t)")


def _v_second_identifier(db: sqlite_utils.Database) -> None:
    """The patient's second identifier as typed at each session's Start (monitor.patient_id.SecondIdentifier).

    A date of birth as an ISO date (birth_date), or the clinic's own second ID
    (second_id) under the label the clinic gives it (second_id_label). Kept on
    the session, not the patient, so a session shows the identity it was started
    with and a later Start can tell when the same patient ID comes with another date.
    """
    _script(
        db,
        """
        ALTER TABLE sessions ADD COLUMN birth_date TEXT;
        ALTER TABLE sessions ADD COLUMN second_id TEXT;
        ALTER TABLE sessions ADD COLUMN second_id_label TEXT;
        """
    )


#: Tables whose rows are computed from other tables (review's decimated levels, stored summaries): kept on
#: the chair, not shipped to the central store, where readers compute them from the values.
DERIVED_TABLES = frozenset({"levels", "summaries"})


#: Migrations in order; index i upgrades user_version i to i + 1. Append, never edit. A migration runs its
#: statements with db.execute() alone, so it is given the store's StoreConnection and a bare sqlite3.Connection
#: by the readers (expected_layout, an old file's private copy): neither loads sqlite-utils and the numpy it
#: imports, and a chair's first start (a new file) opens its first window without them.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _v1, _v2, _v3, _v4, _v5, _v_stored_summaries, _v_course_plans, _v_second_identifier,
]


SCHEMA_VERSION = len(MIGRATIONS)


@cache
def expected_layout(version: int) -> Layout:
    """Return the tables, indexes and triggers a file of a schema version has: its migrations run in memory."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        for migrate in MIGRATIONS[:version]:
            migrate(conn)
        return layout(conn)
    finally:
        conn.close()
