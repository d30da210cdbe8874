"""Stored review summaries: equal to a fresh computation, kept when a session closes or is corrected, computed again
when stale, read from a read-only or an older file, and what the course, the session list and the burden read."""

from __future__ import annotations

import dataclasses
import os
import shutil
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest
import sqlite_utils
from course_sessions import make_course
from test_course import VISITS

from monitor.record.journal import MarkerRevision
from monitor.review import stored
from monitor.review.burden import range_burden
from monitor.review.corrections import Corrector
from monitor.review.course import build_course
from monitor.review.sessions_list import session_lines
from monitor.review.summary import summarize
from monitor.storage import schema
from monitor.storage.outcomes import record_outcomes
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store

NOW = 2_000_000_000.0  # long after every session: the open one's figures run to here


@pytest.fixture
def db(tmp_path) -> Path:
    """A patient's course of five sessions: four ended (completed, stopped, flagged, reviewed), one still running."""
    path = tmp_path / "s.db"
    make_course(path, VISITS)
    return path


@pytest.fixture
def computed(monkeypatch) -> list[str]:
    """Count the summaries computed (by session ref) instead of read from the store."""
    calls: list[str] = []
    real = stored.summarize

    def counting(source, meta, *args, **kwargs):
        calls.append(meta.ref)
        return real(source, meta, *args, **kwargs)

    monkeypatch.setattr(stored, "summarize", counting)
    return calls


def kept_rows(db: Path) -> dict[int, str]:
    conn = sqlite3.connect(db)
    try:
        return dict(conn.execute("SELECT session_id, mark FROM summaries").fetchall())
    finally:
        conn.close()


def test_a_stored_summary_equals_a_fresh_computation_field_for_field(db, computed):
    source = SqliteSessions(db)
    metas = source.sessions()
    first = stored.summaries(source, metas, NOW)  # computed and kept
    assert computed == ["1", "2", "3", "4", "5"]
    assert set(kept_rows(db)) == {1, 2, 3, 4}  # the running session's summary grows: never kept
    again = stored.summaries(SqliteSessions(db), metas, NOW)
    assert computed == ["1", "2", "3", "4", "5", "5"]  # only the running one computed again
    for meta, a, b in zip(metas, first, again):
        fresh = summarize(source, meta, NOW)
        assert a == fresh and b == fresh, meta.ref
        for f in dataclasses.fields(fresh):  # every field, also those equality alone might let pass as 0 == 0.0
            assert type(getattr(b, f.name)) is type(getattr(fresh, f.name)), f.name
    assert again[0].alarms and again[0].markers and again[0].scales and again[0].infusion.delivered_mg > 0
    assert again[2].stopped_early and again[2].infusion.stop_reason == "BP 190/105"


def test_the_browser_line_stored_equals_the_one_computed(db, computed):
    source = SqliteSessions(db)
    metas = source.sessions()
    computed_lines = list(session_lines(source, metas, NOW))
    assert len(computed) == 5
    read_lines = list(session_lines(SqliteSessions(db), metas, NOW))
    assert len(computed) == 6  # the running session only
    assert read_lines == computed_lines
    for meta, line in zip(metas, read_lines):
        s, own = summarize(source, meta, NOW), record_outcomes(source.record(meta))
        assert (line.delivered_mg, line.min_spo2, line.alarms) == (s.delivered_mg, s.spo2.low.value, s.alarm_counts())
        assert [f.score.id for f in line.flags] == [f.score.id for f in own.flags()]
    assert read_lines[0].flags[0].reviewed and read_lines[2].stop_reason == "BP 190/105"


def test_the_course_reads_stored_summaries_and_computes_only_the_running_session(db, computed):
    first = build_course(SqliteSessions(db), "P-1", now=NOW)
    assert computed == ["1", "2", "3", "4", "5"]
    second = build_course(SqliteSessions(db), "P-1", now=NOW)
    assert computed[5:] == ["5"]
    assert second.to_json() == first.to_json()
    assert second.text() == first.text()


def test_the_alarm_burden_reads_stored_summaries(db, computed):
    first = range_burden(SqliteSessions(db), now=NOW)
    computed.clear()
    second = range_burden(SqliteSessions(db), now=NOW)
    assert computed == []  # the running session's alarms come from its log, not a summary
    assert second == first and len(second.alarms) == 2


