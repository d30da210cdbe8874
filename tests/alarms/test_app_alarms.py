"""Every technical alarm the app raises names an action the screen allows, and that action ends it.

The keys are found in the code (every raise_technical(...) and SessionAction("raise", ...)) and must be
members of monitor.alarms.keys.AppAlarm, so a key written as a bare string, a new member without a listed way
to clear it, or a member nothing raises fails here.
"""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest

from monitor.live.core import MonitorCore, SessionInfo
from monitor.live.screen import APP_ALARMS
from monitor.clinical.outcomes import entered
from monitor.clinical.scales import Aldrete
from monitor.alarms import AlarmEngine, Priority, load_profile
from monitor.alarms.keys import AppAlarm
from monitor.storage.store import Store
from clocks import FakeClock

ROOT = Path(__file__).resolve().parent.parent.parent


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _key(node: ast.expr, module: str) -> AppAlarm:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "AppAlarm":
        return AppAlarm[node.attr]
    raise AssertionError(f"{module}: an alarm key that is not an AppAlarm member: {ast.unparse(node)}")


def raised_keys() -> dict[AppAlarm, str]:
    """Return every key the app raises a technical alarm with -> the module raising it."""
    found = {}
    for path in [*ROOT.joinpath("monitor").rglob("*.py"), *ROOT.joinpath("ui").rglob("*.py")]:
        module = _module_name(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name == "raise_technical":
                first = node.args[0]
                if isinstance(first, ast.Name) and first.id == "key" or isinstance(first, ast.Attribute) \
                        and first.attr == "key":
                    continue  # the engine's and SessionAction's own pass-throughs of a key raised elsewhere
                found[_key(first, module)] = module
            elif name == "SessionAction" and isinstance(node.args[0], ast.Constant) and node.args[0].value == "raise":
                found[_key(node.args[1], module)] = module
    return found


def test_every_alarm_the_app_raises_is_listed_with_its_action():
    keys = raised_keys()
    assert keys[AppAlarm.NIBP_OVERDUE] == "monitor.clinical.session" and keys[AppAlarm.RECORDING] == "monitor.live.core"
    assert set(AppAlarm) == set(APP_ALARMS), "list the action that ends each alarm in monitor.live.screen.APP_ALARMS"
    assert set(keys) == set(AppAlarm), "an AppAlarm nothing raises: remove it"


def test_an_alarm_is_recorded_under_its_plain_text():
    engine = AlarmEngine(load_profile("ketamine"), clock=lambda: 0.0, wallclock=lambda: 1.8e9)
    [event] = engine.raise_technical(AppAlarm.AUDIO, Priority.MEDIUM, "No alarm sound")
    assert type(event.condition) is str and event.condition == "audio" and f"{AppAlarm.AUDIO}" == "audio"
    assert [e.condition for e in engine.clear_technical(AppAlarm.AUDIO)] == ["audio"]


def test_a_key_written_as_a_string_is_refused():
    with pytest.raises(AssertionError, match="not an AppAlarm member"):
        _key(ast.parse('raise_technical("audio", p, m)').body[0].value.args[0], "planted")


@pytest.fixture
def session(tmp_path):
    clock = FakeClock(100.0)
    core = MonitorCore(Store(tmp_path / "s.db"), [], clock=clock)
    core.start(SessionInfo(patient_id="P1", weight_kg=70, dose_mg_per_kg=0.5, infusion_min=40), operator="AB")
    yield core, clock
    core.stop()


def active(core: MonitorCore, key: AppAlarm) -> bool:
    return any(a.condition == key for a in core.alarm_view().active)


def wait(predicate, what: str) -> None:
    deadline = time.monotonic() + 5
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def advance(clock: FakeClock, core: MonitorCore, seconds: float, key: AppAlarm) -> None:
    clock.t += seconds
    wait(lambda: active(core, key), f"{key} was not raised")


def test_planned_end_is_ended_by_complete(session):
    core, clock = session
    core.infusion_action("start", user="AB")
    advance(clock, core, 41 * 60, AppAlarm.INFUSION_END)
    assert core.view().infusion.actions["complete"]  # the alarm asks for Complete: the screen allows it
    core.infusion_action("complete", user="AB")
    assert not active(core, AppAlarm.INFUSION_END)


def test_a_long_pause_reminder_is_ended_by_resume(session):
    core, clock = session
    core.infusion_action("start", user="AB")
    core.infusion_action("pause", user="AB", reason="nausea")
    advance(clock, core, core.clinical.config.pause_reminder_min * 60, AppAlarm.INFUSION_PAUSED)
    assert core.view().infusion.actions["resume"]
    core.infusion_action("resume", user="AB")
    clock.t += 1
    wait(lambda: not active(core, AppAlarm.INFUSION_PAUSED), "the reminder stayed after resume")


def test_overdue_bp_is_ended_by_a_bp(session):
    core, clock = session
    core.infusion_action("start", user="AB")  # a baseline is never overdue; the first BP of the infusion can be
    clock.t += 1
    wait(lambda: core.clinical.phase.value == "infusion", "infusion phase")
    nibp = core.clinical.config.nibp
    advance(clock, core, (nibp.infusion_interval_min + nibp.overdue_alarm_min + 1) * 60, AppAlarm.NIBP_OVERDUE)
    core.enter_bp(124, 80, user="AB")
    clock.t += 1
    wait(lambda: not active(core, AppAlarm.NIBP_OVERDUE), "the overdue alarm stayed after a BP")


def test_observation_done_is_ended_by_the_discharge_assessment(session):
    core, clock = session
    core.infusion_action("start", user="AB")
    clock.t += 1
    wait(lambda: core.clinical.phase.value == "infusion", "infusion phase")
    core.infusion_action("stop", user="AB", reason="patient asked")
    clock.t += 1
    wait(lambda: core.clinical.phase.value == "observation", "observation phase")
    advance(clock, core, core.clinical.config.observation_min * 60 + 1, AppAlarm.OBSERVATION_DONE)
    assert core.view().clinical.discharge_allowed
    core.clinical.discharge(Aldrete(2, 2, 1, 120, 124, 97, False), vitals_near_baseline=True, responsible_adult="",
                            checked_by="AB", checklist={})  # recorded although not met: the assessment was done
    clock.t += 1
    wait(lambda: not active(core, AppAlarm.OBSERVATION_DONE), "the reminder stayed after the assessment")


def test_the_item_9_flag_is_ended_by_a_clinicians_review(session):
    core, clock = session
    score = entered("phq9", [1, 1, 1, 1, 1, 1, 1, 1, 1], user="AB", mode="nurse", cutoffs={"pcl5": 33}, t=time.time())
    core.clinical.record_outcome(score)
    advance(clock, core, 1, AppAlarm.OUTCOME_FLAG)
    assert core.view().clinical.flags[0][0] == score.id
    core.clinical.review_outcome_flag(score.id, "Dr Lee", "passive thoughts, no plan")
    clock.t += 1
    wait(lambda: not active(core, AppAlarm.OUTCOME_FLAG), "the flag alarm stayed after the review")


def test_alarms_no_command_can_end_say_what_to_do_and_recording_ends_by_itself(session):
    core, _ = session
    for key, (action, how) in APP_ALARMS.items():
        if how in ("restart", "condition"):
            assert action
    core._recording_failed("disk full")
    assert active(core, AppAlarm.RECORDING)
    core._recording_failed(None)
    assert not active(core, AppAlarm.RECORDING)
