"""What the monitor screen shows, decided once: one immutable ScreenView per frame (no Qt).

The window paints a ScreenView and nothing else, so every display rule lives
here and is tested without a display:
- which condition a tile shows while values are blocked (the alarm engine's
  BLOCKING_ORDER), when a continuous value is stale (no new value for
  STALE_AFTER_S, or its device silent for DATA_CURRENT_S), when a value is
  questionable (dimmed and marked "?"); an old value always shows its age,
  and while a tile shows '---' its last valid value with its age;
- the NIBP field: the last valid BP with its time, never the cuff pressure as
  a result ("Cuff 128 mmHg" apart), a failure beside the last valid BP, grey
  after the clinical config's stale_after_min and no longer current after
  expired_after_min (the BP schedule's rule);
- the pleth: blank with "no signal" once no wave sample came for PLETH_BLANK_S
  or while the device reports a blocking condition, never a frozen wave;
- alarms in two fields (physiological, technical), with the worst value, the
  highest tier's limit and the end time of a latched alarm from the engine,
  each latched episode on its own line beside the present one; a high episode
  continuing at the medium level is shown at that level with its ended high
  part apart until acknowledged (as_shown);
  a tile's colour follows the alarm only while its condition is present;
- the devices in the footer: ✓ only while a device's data is current and has
  come without a break for the stability time, else what is wrong in words;
- the header (patient, weight, infusion N of M, baseline BP or the warning that
  the rise alarms are off, time of day, the user), the infusion state words and
  the nurse's commands that are allowed now (every alarm the app raises names
  one, see APP_ALARMS).

compose(CoreState) is a pure function of values the core gathers under its lock
(MonitorCore.view()). Times: *_mono are monotonic seconds, t/*_wall UTC epoch
seconds shown in the session's zone (CoreState.tz).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from devices.plausibility import UNRELIABLE
from devices.values import VALUE_BLOCKING, Condition, spec_of
from monitor.alarms import ActiveAlarm, Advisory, AlarmKind, ParamLimits, Priority
from monitor.alarms.engine import APP_SOURCE, BLOCKING_ORDER, CONDITION_TEXT, source_text
from monitor.alarms.keys import AppAlarm
from monitor.alarms.profile import Profile, crossing_text, fmt, op_word
from monitor.clinical.dosing import DosePlan
from monitor.clinical.infusion import InfusionState, InfusionStatus, event_words
from monitor.clinical.scales import SCALE_NAMES
from monitor.clinical.schedule import Phase
from monitor.live.state import DATA_CURRENT_S, LINK_DOWN, Flow, Latest, Snapshot
from monitor.live.view import (
    MARKS,
    AlarmField,
    AlarmLine,
    AudioView,
    CentralView,
    ClinicalView,
    DeviceSummary,
    DischargeFacts,
    HeaderView,
    InfusionView,
    MarkerLine,
    NibpView,
    PlethView,
    ScreenView,
    TileView,
    TrendView,
)
from monitor.patient_id import identity_text
from monitor.record.journal import InfusionEvent, MarkerRevision
from monitor.timefmt import age_text, clock_text, duration_text, mmss

if TYPE_CHECKING:  # the chair imports the central store's code only when it has one
    from monitor.central.replicator import ReplicationState
from monitor.clinical.session import UNDO_S, SessionStatus

#: A continuous numeric (SpO2, pulse) with no new value for this long (s) is shown greyed with its age.
STALE_AFTER_S = 10.0
#: How long (s) a device must deliver without a break before the footer says ✓, when the profile says nothing.
STABLE_S = 10.0
#: The pleth is blanked when no wave sample came for this long (s).
PLETH_BLANK_S = 1.0
#: A cuff pressure reading is "live" for this long (s) after it came.
CUFF_LIVE_S = 3.0
#: Parameters with a tile, in screen order; SpO2 and pulse always, the others when a device gives them.
TILE_PARAMS = ("spo2", "pulse_rate", "heart_rate", "etco2", "resp_rate")
ALWAYS_SHOWN = ("spo2", "pulse_rate")
#: The comparisons themselves: does a value cross a limit.
COMPARE: dict[str, Callable[[float, float], bool]] = {"<": operator.lt, "<=": operator.le, ">": operator.gt,
                                                      ">=": operator.ge}
NIBP_PARAMS = ("sbp", "dbp", "map")

#: Every technical alarm the application itself raises (key -> what the nurse does about it, and whether a
#: screen command ends it). A test finds every raise in the code and checks it is listed and can be ended.
APP_ALARMS: dict[AppAlarm, tuple[str, str]] = {
    AppAlarm.INFUSION_END: ("press Complete once the pump has finished", "complete"),
    AppAlarm.INFUSION_PAUSED: ("press Resume, or Stop early with a reason", "resume"),
    AppAlarm.NIBP_OVERDUE: ("press BP now, or start the cuff and wait for the result, or Enter BP…", "bp"),
    AppAlarm.OBSERVATION_DONE: ("record the discharge assessment (Discharge…)", "discharge"),
    AppAlarm.OUTCOME_FLAG: ("a clinician reviews the flag (Review flag…)", "review_flag"),
    AppAlarm.AUDIO: ("check the speaker and volume; restart the app to retry", "restart"),
    AppAlarm.RECORDING: ("free disk space or fix the database; ends by itself when recording resumes", "condition"),
    AppAlarm.CENTRAL: ("tell IT: the network or the central server is down; recording goes on here, and the alarm "
                       "ends by itself when the chair catches up", "condition"),
    AppAlarm.INTERNAL: ("watch the patient and restart the app", "restart"),
    AppAlarm.THREAD_FAULT: ("watch the patient, restart the app and tell IT (details in the log)", "restart"),
    AppAlarm.THREAD_STOPPED: ("watch the patient, restart the app and tell IT (details in the log)", "restart"),
    AppAlarm.STAFF_LIST: ("tell the clinic's owner: restore the staff list, or make it again (Menu ▸ Staff list…); "
                          "actions are not signed until then", "staff_list"),
}


def number(value: float | None, decimals: int = 0) -> str:
    """Format a numeric for a field ('---' when there is none)."""
    return "---" if value is None or not math.isfinite(value) else f"{value:.{decimals}f}"


def blocking(conditions: Mapping[Condition, str]) -> Condition | None:
    """Return the condition a tile shows among a source's active ones, in the alarm engine's order."""
    return next((c for c in BLOCKING_ORDER if c in conditions and c in VALUE_BLOCKING), None)


def stable_time(profile: Profile) -> float:
    """Return how long (s) a device must deliver without a break before the footer says ✓.

    It is the profile's standing time of the no-data and connection-lost alarms
    (technical.no_data.stable_s, technical.port_lost.stable_s; the longer), so the
    footer turns ✓ when those alarms end; STABLE_S for a profile without one.
    """
    times = [getattr(profile.technical.get(c.value), "stable_s", None) for c in LINK_DOWN]
    return max((t for t in times if t is not None), default=STABLE_S)


@dataclass(frozen=True)
class DeviceState:
    """A connected device as the summary needs it: source name and the reader's state words.

    state: "connecting", "connected", "no data", "reconnecting" or "stopped" (DeviceReader.state).
    """

    source: str
    state: str
    simulated: bool = False  # the device is a simulator (DeviceSpec.simulated): every value of it is marked


#: The mark on everything a simulated device supplies: its tiles, its footer line (and the record's reports).
SIMULATED = "SIMULATED"


def simulated_sources(s: CoreState) -> frozenset[str]:
    """Return the sources whose values come from a simulator."""
    return frozenset(d.source for d in s.devices if d.simulated)


def _named(source: str, simulated: bool) -> str:
    """Name a source for a tile or the footer, marked SIMULATED when a simulator supplies it."""
    return f"{source_text(source)} {SIMULATED}" if simulated else source_text(source)


@dataclass(frozen=True)
class CoreState:
    """Values the core holds at one moment, gathered under its lock; compose() turns them into a ScreenView."""

    snap: Snapshot
    now_mono: float
    now_wall: float
    alarms: Sequence[ActiveAlarm] = ()
    limits: Mapping[str, ParamLimits] = field(default_factory=dict)
    audible: Priority | None = None
    pause_remaining_s: float | None = None
    advice: Sequence[tuple[Advisory, float]] = ()
    patient_id: str | None = None
    patient_name: str | None = None
    patient_second_id: str = ""  # the second identifier in words ('DOB 12 Mar 1980'), '' if none was asked
    weight_kg: float | None = None
    operator: str = ""
    session: SessionStatus | None = None
    infusion: InfusionStatus | None = None
    plan: DosePlan | None = None
    infusion_log: Sequence[InfusionEvent] = ()
    devices: Sequence[DeviceState] = ()
    bp_age_state: Callable[[float], str] = lambda age: "current"
    session_start: float | None = None
    with_trends: bool = False  # a frame that redraws the trends: snap holds them, timeline the events
    timeline: Sequence[tuple[float, str]] = ()
    central: ReplicationState | None = None
    forecast: str = ""  # the BP forecast of this infusion, one line (advice: it changes no limit)
    stable_s: float = STABLE_S  # a device delivers this long without a break before it is ✓ (stable_time())
    tz: str | None = None  # the session's IANA zone: the screen's clock times are read in it (None: the computer's)


def compose(s: CoreState) -> ScreenView:
    """Build the frame's ScreenView from the core's state."""
    physio = [shown for a in s.alarms if a.alarm_kind is AlarmKind.PHYSIOLOGICAL for shown in as_shown(a)]
    tiles = tuple(_tile(s, p, physio) for p in TILE_PARAMS if p in ALWAYS_SHOWN or s.snap.values_of(p))
    return ScreenView(
        t=s.now_wall, header=_header(s), tiles=tiles, nibp=_nibp(s, physio), pleth=_pleth(s),
        physiological=AlarmField(tuple(_physio_lines(s, physio)), "No physiological alarm"),
        technical=AlarmField(tuple(_technical_line(s, a) for a in s.alarms if a.alarm_kind is AlarmKind.TECHNICAL),
                             "Equipment OK"),
        audio=_audio(s), infusion=_infusion(s), clinical=_clinical(s), devices=tuple(_device(s, d) for d in s.devices),
        trends=_trends(s),
        central=None if s.central is None else CentralView(s.central.text(s.now_wall), s.central.healthy(s.now_wall)))


# --- tiles ---------------------------------------------------------------------------------------------------

def limit_lines(limits: ParamLimits | None, name: str = "") -> tuple[str, ...]:
    """Return a parameter's limits, each with its priority mark: high side then low side ("▲ 110 !!  130 !!!").

    With a name (NIBP: "SYS", "DIA") both sides make one line after the name.
    """
    if limits is None:
        return ()
    out = []
    for side, arrow in (("high", "▲"), ("low", "▼")):
        parts = [f"{fmt(v)} {MARKS[p]}" for p, v in ((Priority.MEDIUM, getattr(limits, f"medium_{side}")),
                                                    (Priority.HIGH, getattr(limits, f"high_{side}"))) if v is not None]
        if parts:
            out.append(f"{arrow} {'  '.join(parts)}")
    return (f"{name} {'    '.join(out)}",) if name and out else tuple(out)


def _alarm_state(param_alarms: Sequence[ActiveAlarm], tz: str | None) -> tuple[Priority | None, str, str]:
    """Return a tile's colour (priority of its present alarms) and, for an ended alarm awaiting acknowledgement,
    its two lines ("!!! alarm ended 10:34: acknowledge", "nadir 84 < 90")."""
    present = max((a.priority for a in param_alarms if not a.latched), default=None)
    latched = next((a for a in param_alarms if a.latched and not a.acknowledged), None)
    if latched is None:
        return present, "", ""
    ended = f" {clock_text(latched.ended_t, tz)}" if latched.ended_t is not None else ""
    return present, f"{MARKS[latched.priority]} ended{ended} · acknowledge", worst_text(latched)


def _tile(s: CoreState, param: str, physio: Sequence[ActiveAlarm]) -> TileView:
    values = s.snap.values_of(param)
    alarm, ack, worst = _alarm_state([a for a in physio if a.param == param], s.tz)
    spec = spec_of(param)
    base = dict(param=param, title=spec.heading, unit=spec.unit, alarm=alarm, ack_note=ack,
                ack_worst=worst, limits=limit_lines(s.limits.get(param)))
    if not values:
        return TileView(**base, value="---", note="waiting for data", look="none")
    latest = values[0]
    r = _reading(s, latest)
    several = len(values) > 1
    sims = simulated_sources(s)
    others = "   ".join(f"{_named(v.source, v.source in sims)}: {o.value}" + (f" ({o.age})" if o.age else "")
                        for v in values[1:] for o in (_reading(s, v),))
    simulated = latest.source in sims
    return TileView(**base, value=r.value, note=r.note, look=r.look, age=r.age, simulated=simulated,
                    source=_named(latest.source, simulated) if several else SIMULATED if simulated else "", others=others,
                    extra=_quality(s, latest) if param == "spo2" and r.look in ("live", "questionable") else "")


@dataclass(frozen=True)
class Reading:
    """A continuous numeric from one source as a tile shows it: value text, note, look and age (see TileView)."""

    value: str
    note: str
    look: str
    age: str = ""


def _reading(s: CoreState, latest: Latest) -> Reading:
    """Return how a tile shows the latest value of a continuous numeric from one source."""
    now = s.now_mono
    valid = s.snap.last_valid.get((latest.source, latest.param))
    last = f"last {number(valid.value)} · {age_text(now - valid.mono)}" if valid is not None else ""
    cond = blocking(s.snap.conditions.get(latest.source, {}))
    if cond is not None:
        return Reading("---", CONDITION_TEXT.get(cond.value, cond.value).capitalize(), "blocked", last)
    flow = s.snap.flows.get(latest.source)
    silent = flow is not None and flow.last is not None and now - flow.last > DATA_CURRENT_S
    age = now - latest.mono
    if age > STALE_AFTER_S or silent:
        if latest.valid:
            return Reading(number(latest.value), "no new value", "stale", age_text(age))
        return Reading("---", "no new value", "stale", last)
    if latest.value is None:
        return Reading("---", "no value from the device", "none", last)
    if latest.flags & UNRELIABLE:
        why = "questionable (motion)" if "artifact" in latest.flags else "questionable reading"
        return Reading(f"{number(latest.value)}?", why, "questionable")
    if "low_perfusion" in latest.flags:
        return Reading(number(latest.value), "low perfusion", "live")
    return Reading(number(latest.value), "", "live")


def _quality(s: CoreState, latest: Latest) -> str:
    """Return the perfusion index and a signal-quality cue of a pulse oximeter's value, where it gives them."""
    parts = []
    pi = s.snap.latest.get((latest.source, "perfusion_index"))
    if pi is not None and pi.value is not None and s.now_mono - pi.mono <= STALE_AFTER_S:
        parts.append(f"PI {pi.value:.1f} %")
    if latest.flags & UNRELIABLE:
        parts.append("signal poor")
    elif "low_perfusion" in latest.flags:
        parts.append("signal weak")
    elif pi is not None:
        parts.append("signal good")
    return "   ".join(parts)


