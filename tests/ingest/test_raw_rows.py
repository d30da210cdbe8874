"""The raw capture an import keeps: rows cut from the parsed slices are the rows of the file read again."""

from __future__ import annotations

import random

import pytest

from monitor.ingest.raw_rows import RAW_CHUNK_S, RawRows

START, RATE = 1_750_000_000.0, 1234.5  # a rate whose row size (1234 bytes) no slice size divides


def file_rows(data: bytes) -> list[tuple[float, bytes]]:
    """Return the rows as reading the file in RAW_CHUNK_S slices gives them (what the import stored before)."""
    size, done, out = int(RATE * RAW_CHUNK_S), 0, []
    while done < len(data):
        piece = data[done:done + size]
        done += len(piece)
        out.append((START + done / RATE, piece))
    return out


@pytest.mark.parametrize("slice_size", [1, 308, 1234, 5000])
def test_rows_cut_from_slices_are_the_files_rows_whatever_the_slice_size(slice_size):
    data = random.Random(slice_size).randbytes(20_000)
    rows = RawRows(START, RATE)
    got = []
    for at in range(0, len(data), slice_size):
        rows.add(data[at:at + slice_size])
        got += rows.ready(START + (at + slice_size) / RATE, lambda t: t, (0.0, float("inf")))
    got += rows.rest(lambda t: t, (0.0, float("inf")))
    assert got == file_rows(data)


def test_a_row_waits_for_the_slices_up_to_its_end_and_for_the_span_and_the_rest_is_kept_at_its_edges():
    data = bytes(range(256)) * 20  # 5120 bytes: 4 whole rows and a short one
    rows = RawRows(START, RATE)
    rows.add(data)
    ends = [t for t, _ in file_rows(data)]
    assert rows.ready(ends[1], lambda t: t + 10.0, None) == []  # no item yet: no span to keep the rows in
    assert rows.ready(ends[1], lambda t: t + 10.0, (ends[1] + 10.0, ends[3] + 10.0)) == [
        (ends[1] + 10.0, data[1234:2468])]  # only the row timed within the span; the first is before it
    assert rows.ready(ends[2], lambda t: t + 10.0, (ends[1] + 10.0, ends[3] + 10.0)) == [
        (ends[2] + 10.0, data[2468:3702])]  # timed once the slices up to its end were placed
    span = (ends[1] + 10.0, ends[3] + 10.0)
    assert rows.rest(lambda t: t + 10.0, span) == [(span[0], data[:1234]), (ends[3] + 10.0, data[3702:4936]),
                                                   (span[1], data[4936:])]
