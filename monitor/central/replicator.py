"""Ships a chair's SQLite rows to the central PostgreSQL store: store and forward, in order, idempotent.

The chair keeps recording to its SQLite file whatever happens here. This
thread reads the file with its own connection (a WAL reader never blocks the
recorder), takes every table's new rows in one read snapshot (append-only
tables by rowid, mutable ones by their rev counter), COPYs them into
temporary tables and merges them into the central tables in one PostgreSQL
transaction: ON CONFLICT (chair_id, local_rowid) makes a resend harmless, and
a mutable row only replaces an older revision of itself. Only after that
commit does it advance its high-water marks, stored in the file's
central_marks table, so a crash or a lost connection at any point resends and
never skips. A chair that was offline catches up by itself, a batch at a time,
and a large catch-up ends with the store's ANALYZE of the tables it filled (the
station's queries are planned on statistics at once, not when autovacuum runs).
The thread runs under supervision (devices.supervised): a bug is reported
and the thread restarted, which is safe for the same reason a crash is.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devices.supervised import SupervisedThread
from monitor.central.link import CentralError, ChairSettings, connect, describe, explain
from monitor.central.schema import ANALYZE_FUNCTION, SCHEMA, Table, central_columns, local_tables, missing, quote
from monitor.storage.store import BUSY_TIMEOUT_S
from monitor.timefmt import duration_text

log = logging.getLogger(__name__)

#: Rows per table per cycle: bounds a catch-up transaction (a chair-hour is about 40,000 rows).
BATCH_ROWS = 5000
#: A catch-up (cycles of full batches, until one is not) that shipped at least this many rows ends with the
#: store's ANALYZE of the tables it filled, so the station's queries never wait for autovacuum's statistics.
ANALYZE_AFTER_ROWS = 20000
#: Pause between cycles when caught up (the recorder commits every 0.5 s).
INTERVAL_S = 0.5
#: Waits between attempts while the store is unreachable, then the last one repeats.
BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 15.0)
#: Waits between attempts while the store refuses the data (wrong role, old schema).
REFUSED_RETRY_S = 30.0
#: Shown as "ok" while the central copy is at most this far behind.
OK_WITHIN_S = 10.0
#: The replicator's application_name, by which it finds its own stale server sessions.
APP_NAME = "infusion-monitor replicator"
#: A statement waiting longer than this for a lock fails (and is retried) instead of hanging the thread.
LOCK_TIMEOUT = "10s"
_COPY_TYPES = {"bigint": "int8", "double precision": "float8", "text": "text", "bytea": "bytea"}


@dataclass(frozen=True)
class ReplicationState:
    """Where replication stands, for the chair's indicator and alarm (times UTC epoch s).

    status is connecting, ok (connected and shipping), unreachable or refused
    (the server answers but will not take the rows: wrong role, older schema,
    another database under this chair's name). caught_up_t is when the central
    copy last held every row the file had; failing_since starts the current
    run of failures.
    """

    status: str
    target: str
    caught_up_t: float | None = None
    failing_since: float | None = None
    detail: str = ""
    rows: int = 0

    def behind_s(self, now: float) -> float | None:
        """Return how far the central copy is behind the file (s), None before the first cycle."""
        return None if self.caught_up_t is None else max(0.0, now - self.caught_up_t)

    def healthy(self, now: float) -> bool:
        behind = self.behind_s(now)
        return self.status == "ok" and behind is not None and behind <= OK_WITHIN_S

    def text(self, now: float) -> str:
        """Return the indicator's words: 'central: ok', 'central: 3 min behind', 'central: unreachable for 4 min'."""
        if self.status in ("unreachable", "refused"):
            since = duration_text(now - self.failing_since) if self.failing_since is not None else ""
            reason = "unreachable" if self.status == "unreachable" else f"refused ({self.detail})"
            return f"central: {reason}" + (f" for {since}" if since and self.status == "unreachable" else "")
        behind = self.behind_s(now)
        if self.status == "connecting" or behind is None:
            return "central: connecting"
        return "central: ok" if behind <= OK_WITHIN_S else f"central: {duration_text(behind)} behind"

    def alarm(self, now: float, after_s: float) -> str | None:
        """Return the technical alarm's message once failing for after_s or more, else None."""
        if self.status not in ("unreachable", "refused") or self.failing_since is None:
            return None
        failing = now - self.failing_since
        if failing < after_s:
            return None
        if self.status == "unreachable":  # short enough for the alarm bar; recording goes on regardless
            return f"Central store unreachable for {duration_text(failing)}"
        return "Central store refuses this chair's data (see the central indicator)"


class Refused(Exception):
    """The central store answers but will not take this chair's rows; the message says why."""


class Replicator(SupervisedThread):
    """The replication thread of one chair database: start(), state(), stop()."""

    def __init__(self, db_path: str | Path, settings: ChairSettings, batch_rows: int = BATCH_ROWS,
                 interval_s: float = INTERVAL_S, analyze_after_rows: int = ANALYZE_AFTER_ROWS) -> None:
        # restarted after a fault: marks advance only after the central commit, so a restart resends, never skips
        super().__init__("replicator", restart=True)
        self.db_path = str(db_path)
        self.settings = settings
        self.batch_rows = batch_rows
        self.interval_s = interval_s
        self.analyze_after_rows = analyze_after_rows
        self._target = describe(settings.url)
        self._state = ReplicationState("connecting", self._target, failing_since=time.time())
        self._local: sqlite3.Connection | None = None
        self._pg: Any = None
        self._tables: list[Table] = []
        self._store_uid = ""
        self._shipped: dict[str, int] = {}
        self._unsaved = False
        self._attempt = 0
        self._catch_up: dict[str, int] = {}  # rows shipped per table by the catch-up under way
        self._can_analyze = True  # False once the store said it has no analyze function (an older central init)

    # --- for other threads -------------------------------------------------------------------

    def state(self) -> ReplicationState:
        """Return the current state (an immutable value; safe from any thread)."""
        return self._state

    def alarm_message(self) -> str | None:
        """Return the technical alarm's message when replication has failed too long, else None."""
        return self._state.alarm(time.time(), self.settings.alarm_after_s)

    def marks(self) -> dict[str, int]:
        """Return, per table, the last rowid (or rev) the central store has committed."""
        return dict(self._shipped)

    def stop(self, timeout: float = 5.0) -> None:
        """Ship once more if connected (so a closed session reaches the store), then end the thread."""
        self._halt.set()
        if self.is_alive():
            self.join(timeout)

    # --- the thread ------------------------------------------------------------------------------

    def work(self) -> None:
        try:
            self._local = sqlite3.connect(self.db_path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            self._local.text_factory = lambda b: b.decode("utf-8", "replace")  # a bad byte must not stop shipping
            self._tables = local_tables(self._local)
            while True:
                halting = self._halt.is_set()
                if self._pg is None and (halting or not self._connect()):
                    if halting:
                        break
                    self._halt.wait(self._retry_delay())
                    continue
                try:
                    more = self._cycle()
                except sqlite3.OperationalError as exc:  # the file busy past the timeout: try again shortly
                    log.warning("replication waits for the local database: %s", exc)
                    more = False
                if halting:
                    break
                if not more:
                    self._halt.wait(self.interval_s)
        except (sqlite3.Error, ValueError) as exc:  # the local file itself: the recorder raises its own alarm
            log.error("replication stopped: local database %s: %s", self.db_path, exc)
            self._set("refused", detail=f"local database: {exc}")
        finally:
            self._close_pg()
            if self._local is not None:
                self._local.close()

    def _retry_delay(self) -> float:
        if self._state.status == "refused":
            return REFUSED_RETRY_S
        self._attempt += 1
        return BACKOFF_S[min(self._attempt, len(BACKOFF_S)) - 1]

    def _set(self, status: str, detail: str = "", **changes: Any) -> None:
        old = self._state
        failing = status in ("unreachable", "refused")
        since = (old.failing_since or time.time()) if failing else None
        if failing and (old.status != status or old.detail != detail):
            log.warning("central store %s %s: %s", self._target, status, detail)
        elif not failing and old.status != "ok" and status == "ok":
            log.info("central store %s: replicating", self._target)
        fields = {"status": status, "target": self._target, "caught_up_t": old.caught_up_t,
                  "failing_since": since, "detail": detail, "rows": old.rows}
        fields.update(changes)
        self._state = ReplicationState(**fields)

    def _connect(self) -> bool:
        """Connect, check the store takes this chair's rows, prepare staging; False (state set) if not."""
        import psycopg

        try:
            self._pg = connect(self.settings.url, app=APP_NAME)
            with self._pg.cursor() as cur:
                cur.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
                self._check(cur)
                self._end_stale_sessions(cur)
                for t in self._tables:
                    cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {quote('stage_' + t.name)} "
                                f"(LIKE {t.qualified}) ON COMMIT DELETE ROWS")
            self._pg.commit()
        except CentralError as exc:
            self._close_pg()
            self._set("unreachable", detail=str(exc).split(": ", 1)[-1])
            return False
        except Refused as exc:
            self._close_pg()
            self._set("refused", detail=str(exc))
            return False
        except psycopg.Error as exc:
            self._close_pg()
            self._set("unreachable" if isinstance(exc, psycopg.OperationalError) else "refused", detail=explain(exc))
            return False
        self._attempt = 0
        self._shipped = self._load_marks()
        self._set("ok")
        return True

    def _check(self, cur) -> None:
        """Refuse (with the fix in words) a wrong role, a central schema older than this chair's, another file."""
        cur.execute("SELECT current_user")
        user = cur.fetchone()[0]
        if user != self.settings.chair:
            raise Refused(f"connected as role '{user}' but this chair is '{self.settings.chair}': "
                          "connect with the chair's own role")
        lacking = missing(self._tables, central_columns(cur))
        if lacking:
            raise Refused(f"the central schema lacks {', '.join(lacking[:3])}: run 'infusion-monitor central init'")
        cur.execute(f"SELECT value FROM {SCHEMA}.meta WHERE key = 'store_uid'")
        self._store_uid = cur.fetchone()[0]
        uid = self._local.execute("SELECT uid FROM central_source").fetchone()[0]
        cur.execute(f"INSERT INTO {SCHEMA}.chairs (chair_id, db_uid) VALUES (current_user, %s) "
                    "ON CONFLICT (chair_id) DO NOTHING", [uid])
        cur.execute(f"SELECT db_uid FROM {SCHEMA}.chairs WHERE chair_id = current_user")
        known = cur.fetchone()[0]
        if known is None:
            cur.execute(f"UPDATE {SCHEMA}.chairs SET db_uid = %s WHERE chair_id = current_user", [uid])
        elif known != uid:
            raise Refused(f"the central store already holds another database's rows as chair '{user}': "
                          "give this chair its own name and role")

    @staticmethod
    def _end_stale_sessions(cur) -> None:
        """End this chair's earlier server sessions, waiting up to 5 s for each.

        When the network drops on the chair's side, the server may not notice
        for a long time, and the old session keeps its open transaction and its
        row locks; the resend would wait on them. Only this chair's own role
        and the replicator's application name are touched.
        """
        cur.execute("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = current_user "
                    "AND application_name = %s AND pid <> pg_backend_pid()", [APP_NAME])

    def _load_marks(self) -> dict[str, int]:
        rows = self._local.execute("SELECT tbl, mark FROM central_marks WHERE store_uid = ? AND chair = ?",
                                   [self._store_uid, self.settings.chair])
        return dict(rows.fetchall())

    def _close_pg(self) -> None:
        if self._pg is not None:
            try:
                self._pg.close()
            except Exception:  # closing a broken connection may complain; it is gone either way
                pass
            self._pg = None

    # --- one cycle ----------------------------------------------------------------------------

    def _cycle(self) -> bool:
        """Ship what is new; return True if a table had more rows than one batch (go on at once)."""
        import psycopg

        snapshot_t = time.time()
        batch, full = self._read()
        if not batch:
            self._save_marks()
            self._set("ok", caught_up_t=snapshot_t)
            self._end_catch_up()
            return False
        try:
            with self._pg.transaction(), self._pg.cursor() as cur:
                for t, rows in batch:
                    self._ship(cur, t, rows)
                cur.execute(f"UPDATE {SCHEMA}.chairs SET last_seen = now() WHERE chair_id = current_user")
        except psycopg.Error as exc:
            self._close_pg()
            self._set("unreachable" if isinstance(exc, psycopg.OperationalError) else "refused", detail=explain(exc))
            return False
        except Exception as exc:  # a value the driver cannot convert: name the table, never the value
            log.error("replication failed: %s", exc.__class__.__name__)
            self._close_pg()
            self._set("refused", detail=f"a row could not be converted ({exc.__class__.__name__})")
            return False
        shipped = dict(self._shipped)
        for t, rows in batch:
            shipped[t.name] = rows[-1][self._cursor_index(t)]
        self._shipped = shipped
        self._unsaved = True
        self._save_marks()
        count = self._state.rows + sum(len(rows) for _, rows in batch)
        self._set("ok", caught_up_t=self._state.caught_up_t if full else snapshot_t, rows=count)
        if full or self._catch_up:
            for t, rows in batch:
                self._catch_up[t.name] = self._catch_up.get(t.name, 0) + len(rows)
        if not full:
            self._end_catch_up()
        return full

    def _end_catch_up(self) -> None:
        """Caught up: after a catch-up of analyze_after_rows rows or more, have the store ANALYZE what it filled."""
        if sum(self._catch_up.values()) >= self.analyze_after_rows:
            self._analyze()
        self._catch_up = {}

    def _analyze(self) -> None:
        """Have the store ANALYZE the tables the catch-up filled (schema.ANALYZE_FUNCTION); a store whose
        central init predates the function is said once in the log, and shipping goes on without it."""
        import psycopg

        if not self._can_analyze:
            return
        tables, rows = sorted(self._catch_up), sum(self._catch_up.values())
        started = time.monotonic()
        try:
            with self._pg.transaction(), self._pg.cursor() as cur:
                cur.execute(f"SELECT {ANALYZE_FUNCTION}(%s)", [tables])
        except psycopg.errors.UndefinedFunction:
            self._can_analyze = False
            log.warning("central store %s has no %s: run 'infusion-monitor central init' again; until then its "
                        "statistics wait for autovacuum after a catch-up", self._target, ANALYZE_FUNCTION)
            return
        except psycopg.Error as exc:  # the rows are shipped: statistics are for autovacuum this time
            log.warning("central store %s: ANALYZE after a catch-up failed: %s", self._target, explain(exc))
            if isinstance(exc, psycopg.OperationalError):
                self._close_pg()
                self._set("unreachable", detail=explain(exc))
            return
        log.info("central store %s: analysed %s after a catch-up of %d rows (%.1f s)", self._target,
                 ", ".join(tables), rows, time.monotonic() - started)

    def _read(self) -> tuple[list[tuple[Table, list[tuple]]], bool]:
        """Return each table's new rows (rowid first) from one read snapshot, and whether a batch was full."""
        batch, full = [], False
        self._local.execute("BEGIN")
        try:
            for t in self._tables:
                cols = ", ".join(quote(c) for c in t.names)
                rows = self._local.execute(
                    f"SELECT rowid, {cols} FROM {quote(t.name)} WHERE {t.cursor} > ? ORDER BY {t.cursor} LIMIT ?",
                    [self._shipped.get(t.name, 0), self.batch_rows]).fetchall()
                if rows:
                    batch.append((t, rows))
                    full = full or len(rows) == self.batch_rows
        finally:
            self._local.execute("COMMIT")
        return batch, full

    @staticmethod
    def _cursor_index(t: Table) -> int:
        return 1 + t.names.index("rev") if t.mutable else 0

    def _ship(self, cur, t: Table, rows: list[tuple]) -> None:
        """COPY rows into the staging table, then merge them into the central table."""
        stage = quote("stage_" + t.name)
        cols = ", ".join(quote(c) for c in ("chair_id", "local_rowid", *t.names))
        texts = [i + 1 for i, (_, kind) in enumerate(t.columns) if kind == "text"]
        chair = self.settings.chair
        with cur.copy(f"COPY {stage} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["text", "int8", *(_COPY_TYPES[kind] for _, kind in t.columns)])
            for row in rows:
                if any(row[i] is not None and "\x00" in row[i] for i in texts):  # PostgreSQL text cannot hold NUL
                    row = tuple(v.replace("\x00", "\ufffd") if i in texts and v else v for i, v in enumerate(row))
                copy.write_row((chair, *row))
        if t.mutable:
            sets = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in t.names)
            merge = f"(chair_id, local_rowid) DO UPDATE SET {sets} WHERE d.rev < EXCLUDED.rev"
        else:  # no conflict target: a table partitioned by month keys on (chair_id, local_rowid, t) instead
            merge = "DO NOTHING"
        cur.execute(f"INSERT INTO {t.qualified} AS d ({cols}) SELECT {cols} FROM {stage} ORDER BY local_rowid "
                    f"ON CONFLICT {merge}")

    def _save_marks(self) -> None:
        """Persist the marks the central store has committed; a busy file is retried next cycle."""
        if not self._unsaved:
            return
        try:
            self._local.execute("BEGIN IMMEDIATE")
            self._local.executemany(
                "INSERT INTO central_marks (store_uid, chair, tbl, mark) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (store_uid, chair, tbl) DO UPDATE SET mark = excluded.mark",
                [(self._store_uid, self.settings.chair, table, mark) for table, mark in self._shipped.items()])
            self._local.execute("COMMIT")
            self._unsaved = False
        except sqlite3.OperationalError as exc:  # locked past the timeout: the marks stay in memory meanwhile
            if self._local.in_transaction:
                self._local.execute("ROLLBACK")
            log.warning("replication marks not saved yet: %s", exc)
