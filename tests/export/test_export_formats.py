"""Every export format is parsed back by its field library and its values compared with the session's own."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from export_session import DESAT, T0, make_session
from monitor.timefmt import iso_utc
from monitor.export.content import alarm_lives, bp_readings, current_markers, infusion_events
from monitor.export.edf import annotations
from monitor.export.run import Options, export_session
from monitor.record.base import from_row
from monitor.storage.sessions import SqliteSessions


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports")
    make_session(folder / "s.db")
    sessions = SqliteSessions(folder / "s.db")
    meta = sessions.resolve("latest")
    return sessions, meta, sessions.record(meta)


def private(path: Path) -> bool:
    return stat.S_IMODE(os.stat(path).st_mode) == 0o600


def progress_log() -> tuple[list[tuple[int, int]], object]:
    calls: list[tuple[int, int]] = []
    return calls, lambda done, total: calls.append((done, total))


def finished(calls: list[tuple[int, int]]) -> bool:
    return bool(calls) and calls[-1][0] == calls[-1][1] and all(0 <= d <= t for d, t in calls)


# --- CSV ------------------------------------------------------------------------------------------


def test_csv_bundle_holds_every_table_with_the_sessions_values(stored, tmp_path):
    sessions, meta, record = stored
    calls, progress = progress_log()
    export_session(sessions, meta, "csv", tmp_path / "out", progress=progress)
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["alarms.csv", "events.csv", "infusion.csv", "nibp.csv", "numerics.csv", "outcomes.csv",
                     "scales.csv", "session.csv"]
    assert all(private(tmp_path / "out" / n) for n in names) and finished(calls)

    def read(name: str) -> list[dict[str, str]]:
        with open(tmp_path / "out" / name, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    numerics = read("numerics.csv")
    stored_rows = list(sessions.numerics(meta))
    assert len(numerics) == len(stored_rows)
    assert list(numerics[0]) == ["time_utc", "source", "parameter", "value", "unit"]
    gap = [r for r in numerics if r["parameter"] == "spo2" and r["value"] == ""]
    assert len(gap) == 12 and gap[0]["time_utc"] == iso_utc(T0 + 700)  # "no value" stays empty, never a number
    events = read("events.csv")
    assert [(e["marker_id"], e["revision"], e["deleted"]) for e in events] == [
        ("m1", "1", "false"), ("m1", "2", "false"), ("m2", "1", "false"), ("m2", "2", "true"), ("m3", "1", "false")]
    assert events[1]["reason"] == "time corrected" and events[1]["user"] == "CD"
    alarms = read("alarms.csv")
    assert len(alarms) == len(record.alarms) and alarms[1]["event"] == "acknowledged" and alarms[1]["user"] == "AB"
    nibp = read("nibp.csv")
    assert [(r["sbp"], r["dbp"], r["error"]) for r in nibp] == [
        (format(r.sbp, "g") if r.sbp else "", format(r.dbp, "g") if r.dbp else "", r.error) for r in record.nibp]
    assert [(r["event"], r["reason"]) for r in read("infusion.csv")] == [
        (e.kind, e.reason) for e in infusion_events(record)]
    assert [(r["scale"], r["total"]) for r in read("scales.csv")] == [("moaas", "4"), ("cadss", "5")]
    phq = read("outcomes.csv")[0]
    assert (phq["instrument"], phq["total"], phq["flag"]) == ("phq9", "11", "true") and "Dr Lee" in phq["reviews"]


def test_csv_zip_and_single_file(stored, tmp_path):
    sessions, meta, _ = stored
    export_session(sessions, meta, "csv", tmp_path / "s.zip")
    with zipfile.ZipFile(tmp_path / "s.zip") as archive:
        assert "numerics.csv" in archive.namelist() and "events.csv" in archive.namelist()
        assert archive.read("numerics.csv").decode().startswith("time_utc,source,parameter,value,unit\n")
    export_session(sessions, meta, "csv", tmp_path / "n.csv")
    assert private(tmp_path / "s.zip") and private(tmp_path / "n.csv")
    assert (tmp_path / "n.csv").read_text().count("\n") == len(list(sessions.numerics(meta))) + 1


# --- JSON -----------------------------------------------------------------------------------------


def test_json_is_the_whole_typed_record(stored, tmp_path):
    sessions, meta, record = stored
    export_session(sessions, meta, "json", tmp_path / "s.json")
    data = json.loads((tmp_path / "s.json").read_text())
    assert data["session"]["uid"] == meta.uid and data["session"]["patient_id"] == "P-7"
    assert [from_row(j["kind"], j["version"], json.dumps(j["data"])) for j in data["journal"]] == \
        [e.record for e in record.journal]
    assert len(data["numerics"]) == len(list(sessions.numerics(meta)))
    assert [a["kind"] for a in data["alarms"]] == [a.kind.value for a in record.alarms]
    assert "not a certified medical device" in data["notice"]


# --- FHIR -----------------------------------------------------------------------------------------


def _resources(bundle, kind: str) -> list:
    return [e.resource for e in bundle.entry if e.resource.get_resource_type() == kind]


def _codes(concept) -> set[tuple[str, str]]:
    return {(c.system, c.code) for c in concept.coding or ()}


def test_fhir_bundle_validates_and_carries_the_sessions_values(stored, tmp_path):
    from fhir.resources.R4B.bundle import Bundle

    sessions, meta, record = stored
    calls, progress = progress_log()
    export_session(sessions, meta, "fhir", tmp_path / "s.json", progress=progress)
    assert private(tmp_path / "s.json") and finished(calls)
    bundle = Bundle.model_validate_json((tmp_path / "s.json").read_text())  # validation by fhir.resources
    assert bundle.type == "collection"
    [patient] = _resources(bundle, "Patient")
    assert patient.identifier[0].value == "P-7" and patient.name[0].text == "Ada Lovelace"
    [encounter] = _resources(bundle, "Encounter")
    assert encounter.status == "finished" and encounter.identifier[0].value == meta.uid
    devices = {d.serialNumber for d in _resources(bundle, "Device")}
    assert devices == {"N-123", "SN-4411"}  # the pulse oximeter's serial came from its own report
    observations = _resources(bundle, "Observation")
    spo2 = [o for o in observations if ("urn:iso:std:iso:11073:10101", "150456") in _codes(o.code)]
    assert spo2 and all(("http://loinc.org", "59408-5") in _codes(o.code) for o in spo2)
    assert all(o.category[0].coding[0].code == "vital-signs" and o.valueQuantity.code == "%" and
               o.valueQuantity.system == "http://unitsofmeasure.org" for o in spo2)
    assert min(float(o.valueQuantity.value) for o in spo2) == 88.0  # the lowest value is always kept
    assert len(spo2) < 2 * 20 + 10  # thinned: about one per minute, not one per second
    panels = [o for o in observations if ("http://loinc.org", "85354-9") in _codes(o.code) and o.status == "final"]
    assert len(panels) == len(bp_readings(record))
    for panel, bp in zip(panels, bp_readings(record)):
        values = {c.code.coding[0].code: float(c.valueQuantity.value) for c in panel.component}
        assert (values["8480-6"], values["8462-4"]) == (bp.sbp, bp.dbp)
        assert panel.meta.profile[-1] == "http://hl7.org/fhir/StructureDefinition/bp"
    phq = next(o for o in observations if ("http://loinc.org", "44261-6") in _codes(o.code))
    items = {c.code.coding[0].code: c.valueInteger for c in phq.component}
    assert phq.valueInteger == 11 and items["44260-8"] == 1  # item 9
    assert list(items) == ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5",
                           "44253-3", "44260-8"] and list(items.values()) == [2, 2, 1, 1, 2, 1, 1, 0, 1]
    gad = next(o for o in observations if ("http://loinc.org", "70274-6") in _codes(o.code))
    assert gad.valueInteger == 7 and [c.valueInteger for c in gad.component] == [1, 1, 2, 1, 0, 1, 1]
    assert gad.component[5].code.coding[0].code == "69689-8" and "annoyed" in gad.component[5].code.text
    [flag] = _resources(bundle, "Flag")
    assert flag.status == "inactive" and flag.author.display == "Dr Lee"  # reviewed, still listed
    given = _resources(bundle, "MedicationAdministration")
    assert [g.status for g in given] == ["completed", "completed", "stopped"]  # paused, rate change, stopped
    assert sum(float(g.dosage.dose.value) for g in given) == pytest.approx(infusion_events(record)[-1].delivered_mg)
    assert float(given[1].dosage.rateQuantity.value) == 150.0 and float(given[2].dosage.rateQuantity.value) == 120.0


def test_fhir_transaction_creates_conditionally(stored, tmp_path):
    from fhir.resources.R4B.bundle import Bundle

    sessions, meta, _ = stored
    export_session(sessions, meta, "fhir", tmp_path / "t.json", Options(bundle="transaction"))
    bundle = Bundle.model_validate_json((tmp_path / "t.json").read_text())
    assert bundle.type == "transaction"
    assert all(e.request.method == "POST" and e.request.ifNoneExist for e in bundle.entry)


# --- HL7 ------------------------------------------------------------------------------------------


def test_hl7_session_message_parses_back_with_pcd01_fields(stored, tmp_path):
    import hl7

    sessions, meta, record = stored
    export_session(sessions, meta, "hl7", tmp_path / "s.hl7")
    [text] = [m for m in (tmp_path / "s.hl7").read_bytes().decode().split("\n") if m]
    message = hl7.parse(text)
    msh = message.segment("MSH")
    assert (str(msh[9]), str(msh[12])) == ("ORU^R01^ORU_R01", "2.6")
    assert str(message.segment("PID")[3][0][0]) == "P-7"
    assert str(message.segment("PID")[5]) == "Lovelace^Ada"
    obx = message.segments("OBX")
    spo2 = [o for o in obx if str(o[3][0][0]) == "150456"]
    assert spo2 and all(str(o[3][0][1]) == "MDC_PULS_OXIM_SAT_O2" and str(o[6][0][0]) == "262688" for o in spo2)
    assert min(float(str(o[5])) for o in spo2) == 88.0
    systolic = [float(str(o[5])) for o in obx if str(o[3][0][0]) == "150021"]
    assert systolic == [bp.sbp for bp in bp_readings(record)]
    assert any(str(o[17]).startswith("MANUAL") for o in obx if str(o[3][0][0]) == "150021")
    notes = [str(n[3]) for n in message.segments("NTE")]
    assert any("not a certified medical device" in n for n in notes)
    assert any(n.startswith("FLAG: PHQ-9 item 9 = 1") for n in notes)
    assert any("SpO2 88 < 90, acknowledged by AB" in n for n in notes)


def test_hl7_per_event_is_one_message_per_bp_and_physiological_alarm(stored):
    import hl7

    from monitor.export.hl7 import messages

    sessions, meta, record = stored
    texts = messages(sessions, meta, "event")
    physiological = [life for life in alarm_lives(record) if life.param]
    assert len(texts) == len(record.nibp) + len(physiological)  # every BP measurement, the failed one too
    parsed = [hl7.parse(t) for t in texts]
    assert len({str(m.segment("MSH")[10]) for m in parsed}) == len(texts)  # distinct control ids
    alarm = next(m for m in parsed if str(m.segment("OBX")[3][0][0]) == "150456")
    assert (str(alarm.segment("OBX")[5]), str(alarm.segment("OBX")[8])) == ("88", "L")


def test_hl7_text_with_separators_is_escaped(tmp_path):
    import hl7

    from monitor.export.hl7 import messages

    make_session(tmp_path / "s.db", name="Ann O'Brien|Smith^Jr")
    sessions = SqliteSessions(tmp_path / "s.db")
    message = hl7.parse(messages(sessions, sessions.resolve("latest"))[0])
    name = message.segment("PID")[5][0]
    assert len(name) == 2  # family^given: the separators in the name did not make new components
    assert (message.unescape(str(name[0])), str(name[1])) == ("O'Brien|Smith^Jr", "Ann")


# --- EDF ------------------------------------------------------------------------------------------


def test_edf_reads_back_with_rates_values_and_annotations(stored, tmp_path):
    import pyedflib

    sessions, meta, record = stored
    calls, progress = progress_log()
    export_session(sessions, meta, "edf", tmp_path / "s.edf", progress=progress)
    assert private(tmp_path / "s.edf") and finished(calls)
    start = T0 - 1  # the pleth's first block was sampled in the second before the session started: kept
    with pyedflib.EdfReader(str(tmp_path / "s.edf")) as f:
        labels = f.getSignalLabels()
        rates = {label: f.getSampleFrequency(i) for i, label in enumerate(labels)}
        assert rates == {"Pleth pulseox": 75.0, "PI pulseox": 1.0, "Pulse pulseox": 1.0, "SpO2 pulseox": 1.0}
        assert f.getFileDuration() == 20 * 60 + 1
        spo2 = f.readSignal(labels.index("SpO2 pulseox"))
        assert spo2[1 + DESAT[0] + 5] == pytest.approx(88, abs=0.01) and spo2[101] == pytest.approx(97, abs=0.01)
        assert spo2[706] == pytest.approx(-1, abs=0.01)  # the device's "no value" is the signal's floor, not a value
        pleth = f.readSignal(labels.index("Pleth pulseox"))
        times, wave = sessions.wave(meta, record.tracks[0])
        index = np.round((times - start) * 75).astype(int)  # each sample where its time puts it: all of them
        assert len(pleth) == 75 * (20 * 60 + 1) and index.min() >= 0
        assert pleth[index] == pytest.approx(wave, abs=0.05)
        onsets, _, texts = f.readAnnotations()
        expected = annotations(record)
        assert len(expected) == (len(infusion_events(record)) + len(current_markers(record)) +
                                 len(bp_readings(record)) + 1 + len(alarm_lives(record)) + 2 + 2 + 1)
        assert [text for _, text in whole(onsets, texts)] == [text for _, _, text in expected]
        assert "Alarm high: SpO2 88 < 90" in list(texts) and "BP failed: cuff leak (error 3)" in list(texts)
        assert [round(o) for o, _ in whole(onsets, texts)] == [round(t - start) for t, _, _ in expected]
        assert f.getPatientCode() == "P-7"


def whole(onsets, texts) -> list[tuple[float, str]]:
    """Join the pieces of annotation texts EDFlib could not hold in one (each but the last ends in "…")."""
    out: list[tuple[float, str]] = []
    for onset, text in zip(onsets, texts):
        if out and out[-1][1].endswith("…"):
            out[-1] = (out[-1][0], out[-1][1][:-1] + " " + text)
        else:
            out.append((onset, text))
    return out


# --- several sessions, privacy, layering ----------------------------------------------------------


def test_several_sessions_one_private_file_each(tmp_path):
    from monitor.export.run import export_sessions

    db = tmp_path / "s.db"
    make_session(db, minutes=6)
    make_session(db, minutes=6, patient="P-8")
    sessions = SqliteSessions(db)
    calls, progress = progress_log()
    written = export_sessions(sessions, sessions.sessions(patient_id="P-8"), "hl7", tmp_path / "out",
                              progress=progress)
    assert [p.name for p in written] == ["session-2-2023-11-14-2313.hl7"]
    assert private(written[0]) and stat.S_IMODE(os.stat(tmp_path / "out").st_mode) == 0o700
    assert calls == [(1, 1)]


@pytest.mark.slow
def test_the_export_libraries_are_loaded_only_by_an_export():
    code = ("import sys, monitor.cli, monitor.export.run, monitor.export.fhir, monitor.export.hl7, "
            "monitor.export.edf, monitor.export.mllp\n"
            "print(' '.join(m for m in sys.modules if m.split('.')[0] in ('fhir', 'hl7', 'pyedflib', 'pydantic')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == []


def test_numeric_values_round_trip_exactly_through_csv(stored):
    from monitor.export.csv_bundle import write_numerics

    sessions, meta, _ = stored
    out = io.StringIO()
    write_numerics(sessions, meta, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    for row, stored_row in zip(rows, sessions.numerics(meta)):
        value = None if row["value"] == "" else float(row["value"])
        assert value == stored_row.value or (value is not None and math.isclose(value, stored_row.value))


def test_fhir_pcl5_total_has_its_loinc_code_and_its_items_their_wording(tmp_path):
    from fhir.resources.R4B.bundle import Bundle

    from course_sessions import Visit, make_course

    make_course(tmp_path / "p.db", [Visit(0, outcomes=(("pcl5", (2,) * 20, 2),))])
    sessions = SqliteSessions(tmp_path / "p.db")
    export_session(sessions, sessions.resolve("latest"), "fhir", tmp_path / "p.json")
    bundle = Bundle.model_validate_json((tmp_path / "p.json").read_text())
    [pcl] = [o for o in _resources(bundle, "Observation") if ("http://loinc.org", "101698-9") in _codes(o.code)]
    assert pcl.valueInteger == 40 and len(pcl.component) == 20 and not pcl.component[0].code.coding
    assert pcl.component[19].code.text == "PCL-5 item 20: Trouble falling or staying asleep?"
