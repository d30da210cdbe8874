"""A session closed during an infusion records the infusion as stopped then, with the reason, for every reader."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from devices.sim.runner import PtySimulator
from monitor.clinical.infusion import CLOSED_DURING_INFUSION, InfusionState
from monitor.export.report import report_data
from monitor.live.core import MonitorCore, SessionInfo
from monitor.review.course import earlier_infusion
from monitor.review.summary import summarize
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store

T0 = 1_700_000_000.0


def _core(tmp_path, clock) -> tuple[MonitorCore, list[float]]:
    wall = [T0]
    core = MonitorCore(Store(tmp_path / "s.db"), [], clock=clock, wallclock=lambda: wall[0], tz="UTC")
    core.start(SessionInfo(patient_id="P1", weight_kg=70, dose_mg_per_kg=0.5, infusion_min=40))
    return core, wall


def _summary(tmp_path):
    sessions = SqliteSessions(tmp_path / "s.db")
    return summarize(sessions, sessions.resolve("latest"))


@pytest.mark.parametrize("paused", [False, True], ids=["running", "paused"])
def test_closing_stops_the_infusion_with_the_reason_and_the_user(tmp_path, clock, paused):
    core, wall = _core(tmp_path, clock)
    core.set_operator("AB")
    core.infusion_action("start", user="AB")
    clock.t, wall[0] = 600, T0 + 600
    if paused:
        core.infusion_action("pause", user="AB", reason="nausea")
    core.stop()
    assert core.infusion.state is InfusionState.STOPPED
    stopped = core.infusion.log[-1]
    assert (stopped.kind, stopped.reason, stopped.user) == ("stopped", CLOSED_DURING_INFUSION, "AB")
    summary = _summary(tmp_path)
    inf = summary.infusion
    assert inf is not None and inf.state is InfusionState.STOPPED
    assert inf.stop_reason == CLOSED_DURING_INFUSION and inf.end_utc is not None
    assert summary.stopped_early
    assert f"stopped early: {CLOSED_DURING_INFUSION}" in summary.text()
    assert abs(inf.delivered_mg - 35 * 600 / 2400) < 0.01  # 35 mg over 40 min, 10 min of it
    sessions = SqliteSessions(tmp_path / "s.db")
    pdf = dict(report_data(sessions, sessions.resolve("latest")).summary)  # what the PDF prints
    assert "running" not in pdf["Infusion"].split(", ")[0]
    assert pdf["Infusion"].endswith(f"stopped: {CLOSED_DURING_INFUSION}")
    assert earlier_infusion(summary) is not None  # the course and the forecast read it as an ended infusion


def test_closing_with_nobody_named_records_the_app(tmp_path, clock):
    core, _ = _core(tmp_path, clock)
    core.infusion_action("start", user="AB")
    core.stop()
    assert core.infusion.log[-1].user == "app"
    assert _summary(tmp_path).infusion.stop_reason == CLOSED_DURING_INFUSION


@pytest.mark.parametrize("before", ["not started", "completed"])
def test_closing_leaves_an_infusion_not_going_as_it_was(tmp_path, clock, before):
    core, wall = _core(tmp_path, clock)
    if before == "completed":
        core.infusion_action("start", user="AB")
        clock.t, wall[0] = 40 * 60 + 1, T0 + 40 * 60 + 1
        core.infusion_action("complete", user="AB")
    kinds = [e.kind for e in core.infusion.log]
    core.stop()
    assert [e.kind for e in core.infusion.log] == kinds
    inf = _summary(tmp_path).infusion
    assert inf.state is (InfusionState.NOT_STARTED if before == "not started" else InfusionState.COMPLETED)


@pytest.mark.slow
def test_record_duration_ends_the_running_infusion_as_stopped(tmp_path):
    db = tmp_path / "s.db"
    with PtySimulator("cms50dplus", "baseline") as sim:
        out = subprocess.run([sys.executable, "-m", "monitor.cli", "record", "--db", str(db), "--device",
                              f"pulseox=cms50dplus:{sim.path}", "--duration", "2", "--patient", "P1",
                              "--weight-kg", "70", "--dose-mg-per-kg", "0.5", "--infusion-min", "40"],
                             capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    rows = sqlite3.connect(db).execute("SELECT data, user FROM journal WHERE kind = 'infusion' ORDER BY t").fetchall()
    assert [(json.loads(d)["kind"], json.loads(d)["reason"], u) for d, u in rows][-1] == (
        "stopped", CLOSED_DURING_INFUSION, "app")
    summary = subprocess.run([sys.executable, "-m", "monitor.cli", "summary", "--db", str(db), "--session", "latest"],
                             capture_output=True, text=True, timeout=60)
    assert summary.returncode == 0, summary.stderr
    assert f"stopped early: {CLOSED_DURING_INFUSION}" in summary.stdout
