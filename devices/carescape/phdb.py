"""Physiological subrecords (278 bytes each) and the fields read from the basic class.

A physiological record holds one subrecord per requested class, each
`time u32 | class block (270 bytes) | marker u8 | reserved u8 | cl_drilvl_subt u16`;
bits 8-11 of cl_drilvl_subt say which class the block is (0 basic, 1 ext1,
2 ext2, 3 ext3). In the basic block every parameter group starts with a
6-byte {status u32, label u16} header. Offsets and units read here:
ECG heart rate at 6 (/min), impedance respiration rate at 14 (/min);
NIBP label at 76 (bit 5 measuring, bit 8 value older than 60 s, as pycollect
reads it), sys/dia/mean at 78/80/82 (0.01 mmHg), pulse rate at 84 (/min);
SpO2 at 124 (0.01 %), pulse rate at 126 (/min); CO2 et/rr/ambient pressure at
138/142/144 (et 0.01 %, rr /min, ambient pressure 0.1 mmHg).
"""

from __future__ import annotations

import struct
from dataclasses import astuple, dataclass, fields

from devices.carescape.header import INVALID

SUBRECORD_LEN = 278
CLASS_LEN = 270
SUBRECORD_TAIL = struct.Struct("<BBH")  # marker, reserved, cl_drilvl_subt
CLASS_BASIC, CLASS_EXT1, CLASS_EXT2, CLASS_EXT3 = 0, 1, 2, 3

NIBP_MEASURING = 1 << 5  # bit of the NIBP group label
NIBP_OLD = 1 << 8  # the NIBP value is older than 60 s


@dataclass(frozen=True)
class Basic:
    """The basic-class fields used here, as the raw 16-bit wire numbers (markers included)."""

    ecg_hr: int = INVALID
    ecg_imp_rr: int = INVALID
    nibp_label: int = 0
    nibp_sys: int = INVALID
    nibp_dia: int = INVALID
    nibp_mean: int = INVALID
    nibp_hr: int = INVALID
    spo2: int = INVALID
    spo2_pr: int = INVALID
    co2_et: int = INVALID
    co2_rr: int = INVALID
    co2_amb_press: int = INVALID


#: Byte offset and struct code of each Basic field in the 270-byte block, in field order.
_LAYOUT: dict[str, tuple[int, str]] = {
    "ecg_hr": (6, "h"), "ecg_imp_rr": (14, "h"),
    "nibp_label": (76, "H"), "nibp_sys": (78, "h"), "nibp_dia": (80, "h"), "nibp_mean": (82, "h"), "nibp_hr": (84, "h"),
    "spo2": (124, "h"), "spo2_pr": (126, "h"),
    "co2_et": (138, "h"), "co2_rr": (142, "h"), "co2_amb_press": (144, "h"),
}


def _struct() -> struct.Struct:
    """Build one struct reading every Basic field at its offset (padding in between)."""
    fmt, at = "<", 0
    for f in fields(Basic):
        offset, code = _LAYOUT[f.name]
        fmt += f"{offset - at}x{code}" if offset > at else code
        at = offset + 2
    return struct.Struct(fmt)


_BASIC = _struct()


def decode_basic(block: bytes, at: int = 0) -> Basic:
    """Return the Basic fields of the class block starting at byte `at` of block."""
    return Basic(*_BASIC.unpack_from(block, at))


def encode_basic(b: Basic) -> bytes:
    """Return a 270-byte basic class block holding b; the fields not in Basic are zero."""
    block = bytearray(CLASS_LEN)
    _BASIC.pack_into(block, 0, *astuple(b))
    return bytes(block)


def subrecord_class(record: bytes, at: int) -> int:
    """Return the class (bits 8-11 of cl_drilvl_subt) of the subrecord starting at byte `at`."""
    _, _, word = SUBRECORD_TAIL.unpack_from(record, at + 4 + CLASS_LEN)
    return (word >> 8) & 0x0F


def encode_subrecord(time: int, block: bytes, phdb_class: int) -> bytes:
    """Return one 278-byte physiological subrecord (time UTC epoch s, class block, class)."""
    if len(block) != CLASS_LEN:
        raise ValueError(f"a class block is {CLASS_LEN} bytes")
    return struct.pack("<I", time & 0xFFFFFFFF) + block + SUBRECORD_TAIL.pack(0, 0, (phdb_class & 0x0F) << 8)
