"""Masimo Radical-7 / Rad-8 / Rad-97 ASCII serial output: one text line per second, 9600 8N1.

A line is `MM/dd/yy HH:mm:ss` (the device's wall clock, no zone) followed by
space-separated `NAME=value` fields whose set and order vary by model and
firmware, so fields are read by name and unknown ones ignored. Invalid values
are dashes at the field's width (`---`, `--.--`, `+--`); they become value
None, never a number. The EXC bitmask carries the technical conditions (probe
off, pulse search, interference, ...), ALARM an opaque device alarm bitmask.

There is no checksum. A record counts only whole and well-formed: from its
date stamp to the line end, every token `NAME=VALUE` of printable characters,
and every field this parser reads (SPO2, BPM, PI, EXC, ALARM, SN) in its
format; otherwise nothing of it is used and it is counted ("malformed line"
and the field's own count). One corrupted byte on a noisy line (1 in ~300,
so about one line in three) thus drops its line unless it turned a digit
into another digit. Random bytes never form a date stamp and NAME=VALUE
fields, and the stream's first line, cut by the connection, has no date at
its start: so one well-formed line is enough to trust the stream, where the
binary protocols need a FrameLock. What a digit-for-digit error leaves (SpO2
37 amid 97) is caught by the consistency check every parser's values go
through (devices.plausibility.Consistency): a reading no neighbour confirms is
questionable, which also covers the first line of a stream as a lock of two
lines would, without dropping its values.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from devices.base import Encoder, Parser, SerialSettings
from devices.registry import ProtocolSpec
from devices.sim.device import DeviceSimulator
from devices.sim.physiology import Vitals
from devices.values import VALUE_BLOCKING, Condition, DeviceInfo, DeviceItem, Param, sample

SETTINGS = SerialSettings(baudrate=9600)
MODEL = "Masimo"
MAX_LINE = 512  # bytes; the longest line seen is under 200

#: EXC bit -> (condition, the bit in words). 0x800 (SET mode) is informational only.
EXC_BITS: dict[int, tuple[Condition, str]] = {
    0x001: (Condition.PROBE_OFF, "no sensor"),
    0x002: (Condition.SENSOR_FAULT, "defective sensor"),
    0x004: (Condition.LOW_PERFUSION, "low perfusion"),
    0x008: (Condition.SEARCHING, "pulse search"),
    0x010: (Condition.ARTIFACT, "interference"),
    0x020: (Condition.PROBE_OFF, "sensor off"),
    0x040: (Condition.ARTIFACT, "ambient light"),
    0x080: (Condition.SENSOR_FAULT, "unrecognised sensor"),
    0x400: (Condition.LOW_PERFUSION, "low signal IQ"),
}
EXC_SET_MODE = 0x800
EXC_PULSE_SEARCH = 0x008
EXC_INTERFERENCE = 0x010
EXC_SENSOR_OFF = 0x020
EXC_CONDITIONS = frozenset(cond for cond, _ in EXC_BITS.values())
ALARM_CONDITIONS = frozenset({Condition.DEVICE_ALARM})
#: Conditions that leave the numbers shown but flag them (flag words as in Sample).
QUESTIONABLE = {Condition.ARTIFACT: "artifact", Condition.LOW_PERFUSION: "low_perfusion"}

#: Field name -> (parameter, plausible range); values outside are counted and dropped to None.
NUMERIC_FIELDS: dict[str, tuple[Param, float, float]] = {
    "SPO2": (Param.SPO2, 0.0, 100.0),  # %
    "BPM": (Param.PULSE_RATE, 0.0, 400.0),  # /min
    "PI": (Param.PERFUSION_INDEX, 0.0, 100.0),  # %
}

_DATE = re.compile(r"(\d\d)/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d)")
_NUMBER = re.compile(r"(\d+(?:\.\d+)?)%?")
_DASHES = re.compile(r"\+?-+(?:\.-+)?%?")
_HEX = re.compile(r"[0-9A-Fa-f]{1,8}")
_SERIAL = re.compile(r"[0-9A-Za-z]+")
_TOKEN = re.compile(r"([0-9A-Za-z]+)=([\x21-\x7e]*)")  # NAME=VALUE, printable ASCII
#: Fields read here -> the format their value must have for the line to count.
_FORMATS: dict[str, tuple[re.Pattern[str], ...]] = {
    **{name: (_NUMBER, _DASHES) for name in ("SPO2", "BPM", "PI")},
    "EXC": (_HEX,), "ALARM": (_HEX,), "SN": (_SERIAL, _DASHES),
}


def format_number(value: float | None, digits: int, decimals: int = 0, percent: bool = False) -> str:
    """Return value zero-padded to `digits` integer digits and `decimals` decimals, dashes if None.

    Raises ValueError for a negative value or one too wide for the field, which
    the device could not send either.
    """
    if value is None:
        text = "-" * digits + ("." + "-" * decimals if decimals else "")
    else:
        width = digits + (decimals + 1 if decimals else 0)
        text = f"{value:0{width}.{decimals}f}"
        if value < 0 or len(text) > width:
            raise ValueError(f"{value} does not fit {digits}.{decimals} digits")
    return text + ("%" if percent else "")


def radical7_fields(spo2: float | None, pulse_rate: float | None, perfusion_index: float | None,
                    serial: str = "", exc: int = 0, alarm: int = 0) -> dict[str, str]:
    """Return the fields of a Radical-7 line (SpO2 %, pulse /min, PI %) in the order and widths seen."""
    return {
        "SN": serial or "-" * 10,
        "SPO2": format_number(spo2, 3, percent=True),
        "BPM": format_number(pulse_rate, 3),
        "PI": format_number(perfusion_index, 2, 2, percent=True),
        "SPCO": "--.-%",
        "SPMET": "--.-%",
        "DESAT": "--",
        "PIDELTA": "+--",
        "ALARM": f"{alarm:04X}",
        "EXC": f"{exc:06X}",
    }


def encode_line(when: datetime, fields: dict[str, str]) -> bytes:
    """Return one output line: `when`'s wall clock (its zone is not sent), the fields, CR LF."""
    body = " ".join(f"{name}={value}" for name, value in fields.items())
    return f"{when:%m/%d/%y %H:%M:%S} {body}\r\n".encode("ascii")


