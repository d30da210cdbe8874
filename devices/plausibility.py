"""Plausibility gates: the one place between every parser and everything else.

Two checks, both run by devices.base.Parser.feed on everything a parser makes:

- gate(): a value outside what a living patient (or the device) can produce is
  never stored, shown or alarmed as valid, whatever bytes produced it (a
  CMS50D+ frame made of random bytes, a correctly framed SBP of 979). Such a
  value becomes "no value" flagged "implausible", and is counted as a device
  error; the raw capture keeps the bytes for support.
- Consistency: a value inside the range that jumps from its recent neighbours
  by more than physiology can move (SpO2 97 -> 16 -> 97 within two seconds:
  one corrupted byte on a line without a checksum) keeps its value but is
  flagged "questionable" until a second consistent reading confirms the new
  level. The alarm engine, the summary and the levels ignore flagged readings
  and the screen dims them, so one reading never alarms and never becomes a
  nadir, while a real step that persists is accepted at its second reading.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace

from devices.values import PARAMS, DeviceItem, NibpResult, Sample

IMPLAUSIBLE = "implausible"
QUESTIONABLE = "questionable"


@dataclass(frozen=True)
class Jump:
    """The largest change between two readings of a parameter that physiology and the device can show.

    points: change allowed at once (a device's update step, readings that
    arrive in the same read); per_s: change allowed per second between them.
    """

    points: float
    per_s: float

    def allows(self, before: tuple[float, float], after: tuple[float, float]) -> bool:
        """Tell whether reading `after` (t UTC epoch s, value) can follow reading `before`."""
        dt = abs(after[0] - before[0])
        return dt <= REFERENCE_S and abs(after[1] - before[1]) <= self.points + self.per_s * dt


#: Largest plausible change between neighbouring readings, in the contract unit (see devices.values.PARAMS).
#: - spo2: oximeters show an average over 2-16 s, so even the fastest real falls (apnoea in
#:   an obese adult or a child, about 1-2 %/s) reach the screen as a ramp; a desaturation
#:   97 -> 80 in 10 s (1.7 %/s) passes at any reading rate. The 4 points at once cover a
#:   device's own update step. A corrupted byte gives 16, 54, 9 or 0 amid 97: 40+ points.
#: - pulse_rate, heart_rate: the shown rate is averaged over several beats; sinus rate
#:   moves at most some 10 /min per s (vagal slowing, arousal). Abrupt rhythm changes
#:   (SVT, AF onset) persist and are accepted at their second reading. 72 -> 200: flagged.
#: - etco2: breath-to-breath values scatter widely in a sedated patient on a nasal cannula,
#:   so the allowance is wide; a true drop to 0 (apnoea, disconnection) persists and is
#:   accepted at its second reading, one second later.
#: - resp_rate: a rate is counted over several breaths, so it moves by a few /min between
#:   readings; 6 at once and 2 /min per second let scatter through while a corrupted digit
#:   (14 -> 1 on a checksum-less monitor line) is flagged; a real change persists and is
#:   accepted at its second reading.
#: Not checked: NIBP (one measurement minutes apart, judged as a whole by nibp_problem),
#: cuff pressure (moves fast by design, live only), perfusion index (changes several-fold
#: within seconds with vasomotion; no alarm or figure uses it as a value).
JUMPS: dict[str, Jump] = {
    "spo2": Jump(points=4.0, per_s=2.0),
    "pulse_rate": Jump(points=15.0, per_s=10.0),
    "heart_rate": Jump(points=15.0, per_s=10.0),
    "etco2": Jump(points=10.0, per_s=5.0),
    "resp_rate": Jump(points=6.0, per_s=2.0),
}
#: A reading older than this (s) is no reference: after a gap (probe off, a lost line)
#: the new level must be confirmed again. It also bounds the change one gap can allow.
REFERENCE_S = 5.0
#: Flags of readings the device itself marked unreliable: they neither judge nor are judged.
UNRELIABLE = frozenset({QUESTIONABLE, "artifact", IMPLAUSIBLE})


def reliable(value: float | None, flags: frozenset[str]) -> bool:
    """Tell whether a reading counts, the one rule for alarms, baselines, the screen, charts and review figures:
    a finite value flagged neither questionable, artifact nor implausible."""
    return value is not None and math.isfinite(value) and not flags & UNRELIABLE


def plausible(param: str, value: float) -> bool:
    """Tell whether a value of param (contract unit) is within its plausible range (devices.values.PARAMS)."""
    spec = PARAMS.get(param)
    bounds = spec.plausible if spec else None
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


class Consistency:
    """Flags a reading "questionable" when it jumps from its recent neighbours by more than JUMPS allows.

    Per (source, parameter): a reading within the allowed change of the last
    accepted one (the reference, at most REFERENCE_S old) is accepted and
    becomes the reference. Any other reading is flagged and kept as a
    candidate; the next reading that is consistent with the candidate confirms
    the new level and is accepted. So a single false reading is flagged and
    the true one after it is accepted against the old reference, a real step
    that persists costs one flagged reading, and the first reading of a stream
    (or after a gap) is flagged until the second confirms it: with no
    neighbour nothing vouches for it. Two false readings in a row that agree
    with each other would be accepted; with one corrupted byte in 300 that is
    about once in 10^5 readings on the worst line, and the frame checks of
    each protocol make it rarer.

    It runs for every protocol, checksum or not: a checksum protects the bytes
    on the wire, not a device's own glitch (a monitor counting T waves as
    beats, a sensor jolted for one reading).
    """

    def __init__(self) -> None:
        self._reference: dict[tuple[str, str], tuple[float, float]] = {}  # (t, value) last accepted
        self._candidate: dict[tuple[str, str], tuple[float, float]] = {}  # (t, value) last flagged

    def check(self, items: list[DeviceItem]) -> list[DeviceItem]:
        """Return items with every reading that no neighbour confirms flagged questionable."""
        out = items
        for i, item in enumerate(items):
            if not isinstance(item, Sample) or item.value is None or item.flags & UNRELIABLE:
                continue
            jump = JUMPS.get(item.param)
            if jump is None:
                continue
            key, reading = (item.source, item.param), (item.t, item.value)
            reference, candidate = self._reference.get(key), self._candidate.get(key)
            if (reference is not None and jump.allows(reference, reading)) or \
                    (candidate is not None and jump.allows(candidate, reading)):
                self._reference[key] = reading
                self._candidate.pop(key, None)
                continue
            self._candidate[key] = reading
            if out is items:
                out = list(items)
            out[i] = replace(item, flags=item.flags | {QUESTIONABLE})
        return out