# --- NIBP ----------------------------------------------------------------------------------------------------

def _cause(error: str | None) -> str | None:
    """Return a failed measurement's cause, its reason's first clause ("motion artefact" of "motion artefact,
    measurement abandoned"): the tile's line beside the BP has room for it; the technical alarm says it all."""
    return error.split(",")[0].strip() if error else error


def _nibp(s: CoreState, physio: Sequence[ActiveAlarm]) -> NibpView:
    bp_alarms = [a for a in physio if a.param in NIBP_PARAMS]
    alarm, ack, worst = _alarm_state(bp_alarms, s.tz)
    limits = limit_lines(s.limits.get("sbp"), "SYS") + limit_lines(s.limits.get("dbp"), "DIA")
    cuff = ""
    cuffs = s.snap.values_of("cuff_pressure")
    if cuffs and cuffs[0].value and s.now_mono - cuffs[0].mono < CUFF_LIVE_S:
        cuff = f"Cuff {cuffs[0].value:.0f} mmHg · measuring"
    valid = [(n.valid, n.valid_mono, source) for source, n in s.snap.nibp.items() if n.valid is not None]
    last = s.snap.latest_nibp()
    failure = ""
    newest_valid = max(valid, key=lambda v: v[1], default=None)
    if last is not None and (last.last.error or last.last.sbp is None) and \
            (newest_valid is None or last.last_mono > newest_valid[1]):
        failure = f"{clock_text(last.last.t, s.tz)} failed: {_cause(last.last.error) or 'no result'}"
    base = dict(cuff=cuff, failure=failure, alarm=alarm, ack_note=f"{ack} ({worst})" if ack else "", limits=limits)
    if newest_valid is None:
        return NibpView(value="---/---", mean="", when="no BP yet", look="none", **base)
    result, mono, source = newest_valid
    age = s.now_mono - mono
    state = s.bp_age_state(age)
    text = f"{number(result.sbp)}/{number(result.dbp)}"
    manual = "manual" in result.flags
    doubtful = bool(result.flags & UNRELIABLE)
    when = "age unknown: retake BP" if doubtful else \
        f"{clock_text(result.t, s.tz)} · {age_text(age)}" + (" · entered by hand" if manual else "")
    several = len(valid) > 1
    sims = simulated_sources(s)
    simulated = source in sims and not manual
    base.update(manual=manual, simulated=simulated,
                source="" if manual else _named(source, simulated) if several else SIMULATED if simulated else "")
    if state == "expired":  # the instruction where the MAP stands, large: the old reading only beside it
        return NibpView(value="---/---", mean="take a new BP", when=f"last {text} · {age_text(age)}", look="expired",
                        **base)
    mean = f"MAP {number(result.map)}" if result.map is not None else ""
    if doubtful:
        return NibpView(value=f"{text}?", mean=mean, when=when, look="questionable", **base)
    return NibpView(value=text, mean=mean, when=when, look="stale" if state == "stale" else "live", **base)


