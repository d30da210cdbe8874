"""Run an export: pick the format's writer, write atomically and privately, one session or several.

The CLI and the review window call these. The PDF is drawn with Qt, which
monitor/ never imports: the caller passes the PDF renderer in (ui.review.report via
ui.launcher), as the window opener is passed to monitor.cli.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from monitor.export.common import FORMATS, EmptySession, ExportError, Progress
from monitor.export.content import require_content
from monitor.export.files import export_file, export_path, private_files, private_folder
from monitor.storage.sessions import SessionMeta, SessionSource

#: File name ending of each format when the app names the file (several sessions into a folder).
SUFFIXES = {"csv": ".zip", "json": ".json", "pdf": ".pdf", "fhir": ".fhir.json", "hl7": ".hl7", "edf": ".edf"}
PAPERS = ("a4", "letter")

#: renderer(source, meta, path, paper, clinic, progress): writes the PDF report to a file name (ui.review.report.write_pdf).
PdfRenderer = Callable[[SessionSource, SessionMeta, Path, str, str, "Progress | None"], object]


@dataclass(frozen=True)
class Options:
    """Format options: FHIR bundle type, HL7 split and sending facility, PDF paper size, renderer and clinic."""

    bundle: str = "collection"
    split: str = "session"
    facility: str = ""
    paper: str = "a4"
    pdf: PdfRenderer | None = None
    clinic: str = ""


def _text_writer(fmt: str, options: Options) -> Callable[[SessionSource, SessionMeta, TextIO, Progress | None], object]:
    if fmt == "csv":
        from monitor.export.csv_bundle import write_numerics
        return write_numerics
    if fmt == "json":
        from monitor.export.json_record import write_json
        return write_json
    if fmt == "fhir":
        from monitor.export.fhir import write_fhir
        return lambda s, m, out, p: write_fhir(s, m, out, options.bundle, p)
    if fmt == "hl7":
        from monitor.export.hl7 import write_hl7
        return lambda s, m, out, p: write_hl7(s, m, out, options.split, options.facility, p)
    raise ExportError(f"--format {fmt} writes a binary file: give -o FILE")


def to_stdout(source: SessionSource, meta: SessionMeta, fmt: str, options: Options, out: TextIO | None = None) -> None:
    """Write a text format (csv numerics, json, fhir, hl7) to standard output.

    The stream is looked up when called, never bound at import: whoever replaced
    sys.stdout since (a test's capture, an embedding program) gets the output.
    """
    writer = _text_writer(fmt, options)
    require_content(source, source.record(meta))
    writer(source, meta, out if out is not None else sys.stdout, None)


def export_session(source: SessionSource, meta: SessionMeta, fmt: str, path: Path, options: Options | None = None,
                   progress: Progress | None = None) -> Path:
    """Export one session to `path` and return what was written.

    csv: a .csv path gets the numerics, a .zip path the whole bundle, any
    other path a folder with the bundle's files. Other formats write one file.
    Nothing is left behind if the export fails.
    """
    options = options or Options()
    if fmt not in FORMATS:
        raise ExportError(f"unknown format '{fmt}' (choose {', '.join(FORMATS)})")
    path = Path(path)
    require_content(source, source.record(meta))
    if fmt == "csv":
        from monitor.export.csv_bundle import write_bundle, write_zip
        if path.suffix.lower() == ".zip":
            with export_file(path, binary=True) as out:
                write_zip(source, meta, out, progress)
        elif path.suffix.lower() == ".csv":
            with export_file(path) as out:
                _text_writer("csv", options)(source, meta, out, progress)
        else:
            with private_files(path) as work:
                write_bundle(source, meta, work, progress)
        return path
    if fmt == "edf":
        from monitor.export.edf import write_edf
        write_edf(source, meta, path, progress)
        return path
    if fmt == "pdf":
        if options.pdf is None:
            raise ExportError("the PDF report is drawn by the app's window code: run it with the infusion-monitor "
                              "command")
        if options.paper not in PAPERS:
            raise ExportError(f"paper size '{options.paper}' is not one of {', '.join(PAPERS)}")
        with export_path(path) as tmp:
            options.pdf(source, meta, tmp, options.paper, options.clinic, progress)
        return path
    with export_file(path) as out:
        _text_writer(fmt, options)(source, meta, out, progress)
    return path


def file_name(meta: SessionMeta, fmt: str) -> str:
    """Return the file name of one session of a batch ("session-12-2026-03-01-0930.pdf"); no patient data in it."""
    try:
        zone = ZoneInfo(meta.tz)
    except Exception:  # an unknown zone name from another machine
        zone = timezone.utc
    started = datetime.fromtimestamp(meta.started_utc, zone).strftime("%Y-%m-%d-%H%M")
    ref = re.sub(r"[^A-Za-z0-9-]", "-", meta.ref)
    return f"session-{ref}-{started}{SUFFIXES[fmt]}"


def export_sessions(source: SessionSource, metas: Sequence[SessionMeta], fmt: str, folder: Path,
                    options: Options | None = None, progress: Progress | None = None,
                    skip_empty: bool = True) -> list[Path]:
    """Export several sessions into a folder, one file per session; empty sessions are skipped (and not listed)."""
    folder = private_folder(Path(folder))
    written = []
    for n, meta in enumerate(metas):
        try:
            written.append(export_session(source, meta, fmt, folder / file_name(meta, fmt), options))
        except EmptySession:
            if not skip_empty:
                raise
        if progress is not None:
            progress(n + 1, len(metas))
    return written
