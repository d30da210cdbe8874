"""What every export shares: its errors, the progress callback, and how a number is written."""

from __future__ import annotations

from collections.abc import Callable

#: The export formats, here (not in export.run) so the command line lists them without loading the exporters.
FORMATS = ("csv", "json", "pdf", "fhir", "hl7", "edf")

#: progress(done, total): called as an export advances; total is the same for every call of one export.
Progress = Callable[[int, int], None]


class ExportError(Exception):
    """An export that cannot be made (empty session, unwritable path, a refused message); one line for people."""


class EmptySession(ExportError):
    """The session holds nothing to export (it was opened and closed with nothing recorded)."""


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
