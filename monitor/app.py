"""What the command line and the windows both need: the notice, user errors, where sessions are read and written.

The composition shared by `monitor.cli` and `ui/`: the window opens the same
store, the same session source and the same replicator as a command does, and
neither front end imports the other.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.central.link import CentralError, central_url
from monitor.paths import default_db

if TYPE_CHECKING:  # the store (sqlite-utils) loads only for the commands that write: `--help` and readers start fast
    from monitor.storage.store import Store

NOTICE = "infusion-monitor is not a certified medical device; do not rely on it as the only monitor."


class UserError(Exception):
    """A mistake in what the user asked for; the message says how to fix it."""


def printable(text: str) -> str:
    """Escape what a terminal would interpret (control characters, escape sequences) in stored text."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def open_store(path: Path | None) -> Store:
    """Open the database for writing and import what an earlier stop kept in recovery files (one line each)."""
    from monitor.storage.recovery import import_pending
    from monitor.storage.store import Store

    store = Store(path or default_db())
    for line in import_pending(store):
        notice(line)
    return store


def notice(line: str) -> None:
    """Tell the user something that is not an error, one escaped line on stderr."""
    print(f"infusion-monitor: {printable(line)}", file=sys.stderr)


def open_sessions(path: Path | None):
    """Open the session database for reading only (review, export): never changes the file."""
    from monitor.storage.sessions import SqliteSessions

    return SqliteSessions(path or default_db())


def open_source(args: argparse.Namespace):
    """Open where a reading command (sessions, summary, export, send, course, review) reads sessions.

    --db reads that file; --central that central store; without either, the
    central store configured for this computer ($INFUSION_MONITOR_CENTRAL or the
    config file) if there is one, else the default file. Returns a SessionSource.
    """
    if args.db is not None and args.central:
        raise UserError("give --db or --central, not both")
    url = None if args.db is not None else central_url(args.central)
    if url is None:
        return open_sessions(args.db)
    from monitor.central.reader import CentralSessions

    try:
        return CentralSessions(url)
    except CentralError as exc:
        if args.central:
            raise
        raise CentralError(f"{exc} (the configured central store; give --db to read this computer's file)") from None


def resolve(sessions, ref: str):
    try:
        return sessions.resolve(ref)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def replicator_for(settings, store: Store):
    """Return a Replicator (not started) of store to the central store of settings (a ChairSettings), or None."""
    if settings is None:
        return None
    from monitor.central.link import describe
    from monitor.central.replicator import Replicator

    print(f"replicating to the central store {describe(settings.url)} as chair {settings.chair}", file=sys.stderr)
    return Replicator(store.path, settings)


def device_specs(texts: list[str]):
    from devices.spec import DeviceSpec

    specs = []
    for text in texts:
        try:
            specs.append(DeviceSpec.parse(text))
        except ValueError as exc:
            raise UserError(str(exc)) from None
    ports = [s.port for s in specs if not s.simulated]
    if len(set(ports)) != len(ports):
        raise UserError("each port can be given only once")
    return specs
