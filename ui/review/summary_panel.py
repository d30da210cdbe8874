"""The summary panel: CLINICAL.md's review summary of the open session, as the core computed it.

Only layout here: every figure comes from monitor.review.summary.SessionSummary.
Times are in the session's own time zone.
"""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QTextBrowser

from monitor.alarms.model import Priority
from monitor.clinical.dosing import mg_text
from monitor.clinical.scales import SCALE_NAMES
from monitor.review.summary import (
    NOTICE,
    SPO2_THRESHOLDS,
    OutcomesSection,
    ParamFigures,
    Reading,
    SessionSummary,
    held_words,
)
from monitor.timefmt import date_time_text, hms, time_text, zone
from ui import theme

STYLE = (f"body {{ color: {theme.TEXT}; font-size: 15px; }} h3 {{ color: {theme.INFUSION}; margin: 10px 0 2px 0; }}"
         "td { padding: 1px 8px 1px 0; vertical-align: top; } td.k { color: #8a8f96; } .warn { color: #f5c400; } "
         f".flag {{ background: {theme.ALARM_BG[Priority.MEDIUM]}; color: {theme.ALARM_FG[Priority.MEDIUM]}; "
         "font-weight: bold; } .notice { color: #ffb347; font-size: 13px; }")


class SummaryPanel(QTextBrowser):
    """Shows a SessionSummary; empty until the worker has computed one."""

    def __init__(self) -> None:
        super().__init__()
        self.setOpenLinks(False)
        self.setStyleSheet(f"QTextBrowser {{ background: {theme.PANEL}; border: 0; }}")
        self.summary: SessionSummary | None = None
        self.setHtml(f"<style>{STYLE}</style><body><p>Computing the summary…</p></body>")

    def show_summary(self, summary: SessionSummary) -> None:
        """Lay the summary out: session, outcomes, infusion, vital signs, alarms, events, scales, discharge."""
        self.summary = summary
        self.setHtml(f"<style>{STYLE}</style><body>{summary_html(summary)}</body>")


def summary_html(s: SessionSummary) -> str:
    """Return the summary as HTML tables (the text of the panel, also what its tests read)."""
    tz = zone(s.meta.tz)

    def at(t: float | None) -> str:
        return "—" if t is None else time_text(t, tz)

    def reading(r: Reading | None, unit: str = "") -> str:
        return "—" if r is None else f"<b>{r.value:.0f}</b>{unit} at {at(r.t)}"

    m, inf, base = s.meta, s.infusion, s.baseline
    out = [f"<h3>Session {escape(m.ref)} · {escape(m.identity)}</h3>"]
    if s.simulated:  # above everything: none of these values is a patient's
        out.append(f"<p class='warn'><b>{escape(s.simulated_notice)}</b></p>")
    out.append(_rows([("state", escape(m.state) + (f" ({escape(m.end_reason or '')})" if m.state == "interrupted"
                                                   else "")),
                      ("started", f"{date_time_text(m.started_utc, tz)} {m.tz}"),
                      ("length", hms(m.duration_s) if m.duration_s is not None
                       else f"running, {hms(s.at - m.started_utc)}")]
                     + ([("signing", escape(s.signing))] if s.signing else [])))
    if s.outcomes is not None:
        out += _outcomes_html(s.outcomes, at, lambda t: date_time_text(t, tz))
    out.append("<h3>Infusion</h3>")
    if inf is None:
        out.append("<p>none planned</p>")
    else:
        state = (f"<span class='warn'><b>stopped early</b>: {escape(inf.stop_reason or 'no reason recorded')}</span>"
                 if s.stopped_early else escape(inf.state.replace("_", " ")))
        pairs = [("dose", f"planned <b>{_mg(s.planned_mg)}</b>, delivered <b>{_mg(inf.delivered_mg)}</b>"),
                 ("state", state),
                 ("start / end", f"{at(inf.start_utc)} / {at(inf.end_utc)}"), ("running", hms(inf.running_s))]
        pairs += [(f"pause {k + 1}", f"{at(p.start_utc)} for {hms(p.duration_s(s.at))}"
                   + (f": {escape(p.reason)}" if p.reason else "")) for k, p in enumerate(inf.pauses)]
        pairs += [("rate change", f"{at(e.t)} to {e.rate_ml_per_h:g} mL/h: {escape(e.reason)}") for e in inf.rate_changes]
        out.append(_rows(pairs))
    if s.start_checks:  # a start over unmet items stands out, in the infusion's section whether or not it ran
        out.append(_rows([("start", f"<span class='warn'>{at(t)} {escape(c.text)}</span>") for t, c in s.start_checks]))
    out.append("<h3>Vital signs</h3>")
    bp_base = "—" if "sbp" not in base else f"{base['sbp']:.0f}/{base.get('dbp', float('nan')):.0f}"
    rise = ""
    if s.peak_sbp is not None and "sbp" in base:
        rise = f" ({s.peak_sbp.value - base['sbp']:+.0f})"
    pairs = [("baseline BP", bp_base), ("peak SBP", reading(s.peak_sbp) + rise), ("peak DBP", reading(s.peak_dbp)),
             ("BP readings", f"{s.nibp_readings}" + (f", {s.nibp_failed} failed" if s.nibp_failed else "")),
             ("baseline pulse", "—" if "pulse_rate" not in base else f"{base['pulse_rate']:.0f}")]
    pairs += _figures_rows("pulse", s.pulse, reading, high=True)
    pairs += _figures_rows("SpO₂", s.spo2, reading, high=False)
    if s.spo2 is not None:
        for threshold in SPO2_THRESHOLDS:
            seconds = s.seconds_spo2_below(threshold) or 0.0
            cls = " class='warn'" if seconds else ""
            pairs.append((f"below {threshold} %", f"<span{cls}>{hms(seconds)}</span>"))
        pairs.append(("SpO₂ valid for", f"{hms(s.spo2.covered_s)} ({escape(s.spo2.source)})"))
    out.append(_rows(pairs))
    counts = s.alarm_counts()
    out.append("<h3>Alarms</h3>")
    out.append(_rows([("by priority", f"{counts['high']} high · {counts['medium']} medium · {counts['low']} low"),
                     ("technical", str(counts["technical"]))]
                    + ([("questionnaire flag", str(counts["flag"]))] if counts["flag"] else [])))
    out.append(f"<h3>Events ({len(s.markers)})</h3>")
    out.append(_rows([(at(r.t), escape(r.label + (f": {r.note}" if r.note else "")) + f" · {escape(r.user)}"
                      + (f" <span class='warn'>(corrected: {escape(r.reason)})</span>" if r.revision > 1 or r.reason
                         else "")) for r in s.markers]) if s.markers else "<p>none</p>")
    out.append(f"<h3>Scales ({len(s.scales)})</h3>")
    out.append(_rows([(at(x.entry.t), f"{escape(SCALE_NAMES.get(x.entry.scale, x.entry.scale))} <b>{x.entry.total}"
                      + (f"/{x.entry.max_total}" if x.entry.max_total else "") + f"</b> · {escape(x.user or '?')}"
                      + (f" <span class='warn'>(entered late: {escape(x.entry.reason)})</span>" if x.entry.reason
                         else "")) for x in s.scales]) if s.scales else "<p>none</p>")
    out.append("<h3>Observation and discharge</h3>")
    obs = s.observation_min
    d = s.discharge
    pairs = [("observation", "—" if obs is None else f"{obs:.0f} min")]
    if d is not None:
        verdict = "ready" if d.ready else (f"override: {escape(d.override_reason)}" if d.override_reason
                                           else "not ready: " + escape("; ".join(d.unmet)))
        pairs.append(("discharge", f"Aldrete <b>{d.aldrete.total}</b> at {at(d.t)} by {escape(d.checked_by)}, {verdict}"))
    else:
        pairs.append(("Aldrete", "not assessed" if s.aldrete is None else str(s.aldrete)))
    out.append(_rows(pairs))
    out += [f"<p class='warn'>Unreadable record: {escape(u)}</p>" for u in s.unreadable]
    out.append(f"<p class='notice'>{escape(NOTICE)}</p>")
    return "".join(out)


