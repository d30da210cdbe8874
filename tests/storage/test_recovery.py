"""Stopping while the database refuses writes: the recorder retries, then keeps the rows in a recovery file
(0600, beside the database or in the user's recovery folder) that the next start imports once."""

from __future__ import annotations

import json
import sqlite3
import stat
import time

import pytest

from devices.values import WaveSegment, sample
from monitor.storage import recovery
from monitor.storage.recorder import Recorder
from monitor.record.journal import RecoveryImport
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import SessionEnd, Store, StoreError


@pytest.fixture(autouse=True)
def quick(monkeypatch, tmp_path):
    """Short busy timeout and stop retry, and a user data folder inside the test's folder."""
    monkeypatch.setattr("monitor.storage.store.BUSY_TIMEOUT_S", 0.2)
    monkeypatch.setattr("monitor.storage.recorder.STOP_RETRY_S", 0.6)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "userdata"))


def record_some(store: Store, sid: int, t0: float, seconds: int) -> Recorder:
    """Start a recorder and queue `seconds` of SpO2 (one a second) and 75 Hz pleth."""
    recorder = Recorder(store, sid)
    recorder.start()
    queue_some(recorder, t0, seconds)
    return recorder


def queue_some(recorder: Recorder, t0: float, seconds: int) -> None:
    for s in range(seconds):
        recorder.put(sample(t0 + s, "pulseox", "spo2", 90.0 + s % 10))
        recorder.put(WaveSegment(t0 + s + 74 / 75, "pulseox", "pleth", tuple(float(i) for i in range(75)), 75.0))
    recorder.put_raw("pulseox", t0, "rx", b"\x85\x40\x06\x48\x61" * 10)


def stored(db, sid) -> tuple[list[float], str, str | None]:
    sessions = SqliteSessions(db)
    try:
        meta = sessions.resolve(str(sid))
        times = [r.t for r in sessions.numerics(meta) if r.parameter == "spo2"]
        return times, meta.state, meta.end_reason
    finally:
        sessions.close()


