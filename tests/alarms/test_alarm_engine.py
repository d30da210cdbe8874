"""AlarmEngine rules from ALARMS.md on a fake clock: delays, bypass, hysteresis, latching,
escalation, audio pause, technical alarms, baseline rise, no-value samples, limit changes."""

import json
import subprocess
import sys

import pytest

from monitor.alarms import AlarmEngine, AlarmEvent, Priority, ProfileError, load_profile
from devices.values import Condition, DeviceInfo, DeviceNotice, NibpResult, StatusChange, sample
from clocks import FakeClock

EPOCH = 1_700_000_000.0


@pytest.fixture
def clock():
    return FakeClock(500.0)


@pytest.fixture
def engine(clock):
    return AlarmEngine(load_profile("ketamine"), clock=clock, wallclock=lambda: EPOCH + clock.t)


def feed(engine, clock, param, values, source="pulseox", flags=frozenset()):
    """Feed one value per second (None allowed) with ticks every 0.25 s; return all events."""
    events = []
    for v in values:
        events += engine.on_item(sample(EPOCH + clock.t, source, param, v, flags))
        events += run(engine, clock, 1.0)
    return events


def desaturate(engine, clock, value=70.0):
    """Feed a deep desaturation that persists (3 readings over 2 s): it skips the delay; return the events."""
    events = engine.on_item(sample(0, "pulseox", "spo2", value))
    for _ in range(2):
        clock.t += 1.0
        events += engine.on_item(sample(0, "pulseox", "spo2", value))
    return events


def run(engine, clock, seconds, step=0.25):
    """Tick for `seconds` of fake time; return the events."""
    events = []
    for _ in range(round(seconds / step)):
        clock.t += step
        events += engine.tick()
    return events


def nibp(engine, clock, sbp, dbp=80.0, map_=None, error=""):
    return engine.on_item(NibpResult(EPOCH + clock.t, "nibp", sbp, dbp, map_, 70.0, 1 if error else 0, error))


def status(engine, clock, condition, active, source="pulseox", detail=""):
    return engine.on_item(StatusChange(EPOCH + clock.t, source, condition, active, detail))


def kinds(events):
    return [(e.kind.value, e.condition, e.priority.label if e.priority else None) for e in events]


# ---- delays and bypass ----------------------------------------------------------------------------

def test_spo2_alarm_waits_for_its_10_s_delay(engine, clock):
    start = clock.t
    assert feed(engine, clock, "spo2", [92.0] * 9) == []
    assert engine.on_item(sample(0, "pulseox", "spo2", 92.0)) + run(engine, clock, 0.75) == []
    events = run(engine, clock, 0.25)
    assert kinds(events) == [("raised", "spo2_low", "medium")] and clock.t - start == 10.0
    e = events[0]
    assert (e.message, e.value, e.limit, e.param, e.source) == ("SpO₂ 92 < 94", 92.0, 94.0, "spo2", "pulseox")
    assert e.alarm_kind.value == "physiological" and e.t == EPOCH + clock.t


def test_delay_completes_on_tick_when_the_latest_value_is_still_beyond(engine, clock):
    engine.on_item(sample(0, "pulseox", "spo2", 92.0))
    assert run(engine, clock, 9.75) == []
    assert kinds(run(engine, clock, 0.25)) == [("raised", "spo2_low", "medium")]


def test_dip_shorter_than_the_delay_never_alarms_and_restarts_the_delay(engine, clock):
    assert feed(engine, clock, "spo2", [92.0] * 5 + [97.0] + [92.0] * 9) == []
    assert kinds(feed(engine, clock, "spo2", [92.0])) == [("raised", "spo2_low", "medium")]


def test_a_deep_desaturation_that_persists_skips_the_delay(engine, clock):
    assert engine.on_item(sample(0, "pulseox", "spo2", 80.0)) == []  # exactly 10 below the high limit: waits
    feed(engine, clock, "spo2", [97.0])
    engine.on_item(sample(0, "pulseox", "spo2", 79.0))
    clock.t += 1
    assert engine.on_item(sample(0, "pulseox", "spo2", 78.0)) == []  # two readings, 1 s: not yet
    clock.t += 0.5
    events = engine.on_item(sample(0, "pulseox", "spo2", 78.0))  # the third, 1.5 s after the first
    assert kinds(events) == [("raised", "spo2_low", "high")] and events[0].message == "SpO₂ 78 < 90"


@pytest.mark.parametrize("corrupt", [16.0, 0.0, 54.0, 9.0])
def test_one_implausible_reading_never_skips_the_delay(engine, clock, corrupt):
    """A noisy line decodes SpO2 16 amid a true 97: no alarm, at once or later."""
    assert feed(engine, clock, "spo2", [97.0, 97.0, corrupt, 97.0, 97.0] * 20) == []


