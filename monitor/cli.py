"""The `infusion-monitor` command (contract in ARCHITECTURE.md).

Every user error ends in one clear line on stderr and a non-zero exit, never a
traceback; an unexpected internal error is written in full to the log file and
summarised in one line.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import NoReturn

from devices.sim.faults import parse_scenario, scenario_help
from monitor import __version__
from monitor.central.link import CENTRAL_ENV, CentralError, central_url, chair_settings
from monitor.export.run import FORMATS
from monitor.paths import DB_ENV, default_db, log_file
from monitor.storage.store import Store, StoreError, explain
from monitor.timefmt import hms, zone

NOTICE = "infusion-monitor is not a certified medical device; do not rely on it as the only monitor."


class UserError(Exception):
    """A mistake in what the user asked for; the message says how to fix it."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose mistakes end in one line on stderr and exit 2, like every other user error."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("infusion-monitor").strip()
        self.exit(2, f"infusion-monitor: error: {command + ': ' if command else ''}{printable(message)} "
                     f"(see '{self.prog} --help')\n")


def whole(text: str) -> int:
    """Return a whole number of an option, 0 or more (a seed, a count of retries)."""
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number, 0 or more")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="infusion-monitor", description=f"Ketamine infusion monitor and chart. {NOTICE}")
    p.add_argument("--version", action="version", version=f"infusion-monitor {__version__}")
    sub = p.add_subparsers(dest="command")

    def device_arg(sp: argparse.ArgumentParser, required: bool) -> None:
        sp.add_argument("--device", action="append", default=[], required=required, metavar="ROLE=PROTOCOL:PORT[@BAUD]",
                        help="e.g. pulseox=cms50dplus:/dev/ttyUSB0 (repeat for each device)")

    run = sub.add_parser("run", help="open the monitor window")
    db_arg(run)
    device_arg(run, required=False)
    central_arg(run, f"also replicate to this central store (default: ${CENTRAL_ENV} or the config file)")

    demo = sub.add_parser("demo", help="open the monitor on simulated devices")
    db_arg(demo)
    demo.add_argument("--scenario", default="baseline", help=scenario_help())
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
    central_arg(rec, f"also replicate to this central store (default: ${CENTRAL_ENV} or the config file)")

    sim = sub.add_parser("simulate", help="simulate a device on a pseudo-terminal; prints its path first",
                         epilog="The same SCENARIO[+FAULT...] works as a simulated port: "
                                "--device pulseox=contec:sim:invalid-stretches+noisy+flapping")
    sim.add_argument("--protocol", required=True)
    sim.add_argument("--scenario", default="baseline", help=scenario_help())
    sim.add_argument("--speed", type=float, default=1.0, help="scenario time factor, 0.1 to 100")
    sim.add_argument("--seed", type=whole, default=1)

    ses = sub.add_parser("sessions", help="list recorded sessions")
    source_args(ses)
    selection_args(ses)

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

    out = sub.add_parser("outcome", help="enter an outcome questionnaire (PHQ-9, GAD-7, PCL-5) into a session")
    db_arg(out)
    out.add_argument("--session", required=True, help="session id or 'latest' (running or closed)")
    out.add_argument("--instrument", required=True, metavar="phq9|gad7|pcl5")
    out.add_argument("--items", required=True, metavar="1,2,0,...", help="every item's score in form order")
    out.add_argument("--user", default="import", help="who entered it (default: import)")

    summ = sub.add_parser("summary", help="print a session's review summary")
    source_args(summ)
    summ.add_argument("--session", required=True, help=SESSION_HELP)
    summ.add_argument("--format", choices=["json", "text"], default="text")

    bur = sub.add_parser("burden", help="alarm burden of one session or of every session in a date range")
    source_args(bur)
    bur.add_argument("--session", default=None, help="one session (id or 'latest'); default: every session in range")
    selection_args(bur)
    bur.add_argument("--format", choices=["json", "text"], default="text")

    rev = sub.add_parser("review", help="open the review station (session browser, timeline, summary, playback)")
    source_args(rev)

    cou = sub.add_parser("course", help="print a patient's course: every infusion side by side, outcomes, "
                                        "item-9 flags, the BP forecast for the next infusion")
    source_args(cou)
    cou.add_argument("--patient", required=True, help="patient ID")
    cou.add_argument("--format", choices=["json", "text"], default="text")
    cou.add_argument("--window", action="store_true", help="open the course view (table and plots) instead")

    imp = sub.add_parser("import", help="parse a file of device-to-host bytes (a serial capture) into a new session")
    db_arg(imp)
    imp.add_argument("--protocol", required=True, help="the protocol the bytes are in, e.g. carescape")
    imp.add_argument("file", type=Path, help="the capture: raw bytes as the device sent them")

    probe = sub.add_parser("probe", help="look for devices on the serial ports (never starts a measurement)")
    probe.add_argument("--port", action="append", default=[], help="port to try (repeat; default: every serial port)")
    probe.add_argument("--seconds", type=float, default=3.0, help="listening time per protocol and port (default 3)")

    exp = sub.add_parser("export", help="export a session, or several into a folder (one file each)")
    source_args(exp)
    exp.add_argument("--session", default=None, help=SESSION_HELP)
    selection_args(exp)
    exp.add_argument("--format", required=True, choices=list(FORMATS))
    exp.add_argument("-o", "--output", type=Path, default=None,
                     help="file to write (csv: a .csv file for the numerics, a .zip or a folder for every table); "
                          "a folder for several sessions (default: standard output, text formats only)")
    exp.add_argument("--bundle", default="collection", choices=["collection", "transaction"],
                     help="FHIR bundle type: collection (a document) or transaction (to POST to a FHIR server)")
    exp.add_argument("--per", default="session", choices=["session", "event"],
                     help="HL7: one message per session, or one per BP reading and physiological alarm")
    exp.add_argument("--facility", default="", help="HL7 sending facility (MSH-4)")
    exp.add_argument("--paper", default="a4", choices=["a4", "letter"], help="PDF paper size")
    exp.add_argument("--clinic", default="", help="clinic name printed in the PDF header")

    snd = sub.add_parser("send", help="send a session as HL7 v2 over MLLP to a clinic's interface engine")
    source_args(snd)
    snd.add_argument("--session", required=True, help=SESSION_HELP)
    snd.add_argument("--to", required=True, metavar="mllp://HOST:PORT")
    snd.add_argument("--per", default="session", choices=["session", "event"])
    snd.add_argument("--facility", default="", help="sending facility (MSH-4)")
    snd.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each acknowledgement")
    snd.add_argument("--retries", type=whole, default=2, help="tries more when no acknowledgement comes")
    return p


