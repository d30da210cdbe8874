"""The session record: typed journal records round-trip through the database, tracks are declared,
the release-0.1.0 database reads the same after migration, and reading never changes a file."""

from __future__ import annotations

import json
import math
import os
import shutil
import sqlite3
import stat
from pathlib import Path

import numpy as np
import pytest

from devices.values import NibpResult, WaveSegment, sample
from monitor.record.journal import LimitChange
from monitor.record.journal import InfusionEvent
from monitor.record.journal import MarkerRevision
from monitor.storage.recorder import Recorder
from monitor.record.base import KINDS, RecordError, from_row, to_row
from monitor.record.outcomes import OutcomeReview, OutcomeScore
from monitor.record.journal import AldreteScore, Baseline, BpRequest, DeviceIdentity, Discharge, ManualBp, ObservationComplete, OperatorChange, PhaseChange, RecoveryImport, ScaleEntry, SessionStart, SimulatedDevice, StartCheck
from monitor.record.outcomes import CentralFlagCheck, FlagOverride
from monitor.record.signing import Signature, SigningMode
from monitor.storage.sessions import SqliteSessions
from monitor.storage.schema import SCHEMA_VERSION
from monitor.storage.store import Store, StoreError
from written import digest

FIXTURE = Path(__file__).parent.parent / "fixtures" / "release-0.1.0.db"

EXAMPLES = [
    SessionStart("P1", 3, 6, {"fasting": True, "driver": False}, "AB", True, ("weight 38 kg below 40",), "AB"),
    Baseline(sbp=128.0, dbp=82.0, why="first BP before the infusion"),
    PhaseChange("infusion"),
    ObservationComplete(60.0),
    BpRequest("bp_now", "infusion", True),
    ManualBp(128.0, 82.0, 97.3, None),
    ScaleEntry("cadss", 5, 1_700_000_000.5, (1, 0, 2, 1, 0, 1), "short", 24, "", ("40 min",), "infusion"),
    ScaleEntry("moaas", 4, 1_700_000_001.0, anchor="lethargic response to name", time_points=("baseline",)),
    Discharge(AldreteScore(2, 2, 2, 2, 1, 9, 131.0, 128.0, 91.0, False), True, "spouse", "CD", 1_700_000_100.0, 9,
              False, ("SpO2 91 %",), {"oriented": True}, "transferred", True),
    DeviceIdentity("pulseox-2", "Nonin OEM III", "", "60"),
    SimulatedDevice("pulseox-2"),
    OperatorChange("CD", "AB"),
    InfusionEvent(1_700_000_050.0, "rate_changed", 120.0, 12.5, "nausea", "AB"),
    MarkerRevision("m1", 2, 1_700_000_060.0, "dizziness", "Dizziness", "", "CD", 1_700_000_070.0, "wrong key"),
    LimitChange(1_700_000_080.0, "spo2", "medium_low", 94.0, 92.0, "CD"),
    RecoveryImport("9f2c", 1234, 1_700_000_090.0, "database s.db is locked by another program"),
    FlagOverride(("a1b2", "c3d4"), "CD", "infusion", 1_700_000_095.0),
    CentralFlagCheck(("a1b2 session 9 at chair-02",), ""),
    CentralFlagCheck((), "Central store not reached: flags from other chairs not checked"),
    StartCheck(("no baseline BP: the rise alarms stay off for this infusion", "high alarm: SpO2 84 < 90"), True, "AB"),
    Signature("acknowledge", "AB", True, "Anna Berg", "nurse", True),
    SigningMode(False, "No staff list: actions are not signed", 0),
]


def test_every_record_kind_has_an_example():
    assert {type(r).KIND for r in EXAMPLES} >= set(KINDS) - {"outcome", "outcome_review"}


@pytest.mark.parametrize("record", EXAMPLES, ids=lambda r: r.KIND)
def test_each_record_round_trips_through_the_database(tmp_path, record):
    store = Store(tmp_path / "s.db")
    sid = store.create_session(patient_id="P1")
    recorder = Recorder(store, sid)
    recorder.start()
    recorder.journal(record, "AB", t=1_700_000_000.0)
    recorder.stop()
    sessions = SqliteSessions(tmp_path / "s.db")
    [entry] = sessions.record(sessions.resolve(str(sid))).journal
    assert entry.record == record and type(entry.record) is type(record)
    assert (entry.t, entry.user) == (1_700_000_000.0, "AB")


@pytest.mark.parametrize("record", [PhaseChange("observation"),
                                    OutcomeScore("phq9", (1,) * 9, 1_700_000_000.0, "AB", "nurse"),
                                    OutcomeReview("x" * 8, "Dr Lee", "seen", 1_700_000_000.0)])
def test_a_row_of_a_newer_version_is_refused_in_words_whatever_reads_its_data(record):
    kind, version, data = to_row(record)
    with pytest.raises(RecordError, match="newer"):
        from_row(kind, version + 1, data)


def test_a_row_of_an_unknown_kind_or_damaged_data_is_refused_in_words():
    kind, version, data = to_row(PhaseChange("observation"))
    with pytest.raises(RecordError, match="unknown"):
        from_row("teleport", 1, data)
    with pytest.raises(RecordError, match="damaged"):
        from_row(kind, version, "{not json")


