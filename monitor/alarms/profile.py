"""Alarm limit profiles: per-parameter two-tier limits, delays, hysteresis; JSON load/save.

A profile is the preset a session starts from (CLINICAL.md: figures are
defaults to make configurable, never hard-coded in logic). Validation refuses
anything a tired user could mistype into a dangerous setting, with a one-line
message that says what is wrong and what is allowed.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

from devices.values import PARAMS, Condition, spec_of
from monitor.alarms.model import Priority
from monitor.paths import SETTINGS_FOLDER, filled_from_defaults, packaged_settings, settings_file, tell_filled


class ProfileError(ValueError):
    """An invalid profile or limit; str() is one line meant for the user."""


#: Baseline-relative pseudo-parameters -> the parameter they are computed from.
RISE_OF: dict[str, str] = {"sbp_rise": "sbp", "dbp_rise": "dbp"}

LIMIT_KEYS = ("medium_low", "medium_high", "high_low", "high_high")
SETTING_RANGES: dict[str, tuple[float, float, str]] = {
    "delay_s": (0.0, 120.0, "s"),
    "hysteresis": (0.0, 20.0, ""),
    "bypass_margin": (1.0, 50.0, ""),
    "bypass_readings": (2.0, 10.0, ""),
    "bypass_s": (1.0, 10.0, "s"),
}
STABLE_RANGE_S = (1.0, 120.0)
PAUSE_RANGE_S = (120.0, 300.0)
ESCALATION_RANGE_S = (10.0, 600.0)
TECH_ESCALATION_RANGE_S = (5.0, 600.0)
ADVISORY_AGE_RANGE_S = (60.0, 3600.0)
ADVISORY_OPS = (">", ">=", "<", "<=")


def setting_words(key: str) -> str:
    """Return a limit key in words for messages ("high_high" -> "high-priority high limit")."""
    if key in LIMIT_KEYS:
        tier, side = key.split("_")
        return f"{tier}-priority {side} limit"
    return {"delay_s": "delay", "bypass_margin": "bypass margin", "bypass_readings": "readings to bypass the delay",
            "bypass_s": "time to bypass the delay"}.get(key, key)


def label(param: str) -> str:
    """Return the short display name of a parameter ("SpO2", devices.values.PARAMS)."""
    return spec_of(param).label


def alarmable() -> list[str]:
    """Return the parameters alarm limits can be set on, in PARAMS' order."""
    return [p for p, spec in PARAMS.items() if spec.limits is not None]


def limit_range(param: str) -> tuple[float, float]:
    """Return the range (display unit) a limit of param may be set to, so a typo cannot disable an alarm.

    ProfileError (one line) for a parameter that has no alarm limits.
    """
    limits = spec_of(param).limits
    if limits is None:
        raise ProfileError(f"unknown parameter '{param}' (known: {', '.join(alarmable())})")
    return limits


def fmt(value: float | None) -> str:
    """Format a value for messages: whole numbers without decimals, else one decimal."""
    if value is None:
        return "---"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


#: A comparison as people read it: the alarm bar, the stored alarm and every report say "≥", not ">=".
OP_WORDS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥"}


def op_word(op: str) -> str:
    """Return a comparison as people read it ("≥" for ">="); an unknown one as it is."""
    return OP_WORDS.get(op, op)


def crossing_text(name: str, value: float | None, op: str, limit: float | None, baseline: float | None = None) -> str:
    """Say a crossed limit in the one phrasing of the alarm bar, the stored alarm, review and every report:
    "SpO₂ 84 < 90", or for a rise over the baseline "SBP 185: +57 over baseline 128 (> +50)".

    The stored message read "SBP 185 > 178 (baseline 128 +50)" and ">=" while the bar said "≥" and "+57 over
    baseline 128": the record of an alarm now reads as the nurse saw it."""
    words = op_word(op)
    if baseline is not None and value is not None and limit is not None:
        return f"{name} {fmt(value)}: +{fmt(value - baseline)} over baseline {fmt(baseline)} ({words} +{fmt(limit - baseline)})"
    return f"{name} {fmt(value)} {words} {fmt(limit)}"


