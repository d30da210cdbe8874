"""What the PDF infusion record says, as plain data: the header, the plan and dose arithmetic, the summary,
the trend plots, the tables, and the course page. ui/review/report.py only lays it out on paper with Qt.

Every summary figure is the review summary's (monitor.review.summary) and every course figure the course's
(monitor.review.course), so the PDF, the `summary` and `course` commands and the review station say the same.
Times are shown in the session's own time zone (HH:MM:SS, the date in the header), durations as H:MM:SS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from monitor import __version__
from monitor.clinical.config import ConfigError
from monitor.clinical.dosing import mg_text
from monitor.clinical.scales import SCALE_NAMES
from monitor.export.common import ExportError, Progress, format_value, tick
from monitor.export.content import (
    bp_readings,
    devices,
    discharges,
    infusion_events,
    marked,
    marker_revisions,
    require_content,
    weight_plan_text,
)
from monitor.patient_id import identity_text
from monitor.record.instruments import INSTRUMENTS
from monitor.record.journal import OperatorChange
from monitor.review.course import (
    Course,
    CourseChart,
    InfusionRow,
    build_course,
    course_charts,
    session_day,
    session_time,
)
from monitor.review.summary import SPO2_THRESHOLDS, SessionSummary, alarm_counts_text, summarize
from monitor.storage.outcomes import record_outcomes
from monitor.storage.sessions import SessionMeta, SessionRecord, SessionSource
from monitor.timefmt import date_text, hms, time_text, zone

#: The colours of SpO₂ and pulse lines, one per device in the order they appear: two oximeters are told apart.
SPO2_COLORS, PULSE_COLORS = ("#0b6e99", "#17a589"), ("#c0392b", "#d68910")
NOTICE = "Not a certified medical device: this record documents what the app recorded; keep the clinic's own chart."


@dataclass(frozen=True)
class Table:
    """A titled table; widths are fractions of the page width; marks flags rows to draw in the alarm colour."""

    title: str
    columns: tuple[str, ...]
    widths: tuple[float, ...]
    rows: tuple[tuple[str, ...], ...]
    empty: str = "none recorded"
    marks: tuple[bool, ...] = ()


@dataclass(frozen=True)
class Line:
    """One plotted series (t UTC epoch s, values), drawn as a line or as markers."""

    label: str
    t: np.ndarray
    v: np.ndarray
    color: str
    markers: str = ""  # "" line; "v" / "^" triangles for BP


@dataclass(frozen=True)
class Plot:
    """A whole-session trend: series, y range, the infusion's running periods, a baseline, event ticks."""

    title: str
    unit: str
    lines: tuple[Line, ...]
    y_range: tuple[float, float]
    bands: tuple[tuple[float, float], ...] = ()
    baselines: tuple[tuple[float, str], ...] = ()
    marks: tuple[tuple[float, str], ...] = ()


@dataclass(frozen=True)
class CourseSection:
    """The course page: the patient's infusions up to this one, side by side, with small plots and the flags."""

    title: str
    lines: tuple[str, ...]
    charts: tuple[CourseChart, ...]
    tables: tuple[Table, ...]


@dataclass(frozen=True)
class ReportData:
    """Everything the PDF shows; course is None for a session without a patient ID."""

    title: str
    header: tuple[tuple[str, str], ...]
    notice: str
    plan: tuple[str, ...]
    summary: tuple[tuple[str, str], ...]
    plots: tuple[Plot, ...]
    tables: tuple[Table, ...]
    start: float
    end: float
    zone_name: str
    course: CourseSection | None = None
    simulated: str = ""  # said on every page when a device was a simulator (SessionSummary.simulated_notice)
    plan_title: str = "Plan and dose arithmetic"
    summary_title: str = "Summary"


def patient_text(meta: SessionMeta) -> str:
    """Return the patient's identifiers as every PDF header shows them: "P-1 · DOB 12 Mar 1980 · Grace Hopper"."""
    return identity_text(meta.patient_id or "-", meta.patient_name, meta.second_id_text)


