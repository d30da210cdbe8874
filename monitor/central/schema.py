"""The central schema, derived from the local one, and `central init` (tables, roles, row security).

Every local table (but the replicator's own central_* tables) has a central
twin in the PostgreSQL schema `infusion`, with the same columns (SQLite type
families mapped to PostgreSQL types) plus chair_id and local_rowid, keyed by
(chair_id, local_rowid): a row shipped twice is stored once. A local
migration that adds a table or a column is followed by running `central init`
again, which adds what is missing and never drops anything.

Roles (cluster-wide, NOLOGIN groups; logins are members):
- infusion_owner owns the schema and runs migrations;
- infusion_chair may insert rows whose chair_id is its own login name, upsert
  its own rows of the mutable tables (those with a rev column), read only its
  own rows (row-level security), and never delete;
- infusion_reviewer may only read.

A chair may also EXECUTE analyze_shipped(tables) after a catch-up: it gathers the
planner's statistics of the schema's tables, which only their owner may do.

One narrow exception to "a chair reads only its own rows": a chair may EXECUTE
patient_flag_records(patient), which returns only the item-9 flagged
questionnaire entries of one patient and the clinicians' reviews of them, from
every chair (see monitor.central.flags): a patient flagged at chair 2 is warned
of at chair 5, and chair 5 still cannot read chair 2's vitals.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from monitor.central.link import CentralError, connect, explain
from monitor.storage.schema import DERIVED_TABLES

SCHEMA = "infusion"
OWNER, CHAIR, REVIEWER = "infusion_owner", "infusion_chair", "infusion_reviewer"
KEY = ("chair_id", "local_rowid")


def quote(name: str) -> str:
    """Quote an SQL identifier (local columns include words like "limit" and "user")."""
    return '"' + name.replace('"', '""') + '"'


def pg_type(name: str, declared: str) -> str:
    """Map a SQLite declared type to PostgreSQL by SQLite's affinity rules; refuse what would not round-trip."""
    d = declared.upper()
    if "INT" in d:
        return "bigint"
    if any(k in d for k in ("CHAR", "CLOB", "TEXT")):
        return "text"
    if "BLOB" in d:
        return "bytea"
    if any(k in d for k in ("REAL", "FLOA", "DOUB")):
        return "double precision"
    raise ValueError(f"column {name} has type '{declared}', which the central store cannot copy exactly: "
                     "declare INTEGER, REAL, TEXT or BLOB")


@dataclass(frozen=True)
class Table:
    """One replicated table: its local columns with their PostgreSQL types, and its indexes."""

    name: str
    columns: tuple[tuple[str, str], ...]
    indexes: tuple[tuple[str, ...], ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)

    @property
    def mutable(self) -> bool:
        """Tell whether rows change after insert (the table has a rev column, see store.track_changes)."""
        return "rev" in self.names

    @property
    def cursor(self) -> str:
        """Return the local column that orders and marks shipping: rev for mutable tables, else rowid."""
        return "rev" if self.mutable else "rowid"

    @property
    def qualified(self) -> str:
        return f"{SCHEMA}.{quote(self.name)}"


def local_tables(conn: sqlite3.Connection) -> list[Table]:
    """Describe the replicated tables of an open SQLite database, in creation order.

    Derived tables (DERIVED_TABLES: review's decimated levels) are not shipped: a reader of the central
    store computes them from the values it has, as review does for a session recorded without them.
    """
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
        "AND name NOT LIKE 'central\\_%' ESCAPE '\\' ORDER BY rowid") if r[0] not in DERIVED_TABLES]
    tables = []
    for name in names:
        try:
            conn.execute(f"SELECT rowid FROM {quote(name)} LIMIT 0")
        except sqlite3.OperationalError:
            raise ValueError(f"table {name} is WITHOUT ROWID: the replicator needs a rowid") from None
        columns = tuple((c[1], pg_type(f"{name}.{c[1]}", c[2]))
                        for c in conn.execute(f"PRAGMA table_info({quote(name)})"))
        clash = set(KEY) & {c for c, _ in columns}
        if clash:
            raise ValueError(f"table {name} has a column named {', '.join(clash)}, which the central store adds")
        indexes = []
        # every index, a primary key's or a unique constraint's too (e.g. tracks' (session_id, track)), becomes
        # a plain central index after chair_id: uniqueness is the chair's to keep, the store keys on local_rowid
        for index in conn.execute(f"PRAGMA index_list({quote(name)})").fetchall():
            cols = tuple(r[2] for r in conn.execute(f"PRAGMA index_info({quote(index[1])})"))
            if all(cols):  # expression indexes have no column names
                indexes.append(cols)
        tables.append(Table(name, columns, tuple(indexes)))
    return tables


