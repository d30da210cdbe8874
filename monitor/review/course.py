"""A patient's course of infusions: each infusion's figures side by side, the outcome measures with response
and remission, every item-9 flag with its reviews, and the BP forecast for the next infusion.

Built on a SessionSource (a chair's SQLite file or the central store) and the review summary: every figure
of an infusion is the summary's (monitor.review.summary), never computed again here. Decisions, stated once:

- The course is every session of the patient in start order; each is one row ("infusion"), also when its
  infusion never started (held, for example, for an item-9 flag): that row says so and has no dose.
- Which questionnaire counts for an infusion: of each instrument, the last entry made before or during it,
  that is after the previous infusion ended and no later than this one's end (the session's end when no
  infusion ran; open while it runs). Entries are gathered from all the patient's sessions, so an entry
  made after an infusion (in observation, or imported into a closed session before the next visit) counts
  for the next infusion; entries after the last infusion are kept as `later`.
- Response and remission are read on the series of counted PHQ-9 totals against the first counted total
  (monitor.clinical.outcomes.course): each row says whether its own total meets them; the course says whether the
  latest total does (None with fewer than two PHQ-9 totals) and from which infusion each was first met.
- Flags: every flagged entry of the patient with every review of it, from whichever session it was
  journaled in; never hidden, reviewed or not.
- BP forecast (monitor.clinical.forecast): each row has the forecast it had from the earlier infusions, at its own
  planned dose and baseline. The course's forecast is for the last session when its infusion has not
  started yet (the nurse is about to start it), otherwise for a next infusion at the last planned dose and
  the last baseline SBP; its words say which. Earlier infusions are those of ended sessions whose infusion
  started; their dose is the planned mg/kg when the infusion completed, else the delivered mg per kg.
  The forecast is advice: nothing here or in the forecast changes an alarm limit.
Times are UTC epoch seconds inside, ISO 8601 with Z in JSON, each session's own time zone in the text.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from monitor.alarms.profile import ProfileError, load_profile
from monitor.clinical.dosing import mg_text
from monitor.clinical.forecast import BpForecast, EarlierInfusion, ForecastPrior, forecast_peak_sbp
from monitor.clinical.outcomes import CoursePoint, OutcomeFlag, SessionOutcomes, course
from monitor.clinical.plan import CoursePlan
from monitor.record.instruments import INSTRUMENTS, PHQ9
from monitor.record.journal import ScaleEntry
from monitor.record.outcomes import OutcomeScore
from monitor.review.stored import summaries as stored_summaries
from monitor.review.summary import NOTICE, SessionSummary, summarize
from monitor.storage.outcomes import record_outcomes
from monitor.storage.sessions import SessionMeta, SessionSource
from monitor.timefmt import date_text, date_time_text, day_month_text, iso_utc

#: Event markers the course counts per infusion (codes of clinical.json "markers"), with the column heading.
COURSE_EVENTS = {"antiemetic": "antiemetic", "antihypertensive": "antihypertensive", "benzodiazepine": "benzodiazepine"}
#: Markers that are not side effects (the rescue drugs above are counted on their own; a note is free text).
NOT_SIDE_EFFECTS = frozenset(COURSE_EVENTS) | {"note"}


class CourseError(ValueError):
    """A course that cannot be built (a patient without sessions); one line for people."""


@dataclass(frozen=True)
class InfusionRow:
    """One infusion of the course: its review summary, the questionnaires that count for it, its forecast.

    outcomes holds the counted entry of each instrument (INSTRUMENTS order); entries every entry that fell
    to this infusion; phq9 the counted PHQ-9 read against the course's first; forecast what the earlier
    infusions predicted for it (None without a planned dose).
    """

    number: int
    summary: SessionSummary
    outcomes: tuple[OutcomeScore, ...]
    entries: tuple[OutcomeScore, ...]
    phq9: CoursePoint | None
    forecast: BpForecast | None
    flags: tuple[OutcomeFlag, ...] = ()  # the flags of the counted entries, with their reviews

    @property
    def meta(self) -> SessionMeta:
        return self.summary.meta

    @property
    def started(self) -> bool:
        """Tell whether the infusion was started."""
        inf = self.summary.infusion
        return inf is not None and inf.start_utc is not None

    @property
    def dose_mg_per_kg(self) -> float | None:
        """Return the planned dose (mg/kg)."""
        return self.meta.dose_mg_per_kg

    @property
    def delivered_mg(self) -> float | None:
        return self.summary.delivered_mg

    @property
    def given_text(self) -> str:
        """Return the mg delivered for a table ("26.25 mg", "35 mg"), or "not started"."""
        return mg_text(self.delivered_mg) if self.started else "not started"

    @property
    def stopped_early(self) -> bool:
        """Tell whether the infusion was stopped before its planned end."""
        inf = self.summary.infusion
        return inf is not None and inf.state == "stopped"

    @property
    def delivered_mg_per_kg(self) -> float | None:
        """Return the delivered dose per kg of the session's weight (mg/kg), None without a weight."""
        w, mg = self.meta.weight_kg, self.delivered_mg
        return None if mg is None or not w else mg / w

    @property
    def baseline_sbp(self) -> float | None:
        return self.summary.baseline.get("sbp")

    @property
    def peak_sbp(self) -> float | None:
        return None if self.summary.peak_sbp is None else self.summary.peak_sbp.value

    @property
    def sbp_rise(self) -> float | None:
        """Return peak minus baseline SBP (mmHg)."""
        return None if self.peak_sbp is None or self.baseline_sbp is None else self.peak_sbp - self.baseline_sbp

    @property
    def min_spo2(self) -> float | None:
        spo2 = self.summary.spo2
        return None if spo2 is None or spo2.low is None else spo2.low.value

    def _scale(self, code: str, pick) -> ScaleEntry | None:
        entries = [line.entry for line in self.summary.scales if line.entry.scale == code]
        return pick(entries, key=lambda e: e.total) if entries else None

    @property
    def max_cadss(self) -> ScaleEntry | None:
        """Return the highest CADSS scored (the most dissociation)."""
        return self._scale("cadss", max)

    @property
    def min_moaas(self) -> ScaleEntry | None:
        """Return the lowest MOAA/S scored (the deepest sedation)."""
        return self._scale("moaas", min)

    @property
    def events(self) -> dict[str, int]:
        """Return how many of each counted event (antiemetic, antihypertensive, benzodiazepine given) there were."""
        return {code: sum(1 for m in self.summary.markers if m.code == code) for code in COURSE_EVENTS}

    @property
    def alarms_text(self) -> str:
        """Return the alarms by their highest priority: "high/medium/low" counts, "1/1/0"."""
        a = self.summary.alarm_counts()
        return f"{a['high']}/{a['medium']}/{a['low']}"

    @property
    def top_alarm(self) -> str | None:
        """Return the highest priority of the infusion's alarms (high, medium, low), None without any."""
        a = self.summary.alarm_counts()
        return next((p for p in ("high", "medium", "low") if a[p]), None)

    @property
    def side_effects(self) -> dict[str, int]:
        """Return how many of each side-effect marker (nausea, vomiting, headache...) there were, in marking order."""
        counts: dict[str, int] = {}
        for m in self.summary.markers:
            if m.code not in NOT_SIDE_EFFECTS:
                counts[m.code] = counts.get(m.code, 0) + 1
        return counts

    def rescue_text(self) -> str:
        """Return the rescue drugs given for a table: "antiemetic 1, antihypertensive 1", "none"."""
        return ", ".join(f"{code} {n}" for code, n in self.events.items() if n) or "none"

    def side_effects_text(self) -> str:
        """Return the side effects for a table: "nausea 2, headache 1", "none"."""
        return ", ".join(f"{code} {n}" for code, n in self.side_effects.items()) or "none"

    def flag_of(self, code: str) -> OutcomeFlag | None:
        """Return the item-9 flag (with its reviews) of the counted entry of an instrument, None if not flagged."""
        s = self.outcome(code)
        return None if s is None else next((f for f in self.flags if f.score.id == s.id), None)

    def outcome(self, code: str) -> OutcomeScore | None:
        """Return the entry of an instrument that counts for this infusion."""
        return next((s for s in self.outcomes if s.instrument == code), None)

    def outcome_text(self, code: str) -> str:
        """Return the counted entry of an instrument for a table: "11 moderate response FLAG item 9 NOT REVIEWED",
        "-" if none; a flag says whether a clinician has reviewed it."""
        return " ".join(w for w in self.outcome_lines(code) if w)

    def outcome_lines(self, code: str) -> tuple[str, str, str]:
        """Return the counted entry of an instrument in three parts for a narrow cell: the total with its band
        ("11 moderate", "-" if none), what it meets ("response remission", ""), its flag ("FLAG item 9 NOT
        REVIEWED", "")."""
        s = self.outcome(code)
        if s is None:
            return "-", "", ""
        met = [w for w, yes in (("response", self.phq9 and self.phq9.response),
                                ("remission", self.phq9 and self.phq9.remission)) if yes and code == PHQ9.code]
        flag = f"FLAG item {s.definition.flag_item} " + _review_word(self.flag_of(code)) if s.flag else ""
        return f"{s.total} {s.definition.short_band(s.total, s.cutoff)}", " ".join(met), flag

    def forecast_text(self) -> str:
        """Return the forecast this infusion had, for a table: "175 (161-189)", "... OUTSIDE" when the actual peak
        fell outside the range, "-" without a forecast peak."""
        f = self.forecast
        if f is None or f.expected_peak is None:
            return "-"
        return (f"{f.expected_peak:.0f} ({f.peak_low:.0f}-{f.peak_high:.0f})"
                + (" OUTSIDE" if self.forecast_held() is False else ""))

    def forecast_held(self) -> bool | None:
        """Tell whether the actual peak fell within the forecast's range; None without both."""
        f = self.forecast
        if f is None or f.peak_low is None or self.peak_sbp is None or not self.started:
            return None
        return f.peak_low <= self.peak_sbp <= f.peak_high  # type: ignore[operator]


