"""What the central station shows of each chair, read from the central store (read-only).

One ChairView per registered chair: its latest session, patient (the ID and the
second identifier, as the chair's header shows them), phase,
infusion figures, latest SpO2, pulse and BP with their ages, its baseline BP
(without one the chair's rise alarms are off), and its alarms: those present
now and those whose condition ended but that wait, latched, for the chair's
acknowledgement (with their nadir or peak and when they ended), told apart so a
tile never shows an ended alarm as a live one. A running session whose data
stopped arriving (its heartbeat, written by the chair every 0.5 s, is older
than STALE_AFTER_S) is marked stale, and its infusion is folded up to its last
heartbeat only: what is known, never a clock that counts on unseen. The
station never acknowledges or silences anything: it has no such command, and
its reviewer login could not write if it tried.

The chairs' rows are read as every other reader reads them: journal rows
through monitor.storage.journal (the chair's own reader), the infusion by the engine's fold
(clinical.infusion.infusion_history) and the alarms by their lives
(alarms/lives.py), so a tile says what the chair and the review say.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from monitor.alarms import Priority
from monitor.alarms.keys import AppAlarm
from monitor.alarms.lives import AlarmLife, alarm_lives
from monitor.alarms.profile import fmt
from monitor.central.reader import CentralSessions
from monitor.central.schema import SCHEMA
from monitor.clinical.config import load_clinical_config
from monitor.clinical.dosing import DosePlan
from monitor.clinical.infusion import InfusionHistory, InfusionState, infusion_history
from monitor.clinical.schedule import BpSchedule
from monitor.patient_id import second_id_text
from monitor.record import Baseline, InfusionEvent, PhaseChange
from monitor.storage.journal import read_journal
from monitor.storage.sessions import alarm_event_of_row

#: A running chair whose last data reached the store longer ago than this (s) is shown as NO DATA.
STALE_AFTER_S = 15.0
_VITALS = ("spo2", "pulse_rate")


@dataclass(frozen=True)
class Reading:
    """A latest value (unit of its parameter) and its age in s."""

    value: float | None
    age_s: float


@dataclass(frozen=True)
class BpReading:
    """The latest valid blood pressure (mmHg), its age in s and how the chair shows a reading that old:
    "current", "stale" (greyed) or "expired" (no longer the current BP), the clinical config's rule."""

    sbp: float | None
    dbp: float | None
    age_s: float
    look: str = "current"


@dataclass(frozen=True)
class StationAlarm:
    """An alarm shown at the chair: its priority, its message, whether the nurse acknowledged it.

    ended_t (UTC epoch s) is set for an alarm whose condition ended but that stays, latched, until the chair
    acknowledges it; worst is then the nadir (low side) or peak (high side) its parameter reached while the
    condition was present, when the store has the values.
    """

    priority: Priority
    message: str
    acknowledged: bool
    ended_t: float | None = None
    worst: float | None = None

    @property
    def present(self) -> bool:
        """Tell whether the alarm's condition is present now (not an ended, latched one)."""
        return self.ended_t is None


@dataclass(frozen=True)
class ChairView:
    """One chair's tile (ages in s against the station's clock)."""

    chair: str
    session: str | None  # CHAIR:ID of its latest session
    patient_id: str | None
    session_state: str | None  # running, closed, interrupted; None before its first session
    phase: str | None
    infusion: InfusionHistory | None  # the engine's fold of its journal, up to the station's clock
    spo2: Reading | None
    pulse: Reading | None
    bp: BpReading | None
    alarms: tuple[StationAlarm, ...]
    data_age_s: float | None  # since the chair's last heartbeat reached the store
    stale: bool
    unreadable: tuple[str, ...] = ()  # journal records of the session that could not be read (why, each)
    baseline_sbp: float | None = None  # the session's baseline SBP (mmHg); None: the rise alarms are off
    second_id: str = ""  # the patient's second identifier as the chair's header shows it ("DOB 12 Mar 1980"); "": none

    @property
    def top_priority(self) -> Priority | None:
        """Return the highest priority of the alarms present now (latched, ended ones excluded), None if none."""
        return max((a.priority for a in self.alarms if a.present), default=None)

    @property
    def latched_priority(self) -> Priority | None:
        """Return the highest priority of the ended alarms awaiting acknowledgement, None if none."""
        return max((a.priority for a in self.alarms if not a.present), default=None)


