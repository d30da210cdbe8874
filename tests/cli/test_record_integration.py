"""End to end through the real command: simulator -> pty -> `record` -> SQLite -> `export` CSV.

The recorder runs in a child process exactly as a user runs it; the simulator
writes each protocol's real bytes on a pty in this process.
"""

from __future__ import annotations

import calendar
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from commands import cli
from devices.sim.runner import PtySimulator
from monitor.alarms import load_profile, profile_to_dict

pytestmark = pytest.mark.slow  # every test runs the command in a child process


def rows_of(db, session="latest"):
    out = cli("export", "--db", str(db), "--session", session, "--format", "csv")
    assert out.returncode == 0, out.stderr
    return list(csv.DictReader(io.StringIO(out.stdout)))


def values(rows, parameter):
    return [float(r["value"]) for r in rows if r["parameter"] == parameter and r["value"] != ""]


# protocol, role, speed, seconds, expected parameters (baseline patient: SpO2 ~97, pulse ~72, BP ~122/78)
CASES = [
    ("cms50dplus", "pulseox", 1.0, 4, {"spo2": (90, 100), "pulse_rate": (55, 95)}),
    ("contec", "pulseox", 1.0, 4, {"spo2": (90, 100), "pulse_rate": (55, 95), "perfusion_index": (0.5, 10)}),
    ("nonin", "pulseox", 1.0, 4, {"spo2": (90, 100), "pulse_rate": (55, 95)}),
    ("masimo-ascii", "pulseox", 4.0, 4, {"spo2": (90, 100), "pulse_rate": (55, 95), "perfusion_index": (0.5, 10)}),
    ("ivy450c", "pulseox", 5.0, 4, {"spo2": (90, 100), "pulse_rate": (55, 95), "sbp": (110, 135)}),
    ("suntech", "nibp", 15.0, 9, {"sbp": (110, 135), "dbp": (70, 90), "map": (80, 105), "nibp_pulse_rate": (55, 95)}),
    # a DRI monitor answers its first request and then sends once a second: 8 s hold on a loaded machine
    ("carescape", "pulseox", 1.0, 8, {"spo2": (90, 100), "pulse_rate": (55, 95), "heart_rate": (55, 95),
                                      "etco2": (30, 45), "resp_rate": (10, 20), "sbp": (110, 135)}),
]


@pytest.mark.parametrize("protocol, role, speed, seconds, expected", CASES, ids=[c[0] for c in CASES])
def test_record_then_export_gives_the_simulated_values(tmp_path, protocol, role, speed, seconds, expected):
    db = tmp_path / "s.db"
    with PtySimulator(protocol, "baseline", speed=speed) as sim:
        out = cli("record", "--db", str(db), "--device", f"{role}={protocol}:{sim.path}", "--duration", str(seconds))
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    rows = rows_of(db)
    assert rows, "no numerics stored"
    assert all(r["time_utc"].endswith("Z") for r in rows)
    for parameter, (lo, hi) in expected.items():
        got = values(rows, parameter)
        assert got, f"no {parameter} in the export"
        assert all(lo <= v <= hi for v in got), (parameter, got)
    units = {r["parameter"]: r["unit"] for r in rows}
    assert units.get("spo2", "%") == "%" and units.get("sbp", "mm[Hg]") == "mm[Hg]"
    listing = cli("sessions", "--db", str(db))
    assert "closed" in listing.stdout


def test_desaturation_prints_alarm_json_lines(tmp_path):
    profile = profile_to_dict(load_profile("ketamine"))
    profile["limits"]["spo2"]["delay_s"] = 0  # a clinic's own profile file; keeps the test short
    (tmp_path / "fast.json").write_text(json.dumps(profile))
    db = tmp_path / "s.db"
    with PtySimulator("cms50dplus", "desat", speed=8.0) as sim:  # SpO2 < 90 after ~51 s of scenario time
        out = cli("record", "--db", str(db), "--device", f"pulseox=cms50dplus:{sim.path}", "--duration", "9",
                  "--profile", str(tmp_path / "fast.json"))
    assert out.returncode == 0, out.stderr
    events = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    raised = [e for e in events if e["kind"] == "raised" and e["condition"].startswith("spo2")]
    assert raised, out.stdout
    assert any(e["message"].startswith("SpO₂") and "< 90" in e["message"] for e in events), events
    stored = cli("export", "--db", str(db), "--session", "latest", "--format", "csv").stdout
    assert min(values(list(csv.DictReader(io.StringIO(stored))), "spo2")) < 90


