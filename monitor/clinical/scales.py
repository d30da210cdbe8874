"""Clinical scales scored during a session: MOAA/S, CADSS, nausea and anxiety, modified Aldrete.

Each score is a frozen value that checks its own range on construction and
raises ValueError with a sentence naming the scale and the allowed range, so a
mistyped score never reaches the record. Time and author are added by whoever
stores the score (the session), not here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

#: Codes used in configuration, storage and the timeline, with the name shown.
SCALE_NAMES: dict[str, str] = {
    "moaas": "MOAA/S",
    "cadss": "CADSS",
    "nausea": "nausea 0-10",
    "anxiety": "anxiety 0-10",
    "aldrete": "modified Aldrete",
}
SCALE_CODES: tuple[str, ...] = tuple(SCALE_NAMES)

#: Modified Observer's Assessment of Alertness/Sedation: score -> verbal anchor.
MOAAS_ANCHORS: dict[int, str] = {
    5: "responds readily to name spoken in normal tone",
    4: "lethargic response to name spoken in normal tone",
    3: "responds only after name is called loudly and/or repeatedly",
    2: "responds only after mild prodding or shaking",
    1: "responds only after painful trapezius squeeze",
    0: "no response after painful trapezius squeeze",
}

#: CADSS item anchors (every item of either form is scored 0 to 4).
CADSS_ANCHORS: dict[int, str] = {0: "not at all", 1: "slightly", 2: "moderately", 3: "considerably", 4: "extremely"}

#: Accepted CADSS forms by item count: the full 23-item clinician-rated scale
#: (Bremner 1998) and the 6-item short form used in ketamine trials. Item wording
#: comes from the clinic's form; only the count and the 0-4 range are checked here.
CADSS_FORMS: dict[int, str] = {23: "cadss-23", 6: "cadss-6"}

#: Modified Aldrete items scored by the nurse: score -> anchor. Circulation and
#: SpO2 are computed from measurements (see Aldrete).
ALDRETE_ANCHORS: dict[str, dict[int, str]] = {
    "activity": {2: "moves 4 extremities voluntarily or on command", 1: "moves 2 extremities", 0: "cannot move extremities"},
    "respiration": {2: "breathes deeply and coughs freely", 1: "dyspnoea or shallow, limited breathing", 0: "apnoeic"},
    "consciousness": {2: "fully awake", 1: "arousable on calling", 0: "not responding"},
}


def _whole(value: Any, lo: int, hi: int, what: str) -> int:
    """Return value if it is a whole number in [lo, hi], else raise ValueError saying so."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{what} must be a whole number from {lo} to {hi}, got {value!r}")
    return value


def _measured(value: Any, lo: float, hi: float, what: str) -> float:
    """Return a finite measured value in [lo, hi] (its unit named in `what`), else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not lo <= value <= hi:
        raise ValueError(f"{what} must be a number from {lo:g} to {hi:g}, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Moaas:
    """MOAA/S sedation score, 0 (no response) to 5 (awake, responds readily)."""

    score: int

    def __post_init__(self) -> None:
        _whole(self.score, 0, 5, "MOAA/S score")

    @property
    def anchor(self) -> str:
        """Return the verbal anchor of the score."""
        return MOAAS_ANCHORS[self.score]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict for storage and export."""
        return {"scale": "moaas", "total": self.score, "anchor": self.anchor}


@dataclass(frozen=True)
class Cadss:
    """CADSS dissociation items, each 0 to 4, in form order; 6 or 23 items (CADSS_FORMS)."""

    items: tuple[int, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.items, tuple) or len(self.items) not in CADSS_FORMS:
            n = len(self.items) if isinstance(self.items, (tuple, list)) else self.items
            raise ValueError(f"CADSS needs a tuple of 23 items (full form) or 6 items (short form), got {n!r}")
        for i, v in enumerate(self.items, start=1):
            _whole(v, 0, 4, f"CADSS item {i}")

    @property
    def form(self) -> str:
        """Return 'cadss-23' or 'cadss-6'."""
        return CADSS_FORMS[len(self.items)]

    @property
    def total(self) -> int:
        """Return the sum of the items (0 to 4 x item count)."""
        return sum(self.items)

    @property
    def max_total(self) -> int:
        """Return the highest possible total of this form (92 or 24)."""
        return 4 * len(self.items)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict for storage and export."""
        return {"scale": "cadss", "form": self.form, "items": list(self.items), "total": self.total,
                "max_total": self.max_total}


@dataclass(frozen=True)
class Rating:
    """A 0 to 10 numeric rating: scale 'nausea' or 'anxiety' (0 = none, 10 = worst imaginable)."""

    scale: str
    score: int

    def __post_init__(self) -> None:
        if self.scale not in ("nausea", "anxiety"):
            raise ValueError(f"a 0-10 rating is 'nausea' or 'anxiety', got {self.scale!r}")
        _whole(self.score, 0, 10, f"{self.scale} rating")

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict for storage and export."""
        return {"scale": self.scale, "total": self.score}


