"""`import`: a capture file of every registered protocol, garbage inserted, into a new closed session."""

from __future__ import annotations

import csv
import io
import os
import random
import subprocess
import sys

import pytest

import stored

from devices import registry
from devices.carescape.simulator import CarescapeSimulator
from devices.sim.capture import device_bytes
from devices.values import Sample, WaveSegment
from monitor.ingest import capture as importer
from monitor.ingest.capture import CLOCK_WINDOW_S, DRIFT_S, Capture, Timeline, import_capture
from monitor.ingest.replay import replay
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store

MTIME = 1_750_000_000.0
EPOCH = 1_700_000_000  # the carescape simulator's clock at scenario time 0


def with_garbage(data: bytes, seed: int = 1, pieces: int = 4, size: int = 60) -> bytes:
    """Return data with `pieces` runs of random bytes inserted at random places (a noisy line)."""
    rng = random.Random(seed)
    out = bytearray(data)
    for _ in range(pieces):
        at = rng.randrange(len(out))
        out[at:at] = bytes(rng.randrange(256) for _ in range(size))
    return bytes(out)


def write(tmp_path, name, data, mtime=MTIME):
    path = tmp_path / name
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return path


def cli(*args):
    return subprocess.run([sys.executable, "-m", "monitor.cli", *args], capture_output=True, text=True, timeout=120)


def numerics(store, sid):
    return stored.rows(store.path, "SELECT t, t_dev, source, parameter, value FROM numerics WHERE session_id = ? "
                       "ORDER BY t", [sid])


def ge_bytes(seconds):
    """Return a carescape capture whose monitor clock reads EPOCH at its start."""
    return device_bytes("carescape", seconds, device=CarescapeSimulator(epoch=EPOCH))


# protocol -> (a parameter it must store, plausible range)
EXPECTED = {"cms50dplus": ("spo2", 90, 100), "contec": ("spo2", 90, 100), "nonin": ("spo2", 90, 100),
            "masimo-ascii": ("spo2", 90, 100), "suntech": ("sbp", 100, 140), "ivy450c": ("spo2", 90, 100),
            "carescape": ("spo2", 90, 100), "intellivue": ("spo2", 90, 100)}


@pytest.mark.parametrize("protocol", registry.protocol_names())
def test_every_protocol_imports_with_garbage_inserted(tmp_path, protocol):
    assert protocol in EXPECTED, f"add {protocol} to EXPECTED"
    param, low, high = EXPECTED[protocol]
    path = write(tmp_path, f"{protocol}.bin", with_garbage(device_bytes(protocol, 300, seed=3)))
    store = Store(tmp_path / "s.db")
    report = import_capture(store, Capture.open(protocol, path))
    assert report.parse.frames > 0 and report.parse.errors, "the garbage must show as errors"
    rows = [r for r in numerics(store, report.session_id) if r[3] == param and r[4] is not None]
    inside = [r for r in rows if low <= r[4] <= high]
    assert rows and len(inside) >= 0.95 * len(rows), (param, rows[:5])  # a CMS50D+ frame has no checksum
    assert report.stored.numerics == len(numerics(store, report.session_id))
    state, started, ended = stored.rows(store.path, "SELECT state, started_utc, ended_utc FROM sessions WHERE id = ?",
                                        [report.session_id])[0]
    assert state == "closed" and started <= rows[0][0] <= ended
    device = stored.rows(store.path, "SELECT role, protocol, port FROM devices WHERE session_id = ?",
                         [report.session_id])[0]
    assert device == (report.role, protocol, f"import of {protocol}.bin")
    kept = stored.rows(store.path, "SELECT SUM(LENGTH(data)) FROM raw_bytes WHERE session_id = ?",
                       [report.session_id])[0][0]
    assert kept == path.stat().st_size and report.raw_kept


@pytest.mark.parametrize("protocol", ["cms50dplus", "nonin", "ivy450c"])
def test_without_a_device_clock_times_are_spread_at_the_nominal_rate_ending_at_the_file_time(tmp_path, protocol):
    data = device_bytes(protocol, 120)
    path = write(tmp_path, "c.bin", data)
    report = import_capture(Store(tmp_path / "s.db"), Capture.open(protocol, path))
    assert not report.device_clock
    span = len(data) / registry.get(protocol).byte_rate
    assert report.ended_utc == pytest.approx(MTIME, abs=1.0)
    assert report.started_utc == pytest.approx(MTIME - span, abs=1.0)


def test_with_a_device_clock_values_take_the_device_time(tmp_path):
    path = write(tmp_path, "ge.bin", ge_bytes(120))
    store = Store(tmp_path / "s.db")
    report = import_capture(store, Capture.open("carescape", path))
    assert report.device_clock
    rows = numerics(store, report.session_id)
    assert all(t == t_dev for t, t_dev, *_ in rows)
    assert rows[0][0] == EPOCH and rows[-1][0] >= EPOCH + 118
    started = stored.rows(store.path, "SELECT started_utc FROM sessions WHERE id = ?", [report.session_id])[0][0]
    assert started == pytest.approx(EPOCH, abs=1.0)
    raw_t = [t for t, in stored.rows(store.path, "SELECT t FROM raw_bytes WHERE session_id = ? ORDER BY t",
                                     [report.session_id])]
    assert raw_t[0] == pytest.approx(EPOCH, abs=2.0) and raw_t[-1] == pytest.approx(EPOCH + 120, abs=DRIFT_S + 1)


