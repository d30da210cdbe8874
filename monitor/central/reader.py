"""Reading the central store: every chair's sessions as a SessionSource, so review, summary and export work on it.

The queries are monitor.storage.sessions's, shared with the chair's SQLite
file; what differs is here: the connection (a reviewer login, which may only
read, in autocommit so a long-open reader never holds back the server's
vacuum), placeholders, the chair in every key (a central session is named
'CHAIR:ID', the chair and the session's id in that chair's file, or by its
uid), and when a running session counts as interrupted: the chair's pid and
host mean nothing here, so its heartbeat alone decides.
"""

from __future__ import annotations

from typing import Any, Iterable

from monitor.central.link import CentralError, connect, describe, explain
from monitor.central.schema import SCHEMA, central_columns, expected_tables, missing
from monitor.storage.sessions import SessionMeta, SqlSessions
from monitor.storage.store import heartbeat_stale

#: The end reason of a running session whose chair stopped sending: the store cannot tell why.
SILENT_REASON = "no data from the chair: its recording stopped or its network is down"


class CentralSessions(SqlSessions):
    """Every chair's sessions in the central store, read-only; CentralError in words when it cannot be used."""

    place = "the central store"
    rowid = "local_rowid"
    chair = "s.chair_id"
    patient_join = "p.chair_id = s.chair_id AND p.id = s.patient_id"
    gone_reason = SILENT_REASON
    rows_join = "r.chair_id = s.chair_id AND r.session_id = s.id"

    def __init__(self, url: str) -> None:
        self.target = describe(url)
        self.conn = connect(url, autocommit=True)
        try:
            self.conn.execute(f"SET search_path = {SCHEMA}")  # the shared queries name tables unqualified
            lacking = missing(expected_tables(), central_columns(self.conn.cursor()))
        except Exception as exc:
            self.close()
            raise CentralError(f"central store {self.target}: {explain(exc)}") from None
        if lacking:
            self.close()
            what = ("no infusion-monitor schema (or this login may not read it)" if "sessions" in lacking
                    else f"an older schema (it lacks {', '.join(lacking[:3])})")
            raise CentralError(f"central store {self.target} has {what}: run 'infusion-monitor central init' as its "
                               "administrator")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> CentralSessions:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one query in PostgreSQL's own SQL (placeholders %s), return its rows; CentralError if it fails."""
        import psycopg

        try:
            return self.conn.execute(sql, list(params)).fetchall()
        except psycopg.Error as exc:
            raise CentralError(f"central store {self.target}: {explain(exc)}") from None

    def _rows(self, sql: str, args: list | tuple = ()) -> list[tuple]:
        return self.query(sql.replace("%", "%%").replace("?", "%s"), args)

    def _of(self, meta: SessionMeta) -> tuple[str, list]:
        return "chair_id = ? AND session_id = ?", [meta.chair, meta.id]

    def _named(self, ref: str) -> tuple[str, list]:
        chair, _, text = ref.rpartition(":")
        number = self._id(text, ref) if chair else None
        if number is None:
            raise ValueError(f"session '{ref}' is not CHAIR:ID (e.g. chair-01:12), a session uid or 'latest'")
        return "s.chair_id = ? AND s.id = ?", [chair, number]

    def _recorder_gone(self, pid: int | None, host: str | None, heartbeat: float) -> bool:
        return heartbeat_stale(heartbeat)
