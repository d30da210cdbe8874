"""The recording tells the truth: an all-invalid stretch is a gap, every reading is kept, `import` and `record`
say what they stored, and a device clock that repeats or jumps is not believed (issue 18)."""

from __future__ import annotations

import math
import os
import time
from dataclasses import replace
from datetime import datetime, timezone

import pytest

import stored
from commands import cli, error_line
from devices.carescape.simulator import CarescapeSimulator
from devices.clock import DeviceClock
from devices.cms50dplus import Frame, encode
from devices.masimo import MasimoSimulator
from devices.sim.capture import device_bytes
from devices.sim.physiology import Patient
from devices.sim.runner import PtySimulator
from devices.values import WaveSegment, sample
from monitor.ingest.capture import Capture, import_capture
from monitor.storage.levels import LevelBuilder
from monitor.storage.recorder import Recorder
from monitor.storage.store import SessionEnd, Store

T0 = 1_700_000_000.0
EPOCH = 1_700_000_000
NAN = math.nan


def write(tmp_path, name: str, data: bytes, mtime: float = 1_750_000_000.0):
    path = tmp_path / name
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return path


def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def chunks(db, sid: int) -> int:
    return stored.rows(db, "SELECT COUNT(*) FROM waveform_chunks WHERE session_id = ?", [sid])[0][0]


def session_row(db, sid: int = 1) -> tuple:
    return stored.rows(db, "SELECT state, started_utc, ended_utc FROM sessions WHERE id = ?", [sid])[0]


def valid_spo2(db, sid: int = 1) -> list[float]:
    return [v for p, v, _ in stored.numerics(db, sid) if p == "spo2" and v is not None]


# --- 1. an all-invalid stretch is a gap ------------------------------------------------------------------------------

def test_levels_of_an_all_invalid_first_flush_are_a_gap():
    levels = LevelBuilder(1)
    levels.add_wave("pulseox", "pleth", T0 + 1, [NAN] * 60, 60.0)
    levels.add_numeric("pulseox", "spo2", T0, None, frozenset())
    assert levels.rows().rows == []  # no bucket, no error: a gap
    levels.add_wave("pulseox", "pleth", T0 + 2 - 1 / 60, [50.0] * 60, 60.0)  # one second: T0 + 1 to T0 + 2
    rows = levels.rows().dicts()
    assert {r["width"] for r in rows} == {1.0, 10.0, 60.0} and all(r["n"] == 60 and r["lo"] == 50.0 for r in rows)


def test_the_recorder_keeps_recording_after_a_flush_of_invalid_pleth_only(tmp_path):
    store = Store(tmp_path / "s.db")
    sid = store.create_session(started_utc=T0)
    rec = Recorder(store, sid)
    rec.start()
    for k in range(3):  # probe off from the first second: each flush holds only invalid samples
        rec.put(WaveSegment(T0 + k + 1, "pulseox", "pleth", (NAN,) * 60, 60.0))
        rec.put(sample(T0 + k, "pulseox", "spo2", None))
    wait_for(lambda: chunks(store.path, sid) == 3)  # flushed alone: the flush that killed the thread (max() of none)
    for k in range(3, 6):
        rec.put(WaveSegment(T0 + k + 1, "pulseox", "pleth", (40.0,) * 60, 60.0))
        rec.put(sample(T0 + k, "pulseox", "spo2", 97.0))
    rec.stop(SessionEnd(T0 + 10, "closed"))
    assert not rec.faults
    assert valid_spo2(store.path, sid) == [97.0] * 3
    assert session_row(store.path, sid)[0] == "closed"
    assert chunks(store.path, sid) == 6


class ProbeOffFirst:
    """A patient whose probe is off for the first `seconds` of scenario time (no valid value, flat pleth)."""

    def __init__(self, seconds: float) -> None:
        self.patient, self.seconds = Patient("baseline"), seconds

    def step(self, t: float):
        v = self.patient.step(t)
        return replace(v, probe_off=True) if t < self.seconds else v


@pytest.mark.slow
def test_record_of_a_session_that_starts_with_the_probe_off_stores_what_follows(tmp_path):
    db = tmp_path / "s.db"
    sim = PtySimulator("cms50dplus", "baseline")
    sim.patient = ProbeOffFirst(2.0)
    with sim:
        out = cli("record", "--db", str(db), "--device", f"pulseox=cms50dplus:{sim.path}", "--duration", "6")
    assert session_row(db)[0] == "closed"
    got = valid_spo2(db)
    assert got and all(90 <= v <= 100 for v in got)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    assert f"session 1 closed (duration reached): stored {len(stored.numerics(db, 1)):,} numerics" in out.stderr


@pytest.mark.slow
@pytest.mark.parametrize("valid_s", [0, 60])
def test_import_of_a_capture_that_starts_with_the_probe_off_stores_it_as_states(tmp_path, valid_s):
    off = encode(Frame(finger_out=True)) * (60 * 30)  # 30 s of finger-out frames: flat, invalid pleth
    path = write(tmp_path, "c.bin", off + (device_bytes("cms50dplus", valid_s) if valid_s else b""))
    db = tmp_path / "s.db"
    out = cli("import", "--db", str(db), "--protocol", "cms50dplus", str(path))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "imported as session 1 (closed)"
    assert session_row(db)[0] == "closed"
    rows = stored.numerics(db, 1)
    assert f"stored: {len(rows):,} numerics" in out.stdout
    spo2 = [v for p, v, _ in rows if p == "spo2"]
    states = spo2[:next((i for i, v in enumerate(spo2) if v is not None), len(spo2))]
    assert len(states) >= 29, "probe off: 30 s of states with no value (one a second of the device's packets)"
    probe_off = stored.rows(db, "SELECT COUNT(*) FROM device_status WHERE condition = 'probe_off' AND active = 1")
    assert probe_off[0][0] >= 1
    got = valid_spo2(db)
    assert len(got) >= 0.8 * valid_s and all(90 <= v <= 100 for v in got)


