"""Contec CMS50D+ / CMS50E, older firmware: 5-byte live frames, 19200 8O1, ~60 frames/s.

The first byte of a frame is the only one with bit 7 set, so the parser
resynchronises on any byte with bit 7 = 1. There is no checksum: a frame cut
short by a new sync byte is counted as a framing error and dropped, and values
are trusted only after LOCK_FRAMES frames in a row (random bytes form a frame
every ~32 bytes, values included, that would otherwise be stored and alarmed).

The device updates its numerics about once a second and repeats them in
every frame: they are reported once a second of frames and on every change
(devices.base.Repeats), and a change counts only once CONFIRM_FRAMES frames
in a row carry it, because one corrupted data byte keeps the framing and
changes one frame's values, by any amount (a device never shows a value for
a single frame). SpO2 127 and pulse 255 (or 0) mean no value; when both are missing the device has
no reading at all (a finger out without the bit, as the CMS60C sends for
minutes): that is SEARCHING, and the pleth of such frames is no value (the
device sends a flat line), never a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import serial

from devices.base import NAN, Encoder, FrameLock, Parser, Repeats, SerialSettings, WaveBuffer
from devices.registry import ProtocolSpec
from devices.sim.device import DeviceSimulator
from devices.sim.held import HeldNumerics
from devices.sim.physiology import Vitals
from devices.values import Condition, DeviceItem, Param

SETTINGS = SerialSettings(baudrate=19200, parity=serial.PARITY_ODD)
FRAME_RATE = 60.0
UPDATE_FRAMES = int(FRAME_RATE)  # the device updates its numerics about once a second of frames
SPO2_INVALID = 127
PULSE_INVALID = 255
LOCK_FRAMES = 6  # frames in a row before values are trusted (no checksum: see FrameLock)
CONFIRM_FRAMES = 2  # frames in a row that must carry a changed state before it counts (see Repeats)
NO_READING = "no valid reading (SpO₂ and pulse missing)"


@dataclass(frozen=True)
class Frame:
    """The fields of one 5-byte frame, as on the wire."""

    signal: int = 0  # 0..15
    pleth: int = 0  # 0..127
    bar: int = 0  # 0..15
    pulse_rate: int = PULSE_INVALID  # 0..255
    spo2: int = SPO2_INVALID  # 0..127
    beep: bool = False
    spo2_dropping: bool = False
    finger_out: bool = False
    searching: bool = False
    probe_error: bool = False


def encode(f: Frame) -> bytes:
    """Return the 5 wire bytes of a frame."""
    b1 = 0x80 | (f.beep << 6) | (f.spo2_dropping << 5) | (f.finger_out << 4) | (f.signal & 0x0F)
    b3 = ((f.pulse_rate & 0x80) >> 1) | (f.searching << 5) | (f.probe_error << 4) | (f.bar & 0x0F)
    return bytes((b1, f.pleth & 0x7F, b3, f.pulse_rate & 0x7F, f.spo2 & 0x7F))


def decode(raw: bytes) -> Frame:
    """Return the fields of 5 frame bytes (raw[0] has bit 7 set)."""
    b1, b2, b3, b4, b5 = raw
    return Frame(
        signal=b1 & 0x0F,
        pleth=b2 & 0x7F,
        bar=b3 & 0x0F,
        pulse_rate=((b3 & 0x40) << 1) | (b4 & 0x7F),
        spo2=b5 & 0x7F,
        beep=bool(b1 & 0x40),
        spo2_dropping=bool(b1 & 0x20),
        finger_out=bool(b1 & 0x10),
        searching=bool(b3 & 0x20),
        probe_error=bool(b3 & 0x10),
    )


_FRAME = re.compile(rb"[\x80-\xff][\x00-\x7f]{4}")  # a sync byte and four data bytes
_PARTIAL = re.compile(rb"[\x80-\xff][\x00-\x7f]{0,3}\Z")  # the start of a frame at the end of the bytes
_BLOCKING_BITS = ((0x10, 0, Condition.PROBE_OFF, "finger out"), (0x10, 2, Condition.SENSOR_FAULT, "probe error"),
                  (0x20, 2, Condition.SEARCHING, "searching for pulse"))  # (bit, byte index, condition, words)
#: What one frame says: its conditions (condition, words), SpO2 % and pulse /min (None: no value).
State = tuple[tuple[tuple[Condition, str], ...], float | None, float | None]
PARAMS = (Param.SPO2, Param.PULSE_RATE)  # the values of a State, in order


class Cms50dPlusParser(Parser):
    """Parser of the CMS50D+ live stream: pleth at 60 Hz, SpO2 and pulse rate in every frame.

    Frames are found with a regular expression over the bytes (one read can
    hold hours of a capture when a session is replayed); the bytes between
    frames are counted as the byte-by-byte reading of DEVICES.md counts them.
    """

    waveform_rate = FRAME_RATE

    def __init__(self, source: str = "pulseox") -> None:
        super().__init__(source)
        self._buf = b""  # the start of a frame cut by the end of the last read
        self._lock = FrameLock(LOCK_FRAMES)
        self._pleth = WaveBuffer(source, Param.PLETH.value, FRAME_RATE)
        self._repeats: Repeats[State] = Repeats(UPDATE_FRAMES, CONFIRM_FRAMES)

    def parse(self, data: bytes, t: float) -> list[DeviceItem]:
        out: list[DeviceItem] = []
        buf = self._buf + data
        pos = 0
        for m in _FRAME.finditer(buf):
            start = m.start()
            if start != pos:
                self._stray(buf[pos:start])
            pos = m.end()
            self._framed(5)
            if self._lock.frame():
                self._frame(buf[start:pos], t, out)
        rest = buf[pos:]
        partial = _PARTIAL.search(rest)
        cut = len(rest) if partial is None else partial.start()
        if cut:
            self._stray(rest[:cut])
        self._buf = rest[cut:]
        out.extend(self._pleth.take(t))
        return out

    def _stray(self, between: bytes) -> None:
        """Count the bytes between two frames: data bytes with no sync byte before them, and cut frames.

        Such bytes are always followed by a sync byte (of a frame, or of one
        still arriving), which cuts any frame they started.
        """
        started = False
        for byte in between:
            if byte & 0x80:
                if started:
                    self.errors["short frame"] += 1
                started = True
            elif not started:
                self.errors["garbage byte"] += 1
        if started:
            self.errors["short frame"] += 1
        self._lock.broken()
        self._repeats.broken()

    def _frame(self, raw: bytes, t: float, out: list[DeviceItem]) -> None:
        b1, b2, b3, b4, b5 = raw
        conds = {cond: words for bit, i, cond, words in _BLOCKING_BITS if raw[i] & bit} \
            if (b1 & 0x10) | (b3 & 0x30) else {}
        spo2 = b5 & 0x7F
        pulse = ((b3 & 0x40) << 1) | (b4 & 0x7F)
        spo2_value = None if conds or spo2 in (0, SPO2_INVALID) else float(spo2)
        pulse_value = None if conds or pulse in (0, PULSE_INVALID) else float(pulse)
        if not conds and spo2_value is None and pulse_value is None:
            conds[Condition.SEARCHING] = NO_READING
        self._pleth.values.append(NAN if conds else float(b2 & 0x7F))
        state = (tuple(conds.items()), spo2_value, pulse_value)
        for (state_conds, *values), at, confirmed in self._repeats.packet(state, t):
            out.extend(self._reported(at, dict(state_conds), zip(PARAMS, values), confirmed))


class Cms50dPlusSimulator(DeviceSimulator):
    """A CMS50D+ streaming live frames at 60/s without being asked, its numerics updated once a second."""

    settings = SETTINGS
    frame_interval = 1.0 / FRAME_RATE

    def __init__(self) -> None:
        self._last_phase_peak = False
        self._numerics = HeldNumerics(UPDATE_FRAMES)

    def frame(self, v: Vitals) -> bytes:
        v = self._numerics.hold(v)
        if v.probe_off:
            return encode(Frame(finger_out=True, pulse_rate=PULSE_INVALID, spo2=SPO2_INVALID))
        if v.spo2 is None or v.pulse_rate is None:  # invalid with no status bit: sentinels and a flat pleth
            return encode(Frame(pulse_rate=PULSE_INVALID, spo2=SPO2_INVALID))
        peak = v.pleth > 0.9
        beep = peak and not self._last_phase_peak
        self._last_phase_peak = peak
        return encode(
            Frame(
                signal=3 if v.artifact else 8,
                pleth=int(round(v.pleth * 100)),
                bar=int(round(v.pleth * 15)),
                pulse_rate=min(254, int(round(v.pulse_rate))),
                spo2=min(100, int(round(v.spo2))),
                beep=beep,
            )
        )


ENCODER = Encoder(
    ranges={"spo2": (1, 126, 1), "pulse_rate": (1, 254, 1)},  # 0, SpO2 127 and pulse 255 mean no value
    encode=lambda v: (LOCK_FRAMES + CONFIRM_FRAMES - 1) * encode(Frame(
        signal=8, pleth=64, bar=6, pulse_rate=int(v["pulse_rate"]), spo2=int(v["spo2"]))),
)

SPEC = ProtocolSpec(
    name="cms50dplus",
    title="Contec CMS50D+ / CMS50E (older firmware, streams on its own)",
    roles=frozenset({"pulseox"}),
    settings=SETTINGS,
    parser=Cms50dPlusParser,
    simulator=Cms50dPlusSimulator,
    encoder=ENCODER,
    byte_rate=300.0,  # 60 frames of 5 bytes
)
