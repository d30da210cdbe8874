"""The Store's connection: plain SQL on sqlite3, sqlite-utils' table helpers on the same connection when used, and
the triggers acting alike before and after (what the first window's start without sqlite-utils relies on)."""

from __future__ import annotations

from monitor.storage.store import Store


def test_sql_and_the_table_helpers_share_one_connection_with_recursive_triggers_from_the_open(tmp_path):
    store = Store(tmp_path / "s.db")
    try:
        assert store.db.execute("PRAGMA recursive_triggers").fetchone()[0] == 1  # as sqlite-utils sets it
        sid = store.create_session(patient_id="P-1")  # plain SQL
        assert store.db.execute("SELECT patient_id FROM sessions WHERE id = ?", [sid]).fetchone() == ("P-1",)
        revs = store.db.execute("SELECT rev FROM sessions").fetchall()
        with store.lock:
            store.db["sessions"].update(sid, {"weight_kg": 70.0})  # sqlite-utils on the same connection
        assert store.db.execute("SELECT rev FROM sessions").fetchall() > revs  # the rev trigger (track_changes)
        revs = store.db.execute("SELECT rev FROM sessions").fetchall()
        store.update_session(sid, weight_kg=71.0)  # plain SQL again
        assert store.db.execute("SELECT rev, weight_kg FROM sessions").fetchall() == [(revs[0][0] + 1, 71.0)]
    finally:
        store.close()