def test_one_implausible_reading_within_a_real_dip_does_not_bring_the_alarm_forward(engine, clock):
    """SpO2 really 85 for 4 s (too short to alarm) with one corrupted 16 among it: still no alarm."""
    assert feed(engine, clock, "spo2", [97.0, 88.0, 85.0, 16.0, 85.0, 97.0] * 10) == []


def test_readings_arriving_in_a_burst_are_not_a_persisting_condition(engine, clock):
    """A 60 Hz device's three readings in 50 ms span no time: they cannot shorten the delay."""
    events = []
    for _ in range(3):
        events += engine.on_item(sample(0, "pulseox", "spo2", 70.0))
        clock.t += 0.02
    assert events == []


@pytest.mark.parametrize("flag", ["questionable", "artifact"])
def test_flagged_readings_neither_start_support_nor_complete_a_bypass(engine, clock, flag):
    flagged = frozenset({flag})
    assert feed(engine, clock, "spo2", [70.0] * 3, flags=flagged) == []  # never start
    engine.on_item(sample(0, "pulseox", "spo2", 70.0))
    clock.t += 1
    assert engine.on_item(sample(0, "pulseox", "spo2", 70.0, flagged)) == []  # never support
    clock.t += 1
    assert engine.on_item(sample(0, "pulseox", "spo2", 70.0, flagged)) == []  # never complete
    assert engine.on_item(sample(0, "pulseox", "spo2", 70.0)) == []  # two valid readings only
    clock.t += 0.5
    assert kinds(engine.on_item(sample(0, "pulseox", "spo2", 70.0))) == [("raised", "spo2_low", "high")]


def _first_raise(engine, clock, readings):
    """Feed one reading a second; return seconds from the first reading to the first raise (None if none)."""
    start = clock.t
    for v in readings:
        if any(e.kind.value == "raised" for e in engine.on_item(sample(0, "pulseox", "spo2", v))):
            return clock.t - start
        for _ in range(4):
            clock.t += 0.25
            if any(e.kind.value == "raised" for e in engine.tick()):
                return clock.t - start
    return None


def _latency_before(limits, readings):
    """Return when the bypass on one reading (before issue 18) raised: first value beyond the margin, or the delay."""
    onset = next(i for i, v in enumerate(readings) if v < limits.medium_low)
    deep = next((i for i, v in enumerate(readings) if limits.beyond_bypass(v, "low")), None)
    return min(onset + limits.delay_s, float("inf") if deep is None else deep)


def _fall(rate, bottom):
    """SpO2 from 97 falling by rate points a reading to bottom, then staying there (1 reading a second)."""
    values, v = [], 97.0
    while v > bottom:
        values.append(v)
        v -= rate
    return values + [bottom] * 20


@pytest.mark.parametrize("readings", [
    *(_fall(rate, bottom) for rate in (1.0, 2.0, 3.0, 4.0, 5.0) for bottom in (80.0, 75.0, 70.0, 60.0)),
    [97.0, 97.0] + [82.0] * 20,  # a real step to 82 that persists
    [97.0, 97.0] + [80.0] * 20,  # a real step to 80 (exactly the margin) that persists
], ids=lambda r: f"{r[0]:.0f}..{r[-1]:.0f}x{len(r)}")
def test_a_sustained_fall_alarms_no_later_than_with_the_bypass_on_one_reading(engine, clock, readings):
    before = _latency_before(engine.limits("spo2"), readings)
    now = _first_raise(engine, clock, readings)
    assert now is not None and now <= before


@pytest.mark.parametrize("bottom", [79.0, 60.0])
def test_a_step_past_the_margin_alarms_at_its_third_reading_not_after_the_delay(engine, clock, bottom):
    """The case slower than a bypass on one reading (a fall faster than 5 points a second is one too):
    at its first reading then, at its third now, 2 s later and still 8 s before the delay."""
    assert _first_raise(engine, clock, [97.0] + [bottom] * 20) == 3.0  # 97 at 0 s, then the step at 1, 2, 3 s


def test_nibp_values_alarm_at_once_and_pulse_waits(engine, clock):
    assert kinds(nibp(engine, clock, 75.0)) == [("raised", "sbp_low", "high")]
    assert kinds(engine.on_item(sample(0, "nibp", "dbp", 101.0))) == [("raised", "dbp_high", "medium"),
                                                                      ("escalated", "dbp_high", "high")]
    assert engine.on_item(sample(0, "pulseox", "pulse_rate", 135.0)) == []
    assert kinds(run(engine, clock, 10.0)) == [("raised", "pulse_rate_high", "high")]


def test_bp_readings_of_any_device_are_single_readings_that_ignore_the_delay(engine, clock):
    engine.set_limit("sbp", "delay_s", 30, "dr C")
    assert kinds(nibp(engine, clock, 165.0)) == [("raised", "sbp_high", "medium")]
    events = engine.on_item(sample(0, "monitor", "sbp", 166.0))  # a bedside monitor's NIBP, under its own source
    assert kinds(events) == [("raised", "sbp_high", "medium")]
    assert events[0].message == "SBP 166 > 160 (monitor)"  # two devices gave SBP: the alarm says which one