def _outcomes_html(o: OutcomesSection, at, day) -> list[str]:
    """Return the outcomes section: each questionnaire, each item-9 flag (NOT REVIEWED in the flag colour, or
    who reviewed it, when and what they wrote), the forecast with OUTSIDE."""
    out = [f"<h3>Outcomes ({len(o.questionnaires)})</h3>"]
    pairs = [(at(q.t), f"{escape(q.definition.name)} <b>{q.total}</b>/{q.definition.max_total} {escape(q.band)}"
              f" · {escape(q.user)}") for q in o.questionnaires]
    for f in o.flags:
        if f.reviewed:
            words = "<br>".join(f"reviewed by <b>{escape(r.reviewer)}</b> {day(r.t)}: {escape(r.note)}"
                                for r in f.reviews)
        else:
            words = "<span class='flag'>&nbsp;NOT REVIEWED: a clinician must assess the patient&nbsp;</span>"
        pairs.append(("<span class='warn'><b>item 9</b></span>", f"{escape(f.score.flag_text)}<br>{words}"))
    if o.forecast is not None:
        held = held_words(o.forecast_held)
        cls = " class='warn'" if o.forecast_held is False else ""
        pairs.append(("BP forecast", escape(o.forecast.text) + (f"<span{cls}><b>{escape(held)}</b></span>"
                                                                if held else "")))
    elif o.forecast_problem:
        pairs.append(("BP forecast", "not available: " + escape(o.forecast_problem)))
    out.append(_rows(pairs) if pairs else "<p>no questionnaire entered in this session</p>")
    return out


def _rows(pairs: list[tuple[str, str]]) -> str:
    return "<table>" + "".join(f"<tr><td class='k'>{k}</td><td>{v}</td></tr>" for k, v in pairs) + "</table>"


def _figures_rows(name: str, figures: ParamFigures | None, reading, high: bool) -> list[tuple[str, str]]:
    if figures is None:
        return [(name, "no valid values")]
    rows = [(f"lowest {name}", reading(figures.low, " %" if name == "SpO₂" else ""))]
    if high:
        rows.insert(0, (f"peak {name}", reading(figures.high)))
    return rows


def _mg(value: float | None) -> str:
    return "—" if value is None else mg_text(value)
