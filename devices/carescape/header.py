"""The DRI record: a 40-byte header (little-endian, packed) and up to 8 subrecords.

Header: r_len i16 (header plus data, without the checksum), r_nbr u8,
r_dri_level u8, plug_id u16, r_time u32 (UTC epoch s), three reserved fields
(u8, u8, u16), r_maintype i16, then 8 subrecord descriptors {sr_offset i16
(from the start of the data, after the header), sr_type u8}; sr_type 0xFF
ends the list. r_len is not relied on: the frame's own length bounds the
subrecords. Values below -32000 in measurement fields are markers, never
values (MARKERS).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

HEADER = struct.Struct("<hBBHIBBHh" + "hB" * 8)
HEADER_LEN = HEADER.size  # 40
MAX_SUBRECORDS = 8
END_OF_LIST = 0xFF

MT_PHDB = 0  # physiological data and its requests
MT_WAVE = 1  # waveforms and their requests
MT_ALARM = 4  # alarms (not used here)

#: DRI interface level (r_dri_level) -> the name the monitors' menus use.
DRI_LEVELS: dict[int, str] = {0x02: "95", 0x03: "97", 0x04: "98", 0x05: "99", 0x06: "2000", 0x07: "2001",
                              0x08: "2003", 0x09: "2005", 0x0A: "2009", 0x0B: "2015"}

#: Values at or below this are markers (the smallest valid value is -32000).
MARKER_MAX = -32001
#: Marker value -> the flag word a Sample carries instead of a number.
MARKERS: dict[int, str] = {
    -32767: "invalid",  # no valid data
    -32766: "not_updated",
    -32765: "discontinuity",  # e.g. during calibration
    -32764: "under_range",
    -32763: "over_range",
    -32762: "not_calibrated",
}
INVALID = -32767


def marker_flag(raw: int) -> str:
    """Return the flag word of a marker value ("marker" for one the specification does not name)."""
    return MARKERS.get(raw, "marker")


@dataclass(frozen=True)
class Header:
    """The fields of a record header that matter; `subrecords` is (offset, type) up to the end of the list."""

    r_len: int
    maintype: int
    subrecords: tuple[tuple[int, int], ...]
    r_time: int = 0
    dri_level: int = 0
    r_nbr: int = 0
    plug_id: int = 0


def encode_record(maintype: int, subrecords: list[tuple[int, bytes]], r_time: int = 0, dri_level: int = 0,
                  r_nbr: int = 0, plug_id: int = 0) -> bytes:
    """Return header and data of a record whose subrecords (type, body) follow each other in order.

    Descriptors after the last one are {0, 0xFF}, then {0, 0}, as the open
    implementations send them. Raises ValueError for more than 8 subrecords.
    """
    if len(subrecords) > MAX_SUBRECORDS:
        raise ValueError(f"a record holds at most {MAX_SUBRECORDS} subrecords")
    descriptors: list[int] = []
    offset = 0
    for sr_type, body in subrecords:
        descriptors += [offset, sr_type]
        offset += len(body)
    for i in range(len(subrecords), MAX_SUBRECORDS):
        descriptors += [0, END_OF_LIST if i == len(subrecords) else 0]
    data = b"".join(body for _, body in subrecords)
    head = HEADER.pack(HEADER_LEN + len(data), r_nbr, dri_level, plug_id, r_time, 0, 0, 0, maintype, *descriptors)
    return head + data


def decode_header(record: bytes) -> Header:
    """Return the header of a record (ValueError if it is shorter than a header)."""
    if len(record) < HEADER_LEN:
        raise ValueError("record shorter than its header")
    f = HEADER.unpack_from(record)
    subrecords = []
    for i in range(MAX_SUBRECORDS):
        offset, sr_type = f[9 + 2 * i], f[10 + 2 * i]
        if sr_type == END_OF_LIST:
            break
        subrecords.append((offset, sr_type))
    return Header(r_len=f[0], r_nbr=f[1], dri_level=f[2], plug_id=f[3], r_time=f[4], maintype=f[8],
                  subrecords=tuple(subrecords))
