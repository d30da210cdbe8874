"""A large catch-up ends with the store's ANALYZE of the tables it filled, so the station's latest-value query is
planned on statistics at once, not when autovacuum gets round to it; steady shipping never asks for one, and a
store whose central init predates the function takes the rows all the same and says what to run."""

from __future__ import annotations

import logging

import pytest
from pg import assert_replica_exact, central, pg_server, replicate, wait_for  # noqa: F401
from written import Session

from monitor.central.link import ChairSettings
from monitor.central.schema import ANALYZE_FUNCTION

pytestmark = pytest.mark.slow  # a throwaway PostgreSQL server

#: The station's latest-value query for one chair's session (monitor.central.station.chair_views), explained.
LATEST = ("EXPLAIN SELECT t, value FROM infusion.numerics n WHERE n.chair_id = %s AND n.session_id = %s "
          "AND n.parameter = 'spo2' ORDER BY n.t DESC LIMIT 1")


def analysed(central, table: str) -> int:
    """Return how many times a central table was analysed on request (autovacuum's own are counted apart)."""
    [(count,)] = central.query("SELECT analyze_count FROM pg_stat_user_tables "
                               "WHERE schemaname = 'infusion' AND relname = %s", (table,))
    return count


def recorded(tmp_path, seconds: int) -> Session:
    """Return a chair's running session of `seconds` SpO2 values, recorded while the store was out of reach."""
    tmp_path.mkdir()
    s = Session(tmp_path)
    s.spo2(0, [95 + k % 4 for k in range(seconds)])
    s.close(None)
    return s


def test_a_catch_up_of_many_rows_ends_with_analyze_and_steady_shipping_asks_for_none(central, tmp_path):
    steady = recorded(tmp_path / "a", 600)
    replicate(steady.db, ChairSettings(central.url("chair-a"), "chair-a"), analyze_after_rows=500)
    assert analysed(central, "numerics") == 0  # one batch, not full: shipping as usual, not a catch-up
    before = "\n".join(r[0] for r in central.query(LATEST, ("chair-a", steady.sid)))

    behind = recorded(tmp_path / "b", 1400)
    replicate(behind.db, ChairSettings(central.url("chair-b"), "chair-b"), batch_rows=100, analyze_after_rows=500)
    wait_for(lambda: analysed(central, "numerics") == 1, 30, "the ANALYZE after the catch-up")
    assert analysed(central, "sessions") == 1 and analysed(central, "chairs") == 0  # the tables it filled
    [(tuples,)] = central.query("SELECT reltuples FROM pg_class WHERE oid = 'infusion.numerics'::regclass")
    assert tuples == 600 + 1400  # the planner knows the table's size now
    after = "\n".join(r[0] for r in central.query(LATEST, ("chair-b", behind.sid)))
    # planned on the statistics: the chair's session is known to hold its 1400 rows (a guess of 1 before)
    assert "Index Scan Backward" in after and "rows=1400 " in after and "rows=1400 " not in before, (before, after)


def test_a_store_without_the_analyze_function_takes_the_rows_and_says_to_run_central_init(central, tmp_path,
                                                                                          caplog):
    import psycopg

    with psycopg.connect(central.admin, autocommit=True) as admin:
        admin.execute(f"DROP FUNCTION {ANALYZE_FUNCTION}(text[])")  # a store set up by an older central init
    behind = recorded(tmp_path / "b", 1400)
    with caplog.at_level(logging.WARNING, logger="monitor.central.replicator"):
        replicate(behind.db, ChairSettings(central.url("chair-a"), "chair-a"), batch_rows=100, analyze_after_rows=500)
    assert_replica_exact(central, "chair-a", behind.db)
    said = [r.getMessage() for r in caplog.records if "central init" in r.getMessage()]
    assert len(said) == 1 and ANALYZE_FUNCTION in said[0], said
    assert analysed(central, "numerics") == 0
