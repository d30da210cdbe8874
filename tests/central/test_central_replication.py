"""Replication to a real PostgreSQL server: exact, idempotent, in order, and through faults.

Each test records for real (the `record` command on a simulated oximeter, or
the Recorder) and then compares the chair's SQLite tables with its central
rows, table by table, count and content.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import time
from array import array
from pathlib import Path

import pytest

from devices.sim.runner import PtySimulator
from devices.values import sample
from monitor.central.link import ChairSettings
from monitor.central.schema import local_tables, quote
from monitor.storage.recorder import Recorder
from monitor.storage.store import Store
from pg import (CuttableLink, assert_replica_exact, central, make_central, pg_server,  # noqa: F401
                record_process, replicate, require_postgres, wait_for)
from bench.pgserver import PgServer
from stored import rows

pytestmark = pytest.mark.slow  # every test records into a throwaway PostgreSQL, some in child processes, one for over a minute


def fill(store: Store, seconds: int, t0: float = 1.8e9) -> int:
    """Record `seconds` of a 75 Hz pleth and three numerics through the Recorder; return the session id."""
    sid = store.create_session(patient_id="P-REPL")
    rec = Recorder(store, sid, capture_raw=False)
    rec.start()
    for s in range(seconds):
        for i in range(75):
            rec.put(sample(t0 + s + i / 75, "pulseox", "pleth", float(i)))
        for param, value in (("spo2", 90.0 + s % 9), ("pulse_rate", 60.0 + s % 31), ("perfusion_index", 1.5)):
            rec.put(sample(t0 + s, "pulseox", param, value))
    rec.stop()
    store.close_session(sid)
    return sid


def backlog(store: Store, seconds: int, t0: float = 1.7e9) -> int:
    """Write `seconds` of stored data (three numerics and one pleth chunk a second) at once; return the session."""
    sid = store.create_session(patient_id="P-BACKLOG", started_utc=t0)
    wave = array("f", range(75)).tobytes()
    store.write_batch({
        "numerics": [{"session_id": sid, "t": t0 + s, "source": "pulseox", "parameter": p, "value": v + s % 7,
                      "unit": u} for s in range(seconds)
                     for p, v, u in (("spo2", 90.0, "%"), ("pulse_rate", 60.0, "/min"), ("perfusion_index", 1.25, "%"))],
        "tracks": [{"session_id": sid, "track": 1, "source": "pulseox", "parameter": "pleth", "unit": "1",
                    "rate": 75.0}],
        "waveform_chunks": [{"session_id": sid, "track": 1, "t0": t0 + s, "t1": t0 + s + 74 / 75, "n": 75,
                             "samples": wave} for s in range(seconds)]})
    store.close_session(sid)
    return sid


def test_a_recording_arrives_exactly_and_the_closed_session_too(central, tmp_path):
    db = tmp_path / "chair.db"
    with PtySimulator("nonin", "baseline", speed=1.0) as sim:
        proc = record_process(db, "chair-a", central.url("chair-a"), "--patient", "P-0042", seconds=6,
                              sim_path=sim.path)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "central: ok" in err, err
    counts = assert_replica_exact(central, "chair-a", db)
    assert counts["numerics"] > 10 and counts["waveform_chunks"] >= 4 and counts["raw_bytes"] > 0
    assert central.query("SELECT state, patient_id FROM infusion.sessions") == [("closed", "P-0042")]


def test_a_row_sent_twice_is_stored_once(central, tmp_path):
    db = tmp_path / "chair.db"
    store = Store(db)
    fill(store, 30)
    settings = ChairSettings(central.url("chair-a"), "chair-a")
    replicate(db, settings)
    store.db.execute("DELETE FROM central_marks")  # forget what was shipped: everything goes again
    store.db.conn.commit()
    assert replicate(db, settings).state().rows > 0
    assert_replica_exact(central, "chair-a", db)


def test_a_chair_offline_for_hours_catches_up_by_itself_in_batches(central, tmp_path):
    db = tmp_path / "chair.db"
    store = Store(db)
    backlog(store, 2 * 3600)  # two hours recorded before the chair was pointed at the central store
    replicate(db, ChairSettings(central.url("chair-a"), "chair-a"), timeout=120, batch_rows=4000)
    counts = assert_replica_exact(central, "chair-a", db)
    assert counts["numerics"] > 4000  # more than one batch was needed


def test_marks_survive_a_restart_and_only_new_rows_go(central, tmp_path):
    db = tmp_path / "chair.db"
    store = Store(db)
    fill(store, 20)
    settings = ChairSettings(central.url("chair-a"), "chair-a")
    rep = replicate(db, settings)
    saved = dict(rows(db, "SELECT tbl, mark FROM central_marks"))
    assert saved == rep.marks()
    fill(store, 5, t0=1.9e9)
    later = replicate(db, settings)
    new_rows = sum(len(rows(db, f"SELECT 1 FROM {t} WHERE rowid > ?", [saved.get(t, 0)]))
                   for t in ("numerics", "waveform_chunks", "tracks"))
    assert later.state().rows == new_rows + 1  # and the new session's row
    assert_replica_exact(central, "chair-a", db)


def test_a_network_that_drops_mid_copy_loses_and_duplicates_nothing(central, tmp_path):
    db = tmp_path / "chair.db"
    store = Store(db)
    backlog(store, 1800)
    link = CuttableLink(central.server.port, cut_after=[150_000, 400_000, 90_000])  # three drops inside COPYs
    link.start()
    replicate(db, ChairSettings(central.url("chair-a", port=link.port), "chair-a"), timeout=90)
    link.close()
    assert link.cuts == 3
    assert_replica_exact(central, "chair-a", db)


def test_chair_killed_mid_batch_resumes_after_restart(central, tmp_path):
    db = tmp_path / "chair.db"
    store = Store(db)
    backlog(store, 20 * 3600)  # a backlog, so the chair is still shipping batches when it is killed
    store.close()
    total = sqlite3.connect(db).execute("SELECT COUNT(*) FROM numerics").fetchone()[0]
    with PtySimulator("nonin", "baseline", speed=1.0) as sim:
        proc = record_process(db, "chair-a", central.url("chair-a"), sim_path=sim.path)
        shipped = lambda: central.query("SELECT COUNT(*) FROM infusion.numerics")[0][0]  # noqa: E731
        wait_for(lambda: 0 < shipped() < total, 60, "the first batches", step=0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert shipped() < total, "the kill came too late to be mid-catch-up"
        again = record_process(db, "chair-a", central.url("chair-a"), seconds=12, sim_path=sim.path)
        out, err = again.communicate(timeout=90)
    assert again.returncode == 0, err
    counts = assert_replica_exact(central, "chair-a", db)
    assert counts["numerics"] > total
    states = dict(central.query("SELECT id, state FROM infusion.sessions"))
    assert sorted(states.values()) == ["closed", "closed", "interrupted"]


def test_server_down_for_a_minute_mid_recording(tmp_path, monkeypatch):
    """Monitoring and alarms go on while the server is down; the LOW alarm comes and goes; nothing is lost."""
    require_postgres()
    server = PgServer().start()  # its own server: the shared one must stay up for the other tests
    try:
        central = make_central(server, monkeypatch)
        config = tmp_path / "config.json"
        config.write_text(json.dumps({"central_alarm_after_min": 0.25}))  # 15 s, to see the alarm in the test
        db = tmp_path / "chair.db"
        with PtySimulator("nonin", "baseline", speed=1.0) as sim:
            proc = record_process(db, "chair-a", central.url("chair-a"), sim_path=sim.path,
                                  env={"INFUSION_MONITOR_CONFIG": str(config)})
            wait_for(lambda: central.query("SELECT COUNT(*) FROM infusion.numerics")[0][0] > 0, 30, "first rows")
            server.stop("immediate")
            down_at = time.time()
            time.sleep(60)
            server.start()
            up_at = time.time()
            time.sleep(20)  # reconnect (back-off at most 15 s) and catch up
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        events = [json.loads(line) for line in out.splitlines() if line.strip()]
        central_alarm = [e for e in events if e["condition"] == "central"]
        raised = [e for e in central_alarm if e["kind"] == "raised"]
        cleared = [e for e in central_alarm if e["kind"] == "cleared"]
        assert raised and raised[0]["priority"] == "low" and "unreachable" in raised[0]["message"]
        assert down_at + 14 < raised[0]["t"] < up_at
        assert cleared and cleared[-1]["t"] > up_at
        conn = sqlite3.connect(db)
        times = [t for (t,) in conn.execute("SELECT t FROM numerics WHERE parameter = 'spo2' AND t BETWEEN ? AND ? "
                                            "ORDER BY t", [down_at, up_at])]
        conn.close()
        assert times and max(b - a for a, b in zip(times, times[1:])) <= 1.5  # stored every second meanwhile
        assert_replica_exact(central, "chair-a", db)
    finally:
        server.cleanup()


def test_two_chairs_record_into_one_store_at_once(central, tmp_path):
    dbs = {chair: tmp_path / f"{chair}.db" for chair in ("chair-a", "chair-b")}
    with PtySimulator("nonin", "baseline") as sim_a, PtySimulator("nonin", "baseline", seed=2) as sim_b:
        procs = [record_process(dbs["chair-a"], "chair-a", central.url("chair-a"), seconds=8, sim_path=sim_a.path),
                 record_process(dbs["chair-b"], "chair-b", central.url("chair-b"), seconds=8, sim_path=sim_b.path)]
        results = [p.communicate(timeout=60) for p in procs]
    for proc, (out, err) in zip(procs, results):
        assert proc.returncode == 0, err
    for chair, db in dbs.items():
        assert_replica_exact(central, chair, db)
    assert central.query("SELECT chair_id, COUNT(*) FROM infusion.sessions GROUP BY 1 ORDER BY 1") == [
        ("chair-a", 1), ("chair-b", 1)]


def test_a_store_restored_from_an_older_backup_is_refilled_by_every_chair(central, tmp_path):
    """docs/central.md: after a restore, a new store identity makes each chair send everything again."""
    db = tmp_path / "chair.db"
    store = Store(db)
    fill(store, 20)
    settings = ChairSettings(central.url("chair-a"), "chair-a")
    replicate(db, settings)
    central.query("DELETE FROM infusion.numerics WHERE local_rowid > 10 RETURNING 1")  # the backup was older
    central.query("UPDATE infusion.meta SET value = md5(random()::text) WHERE key = 'store_uid' RETURNING 1")
    replicate(db, settings)
    assert_replica_exact(central, "chair-a", db)


def test_tables_partitioned_by_month_take_new_rows_and_resends_exactly(central, tmp_path):
    """The recipe of docs/central-partition-by-month.sql keeps replication exact and idempotent."""
    import calendar

    import psycopg

    from monitor.central.schema import init_central

    db = tmp_path / "chair.db"
    store = Store(db)
    backlog(store, 900, t0=calendar.timegm((2026, 3, 31, 23, 55, 0)))  # across the end of March
    settings = ChairSettings(central.url("chair-a"), "chair-a")
    replicate(db, settings)
    recipe = Path(__file__).resolve().parent.parent.parent / "docs" / "central-partition-by-month.sql"
    with psycopg.connect(central.admin, autocommit=True) as conn:
        conn.execute(recipe.read_text())
        conn.execute("SET ROLE infusion_owner")
        for table, column in (("numerics", "t"), ("waveform_chunks", "t0")):
            conn.execute(f"CALL infusion.partition_by_month('{table}', '{column}', '2026-03-01', 2)")
    init_central(central.admin)  # grants, row security and indexes of the new tables
    backlog(store, 60, t0=calendar.timegm((2026, 5, 2, 8, 0, 0)))  # a month without its partition yet
    store.db.execute("DELETE FROM central_marks")  # and everything is sent again
    store.db.conn.commit()
    assert replicate(db, settings).state().status == "ok"
    assert_replica_exact(central, "chair-a", db)
    months = dict(central.query("SELECT tableoid::regclass::text, COUNT(*) FROM infusion.numerics GROUP BY 1"))
    assert months == {"infusion.numerics_2026_03": 900, "infusion.numerics_2026_04": 1800, "infusion.numerics_other": 180}


def test_a_renamed_chair_sends_its_whole_file_under_the_new_name(central, tmp_path):
    """Marks belong to a chair name: a chair renamed (with its own new login) starts from the first row."""
    db = tmp_path / "chair.db"
    store = Store(db)
    fill(store, 10)
    replicate(db, ChairSettings(central.url("chair-a"), "chair-a"))
    replicate(db, ChairSettings(central.url("chair-b"), "chair-b"))
    assert_replica_exact(central, "chair-a", db)
    assert_replica_exact(central, "chair-b", db)


def every_column(store: Store) -> None:
    """Add one row to every replicated table with a value in every column, generated from the schema itself.

    Values are the awkward ones: floats that only survive bit for bit (denormal,
    1e308, -0.0, infinities), text with quotes, accents and emoji, bytes with
    NUL. A table or column added by a later migration is covered without
    changing this test.
    """
    ints, floats = iter(range(900_001, 901_000)), iter([5e-324, 1e308, -0.0, float("inf"), float("-inf"),
                                                         0.1 + 0.2, 1.8e9 + 1 / 3] * 40)
    texts = iter(f"x'\"é🙂 {i}" for i in range(1000))
    value = {"bigint": lambda: next(ints), "double precision": lambda: next(floats), "text": lambda: next(texts),
             "bytea": lambda: b"\x00\xff raw \x00"}
    with store.lock:
        for t in local_tables(store.db.conn):
            row = {c: value[kind]() for c, kind in t.columns if c != "rev"}  # rev is the triggers' to set
            store.db[t.name].insert(row)


def test_every_column_of_every_table_arrives_exactly_also_from_a_migrated_release_file(central, tmp_path):
    """Schema 4 whole (tracks, journal.v, nibp.flags, devices.source, sessions.uid, patients.settings, revs) from a
    release-0.1.0 file (schema 1) migrated in place: the columns version 2 dropped are gone centrally too."""
    db = tmp_path / "chair.db"
    shutil.copy(Path(__file__).parent.parent / "fixtures" / "release-0.1.0.db", db)
    store = Store(db)
    every_column(store)
    for t in local_tables(sqlite3.connect(db)):
        for c in t.names:
            assert rows(db, f"SELECT COUNT(*) FROM {quote(t.name)} WHERE {quote(c)} IS NOT NULL")[0][0], (t.name, c)
    replicate(db, ChairSettings(central.url("chair-a"), "chair-a"))
    counts = assert_replica_exact(central, "chair-a", db)
    assert counts["tracks"] == 2 and counts["journal"] > 20  # the migrated pleth track and the new row
    waveform = [r[0] for r in central.query("SELECT column_name FROM information_schema.columns WHERE "
                                            "table_schema = 'infusion' AND table_name = 'waveform_chunks'")]
    assert "source" not in waveform and "parameter" not in waveform and "track" in waveform
