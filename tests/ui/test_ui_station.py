"""The central station against a real server: two chairs recording at once, one silent chair, read-only."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from devices.sim.runner import PtySimulator
from monitor.alarms import Priority, load_profile, profile_to_dict
from monitor.central.link import ChairSettings
from monitor.central.schema import init_central
from monitor.central.station import BpReading, ChairView, Reading, StationAlarm
from monitor.clinical.dosing import DosePlan
from monitor.clinical.infusion import InfusionState, infusion_history
from monitor.record import InfusionEvent
from monitor.storage.store import Store
from pg import CuttableLink, central, pg_server, record_process, replicate  # noqa: F401
from ui import theme

SCREENS = Path(__file__).resolve().parent.parent.parent / "screens"
PLAN = DosePlan(70, 0.5, 40, 100)  # 35 mg in 100 mL, 150 mL/h


def silent_chair(central, tmp_path) -> None:
    """Register chair-c, whose running session last reached the store two minutes ago."""
    init_central(central.admin, chairs=["chair-c"])
    central.server.add_login("chair-c")
    store = Store(tmp_path / "chair-c.db")
    sid = store.create_session(patient_id="P-SILENT")
    store.update_session(sid, heartbeat_utc=time.time() - 120)
    replicate(store.path, ChairSettings(central.url("chair-c"), "chair-c"))


@pytest.mark.slow
def test_the_station_shows_every_chair_greys_a_silent_one_and_opens_a_session(qtbot, central, tmp_path):
    from ui.station import StationWindow, open_in_review

    silent_chair(central, tmp_path)
    profile = profile_to_dict(load_profile("ketamine"))
    profile["limits"]["spo2"]["delay_s"] = 0  # the desaturation alarms within the test's seconds
    (tmp_path / "fast.json").write_text(json.dumps(profile))
    window = StationWindow(central.url("desk"), refresh_ms=500)
    qtbot.addWidget(window)
    window.resize(1320, 820)
    window.show()
    with PtySimulator("nonin", "desat", speed=8.0) as sim_a, PtySimulator("nonin", "baseline", seed=2) as sim_b:
        procs = [record_process(tmp_path / "a.db", "chair-a", central.url("chair-a"), "--patient", "P-0001",
                                "--profile", str(tmp_path / "fast.json"), seconds=16, sim_path=sim_a.path),
                 record_process(tmp_path / "b.db", "chair-b", central.url("chair-b"), "--patient", "P-0002",
                                "--weight-kg", "70", "--dose-mg-per-kg", "0.5", "--infusion-min", "40",
                                seconds=16, sim_path=sim_b.path)]
        try:
            def ready() -> bool:
                views = {v.chair: v for v in window.views}
                a, b = views.get("chair-a"), views.get("chair-b")
                return bool(a and b and a.session_state == b.session_state == "running" and a.alarms
                            and a.spo2 and b.spo2 and b.infusion and b.infusion.state == "running")

            qtbot.waitUntil(ready, timeout=30000)
            views = {v.chair: v for v in window.views}
            assert set(views) == {"chair-a", "chair-b", "chair-c"}
            assert not views["chair-a"].stale and not views["chair-b"].stale and views["chair-c"].stale
            assert views["chair-a"].top_priority is not None
            assert views["chair-b"].phase == "infusion" and views["chair-b"].patient_id == "P-0002"
            tile_a = window.tiles["chair-a"]
            assert theme.ALARM_BG[views["chair-a"].top_priority] in tile_a.styleSheet()
            assert theme.DISABLED in window.tiles["chair-c"].styleSheet()
            assert "NO DATA: last 2 min ago" in window.tiles["chair-c"].body.text()
            assert "P-0002" in window.tiles["chair-b"].title.text()
            assert "Infusion running" in window.tiles["chair-b"].body.text()
            SCREENS.mkdir(exist_ok=True)
            window.grab().save(str(SCREENS / "station.png"))
            assert window.findChildren(QPushButton) == []  # nothing to acknowledge or silence with
            with qtbot.waitSignal(window.sigOpenSession, timeout=2000) as opened:
                qtbot.mouseClick(tile_a, Qt.LeftButton)
            assert opened.args == ["chair-a:1"]
            open_in_review(window, central.url("desk"), "chair-a:1")  # what the click does in the station app
            qtbot.waitUntil(lambda: getattr(window.review, "timeline_data", None) is not None, timeout=15000)
            assert window.review.timeline_data.meta.ref == "chair-a:1"
            window.review.close()
        finally:
            window.close()  # stops the poller thread (pytest-qt holds the window only weakly)
            results = [p.communicate(timeout=60) for p in procs]
    for proc, (_, err) in zip(procs, results):
        assert proc.returncode == 0, err
    raised = central.query("SELECT COUNT(*) FROM infusion.alarms WHERE chair_id = 'chair-a' AND event = 'raised'")
    acked = central.query("SELECT COUNT(*) FROM infusion.alarms WHERE event IN ('acknowledged', 'audio_paused')")
    assert raised[0][0] > 0 and acked == [(0,)]  # the station looked; it changed nothing


@pytest.mark.slow
def test_a_store_out_of_reach_greys_every_tile_and_says_so(qtbot, central, tmp_path):
    from ui.station import StationWindow, open_in_review

    silent_chair(central, tmp_path)
    init_central(central.admin)
    link = CuttableLink(central.server.port, cut_after=[])
    link.start()
    window = StationWindow(central.url("desk", port=link.port), refresh_ms=300)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: "chair-c" in window.tiles, timeout=10000)
    link.close()  # the network to the server goes away
    qtbot.waitUntil(lambda: "retrying" in window.banner.text(), timeout=10000)
    assert "cannot reach the central store" in window.banner.text() or "central store" in window.banner.text()
    assert all(theme.DISABLED in tile.styleSheet() for tile in window.tiles.values())
    window.close()


def _infusion_log() -> list[InfusionEvent]:
    """Started at 1000 (150 mL/h), paused 600 s later with 8.75 mg in, resumed at 1900 (35 mg in 100 mL)."""
    return [InfusionEvent(1000.0, "started", 150.0, 0.0, "", "AB"),
            InfusionEvent(1600.0, "paused", 150.0, 8.75, "nausea", "AB"),
            InfusionEvent(1900.0, "resumed", 150.0, 8.75, "", "AB")]


def test_tile_text_says_each_figure_with_its_age():
    from ui.station import tile_lines

    infusion = infusion_history(_infusion_log(), PLAN, at=2054.0)  # 754 s run, 2400 - 754 = 1646 s left
    view = ChairView("chair-3", "chair-3:7", "P-9", "running", "infusion", infusion,
                     Reading(96.0, 2), Reading(71.0, 2), BpReading(124.0, 79.0, 300),
                     (StationAlarm(Priority.MEDIUM, "SpO₂ low 89", False),), 1.0, False)
    lines = tile_lines(view)
    assert lines[0] == "chair-3   P-9 · infusion"
    assert "SpO₂ 96 % (2 s ago)" in lines[1] and "Pulse 71 /min" in lines[1]
    assert lines[2] == "BP 124/79 mmHg (5 min ago)"
    assert lines[3] == "Infusion running: 12:34 run, 27:26 left"
    assert lines[4] == "!! SpO₂ low 89"
    waiting = replace(view, infusion=infusion_history([], PLAN, at=2054.0), unreadable=("'infusion' record is damaged",))
    assert tile_lines(waiting)[3] == "Infusion not started: 0:00 run, 40:00 left"  # the engine's word, spelt out
    assert tile_lines(waiting)[5] == "1 journal record(s) unreadable: 'infusion' record is damaged"


def test_the_station_reads_the_infusion_by_the_engines_fold():
    events = _infusion_log()
    fig = infusion_history(events, PLAN, at=2200.0)
    assert fig.state is InfusionState.RUNNING and fig.running_s == pytest.approx(900)
    assert fig.remaining_s == pytest.approx(2400 - 900)
    paused = infusion_history(events[:2], PLAN, at=5000.0)
    assert paused.state is InfusionState.PAUSED and paused.running_s == pytest.approx(600)
    assert paused.remaining_s == pytest.approx(1800)
    done = infusion_history([*events, InfusionEvent(3700.0, "completed", 150.0, 35.0, "", "AB")], PLAN, at=9000.0)
    assert done.state is InfusionState.COMPLETED and done.remaining_s == 0 and done.running_s == pytest.approx(2400)
    assert infusion_history([], DosePlan(0, 0, 0), 0) is None  # nothing planned, nothing logged: no infusion
