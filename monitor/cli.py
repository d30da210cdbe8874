"""The `infusion-monitor` command (contract in ARCHITECTURE.md).

Every user error ends in one clear line on stderr and a non-zero exit, never a
traceback; an unexpected internal error is written in full to the log file and
summarised in one line.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from monitor import __version__
from monitor.paths import DB_ENV, default_db, log_file, private_output
from monitor.store import Store, StoreError, explain

NOTICE = "infusion-monitor is not a certified medical device; do not rely on it as the only monitor."


class UserError(Exception):
    """A mistake in what the user asked for; the message says how to fix it."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="infusion-monitor", description=f"Ketamine infusion monitor and chart. {NOTICE}")
    p.add_argument("--version", action="version", version=f"infusion-monitor {__version__}")
    sub = p.add_subparsers(dest="command")

    def db_arg(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--db", type=Path, default=None, help=f"session database (default: ${DB_ENV} or the user data dir)")

    def device_arg(sp: argparse.ArgumentParser, required: bool) -> None:
        sp.add_argument("--device", action="append", default=[], required=required, metavar="ROLE=PROTOCOL:PORT[@BAUD]",
                        help="e.g. pulseox=cms50dplus:/dev/ttyUSB0 (repeat for each device)")

    run = sub.add_parser("run", help="open the monitor window")
    db_arg(run)
    device_arg(run, required=False)

    demo = sub.add_parser("demo", help="open the monitor on simulated devices")
    db_arg(demo)
    demo.add_argument("--scenario", default="baseline")
    demo.add_argument("--speed", type=float, default=1.0, help="scenario time factor, 0.1 to 100")
    demo.add_argument("--protocol", default="cms50dplus", help="pulse oximeter protocol to simulate")

    rec = sub.add_parser("record", help="record headless; prints alarms as JSON lines")
    db_arg(rec)
    device_arg(rec, required=True)
    rec.add_argument("--duration", type=float, default=None, help="seconds, then stop (default: until Ctrl-C)")
    rec.add_argument("--patient", default=None, help="patient ID (printable, at most 64 characters)")
    rec.add_argument("--weight-kg", type=float, default=None)
    rec.add_argument("--dose-mg-per-kg", type=float, default=None)
    rec.add_argument("--infusion-min", type=float, default=None)
    rec.add_argument("--bag-ml", type=float, default=None, help="bag volume in mL (default 100)")
    rec.add_argument("--confirm-soft-limits", action="store_true",
                     help="confirm a plan outside the soft dose limits (recorded with the infusion start)")
    rec.add_argument("--profile", default="ketamine", help="alarm profile name or JSON file")
    rec.add_argument("--no-raw", action="store_true", help="do not keep the raw device bytes")
    rec.add_argument("--wait-for-device", action="store_true",
                     help="start even if a port cannot be opened yet, and keep trying (default: refuse)")

    sim = sub.add_parser("simulate", help="simulate a device on a pseudo-terminal; prints its path first")
    sim.add_argument("--protocol", required=True)
    sim.add_argument("--scenario", default="baseline")
    sim.add_argument("--speed", type=float, default=1.0, help="scenario time factor, 0.1 to 100")
    sim.add_argument("--seed", type=int, default=1)

    ses = sub.add_parser("sessions", help="list recorded sessions")
    db_arg(ses)

    rep = sub.add_parser("replay", help="parse a session's captured device bytes again into a new session")
    db_arg(rep)
    rep.add_argument("--session", required=True, help="session id or 'latest'")

    out = sub.add_parser("outcome", help="enter an outcome questionnaire (PHQ-9, GAD-7, PCL-5) into a session")
    db_arg(out)
    out.add_argument("--session", required=True, help="session id or 'latest' (running or closed)")
    out.add_argument("--instrument", required=True, metavar="phq9|gad7|pcl5")
    out.add_argument("--items", required=True, metavar="1,2,0,...", help="every item's score in form order")
    out.add_argument("--user", default="import", help="who entered it (default: import)")

    exp = sub.add_parser("export", help="export a session")
    db_arg(exp)
    exp.add_argument("--session", required=True, help="session id or 'latest'")
    exp.add_argument("--format", required=True, choices=["csv"])
    exp.add_argument("-o", "--output", type=Path, default=None, help="file to write (default: standard output)")
    return p


def _open_store(path: Path | None) -> Store:
    """Open the database for writing and import what an earlier stop kept in recovery files (one line each)."""
    from monitor.recovery import import_pending

    store = Store(path or default_db())
    for line in import_pending(store):
        notice(line)
    return store


def notice(line: str) -> None:
    """Tell the user something that is not an error, one escaped line on stderr."""
    print(f"infusion-monitor: {printable(line)}", file=sys.stderr)


def _open_sessions(path: Path | None):
    """Open the session database for reading only (review, export): never changes the file."""
    from monitor.session_record import SqliteSessions

    return SqliteSessions(path or default_db())


def _resolve(sessions, ref: str):
    try:
        return sessions.resolve(ref)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def cmd_sessions(args: argparse.Namespace) -> int:
    rows = _open_sessions(args.db).sessions()
    if not rows:
        print("no sessions recorded yet")
        return 0
    print(f"{'id':>4}  {'patient':<12} {'started':<19} {'duration':>8}  {'state':<11} note")
    for r in rows:
        tz = _zone(r.tz)
        started = datetime.fromtimestamp(r.started_utc, tz).strftime("%Y-%m-%d %H:%M:%S")
        dur = "" if r.duration_s is None else _hms(r.duration_s)
        note = r.end_reason if r.state == "interrupted" else ""
        print(f"{r.ref:>4}  {printable(r.patient_id or '-'):<12} {started:<19} {dur:>8}  {r.state:<11} {note}")
    return 0


def printable(text: str) -> str:
    """Escape what a terminal would interpret (control characters, escape sequences) in stored text."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _zone(name: str):
    try:
        return ZoneInfo(name)
    except Exception:  # unknown or malformed zone name stored by another machine
        return None


def _hms(seconds: float) -> str:
    s = int(round(max(0.0, seconds)))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def cmd_export(args: argparse.Namespace) -> int:
    from monitor.export import write_csv

    sessions = _open_sessions(args.db)
    meta = _resolve(sessions, args.session)
    if args.output is None:
        write_csv(sessions, meta, sys.stdout)
    else:
        with private_output(args.output, newline="", encoding="utf-8") as out:
            n = write_csv(sessions, meta, out)
        print(f"wrote {n} rows of session {meta.ref} to {printable(str(args.output))}", file=sys.stderr)
    return 0


def cmd_outcome(args: argparse.Namespace) -> int:
    """Check a questionnaire before touching the database, append it to the session's journal, say what it means."""
    from monitor.clinical_config import ConfigError, load_clinical_config
    from monitor.instruments import OutcomeError, parse_items
    from monitor.outcomes import entered

    try:
        cutoffs = load_clinical_config().outcomes.cutoffs
        score = entered(args.instrument, parse_items(args.items), user=args.user, mode="import", cutoffs=cutoffs)
    except (ConfigError, OutcomeError) as exc:
        raise UserError(str(exc)) from None
    meta = _resolve(_open_sessions(args.db), args.session)
    _open_store(args.db).append_journal(meta.id, score, score.user, score.t)
    print(f"session {meta.ref}: {score.summary}")
    flag_item = score.definition.flag_item
    if score.flag:
        print(f"FLAG: {score.flag_text}: a clinician must assess the patient before the infusion")
    elif flag_item is not None:
        print(f"item {flag_item}: 0, no flag")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from monitor.replay import replay

    store = _open_store(args.db)
    try:
        report = replay(store, _open_sessions(args.db), args.session)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    for source, size in report.bytes.items():
        errors = ", ".join(f"{k} {v}" for k, v in report.errors[source].items()) or "none"
        print(printable(f"{source}: {size} bytes -> {report.items[source]} values; errors: {errors}"))
    print(f"replayed session {printable(args.session)} as session {report.session_id}")
    return 0


def device_specs(texts: list[str]):
    from devices.spec import DeviceSpec

    specs = []
    for text in texts:
        try:
            specs.append(DeviceSpec.parse(text))
        except ValueError as exc:
            raise UserError(str(exc)) from None
    ports = [s.port for s in specs]
    if len(set(ports)) != len(ports):
        raise UserError("each port can be given only once")
    return specs


_PLAN_ARGS = (("weight_kg", "--weight-kg"), ("dose_mg_per_kg", "--dose-mg-per-kg"), ("infusion_min", "--infusion-min"))


def _checked_plan(args: argparse.Namespace):
    """Return the DosePlan of --weight-kg/--dose-mg-per-kg/--infusion-min/--bag-ml, None if none is given.

    Checked against the drug-library limits before anything is stored: a hard
    limit refuses, a soft one needs --confirm-soft-limits.
    """
    from monitor.clinical_config import ConfigError, load_clinical_config
    from monitor.dosing import DoseError, DosePlan, check_plan

    given = [flag for attr, flag in _PLAN_ARGS if getattr(args, attr) is not None]
    if not given and args.bag_ml is None:
        return None
    missing = [flag for attr, flag in _PLAN_ARGS if getattr(args, attr) is None]
    if missing:
        raise UserError(f"an infusion plan needs --weight-kg, --dose-mg-per-kg and --infusion-min together "
                        f"(missing: {', '.join(missing)})")
    plan = DosePlan(args.weight_kg, args.dose_mg_per_kg, args.infusion_min,
                    DosePlan.bag_volume_ml if args.bag_ml is None else args.bag_ml)
    try:
        check_plan(plan, load_clinical_config().dose_limits).require(args.confirm_soft_limits)
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    except DoseError as exc:
        hint = " Add --confirm-soft-limits to confirm it." if str(exc).startswith("Needs") else ""
        raise UserError(f"{exc}{hint}") from None
    return plan


class _HeadlessInfusion:
    """Runs the infusion timer without a nurse: started with the recording, confirmed at the planned end."""

    def __init__(self, core) -> None:
        self.core = core
        self.end_alerted = threading.Event()
        self.confirmed = False

    def on_event(self, event) -> None:
        """Note the planned-end alert (called on the core thread)."""
        if event.kind.value == "raised" and event.condition == "infusion_end":
            self.end_alerted.set()

    def step(self) -> None:
        """Confirm the planned end once the core has alerted on it (user "record")."""
        if self.end_alerted.is_set() and not self.confirmed:
            self.confirmed = True
            self.core.infusion_action("complete", user="record")
            print("infusion completed at the planned end", file=sys.stderr)


class _StopSignal:
    """Turns SIGINT/SIGTERM into an event, so the session closes cleanly."""

    def __init__(self) -> None:
        self.event = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.event.set())


