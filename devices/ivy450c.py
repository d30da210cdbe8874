"""Ivy 450C multi-parameter monitor, CPC "ANSAR-B" output: one message per second, 9600 8N1, read only.

A message is `FF`, ASCII `ANSAR-B `, 400 waveform bytes, CR-terminated ASCII lines
`NAME=<n>;f1;f2;...` and `FE`. There is no checksum, so a message is only used
whole: one cut short by a new `FF` is counted and dropped, nothing of it emitted.

Waveform block (offsets within the 400 bytes, as in OpenICE's AnsarB reader,
which DEVICES.md condenses): ECG 200 points at 0, resp 50 at 200, pleth 50 at
250, P1 50 at 300, P2 50 at 350. "pleth with offset 86" is a value baseline,
not a position (pleth starts at byte 250): sample = byte - 86, in device units.
That reading comes from that one public driver, not from Ivy; 0xFB is padding
(no sample, value None). Only pleth is emitted: there is no parameter for the others.

One monitor fills both roles: whatever role it is given, every parameter it
sends (SpO2, pulse rate, ECG heart rate, resp rate, pleth, NIBP) is emitted
under its one source, so a second oximeter or NIBP next to it keeps its own values.
Device alarms of every line are one DEVICE_ALARM condition of that source.

There is no checksum, so a digit turned into another digit passes. The
numerics are judged by the consistency check every parser's values go
through (devices.plausibility.Consistency). The NIBP line repeats the last
measurement every second, so a measurement is reported only once two
messages in a row carry the same line: one corrupted digit never becomes a
blood pressure reading (or a second copy of the true one).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum, auto
from typing import Sequence

from devices.base import NAN, Encoder, Parser, SerialSettings
from devices.registry import ProtocolSpec
from devices.sim.device import DeviceSimulator
from devices.sim.physiology import Vitals
from devices.values import Condition, DeviceItem, NibpResult, Param, WaveSegment, sample

SETTINGS = SerialSettings(baudrate=9600)
START = 0xFF
END = 0xFE
PAD = 0xFB  # waveform byte meaning "no sample"
MAGIC = b"ANSAR-B "

#: Waveform channels: name -> (first byte in the block, points per message).
WAVES: dict[str, tuple[int, int]] = {"ecg": (0, 200), "resp": (200, 50), "pleth": (250, 50), "p1": (300, 50), "p2": (350, 50)}
WAVE_BYTES = 400
PLETH_OFFSET = 86  # value baseline of the pleth bytes (see module docstring)
PLETH_RATE = 50.0  # Hz
MAX_WAVE_BYTE = 0xFA  # FB padding, FC..FF not data
MAX_LINE = 128  # bytes; the longest line seen is about 25
MAX_TEXT = 1024  # bytes of lines per message; a lost FE must not grow the buffer

#: Flags of NIBP numbers seen in the first message after (re)connecting: the
#: monitor shows its last measurement, which may be hours old.
AGE_UNKNOWN = frozenset({"questionable", "age_unknown"})

_NUMBER = re.compile(r"\d{1,4}(?:\.\d{1,2})?")
NibpKey = tuple[str, float | None, float | None, float | None, float | None]  # counter, SBP, DBP, MAP, pulse


class _State(Enum):
    SEEK = auto()  # waiting for FF
    HEADER = auto()  # matching "ANSAR-B "
    WAVE = auto()  # collecting the 400 waveform bytes
    TEXT = auto()  # collecting lines up to FE


@dataclass(frozen=True)
class Nibp:
    """One NIBP line's numbers (mmHg, /min; None = empty field) and the device's counter."""

    counter: str = ""
    sbp: float | None = None
    dbp: float | None = None
    map: float | None = None
    pulse_rate: float | None = None
    label: str = ""
    alarm: str = ""


def _field(value: float | None) -> str:
    """Return a numeric field as the device writes it: whole number, empty for no value."""
    return "" if value is None else str(int(round(value)))


def spo2_line(spo2: float | None, pulse_rate: float | None, alarm: str = "", n: int = 1) -> str:
    """Return an `SPO2=` line (SpO2 %, pulse /min), in the seen layout `SPO2=1;100;PR=80 ;`."""
    return ";".join([f"SPO2={n}", _field(spo2), f"PR={_field(pulse_rate)} ", alarm])


def rr_line(resp_rate: float | None, label: str = "", alarm: str = "", n: int = 1) -> str:
    """Return an `RR=` line (breaths /min)."""
    return ";".join([f"RR={n}", _field(resp_rate), label, alarm])


def hr_line(heart_rate: float | None, label: str = "ECG-II-DIAG", alarm: str = "", n: int = 1) -> str:
    """Return an `HR=` line (ECG heart rate /min), in the seen layout `HR=1;80;ECG-II-DIAG;`."""
    return ";".join([f"HR={n}", _field(heart_rate), label, alarm])


def nibp_line(nibp: Nibp) -> str:
    """Return a `NIBP=` line, in the seen layout `NIBP=4;121;75;92;80;;`."""
    values = [_field(v) for v in (nibp.sbp, nibp.dbp, nibp.map, nibp.pulse_rate)]
    return ";".join([f"NIBP={nibp.counter}", *values, nibp.label, nibp.alarm])


def pleth_bytes(values: Sequence[float | None]) -> list[int]:
    """Return pleth wire bytes for values in device units (value + 86); None -> 0xFB padding."""
    return [PAD if v is None else int(round(v)) + PLETH_OFFSET for v in values]


def encode_message(lines: Sequence[str], ecg: Sequence[int] = (), resp: Sequence[int] = (), pleth: Sequence[int] = (),
                   p1: Sequence[int] = (), p2: Sequence[int] = ()) -> bytes:
    """Return one message: header, the five waveforms (wire bytes, padded with 0xFB), CR-ended lines, FE.

    Raises ValueError for a waveform too long or a byte outside 0..0xFB, or a line
    that is not ASCII or holds CR, which the device could not send either.
    """
    block = bytearray()
    for name, wave in zip(WAVES, (ecg, resp, pleth, p1, p2)):
        points = WAVES[name][1]
        if len(wave) > points or any(not 0 <= b <= PAD for b in wave):
            raise ValueError(f"{name} wave must be at most {points} bytes of 0..0xFB")
        block += bytes(wave) + bytes([PAD]) * (points - len(wave))
    text = bytearray()
    for line in lines:
        if "\r" in line or not line.isascii():
            raise ValueError(f"line {line!r} is not one ASCII line")
        text += line.encode("ascii") + b"\r"
    return bytes([START]) + MAGIC + bytes(block) + bytes(text) + bytes([END])


class Ivy450cParser(Parser):
    """Parser of the ANSAR-B stream: SpO2, pulse rate, resp rate and 50 pleth points a second, NIBP on change.

    Pleth points of a message are timed over the second before its receive time,
    50 Hz, the last one at t.
    """

    waveform_rate = PLETH_RATE

    def __init__(self, source: str = "pulseox") -> None:
        super().__init__(source)
        self._state = _State.SEEK
        self._buf = bytearray()
        self._last_nibp: NibpKey | None = None  # the NIBP line of the last message
        self._reported_nibp: NibpKey | None = None  # the measurement last reported

    def parse(self, data: bytes, t: float) -> list[DeviceItem]:
        out: list[DeviceItem] = []
        for byte in data:
            if byte == START:
                if self._state in (_State.WAVE, _State.TEXT):
                    self.errors["short message"] += 1
                elif self._state is _State.HEADER:
                    self.errors["bad header"] += 1
                self._state, self._buf = _State.HEADER, bytearray()
            elif self._state is _State.SEEK:
                self.errors["garbage byte"] += 1
            elif self._state is _State.HEADER:
                if byte == MAGIC[len(self._buf)]:
                    self._buf.append(byte)
                    if len(self._buf) == len(MAGIC):
                        self._state, self._buf = _State.WAVE, bytearray()
                else:
                    self.errors["bad header"] += 1
                    self._state = _State.SEEK
            elif self._state is _State.WAVE:
                self._buf.append(byte)
                if len(self._buf) == WAVE_BYTES:
                    self._state = _State.TEXT
            elif byte == END:
                self._framed(len(self._buf) + len(MAGIC) + 2)  # FF, magic, waves and lines, FE
                out.extend(self._message(bytes(self._buf[:WAVE_BYTES]), bytes(self._buf[WAVE_BYTES:]), t))
                self._state, self._buf = _State.SEEK, bytearray()
            else:
                self._buf.append(byte)
                if len(self._buf) > WAVE_BYTES + MAX_TEXT:
                    self.errors["overlong message"] += 1
                    self._state, self._buf = _State.SEEK, bytearray()
        return out

    def _message(self, wave: bytes, text: bytes, t: float) -> list[DeviceItem]:
        """Decode one whole message: lines by name, then the pleth points."""
        *lines, tail = text.split(b"\r")
        if tail.strip(b"\n"):
            self.errors["unterminated line"] += 1
        found: dict[str, list[str]] = {}
        for raw in lines:
            raw = raw.strip(b"\n")
            if len(raw) > MAX_LINE:
                self.errors["overlong line"] += 1
                continue
            fields = raw.decode("ascii", errors="replace").split(";")
            name = fields[0].partition("=")[0].strip().upper()
            if name:
                found[name] = fields
        alarms: list[str] = []
        values: list[tuple[Param, float | None]] = []
        if "SPO2" in found:
            fields = found["SPO2"]
            label, eq, pr = _at(fields, 2).partition("=")
            if not eq or label.strip().upper() != "PR":
                self.errors["bad SPO2"] += 1
            values += [(Param.SPO2, self._number("SPO2", _at(fields, 1))),
                       (Param.PULSE_RATE, self._number("SPO2", pr if eq else ""))]
            alarms += _alarm("SPO2", _at(fields, 3))
        if "HR" in found:
            values.append((Param.HEART_RATE, self._number("HR", _at(found["HR"], 1))))
        if "RR" in found:
            fields = found["RR"]
            values.append((Param.RESP_RATE, self._number("RR", _at(fields, 1))))
            alarms += _alarm("RR", _at(fields, 3))
        if "NIBP" in found:
            alarms += _alarm("NIBP", _at(found["NIBP"], 6))
        now = {Condition.DEVICE_ALARM: "; ".join(alarms)} if alarms else {}
        out: list[DeviceItem] = list(self.conditions.update(t, now))
        out.extend(sample(t, self.source, param, value) for param, value in values)
        if "NIBP" in found:
            out.extend(self._nibp(found["NIBP"], t))
        out.extend(self._pleth(wave, t))
        return out

    def _pleth(self, wave: bytes, t: float) -> list[DeviceItem]:
        """Return the message's 50 pleth samples as one segment ending at t (padding is no value)."""
        first, points = WAVES["pleth"]
        values = []
        for byte in wave[first:first + points]:
            if byte > PAD:
                self.errors["bad wave byte"] += 1
            values.append(float(byte - PLETH_OFFSET) if byte < PAD else NAN)
        return [WaveSegment(t, self.source, Param.PLETH.value, tuple(values), PLETH_RATE)]

    def _nibp(self, fields: list[str], t: float) -> list[DeviceItem]:
        """Report a measurement once two messages in a row carry it and it differs from the last one reported.

        A line of empty values reports none. The first measurement reported
        after (re)connecting has an unknown age: the monitor shows its last one.
        """
        nibp = Nibp(
            counter=fields[0].partition("=")[2].strip(),
            sbp=self._number("NIBP", _at(fields, 1)),
            dbp=self._number("NIBP", _at(fields, 2)),
            map=self._number("NIBP", _at(fields, 3)),
            pulse_rate=self._number("NIBP", _at(fields, 4)),
            label=_at(fields, 5).strip(),
        )
        out: list[DeviceItem] = []
        key = (nibp.counter, nibp.sbp, nibp.dbp, nibp.map, nibp.pulse_rate)  # not the label: same measurement
        previous, self._last_nibp = self._last_nibp, key
        if key != previous or key == self._reported_nibp or (nibp.sbp is None and nibp.dbp is None and nibp.map is None):
            return out
        first, self._reported_nibp = self._reported_nibp is None, key
        flags = AGE_UNKNOWN if first else frozenset()
        out.append(NibpResult(t, self.source, nibp.sbp, nibp.dbp, nibp.map, nibp.pulse_rate, flags=flags))
        for param, value in ((Param.SBP, nibp.sbp), (Param.DBP, nibp.dbp), (Param.MAP, nibp.map),
                             (Param.NIBP_PULSE_RATE, nibp.pulse_rate)):
            out.append(sample(t, self.source, param, value, flags if value is not None else frozenset()))
        return out

    def _number(self, line: str, text: str) -> float | None:
        """Return a field's number; empty is None, unreadable is None and counted (the gate judges the range)."""
        text = text.strip()
        if not text:
            return None
        if not _NUMBER.fullmatch(text):
            self.errors[f"bad {line}"] += 1
            return None
        return float(text)


