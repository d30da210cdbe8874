"""An imported file kept in its session as raw_bytes rows, cut from the slices the import parses (read once).

A row holds RAW_CHUNK_S of file time (the last row the rest of the file)
and is timed like the items (Timeline.at) at its last byte. That time is
final once the timeline has decided its clock and placed every slice up to
that byte: a parser stamps items with the receive time of the slice that
completed them, so a later re-measure of the device clock starts later. A
timed row is written as soon as its time lies within the span of the items
handed to the recorder so far, where keeping it within the session's span
can no longer move it; the rows left at the end (the bytes after the last
item, or before the first) are kept within the final span, at its edges.
"""

from __future__ import annotations

from collections import deque
from typing import Callable

RAW_CHUNK_S = 1.0  # file time per raw_bytes row

Span = tuple[float, float]


class RawRows:
    """Cuts a file read in slices into rows of RAW_CHUNK_S, and says which are final: (time, bytes) pairs."""

    def __init__(self, start: float, rate: float) -> None:
        self._start, self._rate = start, rate
        self._size = max(1, int(rate * RAW_CHUNK_S))
        self._done = 0  # bytes cut into rows
        self._pieces: list[bytes] = []  # slices taken since the last cut, the first one starting with the rest
        self._cut: deque[tuple[float, bytes]] = deque()  # (file time of the last byte, bytes), not yet timed
        self._timed: list[tuple[float, bytes]] = []  # timed, not yet within the span of the items

    def add(self, data: bytes) -> None:
        """Take the next slice of the file (cut into rows when rows are asked for)."""
        self._pieces.append(data)

    def ready(self, through: float, at: Callable[[float], float], span: Span | None) -> list[tuple[float, bytes]]:
        """Return the rows whose time is final, given that every slice up to file time `through` was placed on a
        decided clock (`at` times a file time) and the items so far span `span`."""
        self._cut_rows(final=False)
        cut, timed = self._cut, self._timed
        while cut and cut[0][0] <= through:
            t, data = cut.popleft()
            timed.append((at(t), data))
        if span is None or not timed:
            return []
        first, last = span
        self._timed = [row for row in timed if not first <= row[0] <= last]
        return [row for row in timed if first <= row[0] <= last] if len(self._timed) < len(timed) else []

    def rest(self, at: Callable[[float], float], span: Span) -> list[tuple[float, bytes]]:
        """Return every row not yet returned once the whole file was parsed, kept within the session's span."""
        self._cut_rows(final=True)
        first, last = span
        rows = self._timed + [(at(t), data) for t, data in self._cut]
        self._timed, self._cut = [], deque()
        return [(min(max(t, first), last), data) for t, data in rows]

    def _cut_rows(self, final: bool) -> None:
        """Cut the slices taken into rows of the row size (and the rest into a last row when final)."""
        data, size, done = b"".join(self._pieces), self._size, self._done
        whole = len(data) - len(data) % size
        for at in range(0, whole, size):
            self._cut.append((self._start + (done + at + size) / self._rate, data[at:at + size]))
        self._done += whole
        rest = data[whole:]
        if final and rest:
            self._done += len(rest)
            self._cut.append((self._start + self._done / self._rate, rest))
            rest = b""
        self._pieces = [rest] if rest else []
