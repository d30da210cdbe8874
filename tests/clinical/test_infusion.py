"""Infusion engine on a fake clock: dose integral, pauses, rate changes, planned end, refusals."""

from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from monitor.clinical.config import load_clinical_config
from monitor.clinical.dosing import DoseError, DosePlan
from monitor.clinical.infusion import InfusionEngine, InfusionError, InfusionState, infusion_history
from clocks import FakeClock

LIMITS = load_clinical_config().dose_limits
WALL0 = 1_700_000_000.0


def engine(plan=None, clock=None, **kw):
    clock = clock or FakeClock(5000.0, wall_at_start=WALL0)
    e = InfusionEngine(plan or DosePlan(70, 0.5, 40), clock=clock, wallclock=clock.wall, limits=LIMITS,
                       complete_tolerance_fraction=0.05, **kw)
    return e, clock


def test_worked_example_runs_35_mg_in_40_min():
    e, c = engine()
    assert (e.state, e.delivered_mg, e.remaining_s, e.current_rate_ml_per_h) == (InfusionState.NOT_STARTED, 0, 2400, 150)
    ev = e.start("nurse A")
    assert (ev.kind, ev.t, ev.user, ev.rate_ml_per_h, ev.delivered_mg) == ("started", WALL0, "nurse A", 150.0, 0.0)
    c.advance(20 * 60)
    assert e.delivered_mg == 17.5
    assert e.delivered_ml == 50.0
    assert e.delivered_mg_per_kg == 0.25
    assert e.progress == 0.5
    assert e.remaining_mg == 17.5
    assert e.remaining_s == 1200.0
    assert e.projected_end == WALL0 + 2400
    assert e.elapsed_running_s == e.elapsed_wall_s == 1200.0
    assert e.tick() is None


def test_pause_counts_nothing_and_moves_the_projected_end():
    e, c = engine()
    e.start("A")
    c.advance(600)
    ev = e.pause("nausea", "A")
    assert (ev.kind, ev.reason, ev.delivered_mg) == ("paused", "nausea", 8.75)
    c.advance(300)
    assert e.delivered_mg == 8.75
    assert e.elapsed_running_s == 600 and e.elapsed_wall_s == 900
    assert e.projected_end == WALL0 + 2400 + 300  # still 30 min to go, counted from now
    c.advance(120)
    assert e.projected_end == WALL0 + 2400 + 420
    e.resume("A")
    c.advance(60)
    assert e.delivered_mg == 8.75 + 35 * 60 / 2400
    assert e.projected_end == WALL0 + 2400 + 420


def test_rate_change_changes_speed_not_total_and_the_end_comes_once():
    e, c = engine()
    e.start("A")
    c.advance(20 * 60)  # 50 mL in
    ev = e.change_rate(100, "BP rising", "B")
    assert (ev.kind, ev.rate_ml_per_h, ev.reason, ev.user) == ("rate_changed", 100.0, "BP rising", "B")
    assert e.remaining_s == 30 * 60  # 50 mL at 100 mL/h
    assert e.projected_end == WALL0 + 50 * 60
    c.advance(30 * 60 - 1)
    assert e.tick() is None and e.state is InfusionState.RUNNING
    c.advance(61)  # the UI tick comes a minute late
    end = e.tick()
    assert (end.kind, end.t, end.delivered_mg, end.user) == ("planned_end_reached", WALL0 + 50 * 60, 35.0, "")
    assert e.tick() is None
    assert e.state is InfusionState.COMPLETED
    assert (e.delivered_mg, e.delivered_ug, e.progress, e.remaining_s, e.remaining_mg) == (35.0, 35000, 1.0, 0.0, 0.0)
    assert e.elapsed_running_s == 50 * 60 and e.elapsed_wall_s == 50 * 60
    assert e.projected_end == WALL0 + 50 * 60
    assert [x.kind for x in e.log] == ["started", "rate_changed", "planned_end_reached"]
    c.advance(30)
    ok = e.complete("B")  # the nurse checked the pump: who confirmed is recorded, figures unchanged
    assert (ok.kind, ok.t, ok.user, ok.reason, ok.delivered_mg) == ("completed", WALL0 + 3090, "B", "planned end confirmed", 35.0)
    with pytest.raises(InfusionError, match="cannot complete: the infusion is completed at"):
        e.complete("B")
    assert e.delivered_mg == 35.0 and e.elapsed_wall_s == 50 * 60