def test_a_newer_normal_bp_from_another_device_ends_the_older_bp_alarm(engine, clock):
    events = engine.on_item(sample(0, "manual", "sbp", 186.0, flags=frozenset({"manual"})))
    assert kinds(events) == [("raised", "sbp_high", "high")]
    clock.t += 600
    ended = nibp(engine, clock, 128.0, 80.0)
    assert ("ended", "sbp_high", "high") in kinds(ended)  # latched (high) until acknowledged, no longer present


def test_inclusive_limit_sbp_180_is_high(engine, clock):
    events = nibp(engine, clock, 180.0, 90.0)
    assert kinds(events) == [("raised", "sbp_high", "high")]
    assert events[0].message == "SBP 180 ≥ 180"  # as the alarm bar says it


# ---- hysteresis -------------------------------------------------------------------------------------

def test_value_sitting_on_the_limit_does_not_chatter(engine, clock):
    assert kinds(feed(engine, clock, "spo2", [93.0] * 11)) == [("raised", "spo2_low", "medium")]
    engine.acknowledge("nurse")
    assert feed(engine, clock, "spo2", [94.0, 93.0] * 60) == []
    assert feed(engine, clock, "spo2", [94.0, 94.9]) == []
    assert kinds(feed(engine, clock, "spo2", [95.0])) == [("cleared", "spo2_low", "medium")]


def test_pulse_and_bp_hysteresis(engine, clock):
    assert kinds(feed(engine, clock, "pulse_rate", [111.0] * 11)) == [("raised", "pulse_rate_high", "medium")]
    engine.acknowledge("nurse")
    assert feed(engine, clock, "pulse_rate", [110.0, 109.0, 111.0]) == []
    assert kinds(feed(engine, clock, "pulse_rate", [108.0])) == [("cleared", "pulse_rate_high", "medium")]
    assert kinds(nibp(engine, clock, 161.0)) == [("raised", "sbp_high", "medium")]
    assert nibp(engine, clock, 158.0) == []
    assert kinds(nibp(engine, clock, 157.0)) == [("cleared", "sbp_high", "medium")]


def test_onset_inside_the_hysteresis_band_does_not_restart_the_delay(engine, clock):
    assert feed(engine, clock, "spo2", [93.0, 94.0] * 5) == []
    assert kinds(feed(engine, clock, "spo2", [93.0])) == [("raised", "spo2_low", "medium")]


# ---- latching, acknowledge, audible ----------------------------------------------------------------------

def test_high_alarm_latches_until_acknowledged(engine, clock):
    raised = feed(engine, clock, "spo2", [85.0] * 11)
    assert kinds(raised) == [("raised", "spo2_low", "high")]
    assert kinds(feed(engine, clock, "spo2", [98.0] * 5)) == [("ended", "spo2_low", "high")]  # logged, still shown
    [a] = engine.active()
    assert a.latched and not a.acknowledged and a.priority is Priority.HIGH
    assert engine.audible_priority() is Priority.HIGH
    events = engine.acknowledge("nurse A")
    assert kinds(events) == [("acknowledged", "spo2_low", "high"), ("cleared", "spo2_low", "high")]
    assert {e.user for e in events} == {"nurse A"} and {e.alarm_id for e in events} == {raised[0].alarm_id}
    assert engine.active() == [] and engine.audible_priority() is None


def test_a_latched_alarm_keeps_the_nadir_the_high_limit_and_when_it_ended(engine, clock):
    feed(engine, clock, "spo2", [93.0] * 11)  # medium first (< 94)
    feed(engine, clock, "spo2", [88.0, 84.0, 86.0] + [89.0] * 8)  # then below the high limit 90, nadir 84
    feed(engine, clock, "spo2", [93.5])  # inside the high limit, not past the medium one: still present
    [a] = engine.active()
    assert (a.side, a.worst, a.worst_limit, a.worst_op, a.value) == ("low", 84.0, 90.0, "<", 93.5)
    assert not a.latched and a.ended_t is None
    ended_at = EPOCH + clock.t
    feed(engine, clock, "spo2", [97.0])
    [a] = engine.active()
    assert a.latched and a.worst == 84.0 and a.worst_limit == 90.0 and a.ended_t == ended_at
    assert a.value == 97.0  # the value now is normal; the worst stays for the nurse


def test_a_rise_alarm_keeps_its_peak_and_baseline(engine, clock):
    engine.set_baseline("sbp", 120.0)
    nibp(engine, clock, 175.0)
    nibp(engine, clock, 182.0)
    rise = next(a for a in engine.active() if a.condition == "sbp_rise")
    assert (rise.side, rise.worst, rise.worst_limit, rise.baseline, rise.op) == ("high", 182.0, 170.0, 120.0, ">")
    peak = next(a for a in engine.active() if a.condition == "sbp_high")
    assert (peak.worst, peak.worst_limit, peak.worst_op) == (182.0, 180.0, ">=")


