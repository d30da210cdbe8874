"""What the PDF infusion record says, as plain data: the header, the plan and dose arithmetic, the summary,
the trend plots and the tables. ui/report.py only lays it out on paper with Qt.

Times are shown in the session's own time zone (HH:MM:SS, the date in the header).
`extra_sections` is where later pages (the course with its outcome measures) are
added as more tables.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from zoneinfo import ZoneInfo

import numpy as np

from monitor import __version__
from monitor.export import Progress, format_value, tick
from monitor.export.content import (alarm_lives, bp_readings, current_markers, devices, discharges, infusion_events,
                                    marker_revisions, outcomes, require_content, scales, weight_plan_text)
from monitor.records import Baseline, OperatorChange
from monitor.scales import SCALE_NAMES
from monitor.session_record import SessionMeta, SessionRecord, SessionSource

NOTICE = "Not a certified medical device: this record documents what the app recorded; keep the clinic's own chart."
BELOW = (94.0, 90.0)  # SpO2 thresholds (%) whose time below the summary states (CLINICAL.md)


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
class ReportData:
    """Everything the PDF shows."""

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
    extra_sections: tuple[Table, ...] = field(default=())


def _zone(meta: SessionMeta) -> tzinfo:
    try:
        return ZoneInfo(meta.tz)
    except Exception:  # an unknown zone name from another machine
        return timezone.utc


def report_data(source: SessionSource, meta: SessionMeta, clinic: str = "",
                progress: Progress | None = None) -> ReportData:
    """Gather the report of one session."""
    record = source.record(meta)
    require_content(source, record)
    zone = _zone(meta)

    def hms(t: float | None) -> str:
        return "" if t is None else datetime.fromtimestamp(t, zone).strftime("%H:%M:%S")

    end = meta.ended_utc
    if end is None:  # still running: up to the last value
        end = meta.started_utc
        for row in source.numerics(meta):
            end = row.t
    tick(progress, 1, 4)
    nurses = sorted({e.user for e in record.journal if e.user} | {r.user for _, r in record.entries(OperatorChange)})
    day = datetime.fromtimestamp(meta.started_utc, zone)
    header = (("Clinic", clinic or "-"), ("Patient", f"{meta.patient_id or '-'}  {meta.patient_name or ''}".strip()),
              ("Date", f"{day:%Y-%m-%d}, {hms(meta.started_utc)} to {hms(meta.ended_utc) or 'running'} "
                       f"({meta.tz})"),
              ("Session", f"{meta.ref} ({meta.state}), uid {meta.uid}"), ("Staff", ", ".join(nurses) or "-"),
              ("Recorded with", f"infusion-monitor {meta.app_version or '?'}; report by {__version__}"))
    series = {p: source.series(meta, p) for p in ("spo2", "pulse_rate")}
    tick(progress, 2, 4)
    summary = _summary(record, series, hms)
    plots = _plots(record, series, end)
    tick(progress, 3, 4)
    tables = _tables(record, hms)
    tick(progress, 4, 4)
    return ReportData("IV ketamine infusion record", header, NOTICE, _plan(record), summary, plots, tables,
                      meta.started_utc, end, meta.tz)


def _plan(record: SessionRecord) -> tuple[str, ...]:
    meta = record.meta
    lines = [weight_plan_text(meta) or "No infusion plan was entered."]
    lines += [f"{d.role}: {d.model or d.protocol}" + (f", serial {d.serial_number}" if d.serial_number else "")
              + (f", firmware {d.firmware}" if d.firmware else "") + f" ({d.port})" for d in devices(record)]
    return tuple(lines)


def _summary(record: SessionRecord, series: dict, hms) -> tuple[tuple[str, str], ...]:
    meta = record.meta
    rows: list[tuple[str, str]] = []
    events = infusion_events(record)
    if meta.weight_kg and meta.dose_mg_per_kg:
        planned = meta.weight_kg * meta.dose_mg_per_kg
        given = events[-1].delivered_mg if events else 0.0
        rows.append(("Dose planned / delivered", f"{planned:.1f} mg / {given:.1f} mg ({100 * given / planned:.0f} %)"))
    if events:
        pauses = [e for e in events if e.kind == "paused"]
        rows.append(("Infusion", f"{hms(events[0].t)} to {hms(events[-1].t)}, {len(pauses)} pause(s), "
                                 f"ended: {events[-1].kind.replace('_', ' ')}"))
    baselines = [r for _, r in record.entries(Baseline)]
    base = baselines[0] if baselines else None
    bps = bp_readings(record)
    if base and base.sbp is not None:
        rows.append(("Baseline BP", f"{format_value(base.sbp)}/{format_value(base.dbp)} mmHg"))
    if bps:
        peak = max(bps, key=lambda r: r.sbp)
        rise = f", +{peak.sbp - base.sbp:g} from baseline" if base and base.sbp is not None else ""
        rows.append(("Peak BP", f"{peak.sbp:g}/{peak.dbp:g} mmHg at {hms(peak.t)}{rise}"))
    for s in series["spo2"]:
        ok = ~np.isnan(s.v)
        if ok.any():
            i = int(np.nanargmin(s.v))
            below = [f"< {b:g} %: {_duration(s.t, s.v, b)}" for b in BELOW]
            rows.append((f"Lowest SpO2 ({s.source})", f"{s.v[i]:g} % at {hms(s.t[i])}; time " + ", ".join(below)))
    for s in series["pulse_rate"]:
        if (~np.isnan(s.v)).any():
            rows.append((f"Pulse ({s.source})", f"{np.nanmin(s.v):g} to {np.nanmax(s.v):g} /min"))
    lives = alarm_lives(record)
    by_priority = Counter(life.priority_label for life in lives)
    rows.append(("Alarms", ", ".join(f"{n} {p}" for p, n in sorted(by_priority.items())) or "none"))
    done = discharges(record)
    if done:
        d = done[-1]
        rows.append(("Discharge", f"{hms(d.t)}, modified Aldrete {d.aldrete.total}/10 by {d.checked_by}"
                                  + ("" if d.ready else f", override: {d.override_reason}")))
    return tuple(rows)


def _duration(t: np.ndarray, v: np.ndarray, below: float) -> str:
    """Return how long a series stayed below a value (each sample counts until the next, at most 5 s)."""
    if len(t) < 2:
        return "0:00"
    step = np.minimum(np.diff(t, append=t[-1] + 1.0), 5.0)
    seconds = float(step[(~np.isnan(v)) & (v < below)].sum())
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def _running(record: SessionRecord) -> tuple[tuple[float, float], ...]:
    bands, start = [], None
    for ev in infusion_events(record):
        if ev.kind in ("started", "resumed"):
            start = ev.t
        elif ev.kind in ("paused", "stopped", "completed", "planned_end_reached") and start is not None:
            bands.append((start, ev.t))
            start = None
    if start is not None:
        bands.append((start, record.meta.ended_utc or start))
    return tuple(bands)


def _plots(record: SessionRecord, series: dict, end: float) -> tuple[Plot, ...]:
    marks = tuple((m.t, m.label) for m in current_markers(record))
    marks += tuple((e.t, e.kind.replace("_", " ")) for e in infusion_events(record))
    bands = _running(record)
    colors = ("#0b6e99", "#7a3fb0")
    lines = [Line(f"SpO2 % ({s.source})", s.t, s.v, colors[0]) for s in series["spo2"]]
    lines += [Line(f"Pulse /min ({s.source})", s.t, s.v, "#c0392b") for s in series["pulse_rate"]]
    vitals = Plot("SpO2 and pulse", "% , /min", tuple(lines), (30.0, 160.0), bands, ((90.0, "SpO2 90"),), marks)
    bps = bp_readings(record)
    t = np.array([r.t for r in bps], dtype=float)
    bp_lines = (Line("Systolic mmHg", t, np.array([r.sbp for r in bps], dtype=float), "#c0392b", "v"),
                Line("Diastolic mmHg", t, np.array([r.dbp for r in bps], dtype=float), "#0b6e99", "^"))
    baselines = [r for _, r in record.entries(Baseline) if r.sbp is not None]
    base = ((baselines[0].sbp, f"baseline SBP {baselines[0].sbp:g}"),) if baselines else ()
    top = max([180.0, *(r.sbp for r in bps)]) + 10
    blood = Plot("Blood pressure", "mmHg", bp_lines, (40.0, math.ceil(top / 20) * 20), bands, base, marks)
    return vitals, blood


def _tables(record: SessionRecord, hms) -> tuple[Table, ...]:
    bp = Table("BP readings", ("time", "SBP/DBP (MAP) mmHg", "pulse", "device", "note"), (0.14, 0.26, 0.1, 0.2, 0.3),
               tuple((hms(r.t), "failed" if r.sbp is None else f"{format_value(r.sbp)}/{format_value(r.dbp)}"
                      + (f" ({format_value(r.map)})" if r.map is not None else ""),
                      format_value(r.pulse_rate), r.source, r.error or ", ".join(sorted(r.flags)))
                     for r in record.nibp),
               marks=tuple(r.sbp is None for r in record.nibp))
    infusion = Table("Infusion log", ("time", "event", "rate mL/h", "delivered mg", "by", "reason"),
                     (0.12, 0.18, 0.12, 0.14, 0.1, 0.34),
                     tuple((hms(e.t), e.kind.replace("_", " "), f"{e.rate_ml_per_h:g}", f"{e.delivered_mg:.2f}",
                            e.user or "app", e.reason) for e in infusion_events(record)))
    events = Table("Events (with every correction)", ("time", "event", "note", "by", "audit"),
                   (0.12, 0.18, 0.3, 0.1, 0.3),
                   tuple((hms(r.t), r.label + (" (deleted)" if r.deleted else ""), r.note, r.user,
                          "entered" if r.revision == 1 else f"revision {r.revision} at {hms(r.recorded_at)}: "
                                                            f"{r.reason}")
                         for _, r in marker_revisions(record)),
                   marks=tuple(r.deleted for _, r in marker_revisions(record)))
    scale_rows = tuple((hms(s.t), SCALE_NAMES.get(s.scale, s.scale), f"{s.total}" + (f" / {s.max_total}" if s.max_total else ""),
                        s.anchor or " ".join(map(str, s.items)), ", ".join(s.time_points), entry.user)
                       for entry, s in scales(record))
    scale_table = Table("Scale scores", ("time", "scale", "score", "detail", "time point", "by"),
                        (0.12, 0.12, 0.12, 0.34, 0.18, 0.12), scale_rows)
    result = outcomes(record)
    outcome_table = Table("Outcome measures", ("time", "measure", "score", "item 9 / flag", "reviewed"),
                          (0.12, 0.14, 0.22, 0.26, 0.26),
                          tuple((hms(s.t), s.definition.name, f"{s.total}/{s.definition.max_total} {s.band}",
                                 (f"FLAG item 9 = {s.items[8]}" if s.flag else
                                  "item 9 = 0" if s.definition.flag_item else ""),
                                 "; ".join(r.text for r in result.reviews if r.outcome_id == s.id) or
                                 ("NOT REVIEWED" if s.flag else "")) for s in result.scores),
                          marks=tuple(s.flag for s in result.scores))
    alarms = Table("Alarms", ("raised", "priority", "alarm", "acknowledged", "ended"), (0.12, 0.1, 0.42, 0.22, 0.14),
                   tuple((hms(life.raised.t), life.priority_label, life.raised.message,
                          ", ".join(f"{a.user or '?'} {hms(a.t)}" for a in life.acknowledged) or "not acknowledged",
                          hms(life.ended_t)) for life in alarm_lives(record)),
                   marks=tuple(life.priority_label == "high" for life in alarm_lives(record)))
    discharge = Table("Discharge", ("time", "Aldrete (act/resp/circ/cons/SpO2)", "near baseline", "home with", "by",
                                    "decision"), (0.1, 0.3, 0.12, 0.14, 0.1, 0.24),
                      tuple((hms(d.t), f"{d.aldrete.total}/10 ({d.aldrete.activity}/{d.aldrete.respiration}/"
                                       f"{d.aldrete.circulation}/{d.aldrete.consciousness}/{d.aldrete.oxygenation})",
                             "yes" if d.vitals_near_baseline else "no", d.responsible_adult, d.checked_by,
                             "discharged" if d.ready else f"override: {d.override_reason}")
                            for d in discharges(record)))
    return bp, infusion, events, scale_table, outcome_table, alarms, discharge
