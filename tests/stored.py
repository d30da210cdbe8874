"""Read back what a test session stored, through the same typed reader review and export use."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from monitor.storage.sessions import SqliteSessions


def journal(db: str | Path, session_id: int, kind: str) -> list[tuple[dict, str]]:
    """Return (record data, user) of a session's journal records of one kind, in time order."""
    sessions = SqliteSessions(db)
    try:
        record = sessions.record(sessions.resolve(str(session_id)))
        return [(e.record.to_data(), e.user) for e in record.journal if e.kind == kind]
    finally:
        sessions.close()


def numerics(db: str | Path, session_id: int) -> list[tuple[str, float | None, str]]:
    """Return (parameter, value, flags joined by commas) of every stored numeric, in time order."""
    sessions = SqliteSessions(db)
    try:
        rows = sessions.numerics(sessions.resolve(str(session_id)))
        return [(r.parameter, r.value, ",".join(sorted(r.flags))) for r in rows]
    finally:
        sessions.close()


def rows(db: str | Path, sql: str, args: list | tuple = ()) -> list[tuple]:
    """Run one read query on a database file (for tests that check the stored rows themselves)."""
    conn = sqlite3.connect(f"file:{Path(db)}?mode=ro", uri=True)
    try:
        return conn.execute(sql, list(args)).fetchall()
    finally:
        conn.close()