def test_a_correction_stores_the_summary_again_with_it(db, computed):
    source = SqliteSessions(db)
    stored.summaries(source, source.sessions(), NOW)
    store = Store(db)
    meta = source.resolve("1")
    Corrector(store, source.record(meta), clock=lambda: NOW).delete_event("m2", user="Dr CD", reason="not given")
    store.close()
    computed.clear()
    [summary] = stored.summaries(SqliteSessions(db), [meta], NOW)
    assert computed == []  # stored by the correction, read back current
    assert [m.code for m in summary.markers] == ["antiemetic", "antiemetic"]
    assert summary == summarize(SqliteSessions(db), meta, NOW)


def test_a_stale_summary_is_computed_again_and_kept_again(db, computed):
    source = SqliteSessions(db)
    stored.summaries(source, source.sessions(), NOW)
    before = kept_rows(db)
    store = Store(db)  # a writer that does not refresh it: the journal row alone makes it stale
    store.append_journal(2, MarkerRevision("late", 1, 0.0, "nausea", "Nausea", "", "AB", 0.0), "AB", NOW)
    store.close()
    computed.clear()
    meta = source.resolve("2")
    [summary] = stored.summaries(SqliteSessions(db), [meta], NOW)
    assert computed == ["2"] and [m.code for m in summary.markers] == ["nausea"]
    after = kept_rows(db)
    assert after[2] != before[2] and {k: v for k, v in after.items() if k != 2} == \
        {k: v for k, v in before.items() if k != 2}
    stored.summaries(SqliteSessions(db), [meta], NOW)
    assert computed == ["2"]  # kept again: read the next time


def test_a_summary_of_other_code_or_of_a_changed_session_row_is_stale(db, computed, monkeypatch):
    source = SqliteSessions(db)
    stored.summaries(source, source.sessions(), NOW)
    computed.clear()
    monkeypatch.setattr(stored, "code_version", lambda: "another version")
    stored.summaries(SqliteSessions(db), [source.resolve("1")], NOW)
    assert computed == ["1"]
    monkeypatch.undo()
    monkeypatch.setattr(stored, "summarize", lambda *a, **k: computed.append("again") or summarize(*a, **k))
    store = Store(db)
    store.update_session(3, weight_kg=80.0)  # the plan the infusion is read against
    store.close()
    [summary] = stored.summaries(SqliteSessions(db), [SqliteSessions(db).resolve("3")], NOW)
    assert computed[-1] == "again" and summary.planned_mg == 40.0


def test_a_damaged_stored_summary_is_computed_again(db, computed, caplog):
    source = SqliteSessions(db)
    stored.summaries(source, source.sessions(), NOW)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE summaries SET summary = '{\"at\": 1}' WHERE session_id = 1")
    conn.commit()
    conn.close()
    computed.clear()
    meta = source.resolve("1")
    [summary] = stored.summaries(SqliteSessions(db), [meta], NOW)
    assert computed == ["1"] and summary == summarize(source, meta, NOW)
    assert "does not read" in caplog.text


def _mount_read_only(folder: Path) -> bool:
    """Make folder read-only for this process (a read-only bind mount as root); False if it cannot be done."""
    if os.geteuid() != 0:
        folder.joinpath("s.db").chmod(stat.S_IRUSR)
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
        return True
    if not shutil.which("mount"):
        return False
    if subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True).returncode != 0:
        return False
    if subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], capture_output=True).returncode != 0:
        subprocess.run(["umount", str(folder)], capture_output=True)
        return False
    return True


@pytest.mark.slow  # mounts the folder read-only (as root)
def test_a_read_only_file_is_summarized_on_demand_and_left_as_it_was(tmp_path, computed):
    folder = tmp_path / "media"
    folder.mkdir()
    make_course(folder / "s.db", VISITS[:2])
    conn = sqlite3.connect(folder / "s.db")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    if not _mount_read_only(folder):
        pytest.skip("root writes to read-only files; a read-only bind mount needs mount")
    try:
        before = {p.name: p.read_bytes() for p in folder.iterdir()}
        source = SqliteSessions(folder / "s.db")
        metas = source.sessions()
        summaries = stored.summaries(source, metas, NOW)
        assert summaries == [summarize(source, m, NOW) for m in metas]
        assert [line.meta.ref for line in session_lines(source, metas, NOW)] == ["1", "2"]
        assert computed == ["1", "2", "1", "2"]  # nothing kept, so computed each time
        source.close()
        assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    finally:
        if os.geteuid() == 0:
            if subprocess.run(["umount", str(folder)], capture_output=True).returncode != 0:
                subprocess.run(["umount", "-l", str(folder)], capture_output=True)  # detached once no file is open
        else:
            folder.chmod(stat.S_IRWXU)


