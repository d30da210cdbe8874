"""Recovery files: what the database would not take when a session stopped, kept for the next start.

When a recording stops while the database refuses writes (disk full, locked
by another program, made read-only) and keeps refusing for the recorder's
bounded retry, the queued rows and the session's end are written to a
recovery file beside the database, 0600; if even that fails (a full disk),
to the recovery folder in the user data directory. The next start of any
command that writes the database imports the file in one transaction,
journals the import (RecoveryImport) and deletes the file. Rows find their
session by its global uid, so a file is only ever imported into its own
database, and the journal entry makes a second import of the same file a no-op.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path
from typing import Any

from monitor.paths import private_output, spare_dir
from monitor.storage.store import SessionEnd, Store

FORMAT = "infusion-monitor recovery"
VERSION = 1

Rows = dict[str, list[dict[str, Any]]]


def pattern(db_path: str | Path) -> str:
    """Return the glob of the recovery files of a database file."""
    return f"{Path(db_path).name}.recovery-*.json"


def save(db_path: str | Path, session_uid: str, rows: Rows, end: SessionEnd | None, reason: str) -> Path:
    """Write rows (and the session's end) to a new recovery file; return its path.

    Tries beside the database first, then the user's recovery folder; OSError
    if neither takes the file (no partial file is left either way).
    """
    doc = {"format": FORMAT, "version": VERSION, "file_id": uuid.uuid4().hex, "written_utc": time.time(),
           "database": str(Path(db_path).expanduser().resolve()), "session_uid": session_uid, "reason": reason,
           "end": None if end is None else {"t": end.t, "reason": end.reason, "devices": end.devices},
           "rows": {table: [_plain(row) for row in items] for table, items in rows.items() if items}}
    text = json.dumps(doc, separators=(",", ":"))
    name = f"{Path(db_path).name}.recovery-{session_uid}-{doc['file_id'][:8]}.json"
    failure: OSError | None = None
    for folder in _folders(db_path):
        try:
            with private_output(folder / name, encoding="utf-8") as out:
                out.write(text)
            return folder / name
        except OSError as exc:
            failure = exc
    assert failure is not None
    raise failure


def import_pending(store: Store) -> list[str]:
    """Import every recovery file of the store's database; return one line per file for the user.

    A file of a session this database does not hold (another database's) is
    left alone and not mentioned. A file that cannot be read is left in place
    and reported. StoreError if the database refuses the import.
    """
    if store.path == ":memory:":
        return []
    lines = []
    for path in sorted(p for folder in _folders(store.path) for p in folder.glob(pattern(store.path))):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if doc.get("format") != FORMAT or doc.get("version") != VERSION:
                raise ValueError("not a recovery file of this version")
            uid, file_id = str(doc["session_uid"]), str(doc["file_id"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            lines.append(f"recovery file {path} cannot be read ({exc}); it was left in place")
            continue
        session_id = store.session_id_of(uid)
        if session_id is None:
            continue
        # the record kinds load when there is a file to import: a start without one opens its window sooner
        from monitor.record.base import to_row
        from monitor.record.journal import RecoveryImport

        imports = store.journal_records(session_id, (RecoveryImport.KIND,))
        if any(isinstance(e.record, RecoveryImport) and e.record.file_id == file_id for e in imports.entries):
            path.unlink()
            continue
        if imports.unreadable:  # the damaged row may be this file's import: importing again could double its rows
            lines.append(f"recovery file {path} was left in place: the session's record of earlier imports "
                         f"cannot be read ({'; '.join(imports.unreadable)})")
            continue
        rows = {table: [_typed(row) | {"session_id": session_id} for row in items]
                for table, items in doc.get("rows", {}).items()}
        count = sum(len(items) for items in rows.values())
        end = doc.get("end")
        note = RecoveryImport(file_id, count, float(doc.get("written_utc", 0.0)), str(doc.get("reason", "")))
        kind, version, data = to_row(note)
        rows.setdefault("journal", []).append({"session_id": session_id, "t": time.time(), "kind": kind,
                                               "v": version, "data": data, "user": ""})
        store.write_batch(rows, session_id, end=None if end is None else SessionEnd(
            None if end["t"] is None else float(end["t"]), str(end["reason"]),
            {k: dict(v) for k, v in end.get("devices", {}).items()}))
        path.unlink()
        lines.append(f"recovered {count} rows of session {session_id} from {path} (kept when the database "
                     "refused them)")
    return lines


def _folders(db_path: str | Path) -> list[Path]:
    """Return where a database's recovery files go: beside it, then the user's recovery folder."""
    beside, spare = Path(db_path).expanduser().resolve().parent, spare_dir()
    return [beside] if spare == beside else [beside, spare]


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: {"base64": base64.b64encode(v).decode()} if isinstance(v, (bytes, bytearray, memoryview)) else v
            for k, v in row.items()}


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    return {k: base64.b64decode(v["base64"]) if isinstance(v, dict) else v for k, v in row.items()}

