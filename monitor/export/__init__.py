"""Export of a stored session in the formats a clinic's record system or a researcher's tools read.

One module per format (csv_bundle, json_record, fhir, hl7, edf); every one reads
the session through a `SessionSource` (never SQL), so the same code exports from
a chair's SQLite file and from the central store. The field libraries
(fhir.resources, python-hl7, pyedflib) are imported inside the functions that use
them, so the chair's monitor never loads them. Every export function takes an
optional `progress(done, total)` callback for long exports (the review window
shows it). Files are written through `monitor.export.files`: readable by the
user only (0600) and atomic, so a failed export leaves no partial file.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

#: progress(done, total): called as an export advances; total is the same for every call of one export.
Progress = Callable[[int, int], None]


class ExportError(Exception):
    """An export that cannot be made (empty session, unwritable path, a refused message); one line for people."""


class EmptySession(ExportError):
    """The session holds nothing to export (it was opened and closed with nothing recorded)."""


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


def tick(progress: Progress | None, done: int, total: int) -> None:
    """Report progress if someone listens."""
    if progress is not None:
        progress(done, total)
