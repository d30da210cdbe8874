"""The review summary of one session (CLINICAL.md, "Review summary per session").

Computed from a SessionSource and a SessionMeta, so it reads the same from a
chair's SQLite file and from the central store. Decisions, stated once:

- SpO2 and pulse figures come from the *primary* source of each parameter:
  the first device in the session's device order that gave a valid value
  (the live screen shows the first device too). Every source's own figures
  are kept beside them (`figures`).
- A value counts only when it is valid: not "no value", and not flagged
  questionable or artifact by the device (the alarm engine ignores those too).
- A stored value stands for the time until the next stored value of its
  source and parameter, at most HOLD_S: the recorder stores every value at
  least once a second while a device sends, so a longer silence is a gap, and
  a gap is not below anything. Time below a threshold is strict (SpO2 < 94).
- Peak SBP and DBP are the highest valid BP readings of any BP source (a
  module, a multi-parameter monitor, or typed in by the nurse).
- Baselines are the ones the session recorded (Baseline records): the BP
  before the infusion, SpO2 and pulse at its start. A later baseline (the
  first one had grown too old) replaces an earlier one.
- The infusion is read by the engine's own fold (clinical.infusion.
  infusion_history), as the central station reads it. Delivered dose is the
  engine's figure in the last infusion event; while an infusion runs at the end of the record (a running session,
  or an interrupted one) it is carried on at the last rate up to the end
  (now, or the interrupted session's last data), never beyond the planned total.
- Events are the markers as last corrected (deleted ones left out); every
  revision stays in the journal.
- The discharge score is the modified Aldrete of the last discharge
  assessment, or of the last Aldrete scored as a scale when there was none.
- Outcomes (OutcomesSection, added by monitor.review.session_outcomes, which
  reads the patient's course): the questionnaires entered in this session,
  their item-9 flags with every review of the patient's sessions, and the BP
  forecast this infusion had with whether its peak fell outside it (the
  course's own rule). "Stopped early" is the infusion fold's state.
Times are UTC epoch seconds inside, ISO 8601 UTC with Z in JSON, the session's
own time zone in the text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from monitor.alarms.keys import AppAlarm
from monitor.alarms.lives import AlarmLife, alarm_lives
from monitor.clinical.dosing import DoseError, DosePlan, exact, mg_text
from monitor.clinical.forecast import BpForecast
from monitor.clinical.infusion import InfusionHistory, InfusionState, infusion_history
from monitor.clinical.markers import current_markers
from monitor.clinical.outcomes import OutcomeFlag
from monitor.clinical.scales import SCALE_NAMES
from monitor.patient_id import identity_text
from monitor.record.journal import (
    Baseline,
    Discharge,
    InfusionEvent,
    MarkerRevision,
    PhaseChange,
    ScaleEntry,
    StartCheck,
)
from monitor.record.outcomes import OutcomeScore
from monitor.record.signing import SigningMode
from monitor.review.series import valid_series
from monitor.storage.sessions import SessionMeta, SessionRecord, SessionSource
from monitor.timefmt import date_time_text, hms, iso_utc, time_text, zone

#: SpO2 thresholds (%) the summary counts time below (CLINICAL.md: 94 medium, 90 high).
SPO2_THRESHOLDS = (94, 90)
#: Longest time (s) one stored numeric stands for; a longer silence is a gap.
HOLD_S = 3.0  # three missed 1 s reports
#: Parameters the summary reads from the numerics.
SUMMARY_PARAMS = ("spo2", "pulse_rate")
NOTICE = "infusion-monitor is not a certified medical device; check figures against the clinical record."


@dataclass(frozen=True)
class Reading:
    """A value and when it was taken (UTC epoch s), from which source."""

    value: float
    t: float
    source: str


@dataclass(frozen=True)
class ParamFigures:
    """One parameter of one source over the session: lowest and highest valid value, valid time, time below.

    covered_s is the time covered by valid values (s); below_s pairs each
    threshold with the seconds of valid values strictly below it.
    """

    source: str
    parameter: str
    low: Reading | None
    high: Reading | None
    covered_s: float
    below_s: tuple[tuple[float, float], ...] = ()

    def seconds_below(self, threshold: float) -> float | None:
        """Return the seconds below threshold, None if it was not counted."""
        return next((s for thr, s in self.below_s if thr == threshold), None)


@dataclass(frozen=True)
class PhaseSpan:
    """A session phase and when it began and ended (UTC epoch s; end None while it lasts)."""

    phase: str
    start_utc: float
    end_utc: float | None


@dataclass(frozen=True)
class ScaleLine:
    """A scale score with who entered it and when it was entered (later than assessed when entered late)."""

    entry: ScaleEntry
    user: str
    entered_utc: float


@dataclass(frozen=True)
class OutcomesSection:
    """The session's clinical story beyond its vitals: questionnaires, item-9 flags, the BP forecast it had.

    questionnaires are the entries journaled in this session (time order); flags those of them that are
    flagged, each with every review found in the patient's sessions; forecast the forecast this infusion had
    from the earlier ones (None without a patient, a planned dose or a course) and forecast_held the
    course's verdict on it (None without both a forecast and a peak); forecast_problem says why a forecast
    could not be read ("" when none was wanted or it was read).
    """

    questionnaires: tuple[OutcomeScore, ...]
    flags: tuple[OutcomeFlag, ...]
    forecast: BpForecast | None = None
    forecast_held: bool | None = None
    forecast_problem: str = ""

    @property
    def unreviewed(self) -> int:
        """Return how many flags no clinician has reviewed."""
        return sum(1 for f in self.flags if not f.reviewed)

    def to_json(self) -> dict[str, Any]:
        """Return the section as JSON-ready values (null when absent)."""
        f = self.forecast
        return {
            "questionnaires": [{"outcome_id": s.id, "t_utc": _iso(s.t), "instrument": s.instrument,
                                "name": s.definition.name, "total": s.total, "max_total": s.definition.max_total,
                                "band": s.band, "flag": s.flag, "user": s.user, "mode": s.mode}
                               for s in self.questionnaires],
            "flags": [{"outcome_id": x.score.id, "t_utc": _iso(x.score.t), "flag_text": x.score.flag_text,
                       "reviewed": x.reviewed,
                       "reviews": [{"reviewer": r.reviewer, "note": r.note, "t_utc": _iso(r.t)} for r in x.reviews]}
                      for x in self.flags],
            "unreviewed_flags": self.unreviewed,
            "forecast_peak_sbp": None if f is None else {
                "expected": _round(f.expected_peak), "low": _round(f.peak_low), "high": _round(f.peak_high),
                "coverage": f.coverage, "text": f.text},
            "forecast_held": self.forecast_held,
            "forecast_problem": self.forecast_problem or None,
        }

    def lines(self, at: Callable[[float | None], str], day: Callable[[float], str]) -> list[str]:
        """Return the section's text lines; at writes a time of this session, day a date and time of any."""
        out = [f"Outcomes   {len(self.questionnaires)} questionnaire(s)"
               + (f", {self.unreviewed} item-9 flag(s) NOT REVIEWED" if self.unreviewed else "")]
        out += [f"           {at(s.t)} {s.summary} by {s.user}" for s in self.questionnaires]
        for x in self.flags:
            out.append(f"           FLAG {x.score.flag_text}: "
                       + ("NOT REVIEWED: a clinician must assess the patient" if not x.reviewed else
                          "; ".join(f"reviewed by {r.reviewer} {day(r.t)}: {r.note}" for r in x.reviews)))
        if self.forecast is not None:
            out.append(f"Forecast   {self.forecast.text}" + held_words(self.forecast_held))
        elif self.forecast_problem:
            out.append(f"Forecast   not available: {self.forecast_problem}")
        return out