def test_version_1_scale_and_limit_rows_are_upgraded():
    moaas = from_row("scale", 1, json.dumps({"scale": "moaas", "score": 3, "anchor": "x", "t": 5.0,
                                             "time_points": ["end"], "phase": "observation"}))
    assert moaas == ScaleEntry("moaas", 3, 5.0, anchor="x", time_points=("end",), phase="observation")
    change = from_row("limit_changed", 1, json.dumps({"t": 1.0, "kind": "limit_changed", "condition": "delay_s",
                                                      "param": "spo2", "old": 10.0, "new": 5.0, "user": "ann"}))
    assert change == LimitChange(1.0, "spo2", "delay_s", 10.0, 5.0, "ann")


def test_waveform_tracks_are_declared_once_and_chunks_read_back_in_time(tmp_path):
    store = Store(tmp_path / "s.db")
    sid = store.create_session()
    recorder = Recorder(store, sid)
    recorder.start()
    t = 1_700_000_000.0
    for k in range(150):  # 2 s of 75 Hz pleth in reads of 1 sample...
        recorder.put(WaveSegment(t + k / 75, "pulseox", "pleth", (float(k),), 75.0))
    recorder.put(WaveSegment(t + 3.0, "pulseox-2", "pleth", tuple(float(v) for v in range(60)), 60.0))
    recorder.put(sample(t, "pulseox", "spo2", 97.0))
    recorder.stop()
    sessions = SqliteSessions(tmp_path / "s.db")
    meta = sessions.resolve("latest")
    record = sessions.record(meta)
    assert [(tr.track, tr.source, tr.parameter, tr.unit, tr.rate) for tr in record.tracks] == [
        (1, "pulseox", "pleth", "1", 75.0), (2, "pulseox-2", "pleth", "1", 60.0)]
    times, values = sessions.wave(meta, record.tracks[0])
    assert list(values) == [float(k) for k in range(150)]
    assert times == pytest.approx([t + k / 75 for k in range(150)])
    times, values = sessions.wave(meta, record.tracks[1], t0=t + 2.0)
    assert len(values) == 60 and times[-1] == pytest.approx(t + 3.0) and times[0] == pytest.approx(t + 3.0 - 59 / 60)
    assert sessions.wave(meta, record.tracks[0], t0=t + 1.0, t1=t + 1.2)[1].tolist() == list(range(75, 90))


