"""MDER value types of the Data Export protocol: big-endian integers, FLOAT, times, labels, observed values.

Every decoder reads from a bounded Reader and raises DecodeError (never an
IndexError) on short or malformed input, so the parser can drop one bad PDU
and go on. Every encoder is the exact inverse, for the simulator and tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Callable, Iterable, TypeVar

from devices.intellivue import codes

T = TypeVar("T")


class DecodeError(ValueError):
    """Bytes that are not the structure they should be."""


class Reader:
    """A cursor over bytes[start:end] that refuses to read past its end."""

    def __init__(self, data: bytes, start: int = 0, end: int | None = None) -> None:
        self.data = data
        self.pos = start
        self.end = len(data) if end is None else end

    @property
    def remaining(self) -> int:
        return self.end - self.pos

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > self.end:
            raise DecodeError(f"needs {n} bytes, {self.remaining} left")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return int.from_bytes(self.take(2), "big")

    def u32(self) -> int:
        return int.from_bytes(self.take(4), "big")

    def sub(self, n: int) -> Reader:
        """Return a reader over the next n bytes and skip them here."""
        start = self.pos
        self.take(n)
        return Reader(self.data, start, start + n)

    def done(self) -> None:
        """Raise DecodeError if bytes are left over (a length that does not match its content)."""
        if self.remaining:
            raise DecodeError(f"{self.remaining} bytes left over")


def u16(value: int) -> bytes:
    return (value & 0xFFFF).to_bytes(2, "big")


def u32(value: int) -> bytes:
    return (value & 0xFFFFFFFF).to_bytes(4, "big")


def counted(items: list[bytes]) -> bytes:
    """Return a list as MDER sends it: count u16, length u16 (bytes), the encoded items."""
    body = b"".join(items)
    return u16(len(items)) + u16(len(body)) + body


def list_items(r: Reader) -> tuple[int, Reader]:
    """Read a list header; return (count, reader over exactly its `length` bytes)."""
    count = r.u16()
    return count, r.sub(r.u16())


def whole(raw: bytes, item: Callable[[Reader], T]) -> T:
    """Return one item read from raw, which it must fill exactly (an attribute value)."""
    r = Reader(raw)
    out = item(r)
    r.done()
    return out


def listed(raw: bytes, item: Callable[[Reader], T]) -> list[T]:
    """Return the items of a counted list that fills raw exactly."""
    count, r = list_items(Reader(raw))
    out = [item(r) for _ in range(count)]
    r.done()
    return out


# --- FLOAT: signed 8-bit exponent, signed 24-bit mantissa, value = m * 10^e ------------------------------
FLOAT_NAN = 0x007FFFFF
FLOAT_NRES = 0x00800000
FLOAT_POS_INF = 0x007FFFFE
FLOAT_NEG_INF = 0x00800002
FLOAT_RESERVED = 0x00800001
_MANTISSA_MAX = 0x7FFFFD  # larger magnitudes are the special values


def decode_float(raw: int) -> float:
    """Return the value of a FLOAT; NaN for NaN, NRes and reserved, +/-inf for the infinities."""
    mantissa = raw & 0xFFFFFF
    if mantissa in (FLOAT_NAN, FLOAT_NRES, FLOAT_RESERVED):
        return math.nan
    if mantissa == FLOAT_POS_INF:
        return math.inf
    if mantissa == FLOAT_NEG_INF:
        return -math.inf
    if mantissa & 0x800000:
        mantissa -= 0x1000000
    exponent = raw >> 24
    if exponent & 0x80:
        exponent -= 0x100
    return mantissa * 10.0 ** exponent if exponent >= 0 else mantissa / 10.0 ** -exponent


def encode_float(value: float, decimals: int = 2) -> int:
    """Return the FLOAT of value rounded to `decimals` places, with the shortest mantissa (NaN for non-finite)."""
    if math.isnan(value):
        return FLOAT_NAN
    if math.isinf(value):
        return FLOAT_POS_INF if value > 0 else FLOAT_NEG_INF
    mantissa, exponent = round(value * 10 ** decimals), -decimals
    while abs(mantissa) > _MANTISSA_MAX:
        mantissa, exponent = round(mantissa / 10), exponent + 1
    while mantissa and mantissa % 10 == 0 and exponent < 127:
        mantissa, exponent = mantissa // 10, exponent + 1
    if mantissa == 0:
        exponent = 0
    if not -128 <= exponent <= 127:
        raise ValueError(f"{value} does not fit a FLOAT")
    return ((exponent & 0xFF) << 24) | (mantissa & 0xFFFFFF)


# --- times ---------------------------------------------------------------------------------------------------
ABS_TIME_UNSET = b"\xff" * 8


def _bcd(byte: int) -> int:
    hi, lo = byte >> 4, byte & 0x0F
    if hi > 9 or lo > 9:
        raise DecodeError(f"{byte:#04x} is not BCD")
    return hi * 10 + lo


def decode_abs_time(raw: bytes, tz: tzinfo | None = None) -> float | None:
    """Return an AbsoluteTime (8 BCD bytes `cc yy mm dd hh mm ss ff`, wall clock of `tz`) as UTC epoch s.

    None when the monitor left it unset (all 0xFF, as it does where it keeps no
    absolute time). DecodeError when the bytes are not a date. tz None means
    this machine's local zone, where the monitor's clock is normally set.
    """
    if len(raw) != 8:
        raise DecodeError("an absolute time is 8 bytes")
    if raw == ABS_TIME_UNSET:
        return None
    century, year, month, day, hour, minute, second, hundredths = (_bcd(b) for b in raw)
    try:
        when = datetime(century * 100 + year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError as exc:
        raise DecodeError(f"not a date: {raw.hex(' ')} ({exc})") from None
    return when.timestamp() + hundredths / 100.0


def encode_abs_time(t: float | None, tz: tzinfo | None = None) -> bytes:
    """Return the AbsoluteTime of UTC epoch s t on the wall clock of tz (None: unset, all 0xFF)."""
    if t is None:
        return ABS_TIME_UNSET
    when = datetime.fromtimestamp(t, tz)
    fields = (when.year // 100, when.year % 100, when.month, when.day, when.hour, when.minute, when.second,
              when.microsecond // 10000)
    return bytes((v // 10) << 4 | v % 10 for v in fields)


def ticks_to_s(ticks: int) -> float:
    """Return a RelativeTime (125 us ticks) in seconds."""
    return ticks / codes.TICKS_PER_S


def s_to_ticks(seconds: float) -> int:
    """Return seconds as RelativeTime ticks (u32, wrapping as the monitor's clock does)."""
    return round(seconds * codes.TICKS_PER_S) & 0xFFFFFFFF


# --- labels and strings -----------------------------------------------------------------------------------------
def printable(data: bytes) -> str:
    """Return the printable ASCII of a VariableLabel (padding NULs and control bytes dropped), stripped."""
    return "".join(chr(b) for b in data if 0x20 <= b < 0x7F).strip()


def decode_variable_label(r: Reader) -> bytes:
    return r.take(r.u16())


def encode_variable_label(data: bytes) -> bytes:
    """Return a VariableLabel; odd lengths are padded with a NUL as the monitor sends them."""
    if len(data) % 2:
        data += b"\x00"
    return u16(len(data)) + data


def decode_string(raw: bytes) -> str:
    """Return a String attribute (length u16, UTF-16BE) without NULs and the 0xFEFF fill character."""
    text = decode_variable_label(Reader(raw))
    chars = text[: len(text) // 2 * 2].decode("utf-16-be", errors="replace")
    return chars.replace("\x00", "").replace("\ufeff", "").strip()


def encode_string(text: str) -> bytes:
    data = text.encode("utf-16-be") + b"\x00\x00"
    return u16(len(data)) + data


def decode_system_model(raw: bytes) -> tuple[str, str]:
    """Return (manufacturer, model number) of a SystemModel attribute."""
    r = Reader(raw)
    return printable(decode_variable_label(r)), printable(decode_variable_label(r))


def encode_system_model(manufacturer: str, model: str) -> bytes:
    return encode_variable_label(manufacturer.encode("ascii")) + encode_variable_label(model.encode("ascii"))


def decode_system_id(raw: bytes) -> str:
    """Return a system id (a VariableLabel holding the monitor's MAC address) as 00:09:FB:..."""
    return ":".join(f"{b:02X}" for b in whole(raw, decode_variable_label))


@dataclass(frozen=True)
class ProdSpecEntry:
    """One line of a production specification (serial number, part number, revisions)."""

    spec_type: int
    component: int
    text: str


def decode_prod_spec(raw: bytes) -> list[ProdSpecEntry]:
    return listed(raw, lambda r: ProdSpecEntry(r.u16(), r.u16(), printable(decode_variable_label(r))))


def encode_prod_spec(entries: Iterable[ProdSpecEntry]) -> bytes:
    return counted([u16(e.spec_type) + u16(e.component) + encode_variable_label(e.text.encode("ascii"))
                    for e in entries])


def decode_text_id_list(raw: bytes) -> list[int]:
    """Return the labels (TextIds) of a TextIdList such as a priority list."""
    return listed(raw, Reader.u32)


def encode_text_id_list(labels: Iterable[int]) -> bytes:
    return counted([u32(label) for label in labels])


# --- attribute lists (AVAs) ----------------------------------------------------------------------------------------
Attributes = dict[int, bytes]  # attribute id -> raw value


def decode_attributes(r: Reader) -> Attributes:
    """Read an AttributeList: count, length, then (id u16, length u16, value) per attribute."""
    count, body = list_items(r)
    out: Attributes = {}
    for _ in range(count):
        attr_id = body.u16()
        out[attr_id] = body.take(body.u16())
    body.done()
    return out


def encode_attributes(attributes: Iterable[tuple[int, bytes]]) -> bytes:
    return counted([u16(attr_id) + u16(len(value)) + value for attr_id, value in attributes])


# --- observed values ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NuObs:
    """A numeric observed value: physio id (SCADA), measurement state, unit code and FLOAT value."""

    physio_id: int
    state: int
    unit: int
    value: float


def _nu_obs(r: Reader) -> NuObs:
    return NuObs(r.u16(), r.u16(), r.u16(), decode_float(r.u32()))


def decode_nu_obs(raw: bytes) -> NuObs:
    return whole(raw, _nu_obs)


def decode_nu_cmpd(raw: bytes) -> list[NuObs]:
    """Return the observed values of a compound numeric (e.g. NIBP systolic, diastolic, mean)."""
    return listed(raw, _nu_obs)


def encode_nu_obs(physio_id: int, state: int, unit: int, value: float, decimals: int = 2) -> bytes:
    return u16(physio_id) + u16(state) + u16(unit) + u32(encode_float(value, decimals))


@dataclass(frozen=True)
class SaObs:
    """A sample array observed value: physio id, measurement state and the raw sample bytes."""

    physio_id: int
    state: int
    samples: bytes


def _sa_obs(r: Reader) -> SaObs:
    physio, state = r.u16(), r.u16()
    return SaObs(physio, state, decode_variable_label(r))


def decode_sa_obs(raw: bytes) -> SaObs:
    return whole(raw, _sa_obs)


def decode_sa_cmpd(raw: bytes) -> list[SaObs]:
    return listed(raw, _sa_obs)


def encode_sa_obs(physio_id: int, state: int, samples: bytes) -> bytes:
    return u16(physio_id) + u16(state) + u16(len(samples)) + samples


@dataclass(frozen=True)
class SaSpec:
    """How a wave's samples are packed: samples per array, bits per sample, significant bits, flags."""

    array_size: int
    sample_size: int
    significant_bits: int
    flags: int = 0

    def values(self, samples: bytes) -> list[int]:
        """Return the unsigned scaled values in samples (non-significant bits masked off)."""
        if self.sample_size not in (8, 16) or not 0 < self.significant_bits <= self.sample_size:
            raise DecodeError(f"unsupported sample packing {self.sample_size}/{self.significant_bits} bits")
        width = self.sample_size // 8
        if len(samples) % width:
            raise DecodeError(f"{len(samples)} sample bytes are not whole {self.sample_size}-bit samples")
        mask = (1 << self.significant_bits) - 1
        return [int.from_bytes(samples[i:i + width], "big") & mask for i in range(0, len(samples), width)]


def decode_sa_spec(raw: bytes) -> SaSpec:
    return whole(raw, lambda r: SaSpec(r.u16(), r.u8(), r.u8(), r.u16()))


def encode_sa_spec(spec: SaSpec) -> bytes:
    return u16(spec.array_size) + bytes((spec.sample_size, spec.significant_bits)) + u16(spec.flags)


@dataclass(frozen=True)
class Scale:
    """A linear map from scaled sample values to the wave's unit (scale or calibration specification)."""

    lower_absolute: float
    upper_absolute: float
    lower_scaled: int
    upper_scaled: int

    def apply(self, scaled: int) -> float:
        """Return the value in the wave's unit of one scaled sample value (NaN if the scale is degenerate)."""
        span = self.upper_scaled - self.lower_scaled
        if not span or not math.isfinite(self.lower_absolute) or not math.isfinite(self.upper_absolute):
            return math.nan
        return self.lower_absolute + (scaled - self.lower_scaled) * (self.upper_absolute - self.lower_absolute) / span


def decode_scale(raw: bytes) -> Scale:
    """Return the scale of a scale specification (12 bytes) or a calibration specification (16 bytes)."""
    r = Reader(raw)
    out = Scale(decode_float(r.u32()), decode_float(r.u32()), r.u16(), r.u16())
    if r.remaining == 4:  # calibration: increment and calibration type follow
        r.take(4)
    r.done()
    return out


def encode_scale(scale: Scale, decimals: int = 2) -> bytes:
    return (u32(encode_float(scale.lower_absolute, decimals)) + u32(encode_float(scale.upper_absolute, decimals))
            + u16(scale.lower_scaled) + u16(scale.upper_scaled))


def decode_u32(raw: bytes) -> int:
    return whole(raw, Reader.u32)