def report_data(source: SessionSource, meta: SessionMeta, clinic: str = "",
                progress: Progress | None = None) -> ReportData:
    """Gather the report of one session, with the patient's course up to it."""
    record = source.record(meta)
    require_content(source, record)
    tz = zone(meta.tz)

    def clock(t: float | None) -> str:
        return "" if t is None else time_text(t, tz)

    end = meta.end()
    tick(progress, 1, 4)
    try:
        course = build_course(source, meta.patient_id, until=meta) if meta.patient_id else None
    except ConfigError as exc:
        raise ExportError(str(exc)) from None
    this = course.rows[-1] if course is not None else None
    summary = this.summary if this is not None else summarize(source, meta)
    nurses = sorted({e.user for e in record.journal if e.user} | {r.user for _, r in record.entries(OperatorChange)})
    signing = (("Signing", summary.signing),) if summary.signing else ()
    header = (("Clinic", clinic or "-"), ("Patient", patient_text(meta)),
              ("Date", f"{date_text(meta.started_utc, tz)}, {clock(meta.started_utc)} to "
                       f"{clock(meta.ended_utc) or 'running'} ({meta.tz})"),
              ("Session", f"{meta.ref} ({meta.state}), uid {meta.uid}"), ("Staff", ", ".join(nurses) or "-"),
              *signing, ("Recorded with", f"infusion-monitor {meta.app_version or '?'}; report by {__version__}"))
    series = {p: source.series(meta, p) for p in ("spo2", "pulse_rate")}
    tick(progress, 2, 4)
    pairs = _summary(summary, this, clock, record)
    plots = _plots(record, summary, series, end)
    tick(progress, 3, 4)
    tables = _tables(record, summary, clock)
    section = None if course is None else course_section(course)
    tick(progress, 4, 4)
    return ReportData("IV ketamine infusion record", header, NOTICE, _plan(record), pairs, plots, tables,
                      meta.started_utc, end, meta.tz, section, summary.simulated_notice)


def _plan(record: SessionRecord) -> tuple[str, ...]:
    meta = record.meta
    lines = [weight_plan_text(meta) or "No infusion plan was entered."]
    lines += [f"{d.role}: {d.model or d.protocol}" + (f", serial {d.serial_number}" if d.serial_number else "")
              + (f", firmware {d.firmware}" if d.firmware else "") + f" ({d.port})" + (" SIMULATED" if d.simulated else "")
              for d in devices(record)]
    return tuple(lines)


