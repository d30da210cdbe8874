"""The session record as review, reports, exports and the central store read it.

A stored session is read as typed values: its metadata, devices, waveform
tracks, journal records (monitor.records), alarm log (AlarmEvent), BP results
(NibpResult) and device conditions, plus the bulk data (numerics, waveform
chunks, raw bytes) by time range. `SessionSource` is the interface; this module
implements it over a local SQLite file (`SqliteSessions`), and the central store
implements it over PostgreSQL, so every reader works on either.

Reading never writes: the file is opened read-only (it works on read-only
media, beside a recorder writing in WAL mode, and never blocks it), a file of
another program is refused, and an older schema is migrated in a private
in-memory copy. A session still marked running whose recorder is gone is shown
as interrupted without touching the file.
"""

from __future__ import annotations

import math
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

import numpy as np

from devices.values import NibpResult
from monitor.alarms.model import AlarmEvent, AlarmKind, EventKind, Priority
from monitor.levels import WIDTHS, Levels, levels_of
from monitor.records import JournalEntry, Record, RecordError, from_row
from monitor.store import (INTERRUPTED_REASON, MIGRATIONS, SCHEMA_VERSION, StoreError, explain, last_data_t,
                           process_gone, refuse_foreign)

R = TypeVar("R", bound=Record)


@dataclass(frozen=True)
class SessionMeta:
    """A session's row: who, when, plan, state. Times UTC epoch s; tz the IANA zone it was recorded in.

    state is running, closed, interrupted (the recorder died) or discharged
    (closed by a discharge). chair names the chair on a central store ("" locally).
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
    chair: str = ""

    @property
    def ref(self) -> str:
        """Return how people and commands name the session: '12' locally, 'chair-3:12' on a central store."""
        return f"{self.chair}:{self.id}" if self.chair else str(self.id)

    @property
    def duration_s(self) -> float | None:
        """Return the session's length in seconds (None while it runs)."""
        return None if self.ended_utc is None else max(0.0, self.ended_utc - self.started_utc)


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
    """One parameter of one source over time, as arrays (t UTC epoch s, value with NaN for no value)."""

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

    def levels(self, meta: SessionMeta, width: float, t0: float | None = None,
               t1: float | None = None) -> dict[tuple[str, str], Levels] | None:
        """Return the stored decimated levels (monitor.levels) at one bucket width, by (source, parameter).

        Buckets overlapping [t0, t1) only, when given. None when this store keeps no levels for the
        session (recorded before levels existed): the reader then computes them from the values.
        """
        return None

    def close(self) -> None:
        """Release the connection."""


_SESSION_COLUMNS = ("s.id, s.uid, s.patient_id, p.name, s.started_utc, s.ended_utc, s.tz, s.state, s.weight_kg, "
                    "s.dose_mg_per_kg, s.infusion_min, s.bag_ml, s.profile, s.app_version, s.end_reason, s.pid, "
                    "s.host, s.heartbeat_utc")