def test_a_faster_rate_never_adds_drug():
    e, c = engine()
    e.start("A")
    e.change_rate(300, "protocol", "A")
    c.advance(3600)
    assert e.delivered_mg == 35.0 and e.elapsed_running_s == 1200


def test_end_found_by_another_command_is_still_handed_out_by_tick():
    e, c = engine()
    e.start("A")
    c.advance(2500)
    with pytest.raises(InfusionError, match="cannot pause: the infusion is completed at"):
        e.pause("nausea", "A")
    assert e.log[-1].kind == "planned_end_reached" and e.log[-1].t == WALL0 + 2400
    assert e.tick().kind == "planned_end_reached"


def test_rate_change_while_paused_applies_on_resume():
    e, c = engine()
    e.start("A")
    c.advance(600)
    e.pause("dizzy", "A")
    e.change_rate(75, "slower after pause", "A")
    assert e.remaining_s == 3600  # 75 mL left at 75 mL/h
    c.advance(100)
    e.resume("A")
    c.advance(3600)
    assert e.tick().t == WALL0 + 600 + 100 + 3600


@pytest.mark.parametrize("steps, call, words", [
    ([], lambda e: e.pause("x", "A"), "cannot pause: the infusion is not started"),
    ([], lambda e: e.resume("A"), "cannot resume: the infusion is not started"),
    ([], lambda e: e.stop("x", "A"), "cannot stop: the infusion is not started"),
    (["start"], lambda e: e.start("A"), "cannot start: the infusion is running"),
    (["start"], lambda e: e.resume("A"), "cannot resume: the infusion is running"),
    (["start"], lambda e: e.stop("", "A"), "a reason for stopping early is required"),
    (["start"], lambda e: e.pause("  ", "A"), "a reason for pausing is required"),
    (["start"], lambda e: e.pause("x", ""), "the user pausing is required"),
    (["start"], lambda e: e.change_rate(100, "", "A"), "a reason for the rate change is required"),
    (["start"], lambda e: e.change_rate(150, "same", "A"), "the rate is already 150 mL/h"),
    (["start", "pause"], lambda e: e.pause("x", "A"), "cannot pause: the infusion is paused"),
    (["start", "stop"], lambda e: e.resume("A"), "cannot resume: the infusion is stopped at"),
    (["start", "stop"], lambda e: e.change_rate(100, "x", "A"), "cannot change the rate: the infusion is stopped"),
    ([], lambda e: e.start(""), "the user starting the infusion is required"),
])
def test_invalid_commands_raise_a_clear_error_and_change_nothing(steps, call, words):
    e, c = engine()
    for s in steps:
        {"start": lambda: e.start("A"), "pause": lambda: e.pause("x", "A"), "stop": lambda: e.stop("x", "A")}[s]()
    before = (e.state, list(e.log))
    with pytest.raises(InfusionError, match=words):
        call(e)
    assert (e.state, e.log) == before


def test_stop_early_keeps_the_undelivered_dose_and_freezes_the_clock():
    e, c = engine()
    e.start("A")
    c.advance(960)
    ev = e.stop("severe dissociation", "Dr B")
    assert (ev.kind, ev.reason, ev.user, ev.delivered_mg) == ("stopped", "severe dissociation", "Dr B", 14.0)
    c.advance(3000)
    assert (e.state, e.delivered_mg, e.remaining_mg, e.remaining_s) == (InfusionState.STOPPED, 14.0, 21.0, 0.0)
    assert e.elapsed_wall_s == 960 and e.projected_end == WALL0 + 960
    assert e.tick() is None


