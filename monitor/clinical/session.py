"""The clinical session: phases, BP and scale schedules, markers, scales, baseline and discharge.

The core holds one ClinicalSession per recording. It follows the infusion
engine (start -> infusion phase; stopped or completed -> observation with its
timer), decides when a BP is due (and asks the core to start the NIBP when the
device takes commands), raises the "NIBP overdue" technical alarm, gives the
alarm engine its baselines and records everything the nurse enters (markers
and their revisions, scales, outcome questionnaires, discharge) in the session
journal, so that a later review can rebuild the session from the database alone.

The PHQ-9 item-9 flag (outcomes.py) raises a medium-priority technical alarm,
AppAlarm.OUTCOME_FLAG, and holds it until a clinician has written a review of
every flagged entry: acknowledging it only stops its sound. Medium, because the
guidance asks for a prompt assessment before the infusion, not an immediate
intervention; an alarm rather than a quiet notice, because it must be seen
before the infusion starts and stays on the alarm bar until reviewed. The
flag itself is never cleared: status().outcome_flags lists it with its
reviews for as long as the session exists, and the journal keeps both.

A flag follows the patient: the core passes the unreviewed flags of earlier
sessions (`carried`) when it opens the session, they raise the same alarm from
the first tick, and a review entered here (linked by the entry's id) ends it.
While any flag is unreviewed, the infusion's Start is refused until someone
confirms going on (FlagOverride, journaled with their name): start_refusal().

Threading: every method runs under `lock` (the core passes its own RLock, so
the core thread and the UI thread never see a half-updated session). Times:
`clock` is monotonic seconds (schedules), `wallclock` UTC epoch seconds
(journal, markers).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from devices.plausibility import reliable
from devices.values import DeviceItem, NibpResult, Sample
from monitor.alarms import Priority
from monitor.alarms.keys import AppAlarm
from monitor.clinical.config import ClinicalConfig
from monitor.clinical.infusion import InfusionEngine, InfusionState
from monitor.clinical.markers import MarkerLog
from monitor.clinical.outcomes import OutcomeFlag, SessionOutcomes
from monitor.clinical.scales import SCALE_CODES, SCALE_NAMES, Aldrete, Cadss, DischargeCheck, Moaas, Rating
from monitor.clinical.schedule import BpSchedule, Phase, ScaleDue, ScaleSchedule
from monitor.record.base import Record
from monitor.record.journal import (
    Baseline,
    BpRequest,
    Discharge,
    MarkerRevision,
    ObservationComplete,
    PhaseChange,
    ScaleEntry,
    SessionStart,
    StartCheck,
)
from monitor.record.instruments import INSTRUMENTS
from monitor.record.outcomes import FlagOverride, OutcomeReview, OutcomeScore

#: After asking the NIBP to measure, wait this long (s) for a result before asking again.
NIBP_RESULT_WAIT_S = 180.0
#: After a failed measurement, wait this long (s) before the app starts another one.
NIBP_RETRY_S = 60.0
#: A marker entered this recently (s) can be undone without a written reason (a stray number key).
UNDO_S = 10.0

Score = Moaas | Cadss | Rating | Aldrete


class SessionError(ValueError):
    """A clinical entry that cannot be accepted now; the message says why."""


@dataclass(frozen=True)
class SessionAction:
    """Something the core must do after a tick, outside the session's reach (device, alarms): see MonitorCore._carry_out."""

    kind: str  # "nibp_start", "raise", "clear"
    key: str = ""  # the AppAlarm raised or cleared
    priority: Priority | None = None
    message: str = ""


