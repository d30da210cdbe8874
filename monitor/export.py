"""Export of a stored session (CSV of numerics, long format, as in ARCHITECTURE.md)."""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from typing import TextIO

from monitor.session_record import SessionMeta, SessionSource

CSV_HEADER = ("time_utc", "source", "parameter", "value", "unit")


def iso_utc(t: float) -> str:
    """Format UTC epoch seconds as ISO 8601 with milliseconds and Z."""
    return datetime.fromtimestamp(t, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def format_value(value: float | None) -> str:
    """Write a number without float noise (97.0 -> '97', 3.6000001 -> '3.6'); None -> ''."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


def write_csv(source: SessionSource, meta: SessionMeta, out: TextIO) -> int:
    """Write the session's numerics in time order; an empty value means the device sent no value. Returns rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    count = 0
    for row in source.numerics(meta):
        writer.writerow((iso_utc(row.t), row.source, row.parameter, format_value(row.value), row.unit))
        count += 1
    return count

