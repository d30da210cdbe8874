"""Stored review summaries on the chair's file: the rows review keeps so it does not recompute a session it has read.

A `summaries` row (schema migration _v_stored_summaries) holds an ended session's review summary and its
session-browser line as JSON, written by monitor.review.stored, with the `mark` they were computed at.
This module knows only rows and SQL: what a summary is, and which code version it was computed with, is
review's. What it adds is each session's row facts, read in the same query as the stored row, so review
can tell a stale row without reading the session: the count and last rowid of its journal (a correction,
an outcome entered late), the counts of its BP results, alarm log rows and devices, and the time of its
last numeric (counting a session's numerics would cost what the stored summary saves; rows arrive in time
order, and a recovery file's rows after an interruption change the session's end as well).

Reading never writes, with one exception made here: a reader may keep a summary it had to compute in a
file that is writable and at the current schema (keep_in_file), in its own short transaction that
touches no recorded row. A read-only file, an older one (migrated in the reader's memory only) or a
locked one keeps nothing, and its readers compute on demand.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from monitor.storage.schema import SCHEMA_VERSION

#: How long keeping a summary waits for the recorder's write lock (s): it is worth less than the recording.
KEEP_TIMEOUT_S = 0.5
#: Sessions per query (SQLite's bound on placeholders is well above this).
_CHUNK = 500
#: A session's row facts, in the order of the query's columns (see the module's docstring).
_FACTS = ("SELECT COUNT(*) || ':' || COALESCE(MAX(rowid), 0) FROM journal WHERE session_id = s.id",
          "SELECT COUNT(*) FROM nibp WHERE session_id = s.id",
          "SELECT COUNT(*) FROM alarms WHERE session_id = s.id",
          "SELECT COUNT(*) FROM devices WHERE session_id = s.id",
          "SELECT MAX(t) FROM numerics WHERE session_id = s.id")


@dataclass(frozen=True)
class Kept:
    """One session's row facts now (facts), and its stored row if it has one: the mark it was computed at,
    the line's JSON and, when asked for, the summary's JSON ("" when not read)."""

    facts: str
    mark: str | None = None
    line: str = ""
    summary: str = ""


def kept_rows(rows: Callable[[str, list], list[tuple]], session_ids: Sequence[int],
              with_summary: bool) -> dict[int, Kept]:
    """Return each session's row facts and stored summary row (rows runs one read query, ? placeholders)."""
    out: dict[int, Kept] = {}
    columns = ", ".join(f"({sql})" for sql in _FACTS)
    stored = "k.mark, k.line, " + ("k.summary" if with_summary else "''")
    for start in range(0, len(session_ids), _CHUNK):
        chunk = list(session_ids[start:start + _CHUNK])
        marks = ", ".join("?" * len(chunk))
        for sid, journal, nibp, alarms, devices, last, mark, line, summary in rows(
                f"SELECT s.id, {columns}, {stored} FROM sessions s LEFT JOIN summaries k ON k.session_id = s.id "
                f"WHERE s.id IN ({marks})", chunk):
            facts = json.dumps([journal, nibp, alarms, devices, last])
            out[int(sid)] = Kept(facts, mark, line or "", summary or "")
    return out


def summary_row(session_id: int, mark: str, line: str, summary: str) -> dict[str, object]:
    """Return the `summaries` row of a session, as Store.write_batch takes it (it replaces the stored one)."""
    return {"session_id": session_id, "mark": mark, "line": line, "summary": summary}


def keep_in_file(path: str, rows: Sequence[dict[str, object]]) -> bool:
    """Store summary rows into a chair's file if it can take them now; return whether it did.

    False, and nothing written, for a file that is read-only, at another schema version, or locked by a
    writer for longer than KEEP_TIMEOUT_S: the rows are derived, and their readers compute them again.
    """
    if not rows or path == ":memory:":
        return False
    try:
        uri = Path(path).expanduser().resolve().as_uri()
        conn = sqlite3.connect(f"{uri}?mode=rw", uri=True, timeout=KEEP_TIMEOUT_S, isolation_level=None)
    except (sqlite3.Error, OSError):
        return False
    try:
        if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:  # an older file stays as it is
            return False
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT OR REPLACE INTO summaries (session_id, mark, line, summary) "
                         "VALUES (:session_id, :mark, :line, :summary)", rows)
        conn.execute("COMMIT")
        return True
    except sqlite3.Error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return False
    finally:
        conn.close()
