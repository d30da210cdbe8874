"""Database faults while recording: a locked database raises a high technical alarm and loses nothing."""

from __future__ import annotations

import sqlite3
import time

import pytest

from devices.sim.runner import PtySimulator
from devices.spec import DeviceSpec
from monitor.live.core import MonitorCore
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store


@pytest.mark.slow
def test_locked_database_alarms_then_catches_up_without_a_gap(tmp_path, monkeypatch):
    monkeypatch.setattr("monitor.storage.store.BUSY_TIMEOUT_S", 0.5)
    db = tmp_path / "s.db"
    with PtySimulator("cms50dplus", "desat", speed=3.0) as sim:
        core = MonitorCore(Store(db), [DeviceSpec("pulseox", "cms50dplus", sim.path)])
        sid = core.start()
        try:
            time.sleep(1.5)
            other = sqlite3.connect(db, timeout=5)  # waits for a flush under way
            other.execute("BEGIN EXCLUSIVE")  # another program holds the database
            deadline = time.monotonic() + 6
            while time.monotonic() < deadline and not any(
                    "Recording stopped" in a.message for a in core.alarm_view().active):
                time.sleep(0.1)
            assert any("Recording stopped" in a.message and a.priority.label == "high"
                       for a in core.alarm_view().active)
            time.sleep(1.0)
            other.rollback()
            other.close()
            deadline = time.monotonic() + 6
            while time.monotonic() < deadline and core.recorder.failure is not None:
                time.sleep(0.1)
            assert core.recorder.failure is None
            time.sleep(1.0)
        finally:
            core.stop()
    sessions = SqliteSessions(db)
    meta = sessions.resolve(str(sid))
    times = [row.t for row in sessions.numerics(meta) if row.parameter == "spo2"]
    assert len(times) > 5
    assert max(b - a for a, b in zip(times, times[1:])) <= 1.5, "a gap in the stored SpO2"
    assert meta.state == "closed"


def test_not_a_database_is_refused_in_words(tmp_path):
    from monitor.storage.store import StoreError
    import pytest

    bad = tmp_path / "x.db"
    bad.write_bytes(b"\x00garbage" * 500)
    with pytest.raises(StoreError, match="damaged or not an infusion-monitor database"):
        Store(bad)


WRITER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO journal (session_id, t, kind, data, user) VALUES (1, ?, 'operator', '{}', 'other')",
                 [time.time()])
    time.sleep(0.1)  # holds the write lock a while, as a slow writer does
    conn.execute("COMMIT")
    time.sleep(0.02)
"""


@pytest.mark.slow
def test_other_writers_never_make_the_recording_alarm_flap(tmp_path):
    """Three other processes write the database all the time: the recorder waits its turn, never fails."""
    import subprocess
    import sys

    db = tmp_path / "s.db"
    events = []
    with PtySimulator("cms50dplus", "baseline", speed=2.0) as sim:
        core = MonitorCore(Store(db), [DeviceSpec("pulseox", "cms50dplus", sim.path)])
        core.on_alarm_event(events.append)
        sid = core.start()
        try:
            time.sleep(1.0)
            writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), "6"]) for _ in range(3)]
            assert [w.wait(60) for w in writers] == [0, 0, 0]
            time.sleep(1.0)
        finally:
            core.stop()
    assert not [e for e in events if e.condition == "recording"]
    sessions = SqliteSessions(db)
    times = [row.t for row in sessions.numerics(sessions.resolve(str(sid))) if row.parameter == "spo2"]
    assert max(b - a for a, b in zip(times, times[1:])) <= 1.5, "a gap in the stored SpO2"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM journal WHERE user = 'other'").fetchone()[0] > 50