class SqliteSessions(SessionSource):
    """Sessions of a local SQLite file, read-only."""

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

    # --- sessions ------------------------------------------------------------------

    def _meta(self, row: tuple) -> SessionMeta:
        *fields, pid, host, heartbeat = row
        meta = SessionMeta(*fields)
        if meta.state == "running" and process_gone(pid, host, heartbeat or meta.started_utc):
            end = last_data_t(self._conn, meta.id) or heartbeat or meta.started_utc
            return replace(meta, state="interrupted", ended_utc=end, end_reason=INTERRUPTED_REASON)
        if meta.state == "closed" and meta.end_reason == "discharged":
            return replace(meta, state="discharged")
        return meta

    def sessions(self, patient_id: str | None = None, since: float | None = None,
                 until: float | None = None) -> list[SessionMeta]:
        sql = f"SELECT {_SESSION_COLUMNS} FROM sessions s LEFT JOIN patients p ON p.id = s.patient_id WHERE 1"
        args: list = []
        for cond, value in (("s.patient_id = ?", patient_id), ("s.started_utc >= ?", since),
                            ("s.started_utc < ?", until)):
            if value is not None:
                sql, args = f"{sql} AND {cond}", [*args, value]
        return [self._meta(r) for r in self._rows(sql + " ORDER BY s.started_utc, s.id", args)]

    def resolve(self, ref: str) -> SessionMeta:
        ref = str(ref).strip()
        base = f"SELECT {_SESSION_COLUMNS} FROM sessions s LEFT JOIN patients p ON p.id = s.patient_id"
        if ref == "latest":
            rows = self._rows(base + " ORDER BY s.started_utc DESC, s.id DESC LIMIT 1")
            if not rows:
                raise ValueError("there are no sessions in this database yet")
            return self._meta(rows[0])
        if not ref.isdigit():
            raise ValueError(f"session '{ref}' is not a number or 'latest'")
        rows = self._rows(base + " WHERE s.id = ?", [int(ref)])
        if not rows:
            raise ValueError(f"there is no session {ref} in this database")
        return self._meta(rows[0])

    def patients(self) -> list[tuple[str, str]]:
        return [(pid, name or "") for pid, name in self._rows("SELECT id, name FROM patients ORDER BY id")]

    # --- one session ---------------------------------------------------------------

    def record(self, meta: SessionMeta) -> SessionRecord:
        sid = meta.id
        devices = tuple(DeviceRow(*r) for r in self._rows(
            "SELECT source, role, protocol, port, baudrate, COALESCE(model, ''), COALESCE(serial_number, ''), "
            "COALESCE(firmware, ''), t FROM devices WHERE session_id = ? ORDER BY id", [sid]))
        tracks = tuple(Track(*r) for r in self._rows(
            "SELECT track, source, parameter, unit, rate FROM tracks WHERE session_id = ? ORDER BY track", [sid]))
        journal, unreadable = [], []
        for t, kind, v, data, user in self._rows(
                "SELECT t, kind, v, data, user FROM journal WHERE session_id = ? ORDER BY t, rowid", [sid]):
            try:
                journal.append(JournalEntry(t, user or "", from_row(kind, v, data)))
            except RecordError as exc:
                unreadable.append(str(exc))
        alarms = tuple(_alarm_event(r) for r in self._rows(
            'SELECT t, event, alarm_id, condition, kind, priority, message, source, parameter, value, "limit", user '
            "FROM alarms WHERE session_id = ? ORDER BY t, rowid", [sid]))
        nibp = tuple(NibpResult(t, source or "", sbp, dbp, mean, pr, error_code or 0, error or "", _flags(flags))
                     for t, source, sbp, dbp, mean, pr, error_code, error, flags in self._rows(
                         "SELECT t, source, sbp, dbp, map, pulse_rate, error_code, error, flags FROM nibp "
                         "WHERE session_id = ? ORDER BY t, rowid", [sid]))
        status = tuple(StatusRow(t, source or "", condition or "", None if active is None else bool(active),
                                 detail or "")
                       for t, source, condition, active, detail in self._rows(
                           "SELECT t, source, condition, active, detail FROM device_status WHERE session_id = ? "
                           "ORDER BY t, rowid", [sid]))
        return SessionRecord(meta, devices, tracks, tuple(journal), alarms, nibp, status, tuple(unreadable))

    def numerics(self, meta: SessionMeta, t0: float | None = None, t1: float | None = None) -> Iterator[NumericRow]:
        sql, args = "SELECT t, t_dev, source, parameter, value, unit, flags FROM numerics WHERE session_id = ?", \
            [meta.id]
        if t0 is not None:
            sql, args = sql + " AND t >= ?", [*args, t0]
        if t1 is not None:
            sql, args = sql + " AND t < ?", [*args, t1]
        try:
            cursor = self._conn.execute(sql + " ORDER BY t, rowid", args)
            for t, t_dev, source, parameter, value, unit, flags in cursor:
                yield NumericRow(t, t_dev, source, parameter, value, unit or "", _flags(flags))
        except sqlite3.DatabaseError as exc:
            raise StoreError(explain(self.path, exc)) from None

    def series(self, meta: SessionMeta, parameter: str) -> list[Series]:
        rows = self._rows("SELECT source, t, value, unit FROM numerics WHERE session_id = ? AND parameter = ? "
                          "ORDER BY t, rowid", [meta.id, parameter])
        by_source: dict[str, tuple[list[float], list[float], str]] = {}
        for source, t, value, unit in rows:
            ts, vs, _ = by_source.setdefault(source, ([], [], unit or ""))
            ts.append(t)
            vs.append(math.nan if value is None else value)
        return [Series(source, parameter, unit, np.asarray(ts, dtype=float), np.asarray(vs, dtype=float))
                for source, (ts, vs, unit) in by_source.items()]

    def wave(self, meta: SessionMeta, track: Track, t0: float | None = None,
             t1: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        sql, args = "SELECT t0, t1, n, samples FROM waveform_chunks WHERE session_id = ? AND track = ?", \
            [meta.id, track.track]
        if t0 is not None:
            sql, args = sql + " AND t1 >= ?", [*args, t0]
        if t1 is not None:
            sql, args = sql + " AND t0 < ?", [*args, t1]
        times, values = [], []
        for c0, c1, n, blob in self._rows(sql + " ORDER BY t0, rowid", args):
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

    def levels(self, meta: SessionMeta, width: float, t0: float | None = None,
               t1: float | None = None) -> dict[tuple[str, str], Levels] | None:
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

    def raw(self, meta: SessionMeta, source: str, direction: str = "rx") -> Iterator[tuple[float, bytes]]:
        for t, data in self._rows("SELECT t, data FROM raw_bytes WHERE session_id = ? AND source = ? AND "
                                  "direction = ? ORDER BY t, rowid", [meta.id, source, direction]):
            yield t, bytes(data)


def _flags(text: str | None) -> frozenset[str]:
    return frozenset(text.split(",")) if text else frozenset()


def _alarm_event(row: tuple) -> AlarmEvent:
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
        refuse_foreign(conn, path)
    except StoreError:
        conn.close()
        raise
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        conn.close()
        raise StoreError(f"database {path} was written by a newer version (schema {version}); update the app")
    if version == SCHEMA_VERSION:
        return conn
    import sqlite_utils  # only for the migration of an old file's private copy

    memory = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    conn.backup(memory)
    conn.close()
    db = sqlite_utils.Database(memory)
    memory.execute("BEGIN")
    for index in range(version, SCHEMA_VERSION):
        MIGRATIONS[index](db)
    memory.execute("COMMIT")
    return memory