@dataclass(frozen=True)
class Aldrete:
    """Modified Aldrete recovery score, 0 to 10.

    activity, respiration and consciousness are scored 0-2 by the nurse
    (ALDRETE_ANCHORS). Circulation comes from SBP (mmHg) against the baseline:
    a difference up to 20 mmHg scores 2, over 20 up to 50 scores 1, over 50
    scores 0. Oxygenation comes from SpO2 (%) and whether oxygen is given:
    above 92 % on room air scores 2; above 90 % (with oxygen, or 90-92 % on room
    air, which needs oxygen) scores 1; 90 % or less scores 0 either way.
    """

    activity: int
    respiration: int
    consciousness: int
    sbp_mmhg: float
    baseline_sbp_mmhg: float
    spo2_pct: float
    on_oxygen: bool

    def __post_init__(self) -> None:
        for name in ("activity", "respiration", "consciousness"):
            _whole(getattr(self, name), 0, 2, f"Aldrete {name}")
        _measured(self.sbp_mmhg, 30, 300, "SBP (mmHg)")
        _measured(self.baseline_sbp_mmhg, 30, 300, "baseline SBP (mmHg)")
        _measured(self.spo2_pct, 0, 100, "SpO₂ (%)")
        if not isinstance(self.on_oxygen, bool):
            raise ValueError(f"on_oxygen must be true or false, got {self.on_oxygen!r}")

    @property
    def circulation(self) -> int:
        """Return 2, 1 or 0 from the SBP difference to baseline (mmHg)."""
        diff = abs(self.sbp_mmhg - self.baseline_sbp_mmhg)
        return 2 if diff <= 20 else 1 if diff <= 50 else 0

    @property
    def oxygenation(self) -> int:
        """Return 2, 1 or 0 from SpO2 (%) and oxygen use."""
        if self.spo2_pct > 92 and not self.on_oxygen:
            return 2
        return 1 if self.spo2_pct > 90 else 0

    @property
    def total(self) -> int:
        """Return the sum of the five items (0 to 10)."""
        return self.activity + self.respiration + self.circulation + self.consciousness + self.oxygenation

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict with inputs, item scores and total."""
        return {"scale": "aldrete", "activity": self.activity, "respiration": self.respiration,
                "circulation": self.circulation, "consciousness": self.consciousness,
                "oxygenation": self.oxygenation, "total": self.total, "sbp_mmhg": self.sbp_mmhg,
                "baseline_sbp_mmhg": self.baseline_sbp_mmhg, "spo2_pct": self.spo2_pct, "on_oxygen": self.on_oxygen}


@dataclass(frozen=True)
class DischargeCheck:
    """The discharge decision: Aldrete, vitals near baseline, a driver; who checked and when.

    It records a check even when criteria are not met (ready is then False and
    unmet says why), so that a refused discharge is documented too.
    responsible_adult names who drives the patient home ('' if nobody yet).
    t is UTC epoch seconds; aldrete_min comes from configuration (default 9).
    """

    aldrete: Aldrete
    vitals_near_baseline: bool
    responsible_adult: str
    checked_by: str
    t: float
    aldrete_min: int

    def __post_init__(self) -> None:
        if not isinstance(self.aldrete, Aldrete):
            raise ValueError("a discharge check needs an Aldrete score")
        if not isinstance(self.vitals_near_baseline, bool):
            raise ValueError(f"vitals_near_baseline must be true or false, got {self.vitals_near_baseline!r}")
        if not isinstance(self.responsible_adult, str):
            raise ValueError(f"responsible_adult must be a name or '', got {self.responsible_adult!r}")
        if not isinstance(self.checked_by, str) or not self.checked_by.strip():
            raise ValueError("a discharge check must name who checked")
        if isinstance(self.t, bool) or not isinstance(self.t, (int, float)) or not math.isfinite(self.t):
            raise ValueError(f"discharge check time must be a finite UTC epoch, got {self.t!r}")
        _whole(self.aldrete_min, 0, 10, "minimum Aldrete score for discharge")

    @property
    def unmet(self) -> tuple[str, ...]:
        """Return one sentence per unmet criterion (empty when ready)."""
        out = []
        if self.aldrete.total < self.aldrete_min:
            out.append(f"Aldrete score {self.aldrete.total} is below {self.aldrete_min}")
        if not self.vitals_near_baseline:
            out.append("vital signs are not near baseline")
        if not self.responsible_adult.strip():
            out.append("no responsible adult to drive home is recorded")
        return tuple(out)

    @property
    def ready(self) -> bool:
        """Tell whether every discharge criterion is met."""
        return not self.unmet

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict for storage and the report."""
        return {"aldrete": self.aldrete.to_dict(), "vitals_near_baseline": self.vitals_near_baseline,
                "responsible_adult": self.responsible_adult, "checked_by": self.checked_by, "t": self.t,
                "aldrete_min": self.aldrete_min, "ready": self.ready, "unmet": list(self.unmet)}