# --- pleth ---------------------------------------------------------------------------------------------------

def _pleth(s: CoreState) -> PlethView:
    source = next((src for src in s.snap.sources if src in s.snap.sweeps), None)
    if source is None:
        return PlethView(None, True, "no pleth signal")
    sweep = s.snap.sweeps[source]
    cond = blocking(s.snap.conditions.get(source, {}))
    if cond is not None:
        return PlethView(sweep, True, f"no signal: {CONDITION_TEXT.get(cond.value, cond.value)}", source)
    if sweep.last_mono is None or s.now_mono - sweep.last_mono > PLETH_BLANK_S:
        return PlethView(sweep, True, "no signal", source)
    return PlethView(sweep, False, "", source)


# --- alarms --------------------------------------------------------------------------------------------------

def as_shown(a: ActiveAlarm) -> tuple[ActiveAlarm, ...]:
    """Return what an alarm is on the screen: itself, or for a high episode continuing at the medium level the
    medium alarm it is now and, until acknowledged, its ended high part (worst value, when it ended).

    So the bar and the tile say the limit and take the colour of the level the condition is at ("!! SpO₂ 93 < 94"),
    never "!!!" beside a medium limit, while the high episode stays in sight on its own line ("!!! SpO₂ nadir 84 <
    90 · ended 10:34") until someone acknowledges it.
    """
    if a.level is None:
        return (a,)
    present = replace(a, priority=a.level, crossed=a.level, level=None, high_ended_t=None)
    if a.acknowledged:
        return (present,)
    return present, replace(a, alarm_id=f"{a.alarm_id}-high", latched=True, ended_t=a.high_ended_t, level=None,
                            high_ended_t=None)