SESSION_HELP = "session id (CHAIR:ID on a central store), session uid, or 'latest'"


def db_arg(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--db", type=Path, default=None, help=f"session database (default: ${DB_ENV} or the user data dir)")


def central_arg(sp: argparse.ArgumentParser, what: str) -> None:
    sp.add_argument("--central", metavar="URL", default=None,
                    help=f"{what} (postgresql://USER@HOST/DB?sslmode=...; passwords come from ~/.pgpass)")


def source_args(sp: argparse.ArgumentParser) -> None:
    """Add --db and --central to a reading command (see _open_source)."""
    db_arg(sp)
    central_arg(sp, f"read every chair's sessions from this central store (default unless --db is given: "
                    f"${CENTRAL_ENV} or the config file, if set)")


def selection_args(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--patient", default=None, help="only this patient's sessions")
    sp.add_argument("--from", dest="since", default=None, metavar="YYYY-MM-DD", help="sessions started on or after")
    sp.add_argument("--to", dest="until", default=None, metavar="YYYY-MM-DD", help="sessions started on or before")


def _day(text: str | None, end: bool) -> float | None:
    """Return the start (or the end) of a local calendar day as UTC epoch s."""
    if text is None:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise UserError(f"'{text}' is not a date; write it as YYYY-MM-DD") from None
    start = datetime(day.year, day.month, day.day).astimezone()
    return start.timestamp() + (86400 if end else 0)


def _selected(sessions, args: argparse.Namespace):
    """Return the sessions of --patient/--from/--to, in start order."""
    since, until = _day(args.since, False), _day(args.until, True)
    if since is not None and until is not None and until <= since:
        raise UserError("--to is before --from")
    return sessions.sessions(patient_id=args.patient, since=since, until=until)


def _open_store(path: Path | None) -> Store:
    """Open the database for writing and import what an earlier stop kept in recovery files (one line each)."""
    from monitor.storage.recovery import import_pending

    store = Store(path or default_db())
    for line in import_pending(store):
        notice(line)
    return store


def notice(line: str) -> None:
    """Tell the user something that is not an error, one escaped line on stderr."""
    print(f"infusion-monitor: {printable(line)}", file=sys.stderr)


def _open_sessions(path: Path | None):
    """Open the session database for reading only (review, export): never changes the file."""
    from monitor.storage.sessions import SqliteSessions

    return SqliteSessions(path or default_db())


def _open_source(args: argparse.Namespace):
    """Open where a reading command (sessions, summary, export, send, course, review) reads sessions.

    --db reads that file; --central that central store; without either, the
    central store configured for this computer ($INFUSION_MONITOR_CENTRAL or the
    config file) if there is one, else the default file. Returns a SessionSource.
    """
    if args.db is not None and args.central:
        raise UserError("give --db or --central, not both")
    url = None if args.db is not None else central_url(args.central)
    if url is None:
        return _open_sessions(args.db)
    from monitor.central.reader import CentralSessions

    try:
        return CentralSessions(url)
    except CentralError as exc:
        if args.central:
            raise
        raise CentralError(f"{exc} (the configured central store; give --db to read this computer's file)") from None


def _resolve(sessions, ref: str):
    try:
        return sessions.resolve(ref)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def cmd_sessions(args: argparse.Namespace) -> int:
    rows = _selected(_open_source(args), args)
    if not rows:
        chosen = args.patient or args.since or args.until
        print("no sessions match" if chosen else "no sessions recorded yet")
        return 0
    width = max(4, *(len(r.ref) for r in rows))
    print(f"{'id':>{width}}  {'patient':<12} {'started':<19} {'duration':>8}  {'state':<11} note")
    for r in rows:
        tz = zone(r.tz)
        started = datetime.fromtimestamp(r.started_utc, tz).strftime("%Y-%m-%d %H:%M:%S")
        dur = "" if r.duration_s is None else hms(r.duration_s)
        note = r.end_reason if r.state == "interrupted" else ""
        print(printable(f"{r.ref:>{width}}  {r.patient_id or '-':<12} {started:<19} {dur:>8}  {r.state:<11} {note}"))
    return 0


def printable(text: str) -> str:
    """Escape what a terminal would interpret (control characters, escape sequences) in stored text."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


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


def cmd_export(args: argparse.Namespace, pdf=None) -> int:
    """Export one session (--session) or every selected session (--patient/--from/--to, -o FOLDER)."""
    from monitor.export import ExportError
    from monitor.export.run import Options, export_session, export_sessions, to_stdout

    sessions = _open_source(args)
    options = Options(args.bundle, args.per, args.facility, args.paper, pdf, args.clinic)
    several = args.patient is not None or args.since is not None or args.until is not None
    try:
        if several:
            if args.session is not None:
                raise UserError("give either --session or --patient/--from/--to, not both")
            if args.output is None:
                raise UserError("several sessions are written into a folder: give -o FOLDER")
            metas = _selected(sessions, args)
            if not metas:
                raise UserError("no sessions match --patient/--from/--to")
            written = export_sessions(sessions, metas, args.format, args.output, options)
            print(f"wrote {len(written)} of {len(metas)} sessions to {args.output} "
                  f"({len(metas) - len(written)} empty skipped)", file=sys.stderr)
            return 0
        if args.session is None:
            raise UserError("give --session ID|latest, or --patient/--from/--to with -o FOLDER")
        meta = _resolve(sessions, args.session)
        if args.output is None:
            to_stdout(sessions, meta, args.format, options)
            return 0
        export_session(sessions, meta, args.format, args.output, options)
    except ExportError as exc:
        raise UserError(str(exc)) from None
    print(f"wrote session {meta.ref} ({args.format}) to {args.output}", file=sys.stderr)
    return 0


#: Bounds of `send --timeout` (s) and `--retries`: an engine that has not answered within an hour will not.
MAX_ACK_WAIT_S, MAX_RETRIES = 3600, 100


def cmd_send(args: argparse.Namespace) -> int:
    """Send a session's HL7 messages over MLLP; stop at the first one not accepted."""
    from monitor.export import ExportError
    from monitor.export.hl7 import messages
    from monitor.export.mllp import Destination, send

    if not 0 < args.timeout <= MAX_ACK_WAIT_S or args.retries > MAX_RETRIES:
        raise UserError(f"--timeout must be above 0 s and at most {MAX_ACK_WAIT_S} s, --retries at most {MAX_RETRIES}")
    try:
        dest = Destination.parse(args.to)
        sessions = _open_source(args)
        meta = _resolve(sessions, args.session)
        texts = messages(sessions, meta, args.per, args.facility)
        for n, text in enumerate(texts, start=1):
            send(dest, text, args.timeout, args.retries)
            print(f"message {n} of {len(texts)} accepted by {dest}", file=sys.stderr)
    except ExportError as exc:
        raise UserError(str(exc)) from None
    print(f"sent session {meta.ref} to {dest}: {len(texts)} message(s) accepted", file=sys.stderr)
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    """Print the review summary of one session (JSON keys in the review issue; null when absent)."""
    from monitor.review.summary import summarize

    sessions = _open_source(args)
    summary = summarize(sessions, _resolve(sessions, args.session))
    print(json.dumps(summary.to_json(), indent=2) if args.format == "json" else summary.text())
    return 0


def cmd_course(args: argparse.Namespace) -> int:
    """Print a patient's course (JSON keys in the course issue; null when absent)."""
    from monitor.clinical.config import ConfigError
    from monitor.review.course import CourseError, build_course

    try:
        course = build_course(_open_source(args), args.patient)
    except (ConfigError, CourseError) as exc:
        raise UserError(str(exc)) from None
    print(json.dumps(course.to_json(), indent=2) if args.format == "json" else course.text())
    return 0


def cmd_burden(args: argparse.Namespace) -> int:
    """Print the alarm burden of one session, or of every session started in the date range."""
    from monitor.review.burden import range_burden, session_burden

    if args.session is not None and (args.since or args.until or args.patient):
        raise UserError("give --session, or a range with --from/--to/--patient, not both")
    sessions = _open_source(args)
    if args.session is not None:
        result = session_burden(sessions, _resolve(sessions, args.session))
    else:
        since, until = _day(args.since, False), _day(args.until, True)
        if since is not None and until is not None and until <= since:
            raise UserError("--to is before --from")
        result = range_burden(sessions, since, until, args.patient)
    print(json.dumps(result.to_json(), indent=2) if args.format == "json" else result.text())
    return 0


def cmd_outcome(args: argparse.Namespace) -> int:
    """Check a questionnaire before touching the database, append it to the session's journal, say what it means."""
    from monitor.clinical.config import ConfigError, load_clinical_config
    from monitor.record.instruments import OutcomeError, parse_items
    from monitor.clinical.outcomes import entered

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
    from monitor.ingest.offline import fault_words
    from monitor.ingest.replay import replay

    sessions = _open_sessions(args.db)
    try:
        sessions.resolve(args.session)  # before the store: a wrong --db or --session leaves no file behind
        report = replay(_open_store(args.db), sessions, args.session)
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


def cmd_import(args: argparse.Namespace) -> int:
    from monitor.ingest.capture import Capture, import_capture

    try:
        capture = Capture.open(args.protocol, args.file)  # before the database: a typo leaves no file behind
        report = import_capture(_open_store(args.db), capture)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    print("\n".join(report.lines()))
    problem = report.problem()
    if problem is not None:  # frames parsed, but what was read is not all stored: not a success
        raise UserError(problem)
    return 0


def cmd_probe(args: argparse.Namespace) -> int:
    from devices.probe import find_devices, serial_ports

    if not 0 < args.seconds <= 60:
        raise UserError("--seconds must be more than 0 and at most 60")
    ports = args.port or serial_ports()
    if not ports:
        print("no serial ports on this computer (is the USB adapter plugged in?)")
        return 0

    def progress(step: int, steps: int, what: str) -> None:
        print(f"[{step}/{steps}] {what}", file=sys.stderr, flush=True)

    found = find_devices(ports, args.seconds, progress)
    for device in found:
        print(device)
    if not found:
        print(f"no device found on {', '.join(ports)}")
    return 0


def device_specs(texts: list[str]):
    from devices.spec import DeviceSpec

    specs = []
    for text in texts:
        try:
            specs.append(DeviceSpec.parse(text))
        except ValueError as exc:
            raise UserError(str(exc)) from None
    ports = [s.port for s in specs if not s.simulated]
    if len(set(ports)) != len(ports):
        raise UserError("each port can be given only once")
    return specs


_PLAN_ARGS = (("weight_kg", "--weight-kg"), ("dose_mg_per_kg", "--dose-mg-per-kg"), ("infusion_min", "--infusion-min"))


def _checked_plan(args: argparse.Namespace):
    """Return the DosePlan of --weight-kg/--dose-mg-per-kg/--infusion-min/--bag-ml, None if none is given.

    Checked against the drug-library limits before anything is stored: a hard
    limit refuses, a soft one needs --confirm-soft-limits.
    """
    from monitor.clinical.config import ConfigError, load_clinical_config
    from monitor.clinical.dosing import DoseError, DosePlan, check_plan

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
    from monitor.live.core import MonitorCore, SessionInfo
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


def _report_recording(store: Store, sid: int, reason: str) -> None:
    """Say on stderr whether the session is closed, and what it holds, read back from the database."""
    from monitor.ingest.offline import stored_counts

    sessions = _open_sessions(Path(store.path))
    try:
        state = sessions.resolve(str(sid)).state
    finally:
        sessions.close()
    counts = stored_counts(store, sid)
    if state != "closed":
        raise UserError(f"session {sid} was not closed (it is {state}); it holds {counts.line()}")
    print(f"session {sid} closed ({reason}): stored {counts.line()}", file=sys.stderr)


def _check_speed(speed: float) -> None:
    """Refuse a simulator speed outside its bounds before anything starts."""
    from devices.sim.runner import check_speed

    try:
        check_speed(speed)
    except ValueError as exc:
        raise UserError(f"--{exc}") from None


def _check_scenario(scenario: str) -> None:
    """Refuse an unknown simulator scenario or line fault before anything starts (the words name the choices)."""
    try:
        parse_scenario(scenario)
    except ValueError as exc:
        raise UserError(str(exc)) from None


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
            "replay": cmd_replay, "outcome": cmd_outcome, "import": cmd_import, "probe": cmd_probe, "send": cmd_send,
            "summary": cmd_summary, "course": cmd_course, "burden": cmd_burden, "central": cmd_central}
WINDOW_COMMANDS = ("run", "demo", "review", "station")


def _opens_window(args: argparse.Namespace) -> bool:
    """Tell whether the command opens a window: run, demo, review, station, or a command given --window (course)."""
    return args.command in WINDOW_COMMANDS or getattr(args, "window", False)


def _log_to_file() -> Path:
    """Send log records (internal errors with tracebacks) to the log file (0600), not to the user's terminal.

    The log never holds the command line: it may name a patient (--patient).
    """
    path = log_file()
    logging.basicConfig(filename=path, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return path


def main(argv: list[str] | None = None, window: Callable[[argparse.Namespace], int] | None = None,
         pdf: Callable | None = None) -> int:
    """Run one command. `window` opens a window for `run`/`demo`/`review` and `course --window`, and `pdf`
    draws the PDF report: ui.launcher passes both, so the core never imports Qt; without them those commands
    say where to run them."""
    args = _parser().parse_args(argv)
    log_path = _log_to_file()
    if args.command is None:
        args = _parser().parse_args(["run", *(argv or sys.argv[1:])])
    try:
        if args.command == "demo":
            _check_speed(args.speed)
            _check_scenario(args.scenario)
        if _opens_window(args):
            if window is None:
                raise UserError(f"'{args.command}' opens the window: start it with the infusion-monitor command")
            return window(args)
        if args.command == "export":
            return cmd_export(args, pdf)
        return COMMANDS[args.command](args)
    except (UserError, StoreError, CentralError) as exc:
        print(f"infusion-monitor: error: {printable(str(exc))}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as exc:  # a database error no command turned into words: still one line
        db = str(getattr(args, "db", None) or default_db())
        print(f"infusion-monitor: error: {printable(explain(db, exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader of standard output went away (e.g. `| head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # last resort: one line for the user, the traceback to the log (never the arguments)
        logging.getLogger("monitor.cli").exception("internal error in '%s' (version %s)", args.command, __version__)
        print(f"infusion-monitor: internal error: {exc.__class__.__name__}: {printable(str(exc))} "
              f"(details in {printable(str(log_path))})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