def test_acknowledged_high_keeps_sounding_while_present_and_clears_when_it_ends(engine, clock):
    feed(engine, clock, "spo2", [85.0] * 11)
    assert kinds(engine.acknowledge("nurse")) == [("acknowledged", "spo2_low", "high")]
    assert engine.acknowledge("nurse") == []
    assert engine.audible_priority() is Priority.HIGH
    assert kinds(feed(engine, clock, "spo2", [96.0])) == [("cleared", "spo2_low", "high")]


def test_medium_does_not_latch_and_acknowledged_medium_is_silent(engine, clock):
    feed(engine, clock, "spo2", [92.0] * 11)
    assert engine.audible_priority() is Priority.MEDIUM
    engine.acknowledge("nurse")
    assert engine.audible_priority() is None and len(engine.active()) == 1
    assert kinds(feed(engine, clock, "spo2", [96.0])) == [("cleared", "spo2_low", "medium")]


def test_a_condition_that_ends_and_returns_is_a_new_episode_beside_the_latched_first(engine, clock):
    """Before issue 18 the returning condition re-raised the latched alarm under its id (one alarm for three)."""
    first = desaturate(engine, clock, 75.0)
    first_end = EPOCH + clock.t
    feed(engine, clock, "spo2", [97.0, 97.0])
    again = desaturate(engine, clock, 72.0)
    assert kinds(again) == [("raised", "spo2_low", "high")] and again[0].alarm_id != first[0].alarm_id
    shown = {a.alarm_id: a for a in engine.active()}
    old, new = shown[first[0].alarm_id], shown[again[0].alarm_id]
    assert old.latched and not old.acknowledged and old.worst == 75.0 and old.ended_t == first_end
    assert not new.latched and new.worst == 72.0
    assert engine.priority_of("spo2") is Priority.HIGH and engine.audible_priority() is Priority.HIGH
    events = engine.acknowledge("nurse")
    assert [(e.kind.value, e.alarm_id) for e in events] == [
        ("acknowledged", first[0].alarm_id), ("cleared", first[0].alarm_id), ("acknowledged", again[0].alarm_id)]
    assert [a.alarm_id for a in engine.active()] == [again[0].alarm_id]


def test_three_unacknowledged_desaturations_are_three_alarms(engine, clock):
    ids = []
    for _ in range(3):
        ids += [e.alarm_id for e in desaturate(engine, clock) if e.kind.value == "raised"]
        feed(engine, clock, "spo2", [97.0] * 5)
    assert len(set(ids)) == 3
    assert [(a.latched, a.acknowledged) for a in engine.active()] == [(True, False)] * 3
    assert len([e for e in engine.acknowledge("nurse") if e.kind.value == "cleared"]) == 3
    assert engine.active() == []


def test_active_is_highest_priority_first_then_oldest(engine, clock):
    status(engine, clock, Condition.ARTIFACT, True)
    clock.t += 1
    status(engine, clock, Condition.SENSOR_FAULT, True, source="nibp")
    clock.t += 1
    status(engine, clock, Condition.PROBE_OFF, True)
    clock.t += 1
    desaturate(engine, clock)
    assert [(a.condition, a.priority.label) for a in engine.active()] == [
        ("spo2_low", "high"), ("sensor_fault", "medium"), ("probe_off", "medium"), ("artifact", "low")]


# ---- escalation ---------------------------------------------------------------------------------------------

def test_crossing_the_high_limit_escalates_the_same_alarm(engine, clock):
    raised = feed(engine, clock, "spo2", [92.0] * 11)
    events = feed(engine, clock, "spo2", [88.0])
    assert kinds(events) == [("escalated", "spo2_low", "high")]
    assert events[0].alarm_id == raised[0].alarm_id and events[0].message == "SpO₂ 88 < 90"


def test_unacknowledged_medium_escalates_after_escalation_time(engine, clock):
    engine.on_item(sample(0, "nibp", "sbp", 165.0))
    assert run(engine, clock, 59.75) == []
    events = run(engine, clock, 0.25)
    assert kinds(events) == [("escalated", "sbp_high", "high")]
    assert "not acknowledged within 60 s" in events[0].message


def test_acknowledged_medium_does_not_escalate_on_time(engine, clock):
    engine.on_item(sample(0, "nibp", "sbp", 165.0))
    engine.acknowledge("nurse")
    assert run(engine, clock, 300.0) == []


def test_two_parameters_in_alarm_escalate_medium_to_high(engine, clock):
    feed(engine, clock, "spo2", [92.0] * 11)
    engine.acknowledge("nurse")
    events = nibp(engine, clock, 165.0)
    assert kinds(events) == [("raised", "sbp_high", "medium"), ("escalated", "spo2_low", "high"),
                             ("escalated", "sbp_high", "high")]
    assert "two or more parameters" in events[1].message
    assert all(a.priority is Priority.HIGH and not a.acknowledged for a in engine.active())


