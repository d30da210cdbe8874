"""Playback of a stored session through a monitor core, at 1x to 60x: for training and incident review.

The stored values, BP readings and device conditions are fed to a MonitorCore
as a device's would be, when the playback clock reaches their time; the
nurse's documented steps are replayed through the core's own commands
(infusion start, pause, rate, stop; event markers; limit changes), so the
screen, the alarms and the infusion figures behave as they did. The core
records into a private in-memory database: playback never adds a session to a
clinic's file, and nothing it does can be mistaken for a live recording. Its
alarms are evaluated again, with the session's alarm profile (the stored alarm
log of what happened is on the review timeline). It drives no device and
sounds nothing: the window that shows it says PLAYBACK.

The core runs on session time, `speed` times faster: its monotonic clock
(alarm delays, infusion timer, BP schedule) and its wall clock (the header's
time of day, BP and event times, trend windows) are the playback clock, so
the screen shows the session's times, not the computer's, and the values keep
their own times.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from devices.values import Condition, Sample, StatusChange, WaveSegment
from monitor.clinical.markers import current_markers
from monitor.live.core import MonitorCore, SessionInfo
from monitor.record.journal import InfusionEvent, LimitChange, MarkerRevision
from monitor.storage.sessions import SessionMeta, SessionRecord, SessionSource
from monitor.storage.store import Store

#: Speeds offered (x real time); any speed in [1, 60] is accepted.
SPEEDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
MAX_SPEED = 60.0
#: Session seconds read from the store at a time.
READ_AHEAD_S = 30.0
#: Waveform chunks are fed in pieces of about this many real seconds, so the sweep moves smoothly.
PIECE_REAL_S = 0.05
log = logging.getLogger(__name__)


class PlaybackClock:
    """Session time (UTC epoch s) running `speed` times faster than the monotonic clock; it can pause.

    Called, it returns monotonic-like seconds of session time, for the core's clock.
    It stands still at `end`, the session's end: a clock running on past the
    last recorded value would show the infusion delivering more than it did,
    and values going stale that the session never lost.
    """

    def __init__(self, start: float, speed: float = 1.0, mono: Callable[[], float] = time.monotonic,
                 end: float = math.inf) -> None:
        self._mono = mono
        self._end = end
        self._lock = threading.Lock()
        self._origin = start  # session time at _since
        self._since = mono()
        self._speed = checked_speed(speed)
        self._paused = False

    def position(self) -> float:
        """Return the session time now (UTC epoch s)."""
        with self._lock:
            if self._paused:
                return min(self._origin, self._end)
            return min(self._origin + (self._mono() - self._since) * self._speed, self._end)

    def __call__(self) -> float:
        return self.position()

    @property
    def speed(self) -> float:
        """Return how many session seconds pass per real second."""
        return self._speed

    @property
    def paused(self) -> bool:
        """Tell whether session time stands still."""
        return self._paused

    def _rebase(self) -> None:
        self._origin = self.position()
        self._since = self._mono()

    def set_speed(self, speed: float) -> None:
        """Run at a new speed from now on (1 to 60)."""
        speed = checked_speed(speed)
        self._rebase()
        with self._lock:
            self._speed = speed

    def set_paused(self, paused: bool) -> None:
        """Stop or restart session time."""
        self._rebase()
        with self._lock:
            self._paused = paused

    def jump(self, t: float) -> None:
        """Set the session time to t (used to replay the steps before the start point at their own times)."""
        with self._lock:
            self._origin, self._since = t, self._mono()


def checked_speed(speed: float) -> float:
    """Return speed if it is within 1x to 60x, else raise ValueError saying so."""
    if not isinstance(speed, (int, float)) or not 1.0 <= speed <= MAX_SPEED:
        raise ValueError(f"playback speed must be from 1x to {MAX_SPEED:g}x, got {speed!r}")
    return float(speed)


class Playback(threading.Thread):
    """Feeds one stored session into `core` on `clock`; read from `source`, which it uses alone."""

    def __init__(self, source: SessionSource, meta: SessionMeta, core: MonitorCore, clock: PlaybackClock,
                 start_at: float) -> None:
        super().__init__(name="playback", daemon=True)
        self.source = source
        self.meta = meta
        self.core = core
        self.clock = clock
        self.start_at = start_at
        self.record: SessionRecord = source.record(meta)
        self.end = meta.end()
        self.finished = threading.Event()
        self._halt = threading.Event()
        self.error = ""

    def stop(self) -> None:
        """End the playback and the core it feeds."""
        self._halt.set()
        if self.is_alive():
            self.join(5.0)
        self.core.stop("playback ended")
        self.source.close()

    def run(self) -> None:
        try:
            self._prelude()
            t = self.start_at
            while t < self.end and not self._halt.is_set():
                upto = min(t + READ_AHEAD_S, self.end)
                self._play(self._items(t, upto))
                t = upto
        except Exception as exc:  # a damaged file must end the playback in words, not kill the window
            log.exception("playback of session %s failed", self.meta.ref)
            self.error = str(exc)
        self.finished.set()

    # --- what is fed -------------------------------------------------------------------------------

    def _steps(self) -> list[tuple[float, Callable[[], None], str]]:
        """Return the documented steps as (session time, action on the core, kind)."""
        steps: list[tuple[float, Callable[[], None], str]] = []
        for _, ev in self.record.entries(InfusionEvent):
            steps.append((ev.t, lambda ev=ev: self._infusion(ev), "infusion"))
        for rev in current_markers(rev for _, rev in self.record.entries(MarkerRevision)):
            steps.append((rev.t, lambda rev=rev: self._mark(rev), "event"))
        for _, change in self.record.entries(LimitChange):
            steps.append((change.t, lambda c=change: self._limit(c), "limit"))
        return sorted(steps, key=lambda s: s[0])

    def _prelude(self) -> None:
        """Replay the infusion steps and limit changes before the start point at their own session times, then
        start there (events before it are not replayed: the screen would date them all at the start)."""
        for t, action, kind in self._steps():
            if t < self.start_at and kind != "event":
                self.clock.jump(t)
                action()
        self.clock.jump(self.start_at)

    def _items(self, t0: float, t1: float) -> list[tuple[float, Callable[[float], object] | Callable[[], None]]]:
        """Return what happens in [t0, t1) of session time, in time order: (session time, feed)."""
        out: list[tuple[float, object]] = [(t, action) for t, action, _ in self._steps() if t0 <= t < t1]
        for row in self.source.numerics(self.meta, t0, t1):
            out.append((row.t, Sample(row.t, row.source, row.parameter, row.value, row.unit, row.flags, row.t_dev)))
        for n in self.record.nibp:
            if t0 <= n.t < t1:
                out.append((n.t, n))
        for s in self.record.device_status:
            if t0 <= s.t < t1 and s.active is not None and s.condition in Condition._value2member_map_:
                out.append((s.t, StatusChange(s.t, s.source, Condition(s.condition), s.active, s.detail)))
        piece_s = max(PIECE_REAL_S * self.clock.speed, 0.1)
        for track in self.record.tracks:
            t, v = self.source.wave(self.meta, track, t0, t1)
            per = max(1, int(round(piece_s * track.rate)))
            for i in range(0, len(v), per):
                last = float(t[min(i + per, len(v)) - 1])
                out.append((last, WaveSegment(last, track.source, track.parameter, tuple(v[i:i + per].tolist()),
                                              track.rate)))
        out.sort(key=lambda item: item[0])
        return out  # type: ignore[return-value]

    def _play(self, items: list) -> None:
        for t, item in items:
            while not self._halt.is_set():
                wait = (t - self.clock.position()) / self.clock.speed
                if wait <= 0 and not self.clock.paused:
                    break
                self._halt.wait(0.2 if self.clock.paused else min(wait, 0.2))
            if self._halt.is_set():
                return
            if callable(item):
                item()
            else:
                self.core.feed(item)  # at its own time: the core's wall clock is the session's

    def _infusion(self, ev: InfusionEvent) -> None:
        args = {"started": ("start", {"confirm_soft_limits": True}), "paused": ("pause", {}),
                "resumed": ("resume", {}), "stopped": ("stop", {}), "completed": ("complete", {}),
                "rate_changed": ("rate", {"rate_ml_per_h": ev.rate_ml_per_h, "confirm_soft_limits": True})}
        if ev.kind not in args:
            return  # planned_end_reached: the engine reaches it by itself
        action, extra = args[ev.kind]
        try:
            self.core.infusion_action(action, user=ev.user or "playback", reason=ev.reason or "as recorded", **extra)
        except ValueError as exc:  # InfusionError / DoseError: the record does not fit today's rules; go on
            log.info("playback: infusion %s not replayed: %s", ev.kind, exc)

    def _mark(self, rev: MarkerRevision) -> None:
        if self.core.clinical is not None:
            try:
                self.core.clinical.mark(rev.code, rev.user or "playback", t=rev.t, note=rev.note)
            except ValueError as exc:
                log.info("playback: marker %s not replayed: %s", rev.code, exc)

    def _limit(self, change: LimitChange) -> None:
        try:
            self.core.set_limit(change.param, change.key, change.new, change.user or "playback")
        except ValueError as exc:
            log.info("playback: limit change not replayed: %s", exc)


def start_playback(source: SessionSource, meta: SessionMeta, start_at: float | None = None,
                   speed: float = 1.0) -> Playback:
    """Build a monitor core on a private in-memory database and start feeding it the session from start_at.

    ValueError in words for a speed outside 1x-60x or a start outside the session. The caller
    gives `source` to the playback (it reads on its own thread and closes it at the end).
    """
    start_at = meta.started_utc if start_at is None else start_at
    end = meta.end()
    if not meta.started_utc <= start_at < end:
        raise ValueError("playback must start within the session")
    clock = PlaybackClock(meta.started_utc, speed, end=end)
    core = MonitorCore(Store(":memory:"), [], profile=meta.profile or "ketamine", clock=clock, wallclock=clock,
                       tz=meta.tz)
    playback = Playback(source, meta, core, clock, start_at)
    for device in playback.record.devices:
        core.live.add_source(device.source)  # device order: the first source of a parameter is shown
    plan = (meta.weight_kg, meta.dose_mg_per_kg, meta.infusion_min)
    info = SessionInfo(patient_id=meta.patient_id, patient_name=meta.patient_name, birth_date=meta.birth_date,
                       second_id=meta.second_id, second_id_label=meta.second_id_label)
    if None not in plan:  # the infusion panel and timer, as the session planned them
        info = replace(info, weight_kg=meta.weight_kg, dose_mg_per_kg=meta.dose_mg_per_kg,
                       infusion_min=meta.infusion_min, bag_ml=meta.bag_ml)
    core.start(info, operator="playback")
    playback.start()
    return playback
