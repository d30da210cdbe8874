"""The clinical panel's view: the event list holds the infusion's steps with their reasons and who beside the
markers (newest first, only markers editable), and after scales are recorded the panel shows their last scores."""

from __future__ import annotations

import time

import pytest
from clocks import FakeClock

from monitor.clinical.scales import Cadss, Moaas, Rating
from monitor.live.core import MonitorCore, SessionInfo
from monitor.storage.store import Store

STEP_S = 7.0  # each step of a test 7 s after the one before: the list's order is the steps' order


@pytest.fixture
def clock():
    """The wall clock, moved only by the test: the core's own threads read it too, so a clock that moved at
    every reading would run on with them, and under load minutes would pass in a second."""
    return FakeClock(wall_at_start=1.8e9)


@pytest.fixture
def core(tmp_path, clock):
    store = Store(tmp_path / "s.db")
    core = MonitorCore(store, [], wallclock=clock.wall, tz="UTC")
    core.start(SessionInfo(patient_id="P1", weight_kg=70, dose_mg_per_kg=0.5, infusion_min=40, bag_ml=100),
               operator="AB")
    core.enter_bp(128, 82, user="AB")
    yield core
    core.stop()
    store.close()


def test_infusion_steps_with_their_reasons_are_in_the_event_list(core, clock):
    steps = [lambda: core.infusion_action("start", user="AB"),
             lambda: core.clinical.mark("1", "AB"),  # nausea
             lambda: core.infusion_action("pause", user="AB", reason="nausea"),
             lambda: core.infusion_action("resume", user="CD"),
             lambda: core.infusion_action("rate", user="CD", reason="BP rising", rate_ml_per_h=120)]
    for step in steps:
        clock.advance(STEP_S)
        step()
    lines = core.view().clinical.markers
    words = [line.text.split("  ", 1)[1] for line in lines]
    assert words == ["Rate 120 mL/h: BP rising · CD", "Infusion resumed · CD", "Infusion paused: nausea · AB",
                     "Nausea · AB", "Infusion started · AB"]
    assert [bool(line.marker_id) for line in lines] == [False, False, False, True, False]  # only the marker edits


def test_the_panel_shows_the_last_scores_once_recorded(core):
    assert core.view().clinical.scales.startswith("Scales due (Baseline)")
    for score in (Moaas(4), Rating("nausea", 2), Rating("anxiety", 1), Cadss((1, 0, 2, 1, 0, 1))):
        core.clinical.record_scale(score, "AB")
    core.clinical.record_scale(Moaas(5), "AB")  # a later score replaces the earlier one of its scale
    view = core.view().clinical
    assert view.scales_due == ()
    assert view.scales == "Last scales: MOAA/S 5, CADSS 5/24, nausea 2, anxiety 1"


def test_scales_missed_come_first_when_nothing_is_due(core):
    core.infusion_action("start", user="AB")  # the baseline scales were never recorded
    deadline = time.monotonic() + 10
    while not core.view().clinical.scales_missed and time.monotonic() < deadline:
        time.sleep(0.05)  # the session enters the infusion phase at its next tick
    view = core.view().clinical
    assert view.scales_missed
    if view.scales_due:  # a clinic's schedule may ask for scales at the start: then what is due comes first
        assert view.scales.startswith("Scales due") and view.scales.endswith(" · not recorded: Baseline")
    else:  # "none due" goes without saying beside what was missed
        assert view.scales == "Scales not recorded: Baseline"


def test_the_questionnaires_line_says_what_is_due_first(core):
    """At 1024 px the line is cut short: "Due before the infusion: questi…" had lost what was due."""
    view = core.view().clinical
    assert view.outcomes_due and view.outcomes == "Questionnaires due before the infusion"
    core.infusion_action("start", user="AB")
    deadline = time.monotonic() + 10
    while core.view().clinical.outcomes_due and time.monotonic() < deadline:
        time.sleep(0.05)  # the session enters the infusion phase at its next tick
    view = core.view().clinical
    assert not view.outcomes_due and view.outcomes == "Questionnaires: none entered"