def test_two_conditions_of_one_parameter_do_not_count_as_two_parameters(engine, clock):
    engine.set_baseline("sbp", 130.0)
    events = nibp(engine, clock, 165.0)
    assert sorted(kinds(events)) == [("raised", "sbp_high", "medium"), ("raised", "sbp_rise", "medium")]


def test_technical_alarms_do_not_count_for_two_parameter_escalation(engine, clock):
    nibp(engine, clock, 165.0)
    assert kinds(status(engine, clock, Condition.PROBE_OFF, True)) == [("raised", "probe_off", "medium")]


# ---- audio pause ------------------------------------------------------------------------------------------------

def test_audio_pause_lasts_the_profile_time_then_resumes(engine, clock):
    desaturate(engine, clock)
    events = engine.pause_audio("nurse B")
    assert kinds(events) == [("audio_paused", "", None)] and events[0].user == "nurse B"
    assert events[0].value == 120.0
    assert engine.audible_priority() is None and engine.audio_pause_remaining() == 120.0
    assert run(engine, clock, 60.0) == [] and engine.audio_pause_remaining() == 60.0
    assert run(engine, clock, 59.75) == []
    assert kinds(run(engine, clock, 0.25)) == [("audio_resumed", "", None)]
    assert engine.audio_pause_remaining() is None and engine.audible_priority() is Priority.HIGH


def test_new_alarm_breaks_the_audio_pause(engine, clock):
    desaturate(engine, clock)
    engine.pause_audio("nurse")
    assert feed(engine, clock, "spo2", [70.0] * 3) == []  # the same alarm does not break it
    events = nibp(engine, clock, 185.0)
    assert kinds(events)[-1] == ("audio_resumed", "", None)
    assert engine.audio_pause_remaining() is None and engine.audible_priority() is Priority.HIGH


def test_rise_in_priority_breaks_the_audio_pause(engine, clock):
    feed(engine, clock, "spo2", [92.0] * 11)
    engine.pause_audio("nurse")
    events = feed(engine, clock, "spo2", [89.0])
    assert kinds(events) == [("escalated", "spo2_low", "high"), ("audio_resumed", "", None)]


def test_pause_does_not_silence_high_for_good(engine, clock):
    desaturate(engine, clock)
    engine.acknowledge("nurse")
    engine.pause_audio("nurse")
    run(engine, clock, 120.0)
    assert engine.audible_priority() is Priority.HIGH


# ---- technical alarms ----------------------------------------------------------------------------------------------

def test_probe_off_is_medium_blocks_values_and_clears(engine, clock):
    events = status(engine, clock, Condition.PROBE_OFF, True, detail="no finger")
    assert kinds(events) == [("raised", "probe_off", "medium")]
    assert events[0].alarm_kind.value == "technical"
    assert events[0].message == "Pulse oximeter: probe off (no finger)"
    assert engine.blocking_condition("pulseox") is Condition.PROBE_OFF
    assert run(engine, clock, 600.0) == []  # no escalation rule for probe off
    assert status(engine, clock, Condition.PROBE_OFF, False) == []  # stands until 10 s without a break
    assert engine.blocking_condition("pulseox") is None  # the values are live again meanwhile
    assert run(engine, clock, 9.75) == [] and "intermittent" in engine.active()[0].message
    assert kinds(run(engine, clock, 0.25)) == [("cleared", "probe_off", "medium")]
    assert engine.active() == []


@pytest.mark.parametrize("condition", [Condition.NO_DATA, Condition.PORT_LOST])
def test_no_data_and_port_lost_escalate_to_high_after_30_s(engine, clock, condition):
    raised = status(engine, clock, condition, True)
    assert kinds(raised) == [("raised", condition.value, "medium")]
    assert engine.blocking_condition("pulseox") is condition
    assert run(engine, clock, 29.75) == []
    events = run(engine, clock, 0.25)
    assert kinds(events) == [("escalated", condition.value, "high")]
    assert events[0].alarm_id == raised[0].alarm_id
    assert status(engine, clock, condition, False) == []
    assert kinds(run(engine, clock, 10.0)) == [("cleared", condition.value, "high")]


def _flap(engine, clock, condition, down_s, up_s, times):
    """Let a condition come for down_s and go for up_s, times over (ticking); return the events."""
    events = []
    for _ in range(times):
        events += status(engine, clock, condition, True) + run(engine, clock, down_s)
        events += status(engine, clock, condition, False) + run(engine, clock, up_s)
    return events


@pytest.mark.parametrize("condition", [Condition.NO_DATA, Condition.PORT_LOST, Condition.PROBE_OFF])
def test_a_flapping_device_keeps_one_alarm_until_data_flows_10_s_without_a_break(engine, clock, condition):
    """Before issue 18 a cable flapping every 2 s gave 27 raise/clear pairs a minute and never escalated."""
    events = _flap(engine, clock, condition, 1.0, 2.0, 20)  # a minute of flaps, data for 2 s between
    assert kinds(events)[:1] == [("raised", condition.value, "medium")]
    assert [e for e in events if e.kind.value in ("raised", "cleared")] == events[:1]
    assert len(engine.active()) == 1
    cleared = run(engine, clock, 8.0)  # 2 s of data already, 10 s in all: it stands no more
    assert kinds(cleared) == [("cleared", condition.value, "medium")]  # 20 s missing in all: not yet high
    assert cleared[0].alarm_id == events[0].alarm_id and engine.active() == []