def _summary(summary: SessionSummary, this: InfusionRow | None, clock,
             record: SessionRecord) -> tuple[tuple[str, str], ...]:
    rows: list[tuple[str, str]] = []
    inf, planned = summary.infusion, summary.planned_mg
    if planned and inf is not None:
        rows.append(("Dose planned / delivered", f"{mg_text(planned)} / {mg_text(inf.delivered_mg)} "
                                                 f"({100 * inf.delivered_mg / planned:.0f} %)"))
    if inf is not None and inf.start_utc is not None:
        paused = sum(p.duration_s(summary.at) for p in inf.pauses)
        rows.append(("Infusion", f"{clock(inf.start_utc)} to {clock(inf.end_utc) or 'running'}, running "
                                 f"{hms(inf.running_s)}, {len(inf.pauses)} pause(s) ({hms(paused)}), "
                                 f"{inf.state.replace('_', ' ')}"
                                 + (f": {inf.stop_reason}" if inf.stop_reason else "")))
    rows += [("Start", f"{clock(t)} {check.text}") for t, check in summary.start_checks]
    base = summary.baseline
    if "sbp" in base:
        rows.append(("Baseline BP", f"{format_value(base['sbp'])}/{format_value(base.get('dbp'))} mmHg"))
    peak, peak_dbp = summary.peak_sbp, summary.peak_dbp
    if peak is not None:
        rise = f", {peak.value - base['sbp']:+g} from baseline" if "sbp" in base else ""
        dbp = f"; diastolic {peak_dbp.value:g} at {clock(peak_dbp.t)}" if peak_dbp is not None else ""
        rows.append(("Peak BP", f"systolic {peak.value:g} mmHg at {clock(peak.t)}{rise}{dbp}"))
    if this is not None and this.forecast is not None:
        held = this.forecast_held()
        actual = "" if held is None else (f"; actual peak {this.peak_sbp:g} mmHg, "
                                          + ("within the range" if held else "OUTSIDE the range"))
        rows.append(("BP forecast before it", this.forecast.text + actual))
    for f in summary.figures:
        if f.parameter == "spo2" and f.low is not None:
            below = ", ".join(f"< {t} %: {hms(f.seconds_below(t))}" for t in SPO2_THRESHOLDS)
            rows.append((f"Lowest SpO₂ ({marked(f.source, record)})", f"{f.low.value:g} % at {clock(f.low.t)}; time {below} "
                                                       f"(of {hms(f.covered_s)} valid)"))
    for f in summary.figures:
        if f.parameter == "pulse_rate" and f.low is not None and f.high is not None:
            rows.append((f"Pulse ({marked(f.source, record)})", f"{f.low.value:g} to {f.high.value:g} /min"))
    rows.append(("Alarms", alarm_counts_text(summary.alarm_counts())))
    if summary.observation_min is not None:
        rows.append(("Observation", f"{summary.observation_min:.0f} min"))
    d = summary.discharge
    if d is not None:
        rows.append(("Discharge", f"{clock(d.t)}, modified Aldrete {d.aldrete.total}/10 by {d.checked_by}"
                                  + ("" if d.ready else f", override: {d.override_reason}")))
    return tuple(rows)


def _running(summary: SessionSummary) -> tuple[tuple[float, float], ...]:
    """Return the periods the infusion ran (UTC epoch s): from its start to its end, less the pauses."""
    inf = summary.infusion
    if inf is None or inf.start_utc is None:
        return ()
    edges = [inf.start_utc]
    for p in inf.pauses:
        edges += [p.start_utc, summary.at if p.end_utc is None else p.end_utc]
    edges.append(summary.at if inf.end_utc is None else inf.end_utc)
    return tuple((a, b) for a, b in zip(edges[::2], edges[1::2]) if b > a)


def _plots(record: SessionRecord, summary: SessionSummary, series: dict, end: float) -> tuple[Plot, ...]:
    marks = tuple((m.t, m.label) for m in summary.markers)
    marks += tuple((e.t, e.kind.replace("_", " ")) for e in infusion_events(record))
    bands = _running(summary)
    lines = [Line(f"SpO₂ % ({marked(s.source, record)})", s.t, s.v, SPO2_COLORS[i % 2])
             for i, s in enumerate(series["spo2"])]
    lines += [Line(f"Pulse /min ({marked(s.source, record)})", s.t, s.v, PULSE_COLORS[i % 2])
              for i, s in enumerate(series["pulse_rate"])]
    vitals = Plot("SpO₂ and pulse", "% , /min", tuple(lines), (30.0, 160.0), bands, ((90.0, "SpO₂ 90"),), marks)
    bps = bp_readings(record)
    t = np.array([r.t for r in bps], dtype=float)
    bp_lines = (Line("Systolic mmHg", t, np.array([r.sbp for r in bps], dtype=float), "#c0392b", "v"),
                Line("Diastolic mmHg", t, np.array([r.dbp for r in bps], dtype=float), "#0b6e99", "^"))
    sbp = summary.baseline.get("sbp")
    base = () if sbp is None else ((sbp, f"baseline SBP {sbp:g}"),)
    top = max([180.0, *(r.sbp for r in bps)]) + 10
    blood = Plot("Blood pressure", "mmHg", bp_lines, (40.0, math.ceil(top / 20) * 20), bands, base, marks)
    return vitals, blood


