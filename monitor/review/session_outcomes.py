"""A session's summary with its outcomes section: questionnaires, item-9 flags and their reviews, the forecast.

The forecast this infusion had, and whether its peak fell outside it, are the course's (monitor.review.course:
InfusionRow.forecast and forecast_held), read from the patient's whole course as the PDF reads them, so the
review station, the `summary` command, the course and the PDF say the same. Reviews are gathered from every
session of the patient: a flag raised in one session may be reviewed in a later one.
"""

from __future__ import annotations

from dataclasses import replace

from monitor.clinical.config import ConfigError
from monitor.review.course import CourseError, build_course
from monitor.review.summary import OutcomesSection, SessionSummary
from monitor.storage.outcomes import record_outcomes
from monitor.storage.sessions import SessionRecord, SessionSource


def with_outcomes(source: SessionSource, summary: SessionSummary, record: SessionRecord | None = None,
                  now: float | None = None) -> SessionSummary:
    """Return the summary with its outcomes section; record is the session's, when the caller has it read.

    now (UTC epoch s) is the course's time for running sessions (default: the summary's end).
    """
    meta = summary.meta
    own = record_outcomes(source.record(meta) if record is None else record)
    if not meta.patient_id:
        return replace(summary, outcomes=OutcomesSection(own.scores, own.flags()))
    try:
        course = build_course(source, meta.patient_id, now=summary.at if now is None else now)
    except (ConfigError, CourseError) as exc:
        return replace(summary, outcomes=OutcomesSection(own.scores, own.flags(), forecast_problem=str(exc)))
    row = next((r for r in course.rows if r.meta.uid == meta.uid), None)
    reviewed = {f.flag.score.id: f.flag for f in course.flags}
    flags = tuple(reviewed.get(f.score.id, f) for f in own.flags())
    return replace(summary, outcomes=OutcomesSection(
        own.scores, flags, None if row is None else row.forecast, None if row is None else row.forecast_held()))

