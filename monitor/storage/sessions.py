"""The session record as review, reports, exports and the central store read it.

A stored session is read as typed values: its metadata, devices, waveform
tracks, journal records (monitor.record.base), alarm log (AlarmEvent), BP results
(NibpResult) and device conditions, plus the bulk data (numerics, waveform
chunks, raw bytes) by time range. `SessionSource` is the interface;
`SqlSessions` holds its queries once, and two backends run them: a local
SQLite file (`SqliteSessions`, here) and the central PostgreSQL store
(monitor.central.reader.CentralSessions), so every reader works on either.

Reading never writes: the file is opened read-only (it works on read-only
media, beside a recorder writing in WAL mode, and never blocks it), a file of
another program is refused, and an older schema is migrated in a private
in-memory copy. A session still marked running whose recorder is gone is shown
as interrupted without touching the file.
"""

from __future__ import annotations

import math
import re
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from devices.plausibility import reliable
from devices.values import NibpResult
from monitor.alarms.model import AlarmEvent, AlarmKind, EventKind, Priority
from monitor.patient_id import identity_text, second_id_text
from monitor.record.base import JournalEntry, Record
from monitor.record.journal import SimulatedDevice
from monitor.storage.journal import JOURNAL_COLUMNS, read_journal
from monitor.storage.schema import MIGRATIONS, SCHEMA_VERSION
from monitor.storage.store import INTERRUPTED_REASON, StoreError, check_schema, explain, interrupted_end, process_gone
from monitor.storage.summaries import Kept, keep_in_file, kept_rows

if TYPE_CHECKING:  # numpy and the levels are loaded by the readers of values only: `sessions` lists none
    import numpy as np

    from monitor.storage.levels import Levels

R = TypeVar("R", bound=Record)

if TYPE_CHECKING:
    from monitor.clinical.plan import CoursePlan


@dataclass(frozen=True)
class SessionMeta:
    """A session's row: who, when, plan, state. Times UTC epoch s; tz the IANA zone it was recorded in.

    state is running, closed, interrupted (the recorder died) or discharged
    (closed by a discharge). chair names the chair on a central store ("" locally).
    The second identifier (birth_date, or second_id under its label) is the one
    typed at this session's Start, beside the patient ID: both identify the patient.
    """

    id: int
    uid: str
    patient_id: str | None
    patient_name: str | None
    started_utc: float
    ended_utc: float | None
    tz: str
    state: str
    weight_kg: float | None = None
    dose_mg_per_kg: float | None = None
    infusion_min: float | None = None
    bag_ml: float | None = None
    profile: str | None = None
    app_version: str | None = None
    end_reason: str | None = None
    birth_date: str | None = None  # the patient's date of birth as typed at Start (ISO date), if the clinic asks it
    second_id: str | None = None  # or the clinic's own second identifier, under second_id_label
    second_id_label: str | None = None
    chair: str = ""

    @property
    def ref(self) -> str:
        """Return how people and commands name the session: '12' locally, 'chair-3:12' on a central store."""
        return f"{self.chair}:{self.id}" if self.chair else str(self.id)

    @property
    def identity(self) -> str:
        """Return the patient as headers and reports name them: 'P-0412 · DOB 12 Mar 1980 · Jordan Avery'."""
        return identity_text(self.patient_id, self.patient_name, self.second_id_text)

    @property
    def second_id_text(self) -> str:
        """Return the second identifier in words ('DOB 12 Mar 1980', 'MRN 0012345'; '' when none was asked)."""
        return second_id_text(self.birth_date, self.second_id, self.second_id_label)

    @property
    def duration_s(self) -> float | None:
        """Return the session's length in seconds (None while it runs)."""
        return None if self.ended_utc is None else max(0.0, self.ended_utc - self.started_utc)

    def end(self, now: float | None = None) -> float:
        """Return when the session ends for every reader (review, playback, exports), UTC epoch s.

        A session with an end has it: a closed one its recorded end, an interrupted one its last
        stored data (interrupted_end: the store sets it, or the reader when it finds the recorder
        gone), never the reading time, which would add hours of silence after a crash. A running
        session ends now (now, else the clock): its review and export cover it up to the moment read.
        """
        if self.ended_utc is not None:
            return self.ended_utc
        return time.time() if now is None else now