def _tables(record: SessionRecord, summary: SessionSummary, clock) -> tuple[Table, ...]:
    bp = Table("BP readings", ("time", "SBP/DBP (MAP) mmHg", "pulse", "device", "note"), (0.14, 0.26, 0.1, 0.2, 0.3),
               tuple((clock(r.t), "failed" if r.sbp is None else f"{format_value(r.sbp)}/{format_value(r.dbp)}"
                      + (f" ({format_value(r.map)})" if r.map is not None else ""),
                      format_value(r.pulse_rate), marked(r.source, record), r.error or ", ".join(sorted(r.flags)))
                     for r in record.nibp),
               marks=tuple(r.sbp is None for r in record.nibp))
    infusion = Table("Infusion log", ("time", "event", "rate mL/h", "delivered mg", "by", "reason"),
                     (0.12, 0.18, 0.12, 0.14, 0.1, 0.34),
                     tuple((clock(e.t), e.kind.replace("_", " "), f"{e.rate_ml_per_h:g}", f"{e.delivered_mg:.2f}",
                            e.user or "app", e.reason) for e in infusion_events(record)))
    events = Table("Events (with every correction)", ("time", "event", "note", "by", "audit"),
                   (0.12, 0.18, 0.3, 0.1, 0.3),
                   tuple((clock(r.t), r.label + (" (deleted)" if r.deleted else ""), r.note, r.user,
                          "entered" if r.revision == 1 else f"revision {r.revision} at {clock(r.recorded_at)}: "
                                                            f"{r.reason}")
                         for _, r in marker_revisions(record)),
                   marks=tuple(r.deleted for _, r in marker_revisions(record)))
    scale_rows = tuple((clock(s.t), SCALE_NAMES.get(s.scale, s.scale),
                        f"{s.total}" + (f" / {s.max_total}" if s.max_total else ""),
                        s.anchor or " ".join(map(str, s.items)), ", ".join(s.time_points), line.user)
                       for line in summary.scales for s in (line.entry,))
    scale_table = Table("Scale scores", ("time", "scale", "score", "detail", "time point", "by"),
                        (0.12, 0.12, 0.12, 0.34, 0.18, 0.12), scale_rows)
    result = record_outcomes(record)
    outcome_table = Table("Outcome measures", ("time", "measure", "score", "item 9 / flag", "reviewed"),
                          (0.12, 0.14, 0.22, 0.26, 0.26),
                          tuple((clock(s.t), s.definition.name, f"{s.total}/{s.definition.max_total} {s.band}",
                                 (f"FLAG item 9 = {s.items[8]}" if s.flag else
                                  "item 9 = 0" if s.definition.flag_item else ""),
                                 "; ".join(r.text for r in result.reviews if r.outcome_id == s.id) or
                                 ("NOT REVIEWED" if s.flag else "")) for s in result.scores),
                          marks=tuple(s.flag for s in result.scores))
    alarms = Table("Alarms", ("raised", "priority", "alarm", "acknowledged", "ended"), (0.12, 0.1, 0.42, 0.22, 0.14),
                   tuple((clock(life.raised_t), life.priority.label if life.priority else "", life.message,
                          f"{life.acknowledged_by} {clock(life.acknowledged_t)}"
                          if life.acknowledged_t is not None else "not acknowledged",
                          clock(life.ended_t)) for life in summary.alarms),
                   marks=tuple(life.priority is not None and life.priority.label == "high" for life in summary.alarms))
    discharge = Table("Discharge", ("time", "Aldrete (act/resp/circ/cons/SpO₂)", "near baseline", "home with", "by",
                                    "decision"), (0.1, 0.3, 0.12, 0.14, 0.1, 0.24),
                      tuple((clock(d.t), f"{d.aldrete.total}/10 ({d.aldrete.activity}/{d.aldrete.respiration}/"
                                         f"{d.aldrete.circulation}/{d.aldrete.consciousness}/"
                                         f"{d.aldrete.oxygenation})",
                             "yes" if d.vitals_near_baseline else "no", d.responsible_adult, d.checked_by,
                             "discharged" if d.ready else f"override: {d.override_reason}")
                            for d in discharges(record)))
    return bp, infusion, events, scale_table, outcome_table, alarms, discharge


