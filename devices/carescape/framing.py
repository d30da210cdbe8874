"""The DRI serial line: 19200 baud 8E1 with RTS/CTS, frames `7E | record | checksum | 7E`.

Between the flags every 7E is sent as `7D 5E` and every 7D as `7D 5D`, the
checksum byte included (VSCapture forgets to escape it). The checksum is the
sum of the unescaped record bytes modulo 256 (VSCapture sums the escaped
ones). A receiver takes the byte after a 7D with bit 5 set.
"""

from __future__ import annotations

from collections import Counter

import serial

from devices.base import SerialSettings

SETTINGS = SerialSettings(baudrate=19200, parity=serial.PARITY_EVEN, rtscts=True)
FLAG = 0x7E
ESCAPE = 0x7D
BIT5 = 0x20
#: Longest record a monitor sends: a 40-byte header and 1450 bytes of data, plus the checksum.
MAX_FRAME = 40 + 1450 + 1

_ESCAPES = {FLAG: bytes((ESCAPE, FLAG ^ BIT5)), ESCAPE: bytes((ESCAPE, ESCAPE ^ BIT5))}


def checksum(record: bytes) -> int:
    """Return the DRI checksum of an unescaped record: the sum of its bytes mod 256."""
    return sum(record) & 0xFF


def escape(data: bytes) -> bytes:
    """Return data with every 7E and 7D replaced by its two-byte escape."""
    if FLAG not in data and ESCAPE not in data:
        return bytes(data)
    return b"".join(_ESCAPES.get(b, bytes((b,))) for b in data)


def encode_frame(record: bytes) -> bytes:
    """Return the wire bytes of one record: flag, escaped record and checksum, flag."""
    return bytes((FLAG,)) + escape(record + bytes((checksum(record),))) + bytes((FLAG,))


class FrameDecoder:
    """Splits a byte stream into checked records; counts what it had to throw away.

    Bytes before the first flag are the end of a frame whose start was missed
    (the stream started mid-frame) and are dropped as one "partial frame".
    A frame whose checksum fails is dropped and counted ("checksum"); so is
    one too short to hold a checksum and a record header ("short frame"), one
    longer than any record ("overlong frame") and one cut by an escape
    followed by a flag ("bad escape"). Two flags in a row (end flag of one
    frame, start flag of the next) are not an error. Counts go to `errors`,
    which the owner empties into its own.
    """

    def __init__(self, min_record: int = 40) -> None:
        self.errors: Counter[str] = Counter()
        self.min_record = min_record
        self._buf = bytearray()
        self._synced = False  # a flag has been seen: _buf holds the frame in progress
        self._junk = False  # bytes seen before the first flag
        self._escaped = False  # the last byte was 7D
        self._dropping = False  # inside an overlong frame: skip to the next flag

    def feed(self, data: bytes) -> list[bytes]:
        """Consume bytes; return the records (without checksum) completed by them."""
        records: list[bytes] = []
        start, n = 0, len(data)
        while start < n:
            flag = data.find(FLAG, start)
            end = n if flag < 0 else flag
            if not self._synced:
                self._junk |= end > start
            elif not self._dropping:
                self._append(data[start:end])
            if flag < 0:
                break
            if self._synced:
                record = self._close()
                if record is not None:
                    records.append(record)
            elif self._junk:
                self.errors["partial frame"] += 1
            self._synced, self._dropping, self._escaped = True, False, False
            self._buf.clear()
            start = flag + 1
        return records

    def _append(self, chunk: bytes) -> None:
        """Unescape a run of bytes without flags into the frame in progress."""
        buf = self._buf
        i, n = 0, len(chunk)
        while i < n:
            if self._escaped:
                buf.append(chunk[i] | BIT5)
                self._escaped = False
                i += 1
                continue
            j = chunk.find(ESCAPE, i)
            if j < 0:
                buf += chunk[i:]
                break
            buf += chunk[i:j]
            self._escaped = True
            i = j + 1
        if len(buf) > MAX_FRAME:
            self.errors["overlong frame"] += 1
            self._dropping = True
            buf.clear()

    def _close(self) -> bytes | None:
        """Check the frame that a flag just ended; return its record or None."""
        buf = self._buf
        if self._escaped:
            self.errors["bad escape"] += 1
            return None
        if not buf:
            return None
        if len(buf) < self.min_record + 1:
            self.errors["short frame"] += 1
            return None
        record, chk = bytes(buf[:-1]), buf[-1]
        if checksum(record) != chk:
            self.errors["checksum"] += 1
            return None
        return record
