"""The session browser's lines: each session's key figures, cheap enough to list a clinic's sessions.

A line reads the session record (small) and, for the lowest SpO2, the coarsest
stored levels instead of the values; a session without levels has its SpO2
read once. The figures are the summary's own (same infusion reading, same
primary source, same valid values), so the list and the summary never differ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from monitor.alarms.lives import alarm_lives
from monitor.review.series import valid_series
from monitor.review.summary import alarm_counts, infusion_of, source_order
from monitor.storage.levels import NUMERIC_WIDTHS
from monitor.storage.sessions import SessionMeta, SessionRecord, SessionSource


@dataclass(frozen=True)
class SessionLine:
    """One session in the browser: its row, delivered dose (mg), peak SBP (mmHg), lowest SpO2 (%), alarm counts."""

    meta: SessionMeta
    delivered_mg: float | None
    peak_sbp: float | None
    min_spo2: float | None
    alarms: dict[str, int]


def session_line(source: SessionSource, meta: SessionMeta, now: float | None = None) -> SessionLine:
    """Return a session's key figures (a running one up to now, UTC epoch s)."""
    record = source.record(meta)
    end = meta.end(now)
    infusion = infusion_of(record, end)
    sbps = [n.sbp for n in record.nibp if not n.error and n.sbp is not None and n.dbp is not None]
    return SessionLine(meta, None if infusion is None else infusion.delivered_mg, max(sbps, default=None),
                       _min_spo2(source, meta, record), alarm_counts(alarm_lives(record.alarms, end)))


def _min_spo2(source: SessionSource, meta: SessionMeta, record: SessionRecord) -> float | None:
    """Return the lowest valid SpO2 of the primary source, from the coarsest levels when stored."""
    levels = source.levels(meta, NUMERIC_WIDTHS[-1])
    if levels is not None:
        lows = {src: float(lv.lo.min()) for (src, param), lv in levels.items() if param == "spo2" and len(lv.lo)}
    else:
        lows = {src: float(v[~np.isnan(v)].min()) for (src, _), (_, v) in valid_series(source, meta, ["spo2"]).items()
                if (~np.isnan(v)).any()}
    order = source_order(record, lows)
    return lows[order[0]] if order else None
