"""The central schema follows the local one: derived, created, migrated forward, checked by the replicator."""

from __future__ import annotations

import sqlite3

import pytest

from monitor.central import schema
from monitor.central.link import ChairSettings
from monitor.central.schema import Table, expected_tables, local_tables, pg_type
from monitor.storage.schema import DERIVED_TABLES
from monitor.storage.store import Store
from pg import assert_replica_exact, central, pg_server, refusal, replicate  # noqa: F401

pytestmark = pytest.mark.slow  # every test runs against a throwaway PostgreSQL


@pytest.mark.parametrize("declared, expected", [("INTEGER", "bigint"), ("int", "bigint"), ("REAL", "double precision"),
                                                ("DOUBLE", "double precision"), ("TEXT", "text"),
                                                ("VARCHAR(20)", "text"), ("BLOB", "bytea")])
def test_sqlite_type_families_map_to_postgresql(declared, expected):
    assert pg_type("t.c", declared) == expected


@pytest.mark.parametrize("declared", ["", "NUMERIC", "DATETIME"])
def test_a_type_that_would_not_round_trip_is_refused(declared):
    with pytest.raises(ValueError, match="t.c"):
        pg_type("t.c", declared)


def test_every_local_table_is_replicated_but_the_replicators_own():
    tables = {t.name: t for t in expected_tables()}
    conn = Store(":memory:").db.conn
    local = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert set(tables) == {n for n in local if not n.startswith("central_")} - DERIVED_TABLES  # levels: recomputed
    assert {n for n, t in tables.items() if t.mutable} == {"patients", "sessions", "devices"}
    assert ("session_id", "t") in tables["numerics"].indexes
    assert tables["alarms"].cursor == "rowid" and tables["sessions"].cursor == "rev"


def test_a_column_the_central_store_adds_itself_is_refused():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE odd (chair_id TEXT)")
    with pytest.raises(ValueError, match="chair_id"):
        local_tables(conn)


def test_init_is_idempotent_and_creates_every_table(central):
    assert schema.init_central(central.admin).lines() == ["the central schema is up to date"]
    have = {r[0] for r in central.query("SELECT table_name FROM information_schema.tables "
                                        "WHERE table_schema = 'infusion'")}
    assert have == {t.name for t in expected_tables()} | {"meta", "chairs"}
    rls = central.query("SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE nspname = 'infusion' AND relkind = 'r' AND NOT relrowsecurity")
    assert rls == [("meta",)]  # the store's identity and schema version: read-only to all, no rows of chairs


def test_a_newer_local_schema_is_refused_until_init_migrates_the_central_one(central, tmp_path, monkeypatch):
    db = tmp_path / "chair.db"
    store = Store(db)
    sid = store.create_session()
    store.db.execute("ALTER TABLE numerics ADD COLUMN quality REAL")  # as a future local migration would
    store.db.execute("CREATE TABLE annotations (session_id INTEGER NOT NULL, t REAL NOT NULL, text TEXT)")
    store.write_batch({"numerics": [{"session_id": sid, "t": 1.0, "source": "pulseox", "parameter": "spo2",
                                     "value": 97.0, "quality": 0.5}],
                       "annotations": [{"session_id": sid, "t": 2.0, "text": "note"}]})
    settings = ChairSettings(central.url("chair-a"), "chair-a")
    state = refusal(db, settings)
    assert "central init" in state.detail and "numerics.quality" in state.detail
    assert central.query("SELECT COUNT(*) FROM infusion.numerics") == [(0,)]  # nothing half-shipped

    monkeypatch.setattr(schema, "expected_tables", lambda: local_tables(sqlite3.connect(db)))
    report = schema.init_central(central.admin)
    assert report.columns == ["numerics.quality"] and report.tables == ["annotations"]
    replicate(db, settings)
    assert_replica_exact(central, "chair-a", db)
    assert central.query("SELECT quality FROM infusion.numerics") == [(0.5,)]


def test_table_helpers():
    t = Table("x", (("id", "bigint"), ("rev", "bigint")))
    assert t.mutable and t.cursor == "rev" and t.qualified == 'infusion."x"'
    assert schema.quote('a"b') == '"a""b"'