def expected_tables() -> list[Table]:
    """Return the central tables this version needs: the local schema, built in memory by its migrations."""
    from monitor.storage.store import Store

    store = Store(":memory:")
    try:
        return local_tables(store.db.conn)
    finally:
        store.close()


def local_schema_version() -> int:
    from monitor.storage.schema import SCHEMA_VERSION

    return SCHEMA_VERSION


# --- what exists centrally --------------------------------------------------------------------------


def central_columns(cur) -> dict[str, dict[str, str]]:
    """Return {table: {column: data type}} of the schema's tables visible to the connected role."""
    cur.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = %s ORDER BY table_name, ordinal_position", [SCHEMA])
    found: dict[str, dict[str, str]] = {}
    for table, column, kind in cur.fetchall():
        found.setdefault(table, {})[column] = kind
    return found


def missing(tables: list[Table], existing: dict[str, dict[str, str]]) -> list[str]:
    """Return 'table' or 'table.column' for each local table or column the central store lacks."""
    out = []
    for t in tables:
        have = existing.get(t.name)
        if have is None:
            out.append(t.name)
        else:
            out += [f"{t.name}.{c}" for c in t.names if c not in have]
    return out


# --- central init -------------------------------------------------------------------------------------


@dataclass
class InitReport:
    """What `central init` changed (empty lists: nothing to do)."""

    roles: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    chairs: list[str] = field(default_factory=list)
    reviewers: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = []
        for label, items in (("created roles", self.roles), ("created tables", self.tables),
                             ("added columns", self.columns), ("chair logins", self.chairs),
                             ("reviewer logins", self.reviewers)):
            if items:
                out.append(f"{label}: {', '.join(items)}")
        return out or ["the central schema is up to date"]


def init_central(url: str, chairs: list[str] = (), reviewers: list[str] = ()) -> InitReport:  # type: ignore[assignment]
    """Create or migrate the central schema, its roles and policies, and the given logins, in one transaction.

    Run by an administrator (a role that may create roles, and the database's
    owner or a superuser). Logins are created without a password: set one with
    psql's \\password, or use certificates, as the server's pg_hba.conf asks.
    """
    import psycopg

    report = InitReport()
    tables = expected_tables()
    conn = connect(url)
    try:
        with conn.transaction(), conn.cursor() as cur:
            _roles(cur, report)
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA} AUTHORIZATION {OWNER}")
            cur.execute(f"SET LOCAL ROLE {OWNER}")
            _bookkeeping(cur)
            existing = central_columns(cur)
            for t in tables:
                _table(cur, t, existing.get(t.name), report)
            _flag_function(cur)
            _analyze_function(cur)
            cur.execute("RESET ROLE")
            for name in chairs:
                _login(cur, name, CHAIR, report.chairs)
                cur.execute(f"INSERT INTO {SCHEMA}.chairs (chair_id) VALUES (%s) ON CONFLICT DO NOTHING", [name])
            for name in reviewers:
                _login(cur, name, REVIEWER, report.reviewers)
    except psycopg.errors.InsufficientPrivilege as exc:
        raise CentralError(f"central init failed: {explain(exc)}; run it as the database's administrator "
                           "(a role that may create roles, or a member of infusion_owner once they exist)") from None
    except psycopg.Error as exc:
        raise CentralError(f"central init failed: {explain(exc)}") from None
    finally:
        conn.close()
    return report