# --- 3. commands say what they stored ------------------------------------------------------------------------------

def test_an_import_whose_values_were_not_stored_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(Recorder, "_take", lambda self, item: None)  # every value lost on the way to the database
    path = write(tmp_path, "n.bin", device_bytes("nonin", 30))
    report = import_capture(Store(tmp_path / "s.db"), Capture.open("nonin", path))
    assert report.parse.frames and report.parse.items
    assert "none was stored" in report.problem()
    assert report.lines()[-1] == f"session {report.session_id} (closed) is incomplete"


# --- 4. every reading is kept ----------------------------------------------------------------------------------------

def test_every_reading_is_stored_even_equal_and_soon_after_the_last(tmp_path):
    store = Store(tmp_path / "s.db")
    sid = store.create_session(started_utc=T0)
    rec = Recorder(store, sid)
    rec.start()
    arrivals = [0.0, 0.95, 1.95, 2.75, 4.05, 4.9]  # a 1 s device's reports with serial jitter
    for t in arrivals:
        rec.put(sample(T0 + t, "pulseox", "spo2", 97.0))
        rec.put(sample(T0 + t, "monitor", "etco2", 38.0))
    rec.stop()
    rows = stored.rows(store.path, "SELECT parameter, t FROM numerics WHERE session_id = ? ORDER BY t", [sid])
    assert [t for p, t in rows if p == "spo2"] == [T0 + t for t in arrivals]
    assert [t for p, t in rows if p == "etco2"] == [T0 + t for t in arrivals]


# --- 5. device clocks -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stamps, what", [
    ([(0, 100), (1, 101), (2, 102), (3, 101)], "went back"),
    ([(0, 100), (1, 101), (2, 101), (3, 101), (4, 101)], "repeated"),
    ([(0, 100), (1, 101), (2, 140)], "jumped ahead"),
    ([(0, 100), (1, 101), (9, 102)], "fell behind"),
])
def test_a_device_clock_that_breaks_is_not_used_after_the_break(stamps, what):
    clock = DeviceClock()
    times = [clock.time_of(t, t_dev) for t, t_dev in stamps]
    assert clock.broken is not None and clock.broken.what == what and not clock.trusted
    t_break = stamps[-1][0]
    assert times[-1] == t_break + 100  # the receive time on the last trusted offset
    assert times == sorted(times)
    assert clock.time_of(t_break + 1, 999) == t_break + 101  # and it stays broken


def test_a_device_clock_with_jitter_is_trusted():
    clock = DeviceClock()
    received = [0.0, 0.95, 1.95, 3.25, 4.0, 4.77]  # a 1 s device, serial jitter
    assert [clock.time_of(t, 100 + k) for k, t in enumerate(received)] == [100 + k for k in range(6)]
    assert clock.trusted and clock.time_of(5.0, None) == 105.0


class StalledCarescape(CarescapeSimulator):
    """A CARESCAPE whose clock stands still from 30 s of scenario time for 27 s (27 records, one second)."""

    def frame(self, v):
        self.epoch = EPOCH - max(0, min(int(v.t), 57) - 30)
        return super().frame(v)


def rows_per_second(db, sid: int, param: str) -> list[float]:
    return [t for t, in stored.rows(db, "SELECT t FROM numerics WHERE session_id = ? AND parameter = ? ORDER BY rowid",
                                    [sid, param])]


@pytest.mark.parametrize("name, data, words", [
    ("concatenated carescape", device_bytes("carescape", 60, device=CarescapeSimulator(epoch=EPOCH))
     + device_bytes("carescape", 60, device=CarescapeSimulator(epoch=EPOCH + 20)), "went back"),
    ("stalled carescape", device_bytes("carescape", 90, device=StalledCarescape(epoch=EPOCH)), "repeated"),
    ("concatenated masimo", 2 * device_bytes(
        "masimo-ascii", 60, device=MasimoSimulator(datetime.fromtimestamp(EPOCH, timezone.utc))), "went back"),
])
@pytest.mark.slow
def test_an_import_with_a_repeating_clock_keeps_the_receive_order_inside_the_session(tmp_path, name, data, words):
    protocol = "masimo-ascii" if "masimo" in name else "carescape"
    path = write(tmp_path, "c.bin", data)
    db = tmp_path / "s.db"
    out = cli("import", "--db", str(db), "--protocol", protocol, str(path))
    assert out.returncode == 0, out.stderr
    [line] = [line for line in out.stdout.splitlines() if line.startswith("times:")]
    assert "from the device clock until it " + words in line and "after that in the order received" in line
    _, started, ended = session_row(db)
    times = rows_per_second(db, 1, "spo2")
    assert times == sorted(times), "stored in the order received"
    span = times[-1] - times[0]
    assert len(times) <= span + 3, f"{len(times)} SpO2 rows in {span:.0f} s: the device clock was followed back"
    for table in ("numerics", "device_status", "raw_bytes", "nibp"):
        lo, hi = stored.rows(db, f"SELECT MIN(t), MAX(t) FROM {table} WHERE session_id = 1")[0]
        assert lo is None or started <= lo <= hi <= ended, (table, started, lo, hi, ended)
    t0 = stored.rows(db, "SELECT MIN(t0), MAX(t1) FROM waveform_chunks WHERE session_id = 1")[0]
    assert t0[0] is None or started <= t0[0] <= t0[1] <= ended