@pytest.mark.parametrize("condition", [Condition.NO_DATA, Condition.PORT_LOST])
def test_escalation_counts_the_time_data_was_missing_over_the_flaps(engine, clock, condition):
    events = _flap(engine, clock, condition, 4.0, 3.0, 7)  # 28 s missing, 21 s back
    assert [e.kind.value for e in events] == ["raised"]
    events = status(engine, clock, condition, True) + run(engine, clock, 1.75)
    assert events == []
    events = run(engine, clock, 0.25)  # 30 s missing in all
    assert kinds(events) == [("escalated", condition.value, "high")]
    assert "present more than 30 s in all" in events[0].message


def test_no_data_and_port_lost_of_one_device_are_one_standing_alarm(engine, clock):
    raised = status(engine, clock, Condition.PORT_LOST, True, detail="cannot open /dev/ttyUSB0")
    run(engine, clock, 2.0)
    assert status(engine, clock, Condition.PORT_LOST, False) == []  # reopened ...
    run(engine, clock, 5.0)
    assert status(engine, clock, Condition.NO_DATA, True) == []  # ... but silent: the same alarm
    [a] = engine.active()
    assert a.alarm_id == raised[0].alarm_id and a.message == "Pulse oximeter: no data"
    run(engine, clock, 3.0)
    assert status(engine, clock, Condition.NO_DATA, False) == []
    assert kinds(run(engine, clock, 10.0)) == [("cleared", "port_lost", "medium")]


def test_a_condition_without_a_standing_time_clears_at_once(engine, clock):
    status(engine, clock, Condition.SEARCHING, True)
    assert kinds(status(engine, clock, Condition.SEARCHING, False)) == [("cleared", "searching", "medium")]


@pytest.mark.parametrize(("condition", "priority"), [
    (Condition.SEARCHING, "medium"), (Condition.SENSOR_FAULT, "medium"), (Condition.LOW_PERFUSION, "low"),
    (Condition.ARTIFACT, "low"), (Condition.DEVICE_ALARM, "medium"), (Condition.NIBP_FAILED, "low"),
])
def test_technical_priorities_follow_alarms_md(engine, clock, condition, priority):
    assert kinds(status(engine, clock, condition, True)) == [("raised", condition.value, priority)]
    assert status(engine, clock, condition, True, detail="again") == []  # a detail change is no new alarm


def test_failed_nibp_result_is_a_low_alarm_cleared_by_the_next_good_reading(engine, clock):
    events = nibp(engine, clock, None, None, error="cuff leak")
    assert kinds(events) == [("raised", "nibp_failed", "low")]
    assert events[0].message == "NIBP: BP measurement failed (cuff leak)"
    assert kinds(nibp(engine, clock, 120.0, 80.0)) == [("cleared", "nibp_failed", "low")]


def test_app_technical_alarms(engine, clock):
    raised = engine.raise_technical("audio_unavailable", Priority.MEDIUM, "No audio device: alarms are silent")
    assert kinds(raised) == [("raised", "audio_unavailable", "medium")]
    assert engine.raise_technical("audio_unavailable", Priority.LOW, "still silent") == []
    assert engine.active()[0].priority is Priority.MEDIUM and engine.active()[0].message == "still silent"
    assert kinds(engine.raise_technical("audio_unavailable", Priority.HIGH, "x")) == [
        ("escalated", "audio_unavailable", "high")]
    assert kinds(engine.clear_technical("audio_unavailable")) == [("cleared", "audio_unavailable", "high")]
    assert engine.clear_technical("audio_unavailable") == []


# ---- baseline, no value, questionable ------------------------------------------------------------------------

def test_sbp_rise_from_baseline(engine, clock):
    assert nibp(engine, clock, 155.0) == []  # no baseline yet
    engine.set_baseline("sbp", 120.0)
    events = nibp(engine, clock, 151.0)
    assert kinds(events) == [("raised", "sbp_rise", "medium")]
    assert events[0].message == "SBP 151: +31 over baseline 120 (> +30)" and events[0].limit == 150.0
    assert kinds(nibp(engine, clock, 171.0)) == [("raised", "sbp_high", "medium"), ("escalated", "sbp_rise", "high")]
    with pytest.raises(ValueError):
        engine.set_baseline("sbp", 500.0)