def worst_text(a: ActiveAlarm) -> str:
    """Say the worst value an alarm reached against the limit of its highest tier: "nadir 84 < 90"."""
    worst, limit = a.worst if a.worst is not None else a.value, a.worst_limit if a.worst_limit is not None else a.limit
    op = op_word(a.worst_op or a.op)
    rise = f" (baseline {fmt(a.baseline)})" if a.baseline is not None else ""
    return f"{'nadir' if a.side == 'low' else 'peak'} {fmt(worst)} {op} {fmt(limit)}{rise}"


def latched_text(a: ActiveAlarm, tz: str | None) -> str:
    """Say what an ended alarm was: "SpO₂ nadir 84 < 90 · ended 10:34" (worst value, highest tier's limit)."""
    ended = f" · ended {clock_text(a.ended_t, tz)}" if a.ended_t is not None else ""
    return f"{spec_of(a.param).heading} {worst_text(a)}{ended}"


def _present_text(a: ActiveAlarm) -> str:
    """Say a present physiological alarm: "SpO₂ 84 < 90", or "SBP 185: +57 over baseline 128 (> +50)"."""
    name = spec_of(a.param).heading
    if a.baseline is None and a.value is not None and a.limit is not None and a.op in COMPARE \
            and not COMPARE[a.op](a.value, a.limit):  # back by less than the hysteresis
        return f"{name} {fmt(a.value)}, limit {op_word(a.op)} {fmt(a.limit)}: not yet clear"
    return crossing_text(name, a.value, a.op, a.limit, a.baseline)