def _at_version(current: Path, old: Path, version: int) -> None:
    """Write a file of an older schema version holding what `current` holds (the columns that version had)."""
    conn = sqlite3.connect(old, isolation_level=None)
    conn.execute("BEGIN")
    for migrate in schema.MIGRATIONS[:version]:
        migrate(sqlite_utils.Database(conn))
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute("COMMIT")
    conn.execute("ATTACH DATABASE ? AS cur", [str(current)])
    for (table,) in conn.execute("SELECT name FROM main.sqlite_master WHERE type = 'table'").fetchall():
        if table.startswith("central_"):
            continue
        columns = [r[1] for r in conn.execute(f'PRAGMA main.table_info("{table}")')]
        names = ", ".join(f'"{c}"' for c in columns)
        conn.execute(f'DELETE FROM main."{table}"')
        conn.execute(f'INSERT INTO main."{table}" ({names}) SELECT {names} FROM cur."{table}"')
    conn.execute("DETACH DATABASE cur")
    conn.close()


def test_an_older_file_is_summarized_on_demand_and_after_its_migration_summaries_are_kept(db, tmp_path, computed):
    old = tmp_path / "old.db"
    version = schema.MIGRATIONS.index(schema._v_stored_summaries)  # the version before summaries were stored
    _at_version(db, old, version)
    before = old.read_bytes()
    source = SqliteSessions(old)  # migrated in memory only
    metas = source.sessions()
    assert stored.summaries(source, metas, NOW) == [summarize(source, m, NOW) for m in metas]
    source.close()
    assert old.read_bytes() == before  # reading never upgrades a file
    Store(old).close()  # a writer upgrades it: it has no summaries yet, and computes them on demand
    computed.clear()
    course = build_course(SqliteSessions(old), "P-1", now=NOW)
    assert computed == ["1", "2", "3", "4", "5"] and set(kept_rows(old)) == {1, 2, 3, 4}
    assert course.to_json() == build_course(SqliteSessions(db), "P-1", now=NOW).to_json()


def test_closing_a_session_stores_its_summary(tmp_path):
    from written import T0, Session

    s = Session(tmp_path)
    s.rec.journal(MarkerRevision("m1", 1, T0 + 900, "nausea", "Nausea", "", "AB", T0 + 900), "AB", T0 + 900)
    sessions = s.close(3600)
    meta = sessions.resolve("latest")
    assert kept_rows(Path(sessions.path)) == {}
    summary = stored.store_summary(s.store, meta.id)
    assert summary == summarize(sessions, meta) and set(kept_rows(Path(sessions.path))) == {meta.id}


def test_a_running_session_keeps_no_summary(db):
    assert stored.store_summary(Store(db), 5) is None
    assert 5 not in kept_rows(db)


def test_the_chair_keeps_the_summary_when_it_closes_a_session(tmp_path, clock, computed):
    from monitor.live.core import MonitorCore, SessionInfo

    wall = [1_700_000_000.0]
    core = MonitorCore(Store(tmp_path / "s.db"), [], clock=clock, wallclock=lambda: wall[0], tz="UTC")
    core.start(SessionInfo(patient_id="P1", weight_kg=70, dose_mg_per_kg=0.5, infusion_min=40))
    core.infusion_action("start", user="AB")
    clock.t, wall[0] = 600, wall[0] + 600
    core.stop()
    assert computed == ["1"] and set(kept_rows(tmp_path / "s.db")) == {1}
    source = SqliteSessions(tmp_path / "s.db")
    [summary] = stored.summaries(source, source.sessions())
    assert computed == ["1"]  # read back, not computed again
    assert summary == summarize(source, source.resolve("1")) and summary.stopped_early
