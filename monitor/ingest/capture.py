"""`infusion-monitor import`: a file of device-to-host bytes (a serial sniffer's capture) into a new session.

The file holds bytes only, no times. They are fed to the protocol's parser
in CHUNK_S slices timed as if the device had sent them at its nominal rate
(ProtocolSpec.byte_rate), the capture ending at the file's modification time.
Where the protocol carries a device clock (Sample.t_dev) everything is put on
that clock instead, while it runs forward with the file time (the rule of
devices.clock.DeviceClock): a value with a device time gets it as its time,
other items (waveforms, NIBP results, conditions) are shifted by the offset
between the device clock and the file time, re-measured whenever the two
drift more than DRIFT_S apart. When the device clock repeats or jumps (a
damaged capture of concatenated segments) it is no longer used: the rest is
timed by the file, in the order received, on the last trusted offset, and
the summary says so. A device clock is waited for during the first
CLOCK_WINDOW_S of file time; without one the file times stay. The session
spans every row it holds.

First the start of the file (CHECK_S of file time) is parsed on its own: if
the parser does not decode it (Parser.decodes: frames, no more errors than
frames) or makes nothing of it, the file is refused and no session is made:
bytes of another protocol can yield a false frame now and then, never a
clean stream. The session is created at the first item stored and closed
at the end. The file itself is kept in the
session as its raw capture (raw_bytes, for replay and support) unless it is
larger than RAW_LIMIT_BYTES: its rows are cut from the slices the parser
reads (monitor.ingest.raw_rows), so the file is read once.
"""

from __future__ import annotations

import bisect
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from devices import registry
from devices.clock import DeviceClock
from devices.registry import ProtocolSpec
from devices.supervised import ThreadFault
from devices.values import DeviceItem, Sample
from monitor.ingest.offline import (
    OfflineSession,
    ParseReport,
    StoredCounts,
    collector_paused,
    fault_words,
    parse_chunks,
    span_of,
)
from monitor.ingest.raw_rows import RawRows
from monitor.storage.store import Store

CHUNK_S = 0.25  # file time per parser feed: waveform items are timed per feed, as per read of a port
RAW_LIMIT_BYTES = 64 * 1024 * 1024  # an 8 h capture of the busiest protocol (GE, 1.4 kB/s) is about 40 MB
CLOCK_WINDOW_S = 60.0
CHECK_S = 600.0  # file time checked first: does the file decode as the protocol at all?
DRIFT_S = 2.0  # the device clock's tolerance (DeviceClock.tolerance_s): per step, and of drift before re-measuring
RAW_SETTLE_CHUNKS = 256  # parser feeds between two looks for raw_bytes rows whose time is final


@dataclass(frozen=True)
class Capture:
    """A readable capture file and the protocol it is in."""

    path: Path
    spec: ProtocolSpec
    size: int
    mtime: float

    @classmethod
    def open(cls, protocol: str, path: Path) -> Capture:
        """Check the protocol name and that the file can be read; ValueError says what is wrong."""
        spec = registry.get(protocol)
        try:
            with path.open("rb") as f:
                stat = os.fstat(f.fileno())
        except OSError as exc:
            raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
        if not stat.st_size:
            raise ValueError(f"{path} is empty: there is nothing to import")
        return cls(path, spec, stat.st_size, stat.st_mtime)


