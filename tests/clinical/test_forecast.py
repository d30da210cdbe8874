"""BP forecast: coverage of the stated range on generated courses with a known rise, shrinkage, words."""

from __future__ import annotations

import math

import numpy as np
import pytest

from monitor.clinical.config import load_clinical_config
from monitor.clinical.forecast import EarlierInfusion, ForecastPrior, forecast_peak_sbp

PRIOR = load_clinical_config().bp_forecast
COURSE = 7  # infusions per simulated patient: forecasts from 0 to 6 earlier ones


def simulate(rng: np.random.Generator, patients: int, doses: list[float], prior: ForecastPrior = PRIOR,
             between_sd: float | None = None, within_sd: float | None = None) -> list[list[EarlierInfusion]]:
    """Generate courses: each patient's own rise at the reference dose, scaled by dose, plus infusion noise (mmHg)."""
    between = prior.between_patient_sd_mmhg if between_sd is None else between_sd
    within = prior.within_patient_sd_mmhg if within_sd is None else within_sd
    out = []
    for _ in range(patients):
        own_rise = rng.normal(prior.population_rise_mmhg, between)
        course = []
        for _ in range(COURSE):
            dose = float(rng.choice(doses))
            baseline = float(rng.normal(128, 12))
            rise = dose / prior.reference_dose_mg_per_kg * own_rise + rng.normal(0, within)
            course.append(EarlierInfusion(dose, baseline, baseline + rise))
        out.append(course)
    return out


def coverage_by_n(courses: list[list[EarlierInfusion]], prior: ForecastPrior = PRIOR) -> list[float]:
    """Return, for 0..COURSE-1 earlier infusions, how often the stated range held the next infusion's peak."""
    hits = np.zeros(COURSE)
    for course in courses:
        for n in range(COURSE):
            nxt = course[n]
            f = forecast_peak_sbp(course[:n], nxt.dose_mg_per_kg, nxt.baseline_sbp, prior)
            hits[n] += f.peak_low <= nxt.peak_sbp <= f.peak_high
    return list(hits / len(courses))


def test_the_80_percent_range_covers_the_next_peak_80_percent_of_the_time_at_every_course_length():
    courses = simulate(np.random.default_rng(7), 4000, [0.5])
    cov = coverage_by_n(courses)
    assert all(0.77 <= c <= 0.83 for c in cov), cov


def test_coverage_holds_with_mixed_doses_and_another_stated_rate():
    courses = simulate(np.random.default_rng(11), 3000, [0.4, 0.5, 0.75])
    assert all(0.765 <= c <= 0.835 for c in coverage_by_n(courses)), coverage_by_n(courses)
    p95 = ForecastPrior(**{**PRIOR.__dict__, "coverage": 0.95})
    cov = coverage_by_n(courses, p95)
    assert all(0.93 <= c <= 0.97 for c in cov), cov


def test_a_naive_range_from_the_patient_alone_would_not_hold_its_rate():
    """The check has teeth: mean +- 1.28 SD of the patient's own few rises covers far less than 80 %."""
    courses = simulate(np.random.default_rng(3), 2000, [0.5])
    hits = 0
    for course in courses:
        rises = [e.peak_sbp - e.baseline_sbp for e in course[:3]]
        nxt = course[3]
        half = 1.2816 * float(np.std(rises, ddof=1))
        hits += abs(nxt.peak_sbp - nxt.baseline_sbp - float(np.mean(rises))) <= half
    assert hits / len(courses) < 0.72


def test_the_forecast_moves_from_the_population_figure_toward_the_patient_own_mean_as_infusions_add_up():
    own = [EarlierInfusion(0.5, 120, 150)] * 8  # this patient rises +30 every time
    rises, weights = [], []
    for n in range(9):
        f = forecast_peak_sbp(own[:n], 0.5, 120, PRIOR)
        rises.append(f.expected_rise)
        weights.append(f.own_weight)
    assert rises[0] == pytest.approx(PRIOR.population_rise_mmhg)
    assert all(a < b < 30 for a, b in zip(rises, rises[1:]))
    assert 30 - rises[8] < 2
    assert weights == pytest.approx([n / (n + 1) for n in range(9)])  # tau = sigma: one infusion weighs as the prior
    widths = [forecast_peak_sbp(own[:n], 0.5, 120, PRIOR) for n in (0, 8)]
    assert widths[1].rise_high - widths[1].rise_low < widths[0].rise_high - widths[0].rise_low


def test_dose_scales_the_rise_and_the_baseline_moves_the_peak():
    base = forecast_peak_sbp([], 0.5, 120, PRIOR)
    assert base.expected_peak == pytest.approx(136) and base.expected_rise == pytest.approx(16)
    z = 1.2815515655446004
    assert base.rise_high - base.rise_low == pytest.approx(2 * z * math.hypot(10.3, 10.3))
    assert forecast_peak_sbp([], 0.75, 120, PRIOR).expected_rise == pytest.approx(24)
    assert forecast_peak_sbp([], 0.5, 140, PRIOR).expected_peak == pytest.approx(156)


def test_the_words_say_where_the_figure_comes_from():
    assert forecast_peak_sbp([], 0.5, 125, PRIOR).text == (
        "no earlier infusions: population figure +16 mmHg at 0.5 mg/kg; "
        "expected peak about 141 mmHg (122-160, 80 % range)")
    four = [EarlierInfusion(0.5, 120, 150), EarlierInfusion(0.5, 125, 152), EarlierInfusion(0.5, 118, 146),
            EarlierInfusion(0.5, 130, 160)]
    f = forecast_peak_sbp(four, 0.5, 122, PRIOR)
    assert f.n_used == 4 and f.text == "expected peak about 148 mmHg (134-163, 80 % range) from 4 earlier infusions at 0.5 mg/kg"
    one = forecast_peak_sbp(four[:1], 0.5, 122, PRIOR)
    assert one.text.endswith("from 1 earlier infusion at 0.5 mg/kg, leaning on the population figure +16 mmHg at "
                             "0.5 mg/kg")
    mixed = forecast_peak_sbp([*four[:2], EarlierInfusion(0.75, 120, 160), EarlierInfusion(None, 120, 150),
                               EarlierInfusion(0.5, None, 150), EarlierInfusion(0.5, 120, float("nan"))], 0.6, None,
                              PRIOR)
    assert (mixed.n_used, mixed.n_unusable, mixed.doses) == (3, 3, (0.5, 0.75))
    assert mixed.expected_peak is None and mixed.text.startswith("expected rise about +")
    assert mixed.text.endswith("range) from 3 earlier infusions at 0.5-0.75 mg/kg, scaled to 0.6 mg/kg "
                               "(3 earlier infusions without a baseline or peak BP not used); no baseline BP yet")


def test_a_planned_dose_must_be_a_positive_number():
    for bad in (0, -0.5, float("nan"), None):
        with pytest.raises(ValueError, match="planned dose"):
            forecast_peak_sbp([], bad, 120, PRIOR)  # type: ignore[arg-type]
