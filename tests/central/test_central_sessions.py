"""The central store as a SessionSource against a real server: it reads every replicated session exactly as the
chair's own file does, and sessions, summary and export with --central print what they print from the file."""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from export_session import make_session
from monitor import cli
from monitor.central.link import ChairSettings
from monitor.central.reader import SILENT_REASON, CentralSessions
from monitor.storage.sessions import SessionMeta, SqliteSessions
from monitor.storage.store import INTERRUPTED_REASON, STALE_HEARTBEAT_S, Store
from pg import central, pg_server, replicate  # noqa: F401

pytestmark = pytest.mark.slow  # every test reads a throwaway PostgreSQL

FIXTURE = Path(__file__).parent.parent / "fixtures" / "release-0.1.0.db"


@pytest.fixture
def chairs(central, tmp_path):
    """chair-a: the release file (schema 1, migrated) and a generated session; chair-b: a session with the same id and
    patient ID as chair-a's first but another patient name. Both replicated; returns (central, chair-a's file)."""
    a, b = tmp_path / "chair-a.db", tmp_path / "chair-b.db"
    shutil.copy(FIXTURE, a)
    make_session(a, minutes=12)
    make_session(b, minutes=6, patient="FIX-001", name="Another Name")
    for chair, db in (("chair-a", a), ("chair-b", b)):
        replicate(db, ChairSettings(central.url(chair), chair))
    return central, a


def as_read_centrally(meta: SessionMeta, chair: str) -> SessionMeta:
    """Return what the central store shows of a session the chair's file shows as meta."""
    meta = replace(meta, chair=chair)
    return replace(meta, end_reason=SILENT_REASON) if meta.state == "interrupted" else meta


def test_every_session_reads_the_same_from_the_central_store_as_from_the_chairs_file(chairs):
    central, db = chairs
    local, remote = SqliteSessions(db), CentralSessions(central.url("desk"))
    metas, compared = local.sessions(), 0
    assert sorted(m.state for m in metas) == ["discharged", "discharged", "interrupted"]
    assert [m for m in remote.sessions() if m.chair == "chair-a"] == [as_read_centrally(m, "chair-a") for m in metas]
    for meta in metas:
        ref = f"chair-a:{meta.id}"
        there = remote.resolve(ref)
        assert there == as_read_centrally(meta, "chair-a") and there.ref == ref
        assert remote.resolve(meta.uid) == there and local.resolve(meta.uid) == meta
        record = remote.record(there)
        assert replace(record, meta=meta) == local.record(meta)
        assert list(remote.numerics(there)) == list(local.numerics(meta))
        t0 = meta.started_utc + 60
        assert list(remote.numerics(there, t0, t0 + 120)) == list(local.numerics(meta, t0, t0 + 120))
        for parameter in {n.parameter for n in local.numerics(meta)}:
            mine, theirs = local.series(meta, parameter), remote.series(there, parameter)
            assert [(s.source, s.unit) for s in theirs] == [(s.source, s.unit) for s in mine]
            for m, t in zip(mine, theirs):
                assert np.array_equal(m.t, t.t) and np.array_equal(m.v, t.v, equal_nan=True)
        for track in record.tracks:
            for window in ((None, None), (t0, t0 + 10)):
                mine, theirs = local.wave(meta, track, *window), remote.wave(there, track, *window)
                assert np.array_equal(mine[0], theirs[0]) and np.array_equal(mine[1], theirs[1], equal_nan=True)
        for device in record.devices:
            assert list(remote.raw(there, device.source)) == list(local.raw(meta, device.source))
        compared += len(record.journal) + len(record.alarms) + len(record.nibp) + len(record.tracks)
    assert compared > 50  # records with every kind of row were compared
    assert remote.resolve("latest").ref == max(remote.sessions(), key=lambda m: (m.started_utc, m.chair, m.id)).ref
    remote.close()


