"""The running monitor: devices in, alarms evaluated, everything recorded, state for the screen.

One core thread drains what the reader threads publish, in arrival order: it
updates the live state, feeds the alarm engine (so alarms are evaluated as
samples arrive, never in the paint path) and queues rows for the recorder.
The same class runs the headless `record` command and the window, so every
clinical rule is exercised without a display. Public methods are thread-safe.
Every thread it starts (readers, recorder, core, outcome watcher, replicator)
runs under supervision (devices.supervised): a fault raises a HIGH technical
alarm in words and is kept in `faults`, so `record` ends non-zero.
"""

from __future__ import annotations

import logging
import math
import queue
import sqlite3
import threading
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable

from devices import registry
from devices.plausibility import plausible
from devices.reader import DeviceReader, Port, open_serial
from devices.spec import DeviceSpec, name_sources
from devices.supervised import SupervisedThread, ThreadFault
from devices.values import PARAMS, DeviceItem, NibpResult, mean_arterial, sample
from monitor.alarms import AlarmEngine, AlarmEvent, ParamLimits, Priority, load_profile
from monitor.alarms.keys import AppAlarm
from monitor.alarms.profile import apply_order, check_changes
from monitor.clinical.config import load_clinical_config
from monitor.clinical.dosing import DosePlan
from monitor.clinical.infusion import (
    CLOSED_DURING_INFUSION,
    InfusionEngine,
    InfusionError,
    InfusionState,
    InfusionStatus,
    RatePreview,
)
from monitor.clinical.session import ClinicalSession, SessionAction
from monitor.clinical.signing import Action, Signer, Signing
from monitor.clinical.staff import StaffList
from monitor.live.forecast import ForecastLine
from monitor.live.screen import TILE_PARAMS, CoreState, DeviceState, compose, stable_time
from monitor.live.session_info import SessionInfo
from monitor.live.state import LiveState, Snapshot
from monitor.live.view import AlarmView, DeviceView, ScreenView
from monitor.patient_id import clean_patient_id
from monitor.record.base import Record
from monitor.record.journal import InfusionEvent, ManualBp, OperatorChange, SimulatedDevice
from monitor.record.outcomes import CentralFlagCheck
from monitor.record.signing import SigningMode
from monitor.storage.known_flags import known_flags, seen_centrally
from monitor.storage.outcomes import FlagLookup, FlagsElsewhere, outcomes_of, patient_instruments
from monitor.storage.recorder import Recorder
from monitor.storage.store import SessionEnd, Store, StoreError, local_tz_name

if TYPE_CHECKING:  # the replicator (and psycopg) load only when a central store is configured
    from monitor.central.replicator import ReplicationState, Replicator

TICK_S = 0.1
#: Source name of BP readings the nurse types in (read on a device that is not connected).
MANUAL_SOURCE = "manual"
#: How often (s) the core looks for questionnaires another program wrote into the running session.
OUTCOME_POLL_S = 2.0
#: What each thread does, for the words of its fault alarm (a reader: "Device reader <source>").
THREAD_WORK = {"recorder": "Recording", "core": "Alarm monitoring", "outcome-watch": "Questionnaire watch",
               "replicator": "Central replication"}
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Events:
    """Alarm events raised on another thread, queued for the core thread to hand to the listeners."""

    events: tuple[AlarmEvent, ...]