@dataclass(frozen=True)
class PhqChange:
    """The PHQ-9 response or remission lost (met False) or met again (met True) at an infusion, or on a day
    between visits (row None); t is when that PHQ-9 was answered, meta the session whose zone dates it."""

    what: str  # response, remission
    row: InfusionRow | None
    met: bool
    t: float
    meta: SessionMeta

    @property
    def text(self) -> str:
        """Return the change in words: "remission lost at infusion 8 (2023-12-01)", "response lost ... (relapse)",
        "remission lost on 2023-12-05, between visits"."""
        if self.row is not None:
            when = f"at infusion {self.row.number} ({session_day(self.row.meta)})"
        else:
            when = f"on {date_text(self.t, self.meta.tz)}, between visits"
        if self.met:
            return f"{self.what} met again {when}"
        return f"{self.what} lost {when}" + (" (relapse)" if self.what == "response" else "")


@dataclass(frozen=True)
class CourseFlag:
    """A flagged entry with its reviews and the session it was entered in."""

    flag: OutcomeFlag
    session: SessionMeta


@dataclass(frozen=True)
class Course:
    """A patient's course. forecast is for the infusion `forecast_for` names (None without any planned dose)."""

    patient_id: str
    patient_name: str
    rows: tuple[InfusionRow, ...]
    later: tuple[OutcomeScore, ...]
    flags: tuple[CourseFlag, ...]
    forecast: BpForecast | None
    forecast_for: str
    at: float
    sbp_limit: float | None = None  # the SBP high-alarm limit of the last session's profile (mmHg)
    plans: tuple[CoursePlan, ...] = ()  # every plan entered for the patient, oldest first; the last is in force

    # --- the planned course ----------------------------------------------------------------

    @property
    def plan(self) -> CoursePlan | None:
        """Return the planned course in force (the latest entered), None if none was entered."""
        return self.plans[-1] if self.plans else None

    def given_number(self, row: InfusionRow) -> int | None:
        """Return which infusion given this row's is (1-based, counting started ones); None if it never started."""
        return sum(r.started for r in self.rows[:row.number]) if row.started else None

    def place(self, row: InfusionRow, short: bool = False) -> str:
        """Return where a row's infusion stands in the plan ("induction 3 of 6", "booster 1"; short: "induction
        3/6"), "not given" if it never started, "" without a plan."""
        n = self.given_number(row)
        return "" if self.plan is None else "not given" if n is None else self.plan.place(n, short)

    def plan_words(self) -> str:
        """Return the plan in force, who made it, and what comes next, in one line; or that there is none."""
        plan = self.plan
        if plan is None:
            return "Planned course: none entered (infusion-monitor course --patient ID --plan N, or the course window)"
        given = [r for r in self.rows if r.started]
        last = None if not given else date.fromisoformat(session_day(given[-1].meta))
        by = f"{plan.by}, {date_text(plan.t, self.rows[-1].meta.tz)}" + (f": {plan.note}" if plan.note else "")
        return f"Planned course: {plan.text} ({by}); {len(given)} given; {plan.next_text(len(given), last)}"

    # --- response and remission ------------------------------------------------------------

    def phq9_points(self) -> list[tuple[InfusionRow, CoursePoint]]:
        """Return the counted PHQ-9 of each infusion that has one, read against the first."""
        return [(row, row.phq9) for row in self.rows if row.phq9 is not None]

    @property
    def phq9_response(self) -> bool | None:
        """Tell whether the latest PHQ-9 is a response (a fall of at least 50 %); None with fewer than two."""
        points = self.phq9_points()
        return points[-1][1].response if len(points) >= 2 else None

    @property
    def phq9_remission(self) -> bool | None:
        """Tell whether the latest PHQ-9 is a remission (below 5); None with fewer than two PHQ-9 totals."""
        points = self.phq9_points()
        return points[-1][1].remission if len(points) >= 2 else None

    def changes(self) -> list[PhqChange]:
        """Return each time the PHQ-9 response or remission was lost or met again after it was first met, in time
        order: a total that no longer meets what the one before it met is a loss ("remission lost at infusion
        8"); a loss of response is a relapse. The totals are each infusion's counted PHQ-9 and those answered on
        a day without an infusion (between visits), all read against the course's first. The one rule for the
        text, window, JSON and PDF."""
        points = self.phq9_points()
        if not points:
            return []
        where = {p.score.id: row for row, p in points}
        series = sorted([p.score for _, p in points[1:]] + between_visit_entries(self, PHQ9.code),
                        key=lambda s: s.t)
        series = [s for s in series if s.t >= points[0][1].score.t]
        read = course([points[0][1].score, *series])[1:]  # the first total is the reference, it meets nothing
        found = []
        for what in ("response", "remission"):
            met_before = False
            for prev, now in zip(read, read[1:]):
                was, met = bool(getattr(prev, what)), bool(getattr(now, what))
                met_before = met_before or was
                if was != met and met_before:
                    row = where.get(now.score.id)
                    found.append(PhqChange(what, row, met, now.score.t, self.rows[0].meta))
        return sorted(found, key=lambda c: (c.t, c.what != "remission"))

    def first_met(self, what: str) -> InfusionRow | None:
        """Return the first infusion after the first PHQ-9 whose total meets `what` (response or remission)."""
        return next((row for row, p in self.phq9_points()[1:] if getattr(p, what)), None)

    # --- output ----------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """Return the course as JSON-ready values (the `course --format json` contract; null when absent)."""
        first_response, first_remission = self.first_met("response"), self.first_met("remission")
        return {
            "patient_id": self.patient_id, "patient_name": self.patient_name or None,
            "figures_until_utc": iso_utc(self.at),
            "sessions": [_row_json(row) for row in self.rows],
            "phq9_first": _round(self.phq9_points()[0][1].score.total) if self.phq9_points() else None,
            "phq9_response": self.phq9_response, "phq9_remission": self.phq9_remission,
            "phq9_first_response_session": None if first_response is None else first_response.meta.id,
            "phq9_first_remission_session": None if first_remission is None else first_remission.meta.id,
            "phq9_changes": [{"what": ch.what, "infusion": None if ch.row is None else ch.row.number,
                              "session_id": None if ch.row is None else ch.row.meta.id, "met": ch.met,
                              "t_utc": iso_utc(ch.t)} for ch in self.changes()],
            "total_delivered_mg": _round(sum(r.delivered_mg or 0.0 for r in self.rows if r.started), 3),
            "plan": None if self.plan is None else _plan_json(self.plan),
            "earlier_plans": [_plan_json(p) for p in self.plans[:-1]],
            "plan_places": [self.place(row) or None for row in self.rows],
            "later_outcomes": [_score_json(s) for s in self.later],
            "flags": [{"session_id": f.session.id, "t_utc": iso_utc(f.flag.score.t),
                       "instrument": f.flag.score.instrument, "outcome_id": f.flag.score.id,
                       "text": f.flag.score.flag_text, "reviewed": f.flag.reviewed,
                       "reviews": [{"reviewer": r.reviewer, "note": r.note, "t_utc": iso_utc(r.t)}
                                   for r in f.flag.reviews]} for f in self.flags],
            "forecast_peak_sbp": None if self.forecast is None else {**_forecast_json(self.forecast),
                                                                     "for": self.forecast_for},
            "notice": NOTICE,
        }

    def text(self) -> str:
        """Return the course for people: one line per infusion, then outcomes, flags and the forecast."""
        rows = self.rows
        first, last = session_day(rows[0].meta), session_day(rows[-1].meta)
        lines = [f"Course of patient {self.patient_id}" + (f" ({self.patient_name})" if self.patient_name else "")
                 + f": {len(rows)} session{'s' if len(rows) != 1 else ''}, {first} to {last}"]
        codes = self.instruments()
        width = {c: max(len(INSTRUMENTS[c].name), *(len(r.outcome_text(c)) for r in rows)) for c in codes}
        fw = max(len("BP forecast"), *(len(r.forecast_text()) for r in rows))
        lines.append(f"{'#':>2}  {'date':<10} {'session':>7}  {'mg/kg':>5} {'given':>11}  {'SBP base/peak':<15} "
                     f"{'BP forecast':<{fw}}  {'SpO₂':>4} {'CADSS':>5} {'MOAA/S':>6}  {'rescue':<6} "
                     f"{'alarms':<6}  " + "  ".join(f"{INSTRUMENTS[c].name:<{width[c]}}" for c in codes)
                     + "  side effects")
        for row in rows:
            bp = f"{_num(row.baseline_sbp)}/{_num(row.peak_sbp)}" + (f" ({row.sbp_rise:+.0f})" if row.sbp_rise
                                                                      is not None else "")
            ev = row.events
            events = "/".join(str(ev[c]) for c in COURSE_EVENTS)
            cadss, moaas = row.max_cadss, row.min_moaas
            lines.append(f"{row.number:>2}  {session_day(row.meta):<10} {row.meta.ref:>7}  "
                         f"{_num(row.dose_mg_per_kg, 2):>5} {row.given_text:>11}  {bp:<15} "
                         f"{row.forecast_text():<{fw}}  {_num(row.min_spo2):>4} "
                         f"{_num(cadss and cadss.total):>5} {_num(moaas and moaas.total):>6}  {events:<6} "
                         f"{row.alarms_text:<6}  " + "  ".join(f"{row.outcome_text(c):<{width[c]}}" for c in codes)
                         + f"  {row.side_effects_text()}")
        lines.append("SBP mmHg (rise); BP forecast: expected peak (80 % range) before the infusion, OUTSIDE when "
                     "the peak fell outside it; SpO₂ lowest %; CADSS highest, MOAA/S lowest; rescue: antiemetic/"
                     "antihypertensive/benzodiazepine given; alarms: high/medium/low; response and remission "
                     "against the first PHQ-9")
        lines.append(self.total_dose_text())
        lines.append(self.plan_words())
        if self.plan is not None:
            lines.append("In the plan: " + "; ".join(f"#{r.number} {self.place(r)}" for r in rows))
        lines.append(self.phq9_words())
        for s in self.later:
            lines.append(f"Entered after the last infusion: {s.summary} ({session_time(s.t, rows[-1].meta)})")
        lines.append(self.flag_count_text())
        lines += [f"  {line}" for line in self.flag_words()]
        lines.append(self.forecast_words())
        lines.append(NOTICE)
        return "\n".join(lines)

    def instruments(self) -> list[str]:
        """Return the codes of the instruments entered in this course, in the clinic's usual order."""
        used = {s.instrument for row in self.rows for s in row.entries} | {s.instrument for s in self.later}
        return [c for c in INSTRUMENTS if c in used]

    def phq9_words(self) -> str:
        """Return response and remission in words ("PHQ-9 22 -> 9 (-59 %): response from infusion 4; ...")."""
        points = self.phq9_points()
        if len(points) < 2:
            return "PHQ-9: " + ("one total so far (" + str(points[0][1].score.total) + "); response and remission "
                                "need a second" if points else "no PHQ-9 entered; no response or remission to read")
        last = points[-1][1]
        change = "" if last.change_pct is None else f" ({last.change_pct:+.0f} %)"
        words = [f"PHQ-9 {points[0][1].score.total} at infusion {points[0][0].number} -> {last.score.total} at "
                 f"infusion {points[-1][0].number}{change}"]
        for what in ("response", "remission"):
            row = self.first_met(what)
            now = getattr(last, what)
            first = "" if row is None else f" (first met at infusion {row.number}, {session_day(row.meta)})"
            words.append(f"{what} {'yes' if now else 'no'}{first}")
        words += [c.text for c in self.changes()]
        return "; ".join(words)

    def total_dose_text(self) -> str:
        """Return the dose given over the course: "Total given: 262.5 mg over 9 infusions (1 stopped early)"."""
        started = [r for r in self.rows if r.started]
        stopped = sum(r.stopped_early for r in started)
        total = sum(r.delivered_mg or 0.0 for r in started)
        return (f"Total given: {mg_text(total)} over {len(started)} infusion{'s' if len(started) != 1 else ''}"
                + (f" ({stopped} stopped early)" if stopped else ""))

    def flag_count_text(self) -> str:
        """Return the item-9 flags in one line: "PHQ-9 item 9 flags: 2, 1 NOT REVIEWED (session 9)", "...: none"."""
        if not self.flags:
            return "PHQ-9 item 9 flags: none"
        open_ = [f.session.ref for f in self.flags if not f.flag.reviewed]
        return f"PHQ-9 item 9 flags: {len(self.flags)}, " + (
            f"{len(open_)} NOT REVIEWED (session {', '.join(open_)})" if open_ else "all reviewed")

    def flag_words(self) -> list[str]:
        """Return one line per item-9 flag: when, where, the answer, and its reviews or NOT REVIEWED."""
        lines = []
        for f in self.flags:
            reviews = "; ".join(f"{r.text} ({session_time(r.t, f.session)})" for r in f.flag.reviews)
            lines.append(f"{session_time(f.flag.score.t, f.session)} session {f.session.ref}: "
                         f"{f.flag.score.flag_text}; {reviews or 'NOT REVIEWED: a clinician must assess the patient'}")
        return lines

    def forecast_words(self) -> str:
        """Return the forecast for the next infusion in words, saying which infusion and plan it is for."""
        if self.forecast is None:
            return "BP forecast: no planned dose in this course, so no forecast"
        warning = self.forecast.limit_text(self.sbp_limit)
        return (f"BP forecast {self.forecast_for}: {self.forecast.text}" + (f"; CAUTION: {warning}" if warning else "")
                + " (advice only; it changes no alarm limit)")