def test_none_values_never_raise_or_clear(engine, clock):
    assert feed(engine, clock, "spo2", [None] * 30) == []
    assert feed(engine, clock, "spo2", [92.0] + [None] * 15) == []  # delay cannot complete on no value
    assert feed(engine, clock, "spo2", [92.0]) == []  # a gap longer than the delay restarts it
    assert feed(engine, clock, "spo2", [92.0, None, None, None, None, None] * 2) == []
    assert kinds(feed(engine, clock, "spo2", [92.0])) == [("raised", "spo2_low", "medium")]  # short gaps keep it
    engine.acknowledge("nurse")
    assert feed(engine, clock, "spo2", [None] * 30) == []
    assert engine.active()[0].condition == "spo2_low" and not engine.active()[0].latched


@pytest.mark.parametrize("flag", ["questionable", "artifact"])
def test_questionable_values_neither_raise_nor_clear(engine, clock, flag):
    assert feed(engine, clock, "spo2", [75.0] * 20, flags=frozenset({flag})) == []
    feed(engine, clock, "spo2", [92.0] * 11)
    engine.acknowledge("nurse")
    assert feed(engine, clock, "spo2", [99.0] * 5, flags=frozenset({flag})) == []
    assert len(engine.active()) == 1


def test_pleth_device_info_and_notices_are_ignored(engine, clock):
    assert engine.on_item(sample(0, "pulseox", "pleth", 0.0)) == []
    assert engine.on_item(DeviceInfo(0, "pulseox", model="X")) == []
    assert engine.on_item(DeviceNotice(0, "nibp", "nibp_complete")) == []


# ---- limits ---------------------------------------------------------------------------------------------------

def test_limit_change_is_validated_logged_and_reevaluated(engine, clock):
    feed(engine, clock, "spo2", [92.0] * 11)
    assert kinds(engine.set_limit("spo2", "medium_low", 92.5, "dr C")) == [
        ("limit_changed", "medium_low", None)]  # 92 is still below 92.5 + 1: no clear
    events = engine.set_limit("spo2", "medium_low", 91, "dr C")
    assert kinds(events) == [("limit_changed", "medium_low", None), ("cleared", "spo2_low", "medium")]
    e = events[0]
    assert (e.param, e.old, e.new, e.user) == ("spo2", 92.5, 91.0, "dr C")
    assert e.message == "SpO₂ medium-priority low limit changed from 92.5 to 91 by dr C"
    assert engine.limits("spo2").medium_low == 91.0
    assert [(c.key, c.old, c.new, c.user) for c in engine.limit_changes] == [
        ("medium_low", 94.0, 92.5, "dr C"), ("medium_low", 92.5, 91.0, "dr C")]


def test_tightening_a_limit_starts_the_delay(engine, clock):
    feed(engine, clock, "pulse_rate", [105.0])
    assert kinds(engine.set_limit("pulse_rate", "medium_high", 100, "nurse")) == [
        ("limit_changed", "medium_high", None)]
    assert kinds(feed(engine, clock, "pulse_rate", [105.0] * 10)) == [("raised", "pulse_rate_high", "medium")]


@pytest.mark.parametrize(("param", "key", "value", "words"), [
    ("spo2", "medium_low", 40, "outside the physiological range 50 to 100 %"),
    ("pulse_rate", "high_high", 300, "outside the physiological range 20 to 250 /min"),
    ("spo2", "medium_low", 88, "beyond the high-priority low limit 90"),
    ("sbp", "medium_high", 185, "beyond the high-priority high limit 180"),
    ("pulse_rate", "medium_low", 115, "low limit 115 is not below the high limit 110"),
    ("spo2", "high_low", None, "cannot be switched off"),
    ("spo2", "delay_s", 500, "outside the allowed range 0 to 120 s"),
    ("spo2", "colour", 1, "unknown limit key"),
    ("temperature", "high_high", 39, "unknown parameter"),
    ("spo2", "medium_low", "94", "must be a number"),
])
def test_invalid_limit_changes_are_refused(engine, param, key, value, words):
    with pytest.raises(ValueError, match=words) as info:
        engine.set_limit(param, key, value, "nurse")
    assert isinstance(info.value, ProfileError) and "\n" not in str(info.value)
    assert engine.limit_changes == [] and engine.limits("spo2").medium_low == 94.0


def test_medium_limit_can_be_switched_off_and_new_parameter_limited(engine):
    engine.set_limit("dbp", "medium_high", None, "nurse")
    assert engine.limits("dbp").medium_high is None
    engine.set_limit("map", "high_low", 55, "nurse")
    assert engine.limits("map").high_low == 55.0


# ---- advisories, serialisation, layering ----------------------------------------------------------------------------

def test_advisories_say_consider_holding_and_expire(engine, clock):
    nibp(engine, clock, 184.0, 95.0)
    feed(engine, clock, "pulse_rate", [110.0])
    assert engine.advisories() == ["Consider holding the infusion: SBP 184 >= 180"]
    feed(engine, clock, "pulse_rate", [111.0])
    nibp(engine, clock, 150.0, 100.0)
    assert engine.advisories() == ["Consider holding the infusion: DBP 100 >= 100",
                                   "Consider holding the infusion: Pulse 111 > 110"]
    feed(engine, clock, "pulse_rate", [None])
    clock.t += 901
    assert engine.advisories() == []