def held_words(held: bool | None) -> str:
    """Say where the actual peak fell against the forecast range ("" when it cannot be said)."""
    return "" if held is None else "; actual peak " + ("within the range" if held else "OUTSIDE the range")


@dataclass(frozen=True)
class SessionSummary:
    """The review summary of one session. `at` is the time the figures run to (end, or now while running)."""

    meta: SessionMeta
    at: float
    planned_mg: float | None
    infusion: InfusionHistory | None
    baseline: dict[str, float]
    peak_sbp: Reading | None
    peak_dbp: Reading | None
    nibp_readings: int
    nibp_failed: int
    spo2: ParamFigures | None
    pulse: ParamFigures | None
    figures: tuple[ParamFigures, ...]
    alarms: tuple[AlarmLife, ...]
    markers: tuple[MarkerRevision, ...]
    marker_corrections: int
    scales: tuple[ScaleLine, ...]
    phases: tuple[PhaseSpan, ...]
    discharge: Discharge | None
    aldrete: int | None
    unreadable: tuple[str, ...] = field(default=())
    outcomes: OutcomesSection | None = None
    simulated: frozenset[str] = frozenset()  # sources whose device was a simulator (SessionRecord.simulated_sources)
    start_checks: tuple[tuple[float, StartCheck], ...] = ()  # Start's confirmations over unmet items (t UTC epoch s)
    signing: str = ""  # whether the actions were signed with staff PINs (signing_text); "" for a session before PINs

    @property
    def simulated_notice(self) -> str:
        """Return the line every view of this session's values carries when a device was a simulator ('' if none)."""
        return (f"SIMULATED device(s): {', '.join(sorted(self.simulated))}. Their values are not a patient's."
                if self.simulated else "")

    @property
    def stopped_early(self) -> bool:
        """Tell whether the infusion was stopped before its planned end (the infusion fold's state)."""
        return self.infusion is not None and self.infusion.state is InfusionState.STOPPED

    # --- derived figures -------------------------------------------------------------------

    @property
    def delivered_mg(self) -> float | None:
        """Return the dose delivered (mg), None when no infusion was planned."""
        return None if self.infusion is None else self.infusion.delivered_mg

    @property
    def observation_min(self) -> float | None:
        """Return minutes spent in observation (to discharge, the session's end, or now), None if never observed."""
        span = next((p for p in self.phases if p.phase == "observation"), None)
        if span is None:
            return None
        return max(0.0, ((self.at if span.end_utc is None else span.end_utc) - span.start_utc) / 60.0)

    def seconds_spo2_below(self, threshold: float) -> float | None:
        """Return seconds of valid primary SpO2 below threshold (%), None without SpO2."""
        return None if self.spo2 is None else self.spo2.seconds_below(threshold)

    def alarm_counts(self) -> dict[str, int]:
        """Return how many alarms there were: total, by highest priority, and technical vs physiological."""
        return alarm_counts(self.alarms)

    # --- output ----------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """Return the summary as JSON-ready values (the `summary --format json` contract; null when absent)."""
        m, inf = self.meta, self.infusion
        out: dict[str, Any] = {
            "session_id": m.id, "session_ref": m.ref, "session_uid": m.uid, "patient_id": m.patient_id,
            "birth_date": m.birth_date, "second_id": m.second_id, "second_id_label": m.second_id_label,
            "state": m.state, "end_reason": m.end_reason, "tz": m.tz,
            "started_utc": _iso(m.started_utc), "ended_utc": _iso(m.ended_utc), "figures_until_utc": _iso(self.at),
            "duration_s": _round(m.duration_s),
            "weight_kg": m.weight_kg, "dose_mg_per_kg": m.dose_mg_per_kg, "planned_min": m.infusion_min,
            "planned_mg": _round(self.planned_mg, 3), "delivered_mg": _round(self.delivered_mg, 3),
            "infusion": None if inf is None else {
                "state": inf.state.value, "start_utc": _iso(inf.start_utc), "end_utc": _iso(inf.end_utc),
                "running_s": _round(inf.running_s), "paused_s": _round(inf.paused_s),
                "pauses": [{"start_utc": _iso(p.start_utc), "end_utc": _iso(p.end_utc),
                            "duration_s": _round(p.duration_s(self.at)), "reason": p.reason, "user": p.user}
                           for p in inf.pauses],
                "rate_changes": [{"t_utc": _iso(e.t), "rate_ml_per_h": e.rate_ml_per_h, "reason": e.reason,
                                  "user": e.user} for e in inf.rate_changes],
                "stop_reason": inf.stop_reason or None, "confirmed_by": inf.confirmed_by or None},
            "baseline_sbp": self.baseline.get("sbp"), "baseline_dbp": self.baseline.get("dbp"),
            "baseline_pulse": self.baseline.get("pulse_rate"), "baseline_spo2": self.baseline.get("spo2"),
        }
        for name, reading in (("sbp", self.peak_sbp), ("dbp", self.peak_dbp)):
            out[f"peak_{name}"] = None if reading is None else reading.value
            out[f"peak_{name}_utc"] = None if reading is None else _iso(reading.t)
        out["nibp_readings"], out["nibp_failed"] = self.nibp_readings, self.nibp_failed
        pulse_high = self.pulse.high if self.pulse else None
        pulse_low = self.pulse.low if self.pulse else None
        spo2_low = self.spo2.low if self.spo2 else None
        out.update({
            "peak_pulse": _value(pulse_high), "peak_pulse_utc": _when(pulse_high),
            "min_pulse": _value(pulse_low), "min_pulse_utc": _when(pulse_low),
            "pulse_source": self.pulse.source if self.pulse else None,
            "min_spo2": _value(spo2_low), "min_spo2_utc": _when(spo2_low),
            "spo2_source": self.spo2.source if self.spo2 else None,
            "seconds_spo2_valid": _round(self.spo2.covered_s) if self.spo2 else None,
        })
        for threshold in SPO2_THRESHOLDS:
            out[f"seconds_spo2_below_{threshold}"] = _round(self.seconds_spo2_below(threshold))
        out["sources"] = [{"source": f.source, "parameter": f.parameter, "min": _value(f.low), "min_utc": _when(f.low),
                           "max": _value(f.high), "max_utc": _when(f.high), "seconds_valid": _round(f.covered_s),
                           **{f"seconds_below_{_num(thr)}": _round(s) for thr, s in f.below_s}}
                          for f in self.figures]
        out["alarms"] = self.alarm_counts()
        out["events"] = len(self.markers)
        out["event_corrections"] = self.marker_corrections
        out["event_list"] = [{"t_utc": _iso(r.t), "code": r.code, "label": r.label, "note": r.note, "user": r.user,
                              "revision": r.revision, "reason": r.reason or None} for r in self.markers]
        out["scales"] = [{"t_utc": _iso(s.entry.t), "scale": s.entry.scale, "total": s.entry.total,
                          "max_total": s.entry.max_total, "time_points": list(s.entry.time_points), "user": s.user,
                          "entered_utc": _iso(s.entered_utc), "reason": s.entry.reason or None}
                         for s in self.scales]
        out["phases"] = [{"phase": p.phase, "start_utc": _iso(p.start_utc), "end_utc": _iso(p.end_utc)}
                         for p in self.phases]
        out["observation_min"] = _round(self.observation_min, 1)
        out["aldrete"] = self.aldrete
        d = self.discharge
        out["discharge"] = None if d is None else {
            "t_utc": _iso(d.t), "aldrete": d.aldrete.total, "ready": d.ready, "closed": d.closed,
            "checked_by": d.checked_by, "responsible_adult": d.responsible_adult, "unmet": list(d.unmet),
            "override_reason": d.override_reason or None}
        out["stopped_early"] = self.stopped_early
        out["signing"] = self.signing or None
        out["start_checks"] = [{"t_utc": _iso(t), "unmet": list(c.unmet), "started": c.started, "user": c.user}
                               for t, c in self.start_checks]
        out["outcomes"] = None if self.outcomes is None else self.outcomes.to_json()
        if self.unreadable:
            out["unreadable_records"] = list(self.unreadable)
        out["simulated_sources"] = sorted(self.simulated)
        out["notice"] = NOTICE
        return out

    def text(self) -> str:
        """Return the summary for people, times in the session's own time zone."""
        m, inf, tz = self.meta, self.infusion, zone(self.meta.tz)

        def at(t: float | None) -> str:
            return "-" if t is None else time_text(t, tz)

        started = date_time_text(m.started_utc, tz)
        lines = [f"Session {m.ref}  patient {identity_text(m.patient_id or '-', None, m.second_id_text)}  {m.state}" +
                 (f" ({m.end_reason})" if m.state == "interrupted" and m.end_reason else ""),
                 f"  {started} {m.tz} to {at(m.ended_utc) if m.ended_utc else 'now (running)'}"
                 + (f", {hms(m.duration_s)}" if m.duration_s is not None else "")]
        if self.simulated:
            lines.append(self.simulated_notice)
        if self.signing:
            lines.append(f"Signing    {self.signing}")
        if inf is None:
            lines.append("Infusion   none planned")
        else:
            lines.append(f"Infusion   planned {mg_text(self.planned_mg)}, delivered {mg_text(inf.delivered_mg)}; "
                         f"{inf.state.value.replace('_', ' ')}")
            if inf.start_utc is not None:
                lines.append(f"           start {at(inf.start_utc)}, end {at(inf.end_utc)}, "
                             f"running {hms(inf.running_s)}"
                             + (f", stopped early: {inf.stop_reason or 'no reason recorded'}"
                                if self.stopped_early else ""))
            for p in inf.pauses:
                lines.append(f"           pause {at(p.start_utc)} for {hms(p.duration_s(self.at))}"
                             + (f": {p.reason}" if p.reason else "") + (f" ({p.user})" if p.user else ""))
            for e in inf.rate_changes:
                lines.append(f"           rate {e.rate_ml_per_h:g} mL/h at {at(e.t)}: {e.reason} ({e.user})")
        for t, check in self.start_checks:
            lines.append(f"Start      {at(t)} {check.text}")
        base = self.baseline
        bp_base = f"{_n(base.get('sbp'))}/{_n(base.get('dbp'))}" if "sbp" in base or "dbp" in base else "-"
        peak = "-"
        if self.peak_sbp is not None:
            rise = f", {self.peak_sbp.value - base['sbp']:+.0f}" if "sbp" in base else ""
            peak = f"SBP {_n(self.peak_sbp.value)} at {at(self.peak_sbp.t)}{rise}"
        if self.peak_dbp is not None:
            peak += f"; DBP {_n(self.peak_dbp.value)} at {at(self.peak_dbp.t)}"
        lines.append(f"BP         baseline {bp_base}, peak {peak} ({self.nibp_readings} readings"
                     + (f", {self.nibp_failed} failed" if self.nibp_failed else "") + ")")
        if self.pulse is not None:
            lines.append(f"Pulse      baseline {_n(base.get('pulse_rate'))}, peak {_reading(self.pulse.high, at)}, "
                         f"lowest {_reading(self.pulse.low, at)} ({self.pulse.source})")
        else:
            lines.append("Pulse      no valid values")
        if self.spo2 is not None:
            below = ", ".join(f"below {t} %: {hms(self.seconds_spo2_below(t) or 0)}" for t in SPO2_THRESHOLDS)
            lines.append(f"SpO₂       lowest {_reading(self.spo2.low, at, '%')}; {below} "
                         f"(of {hms(self.spo2.covered_s)} valid, {self.spo2.source})")
        else:
            lines.append("SpO₂       no valid values")
        lines.append(f"Alarms     {alarm_counts_text(self.alarm_counts())}")
        lines.append(f"Events     {len(self.markers)}" + (f" ({self.marker_corrections} corrections)"
                                                           if self.marker_corrections else ""))
        for r in self.markers:
            lines.append(f"           {at(r.t)} {r.label}" + (f": {r.note}" if r.note else "") + f" ({r.user})"
                         + (f" [revision {r.revision}: {r.reason}]" if r.revision > 1 else ""))
        lines.append(f"Scales     {len(self.scales)}")
        for s in self.scales:
            e = s.entry
            total = f"{e.total}/{e.max_total}" if e.max_total else f"{e.total}"
            late = f" [entered {at(s.entered_utc)}: {e.reason}]" if e.reason else ""
            lines.append(f"           {at(e.t)} {SCALE_NAMES.get(e.scale, e.scale)} {total}"
                         + (f" ({', '.join(e.time_points)})" if e.time_points else "") + f" by {s.user or '?'}{late}")
        obs = self.observation_min
        lines.append("Observation " + ("-" if obs is None else f"{obs:.0f} min"))
        d = self.discharge
        if d is not None:
            verdict = "ready" if d.ready else ("override: " + d.override_reason if d.override_reason else "not ready")
            lines.append(f"Discharge  Aldrete {d.aldrete.total} at {at(d.t)} by {d.checked_by}, {verdict}")
        else:
            lines.append("Discharge  " + (f"Aldrete {self.aldrete}" if self.aldrete is not None else "not assessed"))
        if self.outcomes is not None:
            lines += self.outcomes.lines(at, lambda t: date_time_text(t, tz))
        for problem in self.unreadable:
            lines.append(f"Unreadable record: {problem}")
        lines.append(NOTICE)
        return "\n".join(lines)


