"""The chair's open file as the Store holds it: SQL on the sqlite3 connection, sqlite-utils' tables only when used.

sqlite-utils imports numpy and its plugin machinery (about 90 ms). Opening the
file, checking and migrating it, and every query the chair runs before its first
window (the Start dialog's patients, sessions and flags) are plain SQL; only a
table helper (`db["patients"].insert(row)`) needs sqlite-utils, so it is loaded
then, on the same connection, and the first window does not wait for it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite_utils
    from sqlite_utils.db import Table


class StoreConnection:
    """One sqlite3 connection in autocommit mode (the Store opens its transactions itself), with sqlite-utils'
    table helpers on demand.

    Recursive triggers are on from the start, as sqlite-utils sets them, so the triggers (track_changes) act the
    same whether or not a table helper has been used yet.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.conn.execute("PRAGMA recursive_triggers=on")
        self._tables: sqlite_utils.Database | None = None

    def execute(self, sql: str, parameters: Iterable[Any] | Mapping[str, Any] | None = None) -> sqlite3.Cursor:
        """Run one statement on the connection and return its cursor (what sqlite-utils' execute does)."""
        return self.conn.execute(sql) if parameters is None else self.conn.execute(sql, parameters)

    def __getitem__(self, table: str) -> Table:
        """Return sqlite-utils' helper for a table (insert, update), loading sqlite-utils the first time."""
        if self._tables is None:
            import sqlite_utils

            self._tables = sqlite_utils.Database(self.conn)
        return self._tables[table]
