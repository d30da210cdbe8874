"""Display rules (monitor/live/screen.py) without Qt: what each field of the screen says in each situation."""

from __future__ import annotations

import time
from types import SimpleNamespace

import numpy as np
import pytest

from devices.values import Condition, NibpResult, StatusChange, WaveSegment, sample
from monitor.alarms import ActiveAlarm, AlarmEngine, AlarmKind, Priority, load_profile
from monitor.alarms.keys import AppAlarm
from monitor.clinical.config import load_clinical_config
from monitor.live.screen import APP_ALARMS, STABLE_S, CoreState, DeviceState, compose, limit_lines, stable_time
from monitor.timefmt import age_text, clock_text
from monitor.clinical.dosing import DosePlan
from monitor.clinical.infusion import InfusionEngine
from monitor.live.state import LiveState
from monitor.clinical.schedule import BpSchedule
from clocks import FakeClock

CONFIG = load_clinical_config()
WALL = 1_700_000_000.0


class Rig:
    """Live state and alarm engine on one fake clock, fed the same items the core would feed them."""

    def __init__(self) -> None:
        self.clock = FakeClock(1000.0, wall_at_start=WALL + 1000.0)
        self.wall = self.clock.wall
        self.live = LiveState(("pulseox", "nibp"), clock=self.clock)
        self.engine = AlarmEngine(load_profile("ketamine"), clock=self.clock, wallclock=self.wall)
        self.bp = BpSchedule(CONFIG.nibp, self.clock)

    def feed(self, *items) -> None:
        for item in items:
            self.live.update(item)
            self.engine.on_item(item)

    def value(self, param, value, source="pulseox", flags=frozenset()):
        self.feed(sample(self.wall(), source, param, value, flags))

    def run(self, seconds, **values) -> None:
        """Advance the clock second by second, feeding the given values each second."""
        for _ in range(int(seconds)):
            self.clock.t += 1
            for param, v in values.items():
                self.value(param, v)
            self.engine.tick()

    def view(self, **kw):
        return compose(CoreState(
            snap=self.live.snapshot(trends=kw.get("with_trends", False)), now_mono=self.clock.t, now_wall=self.wall(),
            alarms=self.engine.active(), limits={p: self.engine.limits(p) for p in ("spo2", "pulse_rate", "sbp",
                                                                                    "dbp")},
            audible=self.engine.audible_priority(), pause_remaining_s=self.engine.audio_pause_remaining(),
            advice=self.engine.advice(), bp_age_state=self.bp.bp_display_state, **kw))


@pytest.fixture
def rig():
    return Rig()


# --- tiles ---------------------------------------------------------------------------------------------------

def test_tiles_wait_then_show_live_values_with_both_tiers_of_limits(rig):
    view = rig.view()
    assert [t.param for t in view.tiles] == ["spo2", "pulse_rate"]
    assert (view.tile("spo2").value, view.tile("spo2").note) == ("---", "waiting for data")
    rig.value("spo2", 97.0)
    spo2 = rig.view().tile("spo2")
    assert (spo2.value, spo2.look, spo2.alarm) == ("97", "live", None)
    assert spo2.limits == ("▼ 94 !!  90 !!!",)
    assert rig.view().tile("pulse_rate").limits == ("▲ 110 !!  130 !!!", "▼ 50 !!  40 !!!")


def test_a_tile_shows_the_blocking_condition_in_the_engines_order_not_arrival_order(rig):
    rig.value("spo2", 97.0)
    rig.feed(StatusChange(rig.wall(), "pulseox", Condition.SEARCHING, True),
             StatusChange(rig.wall(), "pulseox", Condition.PROBE_OFF, True, "finger out"))
    spo2 = rig.view().tile("spo2")
    assert (spo2.value, spo2.note, spo2.look) == ("---", "Probe off", "blocked")
    assert rig.engine.blocking_condition("pulseox") is Condition.PROBE_OFF  # the same rule as the engine's


