"""The central station against a real server: two chairs recording at once, one silent chair, read-only."""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from pathlib import Path

import pytest
from pg import CuttableLink, central, pg_server, record_process, replicate  # noqa: F401
from PySide6.QtCore import QPoint, Qt
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
from monitor.timefmt import clock_text
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
    from ui.station import NO_DATA_BG, WINDOW_H, WINDOW_W, StationWindow, open_in_review

    silent_chair(central, tmp_path)
    profile = profile_to_dict(load_profile("ketamine"))
    profile["limits"]["spo2"]["delay_s"] = 0  # the desaturation alarms within the test's seconds
    (tmp_path / "fast.json").write_text(json.dumps(profile))
    window = StationWindow(central.url("desk"), refresh_ms=500)
    qtbot.addWidget(window)
    window.resize(WINDOW_W, WINDOW_H)
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
            shown = views["chair-a"].top_priority or views["chair-a"].latched_priority  # present, or ended by now
            assert views["chair-b"].phase == "infusion" and views["chair-b"].patient_id == "P-0002"
            tile_a = window.tiles["chair-a"]
            assert shown is not None and theme.ALARM_BG[shown] in tile_a.styleSheet()
            assert NO_DATA_BG in window.tiles["chair-c"].styleSheet()
            assert window.tiles["chair-c"].status.full_text() == "NO DATA 2 min"
            assert window.tiles["chair-b"].title.full_text() == "chair-b"
            assert window.tiles["chair-b"].identity.full_text() == "P-0002 · no second identifier"  # none recorded
            rows_b = [line.full_text().strip() for line in window.tiles["chair-b"].lines]
            assert rows_b[0].startswith("Infusion running") and "no baseline BP: rise alarms off" in rows_b
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
    from ui.station import StationWindow

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


NOW = 1_800_000_000.0  # the station's clock in the screen tests (UTC epoch s)


def chair(n: int, **changes) -> ChairView:
    """Return chair-0n, running an infusion 12:34 in, fresh values, a baseline BP and no alarm; changes override."""
    infusion = infusion_history([replace(e, t=e.t + NOW - 2054.0) for e in _infusion_log()], PLAN, at=NOW)
    view = ChairView(f"chair-0{n}", f"chair-0{n}:7", f"P-10{n}", "running", "infusion", infusion,
                     Reading(96.0, 2), Reading(71.0, 2), BpReading(124.0, 79.0, 300), (), 1.0, False,
                     baseline_sbp=128.0, second_id=f"DOB 1{n} Mar 1980")
    return replace(view, **changes)


def ended(priority: Priority = Priority.HIGH) -> StationAlarm:
    """An SpO2 alarm whose condition ended at 10:34 local time, still latched: nobody at the chair acknowledged it."""
    return StationAlarm(priority, "SpO2 nadir 84 < 90", False, ended_t=NOW - 120, worst=84.0)


def test_tile_text_says_each_figure_with_its_age():
    from monitor.live.station_text import tile_text

    view = chair(3, alarms=(StationAlarm(Priority.MEDIUM, "SpO₂ low 89", False),))
    t = tile_text(view)
    assert (t.title, t.identity, t.status) == ("chair-03", "P-103 · DOB 13 Mar 1980", "infusion")
    assert tile_text(replace(view, second_id="")).identity == "P-103 · no second identifier"  # said, not left out
    assert [(v.label, v.text, v.age, v.dimmed) for v in t.values] == [
        ("SpO₂ %", "96", "", False), ("Pulse", "71", "", False), ("BP mmHg", "124/79", "5 min ago", False)]
    assert t.lines == (("Infusion running 12:34 · 27:26 left", "plain"), ("!! SpO₂ low 89", "live-medium"))
    waiting = replace(view, infusion=infusion_history([], PLAN, at=NOW), unreadable=("'infusion' record is damaged",))
    assert tile_text(waiting).lines[0] == ("Infusion not started 0:00 · 40:00 left", "plain")
    assert tile_text(waiting).lines[2] == ("1 journal record(s) unreadable: 'infusion' record is damaged", "warning")
    reached = replace(view.infusion, state=InfusionState.COMPLETED, end_to_confirm=True, running_s=2400.0)
    assert tile_text(replace(view, infusion=reached)).lines[0] == ("Infusion time reached 40:00 · awaiting Complete",
                                                                   "plain")  # not "completed" before the nurse says so


