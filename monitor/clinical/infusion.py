"""The infusion engine: timer, delivered dose and the documented life of one infusion.

The app does not drive the pump. The nurse sets the pump to the rate the app
shows and tells the app what she does (start, pause, resume, rate change,
stop); the engine times it and integrates the dose so that the display and the
record say how much ketamine went in and when the bag will be empty.

States: NOT_STARTED -> RUNNING <-> PAUSED -> STOPPED (early, with a reason) or
COMPLETED. Every transition makes an InfusionEvent (kept in `log` and returned)
so the caller can store who did what, when and why.

Arithmetic: delivered volume is the integral of the pump rate over running
time only (pauses count nothing), kept as an exact Fraction of the clock's float
readings, so no error accumulates however many events there are. The bag holds
exactly the planned total, so delivered never exceeds it: a faster rate empties
the bag sooner, it does not add drug. When the integral reaches the bag content
the engine completes by itself at that exact moment (event
"planned_end_reached", user ""): the pump has run dry or reached its volume to
be infused, and the nurse gets the event from tick() to alert on. The moment is
found by whichever method runs first after it, so every reading is consistent.
The nurse then checks the pump and presses Complete, which records who
confirmed the end (a "completed" event) without changing the figures.

The life cycle is written once (STEPS, next_state): the engine's commands
follow it, and infusion_history folds a journal's events by it, so the review
summary and the central station read an infusion as the chair lived it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from enum import Enum
from fractions import Fraction

from monitor.clinical.config import DoseLimits, load_clinical_config
from monitor.clinical.dosing import DoseError, DosePlan, PlanCheck, check_plan, check_rate, dose_rate_of, exact
from monitor.record.journal import InfusionEvent
from monitor.timefmt import Zone, time_text


#: The reason journaled when the session ends while the infusion runs or is paused (MonitorCore.stop).
CLOSED_DURING_INFUSION = "monitoring closed during the infusion"


class InfusionState(str, Enum):
    """Life-cycle state of one infusion."""

    NOT_STARTED = "not_started"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"  # ended early by the nurse, reason recorded
    COMPLETED = "completed"  # planned dose delivered (or confirmed within tolerance)


class InfusionError(Exception):
    """A command that does not fit the infusion's state or lacks a reason or user."""


@dataclass(frozen=True)
class InfusionStatus:
    """Every figure of the infusion at one clock reading (s, mL, mg, mL/h, UTC epoch)."""

    state: InfusionState
    elapsed_running_s: float
    elapsed_wall_s: float
    remaining_s: float
    projected_end: float
    delivered_ml: float
    delivered_mg: float
    delivered_ug: int
    delivered_mg_per_kg: float
    remaining_mg: float
    progress: float
    current_rate_ml_per_h: float
    paused_for_s: float = 0.0  # how long the current pause has lasted (0 unless paused)
    end_to_confirm: bool = False  # the planned end was reached by itself and nobody has confirmed it yet


_ENDED = (InfusionState.STOPPED, InfusionState.COMPLETED)


@dataclass(frozen=True)
class RatePreview:
    """What a new pump rate (mL/h) would give, read before it is set: the rate dialog shows it.

    dose_rate in mg/kg/h; end_utc (UTC epoch s) when the bag would be empty at that rate counting from now
    (from now as if resumed, while paused); dose_by_end_mg the dose delivered by then (the bag's content:
    a rate changes speed, never the total); check the drug library's verdict (hard refuses, soft needs an
    explicit confirmation, recorded in the rate change's reason).
    """

    rate_ml_per_h: float
    dose_rate_mg_per_kg_per_h: float
    end_utc: float
    remaining_s: float
    dose_by_end_mg: float
    dose_by_end_mg_per_kg: float
    check: PlanCheck


@dataclass(frozen=True)
class InfusionStep:
    """What an event kind may follow (states) and the state it leaves (None: the state stays)."""

    before: tuple[InfusionState, ...]
    after: InfusionState | None