def test_complete_is_for_a_pump_that_finished_a_little_early_only():
    e, c = engine()
    e.start("A")
    c.advance(2200)  # 32.08 mg, 2.92 mg left > 5 % of 35 mg
    with pytest.raises(InfusionError, match="32.08 of 35.00 mg delivered .2.92 mg left.; to end before the planned dose, stop"):
        e.complete("A")
    c.advance(100)  # 33.54 mg, 1.46 mg left
    ev = e.complete("A")
    assert (ev.kind, ev.user, e.state) == ("completed", "A", InfusionState.COMPLETED)
    assert e.delivered_ug == 33542  # what the app's timing says, not bumped to the plan
    c.advance(200)
    assert e.tick() is None and e.delivered_ug == 33542


def test_plans_outside_limits():
    with pytest.raises(DoseError, match="Weight 500 kg is above the hard limit of 300 kg"):
        engine(DosePlan(500, 0.5, 40))
    with pytest.raises(DoseError, match="Dose 5 mg/kg is above the hard limit"):
        engine(DosePlan(70, 5, 40))
    e, c = engine(DosePlan(70, 0.8, 40))
    with pytest.raises(DoseError, match="Needs explicit confirmation: Dose 0.8 mg/kg is above the soft limit"):
        e.start("A")
    assert e.state is InfusionState.NOT_STARTED
    ev = e.start("Dr C", confirm_soft_limits=True)
    assert ev.user == "Dr C" and ev.reason == "soft limits confirmed: Dose 0.8 mg/kg is above the soft limit of 0.75 mg/kg"


def test_rates_outside_limits():
    e, c = engine()
    e.start("A")
    with pytest.raises(DoseError, match="above the hard limit of 6 mg/kg/h"):
        e.change_rate(1500, "typo", "A", confirm_soft_limits=True)
    with pytest.raises(DoseError, match="Needs explicit confirmation"):
        e.change_rate(400, "catch up", "A")
    ev = e.change_rate(400, "catch up", "A", confirm_soft_limits=True)
    assert ev.reason.startswith("catch up (soft limit confirmed: Rate 400 mL/h gives 2 mg/kg/h")
    with pytest.raises(DoseError, match="must be above zero .to stop the flow, pause."):
        e.change_rate(0, "stop it", "A")


def test_a_clock_that_steps_back_is_held():
    e, c = engine()
    e.start("A")
    c.advance(600)
    assert e.delivered_mg == 8.75
    c.advance(-300)
    assert e.delivered_mg == 8.75 and e.elapsed_running_s == 600


def test_event_data_is_plain():
    e, c = engine()
    assert e.start("A").to_data() == {"t": WALL0, "kind": "started", "rate_ml_per_h": 150.0, "delivered_mg": 0.0,
                                      "reason": "", "user": "A"}


# ---- property: any sequence of commands on any valid plan --------------------------

plans = st.builds(lambda w, d, m, v: DosePlan(float(w), float(d), m, v),
                  st.decimals("40", "150", places=1), st.decimals("0.1", "0.75", places=3),
                  st.integers(30, 60), st.sampled_from([50, 100, 250]))
ops = st.lists(st.tuples(st.sampled_from(["pause", "resume", "rate", "tick", "stop", "complete", "read"]),
                         st.floats(0, 900, allow_subnormal=False), st.sampled_from([0.25, 0.5, 0.9, 1.1, 1.7, 3.0])),
               max_size=40)