class MonitorCore:
    """Owns the readers, recorder, alarm engine and live state of one session."""

    def __init__(self, store: Store, devices: list[DeviceSpec], profile: str = "ketamine",
                 capture_raw: bool = True, open_port: Callable[[DeviceSpec], Port] = open_serial,
                 clock: Callable[[], float] = time.monotonic, central: Replicator | None = None,
                 wallclock: Callable[[], float] = time.time, tz: str | None = None,
                 signing: Signing | None = None, flag_lookup: FlagLookup | None = None) -> None:
        """signing: the clinic's staff list for signed actions (the window passes Signing.load(staff_file()));
        None signs nothing, as the headless `record` does, and the record says so. flag_lookup asks the central
        store for the patient's flags at other chairs (the Start dialog's, so its answer is reused); with a
        central store and none given, the core makes its own."""
        self.store = store
        self.tz = tz or local_tz_name()  # the session's IANA zone: its clock times are shown in it (timefmt)
        self.specs = name_sources(list(devices))
        self.profile_name = profile
        self.alarms = AlarmEngine(load_profile(profile), clock=clock, wallclock=wallclock)
        self.capture_raw = capture_raw
        self._open_port = open_port
        self._clock = clock
        self._wallclock = wallclock  # UTC epoch s: the computer's, or a played-back session's time
        self.lock = threading.RLock()
        self.live = LiveState(tuple(spec.source for spec in self.specs), clock=clock)
        self._inbox: queue.SimpleQueue[DeviceItem | _Events] = queue.SimpleQueue()
        self._halt = threading.Event()
        # both keep no state a fault could leave half-changed (each item is handled on its own): restarted
        self._thread = SupervisedThread("core", self._thread_failed, target=self._run, restart=True)
        self._outcome_watch = SupervisedThread("outcome-watch", self._thread_failed, target=self._watch_outcomes,
                                               restart=True)
        self._listeners: list[Callable[[AlarmEvent], None]] = []
        self.readers: dict[str, DeviceReader] = {}
        self.recorder: Recorder | None = None
        self.session_id: int | None = None
        self.infusion: InfusionEngine | None = None
        self.clinical: ClinicalSession | None = None
        self.info = SessionInfo()
        self.operator = ""  # who is at the monitor now (initials or name); every command of the screen is theirs
        self.signing = signing or Signing(None, clock=clock)
        self._before_start: list[tuple[Record, str]] = []  # journaled before the recorder existed (a signed start)
        self.central = central  # ships the database to the clinic's central store, if one is configured
        self.flag_lookup = flag_lookup
        self._forecast = ForecastLine(store.path)
        self._central_alarm: str | None = None
        self._internal_error_shown = False
        self.faults: list[ThreadFault] = []  # every thread fault of this session, in order

    # --- life cycle -------------------------------------------------------------------

    def on_alarm_event(self, callback: Callable[[AlarmEvent], None]) -> None:
        """Call back for every alarm event, e.g. to print it, always on the core thread.

        Events raised by other threads (a command from the window, the recorder
        reporting a failed write) reach listeners through the core's inbox, in
        order. Before start() and after stop() there is no core thread: the
        thread that raised the event (or stop()) calls the listeners. A listener
        that raises is logged and never keeps the others from the event.
        """
        self._listeners.append(callback)

    def start(self, info: SessionInfo | None = None, operator: str = "") -> int:
        """Create the session row, start recording and the device readers; return the session id.

        operator names who is at the monitor (recorded, see set_operator).
        """
        info = info or SessionInfo()
        if info.patient_id is not None:  # PatientIdError (a ValueError) refuses an ID that cannot be shown
            info = replace(info, patient_id=clean_patient_id(info.patient_id))
        self.info = info
        if info.weight_kg is not None or info.dose_mg_per_kg is not None or info.infusion_min is not None:
            plan = DosePlan(weight_kg=info.weight_kg, dose_mg_per_kg=info.dose_mg_per_kg,  # type: ignore[arg-type]
                            duration_min=info.infusion_min,  # type: ignore[arg-type]
                            bag_volume_ml=info.bag_ml or DosePlan.bag_volume_ml)
            # DoseError refuses a bad plan; its events are timed by the session's clock (a played-back one too)
            self.infusion = InfusionEngine(plan, clock=self._clock, wallclock=self._wallclock, tz=self.tz)
        self.store.recover_interrupted()
        if info.patient_id:
            self.store.ensure_patient(info.patient_id, info.patient_name)
        self.session_id = self.store.create_session(
            patient_id=info.patient_id, weight_kg=info.weight_kg, dose_mg_per_kg=info.dose_mg_per_kg,
            infusion_min=info.infusion_min, bag_ml=info.bag_ml, profile=self.profile_name, tz=self.tz,
            birth_date=info.birth_date, second_id=info.second_id, second_id_label=info.second_id_label)
        self.recorder = Recorder(self.store, self.session_id, on_failure=self._recording_failed,
                                 capture_raw=self.capture_raw, on_fault=self._thread_failed)
        self.recorder.start()
        self._journal_signing()
        for record, user in self._before_start:
            self.recorder.journal(record, user)
        self._before_start.clear()
        if self.signing.problem:
            self.raise_technical(AppAlarm.STAFF_LIST, Priority.MEDIUM, f"{self.signing.notice}: {self.signing.problem}")
        if self.central is not None:
            self.central.on_fault = self._thread_failed
            self.central.start()
        self.clinical = self._build_clinical(info)  # asks for the baseline BP on its first tick
        if operator.strip():
            self.set_operator(operator)
        for spec in self.specs:
            self._add_reader(spec)
        self._thread.start()
        self._outcome_watch.start()
        return self.session_id

    def add_device(self, spec: DeviceSpec) -> DeviceSpec:
        """Connect one more device to the running session and return it with its source name.

        A second device of a role is named apart (pulseox-2), so both are kept. ValueError if the
        port is already in use or the protocol is unknown.
        """
        if self.session_id is None:
            raise ValueError("start the session before adding devices")
        registry.get(spec.protocol)
        for reader in self.readers.values():
            if reader.spec.port == spec.port and not spec.simulated:
                raise ValueError(f"{spec.port} is already connected ({reader.spec.name})")
        [spec] = name_sources([spec], taken=set(self.readers) | {MANUAL_SOURCE})
        self.specs.append(spec)
        self.live.add_source(spec.source)
        self._add_reader(spec)
        return spec

    def _add_reader(self, spec: DeviceSpec) -> None:
        rows = {"devices": [{"session_id": self.session_id, "role": spec.role, "source": spec.source,
                             "protocol": spec.protocol, "port": spec.port, "baudrate": spec.baudrate,
                             "t": self._wallclock()}]}
        self.store.write_batch(rows)
        assert self.recorder is not None
        if spec.simulated:  # the record says so, for every report of its values
            self.recorder.journal(SimulatedDevice(spec.source), "", rows["devices"][0]["t"])
        reader = DeviceReader(spec, self._inbox.put, self.recorder.put_raw, open_port=self._open_port,
                              on_fault=self._thread_failed)
        self.readers[spec.source] = reader
        reader.start()

    def stop(self, reason: str = "closed") -> None:
        """Stop devices, write the rest of the recording and close the session in the same transaction.

        Raises StoreError (one line for people) if the database refused the
        last rows even after the recorder's retries: they are then in a
        recovery file the next start imports, and the message says where.
        """
        for reader in self.readers.values():
            reader.stop()
        self._halt.set()
        for thread in (self._thread, self._outcome_watch):
            if thread.is_alive():
                thread.join(2.0)
        self._drain()
        try:
            self._stop_running_infusion()
            if self.recorder is not None:
                devices = self.live.snapshot(trends=False).devices.values()  # identity as reported (also journaled)
                self.recorder.stop(SessionEnd.reported(self._wallclock(), reason, devices))
                from monitor.review.stored import refresh_summary  # review's code loads at the close, not the start

                refresh_summary(self.store, self.session_id)  # computed once, for the course and the browser
        finally:
            if self.central is not None:
                self.central.stop()  # one last shipment, so the closed session reaches the central store

    def _stop_running_infusion(self) -> None:
        """Journal a running or paused infusion as stopped now, so no reader sees it "running" for ever.

        The session ends with the monitoring: whatever the pump does next is not recorded, so the
        record says the infusion stopped when the monitoring did, by the user at the monitor ("app"
        when nobody is named), with the reason CLOSED_DURING_INFUSION.
        """
        with self.lock:
            eng = self.infusion
            if eng is None or eng.state not in (InfusionState.RUNNING, InfusionState.PAUSED):
                return
            user = self.operator.strip() or "app"
            event = eng.stop(CLOSED_DURING_INFUSION, user)
        self.journal(event, user)

    # --- the core thread -----------------------------------------------------------------

    def _run(self) -> None:
        next_tick = self._clock()
        while not self._halt.is_set():
            try:
                item = self._inbox.get(timeout=TICK_S)
                self._handle(item)
                while True:
                    self._handle(self._inbox.get_nowait())
            except queue.Empty:
                pass
            if self._clock() >= next_tick:
                next_tick = self._clock() + TICK_S
                try:
                    self._tick()
                except Exception as exc:  # see _handle
                    self._internal_error(exc)

    def _build_clinical(self, info: SessionInfo) -> ClinicalSession:
        """Build the recording's clinical session with the core's ports: its lock, journal, clocks, alarm
        baselines and NIBP reader, and the session's number in the patient's course."""

        def set_baseline(param: str, value: float) -> None:
            with self.lock:
                self.alarms.set_baseline(param, value)

        number, carried = None, ()
        if info.patient_id and self.session_id is not None:
            number = self.store.session_count(info.patient_id, up_to=self.session_id)
            elsewhere = self._flags_elsewhere(info.patient_id)
            known = known_flags(self.store, info.patient_id, elsewhere)  # remembered ones when not reached
            carried = tuple(f for f in known.flags if f.chair or f.session_id != self.session_id)
            if elsewhere is not None:  # the record says whether other chairs were checked, what they held and showed
                self.journal(CentralFlagCheck(tuple(f"{f.score.id} {f.where}" for f in carried
                                                    if f.chair and not f.reviewed), known.notice,
                                              seen_centrally(elsewhere)))
        return ClinicalSession.opened(
            load_clinical_config(), start=info.extra, patient_id=info.patient_id, session_number=number,
            carried=carried,
            infusion=self.infusion, journal=self.journal, set_baseline=set_baseline,
            nibp_commandable=lambda: self.nibp_reader("nibp_start") is not None,
            clock=self._clock, wallclock=self._wallclock, lock=self.lock)

    def _flags_elsewhere(self, patient_id: str) -> FlagsElsewhere | None:
        """Return what the central store holds of the patient's flags (every chair's, with their reviews), waiting at
        most the lookup's bound, or its notice when not reached; None without a central store."""
        if self.central is None:
            return None
        from monitor.central.flags import MARGIN_S, NOT_REACHED, TIMEOUT_S, CentralFlagLookup

        if self.flag_lookup is None:
            self.flag_lookup = CentralFlagLookup(self.central.settings)
        answer = self.flag_lookup.answer(patient_id, wait_s=TIMEOUT_S + MARGIN_S)
        return answer if answer is not None else FlagsElsewhere(notice=NOT_REACHED)  # None cannot outlast the bound

    def _carry_out(self, action: SessionAction) -> None:
        """Do what the clinical session asked after its tick: start the NIBP, raise or clear a technical alarm."""
        match action:
            case SessionAction(kind="nibp_start"):
                self.nibp_now()
            case SessionAction(kind="raise", priority=Priority() as priority):
                self.raise_technical(action.key, priority, action.message)
            case SessionAction(kind="clear"):
                self.clear_technical(action.key)

    def _tick(self) -> None:
        with self.lock:
            events = self.alarms.tick()
            ended = self.infusion.tick() if self.infusion is not None else None
            actions = self.clinical.tick() if self.clinical is not None else []
        self._emit(events)
        self._check_central()
        for action in actions:
            self._carry_out(action)
        if ended is not None:
            self.journal(ended, ended.user)
            self.raise_technical(AppAlarm.INFUSION_END, Priority.LOW,
                                 "Planned infusion time reached: check the pump, then press Complete")

    def _watch_outcomes(self) -> None:
        """Adopt questionnaires imported into this session by another program (`infusion-monitor outcome`).

        On its own thread, so the core thread never waits for the database;
        the session raises the item-9 flag alarm on its next tick.
        """
        while not self._halt.wait(OUTCOME_POLL_S):
            try:
                found = outcomes_of(self.store, self.session_id)  # type: ignore[arg-type]
            except (StoreError, sqlite3.DatabaseError):
                continue  # the recorder already reports a failing database; look again next time
            if self.clinical is not None:
                self.clinical.adopt_outcomes(found)

    def _check_central(self) -> None:
        """Raise the LOW technical alarm while the central store has been failing too long; clear it after."""
        message = None if self.central is None else self.central.alarm_message()
        if message == self._central_alarm:
            return
        self._central_alarm = message
        if message is None:
            self.clear_technical(AppAlarm.CENTRAL)
        else:
            self.raise_technical(AppAlarm.CENTRAL, Priority.LOW, message)

    def _drain(self) -> None:
        try:
            while True:
                self._handle(self._inbox.get_nowait())
        except queue.Empty:
            pass

    def _handle(self, item: DeviceItem | _Events) -> None:
        """Give one item to every consumer, each isolated: one that fails never keeps the others from it.

        The recorder comes first (whatever fails below, the data is kept) and
        the alarm engine sees the item even if the live state or the session
        failed on it, as python-can's Notifier isolates its listeners.
        """
        if isinstance(item, _Events):
            self._notify(item.events)
            return
        if self.recorder is not None:
            self.recorder.put(item)
        events: list[AlarmEvent] = []
        for consumer in (self.live.update, self._alarms_on, self._clinical_on):
            try:
                events += consumer(item) or []
            except Exception as exc:  # a bug must not stop monitoring: say so loudly and go on
                self._internal_error(exc)
        self._emit(events)

    def _alarms_on(self, item: DeviceItem) -> list[AlarmEvent]:
        with self.lock:
            return self.alarms.on_item(item)

    def _clinical_on(self, item: DeviceItem) -> None:
        with self.lock:
            if self.clinical is not None:
                self.clinical.on_item(item)

    def _internal_error(self, exc: Exception) -> None:
        log.exception("internal error in the monitor core")
        if not self._internal_error_shown:
            self._internal_error_shown = True
            self.raise_technical(AppAlarm.INTERNAL, Priority.HIGH,
                                 f"Internal error ({exc.__class__.__name__}): alarms may be incomplete; "
                                 "watch the patient and restart the app")

    def _emit(self, events: list[AlarmEvent]) -> None:
        """Store events at once, and have the core thread call the listeners (from any thread)."""
        if not events:
            return
        for event in events:
            if self.recorder is not None:
                self.recorder.put(event)
        if threading.current_thread() is self._thread or not self._thread.is_alive():
            self._notify(events)
        else:
            self._inbox.put(_Events(tuple(events)))

    def _notify(self, events: list[AlarmEvent] | tuple[AlarmEvent, ...]) -> None:
        """Call every listener with every event; a listener that fails never keeps the others from an event."""
        for event in events:
            for callback in self._listeners:
                try:
                    callback(event)
                except Exception as exc:
                    self._internal_error(exc)

    def _thread_failed(self, fault: ThreadFault) -> None:
        """Raise a HIGH technical alarm in words for a thread's fault (on the failing thread); keep the fault.

        A thread restarted and a thread stopped are two alarms (a stop is news even after a restart), each
        saying the last fault of every thread in its state.
        """
        self.faults.append(fault)
        last = [f for f in {f.thread: f for f in self.faults}.values() if f.restarted == fault.restarted]
        words = [f"{THREAD_WORK.get(f.thread) or 'Device reader ' + f.thread.removeprefix('reader-')} "
                 f"{'failed and restarted' if f.restarted else 'stopped'}: {f.error}" for f in last]
        if fault.restarted:
            self.raise_technical(AppAlarm.THREAD_FAULT, Priority.HIGH, "; ".join(words))
        else:
            self.raise_technical(AppAlarm.THREAD_STOPPED, Priority.HIGH, "; ".join(words))

    def _recording_failed(self, message: str | None) -> None:
        with self.lock:
            if message is None:
                events = self.alarms.clear_technical(AppAlarm.RECORDING)
            else:
                events = self.alarms.raise_technical(AppAlarm.RECORDING, Priority.HIGH, f"Recording stopped: {message}")
        self._emit(events)

    # --- views for the screen ------------------------------------------------------------

    @property
    def database_path(self) -> str:
        """Return where this session is stored, for a reader that opens it on its own (the review window)."""
        return self.store.path

    def snapshot(self, trends: bool = True) -> Snapshot:
        return self.live.snapshot(trends)

    def central_state(self) -> ReplicationState | None:
        """Return the replication state for the chair's indicator, None without a central store."""
        return None if self.central is None else self.central.state()

    def timeline_events(self) -> list[tuple[float, str]]:
        """Return (UTC epoch s, words) of infusion steps and event markers, for the live trend."""
        with self.lock:
            out = [] if self.infusion is None else [(e.t, f"infusion {e.kind.replace('_', ' ')}")
                                                    for e in self.infusion.log]
            if self.clinical is not None:
                out += [(m.t, m.label + (f": {m.note}" if m.note else "")) for m in self.clinical.markers.current()]
        return sorted(out)

    def view(self, trends: bool = False) -> ScreenView:
        """Return what the screen shows now as one immutable value (rules in monitor.live.screen).

        trends=True adds the trend series and the timeline (a frame that redraws them).
        """
        snap = self.live.snapshot(trends)
        devices = [DeviceState(source, r.state, r.spec.simulated) for source, r in self.readers.items()]
        forecast = self._forecast_text()  # outside the lock: its first reading of the database takes a few ms
        with self.lock:
            limits = {p: lim for p in (*TILE_PARAMS, "sbp", "dbp") if (lim := self.alarms.limits(p)) is not None}
            clinical, infusion = self.clinical, self.infusion
            state = CoreState(
                snap=snap, now_mono=self._clock(), now_wall=self._wallclock(), alarms=self.alarms.active(), limits=limits,
                audible=self.alarms.audible_priority(), pause_remaining_s=self.alarms.audio_pause_remaining(),
                advice=self.alarms.advice(), patient_id=self.info.patient_id, patient_name=self.info.patient_name,
                patient_second_id=self.info.second_id_text, weight_kg=self.info.weight_kg, operator=self.operator,
                session=clinical.status() if clinical is not None else None,
                infusion=infusion.status() if infusion is not None else None,
                plan=infusion.plan if infusion is not None else None, devices=devices,
                infusion_log=tuple(infusion.log) if infusion is not None else (),
                bp_age_state=clinical.bp.bp_display_state if clinical is not None else CoreState.bp_age_state,
                session_start=clinical.markers.session_start if clinical is not None else None,
                with_trends=trends, timeline=self.timeline_events() if trends else (), central=self.central_state(),
                forecast=forecast, stable_s=stable_time(self.alarms.profile), tz=self.tz)
        return compose(state)

    def _forecast_text(self) -> str:
        """Return the one-line BP forecast of this infusion (advice for the nurse), '' without a patient and plan."""
        info = self.info
        if not info.patient_id or not info.dose_mg_per_kg:
            return ""
        baseline = self.clinical.baseline("sbp") if self.clinical is not None else None
        return self._forecast.line(info.patient_id, info.dose_mg_per_kg, baseline)

    def outcome_instruments(self) -> tuple[str, ...]:
        """Return the questionnaires this patient is asked (their own list, else the clinic's default)."""
        default = self.clinical.config.outcomes.instruments if self.clinical is not None else ()
        if not self.info.patient_id:
            return tuple(default)
        return patient_instruments(self.store, self.info.patient_id, default)

    def alarm_view(self) -> AlarmView:
        with self.lock:
            return AlarmView(self.alarms.active(), self.alarms.audible_priority(),
                             self.alarms.audio_pause_remaining(), self.alarms.advisories())

    def device_views(self) -> list[DeviceView]:
        now = self._clock()
        snap_devices = self.live.snapshot(trends=False).devices
        views = []
        for source, r in self.readers.items():
            last = r.link.stats.last_data_mono
            views.append(DeviceView(source, r.spec.role, r.spec.protocol, r.spec.port, r.state,
                                    None if last is None else now - last, r.link.stats.bytes_rx,
                                    dict(r.link.stats.errors), r.link.stats.reconnects, r.last_error,
                                    snap_devices.get(source)))
        return views

    # --- commands from people --------------------------------------------------------------

    def set_operator(self, user: str) -> None:
        """Record who is at the monitor from now on (session start, shift change); ValueError without a name."""
        user = user.strip() if isinstance(user, str) else ""
        if not user:
            raise ValueError("enter your initials or name")
        if user == self.operator:
            return
        previous, self.operator = self.operator, user
        self.journal(OperatorChange(user, previous), user)

    def pin_needed(self, action: Action) -> bool:
        """Tell whether an action asks the user for a PIN now (monitor.clinical.signing decides)."""
        return self.signing.pin_needed(action, self.operator)

    def sign(self, action: Action, secret: str | None, initials: str = "") -> Signer:
        """Return who signs an action (the current user, or the member named by initials), journaled; SigningRefused
        says why not. Outside the lock: checking a PIN takes some 50 ms and the core thread never waits for it."""
        signer = self.signing.sign(action, secret, initials, self.operator)
        self.journal(signer.signature(action), signer.initials)
        return signer

    def signing_notice(self) -> str:
        """Return what the screen says while actions are not signed ("No staff list: …"), "" while they are."""
        return self.signing.notice

    def reload_staff(self, staff: StaffList | None) -> None:
        """Take the staff list the owner just changed; the record says when actions become signed."""
        if self.signing.reload(staff):
            self._journal_signing()
        if self.signing.signed:
            self.clear_technical(AppAlarm.STAFF_LIST)

    def _journal_signing(self) -> None:
        staff = self.signing.staff
        self.journal(SigningMode(self.signing.signed, self.signing.notice, len(staff.active()) if staff else 0))

    def acknowledge(self, user: str = "") -> None:
        with self.lock:
            events = self.alarms.acknowledge(user)
        self._emit(events)

    def pause_audio(self, user: str = "") -> None:
        with self.lock:
            events = self.alarms.pause_audio(user)
        self._emit(events)

    def raise_technical(self, key: str, priority: Priority, message: str) -> None:
        with self.lock:
            events = self.alarms.raise_technical(key, priority, message)
        self._emit(events)

    def clear_technical(self, key: str) -> None:
        with self.lock:
            events = self.alarms.clear_technical(key)
        self._emit(events)

    def set_limit(self, param: str, key: str, value: float | None, user: str = "") -> None:
        """Change one alarm setting for this session; the change is logged (who, old, new) and stored.

        Raises ProfileError (a ValueError) with the user-facing reason if refused; nothing changes then.
        """
        with self.lock:
            events = self.alarms.set_limit(param, key, value, user)
        self._emit(events)

    def set_limits(self, param: str, changes: dict[str, float | None], user: str = "") -> None:
        """Change several settings of one parameter together: all are checked first, then applied in an order
        where every intermediate setting is valid, under the lock so no sample sees a half-done setting.

        Raises ProfileError (a ValueError) with the reason; nothing changes then.
        """
        events: list[AlarmEvent] = []
        with self.lock:
            old = self.alarms.limits(param) or ParamLimits()
            check_changes(param, old, changes)
            for key, value in apply_order(old, changes):
                events += self.alarms.set_limit(param, key, value, user)
        self._emit(events)

    def limit_settings(self, param: str) -> tuple[ParamLimits, ParamLimits]:
        """Return a parameter's alarm settings now and the profile's preset."""
        with self.lock:
            return self.alarms.limits(param) or ParamLimits(), self.alarms.profile.limits.get(param, ParamLimits())

    def infusion_status(self) -> InfusionStatus | None:
        with self.lock:
            return None if self.infusion is None else self.infusion.status()

    def start_unmet(self) -> tuple[str, ...]:
        """Return, in words, each pre-infusion item still unmet (ClinicalSession.start_unmet), () without a session.

        The high-priority alarms active now are the alarm engine's (a latched one whose condition ended is not,
        nor a high episode continuing at the medium level).
        """
        with self.lock:
            if self.clinical is None:
                return ()
            high = [a.message for a in self.alarms.active() if a.present_priority is Priority.HIGH and not a.latched]
        return self.clinical.start_unmet(high, self.outcome_instruments())

    def rate_preview(self, rate_ml_per_h: float) -> RatePreview:
        """Return what a new pump rate (mL/h) would give now (dose rate, end, dose by the end, limit check).

        ValueError when no infusion is planned; InfusionError or DoseError (see InfusionEngine.preview_rate).
        """
        if self.infusion is None:
            raise ValueError("no infusion is planned in this session")
        with self.lock:
            return self.infusion.preview_rate(rate_ml_per_h)

    def infusion_action(self, action: str, user: str = "", reason: str = "", rate_ml_per_h: float | None = None,
                        confirm_soft_limits: bool = False) -> InfusionEvent:
        """Carry out start/pause/resume/rate/stop/complete; InfusionError or DoseError say why not."""
        if self.infusion is None:
            raise ValueError("no infusion is planned in this session")
        with self.lock:
            eng = self.infusion
            if action == "start":
                refusal = self.clinical.start_refusal() if self.clinical is not None else ""
                if refusal:
                    raise InfusionError(refusal)
                event = eng.start(user, confirm_soft_limits=confirm_soft_limits)
            elif action == "pause":
                event = eng.pause(reason, user)
            elif action == "resume":
                event = eng.resume(user, reason)
            elif action == "rate":
                event = eng.change_rate(float(rate_ml_per_h or 0), reason, user, confirm_soft_limits=confirm_soft_limits)
            elif action == "stop":
                event = eng.stop(reason, user)
            elif action == "complete":
                event = eng.complete(user)
            else:
                raise ValueError(f"unknown infusion action '{action}'")
            ended = eng.state in (InfusionState.STOPPED, InfusionState.COMPLETED)
        self.journal(event, user)
        if ended:
            self.clear_technical(AppAlarm.INFUSION_END)
        return event

    def nibp_now(self) -> bool:
        """Start a BP measurement if an NIBP device that takes commands is connected; tell whether one was asked."""
        reader = self.nibp_reader("nibp_start")
        if reader is None:
            return False
        reader.command("nibp_start")
        return True

    def nibp_reader(self, command: str) -> DeviceReader | None:
        """Return the device that takes an NIBP command (nibp_start, nibp_abort): the first one in device order."""
        return next((r for r in self.readers.values() if r.supports(command)), None)

    def enter_bp(self, sbp: float, dbp: float, pulse_rate: float | None = None, user: str = "") -> NibpResult:
        """Record a BP the nurse read on a device that is not connected (mmHg, /min).

        It goes the way a connected module's reading goes (stored, alarmed at
        once, satisfies the BP schedule), flagged "manual". ValueError in words
        for an impossible reading.
        """
        for name, param, value in (("systolic", "sbp", sbp), ("diastolic", "dbp", dbp),
                                   ("pulse", "nibp_pulse_rate", pulse_rate)):
            if value is None and param == "nibp_pulse_rate":
                continue
            if not (isinstance(value, (int, float)) and plausible(param, value)):
                spec = PARAMS[param]
                lo, hi = spec.plausible or (-math.inf, math.inf)
                raise ValueError(f"{name} {value} {spec.unit} is not plausible ({lo:g}-{hi:g})")
        if dbp >= sbp:
            raise ValueError(f"diastolic {dbp:g} must be below systolic {sbp:g}")
        t, flags = self._wallclock(), frozenset({"manual"})
        mean = mean_arterial(sbp, dbp)
        result = NibpResult(t, MANUAL_SOURCE, float(sbp), float(dbp), mean, pulse_rate, flags=flags)
        for param, value in (("sbp", sbp), ("dbp", dbp), ("map", mean), ("nibp_pulse_rate", pulse_rate)):
            if value is not None:
                self._inbox.put(sample(t, MANUAL_SOURCE, param, float(value), flags=flags))
        self._inbox.put(result)
        self.journal(ManualBp(float(sbp), float(dbp), mean, pulse_rate), user)
        return result

    def nibp_abort(self) -> None:
        """Abort a running BP measurement (deflates the cuff)."""
        reader = self.nibp_reader("nibp_abort")
        if reader is not None:
            reader.command("nibp_abort")

    def feed(self, item: DeviceItem) -> None:
        """Take a device item from outside the serial readers (playback of a stored session).

        It goes the way a reader's item goes: live state, alarm engine, clinical session, recorder.
        """
        self._inbox.put(item)

    def journal(self, record: Record, user: str = "") -> None:
        """Record a clinical entry (infusion step, marker, scale...) in the session journal.

        Before start() it is kept and journaled once recording begins (the first user's signature)."""
        if self.recorder is not None:
            self.recorder.journal(record, user)
        else:
            self._before_start.append((record, user))
