"""NIBP and scale schedules on a fake monotonic clock."""

import math

import pytest

from monitor.clinical.config import load_clinical_config
from monitor.clinical.schedule import BpSchedule, Phase, ScaleSchedule
from clocks import FakeClock

CFG = load_clinical_config()
MIN = 60.0


def test_baseline_is_due_at_once_but_never_overdue():
    c = FakeClock(100.0)
    bp = BpSchedule(CFG.nibp, c)
    assert bp.phase is Phase.PRE_INFUSION
    assert bp.due_now and bp.next_due == 100 and bp.seconds_until_due == 0
    c.t += 30 * MIN
    assert bp.overdue_s == 0 and not bp.overdue_alarm
    bp.measured()
    assert not bp.due_now and bp.next_due == 100 + 30 * MIN + 60 * MIN  # a baseline stays valid 60 min
    c.t += 61 * MIN
    assert bp.due_now


def test_every_10_min_during_infusion_counted_from_start_or_last_reading():
    c = FakeClock(100.0)
    bp = BpSchedule(CFG.nibp, c)
    bp.measured()
    c.t += 5 * MIN
    bp.set_phase(Phase.INFUSION)
    start = c.t
    assert bp.next_due == start + 10 * MIN and bp.seconds_until_due == 10 * MIN
    c.t = start + 10 * MIN
    assert bp.due_now and bp.overdue_s == 0
    c.t = start + 13 * MIN
    assert bp.overdue_s == 3 * MIN and not bp.overdue_alarm
    c.t = start + 15 * MIN
    assert not bp.overdue_alarm  # exactly 5 min is not "more than 5"
    c.t = start + 15 * MIN + 1
    assert bp.overdue_alarm
    bp.measured()
    assert bp.next_due == c.t + 10 * MIN and not bp.due_now and bp.overdue_s == 0
    c.t += 4 * MIN
    bp.measured()  # "BP now" restarts the cycle
    assert bp.next_due == c.t + 10 * MIN


def test_every_15_min_in_observation_and_nothing_once_closed():
    c = FakeClock(100.0)
    bp = BpSchedule(CFG.nibp, c, phase=Phase.INFUSION)
    c.t += 38 * MIN
    bp.measured()
    c.t += 2 * MIN
    bp.set_phase(Phase.OBSERVATION)
    assert bp.next_due == c.t + 15 * MIN
    c.t += 20 * MIN
    assert bp.overdue_s == 5 * MIN
    bp.set_phase(Phase.CLOSED)
    assert (bp.next_due, bp.due_now, bp.seconds_until_due, bp.overdue_s) == (None, False, None, 0.0)


def test_a_reading_out_of_order_does_not_move_the_schedule_back():
    c = FakeClock(1000.0)
    bp = BpSchedule(CFG.nibp, c, phase=Phase.INFUSION)
    bp.measured(1500)
    bp.measured(1200)
    assert bp.last_measured == 1500
    with pytest.raises(ValueError, match="must be finite"):
        bp.measured(math.nan)


def test_phases_only_move_forward():
    c = FakeClock(100.0)
    bp = BpSchedule(CFG.nibp, c, phase=Phase.OBSERVATION)
    with pytest.raises(ValueError, match="cannot go from phase observation to infusion"):
        bp.set_phase(Phase.INFUSION)
    with pytest.raises(ValueError, match="cannot start before"):
        bp.set_phase(Phase.CLOSED, t=50)


@pytest.mark.parametrize("age_min, state", [(0, "current"), (15, "current"), (15.01, "stale"), (60, "stale"),
                                            (60.01, "expired"), (600, "expired")])
def test_bp_display_state_by_age(age_min, state):
    assert BpSchedule(CFG.nibp, FakeClock(100.0)).bp_display_state(age_min * MIN) == state


def test_bp_display_state_refuses_a_nonsense_age():
    bp = BpSchedule(CFG.nibp, FakeClock(100.0))
    for age in (math.nan, -1.0):
        with pytest.raises(ValueError, match="finite number of seconds"):
            bp.bp_display_state(age)


# ---- scales -------------------------------------------------------------------------

def codes(s):
    return [(d.code, d.scales) for d in s.due()]


ALL4 = ("moaas", "cadss", "nausea", "anxiety")


def test_protocol_time_points_of_a_40_min_infusion():
    c = FakeClock(100.0)
    s = ScaleSchedule(CFG.scale_times, CFG.observation_min, c)
    assert codes(s) == [("baseline", ALL4)] and s.missed() == ()
    assert s.due()[0].prompt == "Baseline: record MOAA/S, CADSS, nausea 0-10, anxiety 0-10"
    assert s.record("moaas") == ("baseline",)
    assert codes(s) == [("baseline", ("cadss", "nausea", "anxiety"))]
    c.t += 5 * MIN
    s.set_phase(Phase.INFUSION)
    start = c.t
    assert codes(s) == []  # a baseline not taken before the start is no longer asked for
    assert s.missed() == ("Baseline",)  # but the screen says it was missed
    c.t = start + 39 * MIN
    assert s.record("nausea") == ()  # at will: counts for no time point
    c.t = start + 40 * MIN
    assert codes(s) == [("t40", ALL4)] and s.due()[0].due_at == start + 40 * MIN
    s.set_phase(Phase.OBSERVATION)
    assert codes(s) == [("t40", ALL4), ("end", ALL4)]
    assert s.record("cadss") == ("t40", "end")  # one entry for both, not asked twice
    for sc in ("moaas", "nausea", "anxiety"):
        s.record(sc)
    assert codes(s) == []
    c.t += 59 * MIN
    assert codes(s) == []
    c.t += 1 * MIN
    assert codes(s) == [("discharge", ALL4 + ("aldrete",))]
    assert s.missed() == ("Baseline",)  # the 40 min and end points were recorded
    s.set_phase(Phase.CLOSED)
    assert codes(s) == [] and s.missed() == ("Baseline",)  # the session's end makes nothing else "missed"


def test_a_complete_baseline_is_not_missed():
    c = FakeClock(100.0)
    s = ScaleSchedule(CFG.scale_times, CFG.observation_min, c)
    for sc in ALL4:
        s.record(sc)
    c.t += MIN
    s.set_phase(Phase.INFUSION)
    assert s.missed() == ()


def test_unknown_scale_is_refused():
    with pytest.raises(ValueError, match="unknown scale 'bprs'"):
        ScaleSchedule(CFG.scale_times, 60, FakeClock(100.0)).record("bprs")
