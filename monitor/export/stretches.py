"""Continuous stretches of a waveform: its samples placed by their count at the device's rate, not by arrival.

Monitors that send the pleth in blocks (a CARESCAPE's 100-sample record once a
second, an IntelliVue's 32 samples every 256 ms) deliver each block with
arrival jitter of a few tenths of a second. The store keeps each chunk's
samples 1/rate apart, ending at the chunk's arrival, so placing every chunk by
its arrival time leaves a hole where a block came late and overlaps two blocks
where the next came early; on a fixed grid (EDF) that is a "no value" spike in
one place and lost samples in the other. A device samples at its rate without
a break while it sends: within a stretch, sample k was taken 1/rate after
sample k-1. A stretch breaks only where arrival time and sample count disagree
by more than a block or so (the device stopped sending, or a gap in the record).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Seconds by which arrival may lag the sample count before it counts as a gap: more than the arrival jitter
#: of block monitors (a CARESCAPE's -0.23..+0.31 s), about a block; a shorter pause is closed up, never a hole.
GAP_S = 1.0


@dataclass(frozen=True)
class Stretch:
    """Samples taken without a break: the first at `start` (UTC epoch s), each next one 1/rate later."""

    start: float
    values: np.ndarray

    def end(self, rate: float) -> float:
        """Return when the stretch ends (UTC epoch s): one sample period after its last sample."""
        return self.start + len(self.values) / rate


def stretches(t: np.ndarray, v: np.ndarray, rate: float) -> list[Stretch]:
    """Split a track's stored samples (times and values, in the order received) into continuous stretches.

    t holds each sample's time as stored (a chunk's samples 1/rate apart, the
    last at the chunk's arrival). Each chunk's offset is the time its stretch
    would have started if every sample before it was 1/rate after the one
    before. Arrival can only be late, never early, so a stretch starts at its
    lowest offset (the chunk that arrived with the least delay); a chunk whose
    offset is more than GAP_S above that begins a new stretch. A
    stretch never starts before the previous one ends, so no two overlap and
    every sample is in exactly one stretch, in the order received.
    """
    if len(t) == 0 or rate <= 0:
        return []
    period = 1.0 / rate
    cuts = np.flatnonzero(np.abs(np.diff(t) - period) > 0.25 * period) + 1
    starts = np.concatenate(([0], cuts))
    ends = np.concatenate((cuts, [len(t)]))
    out: list[Stretch] = []
    first, count, lowest = 0, 0, float(t[0])
    for i0, i1 in zip(starts, ends):
        offset = float(t[i0]) - count * period
        if count and offset - lowest > GAP_S:
            out.append(_placed(out, lowest, v[first:i0], rate))
            first, count, offset, lowest = int(i0), 0, float(t[i0]), float(t[i0])
        lowest = min(lowest, offset)
        count += int(i1 - i0)
    out.append(_placed(out, lowest, v[first:], rate))
    return out


def _placed(before: list[Stretch], start: float, values: np.ndarray, rate: float) -> Stretch:
    """Return the stretch at start, or right after the previous one if that ends later (no overlap)."""
    if before:
        start = max(start, before[-1].end(rate))
    return Stretch(start, values)