def lock(db) -> sqlite3.Connection:
    other = sqlite3.connect(db, timeout=5, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    return other


def meeting_a_lock(db, before: int, during: int) -> tuple[int, Recorder, sqlite3.Connection]:
    """Record `before` seconds of data (stored), lock the database, queue `during` more seconds."""
    store = Store(db)
    sid = store.create_session(patient_id="P1")
    recorder = record_some(store, sid, 1.8e9, before)
    time.sleep(0.8)  # the first rows are stored
    other = lock(db)
    queue_some(recorder, 1.8e9 + before, during)  # these meet the lock
    return sid, recorder, other


@pytest.mark.slow
def test_locked_at_stop_keeps_every_row_in_a_private_recovery_file_that_the_next_start_imports(tmp_path):
    db = tmp_path / "s.db"
    sid, recorder, other = meeting_a_lock(db, 3, 4)
    with pytest.raises(StoreError) as caught:
        recorder.stop(SessionEnd(1.8e9 + 10, "stopped by signal", {"pulseox": {"model": "CMS50D+"}}))
    message = str(caught.value)
    [kept] = list(tmp_path.glob(recovery.pattern(db)))
    assert "locked" in message and str(kept) in message and "next start" in message and "\n" not in message
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    other.rollback()
    other.close()
    times, state, _ = stored(db, sid)
    assert state == "running" and max(times) < 1.8e9 + 3  # nothing of the fault period yet

    again = Store(db)
    [line] = recovery.import_pending(again)
    assert f"session {sid}" in line and str(kept) in line
    assert not kept.exists()
    times, state, reason = stored(db, sid)
    assert times == [1.8e9 + s for s in range(7)]  # no gap, nothing twice
    assert (state, reason) == ("closed", "stopped by signal")
    assert again.db.execute("SELECT model FROM devices WHERE session_id = ?", [sid]).fetchall() == []  # none added
    [note] = again.journal_records(sid, (RecoveryImport.KIND,)).entries
    assert note.record.rows > 7 and "locked" in note.record.reason
    assert recovery.import_pending(again) == []


@pytest.mark.slow
def test_a_fault_that_ends_during_the_retry_loses_nothing_and_needs_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr("monitor.storage.recorder.STOP_RETRY_S", 5.0)
    db = tmp_path / "s.db"
    sid, recorder, other = meeting_a_lock(db, 2, 2)

    def release() -> None:
        time.sleep(1.0)
        other.rollback()

    import threading
    threading.Thread(target=release).start()
    recorder.stop(SessionEnd(1.8e9 + 5, "closed"))  # no error: the retry got through
    assert list(tmp_path.glob(recovery.pattern(db))) == []
    times, state, _ = stored(db, sid)
    assert times == [1.8e9 + s for s in range(4)] and state == "closed"


@pytest.mark.slow
def test_full_database_at_stop_keeps_the_rows_then_imports_them_once_there_is_room(tmp_path):
    db = tmp_path / "s.db"
    store = Store(db)
    sid = store.create_session()
    recorder = record_some(store, sid, 1.8e9, 2)
    time.sleep(0.8)
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite now answers SQLITE_FULL, as on a full disk
    queue_some(recorder, 1.8e9 + 2, 60)
    with pytest.raises(StoreError, match="disk full"):
        recorder.stop(SessionEnd(1.8e9 + 70, "closed"))
    assert len(list(tmp_path.glob(recovery.pattern(db)))) == 1
    store.close()
    assert len(recovery.import_pending(Store(db))) == 1
    times, state, _ = stored(db, sid)
    assert times == [1.8e9 + s for s in range(62)] and state == "closed"


@pytest.mark.slow
def test_when_the_database_folder_takes_no_file_the_recovery_goes_to_the_user_folder(tmp_path, monkeypatch):
    db = tmp_path / "s.db"
    sid, recorder, other = meeting_a_lock(db, 2, 0)
    real = recovery.private_output

    def beside_fails(path, *args, **kw):
        if path.parent == tmp_path:
            raise OSError(28, "No space left on device")
        return real(path, *args, **kw)

    monkeypatch.setattr(recovery, "private_output", beside_fails)
    with pytest.raises(StoreError) as caught:
        recorder.stop(SessionEnd(1.8e9 + 5, "closed"))
    [kept] = list((tmp_path / "userdata").rglob(recovery.pattern(db)))
    assert str(kept) in str(caught.value)
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700 and stat.S_IMODE(kept.stat().st_mode) == 0o600
    other.rollback()
    other.close()
    assert len(recovery.import_pending(Store(db))) == 1 and not kept.exists()
    assert stored(db, sid)[1] == "closed"


@pytest.mark.slow
def test_rows_that_cannot_be_kept_anywhere_are_said_to_be_lost(tmp_path, monkeypatch):
    db = tmp_path / "s.db"
    _, recorder, other = meeting_a_lock(db, 1, 3)

    def no_room(*args, **kw):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(recovery, "private_output", no_room)
    with pytest.raises(StoreError, match=r"rows of session \d+ could not be kept anywhere .*No space left"):
        recorder.stop(SessionEnd(1.8e9 + 5, "closed"))
    other.rollback()


def test_a_recovery_file_of_another_database_is_left_alone_and_a_damaged_one_is_reported(tmp_path):
    db = tmp_path / "s.db"
    store = Store(db)
    store.create_session()
    foreign = tmp_path / "s.db.recovery-0123-abcd.json"
    foreign.write_text(json.dumps({"format": recovery.FORMAT, "version": recovery.VERSION, "file_id": "x",
                                   "session_uid": "not-a-session-of-this-database", "rows": {}}))
    damaged = tmp_path / "s.db.recovery-4567-abcd.json"
    damaged.write_text("{ cut short")
    [line] = recovery.import_pending(store)
    assert str(damaged) in line and "cannot be read" in line and "left in place" in line
    assert foreign.exists() and damaged.exists()


def test_import_into_a_locked_database_is_a_store_error_and_keeps_the_file(tmp_path):
    db = tmp_path / "s.db"
    store = Store(db)
    sid = store.create_session()
    path = recovery.save(db, store.session_uid(sid), {"numerics": [
        {"session_id": sid, "t": 1.0, "t_dev": None, "source": "pulseox", "parameter": "spo2", "value": 97.0,
         "unit": "%", "flags": None}]}, None, "test")
    other = lock(db)
    with pytest.raises(StoreError, match="locked"):
        recovery.import_pending(store)
    assert path.exists()
    other.rollback()
    assert len(recovery.import_pending(store)) == 1 and not path.exists()


@pytest.mark.slow
def test_raw_capture_dropped_to_bound_memory_during_a_long_fault_is_said(tmp_path, monkeypatch):
    monkeypatch.setattr("monitor.storage.recorder.MAX_PENDING_ROWS", 10)
    db = tmp_path / "s.db"
    sid, recorder, other = meeting_a_lock(db, 1, 20)  # 20 s of rows pile up: more than 10
    time.sleep(1.0)  # a flush fails meanwhile and drops the raw capture
    with pytest.raises(StoreError, match=r"raw device capture of \d+ bytes was dropped"):
        recorder.stop(SessionEnd(1.8e9 + 30, "closed"))
    other.rollback()
    assert recorder.dropped_raw > 0
