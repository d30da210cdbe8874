"""Reading the central store: the same plain rows the local Store gives, for every chair's sessions.

A central session is named 'CHAIR:ID' (the chair's name and the session's id
in that chair's file); SessionRow.ref gives that form. Reads use a reviewer
login, which may only read. Each method runs in its own short transaction
(autocommit), so a long-open station never holds back the server's vacuum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from monitor.central.link import CentralError, connect, describe, explain
from monitor.central.schema import SCHEMA, central_columns, quote

_SESSION_COLUMNS = ("id", "patient_id", "started_utc", "ended_utc", "tz", "state", "weight_kg", "dose_mg_per_kg",
                    "infusion_min", "end_reason")


@dataclass(frozen=True)
class SessionRow:
    """A session as listed from the central store."""

    id: int
    patient_id: str | None
    started_utc: float
    ended_utc: float | None
    tz: str
    state: str
    weight_kg: float | None
    dose_mg_per_kg: float | None
    infusion_min: float | None
    end_reason: str | None
    chair: str

    @property
    def ref(self) -> str:
        """Return how commands name this session: 'CHAIR:ID'."""
        return f"{self.chair}:{self.id}"

    @property
    def duration_s(self) -> float | None:
        """Return the session's length in seconds (None while it runs)."""
        return None if self.ended_utc is None else max(0.0, self.ended_utc - self.started_utc)


@dataclass(frozen=True)
class SessionKey:
    """One session in the central store: the chair and the session's id in that chair's file."""

    chair: str
    id: int

    @property
    def ref(self) -> str:
        return f"{self.chair}:{self.id}"


class CentralStore:
    """A read-only view of the central store; CentralError in words when it cannot be used."""

    def __init__(self, url: str) -> None:
        self.target = describe(url)
        self.conn = connect(url, autocommit=True)
        try:
            self._columns = central_columns(self.conn.cursor())
        except Exception as exc:
            self.close()
            raise CentralError(f"central store {self.target}: {explain(exc)}") from None
        if "sessions" not in self._columns:
            self.close()
            raise CentralError(f"central store {self.target} has no infusion-monitor schema (or this login may not "
                               "read it): run 'infusion-monitor central init' as its administrator")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> CentralStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one read query (placeholders %s) and return all its rows; CentralError in words if it fails."""
        import psycopg

        try:
            return self.conn.execute(sql, list(params)).fetchall()
        except psycopg.Error as exc:
            raise CentralError(f"central store {self.target}: {explain(exc)}") from None

    def sessions(self) -> list[SessionRow]:
        """Return every chair's sessions, oldest first (as Store.sessions, with chair set)."""
        cols = ", ".join(quote(c) for c in _SESSION_COLUMNS)
        rows = self.query(f"SELECT {cols}, chair_id FROM {SCHEMA}.sessions ORDER BY started_utc, chair_id, id")
        return [SessionRow(*r) for r in rows]

    def resolve_session(self, ref: str) -> SessionKey:
        """Turn 'latest' or 'CHAIR:ID' into a session key; ValueError in words if there is none."""
        if ref == "latest":
            rows = self.query(f"SELECT chair_id, id FROM {SCHEMA}.sessions ORDER BY started_utc DESC, id DESC LIMIT 1")
            if not rows:
                raise ValueError("there are no sessions in the central store yet")
            return SessionKey(*rows[0])
        chair, _, number = ref.rpartition(":")
        if not chair or not number.isdigit():
            raise ValueError(f"session '{ref}' is not CHAIR:ID (e.g. chair-01:12) or 'latest'")
        rows = self.query(f"SELECT chair_id, id FROM {SCHEMA}.sessions WHERE chair_id = %s AND id = %s",
                           [chair, int(number)])
        if not rows:
            raise ValueError(f"there is no session {ref} in the central store")
        return SessionKey(*rows[0])

    def session(self, key: SessionKey) -> dict[str, Any]:
        """Return the session's row as a dict of its local columns (as Store.session)."""
        names = [c for c in self._columns["sessions"] if c not in ("chair_id", "local_rowid")]
        row = self.query(f"SELECT {', '.join(map(quote, names))} FROM {SCHEMA}.sessions "
                          "WHERE chair_id = %s AND id = %s", [key.chair, key.id])
        if not row:
            raise ValueError(f"there is no session {key.ref} in the central store")
        return dict(zip(names, row[0]))

    def rows(self, table: str, key: SessionKey, columns: Iterable[str], order_by: Iterable[str] = ("t",),
             where: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Return columns of one session's rows of table, in order_by order then storage order.

        where adds equality filters ({"parameter": "spo2"}). Table and column
        names are checked against the schema, so callers cannot inject SQL.
        """
        known = self._columns.get(table)
        columns, order_by, where = list(columns), list(order_by), dict(where or {})
        unknown = [c for c in (*columns, *order_by, *where) if known is None or c not in known]
        if unknown:
            raise ValueError(f"the central store has no {table}.{unknown[0]}")
        filters = "".join(f" AND {quote(c)} = %s" for c in where)
        order = ", ".join([*map(quote, order_by), "local_rowid"])
        return self.query(f"SELECT {', '.join(map(quote, columns))} FROM {SCHEMA}.{quote(table)} "
                           f"WHERE chair_id = %s AND session_id = %s{filters} ORDER BY {order}",
                           [key.chair, key.id, *where.values()])