def _physio_lines(s: CoreState, physio: Sequence[ActiveAlarm]) -> list[AlarmLine]:
    """Return one line per alarmed parameter and device, and one per ended episode awaiting acknowledgement
    (its worst value and end); a rise alarm joins the same BP's limit alarm."""
    groups: dict[tuple[str, str, str], list[ActiveAlarm]] = {}
    for a in physio:  # the engine's order: highest priority first, then oldest
        groups.setdefault((a.source, a.param, a.alarm_id if a.latched else ""), []).append(a)
    lines = []
    for (source, param, latched_id), group in groups.items():
        latched = bool(latched_id)
        if latched:  # an ended episode awaiting acknowledgement: its own line, whatever came after it
            text = latched_text(group[0], s.tz)
        else:
            plain = [a for a in group if a.baseline is None]
            rises = [a for a in group if a.baseline is not None]
            parts = [_present_text(a) for a in plain[:1]]
            if plain and rises:
                r = rises[0]
                parts.append(f"+{fmt(r.value - r.baseline)} over baseline {fmt(r.baseline)}")  # type: ignore[operator]
            elif rises:
                parts.append(_present_text(rises[0]))
            text = ", ".join(parts)
            escalated = [a for a in group if a.crossed is not None and a.priority > a.crossed]
            if escalated:  # say why: the nurse sees a limit of a lower tier beside a higher priority
                text += f" (escalated: {escalated[0].escalation})" if escalated[0].escalation else " (escalated)"
        if len(s.snap.values_of(param)) > 1 or (param in NIBP_PARAMS and len(s.snap.nibp) > 1):
            text += f" ({source_text(source)})"
        lines.append(AlarmLine(text, max(a.priority for a in group), all(a.acknowledged for a in group), latched))
    return sorted(lines, key=lambda line: (-line.priority, line.latched))  # what is present now before what ended


def _technical_line(s: CoreState, a: ActiveAlarm) -> AlarmLine:
    """Say a technical alarm without ports or file paths: "Pulse oximeter: no data", or the app's own words.

    A device's alarm that stands while its condition is away (a flapping cable: it ends only after data has
    flowed for the stability time) says so, "Pulse oximeter: connection lost, intermittent", so the line does not
    contradict the live values between two drop-outs.
    """
    if a.source == APP_SOURCE:
        return AlarmLine(a.message, a.priority, a.acknowledged)
    text = f"{source_text(a.source)}: {CONDITION_TEXT.get(a.condition, a.condition.replace('_', ' '))}"
    if a.condition == "nibp_failed" and a.message.startswith(text + " ("):
        text = a.message  # the reason a measurement failed is for the nurse (cuff, motion); ports are not
    present = s.snap.conditions.get(a.source, {})
    causes = LINK_DOWN if a.condition in LINK_DOWN else {a.condition}
    if a.condition in VALUE_BLOCKING and not any(c in present for c in causes):
        text += ", intermittent"
    return AlarmLine(text, a.priority, a.acknowledged)


