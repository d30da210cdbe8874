"""The alarm engine: device items in, alarm events out (ALARMS.md), no Qt, no threads.

Feed every Sample / StatusChange / NibpResult / DeviceInfo to on_item() and
call tick() at least 4 times a second; both return the AlarmEvents that
happened, which the caller logs (recorder) and shows (alarm bar). The UI
reads active(), audible_priority(), audio_pause_remaining() and advisories().

Decisions beyond ALARMS.md, documented here because they are behaviour:
- One alarm per (source, condition), e.g. ("pulseox", "spo2_low"). Its
  priority is that of the outermost limit crossed and never drops during its
  life; it rises at once when a worse tier is crossed ("escalated"). Its text
  and limit follow the tier the value is at now: a high episode whose value
  comes back inside the high limit (by the hysteresis) but not the medium one
  continues as a medium alarm (level, shown at that level, quiet once
  acknowledged) whose ended high part (worst value, high_ended_t) the screen
  keeps apart until acknowledged.
- The delay runs on `clock` from the first sample beyond a limit; values back
  inside the limit but not past the hysteresis neither cancel nor complete it.
  A delay completes only on a real value beyond the limit (on a sample or at
  tick() if the latest sample of that parameter is still such a value); if no
  real value at all came for longer than the delay, it starts again.
- Samples with value None, or flagged "questionable"/"artifact", are "no
  value" for alarm decisions: they never start, raise, escalate or clear a
  physiological alarm (the technical alarm for the artifact / low perfusion
  tells the user the numbers are doubtful).
- Acknowledging stops the sound of medium and low alarms and stops the
  medium-to-high escalation by time; a high alarm whose condition is present
  keeps sounding whatever is acknowledged, only the timed audio pause quiets
  it, so a high alarm can never be silenced for good.
- The delay is shortened (bypass_margin, rapid desaturation) only by a
  condition that persists, never by one reading: the reading beyond the
  margin must end a run of at least bypass_readings readings beyond the
  high-priority limit spanning at least bypass_s, each within bypass_margin of
  the one before (a corrupted reading such as 16 amid 97s, or amid a real 85,
  starts a run of its own). A fall of up to bypass_margin / (bypass_readings
  - 1) per reading (SpO2: 5 points a second) has its run by the time it passes
  the margin, so it alarms no later than a bypass on one reading did; a step
  (or faster fall) past the margin alarms at its bypass_readings-th reading.
- Escalation by two parameters is permanent for the alarms it touched.
- A condition that ends and returns is a new episode: a new alarm_id and its
  own "raised". A latched, unacknowledged earlier episode stays shown (latched,
  with its worst value and when it ended) until acknowledged.
- Technical alarms never latch; physiological alarms do not escalate on time
  unless medium; technical ones escalate only by their profile rule
  (no data / port lost: high once present 30 s in all since raised).
- A technical condition with a stable_s rule (no data, port lost, probe off)
  keeps its one alarm standing while the device flaps: it clears only after
  the condition has stayed away stable_s without a break, and returns to the
  same alarm if it comes back sooner. No data and port lost are one standing
  alarm per source (a flapping port reports both).
"""

from __future__ import annotations

import itertools
import math
import time
import uuid
from collections.abc import Callable

from devices.plausibility import reliable
from devices.values import VALUE_BLOCKING, WAVEFORMS, Condition, DeviceItem, NibpResult, Sample, StatusChange
from monitor.alarms.episode import Episode, LastReading, LimitCheck, Pending
from monitor.alarms.model import ActiveAlarm, AlarmEvent, AlarmKind, EventKind, Priority
from monitor.alarms.profile import (
    RISE_OF,
    Advisory,
    ParamLimits,
    Profile,
    ProfileError,
    crossing_text,
    fmt,
    label,
    limit_range,
    setting_words,
    validate_limits,
    with_setting,
)
from monitor.record.journal import LimitChange

#: Parameters that are single readings, whatever device measured them (no delay; a newer reading supersedes).
NIBP_PARAMS = frozenset({"sbp", "dbp", "map", "nibp_pulse_rate"})
#: Conditions that all say "nothing arrives from this source": one standing alarm covers any mix of them.
CONNECTION = frozenset({Condition.NO_DATA.value, Condition.PORT_LOST.value})
#: Source name of technical alarms raised by the application itself.
APP_SOURCE = "app"