@settings(max_examples=200, deadline=None)
@given(plans, st.floats(0, 1e6), ops)
def test_delivered_dose_is_the_exact_integral_over_running_time(plan, t0, steps):
    clock = FakeClock(t0, wall_at_start=WALL0)
    e, _ = engine(plan, clock)
    bag, conc, total = Fraction(repr(plan.bag_volume_ml)), plan.concentration_exact, plan.total_mg_exact
    e.start("A", confirm_soft_limits=True)
    # an independent model of what must have been delivered
    state, rate, ml, run_s, last, end_due = "running", plan.pump_rate_exact, Fraction(0), Fraction(0), Fraction(clock.t), False
    unconfirmed_end = False
    for op, dt, factor in steps:
        clock.advance(dt)
        now = Fraction(clock.t)
        if state == "running":
            seg = rate * (now - last) / 3600
            if ml + seg >= bag:
                run_s += (bag - ml) * 3600 / rate
                ml, state, end_due, unconfirmed_end = bag, "completed", True, True
            else:
                ml, run_s = ml + seg, run_s + now - last
        last = now
        active = state in ("running", "paused")
        if op == "pause":
            if state == "running":
                e.pause("p", "A")
                state = "paused"
            else:
                with pytest.raises(InfusionError):
                    e.pause("p", "A")
        elif op == "resume":
            if state == "paused":
                e.resume("A")
                state = "running"
            else:
                with pytest.raises(InfusionError):
                    e.resume("A")
        elif op == "rate":
            new = Fraction(repr(round(plan.pump_rate_ml_per_h * factor, 1)))  # at most 4.5 mg/kg/h: inside hard limits
            if active and new != rate:
                e.change_rate(float(new), "r", "A", confirm_soft_limits=True)
                rate = new
            else:
                with pytest.raises(InfusionError):
                    e.change_rate(float(new), "r", "A", confirm_soft_limits=True)
        elif op == "stop":
            if active:
                e.stop("s", "A")
                state = "stopped"
            else:
                with pytest.raises(InfusionError):
                    e.stop("s", "A")
        elif op == "complete":
            if unconfirmed_end:
                assert e.complete("A").reason == "planned end confirmed"
                unconfirmed_end = False
            elif active and (bag - ml) * conc <= total / 20:
                e.complete("A")
                state = "completed"
            else:
                with pytest.raises(InfusionError):
                    e.complete("A")
        elif op == "tick":
            ev = e.tick()
            assert (ev is not None) == end_due
            end_due = False
        s = e.status()
        assert s.state.value == state
        assert s.delivered_ug == round(ml * conc * 1000)
        assert s.delivered_mg == float(ml * conc) <= float(total)
        assert s.elapsed_running_s == float(run_s)
        assert s.elapsed_wall_s >= s.elapsed_running_s
        if state in ("running", "paused"):
            assert s.remaining_s == float((bag - ml) * 3600 / rate)
            assert s.projected_end == clock.wall() + s.remaining_s
        _agrees(e, clock)  # the journal's fold reads every step as the engine lived it
    delivered = [ev.delivered_mg for ev in e.log]
    assert delivered == sorted(delivered)
    assert sum(ev.kind == "planned_end_reached" for ev in e.log) <= 1


def test_many_short_segments_add_up_to_the_microgram():
    e, c = engine(DosePlan(83.3, 0.37, 47, 100), FakeClock(12345.678, wall_at_start=WALL0))
    e.start("A")
    for _ in range(500):
        c.advance(0.1)
        e.pause("p", "A")
        c.advance(0.7)
        e.resume("A")
    # 50 s of running at 100 mL / 47 min of 30.821 mg
    expected = Fraction("30.821") * Fraction(50) / (47 * 60)
    assert abs(Fraction(e.delivered_mg) - expected) < Fraction(1, 10**9)
    assert e.delivered_ug == round(expected * 1000) == 546  # 546.47 µg


def test_status_says_how_long_the_pause_lasts_and_whether_the_end_awaits_confirmation():
    e, c = engine()
    e.start("A")
    c.advance(60)
    assert e.status().paused_for_s == 0
    e.pause("nausea", "A")
    c.advance(125)
    assert e.status().paused_for_s == 125
    e.resume("A")
    assert e.status().paused_for_s == 0
    c.advance(40 * 60)
    st = e.status()
    assert st.state is InfusionState.COMPLETED and st.end_to_confirm  # the bag ran dry by itself
    e.complete("B")
    assert not e.status().end_to_confirm


def test_the_end_time_in_a_refusal_is_read_in_the_sessions_zone(machine_zone):
    machine_zone("America/New_York")  # the computer; the session is Tokyo's (a playback of it here)
    e, c = engine(tz="Asia/Tokyo")
    e.start("A")
    c.advance(2500)  # the bag emptied at WALL0 + 2400 s: 22:53:20 UTC, 07:53:20 in Tokyo, 17:53:20 in New York
    with pytest.raises(InfusionError, match="cannot pause: the infusion is completed at 07:53:20$"):
        e.pause("nausea", "A")