# --- small plots across the course ------------------------------------------------------------


@dataclass(frozen=True)
class ChartSeries:
    """One series across the course, a value per infusion (None: none), drawn as a line with points, points
    only, or bars; low/high give a range per infusion (drawn as a whisker). Colours read on paper and on the
    dark screen alike."""

    label: str
    values: tuple[float | None, ...]
    color: str
    style: str = "line"  # line, points, bars
    low: tuple[float | None, ...] = ()
    high: tuple[float | None, ...] = ()
    xs: tuple[float, ...] = ()  # its own x positions (days on a calendar axis), one per value; empty: per infusion


@dataclass(frozen=True)
class CourseChart:
    """A small plot across the course: one x position per infusion (labels: number and date), y in `unit`,
    horizontal reference lines (value, label)."""

    title: str
    unit: str
    labels: tuple[str, ...]
    series: tuple[ChartSeries, ...]
    y_range: tuple[float, float]
    lines: tuple[tuple[float, str], ...] = ()
    days: tuple[float, ...] = ()  # a calendar axis: each infusion's day from the first; empty: a slot per infusion

    def x(self, i: int) -> float:
        """Return where infusion i (0-based) stands on the x axis: its day on a calendar axis, else its slot."""
        return self.days[i] if self.days else float(i)

    def position(self, series: ChartSeries, k: int) -> float:
        """Return where a series' k-th value stands on the x axis: its own day, else its infusion's place."""
        return series.xs[k] if series.xs else self.x(k)

    @property
    def x_range(self) -> tuple[float, float]:
        """Return the x axis's extent, with room for the first and last point."""
        if self.days:
            return self.days[0] - 1.5, self.days[-1] + 1.5
        return -0.6, len(self.labels) - 0.4

    def ticks(self) -> list[tuple[float, str]]:
        """Return the x axis's labels (position, "#n" over its date) that do not run into each other.

        Each infusion's number is written unless it stands within a 30th of the axis of the last one written;
        its date only a 6th of the axis or more after the last date written. So the visits of an induction two
        days apart keep their numbers and the dates stay readable, on a calendar axis as on one of slots."""
        xs = [self.x(i) for i in range(len(self.labels))]
        span = max(1.0, xs[-1] - xs[0]) if xs else 1.0
        ticks, last_number, last_date = [], -math.inf, -math.inf
        for x, label in zip(xs, self.labels):
            number, _, day = label.partition("\n")
            if x - last_number < span / 30:
                continue
            dated = x - last_date >= span / 6
            ticks.append((x, f"{number}\n{day if dated else ''}"))
            last_number, last_date = x, x if dated else last_date
        return ticks

    def label_below(self, series: ChartSeries, i: int) -> bool:
        """Tell whether a line's value at infusion i is labelled below its point: when another line is higher
        there, so two close totals (PHQ-9 11, GAD-7 7) do not write over each other, unless the value is near
        the bottom of the plot (the label would fall on the axis)."""
        value, (lo, hi) = series.values[i], self.y_range
        return value is not None and value - lo > 0.12 * (hi - lo) and any(
            other is not series and other.style == "line" and other.values[i] is not None and other.values[i] > value
            for other in self.series)