_GOING = (InfusionState.RUNNING, InfusionState.PAUSED)
#: The life cycle, written once: the engine's commands refuse an event that does not fit (InfusionError), and
#: the fold of a journal (infusion_history) skips it, so the chair, the review and the station agree on the state.
STEPS: dict[str, InfusionStep] = {
    "started": InfusionStep((InfusionState.NOT_STARTED,), InfusionState.RUNNING),
    "paused": InfusionStep((InfusionState.RUNNING,), InfusionState.PAUSED),
    "resumed": InfusionStep((InfusionState.PAUSED,), InfusionState.RUNNING),
    "rate_changed": InfusionStep(_GOING, None),
    "stopped": InfusionStep(_GOING, InfusionState.STOPPED),
    "completed": InfusionStep(_GOING, InfusionState.COMPLETED),
    "planned_end_reached": InfusionStep((InfusionState.RUNNING,), InfusionState.COMPLETED),
}


#: Words for infusion steps, wherever people read them (the chair's event list, the review timeline).
STEP_WORDS = {"started": "infusion started", "paused": "infusion paused", "resumed": "infusion resumed",
              "rate_changed": "rate", "stopped": "infusion stopped early", "completed": "infusion completed",
              "planned_end_reached": "planned dose delivered"}


def event_words(ev: InfusionEvent) -> str:
    """Say an infusion step with its reason: 'infusion paused: nausea', 'rate 120 mL/h: BP rising'.

    A completion's reason is its name, so it is not repeated.
    """
    words = f"rate {ev.rate_ml_per_h:g} mL/h" if ev.kind == "rate_changed" else STEP_WORDS.get(ev.kind, ev.kind)
    said = ev.reason and ev.kind not in ("completed", "planned_end_reached")
    return words + (f": {ev.reason}" if said else "")


def next_state(state: InfusionState, kind: str) -> InfusionState | None:
    """Return the state an event of kind leaves an infusion in that was in state; None when it does not fit.

    A "completed" after "planned_end_reached" is not a transition: it records who confirmed the end.
    """
    step = STEPS.get(kind)
    if step is None or state not in step.before:
        return None
    return state if step.after is None else step.after


