"""Every kind of journal record but the outcomes: what a session journals, as data.

The records are defined here, not in the engines that write them (the
infusion engine, the marker log, the alarm settings), so that the schema can be
read in one place and the storage floor never loads a clinical engine. Each
class registers its KIND with monitor.record.base on definition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from monitor.record.base import Record


@dataclass(frozen=True)
class SessionStart(Record):
    """What the start dialog (or `record`) said about the session: course, checklist, soft-limit confirmation."""

    KIND: ClassVar[str] = "session_info"
    patient_id: str | None = None
    session_number: int | None = None  # this patient's n-th session
    course_length: int | None = None  # infusions planned in the course
    checklist: dict[str, bool] = field(default_factory=dict)
    checklist_by: str = ""
    soft_limits_confirmed: bool = False
    soft_limits: tuple[str, ...] = ()  # the soft-limit messages that were confirmed
    confirmed_by: str = ""


@dataclass(frozen=True)
class Baseline(Record):
    """Session baselines (mmHg, %, /min) and why they were taken then."""

    KIND: ClassVar[str] = "baseline"
    sbp: float | None = None
    dbp: float | None = None
    spo2: float | None = None
    pulse_rate: float | None = None
    why: str = ""


@dataclass(frozen=True)
class PhaseChange(Record):
    """The session entered a phase (pre_infusion, infusion, observation, closed)."""

    KIND: ClassVar[str] = "phase"
    phase: str


@dataclass(frozen=True)
class ObservationComplete(Record):
    """The observation time (min) has passed."""

    KIND: ClassVar[str] = "observation_complete"
    observation_min: float


@dataclass(frozen=True)
class BpRequest(Record):
    """A BP measurement was asked for: why ('baseline', 'scheduled', 'bp_now'), in which phase, by the app or not."""

    KIND: ClassVar[str] = "bp_request"
    why: str
    phase: str
    auto: bool | None = None  # for bp_now: whether the app could start the module itself


@dataclass(frozen=True)
class ManualBp(Record):
    """A BP read by the nurse on a device that is not connected (mmHg, /min)."""

    KIND: ClassVar[str] = "manual_bp"
    sbp: float
    dbp: float
    map: float
    pulse_rate: float | None = None


@dataclass(frozen=True)
class ScaleEntry(Record):
    """A scale score: MOAA/S, CADSS (items), a 0-10 rating (nausea, anxiety).

    t is when it was assessed (UTC epoch s); time_points the protocol times it
    counts for ("baseline", "40 min"...); total is the score for single-item scales.
    reason says why it was entered after the fact (a late entry from review; ""
    when entered at the time). The journal row's time and user say when and by whom.
    """

    KIND: ClassVar[str] = "scale"
    scale: str
    total: int
    t: float
    items: tuple[int, ...] = ()
    form: str = ""
    max_total: int | None = None
    anchor: str = ""
    time_points: tuple[str, ...] = ()
    phase: str = ""
    reason: str = ""  # added after version 2 without a new version: optional, absent from older rows

    VERSION: ClassVar[int] = 2

    @classmethod
    def _upgrade(cls, data: dict[str, Any], version: int) -> dict[str, Any]:
        if "total" not in data:  # version 1: single-item scales (MOAA/S, ratings) stored 'score'
            data["total"] = data.pop("score", None)
        return data


@dataclass(frozen=True)
class AldreteScore(Record):
    """Modified Aldrete items (0-2 each) and total, with the values circulation and SpO2 came from."""

    activity: int
    respiration: int
    circulation: int
    consciousness: int
    oxygenation: int
    total: int
    sbp_mmhg: float | None = None
    baseline_sbp_mmhg: float | None = None
    spo2_pct: float | None = None
    on_oxygen: bool = False


@dataclass(frozen=True)
class Discharge(Record):
    """A discharge assessment; closed says whether the session ended with it (ready, or overridden with a reason)."""

    KIND: ClassVar[str] = "discharge"
    aldrete: AldreteScore
    vitals_near_baseline: bool
    responsible_adult: str
    checked_by: str
    t: float
    aldrete_min: int
    ready: bool
    unmet: tuple[str, ...] = ()
    checklist: dict[str, bool] = field(default_factory=dict)
    override_reason: str = ""
    closed: bool = False


@dataclass(frozen=True)
class DeviceIdentity(Record):
    """Identity a device reported about itself (model, serial number, firmware), under its source name."""

    KIND: ClassVar[str] = "device_info"
    source: str
    model: str = ""
    serial_number: str = ""
    firmware: str = ""


@dataclass(frozen=True)
class SimulatedDevice(Record):
    """The device of this source is a simulator (DeviceSpec.simulated): none of its values is a patient's.

    Written when the device is connected; every report of its values marks them SIMULATED.
    """

    KIND: ClassVar[str] = "simulated_device"
    source: str


@dataclass(frozen=True)
class OperatorChange(Record):
    """The person at the monitor changed (session start, shift change): later actions are theirs."""

    KIND: ClassVar[str] = "operator"
    user: str
    previous: str = ""


@dataclass(frozen=True)
class StartCheck(Record):
    """The infusion's Start named pre-infusion items still unmet; user answered: started anyway, or waited.

    unmet is what the screen said, in words (a high alarm, no baseline BP, baseline scales, questionnaires,
    the checklist, an unreviewed flag); an unreviewed flag's own FlagOverride is journaled beside it.
    """

    KIND: ClassVar[str] = "start_check"
    unmet: tuple[str, ...]
    started: bool
    user: str

    @property
    def text(self) -> str:
        """Say the answer as review and reports do: 'Started over: no baseline BP — confirmed by AB'."""
        unmet = "; ".join(self.unmet) or "nothing unmet"
        return (f"Started over: {unmet} — confirmed by {self.user}" if self.started
                else f"Start held: {unmet} — waited, by {self.user}")


@dataclass(frozen=True)
class RecoveryImport(Record):
    """Rows of this session came from a recovery file: the database refused them when the session stopped.

    file_id names the file (a second import of it is a no-op), written_utc is
    when it was written (UTC epoch s) and reason what the database said then.
    """

    KIND: ClassVar[str] = "recovery_import"
    file_id: str
    rows: int
    written_utc: float
    reason: str


@dataclass(frozen=True)
class InfusionEvent(Record):
    """One documented infusion transition.

    t is UTC epoch seconds; rate_ml_per_h the pump rate set after the event (a
    pause keeps the rate that resume will use; the kind says nothing flows);
    delivered_mg the dose delivered at t.
    """

    KIND: ClassVar[str] = "infusion"
    t: float
    kind: str  # started, paused, resumed, rate_changed, stopped, completed, planned_end_reached
    rate_ml_per_h: float
    delivered_mg: float
    reason: str = ""
    user: str = ""


@dataclass(frozen=True)
class MarkerRevision(Record):
    """One revision of a marker; revision 1 is the original entry.

    t is when the event happened, recorded_at when this revision was entered
    (both UTC epoch s); reason is why it was edited or deleted ('' for the original).
    """

    KIND: ClassVar[str] = "marker"
    id: str
    revision: int
    t: float
    code: str
    label: str
    note: str
    user: str
    recorded_at: float
    reason: str = ""
    deleted: bool = False


@dataclass(frozen=True)
class LimitChange(Record):
    """One change of an alarm setting during a session (who changed what, from what, to what).

    t is UTC epoch s; key is a ParamLimits field ("medium_low", "delay_s"...).
    Version 1 rows were the alarm event's dict, with the key in 'condition'.
    """

    KIND: ClassVar[str] = "limit_changed"
    VERSION: ClassVar[int] = 2
    t: float
    param: str
    key: str
    old: float | None
    new: float | None
    user: str

    @classmethod
    def _upgrade(cls, data: dict[str, Any], version: int) -> dict[str, Any]:
        if "key" not in data:
            data["key"] = data.get("condition", "")
        return data
