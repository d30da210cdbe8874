"""Limit profiles: the bundled ketamine figures (CLINICAL.md), JSON round trip, one-line refusals."""

import copy
import json

import pytest
from hypothesis import given, strategies as st

from monitor.alarms import Priority, ProfileError, load_profile, profile_from_dict, profile_to_dict, save_profile
from monitor.alarms.profile import bundled_profiles


@pytest.fixture(scope="module")
def ketamine():
    return load_profile("ketamine")


def test_ketamine_profile_has_the_clinical_md_figures(ketamine):
    lim = ketamine.limits
    assert (lim["spo2"].medium_low, lim["spo2"].high_low, lim["spo2"].delay_s) == (94, 90, 10)
    assert (lim["spo2"].hysteresis, lim["spo2"].bypass_margin) == (1, 10)
    assert (lim["spo2"].bypass_readings, lim["spo2"].bypass_s) == (3, 1.5)  # never one reading (issue 18)
    p = lim["pulse_rate"]
    assert (p.medium_low, p.medium_high, p.high_low, p.high_high, p.delay_s, p.hysteresis) == (50, 110, 40, 130, 10, 2)
    s = lim["sbp"]
    assert (s.medium_low, s.medium_high, s.high_low, s.high_high, s.delay_s, s.hysteresis) == (90, 160, 80, 180, 0, 3)
    assert s.op("high_high") == ">=" and s.op("medium_high") == ">" and s.op("medium_low") == "<"
    d = lim["dbp"]
    assert (d.medium_low, d.medium_high, d.high_high, d.op("high_high")) == (None, 100, 110, ">=")
    assert (lim["sbp_rise"].medium_high, lim["sbp_rise"].high_high) == (30, 50)
    assert (ketamine.pause_s, ketamine.escalation_s) == (120, 60)
    assert [(a.param, a.op, a.value) for a in ketamine.advisories] == [
        ("sbp", ">=", 180), ("dbp", ">=", 100), ("pulse_rate", ">", 110)]
    assert ketamine.technical["no_data"].priority is Priority.MEDIUM
    assert ketamine.technical["no_data"].escalate_after_s == 30
    assert {c: ketamine.technical[c].stable_s for c in ("no_data", "port_lost", "probe_off", "searching")} == {
        "no_data": 10, "port_lost": 10, "probe_off": 10, "searching": None}
    assert ketamine.technical["artifact"].priority is Priority.LOW
    assert "ketamine" in bundled_profiles()


def test_round_trip_through_dict_and_file(ketamine, tmp_path):
    assert profile_from_dict(json.loads(json.dumps(profile_to_dict(ketamine)))) == ketamine
    path = tmp_path / "mine.json"
    save_profile(ketamine, path)
    assert load_profile(path) == ketamine
    assert load_profile(str(path)) == ketamine


def test_limits_tiers_and_hysteresis(ketamine):
    spo2, sbp = ketamine.limits["spo2"], ketamine.limits["sbp"]
    assert spo2.tier(94, "low") is None and spo2.tier(93, "low") == (Priority.MEDIUM, "medium_low")
    assert spo2.tier(89.9, "low") == (Priority.HIGH, "high_low")
    assert not spo2.clears(94.9, "low") and spo2.clears(95, "low")
    assert sbp.tier(179, "high") == (Priority.MEDIUM, "medium_high") and sbp.tier(180, "high")[0] is Priority.HIGH
    assert spo2.beyond_bypass(79.9, "low") and not spo2.beyond_bypass(80, "low")
    assert not sbp.beyond_bypass(250, "high")


def mutated(ketamine, path, value):
    d = copy.deepcopy(profile_to_dict(ketamine))
    *parents, last = path
    node = d
    for key in parents:
        node = node[key]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return d


DELETE = object()


