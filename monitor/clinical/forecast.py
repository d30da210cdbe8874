"""Forecast the peak systolic BP of the next infusion from this patient's earlier infusions.

Advice for the nurse and the report, never an input to the alarm engine: it
changes no limit. How far a patient's earlier infusions predict the next one's
rise is not established in the literature (CLINICAL.md), so the forecast leans
on the population figure until the patient has infusions of their own, and
states its range.

Model (a normal hierarchical model with known variances, solved in closed form):
- The rise of infusion i is r_i = peak SBP - baseline SBP (mmHg). It is taken
  as proportional to the dose: r_i = x_i * theta + e_i, with x_i = dose_i /
  reference dose (0.5 mg/kg), theta the patient's own rise at the reference
  dose, and e_i ~ N(0, sigma^2) the infusion-to-infusion noise. Proportional
  scaling means no drug, no rise; it is an assumption (a dose response is
  reported, its shape is not), and when every infusion of a course has the
  same dose, as is usual, it has no effect.
- Across patients theta ~ N(mu, tau^2): mu = +16 mmHg, the mean peak rise at
  0.5 mg/kg in the Yale series (CLINICAL.md).
- The spread comes from CLINICAL.md's figures too: severe hypertension in
  about 1 % of sessions, read as the app's own "severe" rise (the high-priority
  alarm, a rise above +50 mmHg), gives a total SD of (50 - 16) / z(0.99) =
  14.6 mmHg for one infusion's rise. How much of that is the patient (tau) and
  how much the infusion (sigma) is not published; it is split evenly
  (intra-class correlation 0.5): tau = sigma = 10.3 mmHg. So one earlier
  infusion weighs as much as the population figure, four weigh 80 %.
- Given earlier rises, theta's posterior is normal with precision
  1/tau^2 + sum(x_i^2)/sigma^2 and mean (mu/tau^2 + sum(x_i r_i)/sigma^2) /
  precision, the partial pooling of the patient's own rises toward mu. The next
  rise at planned dose x is normal with mean x * E[theta] and variance x^2
  Var[theta] + sigma^2; the peak adds today's baseline. The stated range is the
  central `coverage` (80 %) interval of that predictive distribution.

What it is not: when a patient's infusions vary more than sigma, the range is
too narrow for them (sigma is assumed, not learned from so few infusions);
rises are not adjusted for the baseline itself, for the BP schedule's timing
(a peak between two readings is missed) or for anything else (antihypertensives,
anxiety). Every figure is configurable (clinical.json "bp_forecast").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist


@dataclass(frozen=True)
class ForecastPrior:
    """The population figures of the model (mmHg, mg/kg) and the coverage of the stated range (0-1).

    The values live in clinical.json ("bp_forecast"); ClinicalConfig.bp_forecast holds them.
    """

    reference_dose_mg_per_kg: float
    population_rise_mmhg: float
    between_patient_sd_mmhg: float
    within_patient_sd_mmhg: float
    coverage: float

    def __post_init__(self) -> None:
        for name in ("reference_dose_mg_per_kg", "between_patient_sd_mmhg", "within_patient_sd_mmhg"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"forecast {name} must be above 0, got {value!r}")
        if not math.isfinite(self.population_rise_mmhg):
            raise ValueError(f"forecast population_rise_mmhg must be a number, got {self.population_rise_mmhg!r}")
        if not 0 < self.coverage < 1:
            raise ValueError(f"forecast coverage must be between 0 and 1, got {self.coverage!r}")


@dataclass(frozen=True)
class EarlierInfusion:
    """What the forecast needs of one earlier infusion of the patient (mg/kg, mmHg); None where unknown."""

    dose_mg_per_kg: float | None
    baseline_sbp: float | None
    peak_sbp: float | None

    @property
    def usable(self) -> bool:
        """Tell whether dose, baseline and peak are all known and sensible."""
        values = (self.dose_mg_per_kg, self.baseline_sbp, self.peak_sbp)
        return all(v is not None and math.isfinite(v) and v > 0 for v in values)


@dataclass(frozen=True)
class BpForecast:
    """The expected rise and peak SBP of the next infusion with a `coverage` range (mmHg), and where it came from.

    own_weight (0-1) is how much the expected rise rests on the patient's own
    infusions rather than on the population figure.
    """

    planned_dose_mg_per_kg: float
    baseline_sbp: float | None
    expected_rise: float
    rise_low: float
    rise_high: float
    coverage: float
    n_used: int
    n_unusable: int
    doses: tuple[float, ...]  # distinct doses of the infusions used, ascending
    own_weight: float
    prior: ForecastPrior

    @property
    def expected_peak(self) -> float | None:
        return None if self.baseline_sbp is None else self.baseline_sbp + self.expected_rise

    @property
    def peak_low(self) -> float | None:
        return None if self.baseline_sbp is None else self.baseline_sbp + self.rise_low

    @property
    def peak_high(self) -> float | None:
        return None if self.baseline_sbp is None else self.baseline_sbp + self.rise_high

    @property
    def short_text(self) -> str:
        """Return one line for the monitor: "BP forecast: peak about 150 mmHg (138-162), from 4 earlier infusions"."""
        if self.expected_peak is not None:
            what = f"peak about {self.expected_peak:.0f} mmHg ({self.peak_low:.0f}-{self.peak_high:.0f})"
        else:
            what = f"rise about {self.expected_rise:+.0f} mmHg ({self.rise_low:+.0f} to {self.rise_high:+.0f})"
        n = self.n_used
        source = f"from {n} earlier infusion{'s' if n > 1 else ''}" if n else "population figure"
        return f"BP forecast: {what}, {source}"

    @property
    def text(self) -> str:
        """Return the words to show: "expected peak about 150 mmHg (138-162, 80 % range) from 4 earlier infusions ..."."""
        pct = f"{self.coverage * 100:.0f} % range"
        if self.expected_peak is not None:
            what = (f"expected peak about {self.expected_peak:.0f} mmHg "
                    f"({self.peak_low:.0f}-{self.peak_high:.0f}, {pct})")
        else:
            what = (f"expected rise about {self.expected_rise:+.0f} mmHg "
                    f"({self.rise_low:+.0f} to {self.rise_high:+.0f}, {pct})")
        p = self.prior
        population = f"population figure {p.population_rise_mmhg:+.0f} mmHg at {_dose(p.reference_dose_mg_per_kg)}"
        if self.n_used == 0:
            source = f"no earlier infusions: {population}"
        else:
            n = self.n_used
            doses = _dose(self.doses[0]) if len(self.doses) == 1 else \
                f"{self.doses[0]:g}-{_dose(self.doses[-1])}"
            source = f"from {n} earlier infusion{'s' if n > 1 else ''} at {doses}"
            if self.own_weight <= 0.5:  # the population figure weighs at least as much as their own
                source += f", leaning on the {population}"
        if self.planned_dose_mg_per_kg not in (self.doses or (p.reference_dose_mg_per_kg,)):
            source += f", scaled to {_dose(self.planned_dose_mg_per_kg)}"
        unusable = ""
        if self.n_unusable:
            n = self.n_unusable
            unusable = f" ({n} earlier infusion{'s' if n > 1 else ''} without a baseline or peak BP not used)"
        no_baseline = "; no baseline BP yet" if self.baseline_sbp is None else ""
        return (f"{what} {source}" if self.n_used else f"{source}; {what}") + unusable + no_baseline


    def limit_text(self, limit_sbp: float | None, what: str = "the SBP high-alarm limit") -> str:
        """Return a warning when the range reaches a limit (mmHg): "the range reaches 192 mmHg, at or above the
        SBP high-alarm limit (180 mmHg)"; "" when it stays below it, without a baseline or without a limit."""
        if limit_sbp is None or self.peak_high is None or self.peak_high < limit_sbp:
            return ""
        where = "the expected peak" if self.expected_peak is not None and self.expected_peak >= limit_sbp \
            else "the range"
        value = self.expected_peak if where == "the expected peak" else self.peak_high
        return f"{where} reaches {value:.0f} mmHg, at or above {what} ({limit_sbp:g} mmHg)"