def test_a_value_that_stops_greys_with_its_age_and_a_questionable_one_is_dimmed_and_marked(rig):
    rig.value("spo2", 96.0)
    rig.clock.t += 11
    spo2 = rig.view().tile("spo2")
    assert (spo2.value, spo2.look, spo2.note, spo2.age) == ("96", "stale", "no new value", "11 s ago")
    rig.value("spo2", 95.0, flags=frozenset({"artifact"}))
    spo2 = rig.view().tile("spo2")
    assert (spo2.value, spo2.look, spo2.note) == ("95?", "questionable", "questionable (motion)")
    assert "signal poor" in spo2.extra


def test_perfusion_index_and_signal_quality_show_where_the_device_gives_them(rig):
    rig.value("spo2", 97.0)
    assert rig.view().tile("spo2").extra == ""  # this oximeter says nothing about its signal
    rig.value("perfusion_index", 2.43)
    assert rig.view().tile("spo2").extra == "PI 2.4 %   signal good"
    rig.value("spo2", 96.0, flags=frozenset({"low_perfusion"}))
    assert rig.view().tile("spo2").extra == "PI 2.4 %   signal weak"


def test_new_parameters_get_a_tile_when_a_device_gives_them_and_two_devices_are_named(rig):
    rig.value("spo2", 97.0)
    rig.value("spo2", 94.0, source="pulseox-2")
    rig.value("heart_rate", 71.0, source="monitor")
    view = rig.view()
    assert [t.param for t in view.tiles] == ["spo2", "pulse_rate", "heart_rate"]
    spo2 = view.tile("spo2")
    assert spo2.source == "Pulse oximeter" and spo2.others == "Pulse oximeter 2: 94"


def test_a_simulated_device_is_marked_on_its_tiles_and_in_the_footer_and_a_real_port_is_not(rig):
    rig.value("spo2", 97.0)
    rig.value("spo2", 94.0, source="pulseox-2")
    nibp(rig, 120.0, source="nibp")
    devices = [DeviceState("pulseox", "connected"), DeviceState("pulseox-2", "connected", simulated=True),
               DeviceState("nibp", "connected", simulated=True)]
    view = rig.view(devices=devices)
    spo2 = view.tile("spo2")  # the real oximeter leads; the simulated one beside it is marked
    assert not spo2.simulated and spo2.source == "Pulse oximeter"
    assert spo2.others == "Pulse oximeter 2 SIMULATED: 94"
    assert view.nibp.simulated and view.nibp.source == "SIMULATED"
    footer = [d.text for d in view.devices]
    assert footer[0].startswith("Pulse oximeter") and "SIMULATED" not in footer[0]
    assert footer[1].startswith("Pulse oximeter 2 SIMULATED") and "SIMULATED" in footer[2]
    lead = rig.view(devices=[DeviceState("pulseox", "connected", simulated=True)]).tile("spo2")
    assert lead.simulated and lead.source == "Pulse oximeter SIMULATED"  # the shown value is a simulator's


# --- NIBP ----------------------------------------------------------------------------------------------------

def nibp(rig, sbp, dbp=80.0, error="", source="nibp", flags=frozenset()):
    rig.feed(NibpResult(rig.wall(), source, sbp, dbp, None if sbp is None else 95.0, 70.0, 1 if error else 0, error,
                        flags))


def test_cuff_pressure_is_labelled_apart_and_the_last_valid_bp_keeps_its_time(rig):
    nibp(rig, 122.0, 78.0)
    taken = clock_text(rig.wall())
    rig.clock.t += 600
    rig.value("cuff_pressure", 128.0, source="nibp")
    bp = rig.view().nibp
    assert (bp.value, bp.cuff, bp.look) == ("122/78", "Cuff 128 mmHg · measuring", "live")
    assert bp.when == f"{taken} · 10 min ago"
    rig.clock.t += 4
    assert rig.view().nibp.cuff == ""  # the cuff deflated: no cuff line