def summarize(source: SessionSource, meta: SessionMeta, now: float | None = None,
              vitals: bool = True, series: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] | None = None,
              record: SessionRecord | None = None) -> SessionSummary:
    """Compute the review summary of a session; now (UTC epoch s) ends the figures of a running session.

    vitals False leaves the stored numerics unread (no SpO2 or pulse figures), for callers that need only
    the plan, dose, BP, scales and events and must be quick (the BP forecast before an infusion). series
    (valid_series of at least SUMMARY_PARAMS) and record may be passed in by a reader that has them.
    """
    record = source.record(meta) if record is None else record
    end = meta.end(now)
    if series is None:
        series = valid_series(source, meta, SUMMARY_PARAMS) if vitals else {}
    series = {key: value for key, value in series.items() if key[1] in SUMMARY_PARAMS}
    order = source_order(record, [src for src, _ in series])
    figures = tuple(_figures(src, param, *series[(src, param)], end)
                    for param in SUMMARY_PARAMS for src in order if (src, param) in series)
    readings = [n for n in record.nibp if not n.error and n.sbp is not None and n.dbp is not None]
    revisions = [rev for _, rev in record.entries(MarkerRevision)]
    discharges = record.entries(Discharge)
    scales = tuple(sorted((ScaleLine(s, e.user, e.t) for e, s in record.entries(ScaleEntry)),
                          key=lambda line: line.entry.t))
    discharge = discharges[-1][1] if discharges else None
    aldretes = [line.entry.total for line in scales if line.entry.scale == "aldrete"]
    return SessionSummary(
        meta=meta, at=end, planned_mg=_planned_mg(meta), infusion=infusion_of(record, end),
        baseline=_baseline(record),
        peak_sbp=_peak(readings, "sbp"), peak_dbp=_peak(readings, "dbp"),
        nibp_readings=len(readings), nibp_failed=len(record.nibp) - len(readings),
        spo2=_primary(figures, "spo2"), pulse=_primary(figures, "pulse_rate"), figures=figures,
        alarms=tuple(alarm_lives(record.alarms, end)), markers=current_markers(revisions),
        marker_corrections=sum(1 for r in revisions if r.revision > 1), scales=scales,
        phases=phases_of(record),
        discharge=discharge,
        aldrete=discharge.aldrete.total if discharge is not None else (aldretes[-1] if aldretes else None),
        unreadable=record.unreadable, simulated=record.simulated_sources,
        start_checks=tuple((e.t, c) for e, c in record.entries(StartCheck)),
        signing=signing_text([mode for _, mode in record.entries(SigningMode)]))


