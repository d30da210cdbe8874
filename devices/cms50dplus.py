"""Contec CMS50D+ / CMS50E, older firmware: 5-byte live frames, 19200 8O1, ~60 frames/s.

The first byte of a frame is the only one with bit 7 set, so the parser
resynchronises on any byte with bit 7 = 1. There is no checksum: a frame cut
short by a new sync byte is counted as a framing error and dropped, and values
are trusted only after LOCK_FRAMES frames in a row (random bytes form a frame
every ~32 bytes, values included, that would otherwise be stored and alarmed).
"""

from __future__ import annotations

from dataclasses import dataclass

import serial

from devices.base import Encoder, FrameLock, Parser, SerialSettings, WaveBuffer
from devices.registry import ProtocolSpec
from devices.sim.device import DeviceSimulator
from devices.sim.physiology import Vitals
from devices.values import Condition, DeviceItem, Param, sample

SETTINGS = SerialSettings(baudrate=19200, parity=serial.PARITY_ODD)
FRAME_RATE = 60.0
SPO2_INVALID = 127
PULSE_INVALID = 255
LOCK_FRAMES = 6  # frames in a row before values are trusted (no checksum: see FrameLock)


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


class Cms50dPlusParser(Parser):
    """Parser of the CMS50D+ live stream: pleth at 60 Hz, SpO2 and pulse rate in every frame."""

    waveform_rate = FRAME_RATE

    def __init__(self, source: str = "pulseox") -> None:
        super().__init__(source)
        self._buf = bytearray()
        self._lock = FrameLock(LOCK_FRAMES)
        self._pleth = WaveBuffer(source, Param.PLETH.value, FRAME_RATE)

    def parse(self, data: bytes, t: float) -> list[DeviceItem]:
        out: list[DeviceItem] = []
        for byte in data:
            if byte & 0x80:
                if self._buf:
                    self.errors["short frame"] += 1
                    self._lock.broken()
                self._buf = bytearray((byte,))
            elif self._buf:
                self._buf.append(byte)
                if len(self._buf) == 5:
                    if self._lock.frame():
                        out.extend(self._frame(decode(bytes(self._buf)), t))
                    self._buf.clear()
            else:
                self.errors["garbage byte"] += 1
                self._lock.broken()
        out.extend(self._pleth.take(t))
        return out

    def _frame(self, f: Frame, t: float) -> list[DeviceItem]:
        conds: dict[Condition, str] = {}
        if f.finger_out:
            conds[Condition.PROBE_OFF] = "finger out"
        if f.probe_error:
            conds[Condition.SENSOR_FAULT] = "probe error"
        if f.searching:
            conds[Condition.SEARCHING] = "searching for pulse"
        out: list[DeviceItem] = list(self.conditions.update(t, conds))
        blocked = bool(conds)
        spo2 = None if blocked or f.spo2 == SPO2_INVALID or f.spo2 == 0 else float(f.spo2)
        pulse = None if blocked or f.pulse_rate == PULSE_INVALID or f.pulse_rate == 0 else float(f.pulse_rate)
        self._pleth.add(None if blocked else float(f.pleth))
        out.append(sample(t, self.source, Param.SPO2, spo2))
        out.append(sample(t, self.source, Param.PULSE_RATE, pulse))
        return out


class Cms50dPlusSimulator(DeviceSimulator):
    """A CMS50D+ streaming live frames at 60/s without being asked."""

    settings = SETTINGS
    frame_interval = 1.0 / FRAME_RATE

    def __init__(self) -> None:
        self._last_phase_peak = False

    def frame(self, v: Vitals) -> bytes:
        if v.probe_off:
            return encode(Frame(finger_out=True, pulse_rate=PULSE_INVALID, spo2=SPO2_INVALID))
        peak = v.pleth > 0.9
        beep = peak and not self._last_phase_peak
        self._last_phase_peak = peak
        return encode(
            Frame(
                signal=3 if v.artifact else 8,
                pleth=int(round(v.pleth * 100)),
                bar=int(round(v.pleth * 15)),
                pulse_rate=int(round(v.pulse_rate or 0)) & 0xFF,
                spo2=int(round(v.spo2 or 0)),
                beep=beep,
            )
        )


ENCODER = Encoder(
    ranges={"spo2": (1, 126, 1), "pulse_rate": (1, 254, 1)},  # 0, SpO2 127 and pulse 255 mean no value
    encode=lambda v: LOCK_FRAMES * encode(Frame(signal=8, pleth=64, bar=6, pulse_rate=int(v["pulse_rate"]),
                                                spo2=int(v["spo2"]))),
)

SPEC = ProtocolSpec(
    name="cms50dplus",
    title="Contec CMS50D+ / CMS50E (older firmware, streams on its own)",
    roles=frozenset({"pulseox"}),
    settings=SETTINGS,
    parser=Cms50dPlusParser,
    simulator=Cms50dPlusSimulator,
    encoder=ENCODER,
)
