"""One rule for when a session ends (SessionMeta.end): a closed session at its recorded end, an interrupted one at
its last data (never the time it was found), a running one now; review, playback and every export use it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import closing

import pytest

from monitor.export.report import report_data
from monitor.review.burden import session_burden
from monitor.review.timeline import SessionTimeline
from monitor.storage.sessions import SessionMeta, SqliteSessions
from monitor.storage.store import Store

T0 = 1.8e9  # 2027-01-15, UTC epoch s


def _dead_pid() -> int:
    """Return the pid of a process of this host that has ended (a recorder that died)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _meta(ended: float | None) -> SessionMeta:
    return SessionMeta(1, "0" * 32, "P1", None, T0, ended, "UTC", "closed" if ended else "running")


def test_a_session_with_an_end_ends_there_whatever_the_time():
    assert _meta(T0 + 600).end() == T0 + 600
    assert _meta(T0 + 600).end(now=T0 + 9999) == T0 + 600


def test_a_running_session_ends_now():
    assert _meta(None).end(now=T0 + 42) == T0 + 42
    before = time.time()
    assert before <= _meta(None).end() <= time.time()


def _session(store: Store, pid: int, last_value_at: float) -> int:
    sid = store.create_session(started_utc=T0, heartbeat_utc=T0 + 5, pid=pid, host=socket.gethostname(),
                               patient_id="P1")
    store.write_batch({"numerics": [{"session_id": sid, "t": t, "source": "pulseox", "parameter": "spo2",
                                     "value": 97.0} for t in (T0 + 10, last_value_at)]})
    return sid


@pytest.mark.slow  # a child process stands for the recorder that died
def test_an_interrupted_session_ends_at_its_last_data_for_the_reader_and_the_store(tmp_path):
    path = tmp_path / "s.db"
    store = Store(path)
    _session(store, _dead_pid(), T0 + 1200)
    with closing(SqliteSessions(path)) as sessions:
        found = sessions.resolve("latest")
    assert (found.state, found.end(now=T0 + 86400)) == ("interrupted", T0 + 1200)
    store.recover_interrupted()
    with closing(SqliteSessions(path)) as sessions:
        marked = sessions.resolve("latest")
    assert (marked.state, marked.ended_utc) == ("interrupted", T0 + 1200)  # the store writes what the reader shows
    store.close()


def test_a_running_sessions_review_and_report_end_now_not_at_its_last_value(tmp_path):
    path = tmp_path / "s.db"
    store = Store(path)
    _session(store, os.getpid(), T0 + 1200)  # this process records it: running
    with closing(SqliteSessions(path)) as sessions:
        meta = sessions.resolve("latest")
        assert meta.state == "running"
        assert SessionTimeline(sessions, meta, now=T0 + 3600).end == T0 + 3600
        assert session_burden(sessions, meta, now=T0 + 3600).hours == pytest.approx(1.0)
        before = time.time()
        data = report_data(sessions, meta)  # a report of it covers it up to the moment it is made, as its summary
    assert before <= data.end <= time.time()
    store.close()


def test_a_closed_sessions_report_ends_at_its_recorded_end(tmp_path):
    path = tmp_path / "s.db"
    store = Store(path)
    sid = _session(store, os.getpid(), T0 + 1200)
    store.update_session(sid, state="closed", ended_utc=T0 + 1800, end_reason="closed")
    with closing(SqliteSessions(path)) as sessions:
        data = report_data(sessions, sessions.resolve("latest"))
    assert data.end == T0 + 1800
    store.close()