def test_a_failed_measurement_shows_its_reason_beside_the_last_valid_bp(rig):
    nibp(rig, 122.0, 78.0)
    rig.clock.t += 60
    nibp(rig, None, None, error="motion")
    bp = rig.view().nibp
    assert bp.value == "122/78" and bp.failure.endswith("failed: motion")
    rig.clock.t += 60
    nibp(rig, 118.0, 76.0)
    assert rig.view().nibp.failure == ""  # a newer valid reading: the failure is history
    rig.clock.t += 60
    nibp(rig, None, None, error="motion artefact, measurement abandoned")
    assert rig.view().nibp.failure.endswith("failed: motion artefact")  # its cause: the alarm says the rest


def test_bp_greys_and_expires_by_the_clinical_config(rig):
    nibp(rig, 122.0, 78.0)
    rig.clock.t += CONFIG.nibp.stale_after_min * 60 + 1
    assert rig.view().nibp.look == "stale" and rig.view().nibp.value == "122/78"
    rig.clock.t += CONFIG.nibp.expired_after_min * 60
    bp = rig.view().nibp
    assert (bp.look, bp.value, bp.mean) == ("expired", "---/---", "take a new BP") and bp.when.startswith("last 122/78 · ")


def test_a_typed_in_bp_is_marked_manual(rig):
    nibp(rig, 131.0, 84.0, source="manual", flags=frozenset({"manual"}))
    bp = rig.view().nibp
    assert bp.manual and "entered by hand" in bp.when


def test_nibp_limits_show_systolic_and_diastolic(rig):
    assert rig.view().nibp.limits == ("SYS ▲ 160 !!  180 !!!    ▼ 90 !!  80 !!!", "DIA ▲ 100 !!  110 !!!")


# --- pleth ---------------------------------------------------------------------------------------------------

def test_the_pleth_blanks_within_a_second_of_the_last_wave_sample_and_while_the_probe_is_off(rig):
    assert rig.view().pleth.blank
    rig.feed(WaveSegment(rig.wall(), "pulseox", "pleth", (10.0, 20.0, 30.0), 60.0))
    assert not rig.view().pleth.blank
    rig.clock.t += 0.9
    assert not rig.view().pleth.blank
    rig.clock.t += 0.2
    assert rig.view().pleth.blank and rig.view().pleth.message == "no signal"
    rig.feed(WaveSegment(rig.wall(), "pulseox", "pleth", (10.0,), 60.0),
             StatusChange(rig.wall(), "pulseox", Condition.PROBE_OFF, True))
    assert rig.view().pleth.message == "no signal: probe off"


# --- alarms --------------------------------------------------------------------------------------------------

def test_a_latched_desaturation_says_nadir_high_limit_and_end_and_the_tile_turns_normal(rig):
    rig.run(12, spo2=92.0)
    rig.run(12, spo2=84.0)
    view = rig.view()
    assert view.physiological.lines[0].shown == "!!! SpO₂ 84 < 90" and view.tile("spo2").alarm is Priority.HIGH
    rig.run(3, spo2=97.0)
    ended = clock_text(rig.engine.active()[0].ended_t)
    view = rig.view()
    line = view.physiological.lines[0]
    assert line.latched and line.text == f"SpO₂ nadir 84 < 90 · ended {ended}"
    spo2 = view.tile("spo2")
    assert spo2.alarm is None and spo2.value == "97"  # normal colours on a normal value
    assert (spo2.ack_note, spo2.ack_worst) == (f"!!! ended {ended} · acknowledge", "nadir 84 < 90")
    rig.engine.acknowledge("AB")
    assert rig.view().physiological.lines == () and rig.view().tile("spo2").ack_note == ""


def test_an_acknowledged_alarm_is_ticked_and_stops_the_field_flashing(rig):
    rig.run(12, spo2=92.0)
    assert rig.view().physiological.flashing
    rig.engine.acknowledge("AB")
    field = rig.view().physiological
    assert field.lines[0].shown == "✓ !! SpO₂ 92 < 94" and not field.flashing


def test_one_high_bp_gives_one_line_with_its_rise_and_advice_goes_to_the_infusion(rig):
    rig.engine.set_baseline("sbp", 128.0)
    nibp(rig, 185.0, 108.0)
    view = rig.view(plan=DosePlan(70, 0.5, 40), infusion=InfusionEngine(DosePlan(70, 0.5, 40), clock=rig.clock).status())
    texts = [line.shown for line in view.physiological.lines]
    assert texts == ["!!! SBP 185 ≥ 180, +57 over baseline 128", "!!! DBP 108 > 100 (escalated: two or more parameters in alarm)"]
    assert view.infusion.advice == "Evaluate before starting: SBP 185 ≥ 180, DBP 108 ≥ 100"


