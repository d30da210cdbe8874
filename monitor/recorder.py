"""Writes a running session to the database as it happens, in batches of at most 0.5 s.

Numerics are stored when they change and at least once a second (a 60 frame/s
oximeter repeats the same SpO2 sixty times a second); waveforms go into chunks
of packed float32. If a write fails (disk full, database locked) the rows stay
queued, the failure is reported once through `on_failure`, and the next flush
tries again, so a transient fault loses nothing.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from array import array
from collections import defaultdict
from typing import Any, Callable

from monitor.alarms.model import AlarmEvent, EventKind
from devices.values import LIVE_ONLY, WAVEFORMS, DeviceInfo, DeviceNotice, NibpResult, Sample, StatusChange
from monitor.store import Store, StoreError, journal_row

FLUSH_INTERVAL_S = 0.5
NUMERIC_REPEAT_S = 1.0
WAVE_CHUNK_S = 1.0  # a waveform chunk spans at most this much device time, even when data arrives in bursts
MAX_PENDING_ROWS = 2_000_000  # beyond this (hours of a failed disk) the oldest raw bytes are dropped first


class Recorder(threading.Thread):
    """Background writer of one session: put() from any thread, stop() to flush and end."""

    def __init__(self, store: Store, session_id: int, on_failure: Callable[[str | None], None] | None = None,
                 capture_raw: bool = True) -> None:
        super().__init__(name="recorder", daemon=True)
        self.store = store
        self.session_id = session_id
        self.capture_raw = capture_raw
        self.on_failure = on_failure
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._halt = threading.Event()
        self._rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._last_numeric: dict[tuple[str, str], tuple[float, float | None, frozenset[str]]] = {}
        self._wave: dict[tuple[str, str], tuple[float, float, array]] = {}
        self.failure: str | None = None

    # --- producers (any thread) ---------------------------------------------------

    def put(self, item: Any) -> None:
        """Queue a device item or an alarm event for storage."""
        self._queue.put(item)

    def put_raw(self, source: str, t: float, direction: str, data: bytes) -> None:
        """Queue raw bytes of a device for replay; ignored when capture is off."""
        if self.capture_raw:
            self._queue.put(("raw", source, t, direction, data))

    def journal(self, kind: str, data: dict[str, Any], user: str = "", t: float | None = None) -> None:
        """Queue a clinical journal entry (infusion, marker, scale, limit change...)."""
        self._queue.put(("journal", kind, data, user, time.time() if t is None else t))

    def stop(self) -> None:
        """Flush everything queued and end the thread."""
        self._halt.set()
        if self.is_alive():
            self.join(10.0)

    # --- the thread ------------------------------------------------------------------

    def run(self) -> None:
        next_flush = time.monotonic() + FLUSH_INTERVAL_S
        while True:
            timeout = max(0.0, next_flush - time.monotonic())
            try:
                self._take(self._queue.get(timeout=timeout))
                while True:
                    self._take(self._queue.get_nowait())
            except queue.Empty:
                pass
            if time.monotonic() >= next_flush or self._halt.is_set():
                self.flush()
                next_flush = time.monotonic() + FLUSH_INTERVAL_S
                if self._halt.is_set() and self._queue.empty():
                    return

    def flush(self) -> None:
        """Write what is pending in one transaction; keep it queued if the write fails."""
        for key in list(self._wave):
            self._close_chunk(key)
        pending = sum(len(v) for v in self._rows.values())
        try:
            self.store.write_batch(self._rows, self.session_id, heartbeat=time.time())
        except StoreError as exc:
            if self.failure is None and self.on_failure:
                self.on_failure(str(exc))
            self.failure = str(exc)
            if pending > MAX_PENDING_ROWS:
                self._rows["raw_bytes"].clear()
            return
        if self.failure is not None and self.on_failure:
            self.on_failure(None)
        self.failure = None
        self._rows = defaultdict(list)

    def _take(self, item: Any) -> None:
        sid = self.session_id
        if isinstance(item, Sample):
            if item.param in WAVEFORMS:
                self._wave_add(item)
            elif item.param not in LIVE_ONLY:
                self._numeric(item)
        elif isinstance(item, StatusChange):
            self._rows["device_status"].append({"session_id": sid, "t": item.t, "source": item.source,
                                                "condition": item.condition.value, "active": int(item.active),
                                                "detail": item.detail})
        elif isinstance(item, DeviceNotice):
            self._rows["device_status"].append({"session_id": sid, "t": item.t, "source": item.source,
                                                "condition": item.code, "active": None, "detail": item.detail})
        elif isinstance(item, NibpResult):
            self._rows["nibp"].append({"session_id": sid, "t": item.t, "source": item.source, "sbp": item.sbp,
                                       "dbp": item.dbp, "map": item.map, "pulse_rate": item.pulse_rate,
                                       "error_code": item.error_code, "error": item.error})
        elif isinstance(item, DeviceInfo):
            self._rows["journal"].append({"session_id": sid, "t": item.t, "kind": "device_info", "user": "",
                                          "data": json.dumps({"source": item.source, "model": item.model,
                                                              "serial_number": item.serial_number,
                                                              "firmware": item.firmware})})
        elif isinstance(item, tuple) and item[0] == "raw":
            _, source, t, direction, data = item
            self._raw(source, t, direction, data)
        elif isinstance(item, tuple) and item[0] == "journal":
            _, kind, data, user, t = item
            self._rows["journal"].append(journal_row(sid, kind, data, user, t))
        elif isinstance(item, AlarmEvent):
            row = item.to_dict()
            if item.kind is EventKind.LIMIT_CHANGED:
                self._rows["journal"].append({"session_id": sid, "t": item.t, "kind": "limit_changed",
                                              "user": item.user, "data": json.dumps(row)})
                return
            self._rows["alarms"].append({"session_id": sid, "t": item.t, "event": row["kind"],
                                         "alarm_id": row["alarm_id"], "condition": row["condition"],
                                         "kind": row["alarm_kind"], "priority": row["priority"],
                                         "message": row["message"], "source": row["source"],
                                         "parameter": row["param"], "value": row["value"], "limit": row["limit"],
                                         "user": row["user"]})

    def _numeric(self, s: Sample) -> None:
        key = (s.source, s.param)
        last = self._last_numeric.get(key)
        if last is not None and last[1] == s.value and last[2] == s.flags and s.t - last[0] < NUMERIC_REPEAT_S:
            return
        self._last_numeric[key] = (s.t, s.value, s.flags)
        self._rows["numerics"].append({"session_id": self.session_id, "t": s.t, "t_dev": s.t_dev,
                                       "source": s.source, "parameter": s.param, "value": s.value,
                                       "unit": s.unit, "flags": ",".join(sorted(s.flags)) or None})

    def _wave_add(self, s: Sample) -> None:
        key = (s.source, s.param)
        chunk = self._wave.get(key)
        value = float("nan") if s.value is None else s.value
        if chunk is not None and s.t - chunk[0] >= WAVE_CHUNK_S:
            self._close_chunk(key)
            chunk = None
        if chunk is None:
            self._wave[key] = (s.t, s.t, array("f", [value]))
        else:
            chunk[2].append(value)
            self._wave[key] = (chunk[0], s.t, chunk[2])

    def _close_chunk(self, key: tuple[str, str]) -> None:
        t0, t1, values = self._wave.pop(key)
        self._rows["waveform_chunks"].append({"session_id": self.session_id, "source": key[0], "parameter": key[1],
                                              "t0": t0, "t1": t1, "n": len(values), "samples": values.tobytes()})

    def _raw(self, source: str, t: float, direction: str, data: bytes) -> None:
        rows = self._rows["raw_bytes"]
        for row in reversed(rows):  # coalesce reads of one flush into one row per source and direction
            if row["source"] == source and row["direction"] == direction:
                row["data"] += data
                return
        rows.append({"session_id": self.session_id, "source": source, "t": t, "direction": direction, "data": data})
