"""What a receiver reads is what happened: HL7 read strictly (UTF-8, only delimiter escapes, the PCD-01 profile),
a failed BP in HL7, FHIR and EDF, separate alarm episodes separate in every export, EDF annotations whole."""

from __future__ import annotations

import re

import pytest

from export_session import EPISODES, T0, make_episodes_session, make_session
from monitor.export.content import alarm_lives
from monitor.export.run import export_session
from monitor.storage.sessions import SqliteSessions

PCD_01 = "IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO"
ORU_SEGMENTS = {"MSH", "PID", "PV1", "OBR", "OBX", "NTE"}
NAME = "Zoë “Ann” O'Brien|Smith^Jr & ~ \\ — née"


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    db = tmp_path_factory.mktemp("truth") / "s.db"
    make_session(db, minutes=12, name=NAME)
    sessions = SqliteSessions(db)
    meta = sessions.resolve("latest")
    return sessions, meta, sessions.record(meta)


@pytest.fixture(scope="module")
def episodes(tmp_path_factory):
    db = tmp_path_factory.mktemp("episodes") / "s.db"
    make_episodes_session(db)
    sessions = SqliteSessions(db)
    meta = sessions.resolve("latest")
    return sessions, meta, sessions.record(meta)


def strict_read(text: str):
    """Read one ORU^R01 as a strict receiver would, failing on anything it could misread; return it parsed."""
    import hl7

    assert text.endswith("\r") and "\n" not in text
    raw = text.encode("utf-8")
    assert raw.decode("utf-8") == text  # MSH-18 says UTF-8: the bytes are UTF-8
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text.replace("\r", ""))  # no control byte in a field
    body = text[len("MSH|^~\\&|"):]
    assert text.startswith("MSH|^~\\&|")
    assert not re.search(r"\\(?![FSTRE]\\)", re.sub(r"\\[FSTRE]\\", "", body))  # a lone \ or \X..\ \H\ ...
    segments = text[:-1].split("\r")
    assert all(re.fullmatch(r"[A-Z][A-Z0-9]{2}(\|.*)?", s) for s in segments)
    assert {s[:3] for s in segments} <= ORU_SEGMENTS and segments[0][:3] == "MSH"
    for segment in segments[1:]:
        assert len(hl7.parse(f"{segments[0]}\r{segment}")) == 2  # every segment parses on its own
    message = hl7.parse(text)
    msh = message.segment("MSH")
    assert str(msh[18]) == "UNICODE UTF-8" and str(msh[21]) == PCD_01
    return message


def test_hl7_is_utf8_with_only_delimiters_escaped_and_names_the_pcd01_profile(session):
    from monitor.export.hl7 import messages

    sessions, meta, record = session
    texts = messages(sessions, meta) + messages(sessions, meta, "event")
    parsed = [strict_read(text) for text in texts]
    message = parsed[0]
    name = message.segment("PID")[5][0]  # family^given
    assert len(name) == 2  # the delimiters in the name made no new component
    assert (message.unescape(str(name[0])), message.unescape(str(name[1]))) == ("née", NAME.rpartition(" ")[0])
    flag = next(str(n[3]) for n in message.segments("NTE") if str(n[3]).startswith("FLAG"))
    expected = "FLAG: PHQ-9 item 9 = 1 (thoughts of being better off dead or of self-harm), answered “Several days”"
    assert flag == expected and expected.encode("utf-8") in texts[0].encode("utf-8")  # byte-exact, no escape


def test_hl7_reports_a_failed_bp_as_an_x_status_obx_and_its_reason(session):
    from monitor.export.hl7 import messages

    sessions, meta, record = session
    [failed] = [bp for bp in record.nibp if bp.sbp is None]
    for text in (messages(sessions, meta)[0], *messages(sessions, meta, "event")):
        segments = strict_read(text)
        rows = [str(s) for s in segments]
        at = next((i for i, s in enumerate(rows) if s.startswith("OBX") and s.split("|")[11] == "X"), None)
        if at is None:
            continue
        obx = rows[at].split("|")
        assert obx[3].startswith("150020^MDC_PRESS_BLD_NONINV^MDC^85354-9") and obx[2] == obx[5] == ""
        assert obx[14].startswith("20231114222350")  # when the measurement failed (T0 + 630 s)
        assert rows[at + 1].startswith("NTE") and rows[at + 1].endswith("BP measurement failed: cuff leak (error 3)")
        break
    else:
        pytest.fail("no message reports the failed BP")
    assert failed.t == T0 + 630