def test_technical_alarms_have_their_own_field_without_ports_and_say_why_a_bp_failed(rig):
    rig.feed(StatusChange(rig.wall(), "pulseox", Condition.NO_DATA, True, "no data from /dev/pts/7 for 5 s"))
    nibp(rig, None, None, error="motion")
    view = rig.view()
    assert [line.shown for line in view.technical.lines] == ["!! Pulse oximeter: no data",
                                                            "! NIBP: BP measurement failed (motion)"]
    assert view.physiological.lines == () and view.physiological.empty


def test_the_audio_symbol_says_on_paused_and_off(rig):
    assert rig.view().audio.state == "on"
    rig.engine.pause_audio("AB")
    assert rig.view().audio.state == "paused" and rig.view().audio.text == "paused 2:00"
    rig.engine.raise_technical(AppAlarm.AUDIO, Priority.MEDIUM, "No alarm sound: alarms are silent")
    assert rig.view().audio.state == "off"


# --- header, infusion, devices -------------------------------------------------------------------------------

def test_header_names_patient_weight_user_and_time(rig):
    header = rig.view(patient_id="P-12", patient_name="Ann", weight_kg=70.0, operator="AB").header
    assert (header.patient, header.weight, header.user) == ("P-12 · Ann", "70 kg", "AB")
    assert header.clock == clock_text(rig.wall())


def test_a_paused_infusion_says_paused_rate_zero_and_how_long(rig):
    engine = InfusionEngine(DosePlan(70, 0.5, 40), clock=rig.clock)
    engine.start("AB")
    rig.clock.t += 300
    engine.pause("nausea", "AB")
    rig.clock.t += 95
    view = rig.view(plan=engine.plan, infusion=engine.status()).infusion
    assert (view.state, view.role, view.reminder) == ("❚❚ PAUSED", "paused", "Paused for 1:35: resume at 150.0 mL/h")
    assert view.rate == "Rate 0 mL/h (paused)" and "left when resumed" in view.remaining
    assert view.actions["resume"] and not view.actions["pause"]


def test_complete_is_allowed_when_the_planned_end_came_by_itself(rig):
    engine = InfusionEngine(DosePlan(70, 0.5, 40), clock=rig.clock)
    engine.start("AB")
    rig.clock.t += 41 * 60
    view = rig.view(plan=engine.plan, infusion=engine.status()).infusion
    assert view.state == "TIME REACHED" and view.actions["complete"] and "press Complete" in view.reminder
    engine.complete("AB")
    view = rig.view(plan=engine.plan, infusion=engine.status()).infusion
    assert view.state == "✔ COMPLETED" and not view.actions["complete"] and not view.reminder


def test_devices_in_nurses_words(rig):
    rig.run(STABLE_S + 1, spo2=97.0)
    view = rig.view(devices=[DeviceState("pulseox", "connected"), DeviceState("nibp", "reconnecting"),
                             DeviceState("pulseox-2", "no data"), DeviceState("monitor", "connected")])
    assert [(d.text, d.ok) for d in view.devices] == [("Pulse oximeter ✓", True), ("NIBP: not connected", False),
                                                      ("Pulse oximeter 2: no data", False),
                                                      ("monitor: waiting for data", False)]


def test_small_formats():
    assert limit_lines(None) == ()
    assert [age_text(s) for s in (5, 600, 3900)] == ["5 s ago", "10 min ago", "1 h 05 min ago"]
    assert clock_text(time.mktime((2024, 1, 2, 9, 7, 0, 0, 0, -1))) == "09:07"


def test_every_app_alarm_names_what_to_do():
    assert all(action and how for action, how in APP_ALARMS.values())


# --- the truth on flapping and stale devices (issue 18) -------------------------------------------------------