#: Series colours (mid tones that read on white paper and on the dark review screen).
CHART_COLORS = {"phq9": "#e67e22", "gad7": "#3498db", "pcl5": "#9b59b6", "rise": "#e74c3c",
                "forecast": "#7f8c8d", "planned": "#7f8c8d", "delivered": "#f39c12", "cadss": "#9b59b6",
                "unreviewed": "#d4ac0d", "reviewed": "#5d7b99"}


def course_charts(course: Course) -> tuple[CourseChart, ...]:
    """Return the course's small plots: outcome totals with the response and remission lines (PCL-5 on its own
    scale), SBP rise with each infusion's forecast range, dose, and dissociation (highest CADSS) per infusion."""
    rows = course.rows
    labels = tuple(f"#{r.number}\n{_short_day(r.meta)}" for r in rows)
    charts = []
    codes = course.instruments()
    totals = [ChartSeries(INSTRUMENTS[c].name, tuple(_total(r, c) for r in rows), CHART_COLORS[c])
              for c in codes if c != "pcl5"]
    for code in codes:
        if code == "pcl5":
            continue
        between = between_visits(course, code)
        if between:
            totals.append(ChartSeries(f"{INSTRUMENTS[code].name} between visits", tuple(v for _, v in between),
                                      CHART_COLORS[code], "points", xs=tuple(d for d, _ in between)))
    if totals:
        points = course.phq9_points()
        lines = []
        if points:
            first = points[0][1].score.total
            lines.append((first / 2, f"PHQ-9 response \u2264 {first / 2:g}"))
            below = float(PHQ9.remission_below)  # type: ignore[arg-type]
            lines.append((below, f"remission < {below:g}"))
        top = 27.0
        for reviewed, words in ((False, "item-9 flag NOT REVIEWED"), (True, "item-9 flag reviewed")):
            marks = tuple(top if any(f.reviewed == reviewed for f in r.flags) else None for r in rows)
            if any(v is not None for v in marks):  # at the top of the plot, over the infusion it came with
                totals.append(ChartSeries(words, marks, CHART_COLORS["reviewed" if reviewed else "unreviewed"],
                                          "points"))
        charts.append(CourseChart("Outcome totals by date", "points", labels, tuple(totals), (0.0, top),
                                  tuple(lines), course_days(course)))
    if "pcl5" in codes:
        cutoffs = [s.cutoff for r in rows for s in r.outcomes if s.instrument == "pcl5" and s.cutoff]
        charts.append(CourseChart("PCL-5 total by date", "points", labels,
                                  (ChartSeries("PCL-5", tuple(_total(r, "pcl5") for r in rows), CHART_COLORS["pcl5"]),),
                                  (0.0, 80.0), ((float(cutoffs[-1]), f"probable PTSD \u2265 {cutoffs[-1]}"),)
                                  if cutoffs else (), course_days(course)))
    rises = tuple(r.sbp_rise if r.started else None for r in rows)
    f_mid = tuple(None if r.forecast is None else r.forecast.expected_rise for r in rows)
    f_low = tuple(None if r.forecast is None else r.forecast.rise_low for r in rows)
    f_high = tuple(None if r.forecast is None else r.forecast.rise_high for r in rows)
    known = [v for v in (*rises, *f_low, *f_high) if v is not None]
    prior_rise = next((r.forecast.prior.population_rise_mmhg for r in rows if r.forecast is not None), None)
    charts.append(CourseChart(
        "SBP rise per infusion", "mmHg", labels,
        (ChartSeries("rise (peak - baseline)", rises, CHART_COLORS["rise"], "bars"),
         ChartSeries("forecast before it", f_mid, CHART_COLORS["forecast"], "points", f_low, f_high)),
        (min(0.0, *known) - 5 if known else 0.0, max(60.0, *known) + 5 if known else 60.0),
        () if prior_rise is None else ((prior_rise, f"population {prior_rise:+g}"),)))
    planned = tuple(r.dose_mg_per_kg for r in rows)
    delivered = tuple(r.delivered_mg_per_kg if r.started else None for r in rows)
    doses = [v for v in (*planned, *delivered) if v is not None]
    charts.append(CourseChart(
        "Dose per infusion", "mg/kg", labels,
        (ChartSeries("delivered", delivered, CHART_COLORS["delivered"], "bars"),
         ChartSeries("planned", planned, CHART_COLORS["planned"], "points")),
        (0.0, max(0.8, *doses) * 1.1 if doses else 0.8)))
    cadss = [r.max_cadss for r in rows]
    top = max((c.max_total or c.total for c in cadss if c is not None), default=24)
    charts.append(CourseChart(
        "Dissociation per infusion", "CADSS", labels,
        (ChartSeries("highest CADSS", tuple(None if c is None else float(c.total) for c in cadss),
                     CHART_COLORS["cadss"], "bars"),), (0.0, float(top))))
    return tuple(charts)