CONDITION_TEXT: dict[str, str] = {
    "probe_off": "probe off", "searching": "searching for pulse", "sensor_fault": "sensor fault",
    "artifact": "artifact, values questionable", "low_perfusion": "low perfusion, values questionable",
    "device_alarm": "device alarm", "no_data": "no data", "port_lost": "connection lost",
    "nibp_failed": "BP measurement failed", "demo_data": "monitor in demo mode",
    # the app's own (monitor.alarms.keys.AppAlarm), named in the alarm history, review and reports
    "infusion_end": "planned infusion time reached", "infusion_paused": "long infusion pause",
    "nibp_overdue": "BP overdue", "observation_done": "observation time over",
    "outcome_flag": "questionnaire flag to review", "audio": "no alarm sound", "recording": "recording failed",
    "central": "central store not reached", "internal": "alarm monitoring failed",
    "thread_fault": "a part restarted after a fault", "thread_stopped": "a part stopped after faults",
    "staff_list": "staff list unreadable",
}
SOURCE_TEXT: dict[str, str] = {"pulseox": "Pulse oximeter", "nibp": "NIBP", "manual": "Manual BP", "app": "Monitor"}


def source_text(source: str) -> str:
    """Name a source for people: 'pulseox' -> 'Pulse oximeter', 'pulseox-2' -> 'Pulse oximeter 2'."""
    base, dash, number = source.rpartition("-")
    if dash and number.isdigit() and base in SOURCE_TEXT:
        return f"{SOURCE_TEXT[base]} {number}"
    return SOURCE_TEXT.get(source, source)
#: Order in which blocking conditions are reported to a tile (most fundamental first).
BLOCKING_ORDER = (Condition.PORT_LOST, Condition.NO_DATA, Condition.DEMO_DATA, Condition.SENSOR_FAULT,
                  Condition.PROBE_OFF, Condition.SEARCHING)