def _roles(cur, report: InitReport) -> None:
    for role in (OWNER, CHAIR, REVIEWER):
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cur.fetchone() is None:
            cur.execute(f"CREATE ROLE {role} NOLOGIN")
            report.roles.append(role)
    cur.execute("SELECT pg_has_role(current_user, %s, 'MEMBER')", [OWNER])
    if not cur.fetchone()[0]:
        cur.execute(f"GRANT {OWNER} TO current_user")  # so this administrator can act as the owner


def _bookkeeping(cur) -> None:
    """Create meta (this store's identity) and chairs (each chair's database file and last contact)."""
    cur.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.meta (key text PRIMARY KEY, value text NOT NULL)")
    cur.execute(f"INSERT INTO {SCHEMA}.meta VALUES ('store_uid', md5(random()::text || clock_timestamp()::text)) "
                "ON CONFLICT DO NOTHING")
    cur.execute(f"INSERT INTO {SCHEMA}.meta VALUES ('local_schema', %s) ON CONFLICT (key) DO UPDATE "
                "SET value = greatest(meta.value::int, EXCLUDED.value::int)::text", [str(local_schema_version())])
    cur.execute(f"GRANT USAGE ON SCHEMA {SCHEMA} TO {CHAIR}, {REVIEWER}")
    cur.execute(f"GRANT SELECT ON {SCHEMA}.meta TO {CHAIR}, {REVIEWER}")
    cur.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.chairs (chair_id text PRIMARY KEY, db_uid text, "
                "first_seen timestamptz NOT NULL DEFAULT now(), last_seen timestamptz)")
    cur.execute(f"GRANT SELECT, INSERT ON {SCHEMA}.chairs TO {CHAIR}")
    cur.execute(f"GRANT UPDATE (db_uid, last_seen) ON {SCHEMA}.chairs TO {CHAIR}")
    cur.execute(f"GRANT SELECT ON {SCHEMA}.chairs TO {REVIEWER}")
    _policies(cur, f"{SCHEMA}.chairs")


def _policies(cur, qualified: str) -> None:
    cur.execute(f"ALTER TABLE {qualified} ENABLE ROW LEVEL SECURITY")
    cur.execute(f"DROP POLICY IF EXISTS chair_own_rows ON {qualified}")
    cur.execute(f"CREATE POLICY chair_own_rows ON {qualified} TO {CHAIR} "
                "USING (chair_id = current_user) WITH CHECK (chair_id = current_user)")
    cur.execute(f"DROP POLICY IF EXISTS reviewer_reads ON {qualified}")
    cur.execute(f"CREATE POLICY reviewer_reads ON {qualified} FOR SELECT TO {REVIEWER} USING (true)")


def _table(cur, t: Table, have: dict[str, str] | None, report: InitReport) -> None:
    if have is None:
        cols = ", ".join(f"{quote(c)} {kind}" for c, kind in t.columns)
        cur.execute(f"CREATE TABLE {t.qualified} (chair_id text NOT NULL, local_rowid bigint NOT NULL, {cols}, "
                    "PRIMARY KEY (chair_id, local_rowid))")
        report.tables.append(t.name)
    else:
        for c, kind in t.columns:
            if c not in have:  # nullable: the rows already there have no value for it
                cur.execute(f"ALTER TABLE {t.qualified} ADD COLUMN {quote(c)} {kind}")
                report.columns.append(f"{t.name}.{c}")
    for cols in t.indexes:
        name = quote(f"{t.name}_chair_{'_'.join(cols)}"[:63])
        cur.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {t.qualified} (chair_id, {', '.join(map(quote, cols))})")
    if t.mutable:
        cur.execute(f"GRANT SELECT, INSERT, UPDATE ON {t.qualified} TO {CHAIR}")
    else:
        cur.execute(f"GRANT SELECT, INSERT ON {t.qualified} TO {CHAIR}")
    cur.execute(f"GRANT SELECT ON {t.qualified} TO {REVIEWER}")
    _policies(cur, t.qualified)


