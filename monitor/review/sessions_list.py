"""The session browser's lines: each session's key figures, cheap enough to list a clinic-year of sessions.

A line's figures are its review summary's (monitor.review.stored.LineFigures),
stored beside the summary when the session ended and read back a chunk of
sessions per query; a session without a current stored line (running, or
stale) has its summary computed. So the list and the summary never differ.
The outcome shown is the last PHQ-9 entered in the session (else the last entry
of the first instrument entered, in the clinic's instrument order); its flags
carry every review journaled in any session of the patient, read once per
patient (session_lines).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from monitor.clinical.outcomes import OutcomeFlag, SessionOutcomes
from monitor.record.instruments import INSTRUMENTS, PHQ9
from monitor.record.outcomes import OutcomeScore
from monitor.review.stored import LineFigures, line_figures
from monitor.storage.sessions import SessionMeta, SessionSource

#: Sessions whose lines are read (or computed) together before they are yielded.
LINES_PER_READ = 50


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
                 reviews: SessionOutcomes | None = None) -> SessionLine:
    """Return a session's key figures (a running one up to now, UTC epoch s).

    reviews are the patient's flag reviews from all of their sessions (session_lines reads them once per
    patient); without them only this session's own reviews count.
    """
    [figures] = line_figures(source, [meta], now)
    return _line(meta, figures, reviews)


def session_lines(source: SessionSource, metas: Iterable[SessionMeta],
                  now: float | None = None) -> Iterator[SessionLine]:
    """Yield each session's line in the order given, a chunk at a time (stored lines are read a chunk per query,
    and a chunk's missing ones computed), with the flag reviews of all the patient's sessions."""
    metas = list(metas)
    patients = {m.patient_id for m in metas if m.patient_id}
    theirs: dict[str, list[SessionMeta]] = {}
    for m in source.sessions() if patients else ():
        if m.patient_id in patients:
            theirs.setdefault(m.patient_id, []).append(m)
    figures: dict[str, LineFigures] = {}
    reviews: dict[str, SessionOutcomes] = {}
    for start in range(0, len(metas), LINES_PER_READ):
        chunk = metas[start:start + LINES_PER_READ]
        needed = [*chunk, *(m for pid in {c.patient_id for c in chunk if c.patient_id} for m in theirs[pid])]
        todo = list({m.uid: m for m in needed if m.uid not in figures}.values())
        figures.update(zip((m.uid for m in todo), line_figures(source, todo, now)))
        for meta in chunk:
            pid = meta.patient_id
            if pid and pid not in reviews:
                reviews[pid] = SessionOutcomes().merge(r for m in theirs[pid] for r in figures[m.uid].own.reviews)
            yield _line(meta, figures[meta.uid], reviews.get(pid or ""))


def _line(meta: SessionMeta, figures: LineFigures, reviews: SessionOutcomes | None) -> SessionLine:
    own = figures.own
    return SessionLine(meta, figures.delivered_mg, figures.peak_sbp, figures.min_spo2, figures.alarms,
                       headline(own.scores), own.merge(reviews.reviews if reviews else ()).flags(),
                       figures.stop_reason)


def headline(scores: Iterable[OutcomeScore]) -> OutcomeScore | None:
    """Return the questionnaire a list shows: the last PHQ-9, else the last of the first instrument entered."""
    last = {s.instrument: s for s in sorted(scores, key=lambda s: s.t)}
    if PHQ9.code in last:
        return last[PHQ9.code]
    return next((last[c] for c in INSTRUMENTS if c in last), None)