def _raw_v1(path: Path) -> dict[str, list[tuple]]:
    """Read every row of the schema-1 file with plain SQL, as the release wrote it."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    out = {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}
    conn.close()
    return out


def test_the_release_database_reads_the_same_after_migration(tmp_path):
    copy = tmp_path / "old.db"
    shutil.copy(FIXTURE, copy)
    raw = _raw_v1(copy)
    assert sqlite3.connect(copy).execute("PRAGMA user_version").fetchone()[0] == 1
    Store(copy).close()  # the chair opens it: migrated in place
    assert sqlite3.connect(copy).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    sessions = SqliteSessions(copy)
    metas = sessions.sessions()
    assert [(m.id, m.patient_id, m.state) for m in metas] == [(1, "FIX-001", "discharged"), (2, "FIX-002", "interrupted")]
    assert metas[0].patient_name == "Fixture Patient" and len({m.uid for m in metas}) == 2
    for meta, row in zip(metas, raw["sessions"]):
        assert (meta.started_utc, meta.weight_kg, meta.tz) == (row[2], row[6], row[4])
    record = sessions.record(metas[0])
    assert record.unreadable == ()
    journal_rows = [r for r in raw["journal"] if r[0] == 1]
    assert len(record.journal) == len(journal_rows)
    for entry, (sid, t, kind, data, user) in zip(record.journal, journal_rows):
        assert (entry.t, entry.kind, entry.user) == (t, kind, user)
        old = json.loads(data)
        new = entry.record.to_data()
        renamed = {"score": "total", "condition": "key"}
        for key, value in old.items():  # every field the release stored is still there, under today's name
            if key in ("kind", "alarm_id", "alarm_kind", "priority", "message", "source", "value", "limit") \
                    and kind == "limit_changed":
                continue
            if key == "scale" and kind == "discharge":
                continue
            target = renamed.get(key, key) if kind in ("scale", "limit_changed") else key
            got = new[target]
            if isinstance(value, dict):
                value = {k: v for k, v in value.items() if k != "scale"}
            assert got == value, (kind, key)
    assert [(a.t, a.kind.value, a.priority.label if a.priority else None, a.message, a.user) for a in record.alarms] \
        == [(r[1], r[2], r[6], r[7], r[12]) for r in raw["alarms"] if r[0] == 1]
    assert [(n.t, n.sbp, n.dbp, n.map, n.pulse_rate) for n in record.nibp] == \
        [(r[1], r[3], r[4], r[5], r[6]) for r in raw["nibp"] if r[0] == 1]
    numerics = list(sessions.numerics(metas[0]))
    assert [(n.t, n.source, n.parameter, n.value) for n in numerics] == \
        sorted([(r[1], r[3], r[4], r[5]) for r in raw["numerics"] if r[0] == 1], key=lambda r: r[0])
    [track] = record.tracks
    assert (track.source, track.parameter, track.rate) == ("pulseox", "pleth", 75.0)  # the Nonin's rate
    _, values = sessions.wave(metas[0], track)
    old_samples = np.concatenate([np.frombuffer(r[6], dtype=np.float32) for r in raw["waveform_chunks"] if r[0] == 1])
    assert np.array_equal(values.astype(np.float32), old_samples, equal_nan=True)
    assert [d.source for d in record.devices] == ["pulseox", "nibp"]
    assert sum(len(b) for _, b in sessions.raw(metas[0], "pulseox")) == \
        sum(len(r[4]) for r in raw["raw_bytes"] if r[0] == 1 and r[1] == "pulseox" and r[3] == "rx")


def test_reading_an_old_file_never_changes_it(tmp_path):
    copy = tmp_path / "old.db"
    shutil.copy(FIXTURE, copy)
    before = digest(copy)
    sessions = SqliteSessions(copy)  # migrated in a private copy, in memory
    assert [m.state for m in sessions.sessions()] == ["discharged", "interrupted"]
    assert sessions.record(sessions.resolve("1")).tracks
    sessions.close()
    assert digest(copy) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only files, so nothing would be tested")
def test_a_read_only_file_and_folder_can_be_read(tmp_path):
    folder = tmp_path / "media"
    folder.mkdir()
    store = Store(folder / "s.db")
    sid = store.create_session(patient_id="P9")
    store.close_session(sid)
    store.close()
    (folder / "s.db").chmod(stat.S_IRUSR)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        assert [m.patient_id for m in SqliteSessions(folder / "s.db").sessions()] == ["P9"]
    finally:
        folder.chmod(stat.S_IRWXU)


def test_immutable_fallback_reads_when_the_wal_cannot_be_created(tmp_path, monkeypatch):
    store = Store(tmp_path / "s.db")
    store.create_session(patient_id="P9")
    store.close()
    real = sqlite3.connect
    calls = []

    def connect(database, *a, **kw):
        calls.append(database)
        if "immutable=1" not in str(database):
            raise sqlite3.OperationalError("unable to open database file")
        return real(database, *a, **kw)

    monkeypatch.setattr(sqlite3, "connect", connect)
    assert [m.patient_id for m in SqliteSessions(tmp_path / "s.db").sessions()] == ["P9"]
    assert "immutable=1" in calls[-1] and len(calls) == 2


def test_another_programs_database_is_refused_and_left_alone(tmp_path):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (x TEXT)")
    conn.commit()
    conn.close()
    before = digest(other)
    with pytest.raises(StoreError, match="not an infusion-monitor database"):
        SqliteSessions(other)
    with pytest.raises(StoreError, match="not an infusion-monitor database"):
        Store(other)
    assert digest(other) == before
    assert sqlite3.connect(other).execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_a_missing_file_is_one_line(tmp_path):
    with pytest.raises(StoreError, match="no database at"):
        SqliteSessions(tmp_path / "nope.db")


def test_new_database_files_are_private(tmp_path):
    folder = tmp_path / "new" / "dir"
    store = Store(folder / "s.db")
    store.create_session()
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    for suffix in ("", "-wal", "-shm"):
        path = Path(f"{folder / 's.db'}{suffix}")
        if path.exists():
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, suffix


def test_series_are_per_source_with_nan_for_no_value(tmp_path):
    store = Store(tmp_path / "s.db")
    sid = store.create_session()
    recorder = Recorder(store, sid)
    recorder.start()
    for k, (a, b) in enumerate([(97.0, 95.0), (None, 94.0), (96.0, 93.0)]):
        recorder.put(sample(100.0 + 2 * k, "pulseox", "spo2", a))
        recorder.put(sample(100.5 + 2 * k, "pulseox-2", "spo2", b))
    recorder.put(NibpResult(110.0, "manual", 130.0, 80.0, 96.7, None, flags=frozenset({"manual"})))
    recorder.stop()
    sessions = SqliteSessions(tmp_path / "s.db")
    meta = sessions.resolve("latest")
    first, second = sessions.series(meta, "spo2")
    assert (first.source, second.source) == ("pulseox", "pulseox-2")
    assert first.v[0] == 97.0 and math.isnan(first.v[1]) and list(second.v) == [95.0, 94.0, 93.0]
    [bp] = sessions.record(meta).nibp
    assert bp.source == "manual" and bp.flags == {"manual"}


def test_a_session_is_found_by_its_uid_too(tmp_path):
    store = Store(tmp_path / "s.db")
    first, second = store.create_session(), store.create_session()
    sessions = SqliteSessions(tmp_path / "s.db")
    meta = sessions.resolve(str(first))
    assert sessions.resolve(meta.uid) == meta and sessions.resolve("latest").id == second
    with pytest.raises(ValueError, match="no session 0123456789abcdef0123456789abcdef"):
        sessions.resolve("0123456789abcdef0123456789abcdef")
