"""Writes a running session to the database as it happens, in batches of at most 0.5 s.

Every numeric it is given is stored, with its time: thinning by arrival time
is for displays and levels, never the record (a parser that repeats the same
numerics in every packet emits them once per the device's update period and
on every change). Waveforms go into chunks of packed float32. An offline
session (import, replay) hands over thousands of items at a time, each with
the time to store it at (put_batch), and rows it built itself (put_rows):
one queue operation per batch, no copy of an item to re-time it. Numerics,
waveform chunks and levels are kept as tuples (monitor.storage.rows), the
form the database takes; a recovery file holds them as dicts. If a write
fails (disk full, database locked) the rows stay queued, the failure is
reported once through `on_failure`, and the next flush tries again, so a
transient fault loses nothing. A write waits up to the store's busy timeout
for another program's lock before it counts as failed.
On stop, a refused write is retried for a bounded time, then what is left is
kept in a recovery file that the next start imports (monitor.storage.recovery).
The thread runs under supervision (devices.supervised): a fault is reported
with its traceback, and the thread restarts only while its queued rows are
intact (a fault never caught them half-changed); a fault that stops it for
good leaves stop() to write or keep what is queued.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from array import array
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np

from devices.supervised import RESTART_LIMIT, FaultSink, SupervisedThread, describe
from devices.values import (
    LIVE_ONLY,
    DeviceInfo,
    DeviceItem,
    DeviceNotice,
    NibpResult,
    Sample,
    StatusChange,
    WaveSegment,
    spec_of,
)
from monitor.alarms.model import AlarmEvent, EventKind
from monitor.record.base import Record, to_row
from monitor.record.journal import DeviceIdentity, LimitChange
from monitor.storage import recovery
from monitor.storage.levels import LEVEL_COLUMNS, LevelBuilder
from monitor.storage.rows import Tuples
from monitor.storage.store import BUSY_TIMEOUT_S, SessionEnd, Store, StoreError

FLUSH_INTERVAL_S = 0.5
WAVE_CHUNK_S = 1.0  # a waveform chunk spans at most this much device time, even when data arrives in bursts
MAX_PENDING_ROWS = 2_000_000  # beyond this (hours of a failed disk) the oldest raw bytes are dropped first
STOP_RETRY_S = 15.0  # on stop, how long a refused write is retried before the rows go to a recovery file
RETRY_PAUSE_S = 0.5
QUEUED_BATCHES = 2  # put_batch waits while this many batches are queued and not yet taken
log = logging.getLogger(__name__)
NUMERIC_COLUMNS = ("session_id", "t", "t_dev", "source", "parameter", "value", "unit", "flags")
CHUNK_COLUMNS = ("session_id", "track", "t0", "t1", "n", "samples")
TUPLE_TABLES = frozenset({"numerics", "waveform_chunks", "levels"})  # kept as Tuples, not in `_rows`


@dataclass(slots=True)
class _Chunk:
    """A waveform chunk being filled: time of its first sample, the samples, rate (Hz), size limit, last time."""

    t0: float
    values: array
    rate: float
    limit: float  # samples: WAVE_CHUNK_S of them at the rate
    t1: float


@dataclass(slots=True)
class _Batch:
    """Device items queued as one, each with the time it is stored at; `rest` is where taking them stands."""

    rest: Iterator[tuple[DeviceItem, float]]


class Recorder(SupervisedThread):
    """Background writer of one session: put() from any thread, stop() to flush and end.

    on_fault hears of a fault of the thread (devices.supervised).
    """

    def __init__(self, store: Store, session_id: int, on_failure: Callable[[str | None], None] | None = None,
                 capture_raw: bool = True, on_fault: FaultSink | None = None) -> None:
        super().__init__("recorder", on_fault)
        self.store = store
        self.session_id = session_id
        self.capture_raw = capture_raw
        self.on_failure = on_failure
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._rows: dict[str, list[dict[str, Any]]] = defaultdict(list)  # the other tables, a dict per row
        self._numerics = Tuples(NUMERIC_COLUMNS)
        self._chunks = Tuples(CHUNK_COLUMNS)
        self._level_rows = Tuples(LEVEL_COLUMNS)  # those a refused write left behind, until the next flush
        self._batch: _Batch | None = None  # the batch being taken, resumed after a fault
        self._room = threading.Semaphore(QUEUED_BATCHES)  # for batches queued and not yet taken
        self._wave: dict[tuple[str, str], _Chunk] = {}
        self._tracks: dict[tuple[str, str], tuple[int, float]] = {}  # (source, param) -> (track number, rate)
        self._track_count = 0
        self._levels = LevelBuilder(session_id)  # review's decimated levels, written with the values
        self.failure: str | None = None  # what the database said when the last write failed (None: it worked)
        self.problem: str | None = None  # after stop(): where the rows are that the database refused
        self.dropped_raw = 0  # bytes of raw capture dropped to bound memory during a long fault
        self._end: SessionEnd | None = None
        self._uid = store.session_uid(session_id)
        self._intact = True  # False while a fault would catch the queued rows half-changed
        self._next_flush = time.monotonic() + FLUSH_INTERVAL_S  # of work done in the caller's thread (take_here)
        self._given_up = False  # whether faults stopped the work in the caller's thread until stop()

    # --- producers (any thread) ---------------------------------------------------

    def put(self, item: Any) -> None:
        """Queue a device item or an alarm event for storage."""
        self._queue.put(item)

    def put_batch(self, items: list[tuple[DeviceItem, float]]) -> None:
        """Queue device items as one, each with the time (UTC epoch s) it is stored at in place of its own.

        For an offline session (import, replay): one queue operation for
        thousands of items, and a device clock re-times an item without a copy.
        Waits while QUEUED_BATCHES are queued and not yet taken, unless the
        thread is not running (take_here or stop() takes them then): a parse
        outruns the storing, and the items waiting for it took hundreds of MB
        in an 8 h import.
        """
        while not self._room.acquire(timeout=0.1 if self.is_alive() else 0):
            if not self.is_alive():
                break
        self._queue.put(_Batch(iter(items)))

    def put_rows(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Queue rows the caller built (an import's raw capture, timed by the import), written with the next flush.

        ValueError for a table the recorder fills itself from items (numerics, waveform chunks, levels).
        """
        if table in TUPLE_TABLES:
            raise ValueError(f"{table} rows are made by the recorder from device items, not given to it")
        self._queue.put(("rows", table, rows))

    def put_raw(self, source: str, t: float, direction: str, data: bytes) -> None:
        """Queue raw bytes of a device for replay; ignored when capture is off."""
        if self.capture_raw:
            self._queue.put(("raw", source, t, direction, data))

    def journal(self, record: Record, user: str = "", t: float | None = None) -> None:
        """Queue a clinical journal record (infusion step, marker, scale...), written at t (default now)."""
        self._queue.put(("journal", record, user, time.time() if t is None else t))

    def stop(self, end: SessionEnd | None = None) -> None:
        """Write everything queued, end the session with `end` in the same transaction, and end the thread.

        A refused write is retried for up to STOP_RETRY_S; what the database
        still refuses then goes to a recovery file (monitor.storage.recovery) that the
        next start imports. Raises StoreError, one line for people, when rows
        are not in the database, saying where they are: never drops them silently.
        """
        self._end = end
        self._halt.set()
        self._queue.put(None)  # wakes the thread if it waits for items (None is not stored)
        if self.is_alive():
            self.join(STOP_RETRY_S + 3 * BUSY_TIMEOUT_S + 30.0)
        if self.is_alive():
            raise StoreError(f"the recording of session {self.session_id} did not finish writing in time; "
                             "its last rows may be lost")
        if self.ident is None:  # the work was done in the caller's thread (take_here): it ends here
            self.take_here()
            self._salvage()
        elif self.faults and not self.faults[-1].restarted:
            self._salvage()
        if self.problem is not None:
            raise StoreError(self.problem)

    def take_here(self) -> None:
        """Do the thread's work in the caller's thread, for a recorder never started: take what is queued, and
        write it when a flush is due.

        An offline session (import, replay) has nothing else to do while its
        items are stored. In a thread of their own, the recorder's work and the
        parse took turns at the interpreter's lock, and the hand-over cost more
        CPU than it saved (an 8 h import, 2 cores: even a thread that only
        wrote the rows waited for the lock after each statement). Supervised
        like the thread: a fault is logged with its traceback, kept in
        `faults` and reported, and loses the item it hit; the work goes on
        while the queued rows are intact and at most RESTART_LIMIT faults came
        before, else what is queued waits for stop(), which writes or keeps it.
        """
        while not self._given_up:
            try:
                self._take_queued(0.0)
                if time.monotonic() >= self._next_flush:
                    self.flush()
                    self._next_flush = time.monotonic() + FLUSH_INTERVAL_S
                return
            except Exception as exc:
                again = len(self.faults) < RESTART_LIMIT and self.may_restart(exc)
                self.report(exc, again)
                self._given_up = not again

    # --- the thread ------------------------------------------------------------------

    def may_restart(self, exc: Exception) -> bool:
        """Restart only while the queued rows are intact (a fault did not catch a chunk half-closed)."""
        return self._intact

    def work(self) -> None:
        next_flush = time.monotonic() + FLUSH_INTERVAL_S
        while not self._halt.is_set():
            self._take_queued(max(0.0, next_flush - time.monotonic()), next_flush)
            if time.monotonic() >= next_flush:
                self.flush()
                next_flush = time.monotonic() + FLUSH_INTERVAL_S
        self._finish()

    def _take_queued(self, timeout: float, until: float = math.inf) -> None:
        """Take what is queued, waiting up to timeout (s) for the first item (after the rest of a batch a fault
        cut short), until the queue is empty or the monotonic clock reaches `until` (time to flush: an offline
        session queues faster than it is stored, and its rows are written while it parses)."""
        if self._batch is not None:
            self._take_batch(self._batch)
        try:
            item = self._queue.get(timeout=timeout) if timeout > 0 else self._queue.get_nowait()
            while True:
                self._take(item)  # a fault here loses this one item, said by the supervision
                if time.monotonic() >= until:
                    return
                item = self._queue.get_nowait()
        except queue.Empty:
            pass

    def _salvage(self) -> None:
        """Write the rest and the end from here, else keep them: after a fault stopped the thread for good, or
        for a recorder whose work was done in the caller's thread (take_here).

        No thread does the work, so this thread may touch its state. If
        writing fails again, what is queued goes to a recovery file as after a
        refused write; `problem` says where the rows are.
        """
        fault = self.faults[-1] if self.faults and not self.faults[-1].restarted else None
        stopped = None if fault is None else f"the recording of session {self.session_id} stopped ({fault.error})"
        try:
            self._finish()
        except Exception as exc:
            log.exception("the recording of session %s could not be finished", self.session_id)
            self.failure = stopped or f"the recording of session {self.session_id} failed at its end ({describe(exc)})"
            self._keep()
            return
        if self.problem is not None and stopped is not None:
            self.problem = f"{stopped}; {self.problem}"

    def _finish(self) -> None:
        """Write the rest and the session's end, retrying for STOP_RETRY_S; then keep it in a recovery file."""
        deadline = time.monotonic() + STOP_RETRY_S
        while True:
            self._take_queued(0.0)
            if self.flush(self._end):
                return
            if time.monotonic() >= deadline:
                break
            time.sleep(RETRY_PAUSE_S)
        self._keep()

    def _keep(self) -> None:
        """Keep what the database did not take in a recovery file; set `problem` to say where."""
        rows = {table: items.dicts() if isinstance(items, Tuples) else items
                for table, items in self._pending().items()}
        count = sum(len(items) for items in rows.values())
        what = f"{count} rows of session {self.session_id}"
        if self.dropped_raw:
            what += f" (raw device capture of {self.dropped_raw} bytes was dropped during the fault to bound memory)"
        try:
            path = recovery.save(self.store.path, self._uid, rows, self._end, self.failure or "")
        except OSError as exc:
            self.problem = f"{self.failure}; {what} could not be kept anywhere ({exc.strerror or exc}) and are lost"
            log.error("%s could not be kept in a recovery file: %s", what, exc)
            return
        self.problem = f"{self.failure}; {what} were kept in {path} and go into the database at the next start"
        self._clear()

    def _pending(self) -> dict[str, list[dict[str, Any]] | Tuples]:
        """Return the rows waiting to be written, by table (tracks before the chunks that refer to them)."""
        return {**self._rows, "numerics": self._numerics, "waveform_chunks": self._chunks, "levels": self._level_rows}

    def _clear(self) -> None:
        self._rows = defaultdict(list)
        self._numerics, self._chunks, self._level_rows = Tuples(NUMERIC_COLUMNS), Tuples(CHUNK_COLUMNS), Tuples(
            LEVEL_COLUMNS)

    def flush(self, end: SessionEnd | None = None) -> bool:
        """Write what is pending (and the session's end) in one transaction; keep it queued if the write fails.

        Returns whether the write succeeded.
        """
        for key in list(self._wave):
            self._close_chunk(key)
        self._level_rows = _latest(self._level_rows, self._levels.rows())
        rows = self._pending()
        pending = sum(len(v) for v in rows.values())
        try:
            self.store.write_batch(rows, self.session_id, heartbeat=time.time(), end=end)
        except StoreError as exc:
            if self.failure is None and self.on_failure:
                self.on_failure(str(exc))
            self.failure = str(exc)
            if pending > MAX_PENDING_ROWS:
                dropped = sum(len(row["data"]) for row in self._rows["raw_bytes"])
                self.dropped_raw += dropped
                self._rows["raw_bytes"].clear()
                log.warning("database refusing writes for long: %d bytes of raw device capture dropped", dropped)
            return False
        if self.failure is not None and self.on_failure:
            self.on_failure(None)
        self.failure = None
        self._clear()
        return True

    def _take(self, item: Any) -> None:
        if isinstance(item, DeviceItem):
            self._device(item, item.t)
        elif isinstance(item, _Batch):
            self._take_batch(item)
        elif isinstance(item, tuple) and item[0] == "raw":
            _, source, t, direction, data = item
            self._raw(source, t, direction, data)
        elif isinstance(item, tuple) and item[0] == "rows":
            _, table, rows = item
            self._rows[table] += rows
        elif isinstance(item, tuple) and item[0] == "journal":
            _, record, user, t = item
            self._journal_row(record, user, t)
        elif isinstance(item, AlarmEvent):
            if item.kind is EventKind.LIMIT_CHANGED:
                self._journal_row(LimitChange(item.t, item.param, item.condition, item.old, item.new, item.user),
                                  item.user, item.t)
                return
            row = item.to_dict()
            self._rows["alarms"].append({"session_id": self.session_id, "t": item.t, "event": row["kind"],
                                         "alarm_id": row["alarm_id"], "condition": row["condition"],
                                         "kind": row["alarm_kind"], "priority": row["priority"],
                                         "message": row["message"], "source": row["source"],
                                         "parameter": row["param"], "value": row["value"], "limit": row["limit"],
                                         "user": row["user"]})

    def _take_batch(self, batch: _Batch) -> None:
        """Take a batch's items; a fault loses the one item it hit, and the rest is taken when the thread goes on."""
        self._batch = batch
        device = self._device
        for item, t in batch.rest:
            device(item, t)
        self._batch = None
        self._room.release()

    def _device(self, item: DeviceItem, t: float) -> None:
        """Store a device item at time t (UTC epoch s): its own, or the one an offline session gave it."""
        sid = self.session_id
        if isinstance(item, Sample):
            if item.param not in LIVE_ONLY:
                self._numeric(item, t)
        elif isinstance(item, WaveSegment):
            self._wave_add(item, t)
        elif isinstance(item, StatusChange):
            self._rows["device_status"].append({"session_id": sid, "t": t, "source": item.source,
                                                "condition": item.condition.value, "active": int(item.active),
                                                "detail": item.detail})
        elif isinstance(item, DeviceNotice):
            self._rows["device_status"].append({"session_id": sid, "t": t, "source": item.source,
                                                "condition": item.code, "active": None, "detail": item.detail})
        elif isinstance(item, NibpResult):
            self._rows["nibp"].append({"session_id": sid, "t": t, "source": item.source, "sbp": item.sbp,
                                       "dbp": item.dbp, "map": item.map, "pulse_rate": item.pulse_rate,
                                       "error_code": item.error_code, "error": item.error,
                                       "flags": ",".join(sorted(item.flags)) or None})
        elif isinstance(item, DeviceInfo):
            self._journal_row(DeviceIdentity(item.source, item.model, item.serial_number, item.firmware), "", t)

    def _journal_row(self, record: Record, user: str, t: float) -> None:
        kind, version, data = to_row(record)
        self._rows["journal"].append({"session_id": self.session_id, "t": t, "kind": kind, "v": version,
                                      "data": data, "user": user})

    def _numeric(self, s: Sample, t: float) -> None:
        """Store one reading at time t: every one, even one equal to the last that arrives soon after it.

        The levels take it first: a fault there loses the reading whole (said by the supervision), never
        leaves a stored value out of the review levels.
        """
        flags = s.flags
        self._levels.add_numeric(s.source, s.param, t, s.value, flags)
        self._numerics.rows.append((self.session_id, t, s.t_dev, s.source, s.param, s.value, s.unit,
                                    ",".join(sorted(flags)) if flags else None))

    def _wave_add(self, w: WaveSegment, t: float) -> None:
        """Append a segment to its track's open chunk; a chunk holds at most WAVE_CHUNK_S of samples."""
        key = (w.source, w.param)
        chunk = self._wave.get(key)
        if chunk is not None and chunk.rate == w.rate:  # the usual case, one dict lookup: keep it short
            chunk.values.extend(w.values)
            chunk.t1 = t
            if len(chunk.values) >= chunk.limit:
                self._close_chunk(key)
            return
        track = self._tracks.get(key)
        if track is None or track[1] != w.rate:  # a new wave, or a device that changed its rate: a new track
            self._close_chunk(key)
            self._track_count += 1
            track = self._tracks[key] = (self._track_count, w.rate)
            self._rows["tracks"].append({"session_id": self.session_id, "track": track[0], "source": w.source,
                                         "parameter": w.param, "unit": spec_of(w.param).ucum or "1", "rate": w.rate})
        chunk = self._wave[key] = _Chunk(t - (len(w.values) - 1) / w.rate, array("f", w.values), w.rate,
                                         WAVE_CHUNK_S * w.rate, t)
        if len(chunk.values) >= chunk.limit:
            self._close_chunk(key)

    def _close_chunk(self, key: tuple[str, str]) -> None:
        chunk = self._wave.get(key)
        if chunk is None:
            return
        self._intact = False  # until the chunk is a row: a fault in between would lose its samples
        del self._wave[key]
        if not chunk.values:
            self._intact = True
            return
        self._chunks.rows.append((self.session_id, self._tracks[key][0], chunk.t0, chunk.t1, len(chunk.values),
                                  chunk.values.tobytes()))
        self._intact = True
        self._levels.add_wave(key[0], key[1], chunk.t1, np.frombuffer(chunk.values, dtype=np.float32),
                              self._tracks[key][1])

    def _raw(self, source: str, t: float, direction: str, data: bytes) -> None:
        rows = self._rows["raw_bytes"]
        for row in reversed(rows):  # coalesce reads of one flush into one row per source and direction
            if row["source"] == source and row["direction"] == direction:
                row["data"] += data  # a bytearray, grown in place: a long database fault must not copy it each read
                return
        rows.append({"session_id": self.session_id, "source": source, "t": t, "direction": direction,
                     "data": bytearray(data)})


def _latest(left: Tuples, rows: Tuples) -> Tuples:
    """Return level rows that a refused write left behind merged with new ones: a bucket's newer aggregate
    replaces its older one (the key is width, source, parameter, t)."""
    if not left.rows:
        return rows
    key = [left.columns.index(c) for c in ("width", "source", "parameter", "t")]
    return Tuples(left.columns, list({tuple(row[i] for i in key): row for row in (*left.rows, *rows.rows)}.values()))
