"""What a chair's tile on the central station says, in words: the patient, the state, three values with their
ages, the infusion, the baseline and every alarm.

Built from the core's ChairView (monitor.central.station), as the chair's own screen is built from its view
(monitor.live.screen), so the station's window (ui/station.py) only lays the words out and colours them by their
role: the clinical wording ("Infusion time reached 40:00 · awaiting Complete", "no baseline BP: rise alarms off")
is decided here, in the core, once.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.central.station import ChairView, Reading
from monitor.live.screen import STALE_AFTER_S as VALUE_STALE_S
from monitor.live.screen import number
from monitor.live.view import MARKS
from monitor.patient_id import identity_text
from monitor.timefmt import age_text, clock_text, duration_text, mmss

#: The labels of the three values, units included (the pulse's /min is its tile's habit, not needed to read it).
LABELS = ("SpO₂ %", "Pulse", "BP mmHg")


@dataclass(frozen=True)
class Value:
    """One big figure of a tile: its label, its text, its age words ("" when fresh) and whether it is dimmed."""

    label: str
    text: str
    age: str
    dimmed: bool


@dataclass(frozen=True)
class TileText:
    """What a tile says, in its fixed slots: title (the chair), identity (the patient's ID and second identifier, the
    two a nurse checks a patient by), status, three values and up to the window's fixed number of lines.

    A line too long for its slot continues on the next (cut at " · " where it can); lines that find no slot are
    counted in a last "+N more". Each line has a role: "plain", "warning" (rise alarms off, unreadable records),
    "unknown" (a silent chair's last known figures), "live-<priority>" (an alarm present now) or
    "latched-<priority>" (ended, not acknowledged).
    """

    title: str
    identity: str
    status: str
    values: tuple[Value, ...]
    lines: tuple[tuple[str, str], ...]


def _value(label: str, r: Reading | None, stale_after: float) -> Value:
    if r is None:
        return Value(label, "---", "", False)
    old = r.age_s > stale_after
    return Value(label, number(r.value), age_text(r.age_s) if old else "", old)


def tile_text(view: ChairView) -> TileText:
    """Return what a chair's tile shows (every rule is the core's: stale ages, the alarms' lives, the fold)."""
    none = tuple(Value(label, "", "", True) for label in LABELS)
    if view.session_state is None:
        return TileText(view.chair, "", "no session yet", none, ())
    identity = identity_text(view.patient_id or "no patient ID", None, view.second_id or "no second identifier")
    if view.session_state != "running":
        age = () if view.data_age_s is None else ((f"last data {age_text(view.data_age_s)}", "plain"),)
        return TileText(view.chair, identity, f"session {view.session_state}", none, age)
    unknown = view.stale
    status = (f"NO DATA {duration_text(view.data_age_s)}" if view.data_age_s is not None else "NO DATA") \
        if unknown else (view.phase or "").replace("_", " ")
    bp = view.bp
    if bp is None or bp.look == "expired":
        bp_value = Value(LABELS[2], "---", "no BP yet" if bp is None else f"last {age_text(bp.age_s)}", bp is not None)
    else:
        bp_value = Value(LABELS[2], f"{number(bp.sbp)}/{number(bp.dbp)}", age_text(bp.age_s), bp.look == "stale")
    values = (_value(LABELS[0], view.spo2, VALUE_STALE_S), _value(LABELS[1], view.pulse, VALUE_STALE_S), bp_value)
    if unknown:  # nothing on a silent chair's tile is current: its values dim, its lines say "last known"
        values = tuple(Value(v.label, v.text, v.age, True) for v in values)
    lines: list[tuple[str, str]] = []
    inf = view.infusion
    if inf is not None:
        state = inf.state.value.replace("_", " ")
        left = "" if inf.remaining_s is None or inf.end_utc is not None else f" · {mmss(inf.remaining_s)} left"
        if unknown:
            lines.append((f"Infusion clock unknown · last known {mmss(inf.running_s)} run{left}", "unknown"))
        elif inf.end_to_confirm:  # as the chair says it: the planned time came by itself, the nurse has not confirmed
            lines.append((f"Infusion time reached {mmss(inf.running_s)} · awaiting Complete", "plain"))
        else:
            lines.append((f"Infusion {state} {mmss(inf.running_s)}{left}", "plain"))
    if view.baseline_sbp is None:
        lines.append(("baseline BP not taken yet", "plain") if view.phase in (None, "pre_infusion")
                     else ("no baseline BP: rise alarms off", "warning"))
    for alarm in view.alarms:
        mark = MARKS[alarm.priority]
        if alarm.present:
            ack = " (acknowledged)" if alarm.acknowledged else ""
            text, role = f"{mark} {alarm.message}{ack}", f"live-{alarm.priority.label}"
        else:
            text = f"{mark} {alarm.message} · ended {clock_text(alarm.ended_t)}, not acknowledged"
            role = f"latched-{alarm.priority.label}"
        lines.append((f"last known: {text}", "unknown") if unknown else (text, role))
    if view.unreadable:
        lines.append((f"{len(view.unreadable)} journal record(s) unreadable: {view.unreadable[0]}", "warning"))
    return TileText(view.chair, identity, status, values, tuple(lines))
