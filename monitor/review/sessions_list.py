"""The session browser's lines: each session's key figures, cheap enough to list a clinic's sessions.

A line reads the session record (small) and, for the lowest SpO2, the coarsest
stored levels instead of the values; a session without levels has its SpO2
read once. The figures are the summary's own (same infusion reading, same
primary source, same valid values), so the list and the summary never differ.
The outcome shown is the last PHQ-9 entered in the session (else the last entry
of the first instrument entered, in the clinic's instrument order); its flags
carry every review journaled in any session of the patient, read once per
patient (session_lines).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from monitor.alarms.lives import alarm_lives
from monitor.clinical.infusion import InfusionState
from monitor.clinical.outcomes import OutcomeFlag, SessionOutcomes
from monitor.record.instruments import INSTRUMENTS, PHQ9
from monitor.record.outcomes import OutcomeScore
from monitor.review.series import valid_series
from monitor.review.summary import alarm_counts, infusion_of, source_order
from monitor.storage.levels import NUMERIC_WIDTHS
from monitor.storage.outcomes import record_outcomes
from monitor.storage.sessions import SessionMeta, SessionRecord, SessionSource


@dataclass(frozen=True)
class SessionLine:
    """One session in the browser: its row, delivered dose (mg), peak SBP (mmHg), lowest SpO2 (%), alarm counts,
    the headline questionnaire, its item-9 flags (with reviews), and why the infusion was stopped early.

    stop_reason is None unless the infusion was stopped early ("" when stopped without a reason recorded).
    """

    meta: SessionMeta
    delivered_mg: float | None
    peak_sbp: float | None
    min_spo2: float | None
    alarms: dict[str, int]
    outcome: OutcomeScore | None = None
    flags: tuple[OutcomeFlag, ...] = ()
    stop_reason: str | None = None

    @property
    def unreviewed(self) -> int:
        """Return how many of the session's item-9 flags no clinician has reviewed."""
        return sum(1 for f in self.flags if not f.reviewed)

    @property
    def state_text(self) -> str:
        """Return the session's state, with "stopped early" when its infusion was ("closed, stopped early")."""
        return self.meta.state + (", stopped early" if self.stop_reason is not None else "")


def session_line(source: SessionSource, meta: SessionMeta, now: float | None = None,
                 record: SessionRecord | None = None, reviews: SessionOutcomes | None = None) -> SessionLine:
    """Return a session's key figures (a running one up to now, UTC epoch s).

    reviews are the patient's flag reviews from all of their sessions (session_lines reads them once per
    patient); without them only this session's own reviews count.
    """
    record = source.record(meta) if record is None else record
    end = meta.end(now)
    infusion = infusion_of(record, end)
    sbps = [n.sbp for n in record.nibp if not n.error and n.sbp is not None and n.dbp is not None]
    own = record_outcomes(record)
    stopped = infusion is not None and infusion.state is InfusionState.STOPPED
    return SessionLine(meta, None if infusion is None else infusion.delivered_mg, max(sbps, default=None),
                       _min_spo2(source, meta, record), alarm_counts(alarm_lives(record.alarms, end)),
                       headline(own.scores), own.merge(reviews.reviews if reviews else ()).flags(),
                       infusion.stop_reason if stopped else None)  # type: ignore[union-attr]


def session_lines(source: SessionSource, metas: Iterable[SessionMeta],
                  now: float | None = None) -> Iterator[SessionLine]:
    """Yield each session's line in the order given, reading each patient's flag reviews once."""
    metas = list(metas)
    wanted = {m.uid for m in metas}
    reviews: dict[str, SessionOutcomes] = {}
    records: dict[str, SessionRecord] = {}  # read for the reviews, kept for the line
    for meta in metas:
        pid = meta.patient_id
        if pid and pid not in reviews:
            found = SessionOutcomes()
            for m in source.sessions(patient_id=pid):
                record = source.record(m)
                found = found.merge(record_outcomes(record).reviews)
                if m.uid in wanted:
                    records[m.uid] = record
            reviews[pid] = found
        yield session_line(source, meta, now, records.pop(meta.uid, None), reviews.get(pid or ""))


def headline(scores: Iterable[OutcomeScore]) -> OutcomeScore | None:
    """Return the questionnaire a list shows: the last PHQ-9, else the last of the first instrument entered."""
    last = {s.instrument: s for s in sorted(scores, key=lambda s: s.t)}
    if PHQ9.code in last:
        return last[PHQ9.code]
    return next((last[c] for c in INSTRUMENTS if c in last), None)


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
