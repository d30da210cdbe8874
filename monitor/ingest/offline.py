"""Device bytes parsed after the fact into a new, closed session: what replay and import share.

Both feed chunks of bytes, each with its receive time, through a protocol's
parser (the same path a reader thread takes, plausibility gate included) and
record what comes out with the recorder a live session uses, so a session
made offline is stored exactly like one recorded at the chair. Items go to
the recorder BATCH_ITEMS at a time, each with the time it is stored at, and
the recorder does its work in the parsing thread (Recorder.take_here): the
two share one interpreter, and in two threads the hand-over between them
cost as much as the storing. Both run with the cyclic garbage collector
paused (`collector_paused`). What they report as stored is read back from
the database after the session closed; a fault of the recorder's work is
kept in `recorder.faults` for the command to end non-zero.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Sequence

from devices.base import Parser
from devices.supervised import ThreadFault
from devices.values import DeviceInfo, DeviceItem, WaveSegment
from monitor.storage.recorder import Recorder
from monitor.storage.store import SessionEnd, Store

BATCH_ITEMS = 4096


@dataclass
class ParseReport:
    """What parsing one device's bytes gave: bytes read, frames decoded, items made, errors by kind."""

    bytes: int = 0
    frames: int = 0
    items: int = 0
    errors: dict[str, int] = field(default_factory=dict)


def parse_chunks(parser: Parser, chunks: Iterable[tuple[float, bytes]],
                 sink: Callable[[list[DeviceItem]], None]) -> ParseReport:
    """Feed (receive time, bytes) chunks through parser, hand each chunk's items to sink; return the counts."""
    report = ParseReport()
    frames_before = parser.frames
    for t, data in chunks:
        report.bytes += len(data)
        items = parser.feed(data, t)
        if items:
            report.items += len(items)
            sink(items)
    report.frames = parser.frames - frames_before
    report.errors = dict(parser.errors)
    return report


@dataclass(frozen=True)
class StoredCounts:
    """Rows a session holds, by kind (wave_samples counts samples, not chunks)."""

    numerics: int
    wave_samples: int
    nibp: int
    device_status: int

    def line(self) -> str:
        """Return the counts in words, for a command's summary."""
        return (f"{self.numerics:,} numerics, {self.wave_samples:,} waveform samples, {self.nibp:,} NIBP results, "
                f"{self.device_status:,} device status rows")


class OfflineSession:
    """A new session that items parsed offline are recorded into; close() ends it as closed.

    session_fields go to the sessions row (patient, profile, started_utc, tz...).
    `span` is the first and last time (UTC epoch s) of the items handed to
    the recorder so far (a waveform segment from its first sample), None
    before any.
    """

    def __init__(self, store: Store, **session_fields: Any) -> None:
        self.store = store
        self.session_id = store.create_session(**session_fields)
        self.recorder = Recorder(store, self.session_id, capture_raw=False)  # works in this thread (take_here)
        self._identity: dict[str, DeviceInfo] = {}
        self._batch: list[tuple[DeviceItem, float]] = []
        self.span: tuple[float, float] | None = None

    def add_device(self, role: str, source: str, protocol: str, port: str, baudrate: int | None = None) -> None:
        """Record which device the bytes came from (port is a description such as the file's name)."""
        self.store.write_batch({"devices": [{"session_id": self.session_id, "role": role, "source": source,
                                             "protocol": protocol, "port": port, "baudrate": baudrate}]})

    def record(self, items: list[DeviceItem]) -> None:
        """Queue parsed items for storage at their own times."""
        self.record_at([(item, item.t) for item in items])

    def record_at(self, items: list[tuple[DeviceItem, float]]) -> None:
        """Queue parsed items for storage, each at the time (UTC epoch s) paired with it."""
        self._batch += items
        if len(self._batch) >= BATCH_ITEMS:
            self.hand_over()

    def hand_over(self) -> None:
        """Hand the items queued so far to the recorder (and take their span); keep each device's identity for
        its devices row."""
        batch, self._batch = self._batch, []
        if not batch:
            return
        for item, _ in batch:
            if isinstance(item, DeviceInfo):
                self._identity[item.source] = item
        first, last = span_of(batch)
        self.span = (first, last) if self.span is None else (min(self.span[0], first), max(self.span[1], last))
        self.recorder.put_batch(batch)
        self.recorder.take_here()

    def close(self, ended_utc: float | None, end_reason: str) -> StoredCounts:
        """Store everything queued and close the session in the same transaction; return what it holds.

        StoreError as the recorder's stop() raises it (the rows are then in a recovery file).
        """
        self.hand_over()
        self.recorder.stop(SessionEnd.reported(ended_utc, end_reason, self._identity.values()))
        return self.counts()

    def counts(self) -> StoredCounts:
        """Count the rows the session holds now."""
        return stored_counts(self.store, self.session_id)


def span_of(items: list[tuple[DeviceItem, float]]) -> tuple[float, float]:
    """Return the first and last time of items paired with their times (a waveform segment from its first sample)."""
    first = min(t - (len(item.values) - 1) / item.rate if isinstance(item, WaveSegment) else t for item, t in items)
    return first, max(t for _, t in items)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block (an offline parse and its storing).

    An 8 h import keeps hundreds of thousands of items and rows alive
    between the parser and the recorder's next write, none of them in a
    reference cycle; the collector walked them all again and again, a
    sixth of the import's time. Memory is still freed as usual (reference
    counting), and cycles made meanwhile are collected once it runs again.
    The commands that parse offline are processes of their own.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def fault_words(faults: Sequence[ThreadFault], session_id: int) -> str | None:
    """Return the one line that says a recorder fault during an offline session (None without one)."""
    if not faults:
        return None
    return f"{faults[-1].words()}: session {session_id} may lack values that were read (details in the log)"


def stored_counts(store: Store, session_id: int) -> StoredCounts:
    """Read back how many rows of each kind a session holds."""
    counts = store.row_counts(session_id)
    return StoredCounts(counts["numerics"], counts["wave_samples"], counts["nibp"], counts["device_status"])