@pytest.mark.slow
def test_the_command_prints_a_few_lines_and_export_shows_device_time(tmp_path):
    path = write(tmp_path, "ge.bin", with_garbage(ge_bytes(60)))
    db = tmp_path / "s.db"
    out = cli("import", "--db", str(db), "--protocol", "carescape", str(path))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert 4 <= len(lines) <= 8
    assert "frames" in lines[0] and "checksum failures" in lines[0]
    assert lines[1].startswith("stored:") and "numerics" in lines[1]
    assert any(line.startswith("errors by kind:") and "none" not in line for line in lines)
    assert lines[-1] == "imported as session 1 (closed)"
    exported = cli("export", "--db", str(db), "--session", "1", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    spo2 = [r for r in rows if r["parameter"] == "spo2"]
    assert spo2 and spo2[0]["time_utc"].startswith("2023-11-14T22:13:2")


@pytest.mark.slow
def test_masimo_ascii_capture_imports_by_the_command(tmp_path):
    path = write(tmp_path, "masimo.txt", device_bytes("masimo-ascii", 60))
    out = cli("import", "--db", str(tmp_path / "s.db"), "--protocol", "masimo-ascii", str(path))
    assert out.returncode == 0, out.stderr
    assert "times: from the device clock" in out.stdout


@pytest.mark.parametrize("args, words", [
    (["--protocol", "carescape", "NOFILE"], "cannot read"),
    (["--protocol", "nosuch", "FILE"], "unknown protocol"),
    (["--protocol", "carescape", "GARBAGE"], "no carescape data"),
    (["--protocol", "nonin", "GE"], "no nonin data"),
    (["--protocol", "carescape", "EMPTY"], "empty"),
])
@pytest.mark.slow
def test_errors_are_one_line_exit_2_and_leave_no_session(tmp_path, args, words):
    files = {"FILE": write(tmp_path, "f.bin", b"x"), "NOFILE": tmp_path / "missing.bin",
             "GARBAGE": write(tmp_path, "g.bin", random.Random(2).randbytes(50_000)),
             "GE": write(tmp_path, "ge.bin", device_bytes("carescape", 30)), "EMPTY": write(tmp_path, "e.bin", b"")}
    db = tmp_path / "s.db"
    out = cli("import", "--db", str(db), *[str(files.get(a, a)) for a in args])
    assert out.returncode == 2
    assert words in out.stderr and len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert out.stderr.startswith("infusion-monitor: error:")
    if db.exists():
        assert SqliteSessions(db).sessions() == []


def test_a_large_capture_is_not_kept_as_raw_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "RAW_LIMIT_BYTES", 1000)
    path = write(tmp_path, "n.bin", device_bytes("nonin", 30))
    store = Store(tmp_path / "s.db")
    report = import_capture(store, Capture.open("nonin", path))
    assert not report.raw_kept and any("not kept" in line for line in report.lines())
    assert stored.rows(store.path, "SELECT COUNT(*) FROM raw_bytes WHERE session_id = ?",
                       [report.session_id])[0][0] == 0


def test_an_imported_session_replays_to_the_same_values(tmp_path):
    path = write(tmp_path, "n.bin", device_bytes("nonin", 60, scenario="desat"))
    store = Store(tmp_path / "s.db")
    report = import_capture(store, Capture.open("nonin", path))
    again = replay(store, SqliteSessions(store.path), str(report.session_id))
    original = {(p, v) for _, _, _, p, v in numerics(store, report.session_id)}
    replayed = {(p, v) for _, _, _, p, v in numerics(store, again.session_id)}
    assert original == replayed and len(original) > 10


# --- the timeline ---------------------------------------------------------------------------------------------------

def s(t, t_dev=None, param="spo2"):
    return Sample(t, "pulseox", param, 97.0, "%", t_dev=t_dev)


def test_timeline_moves_everything_to_the_device_clock():
    line = Timeline()
    wave = WaveSegment(10.0, "pulseox", "pleth", (1.0, 2.0), 100.0)
    assert line.place([wave]) == []  # waits for a device time
    out = line.place([s(10.5, t_dev=1000.0), s(10.5)])
    assert [t for _, t in out] == [1000.0 - 0.5, 1000.0, 1000.0] and out[0][0] is wave
    assert line.device_clock and line.at(20.0) == pytest.approx(1009.5)


def test_timeline_follows_a_slowly_drifting_device_clock():
    line = Timeline()
    line.place([s(0.0, t_dev=100.0)])
    placed = [line.place([s(1.1 * k, t_dev=100.0 + k)])[0][1] for k in range(1, 41)]  # 10 % slow: 4 s in 40 steps
    assert placed == [100.0 + k for k in range(1, 41)] and line.clock.trusted
    assert len(line.clock.resyncs) == 2  # re-measured once, when the clocks were DRIFT_S apart
    later = line.place([s(50.0)])[0][1]
    assert later == pytest.approx(50.0 + line.clock.resyncs[-1][1]) and later > 140.0  # after the last stamp
    assert line.at(5.0) == 105.0


def test_timeline_keeps_file_times_without_a_device_clock():
    line = Timeline()
    assert line.place([s(0.0)]) == []
    out = line.place([s(CLOCK_WINDOW_S + 1)])
    assert [t for _, t in out] == [0.0, CLOCK_WINDOW_S + 1] and not line.device_clock
    assert line.place([s(100.0, t_dev=5.0)]) == [(s(100.0, t_dev=5.0), 100.0)]  # decided: the file's times stay
    assert Timeline().finish() == [] and line.at(7.0) == 7.0