class AlarmEngine:
    """Evaluates limits, delays, hysteresis, escalation, latching and audio pause.

    clock (monotonic s) drives every delay and timer; wallclock (UTC epoch s)
    only stamps events. Not thread-safe: call it from one thread.
    """

    def __init__(self, profile: Profile, clock: Callable[[], float] = time.monotonic,
                 wallclock: Callable[[], float] = time.time) -> None:
        self.profile = profile
        self._clock = clock
        self._wallclock = wallclock
        self._limits: dict[str, ParamLimits] = dict(profile.limits)
        self._baselines: dict[str, float] = {}
        self._last: dict[tuple[str, str], LastReading] = {}
        self._pending: dict[tuple[str, str], Pending] = {}
        self._alarms: dict[tuple[str, str], Episode] = {}  # the current episode of each (source, condition)
        self._latched: dict[str, Episode] = {}  # earlier episodes, latched until acknowledged, by alarm_id
        self._conditions: dict[str, dict[Condition, str]] = {}
        self._pause_until: float | None = None
        self._seq = itertools.count()
        self._run = uuid.uuid4().hex[:8]
        self.limit_changes: list[LimitChange] = []

    # ---- input -------------------------------------------------------------------------------

    def on_item(self, item: DeviceItem) -> list[AlarmEvent]:
        """Evaluate one device item; return the events it caused."""
        if isinstance(item, Sample):
            return self._finish(self._on_sample(item.source, item.param, item.value, item.flags,
                                                item.param in NIBP_PARAMS))
        if isinstance(item, StatusChange):
            return self._finish(self._on_status(item.source, item.condition, item.active, item.detail))
        if isinstance(item, NibpResult):
            return self._finish(self._on_nibp(item))
        return []  # identity, notices: nothing to alarm on (a failed NIBP comes as a StatusChange)

    def tick(self) -> list[AlarmEvent]:
        """Advance timers: delays, escalation by time, audio-pause expiry, technical escalation."""
        now = self._clock()
        events: list[AlarmEvent] = []
        for source, param in dict.fromkeys((source, p.param) for (source, _c), p in self._pending.items()):
            last = self._last.get((source, param))
            if last is not None and last.value is not None:
                events += self._evaluate(source, param, last.value, last.single, last.at)
        for key, a in list(self._alarms.items()):
            if a.away_since is not None and a.stable_s is not None and now - a.away_since >= a.stable_s:
                del self._alarms[key]
                events.append(self._alarm_event(EventKind.CLEARED, a, f"{a.headline}: cleared after "
                                                                      f"{fmt(a.stable_s)} s without a break"))
                continue
            if not a.present or a.priority >= Priority.HIGH:
                continue
            if a.kind is AlarmKind.PHYSIOLOGICAL and a.priority is Priority.MEDIUM and not a.acknowledged \
                    and now - a.since >= self.profile.escalation_s:
                reason = f"not acknowledged within {fmt(self.profile.escalation_s)} s"
                events += self._escalate(a, Priority.HIGH, reason)
            elif a.kind is AlarmKind.TECHNICAL and a.escalate_after_s is not None \
                    and a.missing(now) >= a.escalate_after_s:
                events += self._escalate(a, Priority.HIGH, f"present more than {fmt(a.escalate_after_s)} s "
                                                           "in all since raised")
        if self._pause_until is not None and now >= self._pause_until:
            self._pause_until = None
            events.append(self._event(EventKind.AUDIO_RESUMED, message="Alarm audio pause ended"))
        return self._finish(events)

    # ---- user commands -----------------------------------------------------------------------

    def acknowledge(self, user: str) -> list[AlarmEvent]:
        """Acknowledge every active alarm; clear latched alarms whose condition has ended."""
        events: list[AlarmEvent] = []
        for a in sorted(self._shown(), key=lambda a: a.seq):
            if not a.acknowledged:
                a.acknowledged = True
                events.append(self._alarm_event(EventKind.ACKNOWLEDGED, a, f"{a.message} acknowledged by {user}", user))
            if not a.present:
                self._forget(a)
                events.append(self._alarm_event(EventKind.CLEARED, a, f"{a.message} cleared on acknowledgement "
                                                                      f"(condition had ended)", user))
        return events

    def pause_audio(self, user: str) -> list[AlarmEvent]:
        """Pause alarm sound for the profile's pause time (120 to 300 s); a new alarm or higher priority ends it."""
        self._pause_until = self._clock() + self.profile.pause_s
        return [self._event(EventKind.AUDIO_PAUSED, user=user, value=self.profile.pause_s,
                            message=f"Alarm audio paused for {fmt(self.profile.pause_s)} s by {user}")]

    def set_limit(self, param: str, key: str, value: float | None, user: str) -> list[AlarmEvent]:
        """Change one setting of a parameter for this session (validated, logged), then re-evaluate.

        key: medium_low, medium_high, high_low, high_high (None switches a medium
        limit off; a high-priority limit cannot be switched off), delay_s,
        hysteresis, bypass_margin, bypass_readings, bypass_s. Raises ValueError (ProfileError) with a
        one-line reason if the change is refused.
        """
        limit_range(param)  # ProfileError for a parameter without alarm limits
        if isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        old_limits = self._limits.get(param, ParamLimits())
        new_limits = with_setting(old_limits, key, value)
        old = getattr(old_limits, key)
        if value is None and key.startswith("high_") and old is not None:
            raise ProfileError(f"the high-priority {label(param)} {key[5:]} limit cannot be switched off "
                               f"during a session")
        validate_limits(param, new_limits)
        if new_limits == old_limits:
            return []
        self._limits[param] = new_limits
        change = LimitChange(self._wallclock(), param, key, old, value, user)
        self.limit_changes.append(change)
        text = f"{label(param)} {setting_words(key)} changed from {fmt(old)} to {fmt(value)} by {user}"
        events = [self._event(EventKind.LIMIT_CHANGED, condition=key, param=param, user=user, old=old, new=value,
                              message=text)]
        base = RISE_OF.get(param, param)
        for (source, p), last in list(self._last.items()):
            if p == base and last.value is not None:
                events += self._evaluate(source, p, last.value, last.single, last.at)
        return self._finish(events)

    def set_baseline(self, param: str, value: float) -> None:
        """Set the session baseline of a parameter (mmHg) for baseline-relative alarms.

        It is used from the next value of that parameter on.
        """
        low, high = limit_range(param)
        if not (isinstance(value, (int, float)) and math.isfinite(value) and low <= value <= high):
            raise ValueError(f"baseline {label(param)} {value!r} is outside {fmt(low)} to {fmt(high)}")
        self._baselines[param] = float(value)

    def raise_technical(self, key: str, priority: Priority, message: str) -> list[AlarmEvent]:
        """Raise (or update) an application-level technical alarm (monitor.alarms.keys.AppAlarm).

        Raising it again with a higher priority escalates it; a lower priority
        only updates the message (a priority never drops during an alarm's life).
        """
        key = str(key)  # an AppAlarm is kept and recorded as its plain text
        a = self._alarms.get((APP_SOURCE, key))
        if a is None:
            return self._finish(self._raise(APP_SOURCE, key, AlarmKind.TECHNICAL, priority, "", message, None, None))
        a.message = message
        if priority > a.priority:
            return self._finish(self._escalate(a, priority, ""))
        return []

    def clear_technical(self, key: str) -> list[AlarmEvent]:
        """End an application-level technical alarm."""
        a = self._alarms.pop((APP_SOURCE, str(key)), None)
        return [self._alarm_event(EventKind.CLEARED, a, f"{a.message}: cleared")] if a else []

    # ---- state for the UI ------------------------------------------------------------------------

    def active(self) -> list[ActiveAlarm]:
        """Return the alarms to show, highest priority first, then oldest; latched ones included."""
        ordered = sorted(self._shown(), key=lambda a: (-a.priority, a.since, a.seq))
        return [ActiveAlarm(a.alarm_id, a.condition, a.kind, a.priority, a.message, a.source, a.param, a.value,
                            a.limit, a.raised_t, a.acknowledged, not a.present, side=a.side, op=a.op,
                            worst=a.worst, worst_limit=a.worst_limit, worst_op=a.worst_op, crossed=a.worst_tier,
                            baseline=a.baseline, ended_t=a.ended_t, escalation=a.escalation, level=a.shown_level(),
                            high_ended_t=a.high_ended_t if a.shown_level() is not None else None) for a in ordered]

    def audio_pause_remaining(self) -> float | None:
        """Return the seconds of audio pause left, None when not paused."""
        if self._pause_until is None:
            return None
        return max(0.0, self._pause_until - self._clock())

    def audible_priority(self) -> Priority | None:
        """Return the priority whose tone should sound now; None if nothing should or audio is paused.

        Unacknowledged alarms sound; a condition present at the high level sounds even when acknowledged (a high
        episode continuing at the medium level, once acknowledged, is a medium alarm acknowledged: quiet).
        """
        if self.audio_pause_remaining():
            return None
        sounding = [a.priority for a in self._shown()
                    if not a.acknowledged or (a.present and (a.shown_level() or a.priority) is Priority.HIGH)]
        return max(sounding, default=None)

    def advice(self) -> list[tuple[Advisory, float]]:
        """Return the advisory thresholds met now with the value that meets each; advice only, never acts.

        Uses the newest reliable value of each parameter not older than the
        profile's advisory_max_age_s.
        """
        now = self._clock()
        out = []
        for adv in self.profile.advisories:
            lasts = [last for (_s, p), last in self._last.items() if p == adv.param]
            latest = max(lasts, key=lambda last: last.at, default=None)
            if latest is None or latest.value is None or now - latest.at > self.profile.advisory_max_age_s:
                continue
            if adv.matches(latest.value):
                out.append((adv, latest.value))
        return out

    def advisories(self) -> list[str]:
        """Return advisory texts ("Consider holding the infusion: SBP 184 >= 180") of advice()."""
        return [f"Consider holding the infusion: {label(adv.param)} {fmt(value)} {adv.op} {fmt(adv.value)}"
                for adv, value in self.advice()]

    def limits(self, param: str) -> ParamLimits | None:
        """Return the current limits of a parameter (or of a rise pseudo-parameter like "sbp_rise")."""
        return self._limits.get(param)

    def baseline(self, param: str) -> float | None:
        """Return the session baseline of a parameter, if set."""
        return self._baselines.get(param)

    def conditions(self, source: str) -> dict[Condition, str]:
        """Return the technical conditions a source reports now (condition -> detail words)."""
        return dict(self._conditions.get(source, {}))

    def blocking_condition(self, source: str) -> Condition | None:
        """Return the condition that forbids showing the source's values as live, else None.

        A tile shows '---' (or the last value greyed with its age) while this is not None.
        """
        active = self._conditions.get(source, {})
        return next((c for c in BLOCKING_ORDER if c in active and c in VALUE_BLOCKING), None)

    def priority_of(self, param: str) -> Priority | None:
        """Return the highest priority of the physiological alarms of a parameter (the tile's colour)."""
        return max((a.priority for a in self._shown()
                    if a.kind is AlarmKind.PHYSIOLOGICAL and a.param == param), default=None)

    # ---- evaluation --------------------------------------------------------------------------------

    def _on_sample(self, source: str, param: str, value: float | None, flags: frozenset[str],
                   single: bool) -> list[AlarmEvent]:
        if param in WAVEFORMS:
            return []
        usable = reliable(value, flags)
        self._last[(source, param)] = LastReading(float(value) if usable else None, self._clock(), single)
        return self._evaluate(source, param, float(value), single, self._clock(), fresh=True) if usable else []

    def _on_nibp(self, r: NibpResult) -> list[AlarmEvent]:
        failed = bool(r.error_code or r.error) or (r.sbp is None and r.dbp is None and r.map is None)
        events = self._on_status(r.source, Condition.NIBP_FAILED, failed, r.error or
                                 (f"error code {r.error_code}" if r.error_code else ""))
        if failed:
            return events
        for param, value in (("sbp", r.sbp), ("dbp", r.dbp), ("map", r.map), ("nibp_pulse_rate", r.pulse_rate)):
            events += self._on_sample(r.source, param, value, r.flags, True)  # a questionable BP alarms not
        return events

    def _on_status(self, source: str, condition: Condition, active: bool, detail: str) -> list[AlarmEvent]:
        conds = self._conditions.setdefault(source, {})
        if active:
            conds[condition] = detail
        else:
            conds.pop(condition, None)
        rule = self.profile.technical.get(condition.value)
        if rule is None:
            return []
        now = self._clock()
        key = self._technical_key(source, condition.value)
        text = CONDITION_TEXT.get(condition.value, condition.value)
        message = f"{source_text(source)}: {text}" + (f" ({detail})" if detail and detail != text else "")
        a = self._alarms.get(key)
        if active:
            events: list[AlarmEvent] = []
            if a is None:
                events = self._raise(source, condition.value, AlarmKind.TECHNICAL, rule.priority, "", message, None,
                                     None, escalate_after_s=rule.escalate_after_s)
                a = self._alarms[key]
                a.stable_s = rule.stable_s
            a.message = a.headline = message
            a.causes.add(condition.value)
            if a.missing_since is None:  # raised now, or back before it stood away for stable_s: the same alarm
                a.missing_since, a.away_since = now, None
            return events
        if a is None or condition.value not in a.causes:
            return []
        a.causes.discard(condition.value)
        if a.causes:  # another condition of the standing alarm is still present
            return []
        a.missing_s, a.missing_since = a.missing(now), None
        if a.stable_s is None:
            del self._alarms[key]
            return [self._alarm_event(EventKind.CLEARED, a, f"{a.message}: cleared")]
        a.away_since = now
        a.message = f"{a.headline} - intermittent: stands until {fmt(a.stable_s)} s without a break"
        return []

    def _technical_key(self, source: str, condition: str) -> tuple[str, str]:
        """Return the key of the alarm a technical condition belongs to (a standing connection alarm, if any)."""
        if condition in CONNECTION:
            return next(((source, c) for c in sorted(CONNECTION) if (source, c) in self._alarms), (source, condition))
        return (source, condition)

    def _checks(self, param: str, value: float) -> list[LimitCheck]:
        checks = []
        lim = self._limits.get(param)
        if lim is not None:
            checks += [LimitCheck(f"{param}_{side}", side, lim, value, None) for side in ("low", "high")]
        for rise, base in RISE_OF.items():
            rise_lim, baseline = self._limits.get(rise), self._baselines.get(base)
            if base == param and rise_lim is not None and baseline is not None:
                checks.append(LimitCheck(rise, "high", rise_lim, value - baseline, baseline))
        return checks

    def _evaluate(self, source: str, param: str, value: float, single: bool, seen_at: float,
                  fresh: bool = False) -> list[AlarmEvent]:
        """Apply one reliable value, received at clock time seen_at, to every limit check of its parameter.

        fresh: the value is a new reading (not the latest one looked at again), so it counts as evidence.
        """
        now = self._clock()
        events: list[AlarmEvent] = []
        for c in self._checks(param, value):
            key = (source, c.condition)
            if single:  # the latest BP is the current BP, whichever device took it
                events += self._supersede(source, c, value)
            a = self._alarms.get(key)
            tier = c.limits.tier(c.compared, c.side)
            if a is not None and a.present:
                a.value = value
                if c.limits.clears(c.compared, c.side):
                    events += self._end(key, a)
                    continue
                events += self._follow_level(source, param, value, c, a)
                if tier is not None:
                    a.note_value(value, tier, c.limits, self._describe(source, param, value, c, tier[1])[1])
                    if tier[0] > a.priority:
                        events += self._escalate(a, tier[0], "")
                else:
                    a.note_value(value, None, c.limits, None)
                continue
            pending = self._pending.get(key)
            if tier is None:
                if c.limits.clears(c.compared, c.side):
                    self._pending.pop(key, None)
                elif pending is not None:
                    pending.seen = seen_at
                    if fresh:
                        pending.note_reading(c.compared, seen_at, False, c.limits.bypass_margin)
                continue
            delay = 0.0 if single else c.limits.delay_s
            if pending is None or seen_at - pending.seen > delay:  # no evidence it persisted: restart
                pending = self._pending[key] = Pending(now, param, seen_at)
            pending.seen = seen_at
            if fresh:
                pending.note_reading(c.compared, seen_at, tier[0] is Priority.HIGH, c.limits.bypass_margin)
            bypass = c.limits.beyond_bypass(c.compared, c.side) and pending.persists(c.limits, seen_at)
            if now - pending.onset >= delay or bypass:
                del self._pending[key]
                message, limit = self._describe(source, param, value, c, tier[1])
                events += self._raise(source, c.condition, AlarmKind.PHYSIOLOGICAL, tier[0], param, message, value,
                                      limit)
                a = self._alarms[key]
                a.side, a.op, a.baseline, a.level = c.side, c.limits.op(tier[1]), c.baseline, tier[0]
                a.note_value(value, tier, c.limits, limit)
        return events + self._escalate_for_several()

    def _follow_level(self, source: str, param: str, value: float, c: LimitCheck, a: Episode) -> list[AlarmEvent]:
        """Keep a present alarm's text and limit at the tier its condition is at now.

        The high level holds until the value is back inside the high limit by the hysteresis (no flapping
        between two levels on one unit); then the text says the medium limit, and when the episode became high
        by crossing, its high part ended then (high_ended_t, shown apart until acknowledged). Back at the high
        level after it was acknowledged at the medium one, the alarm is unacknowledged again (a worse tier).
        """
        high = f"high_{c.side}"
        held = a.level is Priority.HIGH and c.limits.beyond(c.compared, high, c.limits.hysteresis)
        level = Priority.HIGH if c.limits.beyond(c.compared, high) or held else Priority.MEDIUM
        limit_key = f"{level.label}_{c.side}"
        if getattr(c.limits, limit_key) is None:  # a side with one tier: its limit, whatever the level
            limit_key = high if getattr(c.limits, high) is not None else f"medium_{c.side}"
        a.message, a.limit = self._describe(source, param, value, c, limit_key)
        a.op = c.limits.op(limit_key)
        events: list[AlarmEvent] = []
        if level is Priority.HIGH and a.high_ended_t is not None:
            a.high_ended_t = None
            if a.acknowledged:
                events = self._escalate(a, Priority.HIGH, "")
        elif level < (a.level or level) and a.priority is Priority.HIGH and not a.escalation:
            a.high_ended_t = self._wallclock()
        a.level = level
        return events

    def _supersede(self, source: str, c: LimitCheck, value: float) -> list[AlarmEvent]:
        """End the same BP condition of other sources when this newer reading (value) clears it."""
        events: list[AlarmEvent] = []
        for key, a in list(self._alarms.items()):
            if key[1] == c.condition and key[0] != source and a.present and c.limits.clears(c.compared, c.side):
                a.value = value
                events += self._end(key, a)
        return events

    def _describe(self, source: str, param: str, value: float, c: LimitCheck, key: str) -> tuple[str, float]:
        """Return the alarm text ("SpO₂ 87 < 90", profile.crossing_text) and the absolute limit crossed.

        When more than one device has given this parameter, the text names the
        device ("SpO2 87 < 90 (Pulse oximeter 2)"), so the nurse knows which one.
        """
        threshold = getattr(c.limits, key)
        op = c.limits.op(key)
        several = sum(1 for (s, p) in self._last if p == param) > 1
        where = f" ({source_text(source)})" if several else ""
        limit = threshold if c.baseline is None else c.baseline + threshold
        return crossing_text(label(param), value, op, limit, c.baseline) + where, limit

    def _escalate_for_several(self) -> list[AlarmEvent]:
        present = [a for a in self._alarms.values() if a.kind is AlarmKind.PHYSIOLOGICAL and a.present]
        if len({a.param for a in present}) < 2:
            return []
        events: list[AlarmEvent] = []
        for a in present:
            if a.priority is Priority.MEDIUM:
                events += self._escalate(a, Priority.HIGH, "two or more parameters in alarm")
        return events

    # ---- alarm life ----------------------------------------------------------------------------------

    def _raise(self, source: str, condition: str, kind: AlarmKind, priority: Priority, param: str, message: str,
               value: float | None, limit: float | None, escalate_after_s: float | None = None) -> list[AlarmEvent]:
        key = (source, condition)
        latched = self._alarms.pop(key, None)
        if latched is not None:  # an earlier episode, latched: it stays shown beside the new one until acknowledged
            self._latched[latched.alarm_id] = latched
        seq = next(self._seq)
        a = Episode(f"{self._run}-{seq}", seq, condition, kind, priority, source, param, message, value, limit,
                   self._wallclock(), self._clock(), escalate_after_s)
        self._alarms[key] = a
        return [self._alarm_event(EventKind.RAISED, a, a.message)]

    def _escalate(self, a: Episode, priority: Priority, reason: str) -> list[AlarmEvent]:
        a.priority, a.acknowledged = priority, False
        if reason:
            a.escalation = reason
        text = f"{a.message} ({reason})" if reason else a.message
        return [self._alarm_event(EventKind.ESCALATED, a, text)]

    def _end(self, key: tuple[str, str], a: Episode) -> list[AlarmEvent]:
        """End an alarm's condition: latch an unacknowledged high physiological alarm, else clear it."""
        if a.kind is AlarmKind.PHYSIOLOGICAL and a.priority is Priority.HIGH and not a.acknowledged:
            a.present, a.ended_t = False, self._wallclock()  # shown until acknowledged, with when it ended
            return [self._alarm_event(EventKind.ENDED, a, f"{a.message}: condition ended (now {fmt(a.value)}), "
                                                          "latched until acknowledged")]
        del self._alarms[key]
        return [self._alarm_event(EventKind.CLEARED, a, f"{a.message}: cleared, now {fmt(a.value)}")]

    def _shown(self) -> list[Episode]:
        """Return every alarm shown now: the current episodes and the latched earlier ones."""
        return [*self._alarms.values(), *self._latched.values()]

    def _forget(self, a: Episode) -> None:
        """Stop showing an alarm (a current episode or a latched earlier one)."""
        if self._latched.pop(a.alarm_id, None) is None:
            del self._alarms[(a.source, a.condition)]

    def _finish(self, events: list[AlarmEvent]) -> list[AlarmEvent]:
        """End an audio pause when a new alarm or a higher priority appeared among events."""
        if self._pause_until is not None and any(e.kind in (EventKind.RAISED, EventKind.ESCALATED) for e in events):
            self._pause_until = None
            events.append(self._event(EventKind.AUDIO_RESUMED,
                                      message="Alarm audio pause ended: new alarm or higher priority"))
        return events

    def _alarm_event(self, kind: EventKind, a: Episode, message: str, user: str = "") -> AlarmEvent:
        return AlarmEvent(t=self._wallclock(), kind=kind, alarm_id=a.alarm_id, condition=a.condition,
                          alarm_kind=a.kind, priority=a.priority, message=message, source=a.source, param=a.param,
                          value=a.value, limit=a.limit, user=user)

    def _event(self, kind: EventKind, **values: object) -> AlarmEvent:
        return AlarmEvent(t=self._wallclock(), kind=kind, **values)  # type: ignore[arg-type]