def footer(rig, state="connected", **kw):
    return rig.view(devices=[DeviceState("pulseox", state)], **kw).devices[0]


def port(rig, lost: bool) -> None:
    rig.feed(StatusChange(rig.wall(), "pulseox", Condition.PORT_LOST, lost, "/dev/ttyUSB0 lost" if lost else ""))


def test_a_flapping_oximeter_is_never_ticked_between_flaps_and_says_how_often_it_dropped(rig):
    assert footer(rig).text == "Pulse oximeter: waiting for data"
    rig.run(3, spo2=96.0)
    assert footer(rig).text == "Pulse oximeter: just connected"
    rig.run(STABLE_S - 2, spo2=96.0)  # 10 s since the first data
    assert footer(rig).ok and footer(rig).text == "Pulse oximeter ✓"
    seen = []
    for flap in range(1, 6):  # the port vanishes for 1 s, then data flows for 3 s: the cable of the issue
        port(rig, True)
        rig.clock.t += 1
        seen.append(footer(rig, "reconnecting"))
        port(rig, False)
        rig.run(3, spo2=94.0)
        seen.append(footer(rig))
    assert not any(f.ok for f in seen)
    assert seen[0].text == "Pulse oximeter: reconnecting, no data 1 s"
    assert seen[1].text == "Pulse oximeter: data back 2 s ago"
    assert seen[2].text == "Pulse oximeter: reconnecting, no data 1 s · 2 drop-outs in 1 min"
    assert seen[-1].text == "Pulse oximeter: unstable, 5 drop-outs in 1 min"
    rig.run(STABLE_S - 3, spo2=94.0)
    assert not footer(rig).ok  # steady, but not yet for the stability time
    rig.run(1, spo2=94.0)
    assert footer(rig).text == "Pulse oximeter ✓"


def test_a_port_that_stays_open_and_goes_quiet_is_a_drop_out_too_and_drop_outs_are_forgotten_after_a_minute(rig):
    rig.run(STABLE_S + 1, spo2=96.0)
    for _ in range(2):
        rig.clock.t += 4  # no status from the reader: it says "no data" only after 5 s
        assert footer(rig).text.startswith("Pulse oximeter: no data 4 s")
        rig.run(2, spo2=96.0)
    assert footer(rig).text == "Pulse oximeter: unstable, 2 drop-outs in 1 min"
    rig.run(STABLE_S, spo2=96.0)
    assert footer(rig).ok
    rig.clock.t += 5
    rig.feed(StatusChange(rig.wall(), "pulseox", Condition.NO_DATA, True, "no data for 5 s"))
    assert footer(rig, "no data").text == "Pulse oximeter: no data 5 s · 3 drop-outs in 1 min"
    rig.clock.t += 60
    rig.feed(StatusChange(rig.wall(), "pulseox", Condition.NO_DATA, False))
    rig.run(1, spo2=96.0)
    assert footer(rig).text == "Pulse oximeter: data back 0 s ago"  # the earlier ones are over a minute ago


def test_the_stability_time_is_the_profiles_standing_time_of_the_link_alarms(rig):
    profile = SimpleNamespace(technical={"no_data": SimpleNamespace(stable_s=20.0),
                                         "port_lost": SimpleNamespace(stable_s=15.0)})
    assert stable_time(profile) == 20.0
    assert stable_time(load_profile("ketamine")) == STABLE_S  # 10 s: what the profile says, or the default
    rig.run(STABLE_S + 5, spo2=96.0)
    assert footer(rig).ok and not footer(rig, stable_s=20.0).ok


