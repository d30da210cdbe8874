"""Roles against a real server: a chair adds only its own rows, a reviewer only reads."""

from __future__ import annotations

import pytest

from monitor.central.link import ChairSettings
from monitor.storage.store import Store
from pg import central, pg_server, refusal, replicate  # noqa: F401

pytestmark = pytest.mark.slow  # every test runs against a throwaway PostgreSQL


@pytest.fixture
def two_chairs(central, tmp_path):
    """Replicate one small session from each chair; return the central store."""
    for chair in ("chair-a", "chair-b"):
        store = Store(tmp_path / f"{chair}.db")
        sid = store.create_session(patient_id=f"P-{chair}")
        store.write_batch({"numerics": [{"session_id": sid, "t": 1.8e9 + i, "source": "pulseox", "parameter": "spo2",
                                         "value": 97.0, "unit": "%"} for i in range(10)]})
        replicate(store.path, ChairSettings(central.url(chair), chair))
    return central


def run_as(central, user: str, sql: str, params: tuple = ()):
    """Run one statement as user; return its rows (or rowcount), or the psycopg error it raised."""
    import psycopg

    with psycopg.connect(central.url(user)) as conn:
        try:
            cur = conn.execute(sql, params)
            return cur.fetchall() if cur.description else cur.rowcount
        except psycopg.Error as exc:
            return exc


def refused(result) -> bool:
    import psycopg

    return isinstance(result, psycopg.errors.InsufficientPrivilege)


def test_a_chair_reads_only_its_own_rows(two_chairs):
    assert run_as(two_chairs, "chair-a", "SELECT DISTINCT chair_id FROM infusion.numerics") == [("chair-a",)]
    assert run_as(two_chairs, "chair-a", "SELECT patient_id FROM infusion.sessions") == [("P-chair-a",)]
    assert run_as(two_chairs, "chair-a", "SELECT chair_id FROM infusion.chairs") == [("chair-a",)]


def test_a_chair_cannot_add_rows_as_another_chair(two_chairs):
    result = run_as(two_chairs, "chair-a", "INSERT INTO infusion.numerics (chair_id, local_rowid, session_id, t, "
                    "source, parameter) VALUES ('chair-b', 999, 1, 0, 'x', 'spo2')")
    assert refused(result) and "row-level security" in str(result)


def test_a_chair_cannot_change_another_chairs_rows(two_chairs):
    assert run_as(two_chairs, "chair-a", "UPDATE infusion.sessions SET state = 'forged' WHERE chair_id = 'chair-b'") == 0
    result = run_as(two_chairs, "chair-a", "UPDATE infusion.sessions SET chair_id = 'chair-b' WHERE chair_id = 'chair-a'")
    assert refused(result)
    assert two_chairs.query("SELECT chair_id, state FROM infusion.sessions ORDER BY 1") == [
        ("chair-a", "running"), ("chair-b", "running")]


def test_a_chair_cannot_delete_or_rewrite_history(two_chairs):
    for sql in ("DELETE FROM infusion.numerics WHERE chair_id = 'chair-a'",
                "DELETE FROM infusion.sessions",
                "UPDATE infusion.numerics SET value = 50 WHERE chair_id = 'chair-a'",
                "TRUNCATE infusion.numerics",
                "DROP TABLE infusion.numerics",
                "ALTER TABLE infusion.numerics DISABLE ROW LEVEL SECURITY",
                "CREATE TABLE infusion.extra (x int)"):
        assert refused(run_as(two_chairs, "chair-a", sql)), sql
    assert two_chairs.query("SELECT COUNT(*), MIN(value) FROM infusion.numerics") == [(20, 97.0)]


def test_the_reviewer_reads_every_chair_and_writes_nothing(two_chairs):
    assert run_as(two_chairs, "desk", "SELECT chair_id, COUNT(*) FROM infusion.numerics GROUP BY 1 ORDER BY 1") == [
        ("chair-a", 10), ("chair-b", 10)]
    for sql in ("INSERT INTO infusion.numerics (chair_id, local_rowid, session_id, t, source, parameter) "
                "VALUES ('desk', 1, 1, 0, 'x', 'spo2')",
                "UPDATE infusion.sessions SET state = 'closed'",
                "DELETE FROM infusion.alarms",
                "UPDATE infusion.chairs SET last_seen = now()",
                "TRUNCATE infusion.journal"):
        assert refused(run_as(two_chairs, "desk", sql)), sql


def test_a_replicator_under_another_chairs_name_is_refused(two_chairs, tmp_path):
    store = Store(tmp_path / "impostor.db")
    store.create_session()
    state = refusal(store.path, ChairSettings(two_chairs.url("chair-a"), "chair-b"))
    assert "connected as role 'chair-a' but this chair is 'chair-b'" in state.detail


def test_a_second_database_under_one_chair_name_is_refused(two_chairs, tmp_path):
    """A replaced laptop with a fresh file would reuse row ids: its rows must not be mistaken for resends."""
    store = Store(tmp_path / "new-laptop.db")
    store.create_session()
    state = refusal(store.path, ChairSettings(two_chairs.url("chair-a"), "chair-a"))
    assert "another database" in state.detail
    assert state.text(0).startswith("central: refused")


def test_a_chair_may_only_gather_statistics_of_the_stores_own_tables(two_chairs):
    """analyze_shipped runs as the owner: it analyses the schema's tables named, and nothing else, for chairs only."""
    from monitor.central.schema import ANALYZE_FUNCTION

    odd = ["numerics", "pg_authid", "numerics; DROP TABLE infusion.sessions", "../sessions", "meta"]
    assert run_as(two_chairs, "chair-a", f"SELECT {ANALYZE_FUNCTION}(%s)", (odd,)) == [(2,)]  # numerics, meta
    assert run_as(two_chairs, "chair-a", "ANALYZE infusion.sessions") == -1  # directly: skipped, not its table
    assert two_chairs.query("SELECT relname, analyze_count FROM pg_stat_user_tables WHERE schemaname = 'infusion' "
                            "AND relname IN ('numerics', 'sessions', 'meta') ORDER BY 1") == [
        ("meta", 1), ("numerics", 1), ("sessions", 0)]
    assert refused(run_as(two_chairs, "desk", f"SELECT {ANALYZE_FUNCTION}(ARRAY['numerics'])"))