#: The one function a chair may call across chairs: one patient's flagged entries and their reviews, nothing else.
FLAG_FUNCTION = f"{SCHEMA}.patient_flag_records"


def _flag_function(cur) -> None:
    """Create patient_flag_records(patient): (chair, session id, session uid, kind, v, data) of the patient's
    journal rows that are a flagged questionnaire entry ('outcome' with flag true) or a review ('outcome_review').

    SECURITY DEFINER runs it as the owner, past row security, so a chair learns of a flag raised at another
    chair; it names its tables with their schema and fixes search_path, so a caller cannot substitute its own.
    The flag is matched in the record's text as Record.to_data writes it (a damaged row of another kind must
    not fail every chair's check, as a jsonb cast would); the reader rebuilds each record and checks it again.
    EXECUTE goes to chairs only (PUBLIC has it by default, revoked here); the reviewer reads the tables anyway.
    """
    cur.execute(f"""
        CREATE OR REPLACE FUNCTION {FLAG_FUNCTION}(patient text)
        RETURNS TABLE (chair text, session_id bigint, session_uid text, kind text, v bigint, data text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
            SELECT j.chair_id, j.session_id, s.uid, j.kind, j.v, j.data
            FROM {SCHEMA}.sessions s JOIN {SCHEMA}.journal j ON j.chair_id = s.chair_id AND j.session_id = s.id
            WHERE s.patient_id = patient
              AND (j.kind = 'outcome_review' OR (j.kind = 'outcome' AND j.data LIKE '%"flag":true%'))
            ORDER BY j.t
        $$""")
    cur.execute(f"REVOKE ALL ON FUNCTION {FLAG_FUNCTION}(text) FROM PUBLIC")
    cur.execute(f"GRANT EXECUTE ON FUNCTION {FLAG_FUNCTION}(text) TO {CHAIR}")


#: The one maintenance a chair may ask for: ANALYZE of the store's tables after it shipped a catch-up.
ANALYZE_FUNCTION = f"{SCHEMA}.analyze_shipped"


def _analyze_function(cur) -> None:
    """Create analyze_shipped(tables): ANALYZE each named table of the schema (others ignored); return how many.

    A catch-up (a chair back from hours offline, a store set up after months of recording) ships more rows
    than autovacuum has counted yet; until it gets round to them the planner has no statistics, and the
    station's latest-value query reads a whole session per chair (0.15 s at 400 sessions, 6 ms analysed).
    ANALYZE needs the tables' owner (PostgreSQL before 17 has no MAINTAIN privilege), so the function runs
    as the owner (SECURITY DEFINER), takes table names only as values matched against the schema's own
    tables, quotes them itself and fixes search_path; a chair can make it do nothing but gather statistics.
    """
    cur.execute(f"""
        CREATE OR REPLACE FUNCTION {ANALYZE_FUNCTION}(tables text[])
        RETURNS integer
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
        DECLARE
            name text;
            done integer := 0;
        BEGIN
            FOR name IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                        WHERE n.nspname = '{SCHEMA}' AND c.relkind IN ('r', 'p') AND c.relname = ANY(tables)
                        ORDER BY c.relname LOOP
                EXECUTE format('ANALYZE %I.%I', '{SCHEMA}', name);
                done := done + 1;
            END LOOP;
            RETURN done;
        END
        $$""")
    cur.execute(f"REVOKE ALL ON FUNCTION {ANALYZE_FUNCTION}(text[]) FROM PUBLIC")
    cur.execute(f"GRANT EXECUTE ON FUNCTION {ANALYZE_FUNCTION}(text[]) TO {CHAIR}")


def _login(cur, name: str, group: str, created: list[str]) -> None:
    """Create a login role in group (or add an existing role to it)."""
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
    if cur.fetchone() is None:
        cur.execute(f"CREATE ROLE {quote(name)} LOGIN IN ROLE {group}")
        created.append(name)
    else:
        cur.execute(f"GRANT {group} TO {quote(name)}")