def test_the_station_tells_the_infusion_clock_as_the_chair_does():
    """The tile had a clock of its own: it cut the seconds where the chair rounds them (12:34 beside the chair's
    12:35) and turned H:MM:SS past an hour where the chair counts minutes on."""
    from monitor.live.station_text import tile_text

    view = chair(3)
    for running, left, words in ((754.6, 1645.4, "12:35 · 27:25 left"), (3725.0, 0.0, "62:05 · 0:00 left")):
        t = tile_text(replace(view, infusion=replace(view.infusion, running_s=running, remaining_s=left)))
        assert t.lines[0] == (f"Infusion running {words}", "plain")


def test_an_old_value_is_dimmed_with_its_age_and_an_old_bp_greyed_then_withdrawn():
    from monitor.live.station_text import tile_text

    t = tile_text(chair(8, spo2=Reading(95.0, 19), bp=BpReading(124.0, 79.0, 20 * 60, "stale")))
    assert t.values[0] == t.values[0].__class__("SpO₂ %", "95", "19 s ago", True)
    assert not t.values[1].dimmed and t.values[2].dimmed and t.values[2].age == "20 min ago"
    expired = tile_text(chair(8, bp=BpReading(124.0, 79.0, 70 * 60, "expired"))).values[2]
    assert (expired.text, expired.age) == ("---", "last 1 h 10 min ago")  # never shown as the current BP


def test_a_chair_without_a_baseline_bp_says_its_rise_alarms_are_off():
    from monitor.live.station_text import tile_text

    assert ("no baseline BP: rise alarms off", "warning") in tile_text(chair(2, baseline_sbp=None)).lines
    before = tile_text(chair(2, baseline_sbp=None, phase="pre_infusion")).lines
    assert ("baseline BP not taken yet", "plain") in before
    assert not any("baseline" in text for text, _ in tile_text(chair(2)).lines)


def test_an_ended_alarm_is_latched_not_live_and_a_silent_chair_says_what_is_unknown():
    from monitor.live.station_text import tile_text

    latched = chair(1, alarms=(ended(),))
    assert latched.top_priority is None and latched.latched_priority is Priority.HIGH  # nothing present now
    line = tile_text(latched).lines[1]
    assert line == (f"!!! SpO2 nadir 84 < 90 · ended {clock_text(NOW - 120)}, not acknowledged", "latched-high")
    silent = replace(latched, stale=True, data_age_s=40.0)
    t = tile_text(silent)
    assert t.status == "NO DATA 40 s"
    assert t.lines[0] == ("Infusion clock unknown · last known 12:34 run · 27:26 left", "unknown")
    assert t.lines[1][0].startswith("last known: !!! SpO2 nadir 84") and t.lines[1][1] == "unknown"
    assert all(v.dimmed for v in t.values)


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


# --- the station on a screen: run offscreen in the fast suite, and on Xvfb at 1366x768 by the slow test below ----

def eight_chairs() -> list[ChairView]:
    """A clinic of 8 chairs: quiet, alarming now, latched, silent 40 s, without a baseline (nor a second identifier),
    item 9 (with the clinic's own, long second identifier), old SpO2, idle."""
    item9 = StationAlarm(Priority.MEDIUM, "PHQ-9 item 9 = 2 · clinician to assess", False)
    return [chair(1), chair(2, alarms=(StationAlarm(Priority.HIGH, "SpO2 84 < 90", False),), spo2=Reading(84.0, 1)),
            chair(3, alarms=(ended(),), spo2=Reading(97.0, 1)),
            chair(4, stale=True, data_age_s=40.0, alarms=(StationAlarm(Priority.LOW, "Pulse 48 < 50", True),)),
            chair(5, baseline_sbp=None, bp=None, second_id=""),
            chair(6, alarms=(item9,), second_id="Hospital no. 0012345678"),
            chair(7, spo2=Reading(95.0, 19), bp=BpReading(131.0, 84.0, 18 * 60, "stale")),
            replace(chair(8), session_state="closed", phase="closed", data_age_s=900.0)]


