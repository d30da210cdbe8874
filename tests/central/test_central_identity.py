"""The second patient identifier reaches the clinic's central store: replicated with the session's row and read
back by the central reader as the chair's file reads it."""

from __future__ import annotations

import pytest

from export_session import make_session
from monitor.central.link import ChairSettings
from monitor.central.reader import CentralSessions
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store
from pg import central, pg_server, replicate  # noqa: F401

pytestmark = pytest.mark.slow  # a throwaway PostgreSQL


def test_the_date_of_birth_and_a_second_id_are_replicated_and_read_back(central, tmp_path):
    db = tmp_path / "chair-a.db"
    make_session(db, minutes=2)
    other = make_session(db, minutes=2, patient="P-8", birth_date=None)
    store = Store(db)
    store.update_session(other, second_id="00412345", second_id_label="Hospital number")
    store.close()
    replicate(db, ChairSettings(central.url("chair-a"), "chair-a"))
    remote = CentralSessions(central.url("desk"))
    try:
        born, numbered = (remote.resolve(f"chair-a:{m.id}") for m in SqliteSessions(db).sessions())
        assert (born.birth_date, born.identity) == ("1980-03-12", "P-7 · DOB 12 Mar 1980 · Ada Lovelace")
        assert (numbered.birth_date, numbered.second_id, numbered.second_id_label) == (
            None, "00412345", "Hospital number")
        assert numbered.second_id_text == "Hospital number 00412345"
    finally:
        remote.close()