def test_every_numeric_tile_shows_the_age_of_an_old_value_under_any_condition(rig):
    rig.run(STABLE_S, spo2=94.0, pulse_rate=71.0)
    rig.clock.t += 4  # the device went quiet: not yet the reader's "no data", already not current
    for param, value in (("spo2", "94"), ("pulse_rate", "71")):
        tile = rig.view().tile(param)
        assert (tile.value, tile.look, tile.age) == (value, "stale", "4 s ago")
    port(rig, True)
    rig.clock.t += 38
    spo2 = rig.view().tile("spo2")
    assert (spo2.value, spo2.note, spo2.look, spo2.age) == ("---", "Connection lost", "blocked", "last 94 · 42 s ago")
    assert rig.view().tile("pulse_rate").age == "last 71 · 42 s ago"
    port(rig, False)
    rig.run(1, spo2=95.0)
    rig.feed(StatusChange(rig.wall(), "pulseox", Condition.PROBE_OFF, True, "finger out"))
    rig.run(3, spo2=None)  # the oximeter goes on sending: "no value"
    spo2 = rig.view().tile("spo2")
    assert (spo2.value, spo2.note, spo2.age) == ("---", "Probe off", "last 95 · 3 s ago")
    rig.feed(StatusChange(rig.wall(), "pulseox", Condition.PROBE_OFF, False))
    rig.run(2, spo2=None)
    assert (rig.view().tile("spo2").note, rig.view().tile("spo2").age) == ("no value from the device",
                                                                           "last 95 · 5 s ago")


def test_the_age_stays_beside_a_latched_alarm_on_the_tile(rig):
    rig.run(12, spo2=84.0)
    rig.run(3, spo2=97.0)
    rig.clock.t += 12
    spo2 = rig.view().tile("spo2")
    assert spo2.ack_note.endswith("· acknowledge") and (spo2.look, spo2.age) == ("stale", "12 s ago")


def test_a_questionable_jump_is_dimmed_never_a_valid_value_and_a_gap_in_the_trend(rig):
    rig.value("spo2", 97.0)
    rig.clock.t += 1
    rig.value("spo2", 16.0, flags=frozenset({"questionable"}))
    spo2 = rig.view().tile("spo2")
    assert (spo2.value, spo2.look, spo2.note) == ("16?", "questionable", "questionable reading")
    rig.feed(StatusChange(rig.wall(), "pulseox", Condition.PROBE_OFF, True))
    assert rig.view().tile("spo2").age == "last 97 · 1 s ago"  # the last valid value, never the questionable one
    _t, values = rig.live.snapshot().trends[("pulseox", "spo2")]
    assert values[0] == 97.0 and np.isnan(values[1])


def test_a_second_oximeters_old_value_says_its_age(rig):
    rig.value("spo2", 97.0)
    rig.value("spo2", 94.0, source="pulseox-2")
    rig.run(11, spo2=97.0)
    assert rig.view().tile("spo2").others == "Pulse oximeter 2: 94 (11 s ago)"


def test_a_bp_of_unknown_age_is_dimmed_and_asks_for_a_new_one(rig):
    nibp(rig, 140.0, 90.0, flags=frozenset({"questionable", "age_unknown"}))
    bp = rig.view().nibp
    assert (bp.value, bp.look, bp.when) == ("140/90?", "questionable", "age unknown: retake BP")


def alarm(alarm_id, priority, value, latched, ended_t=None, worst=None, acknowledged=False):
    return ActiveAlarm(alarm_id, "spo2_low", AlarmKind.PHYSIOLOGICAL, priority, "", "pulseox", "spo2", value,
                       94.0 if priority is Priority.MEDIUM else 90.0, WALL, acknowledged, latched, side="low", op="<",
                       worst=worst if worst is not None else value,
                       worst_limit=94.0 if priority is Priority.MEDIUM else 90.0, worst_op="<", crossed=priority,
                       ended_t=ended_t)