def test_each_session_has_its_own_chairs_patient_and_patients_are_listed_once(chairs):
    central, _ = chairs
    remote = CentralSessions(central.url("desk"))
    names = {m.ref: m.patient_name for m in remote.sessions(patient_id="FIX-001")}
    assert names == {"chair-a:1": "Fixture Patient", "chair-b:1": "Another Name"}
    assert [pid for pid, _ in remote.patients()] == ["FIX-001", "P-7"]  # known to both chairs, listed once
    first, *_ = remote.sessions()
    assert remote.sessions(since=first.started_utc + 1, until=first.started_utc + 2) == []
    assert remote.sessions(since=first.started_utc, until=first.started_utc + 1)[0] == first


def cli_run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def exported(capsys, tmp_path, fmt: str, *where: str) -> bytes | None:
    """Export one session to a file and return its bytes (None: the session is empty, as the CLI said)."""
    path = tmp_path / f"{len(list(tmp_path.iterdir()))}.{fmt}"
    code, _, err = cli_run(capsys, "export", *where, "--format", fmt, "-o", str(path))
    if code == 2 and "is empty" in err:
        return None
    assert code == 0, err
    return path.read_bytes()


def comparable(fmt: str, data: bytes | None, chair: str, ref: str) -> object:
    """Return an export as the central and the local one must be equal: without the chair's name and the session's
    reference, the end reason of a session only seen as interrupted, and the time the export was made."""
    if data is None or fmt == "edf":
        return data
    if fmt == "json":
        record = json.loads(data)
        assert (record["session"].pop("chair"), record["session"].pop("ref")) == (chair, f"{chair}:{ref}" if chair
                                                                                  else ref)
        record["session"].pop("end_reason")
        return record
    text = data.decode()
    for reason in (SILENT_REASON, INTERRUPTED_REASON):
        text = text.replace(reason, "")
    if fmt == "fhir":
        return re.sub(r'"timestamp": "[^"]*"', "", text)
    if fmt == "hl7":
        return re.sub(r"^(MSH(\|[^|\r]*){5})\|[^|]*", r"\1|", text, flags=re.M)
    return text


@pytest.mark.parametrize("ref", ["1", "2", "3"])
def test_summary_and_exports_with_central_equal_the_files(chairs, capsys, tmp_path, ref):
    central, db = chairs
    desk = central.url("desk")
    code, local, err = cli_run(capsys, "summary", "--db", str(db), "--session", ref, "--format", "json")
    assert code == 0, err
    code, remote, err = cli_run(capsys, "summary", "--central", desk, "--session", f"chair-a:{ref}", "--format", "json")
    assert code == 0, err
    local, remote = json.loads(local), json.loads(remote)
    assert (local.pop("session_ref"), remote.pop("session_ref")) == (ref, f"chair-a:{ref}")
    if local["state"] == "interrupted":
        assert (local.pop("end_reason"), remote.pop("end_reason")) == (INTERRUPTED_REASON, SILENT_REASON)
    # The forecast an infusion had comes from the patient's earlier infusions: the central store also holds the
    # ones at another chair (FIX-001 was infused at chair-b too), the chair's file only its own.
    mine, theirs = local["outcomes"].pop("forecast_peak_sbp"), remote["outcomes"].pop("forecast_peak_sbp")
    assert (mine is None) == (theirs is None)
    for key in [k for k in local["outcomes"] if k.startswith("forecast")]:
        local["outcomes"].pop(key), remote["outcomes"].pop(key)
    assert remote == local
    out = tmp_path / "out"
    out.mkdir()
    for fmt in ("csv", "json", "fhir", "hl7", "edf"):
        mine = exported(capsys, out, fmt, "--db", str(db), "--session", ref)
        theirs = exported(capsys, out, fmt, "--central", desk, "--session", f"chair-a:{ref}")
        assert comparable(fmt, theirs, "chair-a", ref) == comparable(fmt, mine, "", ref), fmt


def test_sessions_and_a_selection_export_name_each_chairs_sessions(chairs, capsys, tmp_path):
    central, _ = chairs
    desk = central.url("desk")
    code, out, err = cli_run(capsys, "sessions", "--central", desk, "--patient", "FIX-001")
    assert code == 0, err
    assert sorted(line.split()[0] for line in out.splitlines()[1:]) == ["chair-a:1", "chair-b:1"]
    code, _, err = cli_run(capsys, "export", "--central", desk, "--patient", "FIX-001", "--format", "json", "-o",
                           str(tmp_path / "out"))
    assert code == 0, err
    assert sorted(p.name.split("-20")[0] for p in (tmp_path / "out").iterdir()) == \
        ["session-chair-a-1", "session-chair-b-1"]


