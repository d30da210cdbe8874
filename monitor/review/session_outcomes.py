"""A session's summary with its outcomes section: questionnaires, item-9 flags and their reviews, the forecast.

The forecast this infusion had, and whether its peak fell outside it, are the course's (monitor.review.course:
InfusionRow.forecast and forecast_held), read from the patient's whole course as the PDF reads them, so the
review station, the `summary` command, the course and the PDF say the same. Reviews are gathered from every
session of the patient: a flag raised in one session may be reviewed in a later one.
"""

from __future__ import annotations

from dataclasses import replace

from monitor.clinical.config import ConfigError
from monitor.review.course import Course, CourseError, build_course
from monitor.review.summary import OutcomesSection, SessionSummary
from monitor.storage.outcomes import record_outcomes
from monitor.storage.sessions import SessionRecord, SessionSource


class CourseCache:
    """The last course read of each patient, with the change marker it was read at, for a reader that asks again
    and again (the review station every few seconds while a session runs): read again only when the marker moves.

    The marker is what the outcomes section takes from the course: the patient's sessions (their state and end),
    and how many journal rows (questionnaires, reviews, the infusion, the baseline) and BP readings (the peak)
    each holds. A running session's numerics do not move it: the section uses none of them.
    """

    def __init__(self) -> None:
        self._read: dict[str, tuple[tuple, Course]] = {}

    def course(self, source: SessionSource, patient_id: str, now: float) -> Course:
        """Return the patient's course, read again only if it may have changed; CourseError, ConfigError as read."""
        marker = (tuple((m.uid, m.state, m.ended_utc) for m in source.sessions(patient_id=patient_id)),
                  source.journal_counts(patient_id))
        kept = self._read.get(patient_id)
        if kept is not None and kept[0] == marker:
            return kept[1]
        course = build_course(source, patient_id, now=now)
        self._read[patient_id] = (marker, course)
        return course


def with_outcomes(source: SessionSource, summary: SessionSummary, record: SessionRecord | None = None,
                  now: float | None = None, cache: CourseCache | None = None) -> SessionSummary:
    """Return the summary with its outcomes section; record is the session's, when the caller has it read.

    now (UTC epoch s) is the course's time for running sessions (default: the summary's end); cache keeps the
    course between calls of a reader that refreshes (its marker says when to read it again).
    """
    meta = summary.meta
    own = record_outcomes(source.record(meta) if record is None else record)
    if not meta.patient_id:
        return replace(summary, outcomes=OutcomesSection(own.scores, own.flags()))
    at = summary.at if now is None else now
    try:
        course = build_course(source, meta.patient_id, now=at) if cache is None else \
            cache.course(source, meta.patient_id, at)
    except (ConfigError, CourseError) as exc:
        return replace(summary, outcomes=OutcomesSection(own.scores, own.flags(), forecast_problem=str(exc)))
    row = next((r for r in course.rows if r.meta.uid == meta.uid), None)
    reviewed = {f.flag.score.id: f.flag for f in course.flags}
    flags = tuple(reviewed.get(f.score.id, f) for f in own.flags())
    return replace(summary, outcomes=OutcomesSection(
        own.scores, flags, None if row is None else row.forecast, None if row is None else row.forecast_held()))