@dataclass(frozen=True)
class ParamLimits:
    """Alarm settings of one parameter, in its display unit (%, /min, mmHg).

    A low-side alarm exists while the value is below a low limit, a high-side
    alarm while it is above a high limit; keys listed in `inclusive` also
    alarm on equality (">= 180"). medium_* is the tier reached first, high_*
    the outer one. delay_s: how long a condition must persist before it
    alarms. hysteresis: how far back inside the limit a value must come for
    the condition to end. bypass_margin: a condition this far beyond the
    outer (high) limit alarms before its delay (rapid desaturation), but only
    once it persists: the latest reading is beyond the margin and it ends a run
    of at least bypass_readings consistent readings beyond the high limit,
    spanning at least bypass_s (see AlarmEngine), so one reading never can.
    """

    medium_low: float | None = None
    medium_high: float | None = None
    high_low: float | None = None
    high_high: float | None = None
    delay_s: float = 0.0
    hysteresis: float = 0.0
    bypass_margin: float | None = None
    bypass_readings: float = 3.0
    bypass_s: float = 1.5
    inclusive: frozenset[str] = field(default_factory=frozenset)

    def op(self, key: str) -> str:
        """Return the comparison that alarms for a limit key ("<", "<=", ">", ">=")."""
        base = "<" if key.endswith("_low") else ">"
        return base + "=" if key in self.inclusive else base

    def beyond(self, value: float, key: str, slack: float = 0.0) -> bool:
        """Tell whether value is on the alarm side of limit `key` moved inward by slack."""
        limit = getattr(self, key)
        if limit is None:
            return False
        if key.endswith("_low"):
            edge = limit + slack
            return value <= edge if key in self.inclusive else value < edge
        edge = limit - slack
        return value >= edge if key in self.inclusive else value > edge

    def tier(self, value: float, side: str) -> tuple[Priority, str] | None:
        """Return the priority and limit key that value is beyond on one side ("low"/"high")."""
        if self.beyond(value, f"high_{side}"):
            return Priority.HIGH, f"high_{side}"
        if self.beyond(value, f"medium_{side}"):
            return Priority.MEDIUM, f"medium_{side}"
        return None

    def clears(self, value: float, side: str) -> bool:
        """Tell whether value is back inside every limit of a side by the hysteresis."""
        return not any(self.beyond(value, f"{t}_{side}", self.hysteresis) for t in ("medium", "high"))

    def beyond_bypass(self, value: float, side: str) -> bool:
        """Tell whether value is more than bypass_margin beyond the high limit of a side (one reading: no alarm)."""
        if self.bypass_margin is None:
            return False
        return self.beyond(value, f"high_{side}", -self.bypass_margin)

    def has_side(self, side: str) -> bool:
        """Tell whether any limit is set on a side."""
        return getattr(self, f"medium_{side}") is not None or getattr(self, f"high_{side}") is not None


@dataclass(frozen=True)
class TechnicalRule:
    """Priority of a technical condition, optional escalation and optional standing time (s).

    escalate_after_s: high once the condition has been present this long in
    all since the alarm was raised (the flaps of an intermittent one add up).
    stable_s: the alarm stands until the condition has stayed away this long
    without a break (a flapping cable keeps one alarm); None clears at once.
    """

    priority: Priority
    escalate_after_s: float | None = None
    stable_s: float | None = None


@dataclass(frozen=True)
class Advisory:
    """A threshold that makes the engine suggest holding the infusion (it never acts)."""

    param: str
    op: str
    value: float

    def matches(self, value: float) -> bool:
        """Tell whether a value meets the threshold."""
        return {">": value > self.value, ">=": value >= self.value,
                "<": value < self.value, "<=": value <= self.value}[self.op]


#: ALARMS.md "technical alarm defaults"; a profile may override any of them.
DEFAULT_TECHNICAL: dict[str, TechnicalRule] = {
    Condition.PROBE_OFF.value: TechnicalRule(Priority.MEDIUM, None, 10.0),
    Condition.SEARCHING.value: TechnicalRule(Priority.MEDIUM),
    Condition.SENSOR_FAULT.value: TechnicalRule(Priority.MEDIUM),
    Condition.NO_DATA.value: TechnicalRule(Priority.MEDIUM, 30.0, 10.0),
    Condition.PORT_LOST.value: TechnicalRule(Priority.MEDIUM, 30.0, 10.0),
    Condition.LOW_PERFUSION.value: TechnicalRule(Priority.LOW),
    Condition.ARTIFACT.value: TechnicalRule(Priority.LOW),
    Condition.NIBP_FAILED.value: TechnicalRule(Priority.LOW),
    Condition.DEVICE_ALARM.value: TechnicalRule(Priority.MEDIUM),
    Condition.DEMO_DATA.value: TechnicalRule(Priority.MEDIUM, 30.0),  # no real monitoring at all, as with no data
}