def test_a_running_session_counts_as_interrupted_once_its_chair_is_silent(central, tmp_path):
    db = tmp_path / "chair.db"
    store = Store(db)
    sid = store.create_session(patient_id="P-RUN")
    now = time.time()
    store.write_batch({"numerics": [{"session_id": sid, "t": now - 5 + i, "source": "pulseox", "parameter": "spo2",
                                     "value": 97.0, "unit": "%"} for i in range(5)]}, sid, heartbeat=now)
    settings = ChairSettings(central.url("chair-a"), "chair-a")
    replicate(db, settings)
    remote = CentralSessions(central.url("desk"))
    assert remote.resolve("latest").state == "running"
    store.update_session(sid, heartbeat_utc=now - STALE_HEARTBEAT_S - 5)  # as if nothing came since then
    replicate(db, settings)
    meta = remote.resolve(f"chair-a:{sid}")
    assert (meta.state, meta.ended_utc, meta.end_reason) == ("interrupted", now - 1, SILENT_REASON)


def test_a_chair_login_reads_only_its_own_sessions(chairs, capsys):
    central, _ = chairs
    code, out, err = cli_run(capsys, "sessions", "--central", central.url("chair-b"))
    assert code == 0, err
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["chair-b:1"]
    code, _, err = cli_run(capsys, "summary", "--central", central.url("chair-b"), "--session", "chair-a:1")
    assert code == 2 and "there is no session chair-a:1 in the central store" in err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("infusion-monitor: error: "), err
    return lines[0]


def test_reading_errors_are_one_line(chairs, capsys):
    central, db = chairs
    desk = central.url("desk")
    code, _, err = cli_run(capsys, "summary", "--central", desk, "--session", "12")
    assert code == 2 and "is not CHAIR:ID" in one_line(err)
    code, _, err = cli_run(capsys, "export", "--central", desk, "--db", str(db), "--session", "latest", "--format",
                           "csv")
    assert code == 2 and "not both" in one_line(err)
    import psycopg

    with psycopg.connect(central.admin, autocommit=True) as conn:
        conn.execute("ALTER TABLE infusion.tracks RENAME TO tracks_before")
    code, _, err = cli_run(capsys, "sessions", "--central", desk)
    assert code == 2 and "lacks tracks" in one_line(err) and "central init" in err


def test_the_configured_central_store_is_read_unless_db_is_given(chairs, capsys, monkeypatch):
    central, db = chairs
    monkeypatch.setenv("INFUSION_MONITOR_CENTRAL", central.url("desk"))
    code, out, err = cli_run(capsys, "summary", "--session", "chair-b:1", "--format", "json")
    assert code == 0 and json.loads(out)["session_ref"] == "chair-b:1", err
    code, out, err = cli_run(capsys, "summary", "--db", str(db), "--session", "1", "--format", "json")
    assert code == 0 and json.loads(out)["session_ref"] == "1", err
    monkeypatch.setenv("INFUSION_MONITOR_CENTRAL", central.url("desk").replace(f":{central.server.port}/", ":1/"))
    code, _, err = cli_run(capsys, "sessions")
    assert code == 2 and "give --db to read this computer's file" in one_line(err)


def test_the_pdf_report_from_the_central_store_reads_as_the_files(chairs, qapp, capsys, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    from ui import launcher

    central, db = chairs
    texts = []
    for where in (("--db", str(db), "--session", "3"), ("--central", central.url("desk"), "--session", "chair-a:3")):
        out = tmp_path / f"{len(texts)}.pdf"
        code = launcher.main(["export", *where, "--format", "pdf", "-o", str(out)])
        assert code == 0, capsys.readouterr().err
        texts.append("".join("".join(page.extract_text().split()) for page in pypdf.PdfReader(str(out)).pages))
    assert "AdaLovelace" in texts[0] and "chair-a:3" in texts[1]  # compared without spaces: lines wrap alike
    assert texts[1].replace("chair-a:3", "3") == texts[0]
