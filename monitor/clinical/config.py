"""Load the clinical protocol figures (dose limits, BP schedule, markers, scale times).

The figures of CLINICAL.md live in monitor/profiles/clinical.json so that a clinic
can change them without touching code: `infusion-monitor config --copy` puts an
editable copy in the user's config folder, which is read first. Loading checks every value and fails with
one clear line naming the file and the key, because a silently wrong limit is
worse than a monitor that refuses to start. Keys starting with "_" are comments.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.clinical.forecast import ForecastPrior
from monitor.patient_id import DATE_FORMATS, SecondIdentifier
from monitor.paths import filled_from_defaults, settings_file, tell_filled
from monitor.clinical.scales import SCALE_CODES
from monitor.record.instruments import INSTRUMENTS, OutcomeError

#: The name of the clinical settings file, packaged and in the clinic's settings folder (monitor.paths).
SETTINGS_NAME = "clinical"
#: The packaged defaults.
DEFAULT_PATH = Path(__file__).parent.parent / "profiles" / f"{SETTINGS_NAME}.json"

#: What a scale time point is measured from (see schedule.ScaleSchedule).
ANCHORS = ("pre_infusion", "infusion_start", "infusion_end", "discharge")


class ConfigError(ValueError):
    """A clinical configuration file is missing, unreadable or holds a bad value."""


@dataclass(frozen=True)
class Range:
    """Soft and hard limits of one plan quantity, in its unit.

    Outside [soft_min, soft_max] needs a recorded confirmation; outside
    [hard_min, hard_max] is refused.
    """

    hard_min: float
    soft_min: float
    soft_max: float
    hard_max: float


@dataclass(frozen=True)
class DoseLimits:
    """The drug-library limits of a ketamine plan (kg, mg/kg, min, mL)."""

    weight_kg: Range
    dose_mg_per_kg: Range
    duration_min: Range
    bag_volume_ml: Range

    @property
    def dose_rate_soft_max(self) -> float:
        """Return the highest dose rate (mg/kg/h) a plan inside the soft limits can have."""
        return self.dose_mg_per_kg.soft_max / self.duration_min.soft_min * 60

    @property
    def dose_rate_hard_max(self) -> float:
        """Return the highest dose rate (mg/kg/h) a plan inside the hard limits can have."""
        return self.dose_mg_per_kg.hard_max / self.duration_min.hard_min * 60


@dataclass(frozen=True)
class NibpScheduleConfig:
    """BP timing in minutes: baseline validity, intervals, overdue alarm, display ageing."""

    baseline_valid_min: float
    infusion_interval_min: float
    observation_interval_min: float
    overdue_alarm_min: float
    stale_after_min: float
    expired_after_min: float


@dataclass(frozen=True)
class MarkerDef:
    """One event-marker key: the key pressed, a stable code for storage, the label shown."""

    key: str
    code: str
    label: str
    free_text: bool = False
    short: str = ""  # a shorter label for the marker's button ("BP drug"); the label is used when empty

    @property
    def button(self) -> str:
        """Return the words on the marker's button."""
        return self.short or self.label

@dataclass(frozen=True)
class ScaleTime:
    """A protocol time point at which scales are due: anchor + offset_min minutes."""

    code: str
    label: str
    anchor: str
    offset_min: float
    scales: tuple[str, ...]


@dataclass(frozen=True)
class OutcomeConfig:
    """Outcome questionnaires: the instruments a patient is asked unless set per patient, and cut-offs (PCL-5)."""

    instruments: tuple[str, ...]
    cutoffs: dict[str, int]


@dataclass(frozen=True)
class ClinicalConfig:
    """Everything clinical a session needs from configuration."""

    dose_limits: DoseLimits
    complete_tolerance_fraction: float
    pause_reminder_min: float  # a paused infusion raises a reminder after this long
    stock_mg_per_ml: float  # the ketamine vial the bag is made up from
    nibp: NibpScheduleConfig
    observation_min: float
    discharge_aldrete_min: int
    markers: tuple[MarkerDef, ...]
    scale_times: tuple[ScaleTime, ...]
    outcomes: OutcomeConfig
    bp_forecast: ForecastPrior
    second_identifier: SecondIdentifier = SecondIdentifier()  # asked beside the patient ID at Start


def load_clinical_config(path: str | Path | None = None) -> ClinicalConfig:
    """Read and check a clinical JSON file (default: the clinic's copy if there is one, else the packaged profile).

    The clinic's copy (monitor.paths.settings_file("clinical")) gets the keys
    added in newer versions from the packaged defaults, with a notice.
    """
    if path is not None:
        return parse_clinical_config(read_clinical_json(Path(path)), source=str(path))
    copy = settings_file(SETTINGS_NAME)
    if not copy.is_file():
        return parse_clinical_config(read_clinical_json(DEFAULT_PATH), source=str(DEFAULT_PATH))
    data, filled = filled_from_defaults(read_clinical_json(copy), read_clinical_json(DEFAULT_PATH))
    config = parse_clinical_config(data, source=str(copy))
    tell_filled(str(copy), filled)
    return config