@dataclass(frozen=True)
class DeviceRow:
    """A device of a session: the source its values are under, its role, protocol, port and identity."""

    source: str
    role: str
    protocol: str
    port: str
    baudrate: int | None
    model: str = ""
    serial_number: str = ""
    firmware: str = ""
    t: float | None = None


@dataclass(frozen=True)
class Track:
    """A waveform declared once per session: number, source, parameter, unit and sample rate (Hz)."""

    track: int
    source: str
    parameter: str
    unit: str
    rate: float


@dataclass(frozen=True)
class StatusRow:
    """A device condition turning on or off (active True/False), or a device notice (active None)."""

    t: float
    source: str
    condition: str
    active: bool | None
    detail: str


@dataclass(frozen=True)
class NumericRow:
    """One stored numeric: receive time, device time (None if the device gives none), value None = no value."""

    t: float
    t_dev: float | None
    source: str
    parameter: str
    value: float | None
    unit: str
    flags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Series:
    """One parameter of one source over time, as arrays (t UTC epoch s, value; NaN for no value).

    Only valid values (devices.plausibility.reliable): a reading flagged questionable, artifact or implausible is NaN,
    so a chart or an EDF+ signal never draws a corrupted byte's SpO2 16 as the patient's; the numerics
    (CSV, JSON) keep it with its flags.
    """

    source: str
    parameter: str
    unit: str
    t: np.ndarray
    v: np.ndarray


@dataclass(frozen=True)
class SessionRecord:
    """Everything of a session except its bulk signals, typed; bulk data comes from the source by range."""

    meta: SessionMeta
    devices: tuple[DeviceRow, ...]
    tracks: tuple[Track, ...]
    journal: tuple[JournalEntry, ...]
    alarms: tuple[AlarmEvent, ...]
    nibp: tuple[NibpResult, ...]
    device_status: tuple[StatusRow, ...]
    unreadable: tuple[str, ...] = field(default=())  # journal rows that could not be read, in words

    @property
    def simulated_sources(self) -> frozenset[str]:
        """Return the sources whose device was a simulator (journaled when it was connected): never a patient's."""
        return frozenset(r.source for _, r in self.entries(SimulatedDevice))

    def entries(self, kind: type[R]) -> list[tuple[JournalEntry, R]]:
        """Return the journal entries holding records of one class, in time order."""
        return [(e, e.record) for e in self.journal if isinstance(e.record, kind)]  # type: ignore[misc]