def course_section(course: Course, whole: bool = False) -> CourseSection:
    """Lay out the course page: the infusions up to this one (whole: the whole course, for the course document),
    the small plots, every item-9 flag with its reviews.

    A row whose questionnaire has an item-9 flag nobody has reviewed is printed in the alarm colour, and says
    NOT REVIEWED in words (a page printed in black and white must tell it too)."""
    this = None if whole else course.rows[-1]
    codes = course.instruments()

    def outcome_cell(row: InfusionRow) -> str:
        return "; ".join(f"{INSTRUMENTS[c].name} {row.outcome_text(c)}" for c in codes if row.outcome(c)) or "-"

    def dose_cell(row: InfusionRow) -> str:
        planned = "-" if row.dose_mg_per_kg is None else f"{row.dose_mg_per_kg:g}"
        return f"{planned} / {row.given_text}" + (" stopped" if row.stopped_early else "")

    def bp_cell(row: InfusionRow) -> str:
        n = format_value
        return f"{n(row.baseline_sbp) or '-'}/{n(row.peak_sbp) or '-'}" + (
            f" ({row.sbp_rise:+.0f})" if row.sbp_rise is not None and row.started else "")

    def scale_cell(row: InfusionRow) -> str:
        cadss, moaas = row.max_cadss, row.min_moaas
        return f"{'-' if cadss is None else cadss.total} / {'-' if moaas is None else moaas.total}"

    def effects_cell(row: InfusionRow) -> str:
        said = [row.side_effects_text()] if row.side_effects else []
        said += [f"rescue: {row.rescue_text()}"] if any(row.events.values()) else []
        return "; ".join(said) or "none"

    rows = tuple((f"{r.number}" + (" (this)" if r is this else ""),
                  session_day(r.meta) + (f"\n{course.place(r, short=True)}" if course.plan else ""), dose_cell(r), bp_cell(r),
                  r.forecast_text(), format_value(r.min_spo2) or "-", scale_cell(r), effects_cell(r),
                  r.alarms_text, outcome_cell(r)) for r in course.rows)
    infusions = Table("Infusions", ("#", "date" + ("\nin the plan" if course.plan else ""), "mg/kg / given", "SBP base/peak (rise)", "BP forecast peak (range)",
                                    "SpO₂ low", "CADSS / MOAA/S", "side effects; rescue drugs given", "alarms H/M/L",
                                    "outcome measures"),
                      (0.06, 0.14, 0.1, 0.09, 0.1, 0.06, 0.07, 0.16, 0.06, 0.16), rows,
                      marks=tuple(any(not f.reviewed for f in r.flags) for r in course.rows))
    flags = Table("PHQ-9 item 9 flags and their reviews", ("entered", "session", "answer", "reviews"),
                  (0.15, 0.08, 0.37, 0.4),
                  tuple((session_time(f.flag.score.t, f.session), f.session.ref, f.flag.score.flag_text,
                         "; ".join(f"{r.text} ({session_time(r.t, f.session)})" for r in f.flag.reviews)
                         or "NOT REVIEWED")
                        for f in course.flags),
                  empty="no item-9 flag in this course", marks=tuple(not f.flag.reviewed for f in course.flags))
    lines = [course.phq9_words(), course.total_dose_text(), course.plan_words(), course.flag_count_text()]
    if this is not None and this.forecast is not None:
        lines.append(f"BP forecast before this infusion: {this.forecast.text}. Advice only; it changes no alarm "
                     "limit.")
    lines.append(course.forecast_words())
    title = f"Course of treatment: {len(course.rows)} session{'s' if len(course.rows) > 1 else ''} " \
            f"of patient {course.patient_id}" + ("" if whole else " up to this one")
    return CourseSection(title, tuple(lines), course_charts(course), (infusions, flags))