def test_sigkill_loses_at_most_a_second_and_the_session_is_marked_interrupted(tmp_path):
    db = tmp_path / "s.db"
    with PtySimulator("cms50dplus", "baseline") as sim:
        proc = subprocess.Popen([sys.executable, "-m", "monitor.cli", "record", "--db", str(db), "--device",
                                 f"pulseox=cms50dplus:{sim.path}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(4.0)
        killed_at = time.time()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    listing = cli("sessions", "--db", str(db))
    assert "interrupted" in listing.stdout, listing.stdout
    rows = rows_of(db, "1")
    last = max(calendar.timegm(time.strptime(r["time_utc"][:19], "%Y-%m-%dT%H:%M:%S")) for r in rows)  # UTC
    assert killed_at - last < 1.0 + 1.0  # at most one second lost (+1 s for the seconds truncated above)
    again = cli("sessions", "--db", str(db))  # recovery is idempotent
    assert again.stdout.count("interrupted") == 1


@pytest.mark.parametrize("spec, words", [
    ("pulseox:cms50dplus:/dev/null", "ROLE="),
    ("pulseox=nosuch:/dev/null", "unknown protocol"),
    ("heart=cms50dplus:/dev/null", "role"),
    ("nibp=cms50dplus:/dev/null", "cannot act as nibp"),
])
def test_malformed_device_is_one_clear_line(tmp_path, spec, words):
    out = cli("record", "--db", str(tmp_path / "s.db"), "--device", spec, "--duration", "1")
    assert out.returncode == 2
    assert words in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr


def test_missing_port_with_wait_for_device_is_a_technical_alarm_not_a_traceback(tmp_path):
    out = cli("record", "--db", str(tmp_path / "s.db"), "--device", "pulseox=cms50dplus:/dev/ttyNOSUCH9",
              "--duration", "1.5", "--wait-for-device")
    assert out.returncode == 0 and "Traceback" not in out.stderr
    events = [json.loads(line) for line in out.stdout.splitlines()]
    assert any(e["condition"] == "port_lost" and e["kind"] == "raised" for e in events), out.stdout


def test_garbage_bytes_store_nothing_and_raise_nothing(tmp_path):
    db = tmp_path / "s.db"
    master, slave = os.openpty()
    import tty
    tty.setraw(slave)
    path = os.ttyname(slave)
    proc = subprocess.Popen([sys.executable, "-m", "monitor.cli", "record", "--db", str(db), "--device",
                             f"pulseox=cms50dplus:{path}", "--duration", "3"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    for _ in range(20):
        os.write(master, bytes(range(0, 128)) * 2)  # no sync byte ever: nothing is a frame
        time.sleep(0.1)
    out, err = proc.communicate(timeout=20)
    os.close(master)
    os.close(slave)
    assert proc.returncode == 0 and "Traceback" not in err
    exported = cli("export", "--db", str(db), "--session", "latest", "--format", "csv")  # nothing stored: said so
    assert exported.returncode == 2 and "is empty" in exported.stderr and exported.stdout == ""


def test_corrupt_database_is_one_clear_line(tmp_path):
    db = tmp_path / "bad.db"
    db.write_bytes(b"this is not a database" * 100)
    out = cli("sessions", "--db", str(db))
    assert out.returncode == 2 and "damaged" in out.stderr and "Traceback" not in out.stderr


def test_replay_of_the_raw_capture_gives_the_same_values(tmp_path):
    db = tmp_path / "s.db"
    with PtySimulator("nonin", "desat", speed=6.0) as sim:
        out = cli("record", "--db", str(db), "--device", f"pulseox=nonin:{sim.path}", "--duration", "4")
    assert out.returncode == 0, out.stderr
    rep = cli("replay", "--db", str(db), "--session", "1")
    assert rep.returncode == 0, rep.stderr
    assert "replayed session 1 as session 2" in rep.stdout
    original, replayed = rows_of(db, "1"), rows_of(db, "2")
    for parameter in ("spo2", "pulse_rate"):
        assert set(values(original, parameter)) == set(values(replayed, parameter))
        assert values(original, parameter)
    nothing = cli("replay", "--db", str(db), "--session", "9")
    assert nothing.returncode == 2 and "no session 9" in nothing.stderr


def test_device_identity_is_stored_with_the_session(tmp_path):
    db = tmp_path / "s.db"
    with PtySimulator("masimo-ascii", "baseline", speed=4.0) as sim:
        out = cli("record", "--db", str(db), "--device", f"pulseox=masimo-ascii:{sim.path}", "--duration", "3")
    assert out.returncode == 0, out.stderr
    import sqlite3

    row = sqlite3.connect(db).execute("SELECT role, protocol, model, serial_number FROM devices").fetchone()
    assert row[:3] == ("pulseox", "masimo-ascii", "Masimo") and row[3]