def course_days(course: Course) -> tuple[float, ...]:
    """Return each infusion's calendar day counted from the first infusion's (each in its session's time zone)."""
    ordinals = [date.fromisoformat(session_day(r.meta)).toordinal() for r in course.rows]
    return tuple(float(o - ordinals[0]) for o in ordinals)


def between_visit_entries(course: Course, code: str) -> list[OutcomeScore]:
    """Return the entries of an instrument answered on a day without an infusion of the course (at home between
    visits, or after the last infusion), in time order; each day in the zone of the course's first session."""
    meta = course.rows[0].meta
    infusion_days = {session_day(r.meta) for r in course.rows}
    entries = [s for row in course.rows for s in row.entries] + list(course.later)
    return sorted((s for s in entries if s.instrument == code and date_text(s.t, meta.tz) not in infusion_days),
                  key=lambda s: s.t)


def between_visits(course: Course, code: str) -> list[tuple[float, float]]:
    """Return (day from the first infusion's, total) of each entry answered between visits, for the calendar axis."""
    meta = course.rows[0].meta
    first = date.fromisoformat(session_day(meta)).toordinal()
    return [(float(date.fromisoformat(date_text(s.t, meta.tz)).toordinal() - first), float(s.total))
            for s in between_visit_entries(course, code)]


