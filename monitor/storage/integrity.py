"""Whether a session database file is whole: checked before anything is written into it.

SQLite changes only the pages a write touches, so a file with a damaged page
takes a new session without a word, and the session, or the whole session
list, may then be unreadable; a write next to the damage can spread it. So
every command that writes checks the file first (monitor.storage.store.check_file)
on a read-only connection, which leaves the file and a WAL file beside it
byte for byte as they were, and refuses a damaged one.

The check is sized for a clinic's file. PRAGMA quick_check reads every page:
on a 1 GB file (about a year of daily one-hour sessions with their raw bytes)
it took 1.0 s from the page cache and 7 s from a cold disk on a loaded
2-core machine, too long for the chair's start; its argument (quick_check(N))
only caps how many errors it lists, not how many pages it reads. So a file of
up to WHOLE_CHECK_BYTES is checked whole, and a larger one has every table
checked whole except the sample tables, of which the pages a new session is
written into are read: the last EDGE_ROWS entries of each table and index.
Damage among a large file's older samples is met when they are read (one
line, exit 2) or when a write reaches it (the recording alarm; the rows are
kept in a recovery file).
"""

from __future__ import annotations

import sqlite3

#: Files up to this size (bytes) are checked whole: about 0.05 s from the page cache, 0.25 s from a cold disk.
WHOLE_CHECK_BYTES = 32 * 2**20
#: The tables that grow with every sample (values, waveforms, raw bytes, review levels): most of a file.
SAMPLE_TABLES = ("numerics", "waveform_chunks", "raw_bytes", "levels")
#: Entries read at the end of each sample table and index of a large file: several leaf pages, more than
#: an insert rebalances (the last leaf and its two neighbours).
EDGE_ROWS = 1000

#: A file's tables, indexes and triggers: "table numerics" -> its column names (an index's: the indexed ones).
Layout = dict[str, frozenset[str]]


def layout(conn: sqlite3.Connection) -> Layout:
    """Return the tables, indexes and triggers of a database (SQLite's own excluded) with their columns."""
    found: Layout = {}
    for kind, name in conn.execute("SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'"):
        pragma = {"table": "table_info", "index": "index_info"}.get(kind)
        columns = [] if pragma is None else conn.execute(f"PRAGMA {pragma}({_quoted(name)})").fetchall()
        found[f"{kind} {name}"] = frozenset(row[-1 if pragma == "index_info" else 1] for row in columns)
    return found


def layout_problem(found: Layout, expected: Layout) -> str | None:
    """Return, in words, the first thing the expected layout has and the found one lacks; None if it lacks nothing.

    What the file has beyond that (an index added by IT, SQLite's statistics) is no problem.
    """
    for key, columns in sorted(expected.items(), key=lambda item: (not item[0].startswith("table "), item[0])):
        if key not in found:
            return f"{key} is missing"
        missing = columns - found[key]
        if missing:
            return f"{key} lacks column {', '.join(sorted(missing))}"
    return None


def page_problem(conn: sqlite3.Connection) -> str | None:
    """Return the first damage found in the pages of the database, None if none (see the module's note)."""
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    if conn.execute("PRAGMA page_count").fetchone()[0] * page_size <= WHOLE_CHECK_BYTES:
        return _first_error(conn, "PRAGMA quick_check(1)")
    tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]
    for table in tables:
        if table not in SAMPLE_TABLES:
            problem = _first_error(conn, f"PRAGMA quick_check({_quoted(table)})")
            if problem:
                return problem
    for table in SAMPLE_TABLES:
        if table in tables:
            _read_edges(conn, table)
    return None


def _first_error(conn: sqlite3.Connection, check: str) -> str | None:
    """Run a quick_check and return its first finding on one line, None for 'ok'."""
    lines = [line for (text,) in conn.execute(check) for line in str(text).splitlines()
             if line and not line.startswith("***")]
    return None if lines == ["ok"] else "; ".join(lines[:1])


def _read_edges(conn: sqlite3.Connection, table: str) -> None:
    """Read the last EDGE_ROWS entries of a table and of each of its indexes; a damaged page raises DatabaseError."""
    name = _quoted(table)
    reads = []
    if conn.execute("SELECT wr FROM pragma_table_list(?)", [table]).fetchone() == (0,):  # levels has no rowid
        reads.append(f"SELECT rowid FROM {name} ORDER BY rowid DESC")
    for index in [row[1] for row in conn.execute(f"PRAGMA index_list({name})")]:
        columns = [row[2] for row in conn.execute(f"PRAGMA index_info({_quoted(index)})")]
        order = ", ".join(f"{_quoted(c)} DESC" for c in columns)
        reads.append(f"SELECT 1 FROM {name} INDEXED BY {_quoted(index)} ORDER BY {order}")
    for read in reads:
        conn.execute(f"SELECT COUNT(*) FROM ({read} LIMIT {EDGE_ROWS})").fetchone()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