def signing_text(modes: Sequence[SigningMode]) -> str:
    """Say whether a session's actions were signed, so no reader of a summary takes initials for a signature.

    The record holds a SigningMode at the start and at every change of the staff list; "" for a session
    recorded before signing existed (nothing is known, nothing is claimed).
    """
    if not modes:
        return ""
    if all(m.signed for m in modes):
        return "actions signed with staff PINs"
    if not any(m.signed for m in modes):
        return "actions NOT signed: no staff list, initials only"
    return "actions partly signed: no staff list for part of the session (initials only then)"


# --- pieces ---------------------------------------------------------------------------------


def alarm_counts(alarms: Iterable[AlarmLife]) -> dict[str, int]:
    """Count alarms: total, by highest priority, and technical vs physiological; a questionnaire's item-9 flag
    alarm is a clinical flag, counted on its own ("flag") and in neither the priorities nor the kinds, so a
    session without a physiological alarm never reads "0/1/0"."""
    counts = {"total": 0, "high": 0, "medium": 0, "low": 0, "technical": 0, "physiological": 0, "flag": 0}
    for a in alarms:
        counts["total"] += 1
        if a.condition == AppAlarm.OUTCOME_FLAG:
            counts["flag"] += 1
            continue
        if a.priority is not None:
            counts[a.priority.label] += 1
        counts["technical" if a.technical else "physiological"] += 1
    return counts