def _total(row: InfusionRow, code: str) -> float | None:
    s = row.outcome(code)
    return None if s is None else float(s.total)


# --- building ---------------------------------------------------------------------------------


def build_course(source: SessionSource, patient_id: str, prior: ForecastPrior | None = None,
                 now: float | None = None, until: SessionMeta | None = None) -> Course:
    """Read a patient's course; until (a session) ends it there (a report of that session); CourseError if none."""
    metas = patient_sessions(source, patient_id)
    if until is not None:
        metas = metas[:next((i + 1 for i, m in enumerate(metas) if m.id == until.id and m.chair == until.chair),
                            len(metas))]
    prior = _prior(prior)
    at = time.time() if now is None else now
    summaries = stored_summaries(source, metas, at)  # the stored ones while current (monitor.review.stored)
    found = SessionOutcomes()
    where: dict[str, SessionMeta] = {}
    for m in metas:
        held = record_outcomes(source.record(m))
        found = found.merge((*held.scores, *held.reviews))
        where.update({s.id: m for s in held.scores})
    cutoffs = [_cutoff(s) for s in summaries]
    windows: list[list[OutcomeScore]] = [[] for _ in summaries]
    later = []
    for score in found.scores:  # in time order
        k = next((i for i, c in enumerate(cutoffs) if score.t <= c), None)
        (later if k is None else windows[k]).append(score)
    counted = [tuple(_last_of_each(w)) for w in windows]
    phq9 = dict(zip([i for i, c in enumerate(counted) if any(s.instrument == PHQ9.code for s in c)],
                    course([s for c in counted for s in c if s.instrument == PHQ9.code])))
    earlier = [earlier_infusion(s) for s in summaries]
    all_flags = found.flags()
    rows = tuple(InfusionRow(i + 1, s, counted[i], tuple(windows[i]), phq9.get(i),
                             _forecast(earlier[:i], s.meta.dose_mg_per_kg, s.baseline.get("sbp"), prior),
                             tuple(f for f in all_flags if f.score in counted[i]))
                 for i, s in enumerate(summaries))
    forecast, target = _course_forecast(rows, earlier, prior)
    flags = tuple(CourseFlag(f, where[f.score.id]) for f in all_flags)
    return Course(patient_id, metas[-1].patient_name or "", rows, tuple(later), flags, forecast, target, at,
                  sbp_high_limit(metas[-1]), tuple(source.course_plans(patient_id)))


