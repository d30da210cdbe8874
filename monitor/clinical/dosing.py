"""Dose arithmetic of a weight-based ketamine infusion and its drug-library limits.

A plan is what the nurse types (kg, mg/kg, min, mL); everything else follows
from it. Arithmetic runs on exact fractions of the decimal numbers typed, so
70 kg x 0.5 mg/kg is exactly 35 mg, not 35.00000000000001. Limits work like a
smart-pump drug library: outside a soft limit needs a recorded confirmation,
outside a hard limit (or a value that is not a positive number) is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from monitor.clinical.config import DoseLimits, Range


def mg_text(mg: float | None) -> str:
    """Return a dose in mg as every table, summary and report shows it: to 0.01 mg, no trailing zeros ("26.25 mg",
    "35 mg"), "-" when unknown. The one rule, so 26.25 mg never reads 26.2 in one place and 26.25 in another."""
    return "-" if mg is None else f"{round(mg, 2):g} mg"


class DoseError(ValueError):
    """A plan or rate is refused; the message says why in one sentence per problem."""


def exact(value: float) -> Fraction:
    """Return the decimal number a float was typed as (0.1 -> 1/10), exactly.

    Raises DoseError for NaN, infinity and non-numbers.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)) or not math.isfinite(value):
        raise DoseError(f"{value!r} is not a finite number")
    return value if isinstance(value, Fraction) else Fraction(repr(float(value)))


@dataclass(frozen=True)
class DosePlan:
    """The planned infusion: total = weight x dose, diluted in bag_volume_ml, run over duration_min.

    Any values may be held; check_plan() says which are acceptable. The derived
    figures raise DoseError while a field is not a positive finite number.
    """

    weight_kg: float
    dose_mg_per_kg: float
    duration_min: float
    bag_volume_ml: float = 100.0

    def _positive(self) -> tuple[Fraction, Fraction, Fraction, Fraction]:
        vals = tuple(exact(v) for v in (self.weight_kg, self.dose_mg_per_kg, self.duration_min, self.bag_volume_ml))
        if min(vals) <= 0:
            raise DoseError("every plan value must be above zero: " + "; ".join(check_plan_basic(self)))
        return vals  # type: ignore[return-value]

    @property
    def total_mg_exact(self) -> Fraction:
        """Return the planned total dose (mg) as an exact fraction."""
        w, d, _, _ = self._positive()
        return w * d

    @property
    def concentration_exact(self) -> Fraction:
        """Return the bag concentration (mg/mL) as an exact fraction."""
        *_, v = self._positive()
        return self.total_mg_exact / v

    @property
    def pump_rate_exact(self) -> Fraction:
        """Return the pump rate (mL/h) that empties the bag in the planned time, exactly."""
        _, _, m, v = self._positive()
        return v * 60 / m

    @property
    def total_mg(self) -> float:
        """Return the planned total dose in mg (70 kg x 0.5 mg/kg = 35 mg)."""
        return float(self.total_mg_exact)

    @property
    def concentration_mg_per_ml(self) -> float:
        """Return the bag concentration in mg/mL (35 mg in 100 mL = 0.35 mg/mL)."""
        return float(self.concentration_exact)

    @property
    def pump_rate_ml_per_h(self) -> float:
        """Return the pump rate to set, mL/h (100 mL over 40 min = 150 mL/h)."""
        return float(self.pump_rate_exact)

    def draw_up_ml(self, stock_mg_per_ml: float) -> float:
        """Return the mL of stock solution that hold the total dose (35 mg of a 50 mg/mL vial = 0.7 mL).

        The bag's stated volume stays the diluent's (CLINICAL.md): the drug's
        own fraction of a mL changes the concentration by under 2 % at the usual
        doses, as on the paper chart.
        """
        return float(self.total_mg_exact / exact(stock_mg_per_ml))

    @property
    def dose_rate_mg_per_kg_per_h(self) -> float:
        """Return the dose rate in mg/kg/h (0.5 mg/kg over 40 min = 0.75 mg/kg/h)."""
        _, d, m, _ = self._positive()
        return float(d * 60 / m)

    @property
    def duration_s(self) -> float:
        """Return the planned duration in seconds."""
        _, _, m, _ = self._positive()
        return float(m * 60)


