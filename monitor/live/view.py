"""What the monitor screen shows, as immutable values: one ScreenView per frame, built by monitor.live.screen.

The window paints these and nothing else (no Qt here): each field is already
decided (words, colours' meaning, ages), so a reader of the screen can check it
without a display.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from devices.values import DeviceInfo
from monitor.alarms import ActiveAlarm, Priority
from monitor.live.state import Sweep

#: How a priority is marked beside words (IEC 60601-1-8 style: !!! high, !! medium, ! low).
MARKS = {p: p.mark for p in Priority}


@dataclass(frozen=True)
class TileView:
    """One numeric tile.

    look: "live", "questionable" (dimmed, '?'), "stale" (grey, with its age),
    "blocked" ('---' and the condition) or "none" (no value yet, or the device
    sent "no value"). age is said whenever the value is not live: the shown
    value's age ("42 s ago"), or while the tile shows '---' the last valid
    value and its age ("last 94 · 42 s ago"); the tile shows it whatever else
    it shows (a condition, a latched alarm). alarm is the priority of the parameter's present alarm (the tile's colour);
    ack_note says that an ended alarm awaits acknowledgement, ack_worst what it reached.
    limits are two short lines, high side then low side, each limit with its
    priority mark ("▲ 110 !!  130 !!!").
    """

    param: str
    title: str
    unit: str
    value: str
    note: str
    look: str
    age: str = ""
    alarm: Priority | None = None
    ack_note: str = ""
    ack_worst: str = ""  # what the ended alarm reached ("nadir 84 < 90")
    limits: tuple[str, ...] = ()
    source: str = ""  # device name when several devices give this parameter
    others: str = ""  # the other devices' values ("Pulse oximeter 2: 95")
    simulated: bool = False  # the shown value comes from a simulator: the tile says SIMULATED
    extra: str = ""  # perfusion index and signal quality where the device gives them

    @property
    def questionable(self) -> bool:
        return self.look == "questionable"


@dataclass(frozen=True)
class NibpView:
    """The NIBP field: the last valid BP and its time, the cuff pressure apart, the last failure beside it.

    look: "live", "questionable" (dimmed, '?': a reading whose time the device
    could not tell, e.g. the one it showed when the link started), "stale"
    (grey after stale_after_min), "expired" (no longer current: value
    '---/---', "take a new BP" in `mean`, the old reading in `when`) or "none".
    """

    value: str
    mean: str
    when: str
    look: str
    cuff: str = ""  # "Cuff 128 mmHg" while a measurement runs
    failure: str = ""  # "10:45 failed: motion artefact" (its cause) when the last attempt failed after this reading
    manual: bool = False
    alarm: Priority | None = None
    ack_note: str = ""
    limits: tuple[str, ...] = ()
    source: str = ""
    simulated: bool = False  # the BP shown comes from a simulator: the field says SIMULATED


@dataclass(frozen=True)
class PlethView:
    """The pleth sweep, or blank with a message when there is no live wave."""

    sweep: Sweep | None
    blank: bool
    message: str  # "no signal: probe off"; '' while live
    source: str = ""


@dataclass(frozen=True)
class AlarmLine:
    """One alarm in words, with its priority and state (✓ acknowledged, latched = ended, awaiting acknowledgement)."""

    text: str
    priority: Priority
    acknowledged: bool
    latched: bool = False

    @property
    def shown(self) -> str:
        """Return the line with its priority mark and a ✓ once acknowledged."""
        return f"{'✓ ' if self.acknowledged else ''}{MARKS[self.priority]} {self.text}"


@dataclass(frozen=True)
class AlarmField:
    """The alarms of one kind (physiological or technical), highest priority first."""

    lines: tuple[AlarmLine, ...]
    empty: str  # what the field says with no alarm

    @property
    def top(self) -> Priority | None:
        return self.lines[0].priority if self.lines else None

    @property
    def flashing(self) -> bool:
        """Tell whether the field flashes: an unacknowledged alarm of its top priority is on it."""
        return any(not a.acknowledged for a in self.lines if a.priority == self.top)


@dataclass(frozen=True)
class AudioView:
    """The alarm sound symbol: "on", "paused" (with the countdown) or "off" (no audio: alarms are silent)."""

    state: str
    text: str
    audible: Priority | None = None


@dataclass(frozen=True)
class HeaderView:
    """Who and when: patient, weight, infusion N of M, baseline BP (or the warning), time of day, user."""

    patient: str
    weight: str
    course: str
    baseline: str
    baseline_role: str  # "ok", "todo" (not taken yet, before the infusion) or "warning" (the rise alarms are off)
    clock: str
    user: str
    identifiers: str = ""  # the start of patient that is never cut: the patient ID and the second identifier


@dataclass(frozen=True)
class InfusionView:
    """The infusion at a glance: state words and colour role, timer, rate (0 while paused), dose, commands allowed.

    role: "idle", "running", "paused", "ended".
    """

    state: str
    role: str
    elapsed: str
    remaining: str
    rate: str
    delivered: str
    plan: str
    progress: float
    reminder: str  # a long pause, or the planned end awaiting confirmation
    advice: str  # "Consider holding the infusion: SBP 185 ≥ 180"
    actions: Mapping[str, bool]  # start, pause, resume, rate, stop, complete -> allowed now
    forecast: str = ""  # "BP forecast: peak about 150 mmHg (138-162), from 4 earlier infusions" (advice only)


@dataclass(frozen=True)
class MarkerLine:
    """One line of the event list: a marker's id ('' for an infusion step, which is not edited here), the words,
    and how long it can still be undone (0: no longer)."""

    marker_id: str
    text: str
    undo_s: float = 0.0


@dataclass(frozen=True)
class DischargeFacts:
    """The measured inputs of the Aldrete score with their age; None where there is no usable value."""

    sbp: float | None
    sbp_text: str
    baseline_sbp: float | None
    spo2: float | None
    spo2_text: str
    pulse_text: str


@dataclass(frozen=True)
class ClinicalView:
    """Phase, observation timer, BP due, scales due, questionnaires and the item-9 flag, markers, discharge."""

    phase: str
    timer: str
    timer_done: bool
    bp_due: str
    bp_role: str  # "normal", "todo" (due now) or "overdue"
    scales: str
    scales_due: tuple[str, ...]
    scales_title: str
    scales_missed: bool  # a time point closed before its scales were recorded (said in `scales`)
    outcomes: str
    outcomes_due: bool
    flags: tuple[tuple[str, str], ...]  # unreviewed item-9 flags: (entry id, words)
    markers: tuple[MarkerLine, ...]
    discharge_allowed: bool
    closed: bool
    discharge: DischargeFacts
    flags_reviewed: str = ""  # earlier sessions' flags reviewed during this one ("⚑ PHQ-9 item 9 = 2 of session 9 ...")


@dataclass(frozen=True)
class DeviceSummary:
    """A device in a nurse's words ("Pulse oximeter ✓", "Pulse oximeter: no data 12 s"); ok only with ✓.

    Details (port, counters, errors) are in the devices panel.
    """

    text: str
    ok: bool


@dataclass(frozen=True)
class TrendView:
    """Trend series of the primary source of each parameter (UTC epoch s, value) and the timeline's events."""

    series: Mapping[str, tuple[np.ndarray, np.ndarray]]
    events: tuple[tuple[float, str], ...]
    start: float


