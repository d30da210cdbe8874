"""Plausibility gates: the one place between every parser and everything else.

A value outside what a living patient (or the device) can produce is never
stored, shown or alarmed as valid, whatever bytes produced it (a CMS50D+ frame
made of random bytes, a correctly framed SBP of 979). Such a value becomes "no
value" flagged "implausible", and is counted as a device error; the raw
capture keeps the bytes for support.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace

from devices.values import DeviceItem, NibpResult, Sample

#: Inclusive plausible range of each parameter, in its contract unit (UCUM, see devices.values.UNITS).
RANGES: dict[str, tuple[float, float]] = {
    "spo2": (0.0, 100.0),
    "pulse_rate": (20.0, 300.0),
    "heart_rate": (20.0, 300.0),
    "nibp_pulse_rate": (20.0, 300.0),
    "sbp": (40.0, 300.0),
    "dbp": (15.0, 250.0),
    "map": (20.0, 260.0),
    "resp_rate": (0.0, 150.0),
    "perfusion_index": (0.0, 30.0),
    "etco2": (0.0, 150.0),
    "cuff_pressure": (0.0, 320.0),
}

IMPLAUSIBLE = "implausible"


def plausible(param: str, value: float) -> bool:
    """Tell whether a value of param (contract unit) is within its plausible range."""
    bounds = RANGES.get(param)
    if not math.isfinite(value):
        return False
    return bounds is None or bounds[0] <= value <= bounds[1]


def nibp_problem(r: NibpResult) -> str:
    """Return why a BP result cannot be true ('' if it can): a value out of range, SBP not above DBP, MAP outside."""
    for param, value in (("sbp", r.sbp), ("dbp", r.dbp), ("map", r.map), ("nibp_pulse_rate", r.pulse_rate)):
        if value is not None and not plausible(param, value):
            return f"implausible {param.replace('nibp_', '')} {value:g}"
    if r.sbp is not None and r.dbp is not None and r.sbp <= r.dbp:
        return f"implausible reading {r.sbp:g}/{r.dbp:g} (systolic not above diastolic)"
    if r.sbp is not None and r.dbp is not None and r.map is not None and not r.dbp <= r.map <= r.sbp:
        return f"implausible reading {r.sbp:g}/{r.dbp:g} (mean {r.map:g} not between them)"
    return ""


#: The numbers of one BP measurement: they are valid together or not at all.
NIBP_PARAMS = frozenset({"sbp", "dbp", "map", "nibp_pulse_rate"})


def gate(items: list[DeviceItem], errors: Counter[str]) -> list[DeviceItem]:
    """Return items with every implausible value replaced by 'no value' flagged implausible; count each in errors.

    A BP result that cannot be true becomes a failed result, and the BP numbers
    its device sent with it (same source, same batch) become no value too, so
    a diastolic is never shown without the systolic that failed beside it.
    """
    failed_bp = {item.source for item in items
                 if isinstance(item, NibpResult) and not item.error and nibp_problem(item)}
    out = items
    for i, item in enumerate(items):
        if isinstance(item, Sample):
            if item.value is None:
                continue
            if not plausible(item.param, item.value):
                errors[f"implausible {item.param}"] += 1
            elif not (item.param in NIBP_PARAMS and item.source in failed_bp):
                continue
            fixed: DeviceItem = replace(item, value=None, flags=item.flags | {IMPLAUSIBLE})
        elif isinstance(item, NibpResult) and item.source in failed_bp and not item.error:
            errors["implausible nibp"] += 1
            fixed = NibpResult(item.t, item.source, None, None, None, None, error_code=-1, error=nibp_problem(item))
        else:
            continue
        if out is items:
            out = list(items)
        out[i] = fixed
    return out