@dataclass(frozen=True)
class PlanCheck:
    """The result of checking a plan or rate: hard violations refuse, soft ones need confirmation."""

    hard: tuple[str, ...]
    soft: tuple[str, ...]
    fields: tuple[str, ...] = ()  # the plan values (DosePlan field names) that break a limit, to highlight them

    @property
    def refused(self) -> bool:
        """Tell whether a hard limit is violated (the plan cannot be used)."""
        return bool(self.hard)

    @property
    def needs_confirmation(self) -> bool:
        """Tell whether the plan is usable only after an explicit, recorded confirmation."""
        return not self.hard and bool(self.soft)

    def require(self, confirmed: bool) -> None:
        """Raise DoseError unless usable: no hard violation, and soft ones confirmed."""
        if self.hard:
            raise DoseError("Refused: " + "; ".join(self.hard) + ".")
        if self.soft and not confirmed:
            raise DoseError("Needs explicit confirmation: " + "; ".join(self.soft) + ".")


_FIELDS = (("weight_kg", "Weight", "kg"), ("dose_mg_per_kg", "Dose", "mg/kg"),
           ("duration_min", "Duration", "min"), ("bag_volume_ml", "Bag volume", "mL"))


def _is_number(v: object) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v)


def check_plan_basic(plan: DosePlan) -> list[str]:
    """Return one sentence per plan value that is not a positive finite number."""
    out = []
    for attr, name, unit in _FIELDS:
        v = getattr(plan, attr)
        if not _is_number(v):
            out.append(f"{name} {v!r} is not a number (expected {unit})")
        elif v <= 0:
            out.append(f"{name} {v:g} {unit} must be above zero")
    return out


def _against(name: str, value: float, unit: str, r: Range) -> tuple[str | None, str | None]:
    """Return (hard, soft) sentences for one value against its range, None where it passes."""
    if value > r.hard_max:
        return f"{name} {value:g} {unit} is above the hard limit of {r.hard_max:g} {unit}", None
    if value < r.hard_min:
        return f"{name} {value:g} {unit} is below the hard limit of {r.hard_min:g} {unit}", None
    if value > r.soft_max:
        return None, f"{name} {value:g} {unit} is above the soft limit of {r.soft_max:g} {unit}"
    if value < r.soft_min:
        return None, f"{name} {value:g} {unit} is below the soft limit of {r.soft_min:g} {unit}"
    return None, None


def check_plan(plan: DosePlan, limits: DoseLimits) -> PlanCheck:
    """Check every plan value against the drug-library limits; never raises."""
    hard = check_plan_basic(plan)
    soft: list[str] = []
    fields = []
    for attr, name, unit in _FIELDS:
        v = getattr(plan, attr)
        if _is_number(v) and v > 0:
            h, s = _against(name, v, unit, getattr(limits, attr))
            hard += [h] if h else []
            soft += [s] if s else []
            if h or s:
                fields.append(attr)
        else:
            fields.append(attr)
    return PlanCheck(tuple(hard), tuple(soft), tuple(fields))


def dose_rate_of(plan: DosePlan, rate_ml_per_h: Fraction) -> Fraction:
    """Return the dose rate (mg/kg/h) a pump rate (mL/h) gives with this plan's bag."""
    return rate_ml_per_h * plan.concentration_exact / exact(plan.weight_kg)


def check_rate(plan: DosePlan, rate_ml_per_h: float, limits: DoseLimits) -> PlanCheck:
    """Check a new pump rate (mL/h) by the dose rate it gives (mg/kg/h); never raises.

    The limits are the fastest plans the library allows: highest dose over the
    shortest duration (soft 0.75 mg/kg in 30 min = 1.5 mg/kg/h, hard 1 mg/kg in
    10 min = 6 mg/kg/h with the defaults). The plan itself must be valid.
    """
    if not _is_number(rate_ml_per_h):
        return PlanCheck((f"Rate {rate_ml_per_h!r} is not a number (expected mL/h)",), ())
    if rate_ml_per_h <= 0:
        return PlanCheck((f"Rate {rate_ml_per_h:g} mL/h must be above zero (to stop the flow, pause)",), ())
    dr = float(dose_rate_of(plan, exact(rate_ml_per_h)))
    said = f"Rate {rate_ml_per_h:g} mL/h gives {dr:.3g} mg/kg/h, which"
    if dr > limits.dose_rate_hard_max:
        return PlanCheck((f"{said} is above the hard limit of {limits.dose_rate_hard_max:.3g} mg/kg/h",), ())
    if dr > limits.dose_rate_soft_max:
        return PlanCheck((), (f"{said} is above the soft limit of {limits.dose_rate_soft_max:.3g} mg/kg/h",))
    return PlanCheck((), ())
