"""Waveform subrecords: `act_len i16 | status u16 | reserved u16 | act_len samples i16`.

A waveform record holds one subrecord per requested wave, its sr_type the
wave code (8 = pleth). The pleth runs at 100 Hz, in 0.01 % of its scale; a
sample at or below -32001 is a marker (no sample).
"""

from __future__ import annotations

import struct
from array import array
from sys import byteorder
from typing import Sequence

WAVE_HEAD = struct.Struct("<hHH")
PLETH_RATE = 100.0  # Hz


def encode_wave(samples: Sequence[int], status: int = 0) -> bytes:
    """Return one waveform subrecord holding samples (16-bit device units)."""
    data = array("h", samples)
    if byteorder == "big":
        data.byteswap()
    return WAVE_HEAD.pack(len(samples), status, 0) + data.tobytes()


def decode_wave(record: bytes, at: int) -> array:
    """Return the samples of the waveform subrecord starting at byte `at` (ValueError if cut short)."""
    if at + WAVE_HEAD.size > len(record):
        raise ValueError("waveform subrecord outside the record")
    count, _, _ = WAVE_HEAD.unpack_from(record, at)
    start = at + WAVE_HEAD.size
    end = start + 2 * count
    if count < 0 or end > len(record):
        raise ValueError("waveform samples outside the record")
    samples = array("h", record[start:end])
    if byteorder == "big":
        samples.byteswap()
    return samples
