"""Sources and roles end to end: two oximeters at once, a monitor's NIBP beside a SunTech, nothing overwritten."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections import defaultdict

import pytest

from devices.sim.runner import PtySimulator
from devices.spec import DeviceSpec, name_sources


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


def test_a_repeated_role_is_named_apart_and_taken_names_are_skipped():
    specs = [DeviceSpec.parse("pulseox=nonin:/dev/ttyUSB0"), DeviceSpec.parse("pulseox=cms50dplus:/dev/ttyUSB1"),
             DeviceSpec.parse("nibp=suntech:/dev/ttyUSB2")]
    assert [s.source for s in name_sources(specs)] == ["pulseox", "pulseox-2", "nibp"]
    assert [s.source for s in name_sources(specs[:1], taken={"pulseox", "pulseox-2"})] == ["pulseox-3"]


@pytest.mark.slow
def test_two_oximeters_and_two_bp_devices_are_stored_under_their_own_sources(tmp_path):
    db = tmp_path / "s.db"
    with PtySimulator("nonin", "baseline") as a, PtySimulator("cms50dplus", "baseline", seed=2) as b, \
            PtySimulator("ivy450c", "baseline", speed=5) as monitor, PtySimulator("suntech", "baseline", speed=15) as cuff:
        out = cli("record", "--db", str(db), "--device", f"pulseox=nonin:{a.path}",
                  "--device", f"pulseox=cms50dplus:{b.path}", "--device", f"nibp=ivy450c:{monitor.path}",
                  "--device", f"nibp=suntech:{cuff.path}", "--duration", "9")
    assert out.returncode == 0, out.stderr
    export = cli("export", "--db", str(db), "--session", "latest", "--format", "csv")
    assert export.returncode == 0, export.stderr
    sources = defaultdict(set)
    for row in csv.DictReader(io.StringIO(export.stdout)):
        if row["value"]:
            sources[row["parameter"]].add(row["source"])
    # the Ivy 450C was given the nibp role, yet its SpO2 and pulse are kept (under its own name)
    assert sources["spo2"] == {"pulseox", "pulseox-2", "nibp"}
    assert sources["pulse_rate"] >= {"pulseox", "pulseox-2", "nibp"}
    assert sources["sbp"] == {"nibp", "nibp-2"}


@pytest.mark.slow
def test_the_same_port_twice_is_refused_in_one_line(tmp_path):
    out = cli("record", "--db", str(tmp_path / "s.db"), "--device", "pulseox=nonin:/dev/ttyUSB7",
              "--device", "nibp=suntech:/dev/ttyUSB7", "--duration", "1")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == ["infusion-monitor: error: each port can be given only once"]


@pytest.mark.parametrize("source, words", [("pulseox", "Pulse oximeter"), ("pulseox-2", "Pulse oximeter 2"),
                                           ("nibp-3", "NIBP 3"), ("manual", "Manual BP"), ("monitor", "monitor")])
def test_sources_are_named_for_people(source, words):
    from monitor.alarms.engine import source_text

    assert source_text(source) == words