def exc_conditions(exc: int) -> dict[Condition, str]:
    """Return the conditions set in an EXC bitmask, each with its bits named in words."""
    words: dict[Condition, list[str]] = {}
    for bit, (cond, word) in EXC_BITS.items():
        if exc & bit:
            words.setdefault(cond, []).append(word)
    return {cond: ", ".join(w) for cond, w in words.items()}


class MasimoParser(Parser):
    """Parser of the Masimo ASCII line output: SpO2, pulse rate and PI once a second.

    tz is the zone the device clock is set to (None: this machine's local zone);
    it turns the line's wall clock into t_dev (UTC epoch s). Two-digit years are 20yy.
    """

    waveform_rate = 0.0

    def __init__(self, source: str = "pulseox", tz: tzinfo | None = None) -> None:
        super().__init__(source)
        self.tz = tz
        self._buf = bytearray()
        self._overlong = False  # dropping the rest of a line that passed MAX_LINE
        self._serial: str | None = None

    def _restart(self) -> None:
        self.__init__(self.source, self.tz)  # type: ignore[misc]

    def parse(self, data: bytes, t: float) -> list[DeviceItem]:
        out: list[DeviceItem] = []
        for byte in data:
            if byte in b"\r\n":
                if self._buf and not self._overlong:
                    out.extend(self._line(self._buf.decode("ascii", errors="replace"), t))
                self._buf.clear()
                self._overlong = False
            elif not self._overlong:
                self._buf.append(byte)
                if len(self._buf) > MAX_LINE:
                    self.errors["overlong line"] += 1
                    self._buf.clear()
                    self._overlong = True
        return out

    def _line(self, line: str, t: float) -> list[DeviceItem]:
        """Decode one line; a lost line end glues records together, so each date stamp starts one."""
        stamps = list(_DATE.finditer(line))
        if not stamps:
            self.errors["no date"] += 1
            return []
        if line[: stamps[0].start()].strip():
            self.errors["garbage before date"] += 1
        out: list[DeviceItem] = []
        for i, m in enumerate(stamps):
            end = stamps[i + 1].start() if i + 1 < len(stamps) else len(line)
            t_dev = self._device_time(m)
            if t_dev is None:
                self.errors["bad date"] += 1
                continue
            self._framed(end - m.start())
            out.extend(self._record(line[m.end():end], t, t_dev))
        return out

    def _device_time(self, m: re.Match[str]) -> float | None:
        month, day, year, hour, minute, second = (int(g) for g in m.groups())
        try:
            return datetime(2000 + year, month, day, hour, minute, second, tzinfo=self.tz).timestamp()
        except ValueError:
            return None

    def _fields(self, body: str) -> dict[str, str] | None:
        """Return the fields of a record by upper-case name; None (counted) if the record is not well-formed."""
        fields: dict[str, str] = {}
        for token in body.split():
            m = _TOKEN.fullmatch(token)
            if m is None:
                self.errors["malformed line"] += 1
                return None
            fields[m.group(1).upper()] = m.group(2)
        for name, formats in _FORMATS.items():
            if name in fields and not any(f.fullmatch(fields[name]) for f in formats):
                self.errors[f"bad {name}"] += 1
                self.errors["malformed line"] += 1
                return None
        return fields

    def _record(self, body: str, t: float, t_dev: float) -> list[DeviceItem]:
        fields = self._fields(body)
        if fields is None:
            return []
        out: list[DeviceItem] = []
        if "SN" in fields:
            out.extend(self._device_info(fields["SN"], t))
        now: dict[Condition, str] = {}
        scope: set[Condition] = set()
        exc = self._hex(fields, "EXC")
        if exc is not None:
            now.update(exc_conditions(exc))
            scope |= EXC_CONDITIONS
        alarm = self._hex(fields, "ALARM")
        if alarm is not None:
            if alarm:
                now[Condition.DEVICE_ALARM] = f"device alarm 0x{alarm:X}"
            scope |= ALARM_CONDITIONS
        out.extend(self.conditions.update(t, now, frozenset(scope)))
        active = self.conditions.active
        blocked = any(c in VALUE_BLOCKING for c in active)
        doubts = [word for cond, word in QUESTIONABLE.items() if cond in active]
        # low perfusion alone marks the values but keeps them able to alarm: a falling SpO2 in a cold,
        # poorly perfused patient must still be heard; motion artifact makes them "questionable"
        flags = frozenset(doubts) | ({"questionable"} if Condition.ARTIFACT in active else set())
        for name, (param, low, high) in NUMERIC_FIELDS.items():
            if name in fields:
                value = None if blocked else self._number(name, fields[name], low, high)
                out.append(sample(t, self.source, param, value, flags if value is not None else frozenset(), t_dev))
        return out

    def _device_info(self, text: str, t: float) -> list[DeviceItem]:
        """Report the serial number when first seen or changed; dashes mean unknown ("")."""
        if _DASHES.fullmatch(text):
            text = ""
        if text == self._serial:
            return []
        self._serial = text
        return [DeviceInfo(t, self.source, model=MODEL, serial_number=text)]

    @staticmethod
    def _hex(fields: dict[str, str], name: str) -> int | None:
        """Return a hex bitmask field (checked by _fields), None if absent (then its conditions stay as they were)."""
        text = fields.get(name)
        return None if text is None else int(text, 16)

    def _number(self, name: str, text: str, low: float, high: float) -> float | None:
        """Return a numeric field (checked by _fields): None for dashes, or out of range (counted)."""
        m = _NUMBER.fullmatch(text)
        if m is None:
            return None
        value = float(m.group(1))
        if not low <= value <= high:
            self.errors[f"{name} out of range"] += 1
            return None
        return value


