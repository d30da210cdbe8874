"""Dose plan arithmetic, drug-library limits and the clinical configuration that holds them."""

import json
import math
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from monitor.clinical.config import ConfigError, DEFAULT_PATH, load_clinical_config, parse_clinical_config
from monitor.clinical.dosing import DoseError, DosePlan, PlanCheck, check_plan, check_rate, exact

LIMITS = load_clinical_config().dose_limits


def test_worked_example_of_clinical_md():
    p = DosePlan(weight_kg=70, dose_mg_per_kg=0.5, duration_min=40)
    assert p.total_mg == 35.0
    assert p.bag_volume_ml == 100.0
    assert p.concentration_mg_per_ml == 0.35
    assert p.pump_rate_ml_per_h == 150.0
    assert p.dose_rate_mg_per_kg_per_h == 0.75
    assert p.duration_s == 2400.0
    assert p.draw_up_ml(load_clinical_config().stock_mg_per_ml) == 0.7  # 35 mg of the 50 mg/mL vial
    assert check_plan(p, LIMITS) == PlanCheck((), ())


def test_arithmetic_is_exact_in_the_decimals_typed():
    p = DosePlan(weight_kg=70.1, dose_mg_per_kg=0.3, duration_min=45, bag_volume_ml=100)
    assert p.total_mg_exact == Fraction("21.03")  # 70.1 * 0.3 in floats is 21.029999999999998
    assert p.draw_up_ml(50) == 0.4206 and p.draw_up_ml(10) == 2.103
    assert p.total_mg == 21.03
    assert p.pump_rate_exact == Fraction(400, 3)
    assert exact(0.1) == Fraction(1, 10)


@pytest.mark.parametrize("field, value, words", [
    ("weight_kg", 0, "Weight 0 kg must be above zero"),
    ("weight_kg", -70, "Weight -70 kg must be above zero"),
    ("weight_kg", 500, "Weight 500 kg is above the hard limit of 300 kg"),
    ("weight_kg", 15, "Weight 15 kg is below the hard limit of 20 kg"),
    ("weight_kg", math.nan, "Weight nan is not a number (expected kg)"),
    ("weight_kg", math.inf, "Weight inf is not a number (expected kg)"),
    ("dose_mg_per_kg", 5, "Dose 5 mg/kg is above the hard limit of 1 mg/kg"),
    ("dose_mg_per_kg", 0.01, "Dose 0.01 mg/kg is below the hard limit of 0.05 mg/kg"),
    ("duration_min", 0, "Duration 0 min must be above zero"),
    ("duration_min", 5, "Duration 5 min is below the hard limit of 10 min"),
    ("duration_min", 180, "Duration 180 min is above the hard limit of 120 min"),
    ("bag_volume_ml", 1000, "Bag volume 1000 mL is above the hard limit of 500 mL"),
])
def test_hard_violations_are_refused_with_the_limit_in_words(field, value, words):
    fields = {"weight_kg": 70, "dose_mg_per_kg": 0.5, "duration_min": 40, "bag_volume_ml": 100, field: value}
    check = check_plan(DosePlan(**fields), LIMITS)
    assert check.hard == (words,)
    assert check.refused and not check.needs_confirmation
    with pytest.raises(DoseError, match="Refused: " + words.replace("(", r"\(").replace(")", r"\)")):
        check.require(confirmed=True)


@pytest.mark.parametrize("field, value, words", [
    ("weight_kg", 160, "Weight 160 kg is above the soft limit of 150 kg"),
    ("weight_kg", 35, "Weight 35 kg is below the soft limit of 40 kg"),
    ("dose_mg_per_kg", 0.8, "Dose 0.8 mg/kg is above the soft limit of 0.75 mg/kg"),
    ("duration_min", 20, "Duration 20 min is below the soft limit of 30 min"),
    ("bag_volume_ml", 30, "Bag volume 30 mL is below the soft limit of 50 mL"),
])
def test_soft_violations_need_a_confirmation(field, value, words):
    fields = {"weight_kg": 70, "dose_mg_per_kg": 0.5, "duration_min": 40, "bag_volume_ml": 100, field: value}
    check = check_plan(DosePlan(**fields), LIMITS)
    assert check.hard == () and check.soft == (words,)
    assert check.needs_confirmation
    with pytest.raises(DoseError, match="Needs explicit confirmation"):
        check.require(confirmed=False)
    check.require(confirmed=True)


def test_limits_themselves_pass_and_every_problem_is_listed():
    assert check_plan(DosePlan(40, 0.75, 30, 50), LIMITS).soft == ()
    assert check_plan(DosePlan(300, 1.0, 10, 500), LIMITS).hard == ()
    bad = check_plan(DosePlan(0, 5, math.nan, -1), LIMITS)
    assert len(bad.hard) == 4


