"""What the course document says, as plain data: one PDF of a patient's whole course for an insurer or a
referring psychiatrist. ui/review/report.py lays it out on paper with the infusion record's painter.

It holds the planned course and the dose given, the outcomes (PHQ-9 change, response and remission, their losses,
every questionnaire with its date, between visits too), the side effects and rescue drugs, every item-9 flag with
its reviews, and the course page the session report ends with (every infusion's dose and vitals summary, the
small plots). Every figure is the course's (monitor.review.course), so the document, the `course` command and the
course window say the same.
"""

from __future__ import annotations

import time

from monitor import __version__
from monitor.clinical.config import ConfigError
from monitor.export.common import ExportError
from monitor.export.report import NOTICE, ReportData, Table, course_section, patient_text
from monitor.review.course import Course, between_visit_entries, build_course, session_day, session_time
from monitor.storage.sessions import SessionSource
from monitor.timefmt import date_time_text

TITLE = "IV ketamine: course of treatment"


def course_document(source: SessionSource, patient_id: str, clinic: str = "", now: float | None = None) -> ReportData:
    """Gather the course document of a patient (CourseError if the patient has no session, ExportError in words
    for clinical settings that cannot be read)."""
    try:
        course = build_course(source, patient_id, now=now)
    except ConfigError as exc:
        raise ExportError(str(exc)) from None
    first, last = course.rows[0].meta, course.rows[-1].meta
    given = sum(r.started for r in course.rows)
    made = time.time() if now is None else now
    header = (("Clinic", clinic or "-"), ("Patient", patient_text(last)),
              ("Date", f"{session_day(first)} to {session_day(last)}, {len(course.rows)} sessions, {given} "
                       f"infusion{'s' if given != 1 else ''} given ({last.tz})"),
              ("Document", f"made {date_time_text(made, last.tz)} by infusion-monitor {__version__}, from "
                           f"the chairs' records; sessions {', '.join(r.meta.ref for r in course.rows)}"))
    section = course_section(course, whole=True)
    section = type(section)(section.title, section.lines, section.charts, (*section.tables, _questionnaires(course)))
    return ReportData(TITLE, header, NOTICE, _plan_lines(course), _summary(course), (), (), first.started_utc,
                      last.end(made), last.tz, section, plan_title="Planned course and dose",
                      summary_title="Outcomes and safety over the course")


def _plan_lines(course: Course) -> tuple[str, ...]:
    """Return the plan in force, the dose titration (each change of planned mg/kg, with the infusion), the total."""
    lines = [course.plan_words()]
    lines += [f"Earlier plan: {p.text} ({p.by}, {session_time(p.t, course.rows[-1].meta)})" for p in course.plans[:-1]]
    steps, dose = [], None
    for row in course.rows:
        if row.dose_mg_per_kg is not None and row.dose_mg_per_kg != dose:
            steps.append(f"{row.dose_mg_per_kg:g} mg/kg from infusion {row.number} ({session_day(row.meta)}, "
                         f"{row.meta.weight_kg:g} kg)" if row.meta.weight_kg else
                         f"{row.dose_mg_per_kg:g} mg/kg from infusion {row.number} ({session_day(row.meta)})")
            dose = row.dose_mg_per_kg
    lines.append("Planned dose: " + ("; ".join(steps) if steps else "no dose was planned"))
    stopped = [r for r in course.rows if r.stopped_early]
    lines += [f"Infusion {r.number} ({session_day(r.meta)}) was stopped early"
              + (f": {r.summary.infusion.stop_reason}" if r.summary.infusion.stop_reason else "")
              + f", {r.given_text} given" for r in stopped]
    lines.append(course.total_dose_text())
    return tuple(lines)


def _summary(course: Course) -> tuple[tuple[str, str], ...]:
    """Return the outcomes and the safety of the course as (heading, words) pairs."""
    pairs = [("PHQ-9", course.phq9_words())]
    for code in course.instruments():
        entries = [s for r in course.rows for s in r.entries if s.instrument == code] + \
            [s for s in course.later if s.instrument == code]
        if code != "phq9" and entries:
            pairs.append((entries[0].definition.name, f"{entries[0].total} ({entries[0].band}) on "
                                                       f"{session_day(course.rows[0].meta)} -> {entries[-1].total} "
                                                       f"({entries[-1].band}), {len(entries)} entered"))
    pairs.append(("Item-9 flags", course.flag_count_text()))
    effects: dict[str, int] = {}
    rescue: dict[str, int] = {}
    for row in course.rows:
        for code, n in row.side_effects.items():
            effects[code] = effects.get(code, 0) + n
        for code, n in row.events.items():
            rescue[code] = rescue.get(code, 0) + n
    pairs.append(("Side effects marked", ", ".join(f"{c} {n}" for c, n in effects.items()) or "none"))
    pairs.append(("Rescue drugs given", ", ".join(f"{c} {n}" for c, n in rescue.items() if n) or "none"))
    peaks = [(r.peak_sbp, r) for r in course.rows if r.started and r.peak_sbp is not None]
    if peaks:
        peak, row = max(peaks, key=lambda p: p[0])
        pairs.append(("Highest SBP", f"{peak:g} mmHg at infusion {row.number} ({session_day(row.meta)})"))
    lows = [(r.min_spo2, r) for r in course.rows if r.min_spo2 is not None]
    if lows:
        low, row = min(lows, key=lambda p: p[0])
        pairs.append(("Lowest SpO₂", f"{low:g} % at infusion {row.number} ({session_day(row.meta)})"))
    pairs.append(("BP forecast", course.forecast_words()))
    return tuple(pairs)


def _questionnaires(course: Course) -> Table:
    """Return every questionnaire of the course with its date and what it counted for (an infusion, or none:
    answered between visits or after the last infusion)."""
    meta = course.rows[0].meta
    counted = {s.id: r for r in course.rows for s in r.outcomes}
    between = {s.id for code in course.instruments() for s in between_visit_entries(course, code)}
    entries = sorted([s for r in course.rows for s in r.entries] + list(course.later), key=lambda s: s.t)
    reviewed = {f.flag.score.id: f.flag for f in course.flags}
    rows = []
    for s in entries:
        flag = reviewed.get(s.id)
        where = f"infusion {counted[s.id].number}" if s.id in counted else \
            "between visits" if s.id in between else "none (a later one counts)"
        rows.append((session_time(s.t, meta), s.definition.name, f"{s.total}/{s.definition.max_total} {s.band}", where,
                     "" if not s.flag else f"FLAG item 9 = {s.items[8]}: "
                     + ("reviewed" if flag is not None and flag.reviewed else "NOT REVIEWED")))
    return Table("Every questionnaire of the course", ("answered", "measure", "score", "counts for", "item 9 flag"),
                 (0.17, 0.12, 0.25, 0.18, 0.28), tuple(rows), "no questionnaire entered",
                 marks=tuple(s.flag and not (reviewed.get(s.id) and reviewed[s.id].reviewed) for s in entries))