def read_clinical_json(path: Path) -> Any:
    """Return the decoded JSON of a clinical file; ConfigError names the file (and the line of a syntax error)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror or e}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not valid JSON: {e}") from None


def parse_clinical_config(data: Any, source: str = "clinical config") -> ClinicalConfig:
    """Check a decoded JSON object and build the config; ConfigError names source and key."""
    try:
        return _Reader().config(data)
    except _Bad as e:
        raise ConfigError(f"{source}: {e}") from None


class _Bad(Exception):
    pass


class _Reader:
    def obj(self, v: Any, where: str, keys: set[str], optional: set[str] = frozenset()) -> dict[str, Any]:
        if not isinstance(v, dict):
            raise _Bad(f"{where} must be an object")
        given = {k for k in v if not k.startswith("_")}
        unknown = sorted(given - keys - optional)
        if unknown:
            raise _Bad(f"{where}: unknown key '{unknown[0]}' (expected one of {', '.join(sorted(keys | optional))})")
        missing = sorted(keys - given)
        if missing:
            raise _Bad(f"{where}: missing key '{missing[0]}'")
        return v

    def num(self, v: Any, where: str, positive: bool = True) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise _Bad(f"{where} must be a finite number, got {v!r}")
        if positive and v <= 0:
            raise _Bad(f"{where} must be above 0, got {v!r}")
        if not positive and v < 0:
            raise _Bad(f"{where} must not be negative, got {v!r}")
        return float(v)

    def text(self, v: Any, where: str) -> str:
        if not isinstance(v, str) or not v.strip():
            raise _Bad(f"{where} must be a non-empty text, got {v!r}")
        return v

    def range_(self, v: Any, where: str) -> Range:
        d = self.obj(v, where, {"hard_min", "soft_min", "soft_max", "hard_max"})
        r = Range(*(self.num(d[k], f"{where}.{k}") for k in ("hard_min", "soft_min", "soft_max", "hard_max")))
        if not r.hard_min <= r.soft_min <= r.soft_max <= r.hard_max:
            raise _Bad(f"{where}: limits must satisfy hard_min <= soft_min <= soft_max <= hard_max, got "
                       f"{r.hard_min:g}, {r.soft_min:g}, {r.soft_max:g}, {r.hard_max:g}")
        return r

    def config(self, data: Any) -> ClinicalConfig:
        top = self.obj(data, "top level", {"dose_limits", "infusion", "nibp_schedule", "observation_min",
                                           "discharge_aldrete_min", "markers", "scale_times", "outcomes",
                                           "bp_forecast"}, {"second_identifier"})
        dl = self.obj(top["dose_limits"], "dose_limits", {"weight_kg", "dose_mg_per_kg", "duration_min", "bag_volume_ml"})
        limits = DoseLimits(**{k: self.range_(dl[k], f"dose_limits.{k}") for k in
                               ("weight_kg", "dose_mg_per_kg", "duration_min", "bag_volume_ml")})
        inf = self.obj(top["infusion"], "infusion", {"complete_tolerance_fraction", "pause_reminder_min",
                                                         "stock_mg_per_ml"})
        tol = self.num(inf["complete_tolerance_fraction"], "infusion.complete_tolerance_fraction", positive=False)
        if tol >= 1:
            raise _Bad(f"infusion.complete_tolerance_fraction must be below 1, got {tol:g}")
        nibp_keys = [f.name for f in NibpScheduleConfig.__dataclass_fields__.values()]
        nb = self.obj(top["nibp_schedule"], "nibp_schedule", set(nibp_keys))
        nibp = NibpScheduleConfig(**{k: self.num(nb[k], f"nibp_schedule.{k}") for k in nibp_keys})
        if nibp.stale_after_min > nibp.expired_after_min:
            raise _Bad("nibp_schedule.stale_after_min must not be above expired_after_min")
        aldrete = top["discharge_aldrete_min"]
        if isinstance(aldrete, bool) or not isinstance(aldrete, int) or not 0 <= aldrete <= 10:
            raise _Bad(f"discharge_aldrete_min must be a whole number 0 to 10, got {aldrete!r}")
        return ClinicalConfig(
            dose_limits=limits,
            complete_tolerance_fraction=tol,
            pause_reminder_min=self.num(inf["pause_reminder_min"], "infusion.pause_reminder_min"),
            stock_mg_per_ml=self.num(inf["stock_mg_per_ml"], "infusion.stock_mg_per_ml"),
            nibp=nibp,
            observation_min=self.num(top["observation_min"], "observation_min"),
            discharge_aldrete_min=aldrete,
            markers=self.markers(top["markers"]),
            scale_times=self.scale_times(top["scale_times"]),
            outcomes=self.outcomes(top["outcomes"]),
            bp_forecast=self.bp_forecast(top["bp_forecast"]),
            second_identifier=self.second_identifier(top.get("second_identifier", {})),
        )

    def second_identifier(self, v: Any) -> SecondIdentifier:
        d = self.obj(v, "second_identifier", set(), {"label", "format"})
        default = SecondIdentifier()
        ident = SecondIdentifier(self.text(d.get("label", default.label), "second_identifier.label"),
                                 self.text(d.get("format", default.format), "second_identifier.format"))
        if not ident.is_birth_date:
            try:
                re.compile(ident.format)
            except re.error as e:
                raise _Bad(f"second_identifier.format is neither a date ({', '.join(DATE_FORMATS)}) nor a valid "
                           f"pattern: {e}") from None
        return ident

    def outcomes(self, v: Any) -> OutcomeConfig:
        d = self.obj(v, "outcomes", {"instruments", "cutoffs"})
        codes = d["instruments"]
        if not isinstance(codes, list) or len(set(map(str, codes))) != len(codes):
            raise _Bad("outcomes.instruments must be a list of instrument codes, each at most once")
        for code in codes:
            if code not in INSTRUMENTS:
                raise _Bad(f"outcomes.instruments: unknown instrument {code!r} (known: {', '.join(INSTRUMENTS)})")
        wanted = {c for c, i in INSTRUMENTS.items() if i.uses_cutoff}
        cut = self.obj(d["cutoffs"], "outcomes.cutoffs", wanted)
        try:
            cutoffs = {c: INSTRUMENTS[c].check_cutoff(cut[c]) for c in sorted(wanted)}
        except OutcomeError as e:
            raise _Bad(f"outcomes.cutoffs: {e}") from None
        return OutcomeConfig(tuple(codes), cutoffs)  # type: ignore[arg-type]

    def bp_forecast(self, v: Any) -> ForecastPrior:
        keys = [f.name for f in ForecastPrior.__dataclass_fields__.values()]
        d = self.obj(v, "bp_forecast", set(keys))
        values = {k: self.num(d[k], f"bp_forecast.{k}", positive=k != "population_rise_mmhg") for k in keys}
        try:
            return ForecastPrior(**values)
        except ValueError as e:
            raise _Bad(str(e)) from None

    def markers(self, v: Any) -> tuple[MarkerDef, ...]:
        if not isinstance(v, list) or not v:
            raise _Bad("markers must be a non-empty list")
        out: list[MarkerDef] = []
        for i, m in enumerate(v):
            w = f"markers[{i}]"
            d = self.obj(m, w, {"key", "code", "label"}, {"free_text", "short"})
            key = self.text(d["key"], f"{w}.key")
            if len(key) != 1:
                raise _Bad(f"{w}.key must be one character, got {key!r}")
            free = d.get("free_text", False)
            if not isinstance(free, bool):
                raise _Bad(f"{w}.free_text must be true or false, got {free!r}")
            short = self.text(d["short"], f"{w}.short") if "short" in d else ""
            out.append(MarkerDef(key, self.text(d["code"], f"{w}.code"), self.text(d["label"], f"{w}.label"), free,
                                 short))
        for attr in ("key", "code"):
            seen = [getattr(m, attr) for m in out]
            dup = next((x for x in seen if seen.count(x) > 1), None)
            if dup is not None:
                raise _Bad(f"markers: {attr} {dup!r} is used twice")
        return tuple(out)

    def scale_times(self, v: Any) -> tuple[ScaleTime, ...]:
        if not isinstance(v, list):
            raise _Bad("scale_times must be a list")
        out: list[ScaleTime] = []
        for i, s in enumerate(v):
            w = f"scale_times[{i}]"
            d = self.obj(s, w, {"code", "label", "anchor", "offset_min", "scales"})
            if d["anchor"] not in ANCHORS:
                raise _Bad(f"{w}.anchor must be one of {', '.join(ANCHORS)}, got {d['anchor']!r}")
            scales = d["scales"]
            if not isinstance(scales, list) or not scales:
                raise _Bad(f"{w}.scales must be a non-empty list")
            for sc in scales:
                if sc not in SCALE_CODES:
                    raise _Bad(f"{w}.scales: unknown scale {sc!r} (known: {', '.join(SCALE_CODES)})")
            out.append(ScaleTime(self.text(d["code"], f"{w}.code"), self.text(d["label"], f"{w}.label"), d["anchor"],
                                 self.num(d["offset_min"], f"{w}.offset_min", positive=False), tuple(scales)))
        codes = [s.code for s in out]
        dup = next((c for c in codes if codes.count(c) > 1), None)
        if dup is not None:
            raise _Bad(f"scale_times: code {dup!r} is used twice")
        return tuple(out)
