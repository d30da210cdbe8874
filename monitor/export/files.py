"""Write export files readable by the user only (0600, folders 0700) and atomically, with errors in words.

A file is written through monitor.paths.private_output / private_path (the
app's one way to write a private file all or nothing): under a temporary name
in its destination folder, renamed into place only when it is complete, so a
failed export (a full disk, a refused message, an error half-way) never leaves
a file that looks finished. A folder of several files is built the same way:
in a temporary sibling folder, then each file is renamed into the destination.
What goes wrong is an ExportError, one line for people.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from monitor.export.common import ExportError
from monitor.paths import private_dir, private_output, private_path


def private_folder(path: Path) -> Path:
    """Create a folder (and missing parents) readable by the user only; ExportError in words if impossible."""
    try:
        private_dir(path)
    except OSError as exc:
        raise ExportError(f"cannot create folder {path}: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ExportError(f"cannot write to folder {path}: permission denied")
    return path


@contextmanager
def export_path(path: Path) -> Iterator[Path]:
    """Yield a temporary file name (0600) beside `path`; on success it becomes `path`, on any error it is removed.

    For writers that need a file name rather than a file object (pyedflib, the PDF renderer).
    """
    path = _file_name(path)
    with _in_words(path), private_path(path) as tmp:
        yield tmp


@contextmanager
def export_file(path: Path, binary: bool = False) -> Iterator[IO]:
    """Yield a file to write; on success it becomes `path` (0600), on any error nothing is left."""
    path = _file_name(path)
    text = {} if binary else {"encoding": "utf-8", "newline": ""}
    with _in_words(path), private_output(path, "wb" if binary else "w", **text) as out:
        yield out


@contextmanager
def private_files(folder: Path) -> Iterator[Path]:
    """Yield a temporary folder to fill; on success its files move into `folder` (0700), on error none do."""
    folder = private_folder(Path(folder))
    try:
        work = Path(tempfile.mkdtemp(prefix=".export.", suffix=".partial", dir=folder))  # mode 0700
    except OSError as exc:
        raise ExportError(f"cannot write to folder {folder}: {exc.strerror or exc}") from None
    try:
        yield work
        for item in sorted(work.iterdir()):
            item.chmod(0o600)
            os.replace(item, folder / item.name)
    except OSError as exc:
        raise ExportError(f"cannot write to folder {folder}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _file_name(path: Path) -> Path:
    """Return path as a Path; ExportError if it names a folder."""
    path = Path(path)
    if path.is_dir():
        raise ExportError(f"{path} is a folder; give a file name")
    return path


@contextmanager
def _in_words(path: Path) -> Iterator[None]:
    """Turn an OSError while writing `path` into an ExportError that says it in one line."""
    try:
        yield
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
