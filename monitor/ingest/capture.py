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
larger than RAW_LIMIT_BYTES.
"""

from __future__ import annotations

import bisect
import os
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from functools import cache
from operator import attrgetter
from pathlib import Path
from typing import Callable, Iterator

from devices import registry
from devices.clock import DeviceClock
from devices.registry import ProtocolSpec
from devices.supervised import ThreadFault
from devices.values import DeviceItem, Sample, WaveSegment
from monitor.ingest.offline import OfflineSession, ParseReport, StoredCounts, fault_words, parse_chunks
from monitor.storage.store import Store

CHUNK_S = 0.25  # file time per parser feed: waveform items are timed per feed, as per read of a port
RAW_CHUNK_S = 1.0  # file time per raw_bytes row
RAW_LIMIT_BYTES = 64 * 1024 * 1024  # an 8 h capture of the busiest protocol (GE, 1.4 kB/s) is about 40 MB
CLOCK_WINDOW_S = 60.0
CHECK_S = 600.0  # file time checked first: does the file decode as the protocol at all?
DRIFT_S = 2.0  # the device clock's tolerance (DeviceClock.tolerance_s): per step, and of drift before re-measuring
RAW_BATCH_ROWS = 1000


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

    def place(self, items: list[DeviceItem]) -> list[DeviceItem]:
        """Return the items ready to store, on the chosen clock (those still waiting are kept)."""
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
            return items
        clock = self.clock
        return [_retimed(item, clock.time_of(item.t, item.t_dev)) if isinstance(item, Sample)
                else _retimed(item, clock.shift(item.t)) for item in items]

    def words(self) -> str:
        """Return what the device clock did when it stopped being used, e.g. 'it repeated at ...' ('' if never)."""
        broken = self.clock.broken
        if broken is None:
            return ""
        return f"it {broken.what} at {_utc(self.clock.shift(broken.t_rx))} (device time {_utc(broken.t_dev)})"

    def finish(self) -> list[DeviceItem]:
        """Return the items still waiting at the end of the file (on the file's time)."""
        self._decided = True
        items, self._pending = self._pending, []
        return items

    def at(self, t: float) -> float:
        """Return file time t on the chosen clock."""
        offsets = self.clock.resyncs
        i = bisect.bisect_right(offsets, (t, float("inf"))) - 1
        return t + (offsets[max(i, 0)][1] if offsets else 0.0)


def _retimed(item: DeviceItem, t: float) -> DeviceItem:
    """Return the item at time t (itself when t is its time).

    The copy is dataclasses.replace's without its per-field checks, which
    cost an 8 h import as much as parsing it: every item is re-timed.
    """
    return item if item.t == t else _rebuilder(type(item))(item, t)


@cache
def _rebuilder(cls: type) -> Callable[[DeviceItem, float], DeviceItem]:
    """Return a function that builds a copy of a `cls` item at another time (t is every item's first field)."""
    names = [f.name for f in fields(cls)]
    if names[0] != "t" or not all(f.init for f in fields(cls)):
        raise TypeError(f"{cls.__name__} cannot be re-timed: t must be its first field and every field an argument")
    rest = attrgetter(*names[1:]) if len(names) > 2 else (lambda item: (getattr(item, names[1]),))
    return lambda item, t: cls(t, *rest(item))


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
    report = parse_chunks(spec.parser(role), _chunks(path, start, rate, CHUNK_S),
                          lambda items: target.record(timeline.place(items)))
    target.record(timeline.finish())
    session = target.session
    assert session is not None  # the check found items, so the full parse did too
    raw_kept = capture.size <= RAW_LIMIT_BYTES
    if raw_kept:
        _store_raw(store, session.session_id, role, path, start, rate, timeline, (target.first, target.last))
    stored = session.close(target.last, f"import of {path.name}")
    store.update_session(session.session_id, started_utc=target.first)  # the session spans every row
    return ImportReport(capture, session.session_id, role, report, stored, timeline.device_clock, target.first,
                        target.last, raw_kept, timeline.words(), tuple(session.recorder.faults), patient_id)


class _LazySession:
    """Creates the session at the first item to store, so a file with nothing in it leaves none."""

    def __init__(self, store: Store, role: str, protocol: str, port: str, patient_id: str | None = None) -> None:
        self.store, self.role, self.protocol, self.port = store, role, protocol, port
        self.patient_id = patient_id
        self.session: OfflineSession | None = None
        self.first = self.last = 0.0

    def record(self, items: list[DeviceItem]) -> None:
        """Store items (UTC times), creating the session at the first; first/last span every item's times."""
        if not items:
            return
        first = min(i.t - (len(i.values) - 1) / i.rate if isinstance(i, WaveSegment) else i.t for i in items)
        if self.session is None:
            if self.patient_id is not None:
                self.store.ensure_patient(self.patient_id)
            self.session = OfflineSession(self.store, started_utc=first, patient_id=self.patient_id)
            self.session.add_device(self.role, self.role, self.protocol, self.port)
            self.first = self.last = first
        self.session.record(items)
        self.first = min(self.first, first)
        self.last = max(self.last, max(i.t for i in items))


def _store_raw(store: Store, session_id: int, role: str, path: Path, start: float, rate: float,
               timeline: Timeline, span: tuple[float, float]) -> None:
    """Keep the file in the session as its raw capture, one row per RAW_CHUNK_S, timed like the items.

    A row's time is that of its last byte, kept within the session's span (the
    bytes after the last item, or before the first, belong to its edges).
    """
    rows = []
    for t, data in _chunks(path, start, rate, RAW_CHUNK_S):
        rows.append({"session_id": session_id, "source": role, "t": min(max(timeline.at(t), span[0]), span[1]),
                     "direction": "rx", "data": data})
        if len(rows) >= RAW_BATCH_ROWS:
            store.write_batch({"raw_bytes": rows})
            rows = []
    store.write_batch({"raw_bytes": rows})