def _audio(s: CoreState) -> AudioView:
    if any(a.source == APP_SOURCE and a.condition == AppAlarm.AUDIO for a in s.alarms):
        return AudioView("off", "NO SOUND", s.audible)
    if s.pause_remaining_s is not None:
        return AudioView("paused", f"paused {mmss(s.pause_remaining_s)}", s.audible)
    return AudioView("on", "sound on", s.audible)


# --- header, infusion, clinical panel, devices ----------------------------------------------------------------

def _header(s: CoreState) -> HeaderView:
    patient = identity_text(s.patient_id, s.patient_name, s.patient_second_id)
    identifiers = identity_text(s.patient_id, None, s.patient_second_id)
    st = s.session
    course = st.course_text.capitalize() if st is not None else ""
    base = st.baseline if st is not None else {}
    if "sbp" in base:
        dbp = f"/{fmt(base['dbp'])}" if "dbp" in base else ""
        baseline, role = f"Baseline BP {fmt(base['sbp'])}{dbp}", "ok"
    elif st is not None and st.phase is Phase.PRE_INFUSION:
        baseline, role = "Baseline BP not taken yet", "todo"
    else:
        baseline, role = "NO BASELINE BP: rise alarms off", "warning"
    weight = f"{s.weight_kg:g} kg" if s.weight_kg else ""
    return HeaderView(patient, weight, course, baseline, role, clock_text(s.now_wall, s.tz), s.operator or "nobody",
                      identifiers)


STATE_WORDS = {InfusionState.NOT_STARTED: ("NOT STARTED", "idle"), InfusionState.RUNNING: ("▶ RUNNING", "running"),
               InfusionState.PAUSED: ("❚❚ PAUSED", "paused"), InfusionState.STOPPED: ("■ STOPPED EARLY", "ended"),
               InfusionState.COMPLETED: ("✔ COMPLETED", "ended")}
#: A planned end that came by itself and awaits the nurse's Complete: not yet "completed" beside "press Complete".
END_TO_CONFIRM_WORDS = ("TIME REACHED", "running")


def _infusion(s: CoreState) -> InfusionView | None:
    st, plan = s.infusion, s.plan
    if st is None or plan is None:
        return None
    state, role = END_TO_CONFIRM_WORDS if st.end_to_confirm else STATE_WORDS[st.state]
    going = st.state in (InfusionState.RUNNING, InfusionState.PAUSED)
    if st.state is InfusionState.PAUSED:
        remaining = f"{mmss(st.remaining_s)} left when resumed"
        rate = "Rate 0 mL/h (paused)"
    elif st.state is InfusionState.RUNNING:
        remaining = f"{mmss(st.remaining_s)} left · ends {clock_text(st.projected_end, s.tz)}"
        rate = f"Rate {st.current_rate_ml_per_h:.1f} mL/h"
    elif st.state is InfusionState.NOT_STARTED:
        remaining = f"{mmss(st.remaining_s)} planned"
        rate = f"Set pump to {plan.pump_rate_ml_per_h:.1f} mL/h"
    else:
        remaining = f"ended {clock_text(st.projected_end, s.tz)}"
        rate = "Rate 0 mL/h"
    reminder = ""
    if st.state is InfusionState.PAUSED:
        reminder = f"Paused for {mmss(st.paused_for_s)}: resume at {st.current_rate_ml_per_h:.1f} mL/h"
    elif st.end_to_confirm:
        reminder = "Planned time reached: check the pump, then press Complete"
    delivered = (f"Delivered {st.delivered_mg:.1f} of {plan.total_mg:.1f} mg ({st.delivered_mg_per_kg:.2f} mg/kg), "
                 f"{st.delivered_ml:.0f} of {plan.bag_volume_ml:g} mL")
    plan_text = (f"{plan.weight_kg:g} kg × {plan.dose_mg_per_kg:g} mg/kg = {plan.total_mg:.1f} mg in "
                 f"{plan.bag_volume_ml:g} mL ({plan.concentration_mg_per_ml:.3g} mg/mL) over {plan.duration_min:g} min")
    actions = {"start": st.state is InfusionState.NOT_STARTED, "pause": st.state is InfusionState.RUNNING,
               "resume": st.state is InfusionState.PAUSED, "rate": going, "stop": going,
               "complete": going or st.end_to_confirm}
    forecast = s.forecast if st.state in (InfusionState.NOT_STARTED, InfusionState.RUNNING,
                                          InfusionState.PAUSED) else ""
    return InfusionView(state, role, mmss(st.elapsed_running_s), remaining, rate, delivered, plan_text, st.progress,
                        reminder, _advice(s, st.state), actions, forecast)