class InfusionEngine:
    """Time and document one infusion of `plan`.

    clock gives monotonic seconds (durations), wallclock UTC epoch seconds (event
    times), tz the session's zone (times in its messages are read in it). limits
    default to the packaged clinical profile; a plan outside a hard limit is
    refused here (DoseError), one outside a soft limit must be confirmed at
    start(). complete_tolerance_fraction is how much of the total may still be
    due, by the app's timing, when the nurse confirms completion (the pump and
    the app's clock never agree to the second).
    """

    def __init__(self, plan: DosePlan, clock: Callable[[], float] = time.monotonic,
                 wallclock: Callable[[], float] = time.time, *, limits: DoseLimits | None = None,
                 complete_tolerance_fraction: float | None = None, tz: Zone = None) -> None:
        if limits is None or complete_tolerance_fraction is None:
            cfg = load_clinical_config()
            limits = limits or cfg.dose_limits
            if complete_tolerance_fraction is None:
                complete_tolerance_fraction = cfg.complete_tolerance_fraction
        self.plan = plan
        self.limits = limits
        self.plan_check = check_plan(plan, limits)
        self.plan_check.require(confirmed=True)  # hard violations refuse here; soft ones at start()
        self.complete_tolerance = exact(complete_tolerance_fraction)
        self.log: list[InfusionEvent] = []
        self._clock = clock
        self._wallclock = wallclock
        self._tz = tz  # the session's zone, for the times its messages give
        self._state = InfusionState.NOT_STARTED
        self._rate = plan.pump_rate_exact  # mL/h
        self._bag_ml = exact(plan.bag_volume_ml)
        self._total_mg = plan.total_mg_exact
        self._conc = plan.concentration_exact  # mg/mL
        self._done_ml = Fraction(0)  # delivered in closed running segments
        self._done_run_s = Fraction(0)
        self._seg_start: Fraction | None = None  # monotonic start of the running segment
        self._start: tuple[Fraction, float] | None = None  # (monotonic, wall)
        self._end: tuple[Fraction, float] | None = None
        self._last_now = Fraction(0)
        self._end_alert: InfusionEvent | None = None
        self._end_alert_given = False
        self._end_confirmed = False
        self._paused_at: Fraction | None = None  # monotonic start of the current pause

    # ---- time and integration -------------------------------------------------

    def _now(self) -> tuple[Fraction, float]:
        """Read both clocks; the monotonic one never goes back (a misbehaving clock is held)."""
        now = max(Fraction(self._clock()), self._last_now)
        self._last_now = now
        wall = self._wallclock()
        self._settle(now, wall)
        return now, wall

    def _running_ml(self, now: Fraction) -> Fraction:
        if self._seg_start is None:
            return self._done_ml
        return self._done_ml + self._rate * (now - self._seg_start) / 3600

    def _settle(self, now: Fraction, wall: float) -> None:
        """Complete the infusion at the exact moment the bag content was delivered, if passed."""
        after = next_state(self._state, "planned_end_reached")
        if after is None or self._running_ml(now) < self._bag_ml:
            return
        assert self._seg_start is not None
        empty_at = self._seg_start + (self._bag_ml - self._done_ml) * 3600 / self._rate
        self._close_segment(empty_at)
        self._done_ml = self._bag_ml
        self._state = after
        end_wall = wall - float(now - empty_at)
        self._end = (empty_at, end_wall)
        self._end_alert = self._event("planned_end_reached", end_wall, "planned dose delivered", "")

    def _close_segment(self, at: Fraction) -> None:
        if self._seg_start is not None:
            self._done_ml = self._running_ml(at)
            self._done_run_s += at - self._seg_start
            self._seg_start = None

    def _delivered_mg(self, now: Fraction) -> Fraction:
        return min(self._running_ml(now), self._bag_ml) * self._conc

    def _event(self, kind: str, wall: float, reason: str, user: str) -> InfusionEvent:
        ev = InfusionEvent(wall, kind, float(self._rate), float(self._delivered_mg(self._last_now)), reason, user)
        self.log.append(ev)
        return ev

    # ---- commands ---------------------------------------------------------------

    def _require(self, kind: str, action: str) -> InfusionState:
        """Return the state an event of kind leaves the infusion in; InfusionError if it does not fit the state."""
        after = next_state(self._state, kind)
        if after is None:
            when = ""
            if self._end is not None:
                when = f" at {time_text(self._end[1], self._tz)}"
            raise InfusionError(f"cannot {action}: the infusion is {self._state.value.replace('_', ' ')}{when}")
        return after

    @staticmethod
    def _text(value: str, what: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise InfusionError(f"{what} is required")
        return value.strip()

    def start(self, user: str, confirm_soft_limits: bool = False) -> InfusionEvent:
        """Start the timer at the planned rate; soft-limit violations need confirm_soft_limits.

        The confirmation is recorded in the event's reason, with the user.
        """
        now, wall = self._now()
        after = self._require("started", "start")
        user = self._text(user, "the user starting the infusion")
        self.plan_check.require(confirm_soft_limits)
        reason = "soft limits confirmed: " + "; ".join(self.plan_check.soft) if self.plan_check.soft else ""
        self._state = after
        self._seg_start = now
        self._start = (now, wall)
        return self._event("started", wall, reason, user)

    def pause(self, reason: str, user: str) -> InfusionEvent:
        """Pause the timer (the nurse paused the pump); nothing is delivered while paused."""
        now, wall = self._now()
        after = self._require("paused", "pause")
        reason = self._text(reason, "a reason for pausing")
        user = self._text(user, "the user pausing")
        self._close_segment(now)
        self._state = after
        self._paused_at = now
        return self._event("paused", wall, reason, user)

    def resume(self, user: str, reason: str = "") -> InfusionEvent:
        """Resume at the current rate after a pause."""
        now, wall = self._now()
        after = self._require("resumed", "resume")
        user = self._text(user, "the user resuming")
        self._state = after
        self._seg_start = now
        self._paused_at = None
        return self._event("resumed", wall, reason.strip(), user)

    def change_rate(self, rate_ml_per_h: float, reason: str, user: str, confirm_soft_limits: bool = False) -> InfusionEvent:
        """Record a new pump rate (mL/h), running or paused; it changes speed, never the total.

        The rate is checked by the dose rate it gives (dosing.check_rate):
        above the hard limit it is refused (DoseError), above the soft limit it
        needs confirm_soft_limits, recorded in the reason.
        """
        now, wall = self._now()
        self._require("rate_changed", "change the rate")
        reason = self._text(reason, "a reason for the rate change")
        user = self._text(user, "the user changing the rate")
        check = check_rate(self.plan, rate_ml_per_h, self.limits)
        check.require(confirm_soft_limits)
        new = exact(rate_ml_per_h)
        if new == self._rate:
            raise InfusionError(f"the rate is already {rate_ml_per_h:g} mL/h")
        if check.soft:
            reason += " (soft limit confirmed: " + "; ".join(check.soft) + ")"
        if self._seg_start is not None:
            self._close_segment(now)
            self._seg_start = now
        self._rate = new
        return self._event("rate_changed", wall, reason, user)

    def preview_rate(self, rate_ml_per_h: float) -> RatePreview:
        """Return what changing to rate_ml_per_h (mL/h) now would give, changing nothing.

        InfusionError when no rate can be set now; DoseError for a rate that is not a positive number (it
        gives no figures). A rate above a limit is previewed: its check says so.
        """
        now, wall = self._now()
        self._require("rate_changed", "change the rate")
        check = check_rate(self.plan, rate_ml_per_h, self.limits)
        if not (isinstance(rate_ml_per_h, (int, float)) and math.isfinite(rate_ml_per_h) and rate_ml_per_h > 0):
            raise DoseError(check.hard[0])
        rate = exact(rate_ml_per_h)
        left_ml = self._bag_ml - min(self._running_ml(now), self._bag_ml)
        remaining_s = left_ml * 3600 / rate
        return RatePreview(
            rate_ml_per_h=float(rate), dose_rate_mg_per_kg_per_h=float(dose_rate_of(self.plan, rate)),
            end_utc=wall + float(remaining_s), remaining_s=float(remaining_s),
            dose_by_end_mg=float(self._total_mg), dose_by_end_mg_per_kg=float(self._total_mg / exact(self.plan.weight_kg)),
            check=check)

    def stop(self, reason: str, user: str) -> InfusionEvent:
        """End the infusion early (the nurse stopped the pump); the undelivered dose stays recorded."""
        now, wall = self._now()
        after = self._require("stopped", "stop")
        reason = self._text(reason, "a reason for stopping early")
        user = self._text(user, "the user stopping")
        self._close_segment(now)
        self._state = after
        self._end = (now, wall)
        return self._event("stopped", wall, reason, user)

    def complete(self, user: str) -> InfusionEvent:
        """Record that the pump finished: confirm the planned end, or end a little before it.

        After the planned end this only records who confirmed it (once).
        Before it, the pump may finish earlier than the app's timing by up to
        the tolerance; the delivered dose stays what the app's timing gives.
        With more undelivered it is refused: that is a stop, with a reason.
        """
        now, wall = self._now()
        if self._end_alert is not None and not self._end_confirmed:
            user = self._text(user, "the user completing")
            self._end_confirmed = True
            return self._event("completed", wall, "planned end confirmed", user)
        after = self._require("completed", "complete")
        user = self._text(user, "the user completing")
        left = self._total_mg - self._delivered_mg(now)
        if left > self.complete_tolerance * self._total_mg:
            raise InfusionError(
                f"cannot complete: {float(self._total_mg - left):.2f} of {float(self._total_mg):.2f} mg delivered "
                f"({float(left):.2f} mg left); to end before the planned dose, stop with a reason")
        self._close_segment(now)
        self._state = after
        self._end = (now, wall)
        return self._event("completed", wall, "", user)

    def tick(self) -> InfusionEvent | None:
        """Detect the planned end; return the "planned_end_reached" event once, else None.

        Call it from the UI timer: its event is the cue for the end-of-infusion
        alert. The event is also in `log` from the moment it happened.
        """
        self._now()
        if self._end_alert is not None and not self._end_alert_given:
            self._end_alert_given = True
            return self._end_alert
        return None

    # ---- readings ---------------------------------------------------------------

    def status(self) -> InfusionStatus:
        """Return every figure at one clock reading (for a display refresh)."""
        now, wall = self._now()
        delivered_ml = min(self._running_ml(now), self._bag_ml)
        delivered_mg = delivered_ml * self._conc
        ended = self._state in _ENDED
        remaining_s = Fraction(0) if ended else (self._bag_ml - delivered_ml) * 3600 / self._rate
        run_s = self._done_run_s + (now - self._seg_start if self._seg_start is not None else 0)
        if self._start is None:
            wall_s = Fraction(0)
        else:
            wall_s = (self._end[0] if self._end is not None else now) - self._start[0]
        return InfusionStatus(
            state=self._state,
            elapsed_running_s=float(run_s),
            elapsed_wall_s=float(wall_s),
            remaining_s=float(remaining_s),
            projected_end=self._end[1] if self._end is not None else wall + float(remaining_s),
            delivered_ml=float(delivered_ml),
            delivered_mg=float(delivered_mg),
            delivered_ug=round(delivered_mg * 1000),
            delivered_mg_per_kg=float(delivered_mg / exact(self.plan.weight_kg)),
            remaining_mg=float(self._total_mg - delivered_mg),
            progress=float(delivered_mg / self._total_mg),
            current_rate_ml_per_h=float(self._rate),
            paused_for_s=float(now - self._paused_at) if self._state is InfusionState.PAUSED and self._paused_at
            is not None else 0.0,
            end_to_confirm=self._end_alert is not None and not self._end_confirmed,
        )

    @property
    def state(self) -> InfusionState:
        """Return the life-cycle state (the planned end is applied first)."""
        self._now()
        return self._state

    @property
    def elapsed_running_s(self) -> float:
        """Return seconds the infusion has run, pauses excluded."""
        return self.status().elapsed_running_s

    @property
    def elapsed_wall_s(self) -> float:
        """Return seconds since start, pauses included (frozen at the end)."""
        return self.status().elapsed_wall_s

    @property
    def remaining_s(self) -> float:
        """Return seconds left at the current rate (0 once ended)."""
        return self.status().remaining_s

    @property
    def projected_end(self) -> float:
        """Return the UTC epoch of the end: now + remaining while going, the actual end once ended."""
        return self.status().projected_end

    @property
    def delivered_mg(self) -> float:
        """Return the dose delivered so far, mg."""
        return self.status().delivered_mg

    @property
    def delivered_ug(self) -> int:
        """Return the dose delivered so far, rounded to the microgram."""
        return self.status().delivered_ug

    @property
    def delivered_mg_per_kg(self) -> float:
        """Return the dose delivered so far per kg of body weight, mg/kg."""
        return self.status().delivered_mg_per_kg

    @property
    def delivered_ml(self) -> float:
        """Return the volume delivered so far, mL."""
        return self.status().delivered_ml

    @property
    def remaining_mg(self) -> float:
        """Return the planned dose not delivered (yet), mg."""
        return self.status().remaining_mg

    @property
    def progress(self) -> float:
        """Return delivered / planned dose, 0 to 1."""
        return self.status().progress

    @property
    def current_rate_ml_per_h(self) -> float:
        """Return the pump rate set, mL/h (also while paused: the rate resume uses)."""
        return self.status().current_rate_ml_per_h



# ---- the journal's reading --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InfusionSegment:
    """A stretch of the infusion: running at a pump rate (mL/h), or paused (with the pause's reason and who).

    Times are UTC epoch s; end_utc is None while it lasts at the end of the record. A rate change
    starts a new running segment; a rate set while paused shows in the next running one.
    """

    state: InfusionState  # RUNNING or PAUSED
    start_utc: float
    end_utc: float | None
    rate_ml_per_h: float
    reason: str = ""
    user: str = ""

    def duration_s(self, end: float) -> float:
        """Return the segment's length in s (up to end, UTC epoch s, if it never ended)."""
        return max(0.0, (end if self.end_utc is None else self.end_utc) - self.start_utc)


@dataclass(frozen=True)
class InfusionHistory:
    """The infusion as its journal tells it, up to `at` (UTC epoch s): what the review and the station show.

    delivered_mg is the engine's figure in the last event, carried on at the last rate while the
    infusion runs at `at` (never beyond the planned total); remaining_s is the time left at the current
    rate (0 once ended, None when the plan cannot say); rate_ml_per_h the rate set (the planned one
    before the start). end_to_confirm: the planned end was reached by itself and nobody confirmed it.
    """

    state: InfusionState
    at: float
    start_utc: float | None
    end_utc: float | None
    running_s: float
    delivered_mg: float
    remaining_s: float | None
    rate_ml_per_h: float | None
    segments: tuple[InfusionSegment, ...]
    rate_changes: tuple[InfusionEvent, ...]
    stop_reason: str = ""
    confirmed_by: str = ""
    end_to_confirm: bool = False

    @property
    def pauses(self) -> tuple[InfusionSegment, ...]:
        """Return the paused segments, in order."""
        return tuple(seg for seg in self.segments if seg.state is InfusionState.PAUSED)

    @property
    def paused_s(self) -> float:
        """Return the seconds spent paused up to `at`."""
        return sum(p.duration_s(self.at) for p in self.pauses)


def infusion_history(events: Iterable[InfusionEvent], plan: DosePlan, at: float) -> InfusionHistory | None:
    """Fold an infusion's journaled events (any order; same-time ones in journal order) up to at (UTC epoch s).

    The states follow the engine's STEPS; an event that does not fit the state (a log the engine could
    not have written) changes nothing. None when there is no event and the plan has no dose: no
    infusion was planned. The plan gives the bag's concentration and volume for the figures after the
    last event; with a broken plan delivered_mg stays the last event's and remaining_s is None.
    """
    state = InfusionState.NOT_STARTED
    segments: list[InfusionSegment] = []
    rates: list[InfusionEvent] = []
    fitted: list[InfusionEvent] = []
    start: float | None = None
    end: float | None = None
    stop_reason = confirmed_by = ""
    to_confirm = False
    for ev in sorted(events, key=lambda ev: ev.t):
        after = next_state(state, ev.kind)
        if after is None:
            if ev.kind == "completed" and to_confirm:  # the nurse confirmed the end the engine reached by itself
                confirmed_by, to_confirm = ev.user, False
            continue
        fitted.append(ev)
        if ev.kind == "rate_changed":
            rates.append(ev)
        if after is not state or (ev.kind == "rate_changed" and state is InfusionState.RUNNING):
            if segments and segments[-1].end_utc is None:
                segments[-1] = replace(segments[-1], end_utc=ev.t)
            if after is InfusionState.RUNNING:
                segments.append(InfusionSegment(after, ev.t, None, ev.rate_ml_per_h))
            elif after is InfusionState.PAUSED:
                segments.append(InfusionSegment(after, ev.t, None, ev.rate_ml_per_h, ev.reason, ev.user))
        if ev.kind == "started":
            start = ev.t
        elif after in _ENDED:
            end = ev.t
            stop_reason = ev.reason if after is InfusionState.STOPPED else ""
            confirmed_by = ev.user if ev.kind == "completed" else ""
            to_confirm = ev.kind == "planned_end_reached"
        state = after
    try:
        conc, bag, total, planned_rate = (plan.concentration_exact, exact(plan.bag_volume_ml), plan.total_mg_exact,
                                          plan.pump_rate_exact)
    except DoseError:
        if not fitted:
            return None
        conc = bag = total = planned_rate = None
    last = fitted[-1] if fitted else None
    rate = planned_rate if last is None else exact(last.rate_ml_per_h)
    delivered = Fraction(0) if last is None else exact(last.delivered_mg)
    if state is InfusionState.RUNNING and last is not None and conc is not None and total is not None:
        delivered = min(delivered + rate * conc * max(Fraction(0), exact(at) - exact(last.t)) / 3600, total)
    remaining: Fraction | None = None
    if state in _ENDED:
        remaining = Fraction(0)
    elif conc is not None and bag is not None and rate is not None and rate > 0:
        remaining = max(Fraction(0), bag - delivered / conc) * 3600 / rate
    return InfusionHistory(
        state=state, at=at, start_utc=start, end_utc=end,
        running_s=sum(s.duration_s(at) for s in segments if s.state is InfusionState.RUNNING),
        delivered_mg=float(delivered), remaining_s=None if remaining is None else float(remaining),
        rate_ml_per_h=None if rate is None else float(rate), segments=tuple(segments), rate_changes=tuple(rates),
        stop_reason=stop_reason, confirmed_by=confirmed_by, end_to_confirm=to_confirm)