def test_derived_figures_refuse_an_invalid_plan():
    with pytest.raises(DoseError, match="Duration 0 min must be above zero"):
        DosePlan(70, 0.5, 0).pump_rate_ml_per_h
    with pytest.raises(DoseError, match="not a finite number"):
        DosePlan(math.nan, 0.5, 40).total_mg


def test_rate_check_uses_the_dose_rate_it_gives():
    plan = DosePlan(70, 0.5, 40)  # 0.35 mg/mL, 0.005 mg/kg per mL
    assert check_rate(plan, 300, LIMITS) == PlanCheck((), ())  # 1.5 mg/kg/h is the soft edge
    soft = check_rate(plan, 400, LIMITS)
    assert soft.soft == ("Rate 400 mL/h gives 2 mg/kg/h, which is above the soft limit of 1.5 mg/kg/h",)
    hard = check_rate(plan, 1500, LIMITS)
    assert hard.hard == ("Rate 1500 mL/h gives 7.5 mg/kg/h, which is above the hard limit of 6 mg/kg/h",)
    assert check_rate(plan, 0, LIMITS).refused
    assert check_rate(plan, math.nan, LIMITS).refused


@given(st.floats(allow_nan=True, allow_infinity=True), st.floats(allow_nan=True, allow_infinity=True),
       st.floats(allow_nan=True, allow_infinity=True), st.floats(allow_nan=True, allow_infinity=True))
def test_check_plan_never_raises_and_accepts_only_positive_finite_plans(w, d, m, v):
    check = check_plan(DosePlan(w, d, m, v), LIMITS)
    if not check.refused:
        assert all(math.isfinite(x) and x > 0 for x in (w, d, m, v))
        assert DosePlan(w, d, m, v).total_mg > 0


@given(st.decimals("20", "300", places=1), st.decimals("0.05", "1", places=2), st.integers(10, 120))
def test_total_over_time_is_exactly_the_planned_dose(w, d, m):
    p = DosePlan(float(w), float(d), m)
    assert p.total_mg_exact == Fraction(w) * Fraction(d)
    assert p.pump_rate_exact * Fraction(m, 60) * p.concentration_exact == p.total_mg_exact


# ---- configuration ----------------------------------------------------------------

def test_packaged_defaults_are_those_of_clinical_md():
    cfg = load_clinical_config()
    assert (cfg.dose_limits.weight_kg.hard_min, cfg.dose_limits.weight_kg.soft_max) == (20, 150)
    assert cfg.dose_limits.dose_mg_per_kg.soft_max == 0.75
    assert (cfg.nibp.infusion_interval_min, cfg.nibp.observation_interval_min) == (10, 15)
    assert cfg.observation_min == 60 and cfg.discharge_aldrete_min == 9
    assert [m.key for m in cfg.markers] == list("1234567890")
    assert cfg.markers[-1].free_text and not cfg.markers[0].free_text
    assert [s.code for s in cfg.scale_times] == ["baseline", "t40", "end", "discharge"]


def _data():
    return json.loads(DEFAULT_PATH.read_text())


@pytest.mark.parametrize("change, words", [
    (lambda d: d["dose_limits"]["weight_kg"].update(hard_max="300"), "dose_limits.weight_kg.hard_max must be a finite number, got '300'"),
    (lambda d: d["dose_limits"]["weight_kg"].update(soft_max=400), "limits must satisfy hard_min <= soft_min"),
    (lambda d: d.update(obsevation_min=60), "top level: unknown key 'obsevation_min'"),
    (lambda d: d.pop("observation_min"), "top level: missing key 'observation_min'"),
    (lambda d: d.update(observation_min=-5), "observation_min must be above 0, got -5"),
    (lambda d: d["markers"][1].update(key="1"), "markers: key '1' is used twice"),
    (lambda d: d["scale_times"][0].update(scales=["bprs"]), "scale_times[0].scales: unknown scale 'bprs'"),
    (lambda d: d["scale_times"][0].update(anchor="noon"), "scale_times[0].anchor must be one of"),
    (lambda d: d.update(discharge_aldrete_min=9.5), "discharge_aldrete_min must be a whole number 0 to 10"),
    (lambda d: d["infusion"].update(stock_mg_per_ml=0), "infusion.stock_mg_per_ml must be above 0, got 0"),
])
def test_bad_config_fails_with_one_clear_line(change, words):
    d = _data()
    change(d)
    with pytest.raises(ConfigError) as e:
        parse_clinical_config(d, source="clinic.json")
    assert str(e.value).startswith("clinic.json: ")
    assert words in str(e.value)
    assert "\n" not in str(e.value)


def test_config_file_errors_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_clinical_config(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="bad.json: not valid JSON"):
        load_clinical_config(bad)
    d = _data()
    d["observation_min"] = 120
    good = tmp_path / "clinic.json"
    good.write_text(json.dumps(d))
    assert load_clinical_config(good).observation_min == 120
