"""Contracts every protocol module follows.

A protocol module holds a pure parser (bytes in, values out, no I/O, no clock),
an encoder of the same wire format (used by simulators and tests), optionally a
driver (the commands a host must send) and a simulator that answers like the
device. The registry in devices.registry ties a protocol name to these.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

import serial

from devices.plausibility import QUESTIONABLE, Consistency, gate
from devices.values import Condition, DeviceItem, StatusChange, WaveSegment, sample

NAN = float("nan")
S = TypeVar("S", bound=Hashable)
UNCONFIRMED = frozenset({QUESTIONABLE})
#: Long checksummed frames that show a noisy stream is the protocol though most frames broke (decodes()).
CHECKED_FRAMES = 10
LONG_FRAME_BYTES = 64


@dataclass(frozen=True)
class SerialSettings:
    """Line settings of a protocol; the port spec may override the baud rate."""

    baudrate: int
    bytesize: int = serial.EIGHTBITS
    parity: str = serial.PARITY_NONE
    stopbits: float = serial.STOPBITS_ONE
    rtscts: bool = False  # hardware flow control (the GE monitors need it)

    @property
    def bytes_per_s(self) -> float:
        """Return the most bytes a second the line can carry (start, data, parity and stop bits)."""
        bits = 1 + self.bytesize + (self.parity != serial.PARITY_NONE) + self.stopbits
        return self.baudrate / bits


@dataclass(frozen=True)
class Encoder:
    """Writes chosen values in a protocol's wire format, for the conformance suite's round trip.

    ranges: parameter -> (lowest, highest, step) of the values the wire can
    carry as numbers (the device's "no value" sentinels left out), in the
    contract units of devices.values.PARAMS; this includes values no patient
    can have, which the parser's plausibility gate must catch.
    encode(values) returns the bytes of one complete unit (frame, packet,
    line, message) carrying every parameter of `ranges`, as the device sends
    it to a parser that has just been created or reset.
    """

    ranges: Mapping[str, tuple[float, float, float]]
    encode: Callable[[Mapping[str, float]], bytes]


class ConditionTracker:
    """Turns "the set of conditions active now" into on/off StatusChange items.

    Parsers see conditions in every frame; the core wants only the changes.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.active: dict[Condition, str] = {}

    def update(self, t: float, now: dict[Condition, str], scope: frozenset[Condition] | None = None) -> list[StatusChange]:
        """Report changes between the tracked state and `now` (condition -> detail words).

        Only conditions in `scope` are compared (default: all), so a parser that
        learns some conditions from one frame and others from another frame
        does not clear what it did not look at.
        """
        changes: list[StatusChange] = []
        for cond in list(self.active):
            if (scope is None or cond in scope) and cond not in now:
                del self.active[cond]
                changes.append(StatusChange(t, self.source, cond, False))
        for cond, detail in now.items():
            if self.active.get(cond) != detail:
                self.active[cond] = detail
                changes.append(StatusChange(t, self.source, cond, True, detail))
        return changes


class FrameLock:
    """Trusts a stream without checksums only after `frames` whole frames in a row.

    Random bytes (a wrong port, speed or protocol) now and then look like one
    frame of such a protocol (a CMS50D+ frame every ~32 random bytes), but
    almost never like several in a row with no stray byte between them (for
    six CMS50D+ frames, about once in 10^9 bytes). A real device streams
    frames back to back, so waiting for a few costs it a fraction of a second.
    """

    def __init__(self, frames: int) -> None:
        self.frames = frames
        self.run = 0

    def frame(self) -> bool:
        """Count a whole frame; tell whether its values can be trusted."""
        self.run += 1
        return self.run >= self.frames

    def broken(self) -> None:
        """Note a stray byte or a cut frame: the stream must prove itself again."""
        self.run = 0


class Repeats(Generic[S]):
    """Numerics a device repeats in every packet, reported once per its own update period and on every change.

    A CMS50D+ sends the same SpO2 and pulse in 60 packets a second; the
    recorder stores every Sample it gets, so such a parser reports a packet's
    state (its values and conditions) when it differs from the last one
    reported, and again every `period` packets while it stays the same.
    Periods are counted in packets (device time), not by arrival time, so a
    burst of buffered packets thins exactly like a steady stream.

    On a line without a checksum a state counts only when `confirm` packets in
    a row carry it: a device holds a value for many packets, so a state seen in
    fewer is a corrupted byte (SpO2 54, or 96, for one packet amid 97). Such a
    state is still reported, as unconfirmed (its values flagged questionable by
    the parser, its conditions not raised), and the confirmed state after it is
    reported again at once, so the screen never keeps showing it. Every change
    waits for its confirmation, however small: a corrupted byte may land one
    step away, and a real device holds each value for its update period.
    """

    def __init__(self, period: int, confirm: int = 1) -> None:
        self.period, self.confirm = period, confirm
        self._shown: S | None = None  # the confirmed state last reported
        self._since = 0  # packets since it was reported
        self._state: S | None = None  # the state of the current run of equal packets
        self._t = 0.0  # receive time of the run's first packet
        self._run = 0  # packets in that run

    def packet(self, state: S, t: float) -> list[tuple[S, float, bool]]:
        """Count one packet's state received at t; return the (state, t, confirmed) to report now, oldest first.

        An unconfirmed state is reported with the time it was received; a
        confirmed one with the time of the packet that confirmed it.
        """
        out: list[tuple[S, float, bool]] = []
        if state == self._state:
            self._run += 1
        else:
            if self._state is not None and self._run < self.confirm and self._state != self._shown:
                out.append((self._state, self._t, False))
                self._shown = None
            self._state, self._t, self._run = state, t, 1
        self._since += 1
        if self._run >= self.confirm and (state != self._shown or self._since >= self.period):
            out.append((state, t, True))
            self._shown, self._since = state, 0
        return out

    def broken(self) -> None:
        """Note a break in the packet stream: the next state is confirmed from scratch and reported anew."""
        self._state, self._run, self._shown = None, 0, None


class WaveBuffer:
    """Collects the wave values of one parse() call into one WaveSegment (NaN for no value)."""

    def __init__(self, source: str, param: str, rate: float) -> None:
        self.source, self.param, self.rate = source, param, rate
        self.values: list[float] = []

    def add(self, value: float | None) -> None:
        """Append one sample (None: no value)."""
        self.values.append(NAN if value is None else value)

    def take(self, t: float) -> list[DeviceItem]:
        """Return the collected samples as one segment ending at t ([] if none) and start a new one."""
        if not self.values:
            return []
        segment = WaveSegment(t, self.source, self.param, tuple(self.values), self.rate)
        self.values.clear()
        return [segment]


class Parser(ABC):
    """Stateful decoder of one device's byte stream.

    Subclasses implement parse(); feed() runs it and passes what it made
    through the plausibility checks, so no protocol can let an impossible
    value through, nor a single reading its neighbours contradict. parse()
    never raises on any input: garbage is skipped, framing
    and checksum errors are counted in `errors`, and the parser resynchronises
    on the next valid frame. Timestamps come from the caller (receive time,
    UTC epoch s). After a connection loss the reader calls reset(), so a frame
    cut by the loss is never completed with bytes of the next connection.
    `frames` counts the whole frames (messages, records) decoded, `framed`
    their bytes and `bytes_in` all bytes fed, for support and for telling
    whether a stream is this protocol at all (decodes()).
    """

    #: nominal waveform sample rate (Hz) of the protocol, 0 if none
    waveform_rate: float = 0.0
    #: whether every frame carries a checksum the parser verifies (a frame that passes is this protocol's)
    checksummed: bool = False

    def __init__(self, source: str = "pulseox") -> None:
        self.source = source
        self.errors: Counter[str] = Counter()
        self.frames = self.framed = self.bytes_in = 0
        self.conditions = ConditionTracker(source)
        self.consistency = Consistency()

    def feed(self, data: bytes, t: float) -> list[DeviceItem]:
        """Consume bytes received at time t; return the values completed by them, gated and checked.

        Values no patient can have become no value (plausibility.gate); values
        their neighbours contradict are flagged questionable (plausibility.Consistency).
        """
        self.bytes_in += len(data)
        return self.consistency.check(gate(self.parse(data, t), self.errors))

    @abstractmethod
    def parse(self, data: bytes, t: float) -> list[DeviceItem]:
        """Decode bytes received at time t into values, conditions and device items (no gate)."""

    def _reported(self, t: float, conds: Mapping[Condition, str], values: Iterable[tuple[str, float | None]],
                  confirmed: bool) -> list[DeviceItem]:
        """Return the items of a packet state from Repeats: its condition changes and values when confirmed,
        else only its values, flagged questionable (a state seen too briefly raises no condition)."""
        if not confirmed:
            return [sample(t, self.source, param, value, UNCONFIRMED) for param, value in values if value is not None]
        return [*self.conditions.update(t, dict(conds)),
                *(sample(t, self.source, param, value) for param, value in values)]

    def _framed(self, size: int) -> None:
        """Count one decoded frame of about `size` bytes on the wire."""
        self.frames += 1
        self.framed += size

    def decodes(self) -> bool:
        """Tell whether the bytes fed so far look like this protocol: at least half of them made frames, or,
        for a protocol whose frames carry a checksum, CHECKED_FRAMES long frames or more passed it.

        A stream that starts mid-frame or carries some noise passes; bytes of
        another protocol or line speed, where a false frame turns up now and
        then, do not. Bytes are compared, not error counts, because parsers
        count errors per byte or per frame. A noisy line (1 byte in 300
        corrupted) breaks most of a bedside monitor's 250-700 byte frames, so
        under half its bytes decode; but a long frame (LONG_FRAME_BYTES on
        average) that passes its checksum is the protocol's: random bytes and
        other protocols never made one here, while short checksummed frames
        do turn up by chance (a Nonin parser found 12 five-byte frames in
        265 kB of another monitor's bytes), so those keep the half rule.
        """
        if self.frames == 0:
            return False
        if 2 * self.framed >= self.bytes_in:
            return True
        return self.checksummed and self.frames >= CHECKED_FRAMES and self.framed >= LONG_FRAME_BYTES * self.frames

    def reset(self, t: float) -> list[DeviceItem]:
        """Start clean (a new connection): drop partial frames and what the stream said.

        Returns the ends of the conditions the old stream had raised: after a
        reconnect the device says again what is true. Error, frame and byte counts are kept.
        """
        ended: list[DeviceItem] = [StatusChange(t, self.source, cond, False) for cond in self.conditions.active]
        counts = self.errors, self.frames, self.framed, self.bytes_in
        self._restart()
        self.errors, self.frames, self.framed, self.bytes_in = counts
        return ended

    def _restart(self) -> None:
        """Return to the state of a new parser; subclasses with constructor options override this."""
        self.__init__(self.source)  # type: ignore[misc]


class Driver:
    """Commands a host must send to a device: start streaming, keep-alive, NIBP start.

    The reader thread owns the port and calls these hooks; a driver only returns
    bytes to write, so it is tested with a scripted transport and no port.
    Monotonic time `now` (s) is passed in for keep-alive and polling intervals.
    What only the driver can know (a measurement that timed out) it reports
    through report(); the link publishes those items after each hook.
    """

    #: source (role) name of the device, set by the link
    source: str = ""

    def report(self, item: DeviceItem) -> None:
        """Queue an item (status change, notice) for the link to publish."""
        self.__dict__.setdefault("_reports", []).append(item)

    def drain_items(self) -> list[DeviceItem]:
        """Return and forget the items queued by report()."""
        return self.__dict__.pop("_reports", [])

    def on_open(self, now: float) -> bytes:
        """Return bytes to send right after the port opens (e.g. start live data)."""
        return b""

    def poll(self, now: float) -> bytes:
        """Return bytes due now (keep-alive, status polls); called about 10 times a second."""
        return b""

    def on_items(self, items: list[DeviceItem], now: float) -> bytes:
        """React to what the parser decoded (e.g. fetch a result after 'complete')."""
        return b""

    def on_close(self, now: float) -> bytes:
        """Return bytes to send before the port is closed on purpose (e.g. release an association)."""
        return b""

    def command(self, name: str, now: float) -> bytes:
        """Return the bytes for a user command such as 'nibp_start' or 'nibp_abort'.

        Raises ValueError for a command this device does not support.
        """
        raise ValueError(f"this device does not support '{name}'")

    def supports(self, name: str) -> bool:
        """Tell whether command(name) is available, so the UI can offer it."""
        return False

    def probe_query(self) -> bytes:
        """Return a harmless query that makes a silent device answer, b"" to only listen.

        Used by the prober on ports of unknown content: it may ask the device
        to identify itself or to send its values once, never start a
        measurement or change a setting. A device that streams on its own
        needs none.
        """
        return b""

    def probe_restore(self) -> bytes:
        """Return bytes that undo whatever probe_query() started (b"" when it started nothing)."""
        return b""