@dataclass(frozen=True)
class ImportReport:
    """What an import read and stored."""

    capture: Capture
    session_id: int
    role: str
    parse: ParseReport
    stored: StoredCounts
    device_clock: bool
    started_utc: float
    ended_utc: float
    raw_kept: bool
    clock_words: str = ""  # what the device clock did when it stopped being used ('' if it never did)
    faults: tuple[ThreadFault, ...] = field(default=())
    patient_id: str | None = None  # the patient the session is filed under (None: none)

    def problem(self) -> str | None:
        """Return why the import failed though its frames parsed (a fault, nothing stored), else None."""
        if self.faults:
            return fault_words(self.faults, self.session_id)
        s = self.stored
        if self.parse.items and not (s.numerics or s.wave_samples or s.nibp or s.device_status):
            return f"{self.parse.items:,} values were read but none was stored; session {self.session_id} is empty"
        return None

    def lines(self) -> list[str]:
        """Return the few lines the import command prints."""
        p, s, c = self.parse, self.stored, self.capture
        errors = ", ".join(f"{kind} {n:,}" for kind, n in sorted(p.errors.items())) or "none"
        span = f"{_utc(self.started_utc)} to {_utc(self.ended_utc)}"
        spread = f"spread at {c.spec.nominal_byte_rate:g} bytes/s"
        if not self.device_clock:
            clock = f"times: {spread}, ending at the file's time, {span}"
        elif self.clock_words:
            clock = (f"times: from the device clock until {self.clock_words}; after that in the order received, "
                     f"{spread}, {span}")
        else:
            clock = f"times: from the device clock, {span}"
        raw = (f"raw capture: kept in the session ({c.size / 1e6:.1f} MB)" if self.raw_kept else
               f"raw capture: not kept ({c.size / 1e6:.1f} MB is over the {RAW_LIMIT_BYTES / 1e6:.0f} MB limit)")
        return [
            f"read {p.bytes:,} bytes of {c.spec.name} from {c.path}: {p.frames:,} frames, "
            f"{p.errors.get('checksum', 0):,} checksum failures",
            f"stored: {s.line()}",
            f"errors by kind: {errors}",
            clock,
            raw,
            (f"imported as session {self.session_id} (closed)" if self.problem() is None else
             f"session {self.session_id} (closed) is incomplete")
            + ("" if self.patient_id is None else f", patient {self.patient_id}"),
        ]