@dataclass(frozen=True)
class Profile:
    """A named preset of alarm settings.

    escalation_s: an unacknowledged medium physiological alarm becomes high
    after this long. pause_s: length of one audio pause (120 to 300 s).
    advisory_max_age_s: values older than this no longer trigger advisories
    (a BP reading turns grey after 15 min).
    """

    name: str
    limits: Mapping[str, ParamLimits]
    escalation_s: float = 60.0
    pause_s: float = 120.0
    advisory_max_age_s: float = 900.0
    advisories: tuple[Advisory, ...] = ()
    technical: Mapping[str, TechnicalRule] = field(default_factory=lambda: dict(DEFAULT_TECHNICAL))
    description: str = ""


def _in_range(what: str, value: float, low: float, high: float, unit: str) -> None:
    if not (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)):
        raise ProfileError(f"{what} must be a number, not {value!r}")
    if not low <= value <= high:
        text = f"{what} {fmt(value)} is outside the allowed range {fmt(low)} to {fmt(high)} {unit}"
        raise ProfileError(text.rstrip())


def validate_limits(param: str, lim: ParamLimits) -> None:
    """Raise ProfileError (one line) if the limits of param are unsafe or inconsistent."""
    low, high = limit_range(param)
    name, unit = label(param), spec_of(param).unit
    for key in LIMIT_KEYS:
        value = getattr(lim, key)
        if value is None:
            continue
        if not (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)):
            raise ProfileError(f"{name} {setting_words(key)} must be a number, not {value!r}")
        if not low <= value <= high:
            raise ProfileError(f"{name} {setting_words(key)} {fmt(value)} is outside the physiological "
                               f"range {fmt(low)} to {fmt(high)} {unit}")
    if param in RISE_OF and (lim.medium_low is not None or lim.high_low is not None):
        raise ProfileError(f"{name} has upper limits only (medium_high, high_high)")
    for side, worse in (("low", lambda m, h: m < h), ("high", lambda m, h: m > h)):
        med, hi = getattr(lim, f"medium_{side}"), getattr(lim, f"high_{side}")
        if med is not None and hi is not None and worse(med, hi):
            raise ProfileError(f"{name} medium-priority {side} limit {fmt(med)} is beyond the high-priority "
                               f"{side} limit {fmt(hi)}: the medium limit must be reached first")
    lows = [v for v in (lim.medium_low, lim.high_low) if v is not None]
    highs = [v for v in (lim.medium_high, lim.high_high) if v is not None]
    if lows and highs and max(lows) >= min(highs):
        raise ProfileError(f"{name} low limit {fmt(max(lows))} is not below the high limit {fmt(min(highs))}")
    for key, (lo, hi, u) in SETTING_RANGES.items():
        value = getattr(lim, key)
        if value is not None:
            _in_range(f"{name} {setting_words(key)}", value, lo, hi, u)
    unknown = set(lim.inclusive) - set(LIMIT_KEYS)
    if unknown:
        raise ProfileError(f"{name} inclusive lists unknown limit keys: {', '.join(sorted(map(str, unknown)))}")


def validate_profile(p: Profile) -> None:
    """Raise ProfileError (one line) if any part of the profile is invalid."""
    for param, lim in p.limits.items():
        validate_limits(param, lim)
    _in_range("audio pause", p.pause_s, *PAUSE_RANGE_S, "s")
    _in_range("medium-to-high escalation time", p.escalation_s, *ESCALATION_RANGE_S, "s")
    _in_range("advisory maximum value age", p.advisory_max_age_s, *ADVISORY_AGE_RANGE_S, "s")
    for adv in p.advisories:
        if adv.param not in alarmable() or adv.param in RISE_OF:
            raise ProfileError(f"advisory on unknown parameter '{adv.param}'")
        if adv.op not in ADVISORY_OPS:
            raise ProfileError(f"advisory on {label(adv.param)}: operator '{adv.op}' is not one of "
                               f"{' '.join(ADVISORY_OPS)}")
        lo, hi = limit_range(adv.param)
        _in_range(f"advisory threshold for {label(adv.param)}", adv.value, lo, hi, spec_of(adv.param).unit)
    known = {c.value for c in Condition}
    for cond, rule in p.technical.items():
        if cond not in known:
            raise ProfileError(f"unknown technical condition '{cond}' (known: {', '.join(sorted(known))})")
        if rule.escalate_after_s is not None:
            _in_range(f"escalation time of {cond}", rule.escalate_after_s, *TECH_ESCALATION_RANGE_S, "s")
        if rule.stable_s is not None:
            _in_range(f"standing time of {cond}", rule.stable_s, *STABLE_RANGE_S, "s")