def cmd_record(args: argparse.Namespace) -> int:
    from devices.reader import port_problem
    from monitor.core import MonitorCore, SessionInfo
    from monitor.patient_id import PatientIdError, clean_patient_id

    specs = device_specs(args.device)
    if args.duration is not None and not args.duration > 0:
        raise UserError("--duration must be a positive number of seconds")
    try:
        patient = None if args.patient is None else clean_patient_id(args.patient)
    except PatientIdError as exc:
        raise UserError(f"--patient: {exc}") from None
    plan = _checked_plan(args)  # before the store: a refused plan leaves no trace
    if not args.wait_for_device:
        problems = [p for p in map(port_problem, specs) if p]
        if problems:
            raise UserError(f"{problems[0]}; check the cable and the port name, or add --wait-for-device")
    store = _open_store(args.db)
    try:
        core = MonitorCore(store, specs, profile=args.profile, capture_raw=not args.no_raw)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    stop = _StopSignal()

    def print_event(event) -> None:
        print(json.dumps(event.to_dict()), flush=True)

    core.on_alarm_event(print_event)
    info = SessionInfo(patient_id=patient, weight_kg=args.weight_kg, dose_mg_per_kg=args.dose_mg_per_kg,
                       infusion_min=args.infusion_min, bag_ml=None if plan is None else plan.bag_volume_ml)
    headless = _HeadlessInfusion(core)
    core.on_alarm_event(headless.on_event)
    sid = core.start(info)
    if plan is not None:
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
    core.stop(reason)
    print(f"session {sid} closed ({reason})", file=sys.stderr)
    return 0