def sbp_high_limit(meta: SessionMeta) -> float | None:
    """Return the SBP high-alarm limit (mmHg) of the session's alarm profile; None when it has none or the profile
    cannot be read (the forecast then warns of no limit; the alarms themselves are the chair's)."""
    if not meta.profile:
        return None
    try:
        limits = load_profile(meta.profile).limits.get("sbp")
    except ProfileError:
        return None
    return None if limits is None else limits.high_high


def patient_sessions(source: SessionSource, patient_id: str) -> list[SessionMeta]:
    """Return the patient's sessions in start order; CourseError (one line) if there are none."""
    metas = source.sessions(patient_id=patient_id)
    if not metas:
        raise CourseError(f"there are no sessions of patient '{patient_id}' in this database")
    return metas


def next_infusion_forecast(source: SessionSource, patient_id: str, dose_mg_per_kg: float,
                           baseline_sbp: float | None, prior: ForecastPrior | None = None,
                           now: float | None = None) -> BpForecast:
    """Forecast the peak SBP of the infusion about to start (planned mg/kg, today's baseline mmHg or None).

    For the nurse before an infusion: read the patient's ended sessions quickly (no vital-sign numerics)
    and forecast from their infusions; a patient without any gets the population figure, said so in
    `.text`. ValueError for a planned dose that is not a positive number.
    """
    summaries = [summarize(source, m, now, vitals=False) for m in source.sessions(patient_id=patient_id)
                 if m.state != "running"]
    earlier = [e for e in map(earlier_infusion, summaries) if e is not None]
    return forecast_peak_sbp(earlier, dose_mg_per_kg, baseline_sbp, _prior(prior))


def earlier_infusion(summary: SessionSummary) -> EarlierInfusion | None:
    """Return what the forecast takes from an ended session's infusion; None if it is running or never started."""
    meta, inf = summary.meta, summary.infusion
    if meta.state == "running" or inf is None or inf.start_utc is None:
        return None
    if inf.state == "completed":
        dose = meta.dose_mg_per_kg
    else:  # stopped early, or cut short by an interruption: what the patient received, to 0.01 mg/kg
        dose = round(inf.delivered_mg / meta.weight_kg, 2) if meta.weight_kg else None
    peak = summary.peak_sbp
    return EarlierInfusion(dose, summary.baseline.get("sbp"), None if peak is None else peak.value)


def _prior(prior: ForecastPrior | None) -> ForecastPrior:
    if prior is not None:
        return prior
    from monitor.clinical.config import load_clinical_config

    return load_clinical_config().bp_forecast


def _cutoff(s: SessionSummary) -> float:
    """Return until when (UTC epoch s) a questionnaire counts for this session: the infusion's end, else the
    session's end; open while either lasts."""
    inf = s.infusion
    end = inf.end_utc if inf is not None and inf.end_utc is not None else s.meta.ended_utc
    return math.inf if end is None else end


def _last_of_each(scores: Sequence[OutcomeScore]) -> list[OutcomeScore]:
    """Return the last entry of each instrument (scores in time order), in the clinic's instrument order."""
    last = {s.instrument: s for s in scores}
    return [last[c] for c in INSTRUMENTS if c in last]


def _forecast(earlier: Sequence[EarlierInfusion | None], dose: float | None, baseline: float | None,
              prior: ForecastPrior) -> BpForecast | None:
    if dose is None or not (math.isfinite(dose) and dose > 0):
        return None
    return forecast_peak_sbp([e for e in earlier if e is not None], dose, baseline, prior)