class SessionSource(ABC):
    """Where sessions are read from (a chair's SQLite file, the central PostgreSQL store)."""

    @abstractmethod
    def sessions(self, patient_id: str | None = None, since: float | None = None,
                 until: float | None = None) -> list[SessionMeta]:
        """Return sessions in start order, optionally of one patient and started within [since, until)."""

    @abstractmethod
    def resolve(self, ref: str) -> SessionMeta:
        """Return the session named by ref ('latest', an id, or chair:id centrally); ValueError in words if none."""

    @abstractmethod
    def record(self, meta: SessionMeta) -> SessionRecord:
        """Return the session's typed record (everything but the bulk signals)."""

    @abstractmethod
    def numerics(self, meta: SessionMeta, t0: float | None = None, t1: float | None = None) -> Iterator[NumericRow]:
        """Yield the session's numerics in time order, optionally within [t0, t1)."""

    @abstractmethod
    def series(self, meta: SessionMeta, parameter: str) -> list[Series]:
        """Return one Series per source that gave the parameter, in the order the sources first appear."""

    @abstractmethod
    def wave(self, meta: SessionMeta, track: Track, t0: float | None = None,
             t1: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Return (t, value) arrays of a waveform track within [t0, t1) (NaN = no value)."""

    @abstractmethod
    def raw(self, meta: SessionMeta, source: str, direction: str = "rx") -> Iterator[tuple[float, bytes]]:
        """Yield a device's captured bytes (receive time, bytes) in order."""

    @abstractmethod
    def patients(self) -> list[tuple[str, str]]:
        """Return (id, name) of every patient ('' for no name)."""

    @abstractmethod
    def journal_counts(self, patient_id: str) -> tuple[tuple[int, int], ...]:
        """Return how many journal and BP rows each of the patient's sessions holds, in start order."""

    @abstractmethod
    def course_plans(self, patient_id: str) -> list[CoursePlan]:
        """Return the planned courses entered for the patient, oldest first; the last is in force."""

    def levels(self, meta: SessionMeta, width: float, t0: float | None = None,
               t1: float | None = None) -> dict[tuple[str, str], Levels] | None:
        """Return the stored decimated levels (monitor.storage.levels) at one bucket width, by (source, parameter).

        Buckets overlapping [t0, t1) only, when given. None when this store keeps no levels for the
        session (recorded before levels existed): the reader then computes them from the values.
        """
        return None

    def kept_summaries(self, metas: list[SessionMeta], with_summary: bool = True) -> dict[int, Kept]:
        """Return each session's row facts and stored summary row by session id (monitor.storage.summaries).

        {} from a store that keeps no summaries (the central store): its readers compute them.
        """
        return {}

    def keep_summaries(self, rows: list[dict[str, object]]) -> bool:
        """Store summary rows (summaries.summary_row) if this store can take them now; return whether it did."""
        return False

    def close(self) -> None:
        """Release the connection."""


_SESSION_COLUMNS = ("s.id, s.uid, s.patient_id, p.name, s.started_utc, s.ended_utc, s.tz, s.state, s.weight_kg, "
                    "s.dose_mg_per_kg, s.infusion_min, s.bag_ml, s.profile, s.app_version, s.end_reason, s.birth_date, "
                    "s.second_id, s.second_id_label, s.pid, "
                    "s.host, s.heartbeat_utc")
#: A session's global identity (sessions.uid), which names it in every store.
_UID = re.compile(r"[0-9a-f]{32}")
#: The largest id either store can hold (SQLite's INTEGER and PostgreSQL's bigint are 64-bit).
MAX_ID = 2**63 - 1


class SqlSessions(SessionSource):
    """The queries of a SessionSource, written once for the chair's SQLite file and the central PostgreSQL store.

    Queries use ? placeholders, unqualified table names and SQL both engines
    read alike ("user" and "limit" quoted). A backend runs them (_rows,
    _stream), says which rows are one session's (_of) and how people name a
    session (_named), and decides whether a running session's recorder is gone
    (_recorder_gone); the class attributes below hold the rest of what differs.
    """

    #: How messages name this store.
    place = "this database"
    #: The column that keeps the order rows were written in.
    rowid = "rowid"
    #: SQL of a session's chair name (sessions are `s`).
    chair = "''"
    #: The condition joining a session (s) to its patient's row (p).
    patient_join = "p.id = s.patient_id"
    #: The end reason of a running session whose recorder is gone.
    gone_reason = INTERRUPTED_REASON
    #: The condition joining a session (s) to its rows (r) of another table.
    rows_join = "r.session_id = s.id"

    @abstractmethod
    def _rows(self, sql: str, args: list | tuple = ()) -> list[tuple]:
        """Run one read query and return its rows; the backend's error in words (StoreError, CentralError)."""

    def _stream(self, sql: str, args: list) -> Iterator[tuple]:
        """Yield the rows of one read query (a backend that can, streams them)."""
        yield from self._rows(sql, args)

    @abstractmethod
    def _of(self, meta: SessionMeta) -> tuple[str, list]:
        """Return the condition selecting a session's rows of a table (a session_id column), and its arguments."""

    @abstractmethod
    def _named(self, ref: str) -> tuple[str, list]:
        """Return the condition on sessions (s) of the session named ref, and its arguments; ValueError if malformed."""

    def _id(self, text: str, ref: str) -> int | None:
        """Return the session id text writes in ASCII digits, None if it writes none (for _named).

        str.isdigit() alone takes other scripts' digits ('١٢' is 12) and
        superscripts (which int() refuses). ValueError in words for a number
        larger than any id: there is no such session.
        """
        if not (text.isascii() and text.isdigit()):
            return None
        if len(text) > len(str(MAX_ID)) or int(text) > MAX_ID:  # int() of 4300 digits or more raises
            raise ValueError(f"there is no session {ref} in {self.place}")
        return int(text)

    @abstractmethod
    def _recorder_gone(self, pid: int | None, host: str | None, heartbeat: float) -> bool:
        """Tell whether the recorder of a running session (its pid, host and heartbeat, UTC epoch s) is gone."""

    # --- sessions ------------------------------------------------------------------

    def _select_sessions(self, where: str = "") -> str:
        return (f"SELECT {_SESSION_COLUMNS}, {self.chair} FROM sessions s LEFT JOIN patients p ON {self.patient_join}"
                + (f" WHERE {where}" if where else ""))

    def _meta(self, row: tuple) -> SessionMeta:
        *fields, pid, host, heartbeat, chair = row
        meta = SessionMeta(*fields, chair=chair)
        if meta.state == "running" and self._recorder_gone(pid, host, heartbeat or meta.started_utc):
            end = interrupted_end(self._rows, *self._of(meta), heartbeat, meta.started_utc)
            return replace(meta, state="interrupted", ended_utc=end, end_reason=self.gone_reason)
        if meta.state == "closed" and meta.end_reason == "discharged":
            return replace(meta, state="discharged")
        return meta

    def sessions(self, patient_id: str | None = None, since: float | None = None,
                 until: float | None = None) -> list[SessionMeta]:
        conditions, args = [], []
        for cond, value in (("s.patient_id = ?", patient_id), ("s.started_utc >= ?", since),
                            ("s.started_utc < ?", until)):
            if value is not None:
                conditions.append(cond)
                args.append(value)
        sql = self._select_sessions(" AND ".join(conditions)) + f" ORDER BY s.started_utc, {self.chair}, s.id"
        return [self._meta(r) for r in self._rows(sql, args)]

    def resolve(self, ref: str) -> SessionMeta:
        ref = str(ref).strip()
        if ref == "latest":
            rows = self._rows(self._select_sessions() +
                              f" ORDER BY s.started_utc DESC, {self.chair} DESC, s.id DESC LIMIT 1")
            if not rows:
                raise ValueError(f"there are no sessions in {self.place} yet")
            return self._meta(rows[0])
        where, args = ("s.uid = ?", [ref]) if _UID.fullmatch(ref) else self._named(ref)
        rows = self._rows(self._select_sessions(where), args)
        if not rows:
            raise ValueError(f"there is no session {ref} in {self.place}")
        return self._meta(rows[0])

    def patients(self) -> list[tuple[str, str]]:
        """Return (id, name) of every patient; a patient known to several chairs once (the name any of them has)."""
        return [(pid, name) for pid, name in
                self._rows("SELECT id, MAX(COALESCE(name, '')) FROM patients GROUP BY id ORDER BY id")]

    def journal_counts(self, patient_id: str) -> tuple[tuple[int, int], ...]:
        """Return how many journal and BP rows each of the patient's sessions holds, in start order: both tables
        only grow, so a reader that keeps what it built from them knows from these when to build it again."""
        return tuple((int(j), int(n)) for j, n in self._rows(
            f"SELECT (SELECT COUNT(*) FROM journal r WHERE {self.rows_join}), "
            f"(SELECT COUNT(*) FROM nibp r WHERE {self.rows_join}) FROM sessions s WHERE s.patient_id = ? "
            f"ORDER BY s.started_utc, {self.chair}, s.id", [patient_id]))

    def course_plans(self, patient_id: str) -> list[CoursePlan]:
        """Return the planned courses entered for the patient, oldest first; on a central store, at any chair."""
        from monitor.clinical.plan import CoursePlan

        rows = self._rows("SELECT induction, induction_weeks, booster_weeks, boosters, \"user\", t, COALESCE(note, '') "
                          f"FROM course_plans WHERE patient_id = ? ORDER BY t, {self.rowid}",
                          [patient_id])
        return [CoursePlan(*row) for row in rows]

    # --- one session ---------------------------------------------------------------

    def record(self, meta: SessionMeta) -> SessionRecord:
        of, key = self._of(meta)

        def rows(columns: str, table: str, order: str = "t") -> list[tuple]:
            return self._rows(f"SELECT {columns} FROM {table} WHERE {of} ORDER BY {order}, {self.rowid}", key)

        devices = tuple(DeviceRow(*r) for r in rows(
            "source, role, protocol, port, baudrate, COALESCE(model, ''), COALESCE(serial_number, ''), "
            "COALESCE(firmware, ''), t", "devices", "id"))
        tracks = tuple(Track(*r) for r in rows("track, source, parameter, unit, rate", "tracks", "track"))
        journal = read_journal(rows(JOURNAL_COLUMNS, "journal"))
        alarms = tuple(alarm_event_of_row(r) for r in rows(
            't, event, alarm_id, condition, kind, priority, message, source, parameter, value, "limit", "user"',
            "alarms"))
        nibp = tuple(NibpResult(t, source or "", sbp, dbp, mean, pr, error_code or 0, error or "", _flags(flags))
                     for t, source, sbp, dbp, mean, pr, error_code, error, flags in rows(
                         "t, source, sbp, dbp, map, pulse_rate, error_code, error, flags", "nibp"))
        status = tuple(StatusRow(t, source or "", condition or "", None if active is None else bool(active),
                                 detail or "")
                       for t, source, condition, active, detail in rows(
                           "t, source, condition, active, detail", "device_status"))
        return SessionRecord(meta, devices, tracks, journal.entries, alarms, nibp, status, journal.unreadable)

    def numerics(self, meta: SessionMeta, t0: float | None = None, t1: float | None = None) -> Iterator[NumericRow]:
        of, args = self._of(meta)
        sql = f"SELECT t, t_dev, source, parameter, value, unit, flags FROM numerics WHERE {of}"
        if t0 is not None:
            sql, args = sql + " AND t >= ?", [*args, t0]
        if t1 is not None:
            sql, args = sql + " AND t < ?", [*args, t1]
        for t, t_dev, source, parameter, value, unit, flags in self._stream(f"{sql} ORDER BY t, {self.rowid}", args):
            yield NumericRow(t, t_dev, source, parameter, value, unit or "", _flags(flags))

    def series(self, meta: SessionMeta, parameter: str) -> list[Series]:
        of, args = self._of(meta)
        rows = self._rows(f"SELECT source, t, value, unit, flags FROM numerics WHERE {of} AND parameter = ? "
                          f"ORDER BY t, {self.rowid}", [*args, parameter])
        import numpy as np

        by_source: dict[str, tuple[list[float], list[float], str]] = {}
        for source, t, value, unit, flags in rows:
            ts, vs, _ = by_source.setdefault(source, ([], [], unit or ""))
            ts.append(t)
            vs.append(value if reliable(value, _flags(flags)) else math.nan)
        return [Series(source, parameter, unit, np.asarray(ts, dtype=float), np.asarray(vs, dtype=float))
                for source, (ts, vs, unit) in by_source.items()]

    def wave(self, meta: SessionMeta, track: Track, t0: float | None = None,
             t1: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        of, args = self._of(meta)
        sql, args = f"SELECT t0, t1, n, samples FROM waveform_chunks WHERE {of} AND track = ?", [*args, track.track]
        if t0 is not None:
            sql, args = sql + " AND t1 >= ?", [*args, t0]
        if t1 is not None:
            sql, args = sql + " AND t0 < ?", [*args, t1]
        import numpy as np

        times, values = [], []
        for c0, c1, n, blob in self._rows(f"{sql} ORDER BY t0, {self.rowid}", args):
            v = np.frombuffer(blob, dtype=np.float32).astype(float)
            # the chunk's samples are 1/rate apart and its last one was received at c1
            times.append(c1 - (np.arange(len(v))[::-1]) / track.rate if track.rate else np.linspace(c0, c1, len(v)))
            values.append(v)
        if not times:
            return np.zeros(0), np.zeros(0)
        t, v = np.concatenate(times), np.concatenate(values)
        keep = np.ones(len(t), dtype=bool)
        if t0 is not None:
            keep &= t >= t0
        if t1 is not None:
            keep &= t < t1
        return t[keep], v[keep]

    def raw(self, meta: SessionMeta, source: str, direction: str = "rx") -> Iterator[tuple[float, bytes]]:
        of, args = self._of(meta)
        for t, data in self._stream(f"SELECT t, data FROM raw_bytes WHERE {of} AND source = ? AND direction = ? "
                                    f"ORDER BY t, {self.rowid}", [*args, source, direction]):
            yield t, bytes(data)


class SqliteSessions(SqlSessions):
    """Sessions of a local SQLite file, read-only; a session is named by its id (or its uid)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:" and not Path(self.path).expanduser().is_file():
            raise StoreError(f"there is no database at {self.path}")
        try:
            self._conn = _open_readonly(self.path)
        except sqlite3.DatabaseError as exc:
            raise StoreError(explain(self.path, exc)) from None

    def close(self) -> None:
        self._conn.close()

    def _rows(self, sql: str, args: list | tuple = ()) -> list[tuple]:
        try:
            return self._conn.execute(sql, list(args)).fetchall()
        except sqlite3.DatabaseError as exc:
            raise StoreError(explain(self.path, exc)) from None

    def _stream(self, sql: str, args: list) -> Iterator[tuple]:
        try:
            yield from self._conn.execute(sql, args)
        except sqlite3.DatabaseError as exc:
            raise StoreError(explain(self.path, exc)) from None

    def _of(self, meta: SessionMeta) -> tuple[str, list]:
        return "session_id = ?", [meta.id]

    def _named(self, ref: str) -> tuple[str, list]:
        number = self._id(ref, ref)
        if number is None:
            raise ValueError(f"session '{ref}' is not a number or 'latest'")
        return "s.id = ?", [number]

    def levels(self, meta: SessionMeta, width: float, t0: float | None = None,
               t1: float | None = None) -> dict[tuple[str, str], Levels] | None:
        from monitor.storage.levels import WIDTHS, levels_of

        if not self._rows("SELECT 1 FROM levels WHERE session_id = ? LIMIT 1", [meta.id]):
            return None
        where, args = "", []
        if t0 is not None:
            where, args = " AND t > ?", [t0 - width]
        if t1 is not None:
            where, args = where + " AND t < ?", [*args, t1]
        out = {}
        # every signal has buckets of the widest width, the fewest rows to list them from
        for source, parameter in self._rows("SELECT DISTINCT source, parameter FROM levels WHERE session_id = ? AND "
                                            "width = ?", [meta.id, WIDTHS[-1]]):
            rows = self._rows("SELECT t, n, lo, hi, mean FROM levels WHERE session_id = ? AND width = ? AND source = ? "
                              f"AND parameter = ?{where} ORDER BY t", [meta.id, width, source, parameter, *args])
            if rows:
                out[(source, parameter)] = levels_of(source, parameter, width, rows)
        return out

    def kept_summaries(self, metas: list[SessionMeta], with_summary: bool = True) -> dict[int, Kept]:
        return kept_rows(self._rows, [m.id for m in metas], with_summary)

    def keep_summaries(self, rows: list[dict[str, object]]) -> bool:
        return keep_in_file(self.path, rows)

    def _recorder_gone(self, pid: int | None, host: str | None, heartbeat: float) -> bool:
        return process_gone(pid, host, heartbeat)


def _flags(text: str | None) -> frozenset[str]:
    return frozenset(text.split(",")) if text else frozenset()


def alarm_event_of_row(row: tuple) -> AlarmEvent:
    """Read one alarms row (t, event, alarm_id, condition, kind, priority, message, source, parameter, value,
    limit, user) as the AlarmEvent it recorded: the one reading of the alarm log, here and at the station."""
    t, event, alarm_id, condition, kind, priority, message, source, param, value, limit, user = row
    return AlarmEvent(t, EventKind(event), alarm_id or "", condition or "", AlarmKind(kind) if kind else None,
                      Priority.parse(priority) if priority else None, message or "", source or "", param or "",
                      value, limit, user or "")


def _open_readonly(path: str) -> sqlite3.Connection:
    """Open a database for reading only; migrate an older schema in a private in-memory copy."""
    uri = Path(path).expanduser().resolve().as_uri()
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, check_same_thread=False)
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:  # read-only media: WAL needs a writable folder unless the file is immutable
        conn = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, check_same_thread=False)
    try:
        version = check_schema(conn, path)
    except BaseException:
        conn.close()
        raise
    if version == SCHEMA_VERSION:
        return conn
    memory = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    conn.backup(memory)
    conn.close()
    memory.execute("BEGIN")
    for index in range(version, SCHEMA_VERSION):
        MIGRATIONS[index](memory)
    memory.execute("COMMIT")
    return memory
