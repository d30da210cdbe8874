"""What the central station shows of each chair, read from the central store (read-only).

One ChairView per registered chair: its latest session, patient, phase,
infusion figures, latest SpO2, pulse and BP with their ages, and its active
alarms. A running session whose data stopped arriving (its heartbeat, written
by the chair every 0.5 s, is older than STALE_AFTER_S) is marked stale. The
station never acknowledges or silences anything: it has no such command, and
its reviewer login could not write if it tried.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from monitor.alarms import Priority
from monitor.central.reader import CentralSessions
from monitor.central.schema import SCHEMA
from monitor.clinical.dosing import DoseError, DosePlan

#: A running chair whose last data reached the store longer ago than this (s) is shown greyed.
STALE_AFTER_S = 15.0
_VITALS = ("spo2", "pulse_rate")
_RUNS = ("started", "resumed")
_HALTS = {"paused": "paused", "stopped": "stopped", "completed": "completed", "planned_end_reached": "completed"}


@dataclass(frozen=True)
class Reading:
    """A latest value (unit of its parameter) and its age in s."""

    value: float | None
    age_s: float


@dataclass(frozen=True)
class BpReading:
    """The latest valid blood pressure (mmHg) and its age in s."""

    sbp: float | None
    dbp: float | None
    age_s: float


@dataclass(frozen=True)
class StationAlarm:
    """An alarm active at the chair: its priority, its message, whether the nurse acknowledged it."""

    priority: Priority
    message: str
    acknowledged: bool


@dataclass(frozen=True)
class InfusionFigures:
    """The infusion as its log says: state, time run (pauses excluded, s), time left at the current rate (s)."""

    state: str
    elapsed_s: float
    remaining_s: float | None


@dataclass(frozen=True)
class ChairView:
    """One chair's tile (ages in s against the station's clock)."""

    chair: str
    session: str | None  # CHAIR:ID of its latest session
    patient_id: str | None
    session_state: str | None  # running, closed, interrupted; None before its first session
    phase: str | None
    infusion: InfusionFigures | None
    spo2: Reading | None
    pulse: Reading | None
    bp: BpReading | None
    alarms: tuple[StationAlarm, ...]
    data_age_s: float | None  # since the chair's last heartbeat reached the store
    stale: bool

    @property
    def top_priority(self) -> Priority | None:
        return max((a.priority for a in self.alarms), default=None)


def infusion_figures(events: list[dict[str, Any]], plan: DosePlan, now: float) -> InfusionFigures | None:
    """Work out the infusion's state, running time and time left from its logged events (t in UTC epoch s).

    Each event carries the pump rate set after it (mL/h) and the dose delivered
    at its time (mg); between events the pump runs at that rate or not at all.
    """
    if not events:
        return None
    state, elapsed, since = "not started", 0.0, None
    for e in events:
        if e["kind"] in _RUNS:
            state, since = "running", e["t"]
        elif e["kind"] in _HALTS:
            if since is not None:
                elapsed += e["t"] - since
            state, since = _HALTS[e["kind"]], None
    if since is not None:
        elapsed += max(0.0, now - since)
    last = events[-1]
    rate = last["rate_ml_per_h"]
    if state in ("stopped", "completed"):
        return InfusionFigures(state, elapsed, 0.0)
    try:
        left_ml = plan.bag_volume_ml - last["delivered_mg"] / plan.concentration_mg_per_ml
    except DoseError:
        return InfusionFigures(state, elapsed, None)
    if state == "running":
        left_ml -= rate * max(0.0, now - last["t"]) / 3600
    return InfusionFigures(state, elapsed, max(0.0, left_ml) / rate * 3600 if rate > 0 else None)


def chair_views(central: CentralSessions, now: float) -> list[ChairView]:
    """Read every chair's tile from the store in a handful of queries (a 20-chair clinic in well under 1 s)."""
    current = central.query(
        f"SELECT c.chair_id, s.id, s.patient_id, s.state, s.heartbeat_utc, s.weight_kg, s.dose_mg_per_kg, "
        f"s.infusion_min, s.bag_ml FROM {SCHEMA}.chairs c LEFT JOIN LATERAL (SELECT * FROM {SCHEMA}.sessions s "
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
    alarms = _active_alarms(central.query(
        f"SELECT a.chair_id, a.alarm_id, a.event, a.priority, a.message FROM {SCHEMA}.alarms a "
        "JOIN unnest(%s::text[], %s::bigint[]) x(chair_id, sid) ON a.chair_id = x.chair_id AND a.session_id = x.sid "
        "WHERE a.alarm_id <> '' ORDER BY a.t, a.local_rowid", [chairs, ids]))
    journal: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for chair, kind, data in central.query(
            f"SELECT j.chair_id, j.kind, j.data FROM {SCHEMA}.journal j JOIN unnest(%s::text[], %s::bigint[]) "
            "x(chair_id, sid) ON j.chair_id = x.chair_id AND j.session_id = x.sid "
            "WHERE j.kind IN ('phase', 'infusion') ORDER BY j.t, j.local_rowid", [chairs, ids]):
        journal.setdefault(chair, []).append((kind, json.loads(data or "{}")))
    views = []
    for chair, sid, patient, state, heartbeat, weight, dose, minutes, bag in current:
        entries = journal.get(chair, [])
        phases = [d.get("phase") for k, d in entries if k == "phase"]
        events = [d for k, d in entries if k == "infusion"]
        plan = DosePlan(weight or 0, dose or 0, minutes or 0, bag or DosePlan.bag_volume_ml)
        age = None if heartbeat is None else max(0.0, now - heartbeat)
        views.append(ChairView(
            chair=chair, session=None if sid is None else f"{chair}:{sid}", patient_id=patient, session_state=state,
            phase=phases[-1] if phases else None, infusion=infusion_figures(events, plan, now),
            spo2=vitals.get((chair, "spo2")), pulse=vitals.get((chair, "pulse_rate")), bp=bps.get(chair),
            alarms=alarms.get(chair, ()), data_age_s=age,
            stale=state == "running" and (age is None or age > STALE_AFTER_S)))
    return views


def _active_alarms(rows: list[tuple[Any, ...]]) -> dict[str, tuple[StationAlarm, ...]]:
    """Fold alarm events (in time order) into each chair's alarms not yet cleared, most urgent first."""
    alarms: dict[tuple[str, str], dict[str, Any]] = {}
    for chair, alarm_id, event, priority, message in rows:
        a = alarms.setdefault((chair, alarm_id), {"message": message, "priority": None, "ack": False})
        if event in ("raised", "escalated"):  # an escalation needs a new acknowledgement, as at the chair
            a["message"], a["ack"] = message, False
        elif event == "acknowledged":
            a["ack"] = True
        if priority:
            a["priority"] = Priority.parse(priority)
        a["cleared"] = event == "cleared"
    out: dict[str, list[StationAlarm]] = {}
    for (chair, _), a in alarms.items():
        if not a.get("cleared") and a["priority"] is not None:
            out.setdefault(chair, []).append(StationAlarm(a["priority"], a["message"], a["ack"]))
    return {c: tuple(sorted(v, key=lambda a: -a.priority)) for c, v in out.items()}
