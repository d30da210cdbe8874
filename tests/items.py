"""Helpers to read what a parser returned: values of a parameter, waveform segments flattened."""

from __future__ import annotations

import math

from devices.values import Sample, WaveSegment


def values(items, param, source=None):
    """Return the values of param in order; a WaveSegment contributes each sample (NaN as None)."""
    out = []
    for i in items:
        if source is not None and getattr(i, "source", None) != source:
            continue
        if isinstance(i, Sample) and i.param == param:
            out.append(i.value)
        elif isinstance(i, WaveSegment) and i.param == param:
            out.extend(None if math.isnan(v) else v for v in i.values)
    return out


def same_stream(a, b, waves=("pleth",)):
    """Tell whether two item lists say the same: equal non-wave items in order, equal wave samples.

    How a stream is cut into reads decides how its wave samples are grouped
    into segments, not what they are; everything else must match exactly.
    """
    def rest(items):
        return [i for i in items if not isinstance(i, WaveSegment)]
    def nan_safe(vs):
        return [("nan" if v is None else v) for v in vs]
    return rest(a) == rest(b) and all(nan_safe(values(a, w)) == nan_safe(values(b, w)) for w in waves)