def _advice(s: CoreState, state: InfusionState) -> str:
    """Say the hold-the-infusion advice once, for the infusion's state (before the start: evaluate first)."""
    if not s.advice or state in (InfusionState.STOPPED, InfusionState.COMPLETED):
        return ""
    hits = ", ".join(f"{spec_of(a.param).heading} {fmt(v)} {op_word(a.op)} {fmt(a.value)}"
                     for a, v in s.advice)
    if state is InfusionState.NOT_STARTED:
        return f"Evaluate before starting: {hits}"
    return f"Consider holding the infusion: {hits}"


PHASE_WORDS = {Phase.PRE_INFUSION: "Pre-infusion", Phase.INFUSION: "Infusion", Phase.OBSERVATION: "Observation",
               Phase.CLOSED: "Discharged — session closed"}


def _clinical(s: CoreState) -> ClinicalView | None:
    st = s.session
    if st is None:
        return None
    timer, done = "", False
    if st.observation_remaining_s is not None:
        done = st.observation_done
        timer = "time over" if done else f"{mmss(st.observation_remaining_s)} left"
    bp, role = _bp_due(st)
    if st.scales_due:
        title = " + ".join(d.label for d in st.scales_due)
        wanted = tuple(dict.fromkeys(x for d in st.scales_due for x in d.scales if x != "aldrete"))
        scales = f"Scales due ({title}): {', '.join(SCALE_NAMES[x] for x in wanted)}"
    elif st.last_scales:  # nothing due: what was scored last, so the panel shows the scores just recorded
        title, wanted = "", ()
        scales = "Last scales: " + ", ".join(  # no time: the whole line fits beside its buttons at 1366 px
            f"{SCALE_NAMES[e.scale].split(' 0-')[0]} {e.total}"  # 'nausea 2': its 0-10 range goes without saying
            + (f"/{e.max_total}" if e.max_total else "") for e in st.last_scales)
    else:
        title, wanted, scales = "", (), "Scales: none due"
    if st.scales_missed:  # what was missed first: "none due" goes without saying beside it
        missed = f"not recorded: {', '.join(st.scales_missed)}"
        scales = f"Scales {missed}" if scales == "Scales: none due" else f"{scales} · {missed}"
    due = not st.outcomes and st.phase is Phase.PRE_INFUSION
    # the fact first: where the line is cut short (1024 px) it still says what is due
    outcomes = ("; ".join(o.summary for o in st.outcomes) if st.outcomes else
                "Questionnaires due before the infusion" if due else "Questionnaires: none entered")
    reviewed = "".join(f" · ⚑ {f.score.flag_brief} of {f.where} {f.status_text}"
                       for f in st.carried_flags if f.reviewed)
    flags = tuple((f.score.id, f"{f.score.flag_text}: a clinician must review it") for f in st.unreviewed_flags)
    closed = st.phase is Phase.CLOSED
    discharge_allowed = st.phase is Phase.OBSERVATION or (s.infusion is None and st.phase is Phase.PRE_INFUSION)
    return ClinicalView(
        phase=PHASE_WORDS[st.phase], timer=timer,
        timer_done=done, bp_due=bp, bp_role=role, scales=scales, scales_due=wanted, scales_title=title,
        scales_missed=bool(st.scales_missed),
        outcomes=outcomes, outcomes_due=due, flags=flags,
        markers=_event_list(s), discharge_allowed=discharge_allowed,
        closed=closed, discharge=_discharge_facts(s), flags_reviewed=reviewed)


def _bp_due(st: SessionStatus) -> tuple[str, str]:
    if st.bp_due_in_s is None:
        return "", "normal"
    if st.bp_pending:
        return "BP: measuring…", "normal"
    press = "" if st.bp_auto else ": press start on the NIBP"
    if st.bp_overdue_s > 0:
        return f"BP overdue {mmss(st.bp_overdue_s)}{press}", "overdue"
    if st.bp_due_in_s <= 0:
        return f"BP due now{press}", "todo"
    if st.phase is Phase.PRE_INFUSION:  # the next one is only a fresh baseline if the start waits that long
        return f"Baseline BP valid {mmss(st.bp_due_in_s)} more", "normal"
    return f"Next BP in {mmss(st.bp_due_in_s)}", "normal"


def _event_list(s: CoreState) -> tuple[MarkerLine, ...]:
    """Return the event list, newest first: the markers and the infusion's steps with their reasons and who."""
    assert s.session is not None
    lines = [(m.t, _marker(m, s.now_wall, s.tz)) for m in s.session.markers]
    lines += [(e.t, MarkerLine("", f"{clock_text(e.t, s.tz)}  {_sentence(event_words(e))}"
                                   + (f" · {e.user}" if e.user else ""))) for e in s.infusion_log]
    return tuple(line for _, line in sorted(lines, key=lambda x: x[0], reverse=True))


