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
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from monitor import __version__
from monitor.central.link import CENTRAL_ENV, CentralError, chair_settings
from monitor.paths import DB_ENV, default_db, log_dir
from monitor.store import Store, StoreError

NOTICE = "infusion-monitor is not a certified medical device; do not rely on it as the only monitor."


class UserError(Exception):
    """A mistake in what the user asked for; the message says how to fix it."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="infusion-monitor", description=f"Ketamine infusion monitor and chart. {NOTICE}")
    p.add_argument("--version", action="version", version=f"infusion-monitor {__version__}")
    sub = p.add_subparsers(dest="command")

    def db_arg(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--db", type=Path, default=None, help=f"session database (default: ${DB_ENV} or the user data dir)")

    def central_arg(sp: argparse.ArgumentParser, what: str) -> None:
        sp.add_argument("--central", metavar="URL", default=None,
                        help=f"{what} (postgresql://USER@HOST/DB?sslmode=...; passwords come from ~/.pgpass)")

    def device_arg(sp: argparse.ArgumentParser, required: bool) -> None:
        sp.add_argument("--device", action="append", default=[], required=required, metavar="ROLE=PROTOCOL:PORT[@BAUD]",
                        help="e.g. pulseox=cms50dplus:/dev/ttyUSB0 (repeat for each device)")

    run = sub.add_parser("run", help="open the monitor window")
    db_arg(run)
    device_arg(run, required=False)
    central_arg(run, f"also replicate to this central store (default: ${CENTRAL_ENV} or the config file)")

    demo = sub.add_parser("demo", help="open the monitor on simulated devices")
    db_arg(demo)
    demo.add_argument("--scenario", default="baseline")
    demo.add_argument("--speed", type=float, default=1.0)
    demo.add_argument("--protocol", default="cms50dplus", help="pulse oximeter protocol to simulate")

    rec = sub.add_parser("record", help="record headless; prints alarms as JSON lines")
    db_arg(rec)
    device_arg(rec, required=True)
    rec.add_argument("--duration", type=float, default=None, help="seconds, then stop (default: until Ctrl-C)")
    rec.add_argument("--patient", default=None)
    rec.add_argument("--weight-kg", type=float, default=None)
    rec.add_argument("--dose-mg-per-kg", type=float, default=None)
    rec.add_argument("--infusion-min", type=float, default=None)
    rec.add_argument("--bag-ml", type=float, default=None, help="bag volume in mL (default 100)")
    rec.add_argument("--confirm-soft-limits", action="store_true",
                     help="confirm a plan outside the soft dose limits (recorded with the infusion start)")
    rec.add_argument("--profile", default="ketamine", help="alarm profile name or JSON file")
    rec.add_argument("--no-raw", action="store_true", help="do not keep the raw device bytes")
    central_arg(rec, f"also replicate to this central store (default: ${CENTRAL_ENV} or the config file)")

    sim = sub.add_parser("simulate", help="simulate a device on a pseudo-terminal; prints its path first")
    sim.add_argument("--protocol", required=True)
    sim.add_argument("--scenario", default="baseline")
    sim.add_argument("--speed", type=float, default=1.0)
    sim.add_argument("--seed", type=int, default=1)

    ses = sub.add_parser("sessions", help="list recorded sessions")
    db_arg(ses)
    central_arg(ses, "list every chair's sessions in this central store instead of the local file")

    cen = sub.add_parser("central", help="set up the clinic's central PostgreSQL store")
    cen_sub = cen.add_subparsers(dest="central_command", required=True)
    init = cen_sub.add_parser("init", help="create or migrate the central schema, its roles and logins")
    init.add_argument("url", metavar="URL", help="the database, as an administrator (postgresql://admin@HOST/DB)")
    init.add_argument("--chair", action="append", default=[], metavar="NAME",
                      help="create the login of a chair (its role name is the chair's name; repeat)")
    init.add_argument("--reviewer", action="append", default=[], metavar="NAME",
                      help="create a read-only login for a reviewer or the station (repeat)")

    sta = sub.add_parser("station", help="open the central station: every chair of the clinic, read-only")
    central_arg(sta, f"the central store, as a reviewer login (default: ${CENTRAL_ENV} or the config file)")

    rep = sub.add_parser("replay", help="parse a session's captured device bytes again into a new session")
    db_arg(rep)
    rep.add_argument("--session", required=True, help="session id or 'latest'")

    exp = sub.add_parser("export", help="export a session")
    db_arg(exp)
    exp.add_argument("--session", required=True, help="session id or 'latest'")
    exp.add_argument("--format", required=True, choices=["csv"])
    exp.add_argument("-o", "--output", type=Path, default=None, help="file to write (default: standard output)")
    return p


def _open_store(path: Path | None) -> Store:
    return Store(path or default_db())


def cmd_sessions(args: argparse.Namespace) -> int:
    if args.central:
        from monitor.central.link import check_url
        from monitor.central.reader import CentralStore

        check_url(args.central)
        with CentralStore(args.central) as central:
            rows = central.sessions()
    else:
        store = _open_store(args.db)
        store.recover_interrupted()
        rows = store.sessions()
    if not rows:
        print("no sessions recorded yet")
        return 0
    width = max(4, *(len(r.ref) for r in rows))
    print(f"{'id':>{width}}  {'patient':<12} {'started':<19} {'duration':>8}  {'state':<11} note")
    for r in rows:
        tz = _zone(r.tz)
        started = datetime.fromtimestamp(r.started_utc, tz).strftime("%Y-%m-%d %H:%M:%S")
        dur = "" if r.ended_utc is None else _hms(r.ended_utc - r.started_utc)
        note = r.end_reason if r.state == "interrupted" else ""
        print(f"{r.ref:>{width}}  {(r.patient_id or '-'):<12} {started:<19} {dur:>8}  {r.state:<11} {note}")
    return 0


def cmd_central(args: argparse.Namespace) -> int:
    from monitor.central.link import check_url, describe
    from monitor.central.schema import init_central

    check_url(args.url)
    report = init_central(args.url, chairs=args.chair, reviewers=args.reviewer)
    print(f"central store {describe(args.url)}:")
    for line in report.lines():
        print(f"  {line}")
    if report.chairs or report.reviewers:
        print("  new logins have no password: set one with psql's \\password NAME (or use certificates), "
              "and put it in that computer's ~/.pgpass")
    return 0


def replicator_for(settings, store: Store):
    """Return a Replicator (not started) of store to the central store of settings (a ChairSettings), or None."""
    if settings is None:
        return None
    from monitor.central.link import describe
    from monitor.central.replicator import Replicator

    print(f"replicating to the central store {describe(settings.url)} as chair {settings.chair}", file=sys.stderr)
    return Replicator(store.path, settings)


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

    store = _open_store(args.db)
    store.recover_interrupted()
    try:
        sid = store.resolve_session(args.session)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if args.output is None:
        write_csv(store, sid, sys.stdout)
    else:
        with open(args.output, "w", newline="", encoding="utf-8") as out:
            n = write_csv(store, sid, out)
        print(f"wrote {n} rows of session {sid} to {args.output}", file=sys.stderr)
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from monitor.replay import replay

    store = _open_store(args.db)
    try:
        sid = store.resolve_session(args.session)
        report = replay(store, sid)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    for role, size in report.bytes.items():
        errors = ", ".join(f"{k} {v}" for k, v in report.errors[role].items()) or "none"
        print(f"{role}: {size} bytes -> {report.items[role]} values; errors: {errors}")
    print(f"replayed session {sid} as session {report.session_id}")
    return 0


def device_specs(texts: list[str]):
    from devices.spec import DeviceSpec

    specs = []
    for text in texts:
        try:
            specs.append(DeviceSpec.parse(text))
        except ValueError as exc:
            raise UserError(str(exc)) from None
    roles = [s.role for s in specs]
    if len(set(roles)) != len(roles):
        raise UserError("each role (pulseox, nibp) can be given only once")
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
    from monitor.core import MonitorCore, SessionInfo

    specs = device_specs(args.device)
    if args.duration is not None and not args.duration > 0:
        raise UserError("--duration must be a positive number of seconds")
    plan = _checked_plan(args)  # before the store: a refused plan leaves no trace
    settings = chair_settings(args.central)  # so does a refused central store address
    store = _open_store(args.db)
    central = replicator_for(settings, store)
    try:
        core = MonitorCore(store, specs, profile=args.profile, capture_raw=not args.no_raw, central=central)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    stop = _StopSignal()

    def print_event(event) -> None:
        print(json.dumps(event.to_dict()), flush=True)

    core.on_alarm_event(print_event)
    info = SessionInfo(patient_id=args.patient, weight_kg=args.weight_kg, dose_mg_per_kg=args.dose_mg_per_kg,
                       infusion_min=args.infusion_min, bag_ml=None if plan is None else plan.bag_volume_ml)
    headless = _HeadlessInfusion(core)
    core.on_alarm_event(headless.on_event)
    sid = core.start(info)
    if plan is not None:
        core.infusion_action("start", user="record", confirm_soft_limits=args.confirm_soft_limits)
        print(f"infusion started: {plan.total_mg:g} mg over {plan.duration_min:g} min, "
              f"set the pump to {plan.pump_rate_ml_per_h:.1f} mL/h", file=sys.stderr)
    print(f"recording session {sid} to {store.path}; stop with Ctrl-C", file=sys.stderr)
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
    if central is not None:
        state = central.state()
        print(f"{state.text(time.time())}, {state.rows} rows sent"
              + ("" if state.healthy(time.time()) else "; the rest is sent at the next start"), file=sys.stderr)
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from devices.sim.runner import PtySimulator

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
            "replay": cmd_replay, "central": cmd_central}
WINDOW_COMMANDS = ("run", "demo", "station")


def _log_to_file() -> Path:
    """Send log records (internal errors with tracebacks) to the log file, not to the user's terminal."""
    path = log_dir() / "infusion-monitor.log"
    logging.basicConfig(filename=path, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return path


def main(argv: list[str] | None = None, window: Callable[[argparse.Namespace], int] | None = None) -> int:
    """Run one command. `window` opens the monitor for `run`/`demo`: ui.launcher passes it, so the core
    never imports Qt; without it those two commands say where the window is."""
    args = _parser().parse_args(argv)
    _log_to_file()
    if args.command is None:
        args = _parser().parse_args(["run", *(argv or sys.argv[1:])])
    try:
        if args.command in WINDOW_COMMANDS:
            if window is None:
                raise UserError(f"'{args.command}' opens the window: start it with the infusion-monitor command")
            return window(args)
        return COMMANDS[args.command](args)
    except (UserError, StoreError, CentralError) as exc:
        print(f"infusion-monitor: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # last resort: one line for the user, the traceback to the log
        logging.getLogger("monitor.cli").exception("internal error in %s (version %s)", sys.argv, __version__)
        print(f"infusion-monitor: internal error: {exc.__class__.__name__}: {exc} "
              f"(details in {log_dir() / 'infusion-monitor.log'})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
