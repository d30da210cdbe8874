"""Write export files readable by the user only (0600, folders 0700) and atomically.

A file is written under a temporary name in its destination folder and renamed
into place only when it is complete, so a failed export (a full disk, a refused
message, an error half-way) never leaves a file that looks finished. A folder
of several files is built the same way: in a temporary sibling folder, then
each file is renamed into the destination.

(The hardening branch adds a helper for private atomic files in monitor/paths.py;
the two are to be merged into one.)
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from monitor.export import ExportError


def private_folder(path: Path) -> Path:
    """Create a folder (and missing parents) readable by the user only; ExportError in words if impossible."""
    try:
        existed = path.is_dir()
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not existed:
            path.chmod(0o700)
    except OSError as exc:
        raise ExportError(f"cannot create folder {path}: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ExportError(f"cannot write to folder {path}: permission denied")
    return path


@contextmanager
def private_path(path: Path) -> Iterator[Path]:
    """Yield a temporary file name (0600) beside `path`; on success it becomes `path`, on any error it is removed.

    For writers that need a file name rather than a file object (pyedflib).
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ExportError(f"{path} is a folder; give a file name")
    if not folder.is_dir():
        private_folder(folder)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=folder)  # mode 0600
        os.close(fd)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException as exc:
        with _quiet():
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise


@contextmanager
def private_file(path: Path, binary: bool = False) -> Iterator[IO]:
    """Yield a file to write; on success it becomes `path` (0600), on any error nothing is left."""
    with private_path(path) as tmp:
        with open(tmp, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""})) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())


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


@contextmanager
def _quiet() -> Iterator[None]:
    try:
        yield
    except OSError:
        pass