def _check_speed(speed: float) -> None:
    """Refuse a simulator speed outside its bounds before anything starts."""
    from devices.sim.runner import check_speed

    try:
        check_speed(speed)
    except ValueError as exc:
        raise UserError(f"--{exc}") from None


def cmd_simulate(args: argparse.Namespace) -> int:
    from devices.sim.runner import PtySimulator

    _check_speed(args.speed)
    try:
        sim = PtySimulator(args.protocol, args.scenario, args.speed, args.seed)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    stop = _StopSignal()
    sim.start()
    print(sim.path, flush=True)
    print(f"simulating {args.protocol} ({args.scenario}, x{args.speed:g}) on {sim.path}; stop with Ctrl-C",
          file=sys.stderr, flush=True)
    stop.event.wait()
    sim.stop()
    return 0


COMMANDS = {"record": cmd_record, "simulate": cmd_simulate, "sessions": cmd_sessions, "export": cmd_export,
            "replay": cmd_replay, "outcome": cmd_outcome}
WINDOW_COMMANDS = ("run", "demo")


def _log_to_file() -> Path:
    """Send log records (internal errors with tracebacks) to the log file (0600), not to the user's terminal.

    The log never holds the command line: it may name a patient (--patient).
    """
    path = log_file()
    logging.basicConfig(filename=path, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return path


def main(argv: list[str] | None = None, window: Callable[[argparse.Namespace], int] | None = None) -> int:
    """Run one command. `window` opens the monitor for `run`/`demo`: ui.launcher passes it, so the core
    never imports Qt; without it those two commands say where the window is."""
    args = _parser().parse_args(argv)
    log_path = _log_to_file()
    if args.command is None:
        args = _parser().parse_args(["run", *(argv or sys.argv[1:])])
    try:
        if args.command == "demo":
            _check_speed(args.speed)
        if args.command in WINDOW_COMMANDS:
            if window is None:
                raise UserError(f"'{args.command}' opens the window: start it with the infusion-monitor command")
            return window(args)
        return COMMANDS[args.command](args)
    except (UserError, StoreError) as exc:
        print(f"infusion-monitor: error: {printable(str(exc))}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as exc:  # a database error no command turned into words: still one line
        db = str(getattr(args, "db", None) or default_db())
        print(f"infusion-monitor: error: {printable(explain(db, exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # last resort: one line for the user, the traceback to the log (never the arguments)
        logging.getLogger("monitor.cli").exception("internal error in '%s' (version %s)", args.command, __version__)
        print(f"infusion-monitor: internal error: {exc.__class__.__name__}: {printable(str(exc))} "
              f"(details in {printable(str(log_path))})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
