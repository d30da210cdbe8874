"""Decimated levels of a session's signals: count, min, max and mean of the valid values per time bucket.

Review draws a whole 8-hour session from these instead of reading millions of
values: a few thousand buckets per signal, at the bucket width that fits the
pixels on screen. Buckets are aligned on multiples of their width (UTC epoch
s), so a bucket filled across several recorder flushes is one row, rewritten
with its full aggregate each time (INSERT OR REPLACE).

Built in one place for every path: `decimate()` turns values into buckets;
`LevelBuilder` is the recorder's hook (values as they are stored, bucket rows
at each flush, in the same transaction as the values), and review computes the
levels of a session that has none (recorded before levels existed, or a store
that keeps none) with the same function, in memory, never writing to the file
it reads. Valid values only, as the summary counts them: no "no value" (NaN),
nothing a device flagged questionable or artifact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from devices.plausibility import reliable
from monitor.storage.rows import Tuples

#: Bucket widths (s) kept for numerics (stored about once a second) and for waveforms (tens of samples a second).
NUMERIC_WIDTHS = (10.0, 60.0)
WAVE_WIDTHS = (1.0, 10.0, 60.0)
WIDTHS = tuple(sorted(set(NUMERIC_WIDTHS + WAVE_WIDTHS)))

Key = tuple[str, str]  # (source, parameter)
LEVEL_COLUMNS = ("session_id", "width", "t", "source", "parameter", "n", "lo", "hi", "mean")


@dataclass(frozen=True)
class Levels:
    """One signal at one bucket width: bucket starts (UTC epoch s), valid value counts, min, max, mean."""

    source: str
    parameter: str
    width: float
    t: np.ndarray
    n: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    mean: np.ndarray

    def window(self, t0: float | None, t1: float | None) -> Levels:
        """Return the buckets that overlap [t0, t1) (UTC epoch s; None for open ends)."""
        lo_i = 0 if t0 is None else int(np.searchsorted(self.t, t0 - self.width, side="right"))
        hi_i = len(self.t) if t1 is None else int(np.searchsorted(self.t, t1, side="left"))
        return Levels(self.source, self.parameter, self.width, self.t[lo_i:hi_i], self.n[lo_i:hi_i],
                      self.lo[lo_i:hi_i], self.hi[lo_i:hi_i], self.mean[lo_i:hi_i])


#: More runs than this in a signal's values (stretches in time order) and they are sorted instead.
MAX_RUNS = 64


def decimate(source: str, parameter: str, t: np.ndarray, v: np.ndarray, width: float) -> Levels:
    """Bucket the values (NaN skipped) by floor(t / width); t need not be sorted.

    Values mostly come in time order, or in a few runs of it (an import's
    device clock, measured again, steps back a second or two): each run is
    bucketed where it lies and the few buckets two runs share are merged.
    Sorting millions of waveform samples for a dozen steps back cost an 8 h
    import a tenth of its time.
    """
    ok = ~np.isnan(v)
    if not ok.all():
        t, v = t[ok], v[ok]
    b = np.floor(t / width)
    if not len(b):
        empty = np.zeros(0)
        return Levels(source, parameter, width, empty, np.zeros(0, dtype=np.int64), empty, empty, empty)
    back = (np.flatnonzero(b[1:] < b[:-1]) + 1).tolist()
    if len(back) >= MAX_RUNS:
        order = np.argsort(b, kind="stable")
        b, v, back = b[order], v[order], []
    runs = [_buckets(b[lo:hi], v[lo:hi]) for lo, hi in zip([0, *back], [*back, len(b)])]
    if len(runs) == 1:
        bt, n, lo, hi, total = runs[0]
    else:  # a bucket that runs share is merged from their aggregates
        bt, n, lo, hi, total = (np.concatenate(part) for part in zip(*runs))
        order = np.argsort(bt, kind="stable")
        bt, n, lo, hi, total = bt[order], n[order], lo[order], hi[order], total[order]
        starts = np.flatnonzero(np.r_[True, bt[1:] != bt[:-1]])
        bt, n, lo, hi, total = (bt[starts], np.add.reduceat(n, starts), np.minimum.reduceat(lo, starts),
                                np.maximum.reduceat(hi, starts), np.add.reduceat(total, starts))
    return Levels(source, parameter, width, bt * width, n, lo, hi, total / n)


def _buckets(b: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, ...]:
    """Return bucket numbers, counts, min, max and sum of values whose bucket numbers b never go down."""
    starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    n = np.diff(np.r_[starts, len(b)])
    return b[starts], n, np.minimum.reduceat(v, starts), np.maximum.reduceat(v, starts), np.add.reduceat(v, starts)


def wave_times(ends: list[tuple[float, int, float]]) -> np.ndarray:
    """Return the times (UTC epoch s) of chunks' samples, each chunk given as (t1, n, rate): n samples 1/rate
    apart, the last one received at t1.

    Chunks come in runs of one size and rate; each run is one numpy operation
    (per chunk, numpy's call cost outweighed its work in an 8 h import).
    """
    a = np.asarray(ends, dtype=float).reshape(-1, 3)
    if not len(a):
        return np.zeros(0)
    runs = np.flatnonzero(np.any(a[1:, 1:] != a[:-1, 1:], axis=1)) + 1
    out = []
    for lo, hi in zip([0, *runs.tolist()], [*runs.tolist(), len(a)]):
        n, rate = int(a[lo, 1]), a[lo, 2]
        out.append((a[lo:hi, 0, None] - (np.arange(n)[::-1] / rate)[None, :]).ravel())
    return np.concatenate(out)


class LevelBuilder:
    """The recorder's hook: add values as they are stored, take bucket rows at each flush.

    Values of one signal arrive in time order, so a bucket older than the
    newest one of its signal and width is complete and forgotten once written.
    """

    def __init__(self, session_id: int) -> None:
        self.session_id = session_id
        self._numerics: dict[Key, tuple[list[float], list[float]]] = {}
        self._waves: dict[Key, tuple[list[tuple[float, int, float]], list[np.ndarray]]] = {}  # (t1, n, rate)s
        self._open: dict[tuple[Key, float], dict[float, list[float]]] = {}  # bucket t -> [n, lo, hi, sum]

    def add_numeric(self, source: str, parameter: str, t: float, value: float | None, flags: frozenset[str]) -> None:
        """Take one stored numeric (invalid ones count for nothing)."""
        if reliable(value, flags):
            ts, vs = _lists(self._numerics, (source, parameter))
            ts.append(t)
            vs.append(value)  # type: ignore[arg-type]

    def add_wave(self, source: str, parameter: str, t1: float, values: np.ndarray, rate: float) -> None:
        """Take one stored waveform chunk (samples 1/rate s apart, the last at t1)."""
        ends, vs = _lists(self._waves, (source, parameter))
        ends.append((t1, len(values), rate))
        vs.append(values)

    def rows(self) -> Tuples:
        """Return the rows of every bucket changed since the last call, with their full aggregates.

        A signal whose new values are all invalid (a probe off from the first
        second, a flat invalid pleth) changes no bucket: a gap, for any length.
        The builder's state changes only once every row is computed, so an
        error leaves it as it was (the recorder may then be restarted).
        """
        out: list[tuple] = []
        pending = [(key, NUMERIC_WIDTHS, np.asarray(ts, dtype=float), np.asarray(vs, dtype=float))
                   for key, (ts, vs) in self._numerics.items()]
        pending += [(key, WAVE_WIDTHS, wave_times(ends), np.concatenate(vs).astype(float))
                    for key, (ends, vs) in self._waves.items()]
        opened: dict[tuple[Key, float], dict[float, list[float]]] = {}
        for (source, parameter), widths, t, v in pending:
            for width in widths:
                lv = decimate(source, parameter, t, v, width)
                if not len(lv.t):
                    continue
                was = self._open.get(((source, parameter), width), {})
                ts, ns, los, his = lv.t.tolist(), lv.n.tolist(), lv.lo.tolist(), lv.hi.tolist()
                sums = (lv.mean * lv.n).tolist()
                for bt, agg in was.items():  # the few buckets an earlier flush left open take the new values in
                    i = int(np.searchsorted(lv.t, bt))
                    if i < len(ts) and ts[i] == bt:
                        ns[i], los[i], his[i], sums[i] = (agg[0] + ns[i], min(agg[1], los[i]), max(agg[2], his[i]),
                                                          agg[3] + sums[i])
                sid = self.session_id
                out += [(sid, width, bt, source, parameter, n, lo, hi, total / n)
                        for bt, n, lo, hi, total in zip(ts, ns, los, his, sums)]
                newest = max([ts[-1], *was])
                opened[((source, parameter), width)] = (
                    {newest: [ns[-1], los[-1], his[-1], sums[-1]]} if newest == ts[-1] else {newest: was[newest]})
        self._open.update(opened)
        self._numerics, self._waves = {}, {}
        return Tuples(LEVEL_COLUMNS, out)


def _lists(table: dict[Key, tuple[list, list]], key: Key) -> tuple[list, list]:
    """Return the two lists a signal's values are gathered in, made at its first value (not setdefault, which
    would build them for every value)."""
    lists = table.get(key)
    if lists is None:
        lists = table[key] = ([], [])
    return lists


def levels_of(source: str, parameter: str, width: float, rows: list[tuple]) -> Levels:
    """Build one signal's Levels from stored rows (t, n, lo, hi, mean) in time order."""
    a = np.asarray(rows, dtype=float).reshape(-1, 5)
    return Levels(source, parameter, width, a[:, 0], a[:, 1].astype(np.int64), a[:, 2], a[:, 3], a[:, 4])