def _dose(mg_per_kg: float) -> str:
    return f"{mg_per_kg:g} mg/kg"


def forecast_peak_sbp(earlier: Sequence[EarlierInfusion], planned_dose_mg_per_kg: float,
                      baseline_sbp: float | None, prior: ForecastPrior) -> BpForecast:
    """Forecast the next infusion's rise and peak SBP (mmHg) at the planned dose from earlier infusions.

    Infusions without a dose, baseline or peak are counted and left out.
    baseline_sbp None gives the rise only. ValueError for a planned dose that
    is not a positive number.
    """
    if isinstance(planned_dose_mg_per_kg, bool) or not isinstance(planned_dose_mg_per_kg, (int, float)) \
            or not math.isfinite(planned_dose_mg_per_kg) or planned_dose_mg_per_kg <= 0:
        raise ValueError(f"the planned dose must be a positive number of mg/kg, got {planned_dose_mg_per_kg!r}")
    if baseline_sbp is not None and not math.isfinite(baseline_sbp):
        baseline_sbp = None
    used = [e for e in earlier if e.usable]
    ref = prior.reference_dose_mg_per_kg
    tau2, sigma2 = prior.between_patient_sd_mmhg ** 2, prior.within_patient_sd_mmhg ** 2
    x = [e.dose_mg_per_kg / ref for e in used]  # type: ignore[operator]
    r = [e.peak_sbp - e.baseline_sbp for e in used]  # type: ignore[operator]
    own_precision = sum(xi * xi for xi in x) / sigma2
    precision = 1 / tau2 + own_precision
    theta = (prior.population_rise_mmhg / tau2 + sum(xi * ri for xi, ri in zip(x, r)) / sigma2) / precision
    x_next = planned_dose_mg_per_kg / ref
    mean = x_next * theta
    sd = math.sqrt(x_next ** 2 / precision + sigma2)
    half = NormalDist().inv_cdf(0.5 + prior.coverage / 2) * sd
    return BpForecast(
        planned_dose_mg_per_kg=float(planned_dose_mg_per_kg), baseline_sbp=baseline_sbp, expected_rise=mean,
        rise_low=mean - half, rise_high=mean + half, coverage=prior.coverage, n_used=len(used),
        n_unusable=len(earlier) - len(used), doses=tuple(sorted({float(e.dose_mg_per_kg) for e in used})),  # type: ignore[arg-type]
        own_weight=own_precision / precision, prior=prior)
