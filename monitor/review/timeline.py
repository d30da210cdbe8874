"""What review draws of one session: every signal at the resolution the screen needs, marks, spans, a cursor.

Wide views come from the decimated levels (monitor/storage/levels.py): the coarsest
bucket width not wider than a pixel, so a desaturation keeps its depth however
far out the view is. Close up, numerics come from the values themselves (read
once for the session, then sliced in memory), and the pleth itself appears when
the view spans RAW_WAVE_S or less (read from its chunks for that window only);
wider, the pleth is its min/max envelope. A session stored without levels
(recorded before they existed) gets them computed here in memory, once, from
its values: review never writes to the file it reads.

Everything here is plain data for ui/review to paint: no Qt. Times are UTC
epoch seconds. The clinical reading of the record (infusion segments, phases,
alarm lives, current markers) is the summary's, so the timeline and the
summary panel never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from devices.values import NibpResult
from monitor.alarms.lives import AlarmLife, alarm_lives
from monitor.clinical.infusion import InfusionSegment, event_words
from monitor.clinical.markers import current_markers
from monitor.clinical.scales import SCALE_NAMES
from monitor.record.journal import Discharge, InfusionEvent, MarkerRevision, ScaleEntry, StartCheck
from monitor.review.series import valid_series
from monitor.review.summary import HOLD_S, SessionSummary, infusion_of, phases_of, summarize
from monitor.storage.levels import NUMERIC_WIDTHS, WAVE_WIDTHS, Key, Levels, decimate
from monitor.storage.sessions import SessionMeta, SessionSource

#: The pleth itself (not its envelope) is drawn when the view spans at most this many seconds.
RAW_WAVE_S = 300.0

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Trace:
    """One signal to draw in a window: bucket envelopes (width > 0 s) or the values themselves (width 0).

    For values, lo = hi = mean. NaN breaks the line: where a value is missing, and across a gap
    (no value for longer than a value stands for, or a missing bucket).
    """

    source: str
    parameter: str
    width: float
    t: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    mean: np.ndarray


@dataclass(frozen=True)
class Mark:
    """A labelled point on the timeline: an event, a scale score, an infusion step, a phase, the discharge.

    kind is event, scale, infusion, phase or discharge; ref identifies the record it came from
    (the marker id for events), so a click can open it.
    """

    t: float
    kind: str
    text: str
    ref: str = ""


@dataclass(frozen=True)
class Readout:
    """Everything at one moment (the cursor): each signal's value, the last BP, the infusion, phase, alarms.

    values holds the value of every numeric signal at t (None when no valid value stands for t).
    """

    t: float
    values: dict[Key, float | None]
    bp: NibpResult | None
    bp_age_s: float | None
    infusion: InfusionSegment | None
    phase: str
    alarms: tuple[AlarmLife, ...]


class SessionTimeline:
    """The timeline data of one session, read from a SessionSource (use from one thread).

    now (UTC epoch s) ends a running session's figures; progress(fraction, words) hears about
    long loads (the values of an 8 h session, levels computed for an old one).
    """

    def __init__(self, source: SessionSource, meta: SessionMeta, now: float | None = None,
                 progress: Progress | None = None) -> None:
        self.source = source
        self.meta = meta
        self.record = source.record(meta)
        self.end = meta.end(now)
        self._progress = progress or (lambda fraction, words: None)
        self.wave_keys = {(tr.source, tr.parameter) for tr in self.record.tracks}
        self.infusion = infusion_of(self.record, self.end)
        self.phases = phases_of(self.record)
        self.alarms = tuple(alarm_lives(self.record.alarms, self.end))
        self.nibp = tuple(n for n in self.record.nibp if not n.error and n.sbp is not None and n.dbp is not None)
        self._series: dict[Key, tuple[np.ndarray, np.ndarray]] | None = None
        self._computed: dict[float, dict[Key, Levels]] | None = None
        self._levels: dict[float, dict[Key, Levels]] = {}  # width -> the whole session's levels at it
        self._summary: SessionSummary | None = None

    # --- signals ---------------------------------------------------------------------------

    @property
    def start(self) -> float:
        """Return the session's start (UTC epoch s)."""
        return self.meta.started_utc

    def series(self) -> dict[Key, tuple[np.ndarray, np.ndarray]]:
        """Return every numeric signal's valid values for the whole session (read once)."""
        if self._series is None:
            self._progress(0.0, "reading the values")
            self._series = valid_series(self.source, self.meta)
            self._progress(1.0, "values read")
        return self._series

    def levels(self, width: float, t0: float | None = None, t1: float | None = None) -> dict[Key, Levels]:
        """Return every signal's levels at one width within [t0, t1): stored ones, or computed once in memory.

        Each width is read whole once (an 8 h session at the finest, 1 s, is 28,800 buckets of the pleth) and
        cut in memory after: a zoom or a pan then costs no query, the database's share of a redraw."""
        if width not in self._levels:
            stored = None if self._computed is not None else self.source.levels(self.meta, width)
            if stored is None:
                if self._computed is None:
                    self._computed = self._compute_levels()
                stored = self._computed.get(width, {})
            self._levels[width] = stored
        return {key: lv.window(t0, t1) for key, lv in self._levels[width].items()}

    def _compute_levels(self) -> dict[float, dict[Key, Levels]]:
        """Work out the levels of a session stored without them, from its values (numerics, then each track)."""
        out: dict[float, dict[Key, Levels]] = {}
        for (src, param), (t, v) in self.series().items():
            for width in NUMERIC_WIDTHS:
                out.setdefault(width, {})[(src, param)] = decimate(src, param, t, v, width)
        waves: dict[Key, tuple[list[np.ndarray], list[np.ndarray]]] = {}
        for k, track in enumerate(self.record.tracks):
            self._progress(k / len(self.record.tracks), f"computing the {track.parameter} overview")
            t, v = self.source.wave(self.meta, track)
            ts, vs = waves.setdefault((track.source, track.parameter), ([], []))
            ts.append(t)
            vs.append(v)
        for (src, param), (ts, vs) in waves.items():
            t, v = np.concatenate(ts), np.concatenate(vs)
            for width in WAVE_WIDTHS:
                out.setdefault(width, {})[(src, param)] = decimate(src, param, t, v, width)
        self._progress(1.0, "overview ready")
        return out

    def traces(self, t0: float, t1: float, pixels: int) -> dict[Key, Trace]:
        """Return what to draw of every signal for the window [t0, t1) on `pixels` screen pixels."""
        per_px = max(t1 - t0, 1e-3) / max(1, pixels)
        numeric_w = _coarsest(NUMERIC_WIDTHS, per_px)
        wave_w = None if t1 - t0 <= RAW_WAVE_S else (_coarsest(WAVE_WIDTHS, per_px) or WAVE_WIDTHS[0])
        out: dict[Key, Trace] = {}
        for width in {w for w in (numeric_w, wave_w) if w is not None}:
            for key, lv in self.levels(width, t0, t1).items():
                if (key in self.wave_keys and width == wave_w) or (key not in self.wave_keys and width == numeric_w):
                    out[key] = _gapped(Trace(key[0], key[1], width, lv.t + width / 2, lv.lo, lv.hi, lv.mean),
                                       1.5 * width)
        if numeric_w is None:
            for key, (t, v) in self.series().items():
                i0 = max(0, int(np.searchsorted(t, t0)) - 1)
                i1 = int(np.searchsorted(t, t1)) + 1
                out[key] = _gapped(Trace(key[0], key[1], 0.0, t[i0:i1], v[i0:i1], v[i0:i1], v[i0:i1]), HOLD_S)
        if wave_w is None:
            for track in self.record.tracks:
                t, v = self.source.wave(self.meta, track, t0, t1)
                key = (track.source, track.parameter)
                if key in out:
                    old = out[key]
                    t, v = np.concatenate([old.t, t]), np.concatenate([old.mean, v])
                out[key] = _gapped(Trace(key[0], key[1], 0.0, t, v, v, v), 3.0 / track.rate if track.rate else 1.0)
        return out

    # --- what happened ---------------------------------------------------------------------

    def marks(self) -> list[Mark]:
        """Return events, scale scores, infusion steps (Start's confirmations over unmet items with them), phases
        and discharge as labelled marks, in time order."""
        out = [Mark(r.t, "event", r.label + (f": {r.note}" if r.note else ""), r.id)
               for r in current_markers(rev for _, rev in self.record.entries(MarkerRevision))]
        for entry, s in self.record.entries(ScaleEntry):
            total = f"{s.total}/{s.max_total}" if s.max_total else str(s.total)
            out.append(Mark(s.t, "scale", f"{SCALE_NAMES.get(s.scale, s.scale)} {total}", f"{entry.t}"))
        out += [Mark(ev.t, "infusion", event_words(ev)) for _, ev in self.record.entries(InfusionEvent)]
        out += [Mark(e.t, "infusion", c.text) for e, c in self.record.entries(StartCheck)]
        out += [Mark(p.start_utc, "phase", "phase: " + p.phase.replace("_", "-")) for p in self.phases[1:]]
        out += [Mark(d.t, "discharge", f"discharge: Aldrete {d.aldrete.total}" + ("" if d.ready else " (not ready)"))
                for _, d in self.record.entries(Discharge)]
        return sorted(out, key=lambda m: m.t)

    def readout(self, t: float) -> Readout:
        """Return every value at time t (UTC epoch s): the cursor's readout."""
        values: dict[Key, float | None] = {}
        for key, (ts, vs) in self.series().items():
            i = int(np.searchsorted(ts, t, side="right")) - 1
            values[key] = float(vs[i]) if i >= 0 and t - ts[i] <= HOLD_S and not np.isnan(vs[i]) else None
        bp = next((n for n in reversed(self.nibp) if n.t <= t), None)
        segment = None if self.infusion is None else next(
            (s for s in self.infusion.segments if s.start_utc <= t < (self.end if s.end_utc is None else s.end_utc)),
            None)
        phase = next((p.phase for p in reversed(self.phases) if p.start_utc <= t), "pre_infusion")
        alarms = tuple(a for a in self.alarms if a.raised_t <= t < (self.end if a.cleared_t is None else a.cleared_t))
        return Readout(t, values, bp, None if bp is None else t - bp.t, segment, phase, alarms)

    def summary(self) -> SessionSummary:
        """Return the session's summary, computed from the values already read."""
        if self._summary is None:
            self._summary = summarize(self.source, self.meta, now=self.end, series=self.series(), record=self.record)
        return self._summary


def _coarsest(widths: tuple[float, ...], per_px: float) -> float | None:
    """Return the widest bucket not wider than a pixel (s), None if even the finest is wider."""
    fitting = [w for w in widths if w <= per_px]
    return max(fitting) if fitting else None


def _gapped(trace: Trace, max_step: float) -> Trace:
    """Insert a NaN wherever consecutive points are more than max_step s apart, so no line bridges a gap."""
    if len(trace.t) < 2:
        return trace
    cut = np.flatnonzero(np.diff(trace.t) > max_step) + 1
    if not len(cut):
        return trace
    t = np.insert(trace.t, cut, trace.t[cut - 1] + max_step / 2)
    return Trace(trace.source, trace.parameter, trace.width, t, *(np.insert(a, cut, np.nan)
                                                                  for a in (trace.lo, trace.hi, trace.mean)))