def station(qtbot, views: list[ChairView]):
    """Open the station at its own size, fed the views directly (no store), and wait until it is drawn."""
    from ui.station import WINDOW_H, WINDOW_W, StationWindow

    window = StationWindow("postgresql://desk@127.0.0.1:1/none", poll=False)
    qtbot.addWidget(window)
    if os.environ.get("STATION_WHOLE_SCREEN"):  # as a desk's large screen shows it: the window over the screen
        window.setGeometry(window.screen().availableGeometry())
    else:
        window.resize(WINDOW_W, WINDOW_H)
    window.show()
    qtbot.waitExposed(window)
    window.show_views(views)
    qtbot.waitUntil(lambda: all(t.isVisible() for t in window.tiles.values()), timeout=10000)
    return window


def save(window, name: str) -> None:
    SCREENS.mkdir(exist_ok=True)
    assert window.grab().save(str(SCREENS / name))


def background(tile) -> str:
    """Return the colour a tile is filled with, read off its pixels (bottom middle, below its lines)."""
    from PySide6.QtGui import QColor

    image = tile.grab().toImage()
    return QColor(image.pixel(tile.width() // 2, tile.height() - 10)).name()


def geometry(window) -> dict[str, tuple]:
    """Return where every tile and every value of it sits in the window, and their sizes."""
    return {chair: (tile.mapTo(window, tile.rect().topLeft()).toTuple(), tile.size().toTuple(),
                    *[(v.mapTo(tile, v.rect().topLeft()).toTuple(), v.width()) for v in tile.values])
            for chair, tile in window.tiles.items()}


def test_screen_values_read_from_2_m_and_tiles_never_move(qtbot):
    from PySide6.QtGui import QFontMetrics

    from ui.station import TILE_H, TILE_W

    window = station(qtbot, eight_chairs())
    save(window, "station-8-chairs.png")
    assert window.width() <= 1366 and window.height() <= 768
    assert window.scroll.verticalScrollBar().maximum() == 0  # two rows of four: no scrolling
    for tile in window.tiles.values():
        assert tile.size().toTuple() == (TILE_W, TILE_H)
        for label, value in zip(tile.labels, tile.values):
            label_h = QFontMetrics(label.font()).tightBoundingRect("0123456789").height()
            value_h = QFontMetrics(value.font()).tightBoundingRect("0123456789").height()
            assert value_h >= 2 * label_h, (label.text(), label_h, value_h)
        for widest, value in zip(("100", "180", "188/110"), tile.values):
            assert QFontMetrics(value.font()).horizontalAdvance(widest) <= value.width()
    before = geometry(window)
    wordy = [replace(v, patient_id="P-1234567890-ABCDEFGHIJ", phase="observation_after_the_infusion_long_words",
                     alarms=tuple(StationAlarm(Priority.MEDIUM, "PHQ-9 item 9 = 3 (thoughts of being better off "
                                               "dead), answered “Nearly every day” " * 3, False) for _ in range(6)))
             for v in eight_chairs()]
    window.show_views(wordy)
    qtbot.wait(50)
    save(window, "station-8-chairs-long-texts.png")
    assert geometry(window) == before  # a tile never changes width (or place) with its text
    rows = [line.full_text().strip() for line in window.tiles["chair-01"].lines]
    assert rows[0].startswith("Infusion running") and rows[1].startswith("!! PHQ-9 item 9 = 3 (thoughts")
    assert rows[2] and rows[3:] == ["+5 more", ""]  # one of six alarms over two rows, then what is left out
    window.show_views([replace(v, stale=True, data_age_s=3725.0) for v in eight_chairs()])
    qtbot.wait(50)
    assert geometry(window) == before  # nor with its state: NO DATA everywhere moves no figure


def test_screen_every_text_is_legible_and_none_clipped(qtbot):
    from screen_checks import clipping_failures, legibility_failures

    window = station(qtbot, eight_chairs())
    old_on_alarm = [replace(v, spo2=Reading(95.0, 19)) if v.chair in ("chair-02", "chair-06") else v
                    for v in eight_chairs()]
    failures = legibility_failures("station", window) + clipping_failures("station", window)
    window.show_views(old_on_alarm)
    qtbot.wait(50)
    save(window, "station-old-values-on-alarm-tiles.png")
    failures += legibility_failures("station, old values on alarm tiles", window)
    assert not failures, "\n".join(failures)


def test_screen_whole_both_identifiers_read_beside_each_other(qtbot):
    """Every tile names its patient by the ID and the second identifier, whole, at 15 px or more (20 px when they
    fit), on one row under the chair; without a second identifier it says so."""
    from PySide6.QtGui import QFontMetrics

    from ui.station import IDENTITY_MIN_PX, TITLE_PX

    window = station(qtbot, eight_chairs())
    save(window, f"station-identifiers-{window.width()}.png")
    for view in eight_chairs():
        tile = window.tiles[view.chair]
        shown = tile.identity.text()
        assert shown == tile.identity.full_text(), shown  # not cut
        assert shown.startswith(f"{view.patient_id} · ") and shown.endswith(view.second_id or "no second identifier")
        assert QFontMetrics(tile.identity.font()).horizontalAdvance(shown) <= tile.identity.contentsRect().width()
        assert IDENTITY_MIN_PX <= tile.identity.font().pixelSize() <= TITLE_PX
        assert tile.title.full_text() == view.chair
        below = tile.identity.mapTo(tile, tile.identity.rect().topLeft()).y()
        assert below == tile.title.mapTo(tile, tile.title.rect().bottomLeft()).y() + 3  # right under the chair
    assert window.tiles["chair-01"].identity.font().pixelSize() == TITLE_PX  # a usual ID and a DOB: full size
    assert window.tiles["chair-06"].identity.font().pixelSize() < TITLE_PX  # a long one: smaller, still whole
    assert window.tiles["chair-05"].identity.text() == "P-105 · no second identifier"


def test_screen_an_ended_alarm_is_latched_a_present_one_live(qtbot):
    from monitor.live.station_text import tile_text

    window = station(qtbot, eight_chairs())
    live, latched, quiet = (window.tiles[c] for c in ("chair-02", "chair-03", "chair-01"))
    assert background(live) == theme.ALARM_BG[Priority.HIGH]  # the condition is present: the alarm's colour
    assert background(latched) == background(quiet) == theme.PANEL  # ended: not a live alarm
    assert f"border: 4px solid {theme.ALARM_BG[Priority.HIGH]}" in latched.styleSheet()  # but framed, not forgotten
    assert latched.lines[1].full_text() == " !!! SpO2 nadir 84 < 90"  # over two rows of one latched look
    assert latched.lines[2].full_text() == f"   ended {clock_text(NOW - 120)}, not acknowledged"
    for line in latched.lines[1:3]:
        assert "dashed" in line.styleSheet() and theme.ALARM_DIM_BG[Priority.HIGH] in line.styleSheet()
    assert "dashed" not in live.lines[1].styleSheet()
    assert tile_text(window.views[1]).lines[1][1] == "live-high"
    window.show_views([replace(v, alarms=()) if v.chair == "chair-03" else v for v in eight_chairs()])
    qtbot.waitUntil(lambda: "#333" in latched.styleSheet())  # acknowledged at the chair: the frame goes


def test_screen_a_silent_chair_is_the_loudest_tile(qtbot):
    from ui.station import NO_DATA_BG

    window = station(qtbot, eight_chairs())
    save(window, "station-no-data.png")
    silent = window.tiles["chair-04"]
    assert background(silent) == NO_DATA_BG and silent.status.full_text() == "NO DATA 40 s"
    assert NO_DATA_BG not in theme.ALARM_BG.values()  # its own colour, not a patient's alarm
    assert silent.status.font().pixelSize() > max(w.font().pixelSize() for w in silent.findChildren(type(silent.title))
                                                  if w is not silent.status)
    assert [line.full_text().strip() for line in silent.lines] == [
        "Infusion clock unknown", "last known 12:34 run · 27:26 left", "last known: ! Pulse 48 < 50",
        "(acknowledged)", ""]
    assert "NO DATA from: chair-04" in window.banner.text()
    others = [t for c, t in window.tiles.items() if c != "chair-04"]
    assert all(background(t) != NO_DATA_BG for t in others)


def test_screen_baseline_item9_and_old_values(qtbot):
    from ui.station import ALARM_DIM_FG, NO_DATA_DIM

    window = station(qtbot, eight_chairs())
    no_baseline = window.tiles["chair-05"]
    assert no_baseline.lines[1].full_text().strip() == "no baseline BP: rise alarms off"
    assert theme.WARN_BG in no_baseline.lines[1].styleSheet()
    assert [line.full_text().strip() for line in window.tiles["chair-06"].lines[1:3]] == [
        "!! PHQ-9 item 9 = 2", "clinician to assess"]
    old = window.tiles["chair-07"]
    assert theme.DISABLED in old.values[0].styleSheet() and old.ages[0].full_text() == "19 s ago"
    assert theme.TEXT in old.values[1].styleSheet()  # the fresh pulse beside it is not dimmed
    assert old.ages[2].full_text() == "18 min ago" and theme.DISABLED in old.values[2].styleSheet()
    assert NO_DATA_DIM in window.tiles["chair-04"].values[0].styleSheet()
    window.show_views([replace(v, spo2=Reading(95.0, 19)) if v.chair == "chair-06" else v for v in eight_chairs()])
    flagged = window.tiles["chair-06"]  # an old value on a tile in an alarm's colour is dimmed too
    assert ALARM_DIM_FG[Priority.MEDIUM] in flagged.values[0].styleSheet()
    assert ALARM_DIM_FG[Priority.MEDIUM] not in flagged.values[1].styleSheet()


def test_screen_a_fourth_row_scrolls_into_view(qtbot):
    from ui.station import NO_DATA_BG

    alarm = (StationAlarm(Priority.HIGH, "SpO2 84 < 90", False),)
    views = [chair(n % 10, chair=f"chair-{n:02d}") for n in range(1, 17)]
    views[14] = replace(views[14], stale=True, data_age_s=40.0)
    views[15] = replace(views[15], alarms=alarm)
    window = station(qtbot, views)
    bar = window.scroll.verticalScrollBar()
    assert window.width() <= 1366 and window.height() <= 768 and bar.maximum() > 0
    qtbot.waitUntil(lambda: window.below.text() == "scroll to see: chair-15 NO DATA, chair-16 !!!")  # not hidden
    qtbot.waitUntil(lambda: window.below.width() >= window.below.sizeHint().width())  # laid out whole
    save(window, "station-16-chairs.png")
    assert NO_DATA_BG in window.below.styleSheet()
    last = window.tiles["chair-16"]
    window.scroll.ensureWidgetVisible(last)
    qtbot.waitUntil(lambda: bar.value() == bar.maximum())
    viewport = window.scroll.viewport()
    top_left = last.mapTo(viewport, last.rect().topLeft())
    assert 0 <= top_left.x() and top_left.x() + last.width() <= viewport.width()  # four columns, no sideways scroll
    assert top_left.y() + last.height() <= viewport.height()
    assert window.below.text() == ""
    views[0] = replace(views[0], alarms=alarm)  # the first row, scrolled away, alarms
    window.show_views(views)
    qtbot.waitUntil(lambda: window.below.text() == "scroll to see: chair-01 !!!")
    save(window, "station-16-chairs-scrolled.png")


def test_screen_columns_follow_the_width_and_no_tile_is_out_of_reach(qtbot):
    from ui.station import GAP, TILE_W

    views = [chair(n % 10, chair=f"chair-{n:02d}") for n in range(1, 17)]
    window = station(qtbot, views)
    viewport = window.scroll.viewport()

    def columns() -> dict[int, list[str]]:
        """Return the chairs by the x of their tiles' left edges, checking none lies outside the view or on another."""
        rows: dict[int, list[tuple[int, str]]] = {}
        seen = set()
        for chair_, tile in window.tiles.items():
            at = tile.mapTo(viewport, QPoint(0, 0)) + QPoint(0, window.scroll.verticalScrollBar().value())
            assert 0 <= at.x() and at.x() + tile.width() <= viewport.width(), (chair_, at, viewport.width())
            assert at.toTuple() not in seen, chair_
            seen.add(at.toTuple())
            rows.setdefault(at.x(), []).append((at.y(), chair_))
        return {x: [c for _, c in sorted(column)] for x, column in rows.items()}  # top to bottom

    assert len(columns()) == 4  # 1366 wide
    narrowest = window.minimumSizeHint().width()  # the header and the notice: about 630 px, one column
    for width, expected in ((1920, 5), (1024, 3), (700, 2), (narrowest, 1), (1366, 4)):
        window.resize(width, window.height())
        qtbot.waitUntil(lambda: len(columns()) == expected, timeout=5000)
        first = sorted(columns())[0]
        assert columns()[first][:2] == ["chair-01", f"chair-{expected + 1:02d}"]  # in the chairs' order, row by row
    assert all(tile.width() == TILE_W for tile in window.tiles.values())
    window.show_views([chair(3, chair="chair-00a"), *views])  # a chair joins at the front: every tile moves on
    qtbot.waitUntil(lambda: len(window.tiles) == 17, timeout=5000)
    qtbot.wait(50)
    assert columns()[sorted(columns())[0]][:2] == ["chair-00a", "chair-04"]
    window.resize(1920, window.height())
    qtbot.wait(50)
    lefts = [tile.mapTo(viewport, QPoint(0, 0)).x() for tile in window.tiles.values()]
    spare_left, spare_right = min(lefts), viewport.width() - max(lefts) - TILE_W
    assert spare_left > GAP and abs(spare_left - spare_right) <= 1  # the width the columns leave, on both sides
    save(window, "station-16-chairs-1920-wide.png")


def _on_a_real_display(tmp_path, size: tuple[int, int], tests: str, env: dict[str, str]):
    """Run the screen tests named by tests (-k) on Xvfb of size with the xcb platform; return the run."""
    import subprocess
    import sys

    from xserver import xvfb

    with xvfb(*size) as display:
        env = {**os.environ, **env, "QT_QPA_PLATFORM": "xcb", "DISPLAY": display}
        env.pop("WAYLAND_DISPLAY", None)
        run = subprocess.run([sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", __file__,
                              "-k", tests, "-m", "not slow", "--basetemp", str(tmp_path / "screens")],
                             env=env, capture_output=True, text=True, timeout=600, cwd=SCREENS.parent)
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-3000:]
    return run


@pytest.mark.slow
def test_the_station_screens_on_a_real_display_at_1366x768(tmp_path):
    """Run the screen tests above on Xvfb with the xcb platform, as a clinic's laptop draws them."""
    run = _on_a_real_display(tmp_path, (1366, 768), "test_screen_", {})
    assert "= 8 passed" in run.stdout  # every screen test ran on the real display


@pytest.mark.slow
def test_the_station_over_a_1920x1080_screen_shows_both_identifiers_whole_and_nothing_clipped(tmp_path):
    """A desk's large screen: the station over the whole screen, its identifiers whole, every text legible."""
    run = _on_a_real_display(tmp_path, (1920, 1080), "test_screen_whole_both or test_screen_every_text",
                             {"STATION_WHOLE_SCREEN": "1"})
    assert "= 2 passed" in run.stdout
    assert (SCREENS / "station-identifiers-1920.png").exists()