def _utc(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


class Timeline:
    """Puts parsed items on the device's clock where the protocol gives one and it holds, else the file times.

    Items wait (at most CLOCK_WINDOW_S of file time) until the first device
    time says how far the device clock is from the file time; from then on
    a DeviceClock decides, reading by reading, whether the device clock is
    still used. Its offsets also time the raw capture (`at`).
    """

    def __init__(self) -> None:
        self.device_clock = False
        self.clock = DeviceClock(DRIFT_S)
        self._decided = False
        self._pending: list[DeviceItem] = []

    @property
    def decided(self) -> bool:
        """Tell whether the clock is chosen (items no longer wait, and `at` holds for the file times placed)."""
        return self._decided

    def place(self, items: list[DeviceItem]) -> list[tuple[DeviceItem, float]]:
        """Return the items ready to store, each with its time on the chosen clock (those still waiting are kept).

        The items are not copied to re-time them: every item of an 8 h import
        is re-timed, and a copy of each cost as much as parsing it.
        """
        if not self._decided:
            self._pending += items
            dated = next((i for i in items if isinstance(i, Sample) and i.t_dev is not None), None)
            if dated is not None:
                self.device_clock = self._decided = True
                self.clock.time_of(dated.t, dated.t_dev)  # the first stamp measures the offset
            elif self._pending and self._pending[-1].t - self._pending[0].t >= CLOCK_WINDOW_S:
                self._decided = True
            else:
                return []
            items, self._pending = self._pending, []
        if not self.device_clock:
            return [(item, item.t) for item in items]
        time_of, shift = self.clock.time_of, self.clock.shift
        return [(item, time_of(item.t, item.t_dev) if isinstance(item, Sample) else shift(item.t)) for item in items]

    def words(self) -> str:
        """Return what the device clock did when it stopped being used, e.g. 'it repeated at ...' ('' if never)."""
        broken = self.clock.broken
        if broken is None:
            return ""
        return f"it {broken.what} at {_utc(self.clock.shift(broken.t_rx))} (device time {_utc(broken.t_dev)})"

    def finish(self) -> list[tuple[DeviceItem, float]]:
        """Return the items still waiting at the end of the file, each with its time (the file's)."""
        self._decided = True
        items, self._pending = self._pending, []
        return [(item, item.t) for item in items]

    def at(self, t: float) -> float:
        """Return file time t on the chosen clock."""
        offsets = self.clock.resyncs
        i = bisect.bisect_right(offsets, (t, float("inf"))) - 1
        return t + (offsets[max(i, 0)][1] if offsets else 0.0)


def _chunks(path: Path, start: float, rate: float, seconds: float, limit: int | None = None
            ) -> Iterator[tuple[float, bytes]]:
    """Yield (file time of the last byte, bytes) slices of `seconds` at `rate` bytes/s, up to `limit` bytes."""
    size = max(1, int(rate * seconds))
    done = 0
    with path.open("rb") as f:
        while (limit is None or done < limit) and (data := f.read(size)):
            done += len(data)
            yield start + done / rate, data


def import_capture(store: Store, capture: Capture, patient_id: str | None = None) -> ImportReport:
    """Parse a capture into a new closed session, filed under patient_id (a clean ID, see monitor.patient_id) when
    given, so it joins the patient's course; ValueError if nothing in it could be decoded."""
    with collector_paused():
        return _imported(store, capture, patient_id)


def _imported(store: Store, capture: Capture, patient_id: str | None) -> ImportReport:
    spec, path = capture.spec, capture.path
    role = "pulseox" if "pulseox" in spec.roles else "nibp"
    rate = spec.nominal_byte_rate
    start = capture.mtime - capture.size / rate
    check = spec.parser(role)
    head = parse_chunks(check, _chunks(path, start, rate, CHUNK_S, int(rate * CHECK_S)), lambda items: None)
    if not (head.items and check.decodes()):
        errors = ", ".join(f"{k} {v:,}" for k, v in sorted(head.errors.items())) or "none"
        raise ValueError(f"no {spec.name} data in {path}: {head.frames:,} frames in the first {head.bytes:,} bytes "
                         f"(errors: {errors}); is it another protocol?")
    timeline = Timeline()
    target = _LazySession(store, role, spec.name, f"import of {path.name}", patient_id)
    raw = RawRows(start, rate) if capture.size <= RAW_LIMIT_BYTES else None
    report = parse_chunks(spec.parser(role), _kept(_chunks(path, start, rate, CHUNK_S), raw, timeline, target),
                          lambda items: target.record(timeline.place(items)))
    target.record(timeline.finish())
    session = target.session
    assert session is not None  # the check found items, so the full parse did too
    session.hand_over()
    assert session.span is not None
    first, last = session.span
    if raw is not None:
        target.keep_raw(raw.rest(timeline.at, session.span))
    stored = session.close(last, f"import of {path.name}")
    store.update_session(session.session_id, started_utc=first)  # the session spans every row
    return ImportReport(capture, session.session_id, role, report, stored, timeline.device_clock, first, last,
                        raw is not None, timeline.words(), tuple(session.recorder.faults), patient_id)


def _kept(chunks: Iterator[tuple[float, bytes]], raw: RawRows | None, timeline: Timeline, target: _LazySession
          ) -> Iterator[tuple[float, bytes]]:
    """Yield the chunks to parse; cut them into raw rows as well, and keep the rows whose time is final."""
    if raw is None:
        yield from chunks
        return
    for n, (t, data) in enumerate(chunks, 1):
        yield t, data  # back here once the chunk is parsed and its items placed
        raw.add(data)
        if n % RAW_SETTLE_CHUNKS == 0 and timeline.decided and target.session is not None:
            target.keep_raw(raw.ready(t, timeline.at, target.session.span))


class _LazySession:
    """Creates the session at the first item to store, so a file with nothing in it leaves none."""

    def __init__(self, store: Store, role: str, protocol: str, port: str, patient_id: str | None = None) -> None:
        self.store, self.role, self.protocol, self.port = store, role, protocol, port
        self.patient_id = patient_id
        self.session: OfflineSession | None = None

    def record(self, items: list[tuple[DeviceItem, float]]) -> None:
        """Store items at their times (UTC), creating the session at the first."""
        if not items:
            return
        if self.session is None:
            if self.patient_id is not None:
                self.store.ensure_patient(self.patient_id)
            self.session = OfflineSession(self.store, started_utc=span_of(items)[0], patient_id=self.patient_id)
            self.session.add_device(self.role, self.role, self.protocol, self.port)
        self.session.record_at(items)

    def keep_raw(self, rows: list[tuple[float, bytes]]) -> None:
        """Store (time, bytes) rows of the file as the session's raw capture."""
        if rows and self.session is not None:
            sid, role = self.session.session_id, self.role
            self.session.recorder.put_rows("raw_bytes", [{"session_id": sid, "source": role, "t": t, "direction": "rx",
                                                          "data": data} for t, data in rows])