def _num(value: Any) -> Any:
    """Return JSON integers as floats (so limits compare and print alike); leave anything else to validation."""
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _expect_keys(where: str, d: Any, allowed: set[str]) -> Mapping[str, Any]:
    if not isinstance(d, Mapping):
        raise ProfileError(f"{where} must be a JSON object")
    unknown = set(d) - allowed
    if unknown:
        raise ProfileError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))} "
                           f"(allowed: {', '.join(sorted(allowed))})")
    return d


def profile_from_dict(d: Any) -> Profile:
    """Build and validate a Profile from parsed JSON; ProfileError on any problem."""
    try:
        return _profile_from_dict(d)
    except TypeError as exc:  # e.g. an unhashable value where a word was expected
        raise ProfileError(f"invalid value in profile ({exc})") from None


def _profile_from_dict(d: Any) -> Profile:
    top = _expect_keys("profile", d, {"name", "description", "limits", "escalation_s", "pause_s",
                                      "advisory_max_age_s", "advisories", "technical"})
    if not isinstance(top.get("name"), str) or not top["name"]:
        raise ProfileError("profile needs a non-empty \"name\"")
    limit_fields = {f.name for f in fields(ParamLimits)}
    limits: dict[str, ParamLimits] = {}
    for param, raw in _expect_keys("limits", top.get("limits", {}), set(alarmable())).items():
        raw = _expect_keys(f"limits of {param}", raw, limit_fields)
        values = {k: _num(v) for k, v in raw.items()}
        if "inclusive" in values:
            if not isinstance(values["inclusive"], list):
                raise ProfileError(f"limits of {param}: inclusive must be a list of limit keys")
            values["inclusive"] = frozenset(values["inclusive"])
        limits[param] = ParamLimits(**values)
    advisories = []
    raw_adv = top.get("advisories", [])
    if not isinstance(raw_adv, list):
        raise ProfileError("advisories must be a list")
    for raw in raw_adv:
        raw = _expect_keys("advisory", raw, {"param", "op", "value"})
        advisories.append(Advisory(str(raw.get("param")), str(raw.get("op")), _num(raw.get("value"))))
    technical = dict(DEFAULT_TECHNICAL)
    for cond, raw in _expect_keys("technical", top.get("technical", {}), {c.value for c in Condition}).items():
        raw = _expect_keys(f"technical {cond}", raw, {"priority", "escalate_after_s", "stable_s"})
        try:
            prio = Priority.parse(raw.get("priority", ""))
        except ValueError as exc:
            raise ProfileError(f"technical {cond}: {exc}") from None
        technical[cond] = TechnicalRule(prio, _num(raw.get("escalate_after_s")), _num(raw.get("stable_s")))
    settings = {k: _num(top[k]) for k in ("escalation_s", "pause_s", "advisory_max_age_s") if k in top}
    profile = Profile(name=top["name"], description=str(top.get("description", "")), limits=limits,
                      advisories=tuple(advisories), technical=technical, **settings)
    validate_profile(profile)
    return profile


def profile_to_dict(p: Profile) -> dict[str, Any]:
    """Return the JSON form of a profile (None limits left out)."""
    limits: dict[str, Any] = {}
    for param, lim in p.limits.items():
        entry: dict[str, Any] = {k: getattr(lim, k) for k in (*LIMIT_KEYS, *SETTING_RANGES)
                                 if getattr(lim, k) is not None}
        if lim.inclusive:
            entry["inclusive"] = sorted(lim.inclusive)
        limits[param] = entry
    return {
        "name": p.name,
        "description": p.description,
        "escalation_s": p.escalation_s,
        "pause_s": p.pause_s,
        "advisory_max_age_s": p.advisory_max_age_s,
        "limits": limits,
        "advisories": [{"param": a.param, "op": a.op, "value": a.value} for a in p.advisories],
        "technical": {c: {"priority": r.priority.label,
                          **{k: v for k, v in (("escalate_after_s", r.escalate_after_s), ("stable_s", r.stable_s))
                             if v is not None}}
                      for c, r in p.technical.items()},
    }


def bundled_profiles() -> list[str]:
    """Return the names of the profiles shipped in monitor/profiles/."""
    folder = resources.files("monitor").joinpath(SETTINGS_FOLDER)
    return sorted(e.name[:-5] for e in folder.iterdir() if e.name.endswith(".json"))


