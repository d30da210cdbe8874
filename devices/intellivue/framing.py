"""IntelliVue MIB/RS232 frames: `C0 | 11 01 LEN | user data | FCS | C1`, byte-stuffed between the flags.

Between BOF (C0) and EOF (C1) every C0, C1 and 7D is sent as `7D, byte ^ 0x20`,
and that covers the whole frame: header, user data and the FCS (VSCaptureMP
escapes only the user data, so one of its own templates carries a bare C0
inside its FCS; this encoder does not). `7D C1` aborts a frame. The FCS is PPP's
FCS-16 (RFC 1662: reflected CRC-CCITT, polynomial 0x8408, initial 0xFFFF, sent
as its ones' complement, low byte first) over header and user data before
stuffing; over data plus its FCS it leaves the good residue 0xF0B8.
"""

from __future__ import annotations

from collections import Counter

from devices.base import SerialSettings

#: The MIB RS232 line: 115200 8N1, no flow control (19200 on some units: give @19200 on the port).
SETTINGS = SerialSettings(baudrate=115200)

BOF = 0xC0
EOF = 0xC1
ESC = 0x7D
ESC_XOR = 0x20
PROTOCOL_ID = 0x11  # Data Export
MESSAGE_TYPE = 0x01  # association control or data export command
HEADER_LEN = 4
FCS_LEN = 2
GOOD_RESIDUE = 0xF0B8
#: Largest user data accepted (bytes). A monitor's MTU is at most 1456 (what our AARQ offers);
#: anything much longer is a lost EOF, so the decoder drops it instead of growing without bound.
MAX_USER_DATA = 2048


def _fcs_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _fcs_table()


def fcs16(data: bytes, fcs: int = 0xFFFF) -> int:
    """Return the running PPP FCS-16 register after data (not complemented)."""
    for byte in data:
        fcs = (fcs >> 8) ^ _TABLE[(fcs ^ byte) & 0xFF]
    return fcs


def frame_check(data: bytes) -> bytes:
    """Return the two FCS bytes sent after data: ones' complement, low byte first."""
    return (fcs16(data) ^ 0xFFFF).to_bytes(2, "little")


def escape(data: bytes) -> bytes:
    """Return data with every C0, C1 and 7D sent as 7D, byte ^ 0x20."""
    out = bytearray()
    for byte in data:
        if byte in (BOF, EOF, ESC):
            out += bytes((ESC, byte ^ ESC_XOR))
        else:
            out.append(byte)
    return bytes(out)


def wrap(content: bytes) -> bytes:
    """Return content with its FCS, stuffed as a whole, between BOF and EOF."""
    return bytes((BOF,)) + escape(content + frame_check(content)) + bytes((EOF,))


def encode_frame(user_data: bytes) -> bytes:
    """Return the wire bytes of one frame carrying user data (a session or data export PDU)."""
    if len(user_data) > 0xFFFF:
        raise ValueError(f"user data of {len(user_data)} bytes does not fit a frame")
    header = bytes((PROTOCOL_ID, MESSAGE_TYPE)) + len(user_data).to_bytes(2, "big")
    return wrap(header + user_data)


class FrameDecoder:
    """Turns a byte stream into the user data of every good frame; no I/O, never raises.

    Bytes outside a frame are garbage; a BOF inside a frame starts over (the old
    frame was cut); `7D C1` aborts the frame; a frame with a bad FCS, header or
    length is dropped. Each is counted in the `errors` counter passed to feed().
    """

    def __init__(self) -> None:
        self._buf: bytearray | None = None  # unstuffed bytes of the frame in progress; None outside a frame
        self._escaped = False

    def feed(self, data: bytes, errors: Counter[str]) -> list[bytes]:
        """Consume bytes; return the user data of the frames they completed, in order; count what was wrong."""
        out: list[bytes] = []
        for byte in data:
            if byte == BOF:
                if self._buf is not None:
                    errors["cut frame"] += 1
                self._start()
            elif self._buf is None:
                errors["garbage byte"] += 1
            elif self._escaped:
                self._escaped = False
                if byte == EOF:
                    errors["aborted frame"] += 1
                    self._buf = None
                else:
                    self._add(byte ^ ESC_XOR, errors)
            elif byte == ESC:
                self._escaped = True
            elif byte == EOF:
                frame, self._buf = bytes(self._buf), None
                user = _check(frame, errors)
                if user is not None:
                    out.append(user)
            else:
                self._add(byte, errors)
        return out

    def _start(self) -> None:
        self._buf = bytearray()
        self._escaped = False

    def _add(self, byte: int, errors: Counter[str]) -> None:
        assert self._buf is not None
        self._buf.append(byte)
        if len(self._buf) > HEADER_LEN + MAX_USER_DATA + FCS_LEN:
            errors["overlong frame"] += 1
            self._buf = None


def _check(frame: bytes, errors: Counter[str]) -> bytes | None:
    """Return the user data of a complete unstuffed frame, or None (counted) if it is not good."""
    if len(frame) < HEADER_LEN + FCS_LEN:
        errors["short frame"] += 1
        return None
    if fcs16(frame) != GOOD_RESIDUE:
        errors["checksum"] += 1
        return None
    if frame[0] != PROTOCOL_ID or frame[1] != MESSAGE_TYPE:
        errors["bad frame header"] += 1
        return None
    user = frame[HEADER_LEN:-FCS_LEN]
    if int.from_bytes(frame[2:4], "big") != len(user):
        errors["bad frame length"] += 1
        return None
    return user
