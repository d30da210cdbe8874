"""Closing the window while the database is locked: the nurse is told where the rows are, the command ends
with the one-line error and exit 2, and the next start imports the rows and says so."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from commands import error_line
from monitor.storage import recovery
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store

CLOSER = Path(__file__).parent.parent / "window_closer.py"


@pytest.mark.slow
def test_window_close_during_a_lock_keeps_the_rows_for_the_next_start(tmp_path):
    db = tmp_path / "s.db"
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "QT_QPA_PLATFORM": "offscreen"}
    window = subprocess.Popen([sys.executable, str(CLOSER), str(db), "6"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            sessions = SqliteSessions(db)
            if any(r.parameter == "spo2" for r in sessions.numerics(sessions.resolve("latest"))):
                break
        except Exception:  # not created yet
            pass
        time.sleep(0.2)
    other = sqlite3.connect(db, timeout=10)
    other.execute("BEGIN IMMEDIATE")  # another program holds the database when the nurse closes the window
    locked_at = time.time()
    try:
        out, err = window.communicate(timeout=60)
    finally:
        other.rollback()
        other.close()
    assert window.returncode == 2, err
    [kept] = list(tmp_path.glob(recovery.pattern(db)))
    line = error_line(err)
    assert "locked" in line and str(kept) in line
    assert "warning: The end of the session is not in the database." in out and str(kept) in out

    lines = recovery.import_pending(Store(db))
    assert len(lines) == 1 and not kept.exists()
    sessions = SqliteSessions(db)
    meta = sessions.resolve("1")
    times = [r.t for r in sessions.numerics(meta) if r.parameter == "spo2"]
    assert meta.state == "closed" and max(times) > locked_at + 1
    assert max(b - a for a, b in zip(times, times[1:])) <= 1.5
