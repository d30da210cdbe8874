"""End to end through the real commands: simulated IntelliVue on a pty -> `record` -> SQLite -> `export` CSV.

The recorder runs in a child process as a user runs it; the simulated monitor
answers its association, MDS create answer and polls on a pty in this process.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
import time

import pytest

from devices.sim.runner import PtySimulator

pytestmark = pytest.mark.slow  # every test runs the command in a child process


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


def test_record_then_export_gives_the_monitor_values_and_closing_releases(tmp_path):
    db = tmp_path / "s.db"
    with PtySimulator("intellivue", "baseline", speed=1.0) as sim:
        out = cli("record", "--db", str(db), "--device", f"pulseox=intellivue:{sim.path}", "--duration", "5")
        deadline = time.monotonic() + 2.0
        while sim.device.associated and time.monotonic() < deadline:  # the release may still be on its way
            time.sleep(0.05)
        released = not sim.device.associated
        assert not sim.device.errors
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    exported = cli("export", "--db", str(db), "--session", "latest", "--format", "csv")
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    got: dict[str, list[float]] = {}
    for r in rows:
        if r["value"]:
            got.setdefault(r["parameter"], []).append(float(r["value"]))
    expected = {"spo2": (90, 100), "pulse_rate": (55, 95), "heart_rate": (55, 95), "perfusion_index": (0.5, 10),
                "resp_rate": (10, 20), "etco2": (30, 45), "sbp": (110, 135), "dbp": (70, 90), "map": (80, 105),
                "nibp_pulse_rate": (55, 95)}
    for parameter, (lo, hi) in expected.items():
        assert got.get(parameter), f"no {parameter} in the export"
        assert all(lo <= v <= hi for v in got[parameter]), (parameter, got[parameter])
    units = {r["parameter"]: r["unit"] for r in rows}
    assert (units["spo2"], units["etco2"], units["sbp"], units["heart_rate"]) == ("%", "mm[Hg]", "mm[Hg]", "/min")
    assert {r["source"] for r in rows} == {"pulseox"}  # one monitor, one source for all it measures
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT model, serial_number FROM devices").fetchall() == [("Philips M8000", "DE00000000")]
    assert released, "closing the recorder did not release the association"


def test_demo_mode_is_a_technical_alarm_line(tmp_path):
    db = tmp_path / "s.db"
    with PtySimulator("intellivue", "demo-mode", speed=10.0) as sim:  # demo from 20 s of scenario time (2 s)
        out = cli("record", "--db", str(db), "--device", f"pulseox=intellivue:{sim.path}", "--duration", "5")
    assert out.returncode == 0, out.stderr
    events = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    raised = [e for e in events if e["kind"] == "raised" and e["condition"] == "demo_data"]
    assert raised and raised[0]["message"] == "Pulse oximeter: monitor in demo mode", events
    assert raised[0]["alarm_kind"] == "technical"
