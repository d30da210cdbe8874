"""What a station tile is told of a chair's alarms, read by their lives: present or ended and latched, with its nadir,
and an item-9 flag in short words that follow the infusion (no server: the lives are folded from events)."""

from __future__ import annotations

from monitor.alarms.keys import AppAlarm
from monitor.alarms.lives import alarm_lives
from monitor.alarms.model import AlarmEvent, AlarmKind, EventKind, Priority
from monitor.central.station import StationAlarm, active_alarms

T0 = 1_700_000_000.0


def spo2(t: float, kind: EventKind, alarm_id: str, priority: Priority = Priority.HIGH) -> AlarmEvent:
    return AlarmEvent(T0 + t, kind, alarm_id, "spo2_low", AlarmKind.PHYSIOLOGICAL, priority, "SpO2 88 < 90",
                      "pulseox", "spo2", 88.0, 90.0)


def flag(t: float) -> AlarmEvent:
    return AlarmEvent(T0 + t, EventKind.RAISED, "f-1", AppAlarm.OUTCOME_FLAG.value, AlarmKind.TECHNICAL,
                      Priority.MEDIUM, "PHQ-9 item 9 = 2 (thoughts of being better off dead), answered “Several "
                      "days” (and 1 more): a clinician must review before the infusion", "app")


def test_an_ended_alarm_is_latched_with_its_nadir_and_goes_when_acknowledged():
    events = [spo2(10, EventKind.RAISED, "a-1"), spo2(40, EventKind.ENDED, "a-1"),
              spo2(50, EventKind.RAISED, "a-2", Priority.MEDIUM)]
    seen = []
    alarms = active_alarms(alarm_lives(events, T0 + 100), worst=lambda life: seen.append(life.alarm_id) or 84.0)
    assert alarms == (StationAlarm(Priority.MEDIUM, "SpO2 88 < 90", False),  # present first, though lower
                      StationAlarm(Priority.HIGH, "SpO₂ nadir 84 < 90", False, ended_t=T0 + 40, worst=84.0))
    assert seen == ["a-1"]  # the nadir is looked up for an ended alarm only
    assert [a.present for a in alarms] == [True, False]
    acked = [*events, AlarmEvent(T0 + 60, EventKind.ACKNOWLEDGED, "a-1", user="CD"),
             AlarmEvent(T0 + 60, EventKind.CLEARED, "a-1")]
    assert [a.present for a in active_alarms(alarm_lives(acked, T0 + 100))] == [True]
    no_values = active_alarms(alarm_lives(events, T0 + 100))  # the store has no values: the raise's words
    assert no_values[1] == StationAlarm(Priority.HIGH, "SpO2 88 < 90", False, ended_t=T0 + 40)


def test_the_item9_flag_is_short_and_asks_for_a_review_before_the_infusion_only_until_it_starts():
    lives = alarm_lives([flag(5)], T0 + 100)
    assert active_alarms(lives)[0].message == "PHQ-9 item 9 = 2 · review before the infusion"
    assert active_alarms(lives, infusion_started=True)[0].message == "PHQ-9 item 9 = 2 · clinician to assess"
