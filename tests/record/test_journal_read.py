"""One rule for reading the journal: a damaged row is never dropped unseen, and the chair's Store and the session
reader (SqlSessions) name the same rows in the same words."""

from __future__ import annotations

import json
import logging
from contextlib import closing

from monitor.record.base import to_row
from monitor.record.journal import RecoveryImport
from monitor.record.outcomes import OutcomeReview
from monitor.storage import recovery
from monitor.storage.outcomes import outcomes_of
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store

T0 = 1.8e9


def _row(sid: int, t: float, kind: str, data: str, v: int = 1) -> dict:
    return {"session_id": sid, "t": t, "kind": kind, "v": v, "data": data, "user": "AB"}


def _damaged_session(store: Store) -> int:
    sid = store.create_session(started_utc=T0)
    kind, version, data = to_row(OutcomeReview("e1", "Dr Lee", "no plan", T0 + 1))
    no_entry = json.dumps(json.loads(data) | {"outcome_id": ""})  # the record's own check refuses it (not JSON)
    store.write_batch({"journal": [_row(sid, T0 + 1, kind, data, version), _row(sid, T0 + 2, kind, "{broken"),
                                   _row(sid, T0 + 3, kind, no_entry, version)]})
    return sid


def test_damaged_rows_are_reported_alike_by_the_store_and_the_reader(tmp_path):
    store = Store(tmp_path / "s.db")
    sid = _damaged_session(store)
    read = store.journal_records(sid, (OutcomeReview.KIND,))
    with closing(SqliteSessions(tmp_path / "s.db")) as sessions:
        record = sessions.record(sessions.resolve(str(sid)))
    assert [e.record for e in read.entries] == [e.record for e in record.journal] == [
        OutcomeReview("e1", "Dr Lee", "no plan", T0 + 1)]
    assert read.unreadable == record.unreadable
    damaged, refused = read.unreadable
    assert f"{T0 + 2:.3f}" in damaged and "damaged" in damaged
    assert "review must name the outcome entry" in refused
    store.close()


def test_the_live_outcome_watch_logs_a_damaged_row_once(tmp_path, caplog):
    store = Store(tmp_path / "s.db")
    sid = _damaged_session(store)
    with caplog.at_level(logging.WARNING, logger="monitor.storage.outcomes"):
        first = outcomes_of(store, sid)
        outcomes_of(store, sid)  # the core asks again every few seconds
    assert len(first.reviews) == 1
    assert len(caplog.records) == 2
    store.close()


def test_a_recovery_file_is_kept_when_the_record_of_earlier_imports_is_damaged(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "userdata"))
    db = tmp_path / "s.db"
    store = Store(db)
    sid = store.create_session(started_utc=T0)
    store.write_batch({"journal": [_row(sid, T0 + 1, RecoveryImport.KIND, "{broken")]})  # this file's import?
    path = recovery.save(db, store.session_uid(sid), {"numerics": [
        {"session_id": sid, "t": T0 + 2, "t_dev": None, "source": "pulseox", "parameter": "spo2", "value": 97.0,
         "unit": "%", "flags": None}]}, None, "test")
    [line] = recovery.import_pending(store)
    assert str(path) in line and "earlier imports cannot be read" in line and "damaged" in line
    assert path.exists() and store.row_counts(sid)["numerics"] == 0  # nothing imported twice, nothing lost
    store.close()