@dataclass(frozen=True)
class CentralView:
    """The footer's replication indicator: 'central: ok', '3 min behind', 'unreachable for 4 min'; ok False dims it
    into the low-alarm colour (the core raises the technical alarm itself when it lasts)."""

    text: str
    ok: bool


@dataclass(frozen=True)
class ScreenView:
    """Everything the monitor window paints in one frame."""

    t: float
    header: HeaderView
    tiles: tuple[TileView, ...]
    nibp: NibpView
    pleth: PlethView
    physiological: AlarmField
    technical: AlarmField
    audio: AudioView
    infusion: InfusionView | None
    clinical: ClinicalView | None
    devices: tuple[DeviceSummary, ...]
    trends: TrendView | None = None
    central: CentralView | None = None  # replication to the clinic's central store, when there is one

    def tile(self, param: str) -> TileView | None:
        return next((t for t in self.tiles if t.param == param), None)


@dataclass(frozen=True)
class AlarmView:
    """What the alarm bar and the speaker need for one frame."""

    active: list[ActiveAlarm]
    audible: Priority | None
    pause_remaining_s: float | None
    advisories: list[str]


@dataclass(frozen=True)
class DeviceView:
    """One row of the devices panel."""

    source: str  # the name its values are shown and stored under
    role: str
    protocol: str
    port: str
    state: str
    last_data_age_s: float | None
    bytes_rx: int
    errors: dict[str, int]
    reconnects: int
    last_error: str
    info: DeviceInfo | None