def alarm_counts_text(c: dict[str, int]) -> str:
    """Return alarm counts in words: "3: 1 high, 1 medium, 0 low (1 technical); 1 questionnaire flag", "none"."""
    if not c["total"]:
        return "none"
    flags = f"; {c['flag']} questionnaire flag alarm{'s' if c['flag'] != 1 else ''}" if c["flag"] else ""
    return f"{c['total']}: {c['high']} high, {c['medium']} medium, {c['low']} low ({c['technical']} technical){flags}"


def source_order(record: SessionRecord, present: Iterable[str]) -> list[str]:
    """Return sources in device order, then those without a device row in the order their values first came."""
    present = list(dict.fromkeys(present))
    order = [d.source for d in record.devices]
    return [*dict.fromkeys(s for s in order if s in present), *(s for s in present if s not in order)]


def _figures(source: str, param: str, t: np.ndarray, v: np.ndarray, end: float) -> ParamFigures:
    """Work out one series' extremes, valid time and (for SpO2) time below each threshold."""
    held = np.clip(np.diff(t, append=max(end, float(t[-1]))), 0.0, HOLD_S)
    ok = ~np.isnan(v)
    low = high = None
    if ok.any():
        i, j = int(np.nanargmin(v)), int(np.nanargmax(v))  # the first time the extreme was reached
        low, high = Reading(float(v[i]), float(t[i]), source), Reading(float(v[j]), float(t[j]), source)
    below = tuple((float(thr), float(held[ok & (v < thr)].sum())) for thr in SPO2_THRESHOLDS) if param == "spo2" else ()
    return ParamFigures(source, param, low, high, float(held[ok].sum()), below)