def load_profile(name_or_path: str | Path) -> Profile:
    """Load a profile by name ("ketamine") or a JSON file by path; ProfileError if invalid.

    A name is the clinic's copy in its settings folder (monitor.paths.settings_file) if there is one, with
    the keys added in newer versions taken from the bundled profile of that name (a notice says which),
    else the bundled profile.
    """
    text_name = str(name_or_path)
    if re.fullmatch(r"[A-Za-z0-9_-]+", text_name) and not Path(text_name).is_file():
        entry, copy = packaged_settings(text_name), settings_file(text_name)
        if copy.is_file():
            data, filled = _decoded(_read(copy), f"profile {copy}"), []
            if entry.is_file():
                data, filled = filled_from_defaults(data, _decoded(entry.read_text(encoding="utf-8"),
                                                                   f"profile '{text_name}'"))
            profile = _built(data, f"profile {copy}")
            tell_filled(str(copy), filled)
            return profile
        if not entry.is_file():
            raise ProfileError(f"no bundled profile named '{text_name}' (bundled: {', '.join(bundled_profiles())})")
        where = f"profile '{text_name}'"
        return _built(_decoded(entry.read_text(encoding="utf-8"), where), where)
    path = Path(text_name)
    return _built(_decoded(_read(path), f"profile {path}"), f"profile {path}")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(f"cannot read profile {path}: {exc.strerror or exc}") from None


def _decoded(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProfileError(f"{where}: not valid JSON ({exc.msg} at line {exc.lineno})") from None


def _built(data: Any, where: str) -> Profile:
    try:
        return profile_from_dict(data)
    except ProfileError as exc:
        raise ProfileError(f"{where}: {exc}") from None


def save_profile(profile: Profile, path: str | Path) -> None:
    """Validate a profile and write it as JSON (UTF-8, indented) to path."""
    validate_profile(profile)
    Path(path).write_text(json.dumps(profile_to_dict(profile), indent=2) + "\n", encoding="utf-8")


def with_setting(lim: ParamLimits, key: str, value: float | None) -> ParamLimits:
    """Return lim with one field replaced (keys: LIMIT_KEYS and SETTING_RANGES); ProfileError on an unknown key."""
    if key not in LIMIT_KEYS and key not in SETTING_RANGES:
        raise ProfileError(f"unknown limit key '{key}' (known: {', '.join((*LIMIT_KEYS, *SETTING_RANGES))})")
    if value is None and key in ("delay_s", "hysteresis", "bypass_readings", "bypass_s"):
        raise ProfileError(f"{key} needs a number")
    return replace(lim, **{key: value})


#: Limit keys from the lowest threshold to the highest (the order they must stay in).
LADDER = ("high_low", "medium_low", "medium_high", "high_high")


def check_changes(param: str, old: ParamLimits, changes: Mapping[str, float | None]) -> ParamLimits:
    """Return the settings after all changes, or raise ProfileError (the engine's rules) without applying any."""
    new = old
    for key, value in changes.items():
        if value is None and key.startswith("high_") and getattr(old, key) is not None:
            raise ProfileError(f"the high-priority {label(param)} {key[5:]} limit cannot be switched off "
                               f"during a session")
        new = with_setting(new, key, value)
    validate_limits(param, new)
    return new


def apply_order(old: ParamLimits, changes: Mapping[str, float | None]) -> list[tuple[str, float | None]]:
    """Order changes so that every intermediate setting is valid when the final one is.

    The limits form a ladder (high_low <= medium_low < medium_high <= high_high).
    Switching a limit off never breaks it, so those go first; limits moving down
    go next, lowest first, then limits moving up, highest first, then limits
    switched on (every other one is final by then). Delay and other settings
    are independent and go first.
    """
    others = [(k, v) for k, v in changes.items() if k not in LADDER]
    off = [(k, v) for k, v in changes.items() if k in LADDER and v is None]
    on = [(k, v) for k, v in changes.items() if k in LADDER and v is not None and getattr(old, k) is None]
    moved = [(k, v) for k, v in changes.items() if k in LADDER and v is not None and getattr(old, k) is not None]
    down = sorted(((k, v) for k, v in moved if v < getattr(old, k)), key=lambda kv: LADDER.index(kv[0]))
    up = sorted(((k, v) for k, v in moved if v > getattr(old, k)), key=lambda kv: -LADDER.index(kv[0]))
    return others + off + down + up + on
