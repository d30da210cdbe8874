"""`record` with an infusion plan: refused plans leave nothing, a valid one starts the timer and is journaled."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

import pytest

from devices.sim.runner import PtySimulator
from monitor.cli.record import _HeadlessInfusion
from monitor.live.core import MonitorCore, SessionInfo
from monitor.clinical.infusion import InfusionState
from monitor.storage.store import Store


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


PLAN = ["--weight-kg", "70", "--dose-mg-per-kg", "0.5", "--infusion-min", "40"]


@pytest.mark.parametrize("args, words", [
    (["--weight-kg", "0", "--dose-mg-per-kg", "0.5", "--infusion-min", "40"], "Weight 0 kg must be above zero"),
    (["--weight-kg", "-70", "--dose-mg-per-kg", "0.5", "--infusion-min", "40"], "must be above zero"),
    (["--weight-kg", "500", "--dose-mg-per-kg", "0.5", "--infusion-min", "40"], "above the hard limit of 300 kg"),
    (["--weight-kg", "70", "--dose-mg-per-kg", "5", "--infusion-min", "40"], "above the hard limit of 1 mg/kg"),
    (["--weight-kg", "70", "--dose-mg-per-kg", "0.5", "--infusion-min", "0"], "Duration 0 min must be above zero"),
    (["--weight-kg", "70", "--dose-mg-per-kg", "0.5", "--infusion-min", "nan"], "not a number"),
    (["--weight-kg", "70"], "missing: --dose-mg-per-kg, --infusion-min"),
    (["--bag-ml", "100"], "missing: --weight-kg"),
    (PLAN + ["--bag-ml", "1000"], "Bag volume 1000 mL is above the hard limit"),
    (["--weight-kg", "70", "--dose-mg-per-kg", "0.9", "--infusion-min", "40"], "--confirm-soft-limits"),
])
@pytest.mark.slow
def test_bad_plan_is_one_line_exit_2_and_nothing_stored(tmp_path, args, words):
    db = tmp_path / "s.db"
    out = cli("record", "--db", str(db), "--device", "pulseox=cms50dplus:/dev/null", "--duration", "1", *args)
    assert out.returncode == 2, out.stderr
    assert words in out.stderr, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert not db.exists()


@pytest.mark.slow
def test_valid_plan_starts_the_infusion_with_the_recording(tmp_path):
    db = tmp_path / "s.db"
    with PtySimulator("cms50dplus", "baseline") as sim:
        out = cli("record", "--db", str(db), "--device", f"pulseox=cms50dplus:{sim.path}", "--duration", "2",
                  "--patient", "P1", "--weight-kg", "70", "--dose-mg-per-kg", "0.9", "--infusion-min", "40",
                  "--bag-ml", "50", "--confirm-soft-limits")
    assert out.returncode == 0, out.stderr
    assert "set the pump to 75.0 mL/h" in out.stderr
    con = sqlite3.connect(db)
    row = con.execute("SELECT patient_id, weight_kg, dose_mg_per_kg, infusion_min, bag_ml FROM sessions").fetchone()
    assert row == ("P1", 70.0, 0.9, 40.0, 50.0)
    journal = [(k, json.loads(d), u) for k, d, u in con.execute("SELECT kind, data, user FROM journal ORDER BY t")]
    (start,) = [d for k, d, u in journal if k == "infusion" and u == "record"]
    assert start["kind"] == "started" and "soft limits confirmed" in start["reason"]
    assert ("phase", {"phase": "infusion"}, "") in journal
    assert any(k == "session_info" and d["session_number"] == 1 for k, d, _ in journal)


def test_headless_infusion_confirms_the_planned_end_once(tmp_path, clock):
    core = MonitorCore(Store(tmp_path / "s.db"), [], clock=clock)
    headless = _HeadlessInfusion(core)
    core.on_alarm_event(headless.on_event)
    core.start(SessionInfo(weight_kg=70, dose_mg_per_kg=0.5, infusion_min=10))
    try:
        core.infusion_action("start", user="record", confirm_soft_limits=True)
        clock.t = 10 * 60 + 1
        deadline = time.monotonic() + 5
        while not headless.end_alerted.is_set() and time.monotonic() < deadline:
            clock.t += 0.2  # the core thread ticks on this clock
            time.sleep(0.01)
        headless.step()
        headless.step()
        assert headless.confirmed
        assert core.infusion_status().state is InfusionState.COMPLETED
        assert [e.kind for e in core.infusion.log] == ["started", "planned_end_reached", "completed"]
        assert not [a for a in core.alarm_view().active if a.condition == "infusion_end"]
    finally:
        core.stop()
