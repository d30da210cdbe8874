"""The second patient identifier: the clinic's rule (a date of birth in its format, or its own ID's pattern), the
one-line refusals, its place on the session's row (old files migrated with none), the earlier identities a Start
compares with, the warning, and a log that never holds it."""

from __future__ import annotations

import logging
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from monitor.clinical.config import ConfigError, load_clinical_config, parse_clinical_config, read_clinical_json
from monitor.clinical.config import DEFAULT_PATH
from monitor.live.core import MonitorCore, SessionInfo
from monitor.patient_id import PatientIdError, SecondIdentifier, identity_warning
from monitor.storage.chair_patients import ChairPatients
from monitor.storage.schema import SCHEMA_VERSION
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store

TODAY = date(2026, 12, 6)
DOB = SecondIdentifier("Date of birth", "DD.MM.YYYY")
FIXTURE = Path(__file__).parent.parent / "fixtures" / "release-0.1.0.db"


@pytest.mark.parametrize("typed, stored", [("12.03.1980", "1980-03-12"), (" 1.3.1980 ", "1980-03-01"),
                                           ("29.02.1980", "1980-02-29"), ("06.12.2016", "2016-12-06")])
def test_a_date_of_birth_is_read_in_the_clinics_format_and_stored_as_an_iso_date(typed, stored):
    assert DOB.clean(typed, TODAY) == stored


@pytest.mark.parametrize("typed, words", [
    ("", "the date of birth is empty"),
    ("1980-03-12", "type the date of birth as DD.MM.YYYY (e.g. 12.03.1980), not '1980-03-12'"),
    ("31.02.1980", "the date of birth 31.02.1980 is not a real date"),
    ("29.02.1981", "the date of birth 29.02.1981 is not a real date"),
    ("07.12.2026", "the date of birth 07 Dec 2026 is in the future"),
    ("12.03.1880", "the date of birth 12 Mar 1880 makes the patient 146 years old: check the year"),
    ("07.12.2016", "the date of birth 07 Dec 2016 makes the patient 9 years old: check the year"),
    ("12/03/1980", "type the date of birth as DD.MM.YYYY"),
])
def test_a_wrong_date_of_birth_is_refused_in_one_line_saying_what_is_wrong(typed, words):
    with pytest.raises(PatientIdError) as caught:
        DOB.clean(typed, TODAY)
    assert str(caught.value).startswith(words) and "\n" not in str(caught.value)


def test_us_and_iso_formats_read_their_own_order():
    assert SecondIdentifier(format="MM/DD/YYYY").clean("03/12/1980", TODAY) == "1980-03-12"
    assert SecondIdentifier(format="YYYY-MM-DD").clean("1980-03-12", TODAY) == "1980-03-12"


def test_a_clinics_own_second_id_must_match_its_pattern():
    mrn = SecondIdentifier("Hospital number", "[0-9]{8}")
    assert not mrn.is_birth_date and mrn.clean(" 00412345 ", TODAY) == "00412345"
    with pytest.raises(PatientIdError, match=r"^the Hospital number '0041234' does not have the clinic's form"):
        mrn.clean("0041234", TODAY)


def test_the_clinical_profile_names_the_identifier_and_refuses_a_bad_pattern():
    assert load_clinical_config(DEFAULT_PATH).second_identifier == DOB
    data = read_clinical_json(DEFAULT_PATH)
    data["second_identifier"] = {"label": "NHS number", "format": "[0-9]{10}"}
    assert parse_clinical_config(data).second_identifier == SecondIdentifier("NHS number", "[0-9]{10}")
    data["second_identifier"] = {"label": "NHS number", "format": "[0-9"}
    with pytest.raises(ConfigError, match="second_identifier.format is neither a date"):
        parse_clinical_config(data, "clinical.json")
    del data["second_identifier"]  # a clinic's older copy: the date of birth
    assert parse_clinical_config(data).second_identifier == SecondIdentifier()


def test_a_session_keeps_the_identity_it_was_started_with_and_the_next_start_compares(tmp_path, caplog):
    store = Store(tmp_path / "s.db")
    try:
        caplog.set_level(logging.DEBUG)
        core = MonitorCore(store, [])
        core.start(SessionInfo(patient_id="P-1", patient_name="Ann", birth_date="1980-03-12"), operator="AB")
        assert core.view().header.patient == "P-1 · DOB 12 Mar 1980 · Ann"  # the live header
        core.stop()
        store.create_session(patient_id="P-1", birth_date="1980-12-03")  # a slip at a later start
        store.create_session(patient_id="P-2", second_id="00412345", second_id_label="Hospital number")
        patients = ChairPatients(store)
        assert patients.second_ids("P-1", True) == ["1980-03-12", "1980-12-03"]
        assert patients.second_ids("P-2", True) == [] and patients.second_ids("P-2", False) == ["00412345"]
        [first, *_] = SqliteSessions(tmp_path / "s.db").sessions()
        assert (first.birth_date, first.identity) == ("1980-03-12", "P-1 · DOB 12 Mar 1980 · Ann")
        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert "1980" not in logged and "12 Mar" not in logged  # the date of birth identifies: never logged
    finally:
        store.close()


def test_the_warning_names_the_other_dates_recorded():
    assert identity_warning("P-1", "1980-03-12", DOB, ["1980-03-12"]) == ""
    assert identity_warning("P-1", "1980-03-12", DOB, []) == ""
    assert identity_warning("P-1", "1980-12-03", DOB, ["1980-03-12"]) == (
        "patient P-1 was recorded with DOB 12 Mar 1980: check the identity")
    mrn = SecondIdentifier("Hospital number", "[0-9]{8}")
    assert identity_warning("P-2", "1", mrn, ["00412345"]) == (
        "patient P-2 was recorded with Hospital number 00412345: check the identity")


def test_an_older_file_is_migrated_with_no_second_identifier(tmp_path):
    copy = tmp_path / "old.db"
    shutil.copy(FIXTURE, copy)
    Store(copy).close()
    assert sqlite3.connect(copy).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    metas = SqliteSessions(copy).sessions()
    assert metas and all((m.birth_date, m.second_id, m.second_id_text) == (None, None, "") for m in metas)
    assert metas[0].identity == "FIX-001 · Fixture Patient"