def test_every_event_is_json_serialisable(engine, clock):
    events = feed(engine, clock, "spo2", [92.0] * 11) + engine.pause_audio("n") + nibp(engine, clock, 190.0)
    events += engine.set_limit("sbp", "high_high", 190, "n") + engine.acknowledge("n")
    events += status(engine, clock, Condition.NO_DATA, True) + run(engine, clock, 31)
    assert {e.kind.value for e in events} >= {"raised", "escalated", "acknowledged", "audio_paused",
                                              "audio_resumed", "limit_changed"}
    for e in events:
        assert isinstance(e, AlarmEvent)
        line = json.loads(json.dumps(e.to_dict()))
        assert line["kind"] == e.kind.value and line["t"] == e.t
        assert line["priority"] in (None, "low", "medium", "high")


def test_priority_of_and_conditions_for_tiles(engine, clock):
    feed(engine, clock, "spo2", [92.0] * 11)
    status(engine, clock, Condition.LOW_PERFUSION, True, detail="PI 0.2")
    assert engine.priority_of("spo2") is Priority.MEDIUM and engine.priority_of("sbp") is None
    assert engine.conditions("pulseox") == {Condition.LOW_PERFUSION: "PI 0.2"}
    assert engine.blocking_condition("pulseox") is None  # low perfusion marks values, does not hide them


@pytest.mark.slow
def test_alarm_core_does_not_import_qt():
    code = "import sys, monitor.alarms; assert not any(m.startswith('PySide6') for m in sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---- bedside-monitor parameters -----------------------------------------------------------------------

@pytest.mark.parametrize("param, values, message", [
    ("heart_rate", [135.0] * 12, "HR 135 > 130"),
    ("etco2", [63.0] * 22, "EtCO₂ 63 > 60"),
    ("resp_rate", [4.0] * 22, "Resp 4 < 6"),
])
def test_monitor_parameters_alarm_with_the_profile_limits_and_delays(engine, clock, param, values, message):
    events = feed(engine, clock, param, values, source="monitor")
    raised = [e for e in events if e.kind.value == "raised"]
    assert raised and raised[-1].priority is Priority.HIGH and raised[-1].message == message


def test_etco2_does_not_alarm_before_its_delay(engine, clock):
    assert [e for e in feed(engine, clock, "etco2", [63.0] * 15, source="monitor") if e.kind.value == "raised"] == []


def test_a_questionable_bp_raises_no_alarm_and_a_manual_one_does(engine, clock):
    """A BP whose age is unknown (the first after connecting) is questionable: shown with 'retake BP', never
    alarmed on; a BP the nurse typed in is a real reading."""
    doubtful = NibpResult(EPOCH + clock.t, "nibp", 200.0, 80.0, None, 70.0, flags=frozenset({"questionable",
                                                                                               "age_unknown"}))
    assert [e for e in engine.on_item(doubtful) if e.kind.value == "raised"] == []
    typed = NibpResult(EPOCH + clock.t, "nibp", 200.0, 80.0, None, 70.0, flags=frozenset({"manual"}))
    assert [e.param for e in engine.on_item(typed) if e.kind.value == "raised"] == ["sbp"]


def test_a_high_episode_back_at_the_medium_tier_is_that_level_until_it_crosses_the_high_limit_again(engine, clock):
    """Issue 19: the episode keeps its priority (the record) but says the level its condition is at now, from
    the moment the value is back inside the high limit by the hysteresis, with when its high part ended."""
    feed(engine, clock, "spo2", [84.0] * 12)
    feed(engine, clock, "spo2", [90.0])  # inside the high limit 90 by less than the hysteresis 1: still high
    [a] = engine.active()
    assert (a.priority, a.level, a.limit, a.high_ended_t) == (Priority.HIGH, None, 90.0, None)
    dropped_at = EPOCH + clock.t
    feed(engine, clock, "spo2", [93.0, 92.0])
    [a] = engine.active()
    assert (a.priority, a.level, a.present_priority, a.limit, a.op) == (Priority.HIGH, Priority.MEDIUM,
                                                                       Priority.MEDIUM, 94.0, "<")
    assert a.high_ended_t == dropped_at and a.worst == 84.0 and a.worst_limit == 90.0 and not a.latched
    assert engine.audible_priority() is Priority.HIGH  # unacknowledged: its high part sounds
    engine.acknowledge("AB")
    assert engine.audible_priority() is None  # a medium alarm, acknowledged
    events = feed(engine, clock, "spo2", [87.0])
    assert kinds(events) == [("escalated", "spo2_low", "high")]  # a worse tier again: unacknowledged
    [a] = engine.active()
    assert (a.level, a.high_ended_t, a.acknowledged, a.limit) == (None, None, False, 90.0)
