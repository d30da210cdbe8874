"""Host requests: displayed values every N seconds, and continuous waveforms.

Layouts as VSCapture `RequestTransfer` / `RequestWaveTransfer` and pycollect
`request_transfer` / `request_multiple_wave_transfer` build them: a header
with one subrecord of type 0 at offset 0, then
- physiological (maintype 0, r_len 49): phdb_rcrd_type u8 (1 displayed
  values), tx_interval i16 (s; 0 stops, -1 sends once), phdb_class_bf u32
  (0x0E = basic, ext1, ext2 and ext3; 0 when stopping), reserved i16;
- waveform (maintype 1, r_len 72): req_type i16 (0 start, 1 stop), reserved
  i16, 8 wave codes ended by 0xFF, 20 reserved bytes.
r_time and r_dri_level are 0: the monitor ignores them in a request.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Sequence

from devices.carescape.framing import encode_frame
from devices.carescape.header import END_OF_LIST, HEADER_LEN, MT_PHDB, MT_WAVE, Header, encode_record

PHDB_REQUEST = struct.Struct("<BhIh")  # 9 bytes
WAVE_REQUEST = struct.Struct("<hh8s20s")  # 32 bytes
REQUEST_SUBRECORD = 0  # sr_type of a transmission request (DRI_PH_XMIT_REQ, DRI_WF_CMD)

PH_DISPL = 1  # displayed values
CLASSES_ALL = 0x0E  # basic (0x00) | ext1 (0x02) | ext2 (0x04) | ext3 (0x08)
SEND_ONCE = -1  # tx_interval: one record, no transmission left running

WF_START = 0
WF_STOP = 1
WAVE_ECG1, WAVE_PLETH, WAVE_CO2, WAVE_RESP = 1, 8, 9, 15


@dataclass(frozen=True)
class PhdbRequest:
    """A request for physiological records: which kind, how often (s), which classes."""

    record_type: int
    interval: int
    classes: int


@dataclass(frozen=True)
class WaveRequest:
    """A request to start or stop waveforms (codes such as WAVE_PLETH)."""

    req_type: int
    codes: tuple[int, ...]


def phdb_request(interval_s: int, record_type: int = PH_DISPL) -> bytes:
    """Return the frame asking for displayed values every interval_s seconds (0 stops, -1 once)."""
    body = PHDB_REQUEST.pack(record_type, interval_s, CLASSES_ALL if interval_s else 0, 0)
    return encode_frame(encode_record(MT_PHDB, [(REQUEST_SUBRECORD, body)]))


def wave_request(codes: Sequence[int], start: bool = True) -> bytes:
    """Return the frame starting (or stopping) continuous waveforms; at most 8 codes."""
    if len(codes) > 8:
        raise ValueError("at most 8 waveforms can be requested")
    types = bytes(codes) + (bytes((END_OF_LIST,)) if len(codes) < 8 else b"")
    body = WAVE_REQUEST.pack(WF_START if start else WF_STOP, 0, types.ljust(8, b"\x00"), bytes(20))
    return encode_frame(encode_record(MT_WAVE, [(REQUEST_SUBRECORD, body)]))


def decode_request(header: Header, record: bytes) -> PhdbRequest | WaveRequest | None:
    """Return the request a host record holds, None if it holds none (the monitor's side)."""
    if not header.subrecords or header.subrecords[0][1] != REQUEST_SUBRECORD:
        return None
    at = HEADER_LEN + header.subrecords[0][0]
    if header.maintype == MT_PHDB and len(record) >= at + PHDB_REQUEST.size:
        record_type, interval, classes, _ = PHDB_REQUEST.unpack_from(record, at)
        return PhdbRequest(record_type, interval, classes)
    if header.maintype == MT_WAVE and len(record) >= at + WAVE_REQUEST.size:
        req_type, _, types, _ = WAVE_REQUEST.unpack_from(record, at)
        end = types.find(END_OF_LIST)
        return WaveRequest(req_type, tuple(types if end < 0 else types[:end]))
    return None