def _at(fields: list[str], i: int) -> str:
    """Return field i of a line, "" if the line is shorter (a missing field is an empty one)."""
    return fields[i] if i < len(fields) else ""


def _alarm(name: str, text: str) -> list[str]:
    """Return the device's alarm text of a line as detail words, none if the field is empty."""
    text = text.strip()
    return [f"{name}: {text}"] if text else []


def _beat(phase: float) -> float:
    """Return a pleth value 0..1 at beat phase 0..1: quick upstroke, slower fall."""
    return math.exp(-((phase - 0.2) / 0.12) ** 2) + 0.3 * math.exp(-((phase - 0.5) / 0.1) ** 2)


class Ivy450cSimulator(DeviceSimulator):
    """An Ivy 450C sending one ANSAR-B message a second with SpO2, pulse, RR, pleth and NIBP.

    Only a pulse oximeter, an NIBP cuff and RR are "connected": ECG, P1 and P2 are
    padding and the HR field is empty. A new NIBP measurement is taken at the
    first message of every NIBP_INTERVAL of scenario time, its counter counting up.
    """

    settings = SETTINGS
    frame_interval = 1.0
    NIBP_INTERVAL = 300.0  # s

    def __init__(self) -> None:
        self._slot: int | None = None
        self._nibp = Nibp()

    def frame(self, v: Vitals) -> bytes:
        blank = v.probe_off or v.searching
        slot = int(v.t // self.NIBP_INTERVAL)
        if slot != self._slot:
            self._slot = slot
            pulse = None if "nibp_pulse_rate" in v.invalid or v.ecg_rate is None else round(v.ecg_rate)
            self._nibp = Nibp(str(slot + 1), round(v.sbp), round(v.dbp), round(v.map), pulse)
        lines = [
            hr_line(None),
            spo2_line(None if blank else v.spo2, None if blank else v.pulse_rate),
            rr_line(v.resp_rate),
            nibp_line(self._nibp),
        ]
        points = WAVES["pleth"][1]
        if blank or not v.pulse_rate:
            pleth = pleth_bytes([None] * points)
        else:
            beats = v.pulse_rate / 60.0  # per s
            pleth = pleth_bytes([100 * _beat(((v.t - (points - 1 - i) / PLETH_RATE) * beats) % 1.0) for i in range(points)])
        return encode_message(lines, pleth=pleth)


ENCODER = Encoder(
    ranges={name: (0, 9999, 1) for name in ("spo2", "pulse_rate", "heart_rate", "resp_rate", "sbp", "dbp", "map",
                                            "nibp_pulse_rate")},  # up to four digits a field
    encode=lambda v: 2 * encode_message([  # a BP line counts once a second message repeats it
        hr_line(v["heart_rate"]), spo2_line(v["spo2"], v["pulse_rate"]), rr_line(v["resp_rate"]),
        nibp_line(Nibp("1", v["sbp"], v["dbp"], v["map"], v["nibp_pulse_rate"]))], pleth=pleth_bytes([40.0] * 50)),
)

SPEC = ProtocolSpec(
    name="ivy450c",
    title="Ivy 450C monitor (CPC ANSAR-B output, read only)",
    roles=frozenset({"pulseox", "nibp"}),
    settings=SETTINGS,
    parser=Ivy450cParser,
    simulator=Ivy450cSimulator,
    encoder=ENCODER,
    byte_rate=480.0,  # one message of about 480 bytes
)