@dataclass(frozen=True)
class SessionStatus:
    """What the clinical panel shows, read at one moment (seconds, UTC epoch)."""

    phase: Phase
    observation_remaining_s: float | None  # None outside observation
    observation_done: bool
    bp_due_in_s: float | None  # None when no BP is scheduled (closed)
    bp_overdue_s: float
    bp_auto: bool  # the app starts the NIBP itself
    bp_pending: bool  # a measurement was asked for and no result came yet
    scales_due: tuple[ScaleDue, ...]
    scales_missed: tuple[str, ...]  # labels of time points that closed before their scales were recorded
    markers: tuple[MarkerRevision, ...]
    session_number: int | None
    course_length: int | None
    baseline: dict[str, float]
    discharge: dict[str, Any] | None
    outcomes: tuple[OutcomeScore, ...]  # every questionnaire entered in this session, oldest first
    outcome_flags: tuple[OutcomeFlag, ...]  # every flagged entry with its reviews, reviewed or not
    carried_flags: tuple[OutcomeFlag, ...] = ()  # flags of earlier sessions unreviewed at the start, with reviews since
    last_scales: tuple[ScaleEntry, ...] = ()  # the latest score of each scale recorded, in the protocol's order

    @property
    def unreviewed_flags(self) -> tuple[OutcomeFlag, ...]:
        """Return the flags no clinician has reviewed yet, earlier sessions' first (shown before the infusion)."""
        return tuple(f for f in (*self.carried_flags, *self.outcome_flags) if not f.reviewed)

    @property
    def course_text(self) -> str:
        """Return "infusion 3 of 6" (or "infusion 3" without a course length, "" without a patient)."""
        if self.session_number is None:
            return ""
        return f"infusion {self.session_number}" + (f" of {self.course_length}" if self.course_length else "")


@dataclass(frozen=True)
class DischargeResult:
    """A discharge assessment: the check, the extra criteria, and whether the session closed."""

    check: DischargeCheck
    unmet: tuple[str, ...]  # the check's unmet criteria plus observation time and checklist
    override_reason: str
    closed: bool


@dataclass
class _Nibp:
    requested_at: float | None = None  # monotonic time of the last automatic or manual request
    pending: bool = False
    failed_at: float | None = None
    overdue_raised: bool = False


@dataclass
class _Baseline:
    values: dict[str, float] = field(default_factory=dict)
    bp_at: float | None = None  # monotonic time of the reading the BP baseline came from
    latest: dict[str, float] = field(default_factory=dict)  # latest valid spo2 / pulse_rate


