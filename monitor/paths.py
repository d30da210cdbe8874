"""Where the app keeps its database, logs, recovery files and a clinic's settings, and how it creates private files.

Patient data, logs and exports are readable by the user only: files are
created 0600 and the folders the app creates 0700 (where the platform has
modes). Files and folders that already exist keep their permissions, except
the app's own log file, which is made private on every start.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import platformdirs

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

DB_ENV = "INFUSION_MONITOR_DB"
CONFIG_ENV = "INFUSION_MONITOR_CONFIG"
STAFF_ENV = "INFUSION_MONITOR_STAFF"
APP = "infusion-monitor"
LOG_NAME = "infusion-monitor.log"


def default_db() -> Path:
    """Return $INFUSION_MONITOR_DB, else sessions.db in the user data directory."""
    env = os.environ.get(DB_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP, appauthor=False)) / "sessions.db"


def staff_file() -> Path:
    """Return $INFUSION_MONITOR_STAFF, else staff.json in the user data directory: the clinic's staff list and PINs
    (it may not exist: a clinic without one runs unsigned, monitor.clinical.staff)."""
    env = os.environ.get(STAFF_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP, appauthor=False)) / "staff.json"


def log_file() -> Path:
    """Return the app's log file (in the user log folder), created if new and made readable by the user only."""
    path = Path(platformdirs.user_log_dir(APP, appauthor=False)) / LOG_NAME
    private_file(path)
    os.chmod(path, 0o600)
    return path


def spare_dir() -> Path:
    """Return the folder for recovery files that cannot be written beside their database (made when written)."""
    return Path(platformdirs.user_data_dir(APP, appauthor=False)) / "recovery"


def private_dir(path: Path) -> Path:
    """Create a folder and its missing parents readable by the user only (0700); return it.

    Folders that already exist keep their permissions.
    """
    missing = []
    folder = path
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:  # made by another process meanwhile
            pass
    return path


def private_file(path: Path) -> None:
    """Create an empty file readable by the user only (0600) if it does not exist, and its folder (0700).

    SQLite gives a database's -wal and -shm files the database file's
    permissions, so creating the database this way makes them private too.
    """
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass


@contextmanager
def private_path(path: str | Path) -> Iterator[Path]:
    """Have a file written all or nothing, readable by the user only (0600): yield the name to write to.

    The name is a new empty temporary file beside `path` (created 0600, its
    folder 0700 if missing); only when the block ends without an error is it
    renamed over `path`, so a failure (disk full, an exception while writing)
    leaves no partial file and an existing file unchanged. For writers that
    need a file name (pyedflib, Qt's PDF writer); private_output gives a file.
    """
    target = Path(path)
    private_dir(target.parent)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


@contextmanager
def private_output(path: str | Path, mode: str = "w", **open_args: Any) -> Iterator[IO[Any]]:
    """Write a file readable by the user only (0600), all or nothing (see private_path); yield the open file.

    `mode` is "w" or "wb"; open_args go to open() (encoding, newline). The
    file is synced before it takes the name. Exports and recovery files are
    written this way.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"private_output writes whole files ('w' or 'wb'), not '{mode}'")
    with private_path(path) as tmp, open(tmp, mode, **open_args) as out:
        yield out
        out.flush()
        os.fsync(out.fileno())


def config_file() -> Path:
    """Return $INFUSION_MONITOR_CONFIG, else config.json in the user config directory (it may not exist)."""
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_config_dir(APP, appauthor=False)) / "config.json"


#: The packaged settings files (monitor/profiles/NAME.json) a clinic may copy and edit: the clinical figures
#: and the alarm profiles. The clinic's copies live in the user config folder, under the same names.
SETTINGS_FOLDER = "profiles"


def settings_dir() -> Path:
    """Return the folder of the clinic's edited settings (beside the config file; it may not exist)."""
    return config_file().parent / SETTINGS_FOLDER


def settings_file(name: str) -> Path:
    """Return where the clinic's copy of settings file NAME (clinical, ketamine...) lives; it may not exist."""
    return settings_dir() / f"{name}.json"


def packaged_settings(name: str) -> Traversable:
    """Return the packaged defaults of settings file NAME (is_file() is False for a name that is not packaged)."""
    return resources.files("monitor").joinpath(SETTINGS_FOLDER, f"{name}.json")


def filled_from_defaults(data: Any, defaults: Any, where: str = "") -> tuple[Any, list[str]]:
    """Return a clinic's settings with the keys it lacks taken from the defaults, and those keys' paths.

    A copy made by an older version lacks the keys added since; each object
    (at any depth) gets the missing keys of the defaults' object at the same
    place. Lists are the clinic's own (a marker list is never mixed with the
    default one), and keys starting with "_" (comments) are never filled.
    Paths are written as in error messages: 'infusion.pause_reminder_min'.
    """
    if not isinstance(data, dict) or not isinstance(defaults, dict):
        return data, []
    merged, filled = dict(data), []
    for key, default in defaults.items():
        path = f"{where}.{key}" if where else key
        if key.startswith("_"):
            continue
        if key not in data:
            merged[key] = default
            filled.append(path)
        else:
            merged[key], deeper = filled_from_defaults(data[key], default, path)
            filled += deeper
    return merged, filled


#: The copies whose filled keys were already told in this process: the settings are read again and again.
_told: set[str] = set()


def tell_filled(source: str, filled: list[str]) -> None:
    """Say once per process, in one line on stderr and in the log, which keys of a clinic's copy are defaults."""
    if not filled or source in _told:
        return
    _told.add(source)
    line = (f"infusion-monitor: notice: {source} lacks {', '.join(filled)} (added in a newer version): the "
            f"defaults are used; add them to the copy (check it with 'infusion-monitor config --check')")
    logging.getLogger("monitor.settings").warning("%s", line)
    print(line, file=sys.stderr)
