"""Closing the window while the database is locked: the nurse is told where the rows are, the command ends
with the one-line error, and the next start imports them and says so."""

from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from monitor import recovery
from monitor.session_record import SqliteSessions
from monitor.store import Store, StoreError
from ui.app import run_app
from ui.main_window import MainWindow


def test_window_close_during_a_lock_keeps_the_rows_for_the_next_start(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr("monitor.store.BUSY_TIMEOUT_S", 0.3)
    monkeypatch.setattr("monitor.recorder.STOP_RETRY_S", 1.0)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "userdata"))
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: told.append(text))
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text, *a: told.append(text))
    db = tmp_path / "s.db"
    holder: list[sqlite3.Connection] = []

    def lock() -> None:
        other = sqlite3.connect(db)
        other.execute("BEGIN IMMEDIATE")
        holder.append(other)

    def close() -> None:
        [window] = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        window.close()
        QApplication.instance().quit()

    QTimer.singleShot(2500, lock)
    QTimer.singleShot(4500, close)
    with pytest.raises(StoreError) as caught:
        run_app(db, [], demo_protocol="cms50dplus", speed=1.0)
    [kept] = list(tmp_path.glob(recovery.pattern(db)))
    assert str(kept) in str(caught.value) and "locked" in str(caught.value)
    assert len(told) == 1 and str(kept) in told[0]
    holder[0].rollback()

    lines = recovery.import_pending(Store(db))
    assert len(lines) == 1 and not kept.exists()
    sessions = SqliteSessions(db)
    meta = sessions.resolve("1")
    times = [r.t for r in sessions.numerics(meta) if r.parameter == "spo2"]
    assert meta.state == "closed" and max(b - a for a, b in zip(times, times[1:])) <= 1.5