class ClinicalSession:
    """The clinical life of one session around its (optional) infusion.

    journal(kind, data, user) stores an entry; set_baseline(param, value) gives
    the alarm engine a baseline; nibp_commandable() tells whether the NIBP takes
    a start command. session_number / course_length give "infusion 3 of 6".
    """

    def __init__(self, config: ClinicalConfig, *, infusion: InfusionEngine | None,
                 journal: Callable[[Record, str], None],
                 set_baseline: Callable[[str, float], None] = lambda p, v: None,
                 nibp_commandable: Callable[[], bool] = lambda: False,
                 clock: Callable[[], float] = time.monotonic, wallclock: Callable[[], float] = time.time,
                 session_number: int | None = None, course_length: int | None = None,
                 lock: threading.RLock | None = None) -> None:
        self.config = config
        self.infusion = infusion
        self._journal = journal
        self._set_baseline = set_baseline
        self._commandable = nibp_commandable
        self._clock = clock
        self._wallclock = wallclock
        self.lock = lock or threading.RLock()
        self.session_number = session_number
        self.course_length = course_length
        self.bp = BpSchedule(config.nibp, clock)
        self.scales = ScaleSchedule(config.scale_times, config.observation_min, clock)
        self._last_scales: dict[str, ScaleEntry] = {}  # the latest score of each scale, shown on the panel
        self.markers = MarkerLog(config.markers, session_start=wallclock(), clock=wallclock)
        self._nibp = _Nibp()
        self._base = _Baseline()
        self._observation_end: float | None = None
        self._observation_done_said = False
        self._pause_reminded = False
        self._discharge: dict[str, Any] | None = None
        self._outcomes = SessionOutcomes()
        self._flagged: frozenset[str] = frozenset()  # ids of the unreviewed flagged entries the alarm stands for
        self._carried: tuple[OutcomeFlag, ...] = ()  # earlier sessions' flags, unreviewed when this one opened
        self._overridden: frozenset[str] = frozenset()  # flags someone confirmed starting the infusion despite
        self._actions: list[SessionAction] = []  # raised by people's entries, carried out on the next tick
        self.soft_limits_confirmed = False  # the start dialog recorded a confirmation (SessionInfo.extra)
        self.checklist: dict[str, bool] | None = None  # the start dialog's pre-infusion checklist; None: none recorded

    @classmethod
    def opened(cls, config: ClinicalConfig, *, start: dict[str, Any], patient_id: str | None,
               session_number: int | None, carried: tuple[OutcomeFlag, ...] = (), **ports: Any) -> ClinicalSession:
        """Build the session of a recording and journal its start.

        start holds what the start dialog recorded (SessionInfo.extra: course
        length, soft-limit confirmation...); session_number is this session's
        place in the patient's course; carried are the patient's unreviewed
        flags of earlier sessions (their alarm is raised on the first tick, and
        the start dialog's confirmation of them, start["flags_seen"] and
        ["flags_seen_by"], is journaled); ports are the constructor's keyword
        arguments (infusion, journal, set_baseline, nibp_commandable, clocks,
        lock), which the core passes in so the session never reaches into it.
        """
        course = start.get("course_length")
        session = cls(config, session_number=session_number, course_length=int(course) if course else None, **ports)
        session.soft_limits_confirmed = bool(start.get("soft_limits_confirmed"))
        checklist = start.get("checklist")
        session.checklist = {str(k): bool(v) for k, v in checklist.items()} if isinstance(checklist, dict) else None
        session._journal(SessionStart.from_data({**start, "patient_id": patient_id, "session_number": session_number,
                                                 "course_length": session.course_length}), "")
        seen = tuple(start.get("flags_seen") or ())
        if seen:
            session._journal(FlagOverride(seen, start.get("flags_seen_by", ""), "session", session._wallclock()),
                             str(start.get("flags_seen_by", "")))
        session._carried = tuple(f for f in carried if not f.reviewed)
        with session.lock:
            session._take_outcomes([])
        return session

    # --- from the core thread ---------------------------------------------------------------

    def on_item(self, item: DeviceItem) -> None:
        """Follow device items: BP results for the schedule and baseline, SpO2 and pulse for the baseline."""
        with self.lock:
            if isinstance(item, NibpResult):
                self._on_nibp(item)
            elif isinstance(item, Sample) and item.param in ("spo2", "pulse_rate") \
                    and reliable(item.value, item.flags):
                self._base.latest[item.param] = float(item.value)

    def _on_nibp(self, r: NibpResult) -> None:
        now = self._clock()
        self._nibp.pending = False
        if r.error or r.sbp is None or r.dbp is None:
            self._nibp.failed_at = now
            return
        self.bp.measured(now)
        if self.bp.phase is not Phase.PRE_INFUSION:
            return
        expired = self._base.bp_at is not None and now - self._base.bp_at > self.config.nibp.baseline_valid_min * 60
        if self._base.bp_at is None or expired:
            self._base.bp_at = now
            self._baseline({"sbp": r.sbp, "dbp": r.dbp}, "first BP before the infusion"
                           if not expired else "the previous baseline BP was too old")

    def _baseline(self, values: dict[str, float], why: str) -> None:
        given = {}
        for param, value in values.items():
            try:
                self._set_baseline(param, value)
            except ValueError:  # outside the physiological range: not a usable baseline
                continue
            self._base.values[param] = float(value)
            given[param] = float(value)
        if given:
            self._journal(Baseline(**given, why=why), "")

    def tick(self) -> list[SessionAction]:
        """Advance phases and schedules; return what the core must do (start NIBP, alarms)."""
        with self.lock:
            self._follow_infusion()
            actions, self._actions = self._actions, []
            actions += self._nibp_actions()
            actions += self._pause_actions()
            if self._observation_end is not None and not self._observation_done_said \
                    and self._clock() >= self._observation_end:
                self._observation_done_said = True
                self._journal(ObservationComplete(self.config.observation_min), "")
                actions.append(SessionAction("raise", AppAlarm.OBSERVATION_DONE, Priority.LOW,
                                             "Observation time over: assess the patient for discharge"))
            return actions

    def _follow_infusion(self) -> None:
        if self.infusion is None or self.phase is Phase.CLOSED:
            return
        state = self.infusion.state
        if self.phase is Phase.PRE_INFUSION and state is not InfusionState.NOT_STARTED:
            self._enter(Phase.INFUSION)
            self._baseline({p: self._base.latest[p] for p in ("spo2", "pulse_rate") if p in self._base.latest},
                           "values at the infusion start")
        if self.phase is Phase.INFUSION and state in (InfusionState.STOPPED, InfusionState.COMPLETED):
            self._enter(Phase.OBSERVATION)
            self._observation_end = self._clock() + self.config.observation_min * 60

    def _enter(self, phase: Phase) -> None:
        now = self._clock()
        self.bp.set_phase(phase, now)
        self.scales.set_phase(phase, now)
        self._journal(PhaseChange(phase.value), "")

    def _nibp_actions(self) -> list[SessionAction]:
        now, st = self._clock(), self._nibp
        actions: list[SessionAction] = []
        if st.pending and st.requested_at is not None and now - st.requested_at > NIBP_RESULT_WAIT_S:
            st.pending = False
        retry_ok = st.failed_at is None or now - st.failed_at >= NIBP_RETRY_S
        if self.bp.due_now and not st.pending and retry_ok and self._commandable():
            st.requested_at, st.pending = now, True
            why = "baseline" if self.phase is Phase.PRE_INFUSION else "scheduled"
            self._journal(BpRequest(why, self.phase.value), "")
            actions.append(SessionAction("nibp_start"))
        if self.bp.overdue_alarm and not st.overdue_raised:
            st.overdue_raised = True
            actions.append(SessionAction("raise", AppAlarm.NIBP_OVERDUE, Priority.MEDIUM,
                                         f"NIBP overdue: a BP was due {self.bp.overdue_s / 60:.0f} min ago"))
        elif not self.bp.overdue_alarm and st.overdue_raised:
            st.overdue_raised = False
            actions.append(SessionAction("clear", AppAlarm.NIBP_OVERDUE))
        return actions

    def _pause_actions(self) -> list[SessionAction]:
        """Remind once a pause lasts pause_reminder_min; end the reminder when the infusion resumes or ends."""
        if self.infusion is None:
            return []
        paused_s = self.infusion.status().paused_for_s
        if paused_s >= self.config.pause_reminder_min * 60 and not self._pause_reminded:
            self._pause_reminded = True
            return [SessionAction("raise", AppAlarm.INFUSION_PAUSED, Priority.LOW,
                                  f"Infusion paused for {paused_s / 60:.0f} min: resume it or stop early")]
        if paused_s == 0 and self._pause_reminded:
            self._pause_reminded = False
            return [SessionAction("clear", AppAlarm.INFUSION_PAUSED)]
        return []

    # --- from people (UI thread) -----------------------------------------------------------------

    @property
    def phase(self) -> Phase:
        """Return the current phase."""
        return self.bp.phase

    def bp_now(self, user: str) -> bool:
        """Ask for a BP now (the nurse pressed "BP now"); return whether the app can start the device.

        The cycle restarts when the reading arrives (every valid reading does).
        """
        with self.lock:
            auto = self._commandable()
            if auto:
                self._nibp.requested_at, self._nibp.pending = self._clock(), True
            self._journal(BpRequest("bp_now", self.phase.value, auto), user)
            return auto

    def mark(self, key_or_code: str | int, user: str, t: float | None = None, note: str = "") -> MarkerRevision:
        """Enter an event marker now (or backdated to UTC epoch t); MarkerError says why not."""
        with self.lock:
            rev = self.markers.mark(key_or_code, t=t, note=note, user=user)
            self._journal(rev, user)
            return rev

    def undo_mark(self, marker_id: str, user: str) -> MarkerRevision:
        """Take back a marker entered less than UNDO_S seconds ago (a stray key), without a written reason.

        The marker and its removal both stay in the journal. Later, or for a
        marker already changed, delete_marker() with a reason is the way.
        """
        with self.lock:
            history = self.markers.history(marker_id)
            if len(history) != 1 or self._wallclock() - history[0].recorded_at > UNDO_S:
                raise SessionError(f"only an event entered less than {UNDO_S:.0f} s ago can be undone; "
                                   "open it to delete it with a reason")
            return self.delete_marker(marker_id, user=user, reason=f"undone within {UNDO_S:.0f} s of entry")

    def edit_marker(self, marker_id: str, *, user: str, reason: str, **changes: Any) -> MarkerRevision:
        """Append a revision changing t, code and/or note; the original stays in the journal."""
        with self.lock:
            rev = self.markers.edit(marker_id, user=user, reason=reason, **changes)
            self._journal(rev, user)
            return rev

    def delete_marker(self, marker_id: str, *, user: str, reason: str) -> MarkerRevision:
        """Append a revision marking the marker deleted (kept in the journal)."""
        with self.lock:
            rev = self.markers.delete(marker_id, user=user, reason=reason)
            self._journal(rev, user)
            return rev

    def record_scale(self, score: Score, user: str, t: float | None = None) -> tuple[str, ...]:
        """Store a scale score (entered now, or for UTC epoch t) and return the protocol time points it counts for."""
        if not isinstance(user, str) or not user.strip():
            raise SessionError("the user recording the scale is required")
        with self.lock:
            data = score.to_dict()
            counted = self.scales.record(data["scale"])
            when = self._wallclock() if t is None else t
            entry = ScaleEntry.from_data({**data, "t": when, "time_points": counted, "phase": self.phase.value})
            self._journal(entry, user.strip())
            if entry.scale not in self._last_scales or self._last_scales[entry.scale].t <= entry.t:
                self._last_scales[entry.scale] = entry
            return counted

    def record_outcome(self, score: OutcomeScore) -> None:
        """Store a questionnaire entered now (nurse or patient mode); a flagged one raises the outcome-flag alarm."""
        with self.lock:
            if self._outcomes.score(score.id) is not None:
                raise SessionError("this questionnaire entry is already recorded")
            self._journal(score, score.user)
            self._take_outcomes([score])

    def review_outcome_flag(self, outcome_id: str, reviewer: str, note: str) -> OutcomeReview:
        """Record a clinician's review of a flagged entry; the alarm ends when every flag is reviewed.

        The flag and the review both stay in the record. OutcomeError (a
        ValueError) without a reviewer or a note, SessionError for an entry
        that is not flagged in this session.
        """
        with self.lock:
            score = self._outcomes.score(outcome_id) or next(
                (f.score for f in self._carried if f.score.id == outcome_id), None)
            if score is None or not score.flag:
                raise SessionError("there is no flagged questionnaire entry with this id in the session "
                                   "or unreviewed from an earlier one")
            review = OutcomeReview(outcome_id, reviewer, note, self._wallclock())
            self._journal(review, review.reviewer)
            self._take_outcomes([review])
            return review

    def adopt_outcomes(self, found: SessionOutcomes) -> None:
        """Take in entries and reviews another program wrote into this session (the `outcome` command)."""
        with self.lock:
            self._take_outcomes([*found.scores, *found.reviews])

    def confirm_start_despite_flags(self, user: str) -> None:
        """Record that `user` chose to start the infusion with the flags unreviewed now (FlagOverride, journaled)."""
        with self.lock:
            ids = tuple(f.score.id for f in self._unreviewed())
            if not ids:
                return
            override = FlagOverride(ids, user, "infusion", self._wallclock())
            self._journal(override, override.user)
            self._overridden |= frozenset(ids)

    def start_refusal(self) -> str:
        """Return why the infusion may not start yet (an unreviewed, unconfirmed item-9 flag), "" when it may."""
        with self.lock:
            waiting = [f for f in self._unreviewed() if f.score.id not in self._overridden]
            if not waiting:
                return ""
            return (f"{waiting[0].score.flag_text} is not reviewed: a clinician must review it, or you confirm "
                    "starting without a review (recorded with your name)")

    def start_unmet(self, high_alarms: Iterable[str] = (), instruments: Iterable[str] = ()) -> tuple[str, ...]:
        """Return, in words, each pre-infusion item still unmet, for the one confirmation Start asks ("" items: none).

        high_alarms are the messages of the high-priority alarms active now (the alarm engine's, passed by the
        core), instruments the questionnaires this patient is asked before the infusion. The items: a high
        alarm, no baseline BP, the baseline scales not all recorded, a questionnaire not entered in this
        session, the pre-infusion checklist not recorded or not all ticked, an item-9 flag neither reviewed nor
        confirmed (the infusion's start is refused on it until record_start_check confirms it).
        """
        with self.lock:
            out = [f"high alarm: {text}" for text in high_alarms]
            if "sbp" not in self._base.values:
                out.append("no baseline BP: the rise alarms stay off for this infusion")
            if self.phase is Phase.PRE_INFUSION:
                out += [f"{due.label} scales not recorded: {', '.join(SCALE_NAMES[s] for s in due.scales)}"
                        for due in self.scales.due()]
            entered = {score.instrument for score in self._outcomes.scores}
            missing = [INSTRUMENTS[code].name if code in INSTRUMENTS else code
                       for code in instruments if code not in entered]
            if missing:
                out.append(f"questionnaires due before the infusion not entered: {', '.join(missing)}")
            if self.checklist is None:
                out.append("pre-infusion checklist not recorded")
            else:
                out += [f"pre-infusion checklist: {item.replace('_', ' ')} not ticked"
                        for item, ticked in self.checklist.items() if not ticked]
            out += [f"{flag.score.flag_text}, not reviewed" for flag in self._unreviewed()
                    if flag.score.id not in self._overridden]
            return tuple(out)

    def record_start_check(self, unmet: tuple[str, ...], user: str, started: bool) -> None:
        """Journal the answer to Start's confirmation of unmet items (StartCheck) with who gave it.

        Starting anyway also confirms any unreviewed item-9 flag (FlagOverride), so it is asked once.
        SessionError (a ValueError) without a user: an answer nobody gave cannot be recorded.
        """
        if not isinstance(user, str) or not user.strip():
            raise SessionError("the user answering the start's confirmation is required")
        with self.lock:
            self._journal(StartCheck(tuple(unmet), started, user.strip()), user.strip())
            if started:
                self.confirm_start_despite_flags(user.strip())

    def _carried_flags(self) -> tuple[OutcomeFlag, ...]:
        """Return the earlier sessions' flags with their reviews, those entered in this session included."""
        return tuple(replace(f, reviews=(*f.reviews, *(r for r in self._outcomes.reviews
                                                        if r.outcome_id == f.score.id))) for f in self._carried)

    def _unreviewed(self) -> tuple[OutcomeFlag, ...]:
        return tuple(f for f in (*self._carried_flags(), *self._outcomes.flags()) if not f.reviewed)

    def _take_outcomes(self, records: list[OutcomeScore | OutcomeReview]) -> None:
        """Merge records; raise the flag alarm afresh for a new flag, update its words, or end it when all are reviewed."""
        self._outcomes = self._outcomes.merge(records)
        unreviewed = self._unreviewed()
        ids = frozenset(f.score.id for f in unreviewed)
        if ids - self._flagged:  # a new flag: a new, unacknowledged alarm even if the last one was acknowledged
            self._actions.append(SessionAction("clear", AppAlarm.OUTCOME_FLAG))
        if unreviewed and ids != self._flagged:
            f = unreviewed[-1]
            more = f" (and {len(unreviewed) - 1} more)" if len(unreviewed) > 1 else ""
            where = f" from {f.where}" if f.where else ""
            self._actions.append(SessionAction("raise", AppAlarm.OUTCOME_FLAG, Priority.MEDIUM,
                                               f"{f.score.flag_text}{where}{more}: a clinician must review before "
                                               "the infusion"))
        elif not unreviewed and self._flagged:
            self._actions.append(SessionAction("clear", AppAlarm.OUTCOME_FLAG))
        self._flagged = ids

    def discharge(self, aldrete: Aldrete, *, vitals_near_baseline: bool, responsible_adult: str, checked_by: str,
                  checklist: dict[str, bool], override_reason: str = "") -> DischargeResult:
        """Assess discharge: always journaled; closes the session when ready or overridden with a reason.

        Besides DischargeCheck's criteria, the observation time must have
        passed and every checklist item be ticked. An override needs a reason
        and is recorded as such. Refused while the infusion is still running.
        """
        with self.lock:
            if self.phase is Phase.CLOSED:
                raise SessionError("the session is already closed")
            if self.phase is Phase.INFUSION:
                raise SessionError("the infusion is still running or paused: stop or complete it first")
            check = DischargeCheck(aldrete, vitals_near_baseline, responsible_adult.strip(), checked_by.strip(),
                                   self._wallclock(), self.config.discharge_aldrete_min)
            unmet = list(self._unmet(check, checklist))
            override = override_reason.strip()
            closes = not unmet or bool(override)
            self.scales.record("aldrete")
            data = {**check.to_dict(), "unmet": unmet, "checklist": checklist, "override_reason": override,
                    "closed": closes}
            self._journal(Discharge.from_data(data), check.checked_by)
            if self._observation_done_said:  # the assessment it asked for is done, met or not
                self._actions.append(SessionAction("clear", AppAlarm.OBSERVATION_DONE))
            if closes:
                self._enter(Phase.CLOSED)
                self._discharge = data
            return DischargeResult(check, tuple(unmet), override, closes)

    def discharge_unmet(self, aldrete: Aldrete, vitals_near_baseline: bool, responsible_adult: str,
                        checklist: dict[str, bool]) -> tuple[str, ...]:
        """Return the unmet discharge criteria for these entries, without recording anything (for the dialog)."""
        with self.lock:
            check = DischargeCheck(aldrete, vitals_near_baseline, responsible_adult.strip(), "preview",
                                   self._wallclock(), self.config.discharge_aldrete_min)
            return self._unmet(check, checklist)

    def _unmet(self, check: DischargeCheck, checklist: dict[str, bool]) -> tuple[str, ...]:
        unmet = list(check.unmet)
        remaining = self.observation_remaining_s()
        if remaining is not None and remaining > 0:
            unmet.append(f"observation time not over ({remaining / 60:.0f} min left)")
        if self.phase is Phase.INFUSION:
            unmet.append("the infusion has not ended")
        unmet += [f"checklist: {item.replace('_', ' ')} not ticked" for item, ok in checklist.items() if not ok]
        return tuple(unmet)

    # --- readings ----------------------------------------------------------------------------------

    def observation_remaining_s(self) -> float | None:
        """Return seconds of observation left (0 when over), None before observation began."""
        with self.lock:
            if self._observation_end is None:
                return None
            return max(0.0, self._observation_end - self._clock())

    def baseline(self, param: str) -> float | None:
        """Return the session baseline of sbp, dbp, spo2 or pulse_rate, None if not taken."""
        with self.lock:
            return self._base.values.get(param)

    def status(self) -> SessionStatus:
        """Return everything the clinical panel shows, at one moment."""
        with self.lock:
            remaining = self.observation_remaining_s() if self.phase is Phase.OBSERVATION else None
            return SessionStatus(
                phase=self.phase, observation_remaining_s=remaining,
                observation_done=self._observation_end is not None and self._clock() >= self._observation_end,
                bp_due_in_s=self.bp.seconds_until_due, bp_overdue_s=self.bp.overdue_s,
                bp_auto=self._commandable(), bp_pending=self._nibp.pending, scales_due=self.scales.due(),
                scales_missed=self.scales.missed(),
                markers=self.markers.current(), session_number=self.session_number,
                course_length=self.course_length, baseline=dict(self._base.values), discharge=self._discharge,
                outcomes=self._outcomes.scores, outcome_flags=self._outcomes.flags(),
                carried_flags=self._carried_flags(),
                last_scales=tuple(self._last_scales[c] for c in SCALE_CODES if c in self._last_scales))