def chair_views(central: CentralSessions, now: float) -> list[ChairView]:
    """Read every chair's tile from the store in a handful of queries (a 20-chair clinic in well under 1 s)."""
    current = central.query(
        f"SELECT c.chair_id, s.id, s.patient_id, s.state, s.heartbeat_utc, s.weight_kg, s.dose_mg_per_kg, "
        f"s.infusion_min, s.bag_ml, s.birth_date, s.second_id, s.second_id_label FROM {SCHEMA}.chairs c LEFT JOIN LATERAL (SELECT * FROM {SCHEMA}.sessions s "
        "WHERE s.chair_id = c.chair_id ORDER BY s.started_utc DESC, s.id DESC LIMIT 1) s ON true ORDER BY c.chair_id")
    live = [(r[0], r[1]) for r in current if r[1] is not None]
    chairs, ids = [c for c, _ in live], [i for _, i in live]
    vitals: dict[tuple[str, str], Reading] = {}
    for chair, param, t, value in central.query(
            f"SELECT x.chair_id, p.param, n.t, n.value FROM unnest(%s::text[], %s::bigint[]) x(chair_id, sid) "
            "CROSS JOIN unnest(%s::text[]) p(param) CROSS JOIN LATERAL (SELECT t, value FROM "
            f"{SCHEMA}.numerics n WHERE n.chair_id = x.chair_id AND n.session_id = x.sid AND n.parameter = p.param "
            "ORDER BY n.t DESC LIMIT 1) n", [chairs, ids, list(_VITALS)]):
        vitals[(chair, param)] = Reading(value, max(0.0, now - t))
    bps = {chair: BpReading(sbp, dbp, max(0.0, now - t)) for chair, t, sbp, dbp in central.query(
        f"SELECT x.chair_id, b.t, b.sbp, b.dbp FROM unnest(%s::text[], %s::bigint[]) x(chair_id, sid) "
        f"CROSS JOIN LATERAL (SELECT t, sbp, dbp FROM {SCHEMA}.nibp b WHERE b.chair_id = x.chair_id "
        "AND b.session_id = x.sid AND b.sbp IS NOT NULL ORDER BY b.t DESC LIMIT 1) b", [chairs, ids])}
    alarm_rows: dict[str, list[tuple]] = {}
    for chair, *row in central.query(
            f"SELECT a.chair_id, a.t, a.event, a.alarm_id, a.condition, a.kind, a.priority, a.message, a.source, "
            f'a.parameter, a.value, a."limit", a."user" FROM {SCHEMA}.alarms a JOIN unnest(%s::text[], %s::bigint[]) '
            "x(chair_id, sid) ON a.chair_id = x.chair_id AND a.session_id = x.sid "
            "WHERE a.alarm_id <> '' ORDER BY a.t, a.local_rowid", [chairs, ids]):
        alarm_rows.setdefault(chair, []).append(tuple(row))
    rows: dict[str, list[tuple]] = {}
    for chair, *row in central.query(
            f'SELECT j.chair_id, j.t, j.kind, j.v, j.data, j."user" FROM {SCHEMA}.journal j '
            "JOIN unnest(%s::text[], %s::bigint[]) x(chair_id, sid) ON j.chair_id = x.chair_id "
            "AND j.session_id = x.sid WHERE j.kind IN ('phase', 'infusion', 'baseline') ORDER BY j.t, j.local_rowid",
            [chairs, ids]):
        rows.setdefault(chair, []).append(tuple(row))
    journals = {chair: read_journal(chair_rows) for chair, chair_rows in rows.items()}  # the chair's own reading
    phases: dict[str, str] = {}
    baselines: dict[str, float] = {}
    infusions: dict[str, list[InfusionEvent]] = {}
    for chair, journal in journals.items():
        for entry in journal.entries:
            if isinstance(entry.record, PhaseChange):
                phases[chair] = entry.record.phase
            elif isinstance(entry.record, InfusionEvent):
                infusions.setdefault(chair, []).append(entry.record)
            elif isinstance(entry.record, Baseline) and entry.record.sbp is not None:
                baselines[chair] = entry.record.sbp
    bp_schedule = BpSchedule(load_clinical_config().nibp)
    views = []
    for chair, sid, patient, state, heartbeat, weight, dose, minutes, bag, born, second, label in current:
        plan = DosePlan(weight or 0, dose or 0, minutes or 0, bag or DosePlan.bag_volume_ml)
        age = None if heartbeat is None else max(0.0, now - heartbeat)
        stale = state == "running" and (age is None or age > STALE_AFTER_S)
        known = heartbeat if stale and heartbeat is not None else now  # a silent chair: as of its last data
        infusion = None if sid is None else infusion_history(infusions.get(chair, ()), plan, known)
        bp = bps.get(chair)
        lives = alarm_lives(map(alarm_event_of_row, alarm_rows.get(chair, ())), now)
        started = infusion is not None and infusion.state is not InfusionState.NOT_STARTED
        views.append(ChairView(
            chair=chair, session=None if sid is None else f"{chair}:{sid}", patient_id=patient, session_state=state,
            phase=phases.get(chair), infusion=infusion,
            spo2=vitals.get((chair, "spo2")), pulse=vitals.get((chair, "pulse_rate")),
            bp=None if bp is None else replace(bp, look=bp_schedule.bp_display_state(bp.age_s)),
            alarms=active_alarms(lives, infusion_started=started,
                                 worst=lambda life, c=chair, s=sid: _worst(central, c, s, life)),
            data_age_s=age, stale=stale, unreadable=journals[chair].unreadable if chair in journals else (),
            baseline_sbp=baselines.get(chair), second_id=second_id_text(born, second, label)))
    return views