def test_each_episode_of_a_returning_condition_has_its_own_line(rig):
    """Two ended desaturations awaiting acknowledgement and the present third: three lines, the present one at its
    own level first among equals, each ended one with its nadir and end; the tile takes the present one's colour."""
    first, second = WALL + 60, WALL + 300
    episodes = [alarm("a1", Priority.HIGH, 97.0, True, first, worst=84.0),
                alarm("a2", Priority.HIGH, 96.0, True, second, worst=86.0),
                alarm("a3", Priority.MEDIUM, 92.0, False)]
    rig.value("spo2", 92.0)
    view = compose(CoreState(snap=rig.live.snapshot(), now_mono=rig.clock.t, now_wall=rig.wall(), alarms=episodes))
    assert [line.shown for line in view.physiological.lines] == [
        f"!!! SpO₂ nadir 84 < 90 · ended {clock_text(first)}", f"!!! SpO₂ nadir 86 < 90 · ended {clock_text(second)}",
        "!! SpO₂ 92 < 94"]
    assert [line.latched for line in view.physiological.lines] == [True, True, False]
    spo2 = view.tile("spo2")
    assert spo2.alarm is Priority.MEDIUM and spo2.ack_worst == "nadir 84 < 90"
    same_level = [alarm("b1", Priority.MEDIUM, 97.0, True, first, worst=93.0), alarm("b2", Priority.MEDIUM, 92.0, False)]
    view = compose(CoreState(snap=rig.live.snapshot(), now_mono=rig.clock.t, now_wall=rig.wall(), alarms=same_level))
    assert [line.latched for line in view.physiological.lines] == [False, True]  # what is present now comes first


def test_a_desaturation_that_returns_shows_the_latched_episode_and_the_new_one_from_the_engine(rig):
    """Driven through the alarm engine (needs its episodes, merged from the alarms branch): the first episode ended
    and awaits acknowledgement on its own line; the second is shown at its own, lower level; the tile takes the
    present one's colour and keeps the latched one's note."""
    rig.run(12, spo2=84.0)
    rig.run(3, spo2=97.0)
    ended = clock_text(next(a for a in rig.engine.active() if a.latched).ended_t)
    rig.run(12, spo2=92.0)
    view = rig.view()
    assert [line.shown for line in view.physiological.lines] == [f"!!! SpO₂ nadir 84 < 90 · ended {ended}",
                                                                "!! SpO₂ 92 < 94"]
    spo2 = view.tile("spo2")
    assert (spo2.alarm, spo2.ack_note) == (Priority.MEDIUM, f"!!! ended {ended} · acknowledge")
    rig.engine.acknowledge("AB")
    assert [line.shown for line in rig.view().physiological.lines] == ["✓ !! SpO₂ 92 < 94"]


def test_a_connection_alarm_that_stands_between_drop_outs_says_it_is_intermittent(rig):
    """The alarm engine keeps a flapping device's alarm up until data flowed for its stability time; while the
    connection is back meanwhile, the line must not say plainly "connection lost" beside live values."""
    standing = ActiveAlarm("t1", "port_lost", AlarmKind.TECHNICAL, Priority.MEDIUM, "", "pulseox", "", None, None,
                           WALL, False, False)
    port(rig, True)
    lines = lambda: [line.shown for line in compose(CoreState(  # noqa: E731
        snap=rig.live.snapshot(), now_mono=rig.clock.t, now_wall=rig.wall(), alarms=[standing])).technical.lines]
    assert lines() == ["!! Pulse oximeter: connection lost"]
    port(rig, False)
    rig.run(2, spo2=96.0)
    assert lines() == ["!! Pulse oximeter: connection lost, intermittent"]
    rig.feed(StatusChange(rig.wall(), "pulseox", Condition.NO_DATA, True))
    assert lines() == ["!! Pulse oximeter: connection lost"]  # one standing alarm for either way of losing it


def test_the_core_gives_the_view_its_profiles_stability_time(tmp_path, monkeypatch):
    """The footer's ✓ waits as long as the no-data alarm stands: the core hands the profile's time to the view."""
    from dataclasses import replace

    import monitor.live.core
    from monitor.live.core import MonitorCore
    from monitor.storage.store import Store

    core = MonitorCore(Store(tmp_path / "s.db"), [])
    technical = dict(core.alarms.profile.technical)
    technical["no_data"] = replace(technical["no_data"], stable_s=25.0)
    monkeypatch.setattr(core.alarms, "profile", replace(core.alarms.profile, technical=technical))
    seen = []
    monkeypatch.setattr(monitor.live.core, "compose", lambda state: seen.append(state.stable_s))
    core.view()
    assert seen == [25.0]