def _agrees(e: InfusionEngine, clock: FakeClock) -> None:
    """The fold of the engine's log, read at the engine's wall clock, says what the engine says.

    The fold times by the events' UTC epoch floats (about 0.2 us apart at today's epoch), the engine by its
    monotonic clock: running time agrees within 0.1 ms (it adds every segment's rounding), the dose to a nanogram.
    """
    status = e.status()
    history = infusion_history(e.log, e.plan, clock.wall())
    assert history.state is status.state and history.end_to_confirm == status.end_to_confirm
    assert history.running_s == pytest.approx(status.elapsed_running_s, abs=1e-4)
    assert history.delivered_mg == pytest.approx(status.delivered_mg, abs=1e-6)
    assert history.remaining_s == pytest.approx(status.remaining_s, abs=1e-6)
    assert history.rate_ml_per_h == status.current_rate_ml_per_h


def test_the_fold_of_the_log_reads_the_infusion_as_the_engine_lived_it():
    e, clock = engine()
    _agrees(e, clock)  # before the start: the planned rate, the whole planned time left
    for step in (lambda: e.start("AB"), lambda: clock.advance(600), lambda: e.pause("nausea", "AB"),
                 lambda: clock.advance(300), lambda: e.change_rate(120, "slower", "AB"), lambda: clock.advance(60),
                 lambda: e.resume("AB"), lambda: clock.advance(900), lambda: e.change_rate(150, "back", "AB"),
                 lambda: clock.advance(3600), e.tick, lambda: clock.advance(60), lambda: e.complete("CD")):
        step()
        _agrees(e, clock)
    history = infusion_history(e.log, e.plan, clock.wall())
    assert history.confirmed_by == "CD" and [p.reason for p in history.pauses] == ["nausea"]
    assert [ev.reason for ev in history.rate_changes] == ["slower", "back"] and history.paused_s == 360


def test_events_the_engine_could_not_have_written_change_nothing():
    """The station's old fold resumed a stopped infusion and ended a paused one at its planned end."""
    e, clock = engine()
    e.start("AB")
    clock.advance(600)
    e.pause("nausea", "AB")
    clock.advance(60)
    e.stop("patient asked to stop", "AB")
    stray = [replace(e.log[1], t=e.log[2].t + 1, kind="planned_end_reached"),
             replace(e.log[0], t=e.log[2].t + 2, kind="resumed")]
    history = infusion_history([*e.log, *stray], e.plan, clock.wall() + 600)
    assert history.state is InfusionState.STOPPED and history.stop_reason == "patient asked to stop"
    assert history.running_s == pytest.approx(600) and history.remaining_s == 0
    assert history.delivered_mg == pytest.approx(e.delivered_mg)


def test_rate_preview_gives_dose_rate_end_and_dose_by_the_end_and_changes_nothing():
    e, c = engine()
    with pytest.raises(InfusionError, match="cannot change the rate: the infusion is not started"):
        e.preview_rate(100)
    e.start("AB")
    c.advance(20 * 60)  # 50 of the 100 mL in
    p = e.preview_rate(100)
    assert (p.rate_ml_per_h, p.dose_rate_mg_per_kg_per_h, p.remaining_s, p.end_utc) == (
        100.0, 0.5, 1800.0, WALL0 + 1200 + 1800)
    assert (p.dose_by_end_mg, p.dose_by_end_mg_per_kg) == (35.0, 0.5)
    assert not p.check.soft and not p.check.hard
    assert [ev.kind for ev in e.log] == ["started"] and e.remaining_s == 1200.0 and e.current_rate_ml_per_h == 150
    soft = e.preview_rate(400)
    assert soft.check.needs_confirmation and "above the soft limit of 1.5 mg/kg/h" in soft.check.soft[0]
    assert soft.dose_rate_mg_per_kg_per_h == 2.0 and soft.remaining_s == 450.0
    hard = e.preview_rate(1300)
    assert hard.check.refused and "hard limit" in hard.check.hard[0]
    with pytest.raises(DoseError, match="must be above zero"):
        e.preview_rate(0)
    e.pause("nausea", "AB")
    c.advance(600)
    assert e.preview_rate(100).end_utc == WALL0 + 1800 + 1800  # from now, as if resumed now