@pytest.mark.parametrize(("path", "value", "words"), [
    (("limits", "spo2", "medium_low"), 40,
     "SpO₂ medium-priority low limit 40 is outside the physiological range 50 to 100 %"),
    (("limits", "pulse_rate", "high_high"), 300,
     "Pulse high-priority high limit 300 is outside the physiological range 20 to 250 /min"),
    (("limits", "sbp", "high_low"), 30, "outside the physiological range 40 to 260 mmHg"),
    (("limits", "dbp", "high_high"), 250, "outside the physiological range 20 to 200 mmHg"),
    (("limits", "pulse_rate", "medium_low"), 120, "Pulse low limit 120 is not below the high limit 110"),
    (("limits", "spo2", "medium_low"), 88,
     "SpO₂ medium-priority low limit 88 is beyond the high-priority low limit 90"),
    (("limits", "sbp", "medium_high"), 185,
     "SBP medium-priority high limit 185 is beyond the high-priority high limit 180"),
    (("limits", "spo2", "medium_low"), "94", "must be a number"),
    (("limits", "spo2", "medium_lo"), 94, "unknown key(s) medium_lo"),
    (("limits", "spo2", "delay_s"), 500, "SpO₂ delay 500 is outside the allowed range 0 to 120 s"),
    (("limits", "spo2", "hysteresis"), -1, "hysteresis -1 is outside"),
    (("limits", "spo2", "inclusive"), ["high_hi"], "inclusive lists unknown limit keys: high_hi"),
    (("limits", "sbp_rise", "medium_low"), 10, "SBP rise has upper limits only"),
    (("limits", "temperature"), {"high_high": 39}, "unknown key(s) temperature"),
    (("pause_s",), 60, "audio pause 60 is outside the allowed range 120 to 300 s"),
    (("pause_s",), 301, "audio pause 301 is outside"),
    (("escalation_s",), 5, "escalation time 5 is outside"),
    (("technical", "no_data", "priority"), "urgent", "unknown priority 'urgent'"),
    (("technical", "no_data", "escalate_after_s"), 0, "escalation time of no_data 0 is outside"),
    (("technical", "no_data", "stable_s"), 0, "standing time of no_data 0 is outside"),
    (("limits", "spo2", "bypass_readings"), 1, "readings to bypass the delay 1 is outside the allowed range 2 to 10"),
    (("limits", "spo2", "bypass_s"), 0, "time to bypass the delay 0 is outside the allowed range 1 to 10 s"),
    (("technical", "smoke"), {"priority": "high"}, "unknown key(s) smoke"),
    (("advisories", 0, "op"), "==", "operator '==' is not one of"),
    (("name",), "", "non-empty \"name\""),
    (("limits", "spo2", "inclusive"), [[1]], "invalid value"),
])
def test_invalid_profiles_are_refused_with_one_line(ketamine, path, value, words):
    with pytest.raises(ProfileError) as info:
        profile_from_dict(mutated(ketamine, path, value))
    assert words in str(info.value)
    assert "\n" not in str(info.value)


def test_pause_of_five_minutes_is_allowed(ketamine):
    assert profile_from_dict(mutated(ketamine, ("pause_s",), 300)).pause_s == 300


def test_load_errors_name_the_problem(tmp_path):
    with pytest.raises(ProfileError, match="no bundled profile named 'nope' \\(bundled: .*ketamine"):
        load_profile("nope")
    bad = tmp_path / "bad.json"
    bad.write_text("{\"name\": \"x\",\n oops}")
    with pytest.raises(ProfileError, match="bad.json: not valid JSON .* line 2"):
        load_profile(bad)
    with pytest.raises(ProfileError, match="cannot read profile"):
        load_profile(tmp_path / "missing.json")
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"name": "w", "limits": {"spo2": {"medium_low": 101}}}))
    with pytest.raises(ValueError, match="wrong.json: SpO₂ medium-priority low limit 101 is outside"):
        load_profile(wrong)


scalars = st.none() | st.booleans() | st.integers(-10, 400) | st.floats(allow_nan=True) | st.text(max_size=6)
small_json = scalars | st.lists(scalars, max_size=3) | st.dictionaries(st.text(max_size=10), scalars, max_size=3)
limit_entries = st.dictionaries(
    st.sampled_from(["medium_low", "medium_high", "high_low", "high_high", "delay_s", "hysteresis",
                     "bypass_margin", "bypass_readings", "bypass_s", "inclusive", "other"]),
    st.integers(-10, 300) | scalars | st.lists(st.sampled_from(["high_high", "low", 1]), max_size=2), max_size=6)


@given(st.dictionaries(st.sampled_from(["spo2", "pulse_rate", "sbp", "dbp", "sbp_rise", "x"]), limit_entries,
                       max_size=4),
       st.dictionaries(st.sampled_from(["pause_s", "escalation_s", "technical", "advisories", "junk"]), small_json,
                       max_size=3))
def test_any_json_either_loads_valid_or_raises_profile_error(limits, extra):
    try:
        p = profile_from_dict({"name": "h", "limits": limits, **extra})
    except ProfileError as exc:
        assert "\n" not in str(exc)
        return
    for param, lim in p.limits.items():
        lows = [v for v in (lim.medium_low, lim.high_low) if v is not None]
        highs = [v for v in (lim.medium_high, lim.high_high) if v is not None]
        assert not (lows and highs) or max(lows) < min(highs)
    assert 120 <= p.pause_s <= 300


def test_every_priority_has_one_mark_that_the_screens_share():
    from monitor.alarms import Priority
    from monitor.live.view import MARKS
    from ui import theme

    assert [p.mark for p in (Priority.LOW, Priority.MEDIUM, Priority.HIGH)] == ["!", "!!", "!!!"]
    assert MARKS == theme.ALARM_MARK == {p: p.mark for p in Priority}  # the chair, the station and the dialogs