def test_fhir_failed_bp_is_a_cancelled_observation_with_its_reason(session, tmp_path):
    from fhir.resources.R4B.bundle import Bundle

    sessions, meta, _ = session
    export_session(sessions, meta, "fhir", tmp_path / "s.json")
    bundle = Bundle.model_validate_json((tmp_path / "s.json").read_text())  # fhir.resources validates it
    [failed] = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "Observation"
                and e.resource.status == "cancelled"]
    assert {(c.system, c.code) for c in failed.code.coding} >= {("http://loinc.org", "85354-9")}
    reason = failed.dataAbsentReason
    assert (reason.coding[0].system, reason.coding[0].code) == (
        "http://terminology.hl7.org/CodeSystem/data-absent-reason", "error")
    assert reason.text == "cuff leak (error 3)" and failed.note[0].text == "BP measurement failed: cuff leak (error 3)"
    assert failed.valueQuantity is None and all(c.dataAbsentReason.coding[0].code == "error" for c in failed.component)
    assert failed.effectiveDateTime.timestamp() == T0 + 630


def test_three_alarm_episodes_are_three_in_every_export(episodes, tmp_path):
    import hl7
    import pyedflib
    from fhir.resources.R4B.bundle import Bundle

    from monitor.export.hl7 import messages
    from monitor.export.report import report_data

    sessions, meta, record = episodes
    lives = [life for life in alarm_lives(record) if life.param == "spo2"]
    assert [life.alarm_id for life in lives] == ["e1", "e2", "e3"]
    # HL7: one note per episode in the session message, one message per episode
    notes = [str(n[3]) for n in hl7.parse(messages(sessions, meta)[0]).segments("NTE")]
    assert [n for n in notes if "SpO2" in n] == [f"Alarm (high) SpO2 {v:g} < 90" for _, _, v in EPISODES]
    alarm_messages = [hl7.parse(t) for t in messages(sessions, meta, "event")]
    assert [str(m.segment("OBX")[5]) for m in alarm_messages] == [f"{v:g}" for _, _, v in EPISODES]
    # FHIR: the value that raised each episode is kept in the thinned vitals
    export_session(sessions, meta, "fhir", tmp_path / "s.json")
    bundle = Bundle.model_validate_json((tmp_path / "s.json").read_text())
    kept = {(o.effectiveDateTime.timestamp(), float(o.valueQuantity.value)) for o in
            (e.resource for e in bundle.entry if e.resource.get_resource_type() == "Observation")}
    assert all((life.raised_t, life.value) in kept for life in lives)
    # PDF: three rows in the alarm table (and the technical alarm)
    [table] = [t for t in report_data(sessions, meta).tables if t.title == "Alarms"]
    assert sum("SpO2" in " ".join(row) for row in table.rows) == 3 and len(table.rows) == 4
    # EDF: three annotations, each as long as its own episode
    export_session(sessions, meta, "edf", tmp_path / "s.edf")
    with pyedflib.EdfReader(str(tmp_path / "s.edf")) as f:
        onsets, durations, texts = f.readAnnotations()
    spo2 = [(o, d) for o, d, t in zip(onsets, durations, texts) if t.startswith("Alarm high: SpO2")]
    assert spo2 == [(pytest.approx(e0 + 5), pytest.approx(e1 - e0 - 5)) for e0, e1, _ in EPISODES]


def test_edf_annotations_keep_their_whole_duration_and_none_is_dropped(tmp_path):
    import pyedflib

    make_episodes_session(tmp_path / "s.db", late_end_s=40.0, notes=1300)
    sessions = SqliteSessions(tmp_path / "s.db")
    meta = sessions.resolve("latest")
    lives = alarm_lives(sessions.record(meta))
    export_session(sessions, meta, "edf", tmp_path / "s.edf")
    with pyedflib.EdfReader(str(tmp_path / "s.edf")) as f:
        onsets, durations, texts = f.readAnnotations()
        span = f.getFileDuration()  # the file starts at T0: nothing was before the session's start
    assert sum(t.startswith("Note: note") for t in texts) == 1300  # more events than seconds: every one kept
    alarms = {t: (o, d) for o, d, t in zip(onsets, durations, texts) if t.startswith("Alarm")}
    for life in lives:
        onset, duration = alarms[f"Alarm {life.priority.label}: {life.message}"]
        assert onset == pytest.approx(life.raised_t - T0) and duration == pytest.approx(life.present_s)
        assert onset + duration <= span + 1e-6  # inside the file: no reader cuts it
    technical = alarms["Alarm medium: Pulse oximeter: no data"]
    assert technical[1] == pytest.approx(20.0)  # present until the session closed