def _primary(figures: tuple[ParamFigures, ...], param: str) -> ParamFigures | None:
    """Return the figures of the first source (device order) with a valid value of param."""
    return next((f for f in figures if f.parameter == param and f.low is not None), None)


def _peak(readings: list, name: str) -> Reading | None:
    best = None
    for r in readings:
        value = getattr(r, name)
        if best is None or value > best.value:
            best = Reading(float(value), r.t, r.source)
    return best


def _planned_mg(meta: SessionMeta) -> float | None:
    """Return weight x dose (mg), exact for the decimals typed; None without a plan or with a broken one."""
    try:
        return float(exact(meta.weight_kg) * exact(meta.dose_mg_per_kg))  # type: ignore[arg-type]
    except DoseError:
        return None


def infusion_of(record: SessionRecord, end: float) -> InfusionHistory | None:
    """Read the session's infusion through the engine's fold, up to end (UTC epoch s); None when none was planned."""
    meta = record.meta
    plan = DosePlan(meta.weight_kg or 0, meta.dose_mg_per_kg or 0, meta.infusion_min or 0,
                    meta.bag_ml or DosePlan.bag_volume_ml)
    return infusion_history((ev for _, ev in record.entries(InfusionEvent)), plan, end)


def _baseline(record: SessionRecord) -> dict[str, float]:
    out: dict[str, float] = {}
    for _, b in record.entries(Baseline):
        out.update({k: float(v) for k in ("sbp", "dbp", "spo2", "pulse_rate") if (v := getattr(b, k)) is not None})
    return out


def phases_of(record: SessionRecord) -> tuple[PhaseSpan, ...]:
    """Return the phases in order: pre-infusion from the session start, then each recorded phase change."""
    changes = [(e.t, p.phase) for e, p in record.entries(PhaseChange)]
    starts = [(record.meta.started_utc, "pre_infusion"), *changes]
    spans = []
    for k, (t, phase) in enumerate(starts):
        nxt = starts[k + 1][0] if k + 1 < len(starts) else (None if phase == "closed" else record.meta.ended_utc)
        spans.append(PhaseSpan(phase, t, nxt))
    return tuple(spans)


def _iso(t: float | None) -> str | None:
    return None if t is None else iso_utc(t)


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def _value(r: Reading | None) -> float | None:
    return None if r is None else r.value


def _when(r: Reading | None) -> str | None:
    return None if r is None else iso_utc(r.t)


def _num(x: float) -> str:
    return f"{x:g}"


def _n(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _reading(r: Reading | None, at, unit: str = "") -> str:
    return "-" if r is None else f"{r.value:.0f}{(' ' + unit) if unit else ''} at {at(r.t)}"