def _worst(central: CentralSessions, chair: str, sid: int, life: AlarmLife) -> float | None:
    """Return the nadir (a low alarm) or peak its continuous parameter reached from the raise to the end
    of its condition, from the numerics the chair replicated; None for a BP or technical alarm."""
    if life.param not in _VITALS or life.ended_t is None:
        return None
    [(low, high)] = central.query(
        f"SELECT min(value), max(value) FROM {SCHEMA}.numerics WHERE chair_id = %s AND session_id = %s "
        "AND parameter = %s AND t BETWEEN %s AND %s", [chair, sid, life.param, life.raised_t, life.ended_t])
    return low if life.condition.endswith("_low") else high


def active_alarms(lives: list[AlarmLife], infusion_started: bool = False,
                  worst: Callable[[AlarmLife], float | None] = lambda life: None) -> tuple[StationAlarm, ...]:
    """Return the alarms still shown at the end of the log (not cleared): present ones, most urgent first, then
    by raise, then the ended ones that wait, latched, for an acknowledgement (with worst(life), their nadir or
    peak).

    Priority, message, acknowledgement and end are the alarm lives' (alarms/lives.py): the highest priority
    reached, the message at the raise, acknowledged since the last escalation. An item-9 flag's message is
    cut to the flag and what is due: a review "before the infusion" only while the infusion has not started.
    """
    shown = []
    for life in lives:
        if life.active and life.priority is not None:
            low = None if life.ended_t is None else worst(life)
            shown.append(StationAlarm(life.priority, _tile_message(life, infusion_started, low), life.acknowledged,
                                      life.ended_t, low))
    return tuple(sorted(shown, key=lambda a: (not a.present, -a.priority)))


def _tile_message(life: AlarmLife, infusion_started: bool, worst: float | None) -> str:
    """Return an alarm's words for a tile: the raise's message; for an ended alarm with its worst value, that
    against its limit ("SpO2 nadir 84 < 90"); an item-9 flag's short ("PHQ-9 item 9 = 2 · ...")."""
    if worst is not None and life.limit is not None:
        low = life.condition.endswith("_low")
        return f"{life.subject} {'nadir' if low else 'peak'} {fmt(worst)} {'<' if low else '>'} {fmt(life.limit)}"
    if life.condition != AppAlarm.OUTCOME_FLAG:
        return life.message
    flag = life.message.split(" (", 1)[0].split(":", 1)[0]
    return f"{flag} · {'clinician to assess' if infusion_started else 'review before the infusion'}"