def _sentence(words: str) -> str:
    """Return words with a capital first letter, the rest as written ('mL/h', 'BP' stay)."""
    return words[:1].upper() + words[1:]


def _marker(m: MarkerRevision, now_wall: float, tz: str | None) -> MarkerLine:
    edited = " (edited)" if m.revision > 1 else ""
    undo = UNDO_S - (now_wall - m.recorded_at) if m.revision == 1 else 0.0
    text = f"{clock_text(m.t, tz)}  {m.label}{': ' + m.note if m.note else ''}{edited} · {m.user}"
    return MarkerLine(m.id, text, max(0.0, undo))


def _discharge_facts(s: CoreState) -> DischargeFacts:
    """Return the latest valid SBP and SpO2 with their age (CLINICAL.md: Aldrete circulation and SpO2 items)."""
    valid = [(n.valid, n.valid_mono) for n in s.snap.nibp.values() if n.valid is not None]
    bp = max(valid, key=lambda v: v[1], default=None)
    sbp = sbp_text = None
    if bp is not None:
        age = s.now_mono - bp[1]
        usable = s.bp_age_state(age) != "expired"
        sbp = bp[0].sbp if usable else None
        sbp_text = f"SBP {number(bp[0].sbp)} mmHg at {clock_text(bp[0].t, s.tz)}, {age_text(age)}" + \
                   ("" if usable else ": too old, take a new BP")
    spo2, spo2_text = _live_value(s, "spo2", "SpO₂", "%")
    _, pulse_text = _live_value(s, "pulse_rate", "pulse", "/min")
    base = s.session.baseline if s.session is not None else {}
    return DischargeFacts(sbp, sbp_text or "no BP measured: take one", base.get("sbp"), spo2, spo2_text, pulse_text)


def _live_value(s: CoreState, param: str, name: str, unit: str) -> tuple[float | None, str]:
    latest = s.snap.primary(param)
    if latest is None or latest.value is None:
        return None, f"no {name} value"
    r = _reading(s, latest)
    if r.look != "live":
        return None, f"{name} {r.value} {unit} not usable: {r.note}"
    return latest.value, f"{name} {r.value} {unit} now"


#: The reader's state in words, for a device that has not delivered any data yet.
READER_WORDS = {"reconnecting": "not connected", "no data": "no data", "connecting": "connecting…",
                "connected": "waiting for data"}


def _device(s: CoreState, d: DeviceState) -> DeviceSummary:
    """Say a device for the footer: ✓ only while its data is current (the last came within DATA_CURRENT_S, its
    link up) and has come without a break for the stability time; otherwise what is wrong, in words
    ("no data 12 s", "reconnecting, no data 3 s · 5 drop-outs in 1 min", "unstable, 5 drop-outs in 1 min")."""
    name = _named(d.source, d.simulated)
    flow = s.snap.flows.get(d.source, Flow())
    if flow.last is None:
        return DeviceSummary(f"{name}: {READER_WORDS.get(d.state, d.state)}", False)
    now = s.now_mono
    count = flow.dropouts(now)
    dropouts = f"{count} drop-outs in 1 min" if count > 1 else ""
    silent = now - flow.last
    if d.state != "connected" or flow.since is None or silent > DATA_CURRENT_S:
        words = (["reconnecting"] if d.state == "reconnecting" else []) + \
            ([f"no data {duration_text(silent)}"] if silent >= 1.0 else [])
        what = ", ".join(words) or READER_WORDS.get(d.state, d.state)
        return DeviceSummary(f"{name}: {what}" + (f" · {dropouts}" if dropouts else ""), False)
    steady = now - flow.since
    if steady < s.stable_s:
        what = f"unstable, {dropouts}" if dropouts else \
            f"data back {duration_text(steady)} ago" if count else "just connected"
        return DeviceSummary(f"{name}: {what}", False)
    return DeviceSummary(f"{name} ✓", True)


def _trends(s: CoreState) -> TrendView | None:
    if not s.with_trends:
        return None
    series: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for param in ("spo2", "pulse_rate", "heart_rate"):
        source = next((src for src in s.snap.sources if (src, param) in s.snap.trends), None)
        if source is not None:
            series[param] = s.snap.trends[(source, param)]
    for param in ("sbp", "dbp"):  # single readings: every device's and the typed-in ones, in time order
        parts = [s.snap.trends[k] for k in s.snap.trends if k[1] == param]
        if parts:
            t, v = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
            order = np.argsort(t, kind="stable")
            series[param] = (t[order], v[order])
    first = min((float(t[0]) for t, _v in series.values() if len(t)), default=s.now_wall)
    return TrendView(series, tuple(s.timeline), min(first, s.session_start or s.now_wall))