def _course_forecast(rows: Sequence[InfusionRow], earlier: Sequence[EarlierInfusion | None],
                     prior: ForecastPrior) -> tuple[BpForecast | None, str]:
    """Return the forecast for the infusion about to start (the last session's, if not started) or the next."""
    last = rows[-1]
    if last.meta.state == "running" and not last.started:
        return last.forecast, f"for session {last.meta.ref} (infusion not started yet)"
    dosed = next((r for r in reversed(rows) if r.dose_mg_per_kg), None)
    if dosed is None:
        return None, ""
    based = next((r for r in reversed(rows) if r.baseline_sbp is not None), None)
    base_words = "no baseline SBP recorded yet" if based is None else \
        f"the last baseline SBP ({based.baseline_sbp:.0f} mmHg, session {based.meta.ref})"
    last = next((r for r in reversed(rows) if r.started), None)
    stop = ""
    if last is not None and last.stopped_early:  # the dose assumed is one the patient did not take last time
        given = last.delivered_mg_per_kg
        stop = (f"; infusion {last.number} was stopped early"
                + (f" ({last.summary.infusion.stop_reason})" if last.summary.infusion.stop_reason else "")
                + (f" after {given:.2g} of {last.dose_mg_per_kg:g} mg/kg" if given is not None and last.dose_mg_per_kg
                   else "")
                + f": this assumes {dosed.dose_mg_per_kg:g} mg/kg again; decide the next dose before relying on it")
    return (_forecast(earlier, dosed.dose_mg_per_kg, None if based is None else based.baseline_sbp, prior),
            f"for the next infusion, at the last planned dose ({dosed.dose_mg_per_kg:g} mg/kg, session "
            f"{dosed.meta.ref}) and {base_words}{stop}")


# --- output helpers ---------------------------------------------------------------------------


def _review_word(flag: OutcomeFlag | None) -> str:
    return "reviewed" if flag is not None and flag.reviewed else "NOT REVIEWED"


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def _num(value: float | None, digits: int = 0, unit: str = "") -> str:
    return "-" if value is None else f"{value:.{digits}f}{unit}"


def session_day(meta: SessionMeta) -> str:
    """Return the day a session started, in its own time zone (YYYY-MM-DD)."""
    return date_text(meta.started_utc, meta.tz)


def _short_day(meta: SessionMeta) -> str:
    return day_month_text(meta.started_utc, meta.tz)


def session_time(t: float, meta: SessionMeta) -> str:
    """Return a time (UTC epoch s) as YYYY-MM-DD HH:MM in the session's own time zone."""
    return date_time_text(t, meta.tz)


def _score_json(s: OutcomeScore) -> dict[str, Any]:
    return {"instrument": s.instrument, "total": s.total, "band": s.band, "flag": s.flag, "t_utc": iso_utc(s.t),
            "outcome_id": s.id}


def _forecast_json(f: BpForecast) -> dict[str, Any]:
    return {"expected": _round(f.expected_peak), "low": _round(f.peak_low), "high": _round(f.peak_high),
            "expected_rise": _round(f.expected_rise), "rise_low": _round(f.rise_low),
            "rise_high": _round(f.rise_high), "coverage": f.coverage,
            "planned_dose_mg_per_kg": f.planned_dose_mg_per_kg,
            "baseline_sbp": f.baseline_sbp, "earlier_infusions_used": f.n_used,
            "earlier_infusions_unusable": f.n_unusable, "own_weight": round(f.own_weight, 3), "text": f.text}


def _plan_json(plan: CoursePlan) -> dict[str, Any]:
    return {"induction": plan.induction, "induction_weeks": plan.induction_weeks, "booster_weeks": plan.booster_weeks,
            "boosters": plan.boosters, "by": plan.by, "t_utc": iso_utc(plan.t), "note": plan.note or None,
            "text": plan.text}


def _row_json(row: InfusionRow) -> dict[str, Any]:
    s, m = row.summary, row.meta
    cadss, moaas = row.max_cadss, row.min_moaas
    return {
        "number": row.number, "session_id": m.id, "session_ref": m.ref, "session_uid": m.uid, "state": m.state,
        "started_utc": iso_utc(m.started_utc), "ended_utc": None if m.ended_utc is None else iso_utc(m.ended_utc),
        "infusion_state": None if s.infusion is None else s.infusion.state,
        "dose_mg_per_kg": m.dose_mg_per_kg, "weight_kg": m.weight_kg, "planned_mg": _round(s.planned_mg, 3),
        "delivered_mg": _round(row.delivered_mg, 3),
        "baseline_sbp": row.baseline_sbp, "peak_sbp": row.peak_sbp, "sbp_rise": _round(row.sbp_rise),
        "min_spo2": row.min_spo2,
        "max_cadss": None if cadss is None else cadss.total,
        "cadss_max_total": None if cadss is None else cadss.max_total,
        "min_moaas": None if moaas is None else moaas.total,
        "events": row.events, "alarms": s.alarm_counts(),
        "outcomes": {o.instrument: {"total": o.total, "flag": o.flag, "band": o.band, "t_utc": iso_utc(o.t)}
                     for o in row.outcomes},
        "outcome_entries": len(row.entries),
        "phq9_response": None if row.phq9 is None else row.phq9.response,
        "phq9_remission": None if row.phq9 is None else row.phq9.remission,
        "forecast_peak_sbp": None if row.forecast is None else _forecast_json(row.forecast),
        "forecast_held": row.forecast_held(),
    }
