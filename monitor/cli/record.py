"""Commands that bring device bytes in: record (headless), simulate, probe, import and replay."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.app import UserError, device_specs, open_sessions, open_store, printable, replicator_for
from monitor.central.link import chair_settings
from monitor.cli.args import check_speed, checked_plan

if TYPE_CHECKING:  # only named in hints: the store loads when a command opens it (monitor.app.open_store)
    from monitor.storage.store import Store


class _HeadlessInfusion:
    """Runs the infusion timer without a nurse: started with the recording, confirmed at the planned end."""

    def __init__(self, core) -> None:
        self.core = core
        self.end_alerted = threading.Event()
        self.confirmed = False

    def on_event(self, event) -> None:
        """Note the planned-end alert (called on the core thread)."""
        from monitor.alarms.keys import AppAlarm  # the alarms room (numpy) loads with the core, not for `--help`

        if event.kind.value == "raised" and event.condition == AppAlarm.INFUSION_END:
            self.end_alerted.set()

    def step(self) -> None:
        """Confirm the planned end once the core has alerted on it (user "record")."""
        if self.end_alerted.is_set() and not self.confirmed:
            self.confirmed = True
            self.core.infusion_action("complete", user="record")
            print("infusion completed at the planned end", file=sys.stderr)


class StopSignal:
    """Turns SIGINT/SIGTERM into an event, so the session closes cleanly."""

    def __init__(self) -> None:
        self.event = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.event.set())


def _second_id(text: str | None, patient: str | None) -> dict[str, str]:
    """Return --second-id checked by the clinic's rule, as SessionInfo's fields ({} when not given)."""
    from datetime import date

    from monitor.clinical.config import ConfigError, load_clinical_config
    from monitor.patient_id import PatientIdError

    if text is None:
        return {}
    if patient is None:
        raise UserError("--second-id needs --patient: it is the patient's second identifier")
    try:
        ident = load_clinical_config().second_identifier
        value = ident.clean(text, date.today())
    except (ConfigError, PatientIdError) as exc:
        raise UserError(f"--second-id: {exc}") from None
    return {"birth_date": value} if ident.is_birth_date else {"second_id": value, "second_id_label": ident.label}


def cmd_record(args: argparse.Namespace) -> int:
    from devices.reader import port_problem
    from monitor.clinical.signing import HEADLESS_NOTICE, Signing
    from monitor.live.core import MonitorCore, SessionInfo
    from monitor.patient_id import PatientIdError, clean_patient_id

    specs = device_specs(args.device)
    if args.duration is not None and not args.duration > 0:
        raise UserError("--duration must be a positive number of seconds")
    try:
        patient = None if args.patient is None else clean_patient_id(args.patient)
    except PatientIdError as exc:
        raise UserError(f"--patient: {exc}") from None
    second = _second_id(args.second_id, patient)
    plan = checked_plan(args)  # before the store: a refused plan leaves no trace
    if not args.wait_for_device:
        problems = [p for p in map(port_problem, specs) if p]
        if problems:
            raise UserError(f"{problems[0]}; check the cable and the port name, or add --wait-for-device")
    settings = chair_settings(args.central)  # so does a refused central store address
    store = open_store(args.db)
    lookup = None  # with a central store, the patient's flags at other chairs: asked once, here and by the core
    if settings is not None and patient is not None:
        from monitor.central.flags import CentralFlagLookup

        lookup = CentralFlagLookup(settings)
    if plan is not None and patient is not None and not args.confirm_unreviewed_flags:
        _refuse_unreviewed_flags(store, patient, lookup)  # before the session: a refused start leaves no trace
    central = replicator_for(settings, store)
    try:
        core = MonitorCore(store, specs, profile=args.profile, capture_raw=not args.no_raw, central=central,
                           signing=Signing(None, unsigned=HEADLESS_NOTICE),  # the record says why nothing is signed
                           flag_lookup=lookup)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    stop = StopSignal()

    def print_event(event) -> None:
        print(json.dumps(event.to_dict()), flush=True)

    core.on_alarm_event(print_event)
    info = SessionInfo(patient_id=patient, **second, weight_kg=args.weight_kg, dose_mg_per_kg=args.dose_mg_per_kg,
                       infusion_min=args.infusion_min, bag_ml=None if plan is None else plan.bag_volume_ml)
    headless = _HeadlessInfusion(core)
    core.on_alarm_event(headless.on_event)
    sid = core.start(info)
    if plan is not None:
        if core.clinical is not None and args.confirm_unreviewed_flags:
            core.clinical.confirm_start_despite_flags("record")
        core.infusion_action("start", user="record", confirm_soft_limits=args.confirm_soft_limits)
        print(f"infusion started: {plan.total_mg:g} mg over {plan.duration_min:g} min, "
              f"set the pump to {plan.pump_rate_ml_per_h:.1f} mL/h", file=sys.stderr)
    print(f"recording session {sid} to {printable(store.path)}; stop with Ctrl-C", file=sys.stderr)
    deadline = None if args.duration is None else time.monotonic() + args.duration
    reason = "closed"
    while not stop.event.is_set():
        if deadline is not None and time.monotonic() >= deadline:
            reason = "duration reached"
            break
        stop.event.wait(0.1)
        headless.step()
    else:
        reason = "stopped by signal"
    core.stop(reason)  # StoreError (exit 2, one line) when the last rows are not in the database
    _report_recording(store, sid, reason)
    if central is not None:
        state = central.state()
        print(f"{state.text(time.time())}, {state.rows} rows sent"
              + ("" if state.healthy(time.time()) else "; the rest is sent at the next start"), file=sys.stderr)
    if core.faults:  # the first thread that stopped, else the first fault
        fault = next((f for f in core.faults if not f.restarted), core.faults[0])
        raise UserError(f"{fault.words()} during session {sid}"
                        + (f" ({len(core.faults)} faults)" if len(core.faults) > 1 else "") + " (details in the log)")
    return 0


def _refuse_unreviewed_flags(store: Store, patient: str, lookup=None) -> None:
    """UserError naming the patient's unreviewed item-9 flag, and the two ways on (a review, or a confirmation).

    lookup (a CentralFlagLookup) adds the flags of other chairs; a store not reached is said on stderr, in a line.
    """
    from monitor.storage.known_flags import known_flags

    answer = None
    if lookup is not None:
        from monitor.central.flags import MARGIN_S, NOT_REACHED, TIMEOUT_S
        from monitor.storage.outcomes import FlagsElsewhere

        answer = lookup.answer(patient, wait_s=TIMEOUT_S + MARGIN_S) or FlagsElsewhere(notice=NOT_REACHED)
    known = known_flags(store, patient, answer)  # not reached: the flags the store gave at an earlier visit
    if known.notice:
        print(known.notice, file=sys.stderr)
    waiting = known.unreviewed
    if waiting:
        raise UserError(f"patient {patient} has an unreviewed flag ({waiting[0].score.flag_brief}, "
                        f"{waiting[0].where}): a clinician reviews it first (flags --patient {patient} "
                        "--reviewer NAME --note TEXT), or add --confirm-unreviewed-flags (recorded)")


def _report_recording(store: Store, sid: int, reason: str) -> None:
    """Say on stderr whether the session is closed, and what it holds, read back from the database."""
    from monitor.ingest.offline import stored_counts

    sessions = open_sessions(Path(store.path))
    try:
        state = sessions.resolve(str(sid)).state
    finally:
        sessions.close()
    counts = stored_counts(store, sid)
    if state != "closed":
        raise UserError(f"session {sid} was not closed (it is {state}); it holds {counts.line()}")
    print(f"session {sid} closed ({reason}): stored {counts.line()}", file=sys.stderr)


def cmd_simulate(args: argparse.Namespace) -> int:
    from devices.sim.runner import PtySimulator, TcpSimulator

    check_speed(args.speed)
    try:
        if args.tcp is not None:
            sim = TcpSimulator(args.protocol, args.scenario, args.speed, args.seed, port=args.tcp, host=args.host)
        else:
            sim = PtySimulator(args.protocol, args.scenario, args.speed, args.seed)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    stop = StopSignal()
    try:
        sim.start()
    except OSError as exc:  # --tcp: the port is taken, or the address is not this computer's
        raise UserError(f"cannot listen on {args.host}:{args.tcp}: {exc.strerror or exc}") from None
    where = sim.url if args.tcp is not None else sim.path
    print(where, flush=True)
    print(f"simulating {args.protocol} ({args.scenario}, x{args.speed:g}) on {where}; stop with Ctrl-C",
          file=sys.stderr, flush=True)
    while not stop.event.wait(0.5):  # a timed wait: Windows delivers Ctrl-C only between waits
        pass
    sim.stop()
    return 0


def cmd_probe(args: argparse.Namespace) -> int:
    from devices.probe import described_ports, find_devices
    from devices.spec import port_name

    if not 0 < args.seconds <= 60:
        raise UserError("--seconds must be more than 0 and at most 60")
    if args.port:
        ports = [port_name(p) for p in args.port]
    else:
        listed = described_ports()
        if not listed:
            print("no serial ports on this computer (is the USB adapter plugged in?)")
            return 0
        for name, what in listed.items():
            print(printable(f"port {name}" + (f": {what}" if what else "")))
        ports = list(listed)

    def progress(step: int, steps: int, what: str) -> None:
        print(f"[{step}/{steps}] {what}", file=sys.stderr, flush=True)

    found = find_devices(ports, args.seconds, progress)
    for device in found:
        print(device)
    if not found:
        print(f"no device found on {', '.join(ports)}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from monitor.ingest.capture import Capture, import_capture
    from monitor.patient_id import PatientIdError, clean_patient_id

    try:
        patient = None if args.patient is None else clean_patient_id(args.patient)
    except PatientIdError as exc:
        raise UserError(f"--patient: {exc}") from None
    try:
        capture = Capture.open(args.protocol, args.file)  # before the database: a typo leaves no file behind
        report = import_capture(open_store(args.db), capture, patient)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    print("\n".join(report.lines()))
    problem = report.problem()
    if problem is not None:  # frames parsed, but what was read is not all stored: not a success
        raise UserError(problem)
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from monitor.ingest.offline import fault_words
    from monitor.ingest.replay import replay

    sessions = open_sessions(args.db)
    try:
        sessions.resolve(args.session)  # before the store: a wrong --db or --session leaves no file behind
        report = replay(open_store(args.db), sessions, args.session)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    for source, parsed in report.devices.items():
        errors = ", ".join(f"{k} {v}" for k, v in parsed.errors.items()) or "none"
        print(printable(f"{source}: {parsed.bytes} bytes -> {parsed.items} values; errors: {errors}"))
    if report.stored is not None:
        print(f"stored: {report.stored.line()}")
    print(f"replayed session {printable(args.session)} as session {report.session_id}")
    problem = fault_words(report.faults, report.session_id)
    if problem is not None:
        raise UserError(problem)
    return 0