class MasimoSimulator(DeviceSimulator):
    """A Radical-7 printing one line a second, in SET mode, with a fixed serial number.

    Its clock reads `start` (default: now, local wall clock) plus scenario time;
    an aware `start` makes the lines show that zone's wall clock.
    """

    settings = SETTINGS
    frame_interval = 1.0
    serial_number = "0000012345"

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime.now()
        self._tz = start.tzinfo
        self._t0 = start.timestamp()

    def frame(self, v: Vitals) -> bytes:
        exc = EXC_SET_MODE
        if v.probe_off:
            exc |= EXC_SENSOR_OFF
        if v.searching:
            exc |= EXC_PULSE_SEARCH
        if v.artifact:
            exc |= EXC_INTERFERENCE
        blank = v.probe_off or v.searching
        fields = radical7_fields(
            None if blank or v.spo2 is None else round(v.spo2),
            None if blank or v.pulse_rate is None else round(v.pulse_rate),
            None if blank else v.perfusion_index,
            serial=self.serial_number,
            exc=exc,
        )
        return encode_line(datetime.fromtimestamp(self._t0 + v.t, self._tz), fields)


ENCODER = Encoder(
    ranges={"spo2": (0, 999, 1), "pulse_rate": (0, 999, 1), "perfusion_index": (0, 99.99, 0.01)},  # field widths
    encode=lambda v: encode_line(datetime(2026, 1, 2, 3, 4, 5), radical7_fields(
        v["spo2"], v["pulse_rate"], v["perfusion_index"], serial="0000056661", exc=EXC_SET_MODE)),
)

SPEC = ProtocolSpec(
    name="masimo-ascii",
    title="Masimo Radical-7 / Rad-8 / Rad-97 (ASCII serial output)",
    roles=frozenset({"pulseox"}),
    settings=SETTINGS,
    parser=MasimoParser,
    simulator=MasimoSimulator,
    encoder=ENCODER,
    byte_rate=127.0,  # one line of about 127 bytes
)
