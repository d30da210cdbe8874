"""Both patient identifiers in every export that has a field for them, read back by each format's own library:
FHIR Patient.birthDate (fhir.resources), HL7 PID-7 (hl7), the EDF+ patient field (pyedflib and its bytes),
the CSV bundle's session.csv and the JSON record; a clinic's own second ID goes where an identifier goes."""

from __future__ import annotations

import csv
import json

import pytest

from export_session import make_session
from monitor.export.run import export_session
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store


@pytest.fixture(scope="module")
def born(tmp_path_factory):
    folder = tmp_path_factory.mktemp("born")
    make_session(folder / "s.db", minutes=3)
    sessions = SqliteSessions(folder / "s.db")
    return sessions, sessions.resolve("latest")


@pytest.fixture(scope="module")
def hospital_number(tmp_path_factory):
    """A clinic whose second identifier is its hospital number, not a date of birth."""
    folder = tmp_path_factory.mktemp("mrn")
    sid = make_session(folder / "s.db", minutes=3, birth_date=None)
    store = Store(folder / "s.db")
    store.update_session(sid, second_id="00412345", second_id_label="Hospital number")
    store.close()
    sessions = SqliteSessions(folder / "s.db")
    return sessions, sessions.resolve("latest")


def test_the_session_reads_back_with_its_date_of_birth(born):
    _, meta = born
    assert (meta.birth_date, meta.second_id_text, meta.identity) == (
        "1980-03-12", "DOB 12 Mar 1980", "P-7 · DOB 12 Mar 1980 · Ada Lovelace")


def test_fhir_patient_has_the_birth_date(born, hospital_number, tmp_path):
    from fhir.resources.R4B.bundle import Bundle

    for (sessions, meta), name in ((born, "a"), (hospital_number, "b")):
        export_session(sessions, meta, "fhir", tmp_path / f"{name}.json")
    [patient] = [e.resource for e in Bundle.model_validate_json((tmp_path / "a.json").read_text()).entry
                 if e.resource.get_resource_type() == "Patient"]
    assert str(patient.birthDate) == "1980-03-12" and [i.value for i in patient.identifier] == ["P-7"]
    [patient] = [e.resource for e in Bundle.model_validate_json((tmp_path / "b.json").read_text()).entry
                 if e.resource.get_resource_type() == "Patient"]
    assert patient.birthDate is None
    assert [(i.value, i.type.text if i.type else None) for i in patient.identifier] == [
        ("P-7", None), ("00412345", "Hospital number")]


def test_hl7_pid_7_is_the_birth_date(born, hospital_number, tmp_path):
    import hl7

    for (sessions, meta), name in ((born, "a"), (hospital_number, "b")):
        export_session(sessions, meta, "hl7", tmp_path / f"{name}.hl7")
    pid = hl7.parse((tmp_path / "a.hl7").read_bytes().decode().split("\n")[0]).segment("PID")
    assert str(pid[7]) == "19800312" and str(pid[3][0][0]) == "P-7"
    pid = hl7.parse((tmp_path / "b.hl7").read_bytes().decode().split("\n")[0]).segment("PID")
    assert (len(pid) < 8 or str(pid[7]) == "") and [str(r[0]) for r in pid[3]] == ["P-7", "00412345"]
    assert str(pid[3][1][3]) == "Hospital number"


def test_edf_patient_field_carries_the_birthdate_in_edf_plus_form(born, tmp_path):
    import pyedflib

    sessions, meta = born
    export_session(sessions, meta, "edf", tmp_path / "s.edf")
    with pyedflib.EdfReader(str(tmp_path / "s.edf")) as f:
        assert f.getBirthdate() == "12 mar 1980" and f.getPatientCode() == "P-7"
    patient_field = (tmp_path / "s.edf").read_bytes()[8:88].decode("ascii")
    assert patient_field.split()[:3] == ["P-7", "X", "12-MAR-1980"]  # code, sex unknown, dd-MMM-yyyy


def test_csv_session_row_and_json_record_hold_both_identifiers(born, tmp_path):
    sessions, meta = born
    export_session(sessions, meta, "csv", tmp_path / "out")
    with open(tmp_path / "out" / "session.csv", encoding="utf-8") as f:
        [row] = list(csv.DictReader(f))
    assert (row["patient_id"], row["patient_name"], row["birth_date"], row["session_uid"]) == (
        "P-7", "Ada Lovelace", "1980-03-12", meta.uid)
    export_session(sessions, meta, "json", tmp_path / "s.json")
    session = json.loads((tmp_path / "s.json").read_text())["session"]
    assert (session["patient_id"], session["birth_date"]) == ("P-7", "1980-03-12")