def test_the_screen_reads_clock_times_in_the_sessions_zone(rig, machine_zone):
    """A Tokyo session played back on a computer in New York: the header clock and an ended episode read Tokyo's."""
    machine_zone("America/New_York")
    ended = WALL + 60  # 22:14:20 UTC: 07:14 in Tokyo, 17:14 in New York
    rig.value("spo2", 97.0)
    view = compose(CoreState(snap=rig.live.snapshot(), now_mono=rig.clock.t, now_wall=rig.wall(), tz="Asia/Tokyo",
                             alarms=[alarm("a1", Priority.HIGH, 97.0, True, ended, worst=84.0)]))
    assert view.header.clock == "07:30"  # rig.wall() is 22:30:00 UTC
    assert [line.shown for line in view.physiological.lines] == ["!!! SpO₂ nadir 84 < 90 · ended 07:14"]
    assert clock_text(ended) == "17:14"  # what the computer's zone says


def test_before_the_infusion_the_bp_line_says_how_long_the_baseline_holds_not_when_the_next_bp_is(rig):
    from monitor.clinical.session import ClinicalSession

    session = ClinicalSession(CONFIG, infusion=None, journal=lambda record, user: None, clock=rig.clock,
                              wallclock=rig.wall)
    assert rig.view(session=session.status()).clinical.bp_due.startswith("BP due now")  # the baseline
    session.bp.measured()
    rig.clock.advance(2)
    assert rig.view(session=session.status()).clinical.bp_due == "Baseline BP valid 59:58 more"


def test_a_high_desaturation_continuing_at_the_medium_level_says_that_level_and_keeps_the_high_part_apart(rig):
    """Issue 19: after a nadir of 84 the bar read "!!! SpO₂ 93 < 94" on a red tile. While the value is back inside
    the high limit (by its hysteresis) but not the medium one, the present line and the tile are medium, with the
    medium limit; the high episode (nadir, when it ended) has its own line until acknowledged; then only the
    acknowledged medium alarm remains, and it is quiet."""
    rig.run(12, spo2=84.0)
    assert [line.shown for line in rig.view().physiological.lines] == ["!!! SpO₂ 84 < 90"]
    rig.run(2, spo2=90.0)  # inside the high limit by less than the hysteresis: still the high level
    view = rig.view()
    assert [line.shown for line in view.physiological.lines] == ["!!! SpO₂ 90, limit < 90: not yet clear"]
    assert view.tile("spo2").alarm is Priority.HIGH
    rig.run(1, spo2=93.0)
    ended = clock_text(rig.wall())
    rig.run(5, spo2=93.0)
    view = rig.view()
    assert [(line.shown, line.latched) for line in view.physiological.lines] == [
        (f"!!! SpO₂ nadir 84 < 90 · ended {ended}", True), ("!! SpO₂ 93 < 94", False)]
    spo2 = view.tile("spo2")
    assert spo2.alarm is Priority.MEDIUM  # the colour of the level the condition is at
    assert (spo2.ack_note, spo2.ack_worst) == (f"!!! ended {ended} · acknowledge", "nadir 84 < 90")
    assert rig.engine.audible_priority() is Priority.HIGH  # the high episode sounds until acknowledged
    rig.engine.acknowledge("AB")
    view = rig.view()
    assert [line.shown for line in view.physiological.lines] == ["✓ !! SpO₂ 93 < 94"]
    assert view.tile("spo2").alarm is Priority.MEDIUM and view.tile("spo2").ack_note == ""
    assert rig.engine.audible_priority() is None  # a medium alarm acknowledged
    rig.run(1, spo2=86.0)  # back at the high level: a worse tier again, unacknowledged
    assert [line.shown for line in rig.view().physiological.lines] == ["!!! SpO₂ 86 < 90"]
    assert rig.engine.audible_priority() is Priority.HIGH


def test_a_medium_alarm_escalated_by_time_stays_high_whatever_tier_it_is_at(rig):
    """Only a high episode that came back to the medium tier is shown at that level: one made high because nobody
    acknowledged it is high for what it is (it says why), with no ended part."""
    rig.run(75, spo2=92.0)
    assert [line.shown for line in rig.view().physiological.lines] == [
        "!!! SpO₂ 92 < 94 (escalated: not acknowledged within 60 s)"]
