"""The command line's grammar: the parser of every command and the helpers that check its arguments."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import NoReturn

from monitor import __version__
from monitor.app import NOTICE, UserError, printable
from monitor.central.link import CENTRAL_ENV
from monitor.paths import DB_ENV


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


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """Return the command line's parser, with the arguments of `command` alone.

    Every command is named with its help (the top-level --help lists them all),
    but only the one that runs gets its arguments: a start builds one grammar,
    not twenty, and loads only what that one's help needs (the scenarios for
    `demo`, the export formats for `export`), so a window opens sooner.
    """
    p = _Parser(prog="infusion-monitor", description=f"Ketamine infusion monitor and chart. {NOTICE}")
    p.add_argument("--version", action="version", version=f"infusion-monitor {__version__}")
    sub = p.add_subparsers(dest="command")
    for name, (what, arguments) in GRAMMAR.items():
        sp = sub.add_parser(name, help=what)
        if name == command:
            arguments(sp)
    return p


def command_named(argv: list[str]) -> str | None:
    """Return the command argv runs: its first word that is not an option (the top level's options take no value)."""
    return next((word for word in argv if not word.startswith("-")), None)


def device_arg(sp: argparse.ArgumentParser, required: bool) -> None:
    sp.add_argument("--device", action="append", default=[], required=required, metavar="ROLE=PROTOCOL:PORT[@BAUD]",
                    help="e.g. pulseox=cms50dplus:/dev/ttyUSB0 (repeat for each device)")


def run_args(run: argparse.ArgumentParser) -> None:
    db_arg(run)
    device_arg(run, required=False)
    central_arg(run, f"also replicate to this central store (default: ${CENTRAL_ENV} or the config file)")


def demo_args(demo: argparse.ArgumentParser) -> None:
    from devices.sim.faults import scenario_help

    db_arg(demo)
    demo.add_argument("--scenario", default="baseline", help=scenario_help())
    demo.add_argument("--speed", type=float, default=1.0, help="scenario time factor, 0.1 to 100")
    demo.add_argument("--protocol", default="cms50dplus", help="pulse oximeter protocol to simulate")


def record_args(rec: argparse.ArgumentParser) -> None:
    db_arg(rec)
    device_arg(rec, required=True)
    rec.add_argument("--duration", type=float, default=None, help="seconds, then stop (default: until Ctrl-C)")
    rec.add_argument("--patient", default=None, help="patient ID (printable, at most 64 characters)")
    rec.add_argument("--second-id", default=None, metavar="TEXT",
                     help="with --patient: the patient's date of birth in the clinic's format (DD.MM.YYYY unless "
                          "the clinical profile's second_identifier says otherwise), or the clinic's second ID")
    rec.add_argument("--weight-kg", type=float, default=None)
    rec.add_argument("--dose-mg-per-kg", type=float, default=None)
    rec.add_argument("--infusion-min", type=float, default=None)
    rec.add_argument("--bag-ml", type=float, default=None, help="bag volume in mL (default 100)")
    rec.add_argument("--confirm-soft-limits", action="store_true",
                     help="confirm a plan outside the soft dose limits (recorded with the infusion start)")
    rec.add_argument("--confirm-unreviewed-flags", action="store_true",
                     help="start the infusion although the patient has an unreviewed item-9 flag (recorded with "
                          "the user 'record'); default: refuse")
    rec.add_argument("--profile", default="ketamine", help="alarm profile name or JSON file")
    rec.add_argument("--no-raw", action="store_true", help="do not keep the raw device bytes")
    rec.add_argument("--wait-for-device", action="store_true",
                     help="start even if a port cannot be opened yet, and keep trying (default: refuse)")
    central_arg(rec, f"also replicate to this central store (default: ${CENTRAL_ENV} or the config file)")


def staff_args(stf: argparse.ArgumentParser) -> None:
    """Add the subcommands of `staff` (defined with the command, in monitor.cli.staff)."""
    from monitor.cli import staff

    staff.staff_args(stf)


def sessions_args(ses: argparse.ArgumentParser) -> None:
    source_args(ses)
    selection_args(ses)


def central_args(cen: argparse.ArgumentParser) -> None:
    cen_sub = cen.add_subparsers(dest="central_command", required=True)
    init = cen_sub.add_parser("init", help="create or migrate the central schema, its roles and logins")
    init.add_argument("url", metavar="URL", help="the database, as an administrator (postgresql://admin@HOST/DB)")
    init.add_argument("--chair", action="append", default=[], metavar="NAME",
                      help="create the login of a chair (its role name is the chair's name; repeat)")
    init.add_argument("--reviewer", action="append", default=[], metavar="NAME",
                      help="create a read-only login for a reviewer or the station (repeat)")


def station_args(sta: argparse.ArgumentParser) -> None:
    central_arg(sta, f"the central store, as a reviewer login (default: ${CENTRAL_ENV} or the config file)")


def replay_args(rep: argparse.ArgumentParser) -> None:
    db_arg(rep)
    rep.add_argument("--session", required=True, help="session id or 'latest'")


def outcome_args(out: argparse.ArgumentParser) -> None:
    db_arg(out)
    where = out.add_mutually_exclusive_group(required=True)
    where.add_argument("--session", help="session id or 'latest' (running or closed)")
    where.add_argument("--patient", help="the patient who answered it between visits (with --date)")
    out.add_argument("--date", default=None, metavar="YYYY-MM-DD",
                     help="the day it was answered between visits (with --patient): kept at 12:00 that day in the "
                          "journal of the patient's last session started before it")
    out.add_argument("--instrument", required=True, metavar="phq9|gad7|pcl5")
    out.add_argument("--items", required=True, metavar="1,2,0,...", help="every item's score in form order")
    out.add_argument("--user", default="import", help="who entered it (default: import)")


def flags_args(flg: argparse.ArgumentParser) -> None:
    db_arg(flg)
    flg.add_argument("--patient", required=True, help="patient ID")
    flg.add_argument("--flag", default=None, metavar="ID",
                     help="the flag to review (its id, or its first characters, as listed); default: the patient's "
                          "only unreviewed flag")
    flg.add_argument("--reviewer", default=None, help="the reviewing clinician's name, or with a staff list their "
                     "initials (their PIN is asked; records a review)")
    flg.add_argument("--note", default=None, help="what the clinician found and did (required with --reviewer)")


def summary_args(summ: argparse.ArgumentParser) -> None:
    source_args(summ)
    summ.add_argument("--session", required=True, help=SESSION_HELP)
    summ.add_argument("--format", choices=["json", "text"], default="text")


def burden_args(bur: argparse.ArgumentParser) -> None:
    source_args(bur)
    bur.add_argument("--session", default=None, help="one session (id or 'latest'); default: every session in range")
    selection_args(bur)
    bur.add_argument("--format", choices=["json", "text"], default="text")


def course_args(cou: argparse.ArgumentParser) -> None:
    source_args(cou)
    cou.add_argument("--patient", required=True, help="patient ID")
    cou.add_argument("--format", choices=["json", "text"], default="text")
    cou.add_argument("--window", action="store_true", help="open the course view (table and plots) instead")
    cou.add_argument("--pdf", type=Path, default=None, metavar="FILE",
                     help="write the course document (PDF, for an insurer or a referring psychiatrist) to FILE")
    cou.add_argument("--paper", default="a4", choices=["a4", "letter"], help="PDF paper size (with --pdf)")
    cou.add_argument("--clinic", default="", help="clinic name printed in the PDF header (with --pdf)")
    plan = cou.add_argument_group("record the patient's planned course (written to --db; the latest plan counts)")
    plan.add_argument("--plan", type=whole, default=None, metavar="N",
                      help="infusions in the induction, e.g. 6 (records a plan; needs --user)")
    plan.add_argument("--over-weeks", type=float, default=None, metavar="W", help="the induction's weeks, e.g. 3")
    plan.add_argument("--boosters-every-weeks", type=float, default=None, metavar="W",
                      help="a booster every W weeks after the induction (default: boosters when needed)")
    plan.add_argument("--boosters", type=whole, default=None, metavar="N",
                      help="boosters planned (0: none; default: open-ended)")
    plan.add_argument("--user", default=None, help="the clinician who made the plan")
    plan.add_argument("--note", default="", help="why this plan (optional)")


def import_args(imp: argparse.ArgumentParser) -> None:
    db_arg(imp)
    imp.add_argument("--protocol", required=True, help="the protocol the bytes are in, e.g. carescape")
    imp.add_argument("--patient", default=None,
                     help="file the session under this patient ID, so it joins the patient's course")
    imp.add_argument("file", type=Path, help="the capture: raw bytes as the device sent them")


def probe_args(probe: argparse.ArgumentParser) -> None:
    probe.add_argument("--port", action="append", default=[], help="port to try (repeat; default: every serial port)")
    probe.add_argument("--seconds", type=float, default=3.0, help="listening time per protocol and port (default 3)")


def export_args(exp: argparse.ArgumentParser) -> None:
    from monitor.export.common import FORMATS

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


def send_args(snd: argparse.ArgumentParser) -> None:
    source_args(snd)
    snd.add_argument("--session", required=True, help=SESSION_HELP)
    snd.add_argument("--to", required=True, metavar="mllp://HOST:PORT")
    snd.add_argument("--per", default="session", choices=["session", "event"])
    snd.add_argument("--facility", default="", help="sending facility (MSH-4)")
    snd.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each acknowledgement")
    snd.add_argument("--retries", type=whole, default=2, help="tries more when no acknowledgement comes")


def simulate_args(sim: argparse.ArgumentParser) -> None:
    """Add the arguments of `simulate`: a device on a pseudo-terminal (Linux, macOS) or on a TCP port (every OS)."""
    from devices.sim.faults import scenario_help

    sim.epilog = ("The same SCENARIO[+FAULT...] works as a simulated port: "
                  "--device pulseox=contec:sim:invalid-stretches+noisy+flapping. With --tcp 5555, "
                  "record from it with --device pulseox=nonin:socket://127.0.0.1:5555 (any OS).")
    sim.add_argument("--protocol", required=True)
    sim.add_argument("--scenario", default="baseline", help=scenario_help())
    sim.add_argument("--speed", type=float, default=1.0, help="scenario time factor, 0.1 to 100")
    sim.add_argument("--seed", type=whole, default=1)
    sim.add_argument("--tcp", type=tcp_port, default=None, metavar="PORT",
                     help="serve the device's bytes on this TCP port instead of a pseudo-terminal (0: any free port)")
    sim.add_argument("--host", default="127.0.0.1",
                     help="address to listen on with --tcp (default 127.0.0.1: this computer only)")


def config_args(cfg: argparse.ArgumentParser) -> None:
    """Add the arguments of `config`: the clinic's editable copies of the clinical figures and alarm profiles."""
    cfg.description = "Without an option: say which settings files are in use."
    what = cfg.add_mutually_exclusive_group()
    what.add_argument("--copy", action="store_true",
                      help="write editable copies of the packaged settings into the user's config folder "
                           "(a copy already there is kept)")
    what.add_argument("--check", nargs="*", metavar="FILE", default=None,
                      help="check settings files as the app reads them (default: every copy in the config folder)")


def tcp_port(text: str) -> int:
    """Return a TCP port number of an option (0 to 65535; 0 takes any free port)."""
    port = whole(text)
    if port > 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not a TCP port (0 to 65535)")
    return port


SESSION_HELP = "session id (CHAIR:ID on a central store), session uid, or 'latest'"


def db_arg(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--db", type=Path, default=None, help=f"session database (default: ${DB_ENV} or the user data dir)")


def central_arg(sp: argparse.ArgumentParser, what: str) -> None:
    sp.add_argument("--central", metavar="URL", default=None,
                    help=f"{what} (postgresql://USER@HOST/DB?sslmode=...; passwords come from ~/.pgpass)")


def source_args(sp: argparse.ArgumentParser) -> None:
    """Add --db and --central to a reading command (see open_source)."""
    db_arg(sp)
    central_arg(sp, f"read every chair's sessions from this central store (default unless --db is given: "
                    f"${CENTRAL_ENV} or the config file, if set)")


def selection_args(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--patient", default=None, help="only this patient's sessions")
    sp.add_argument("--from", dest="since", default=None, metavar="YYYY-MM-DD", help="sessions started on or after")
    sp.add_argument("--to", dest="until", default=None, metavar="YYYY-MM-DD", help="sessions started on or before")


def day(text: str | None, end: bool) -> float | None:
    """Return the start (or the end) of a local calendar day as UTC epoch s."""
    if text is None:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise UserError(f"'{text}' is not a date; write it as YYYY-MM-DD") from None
    start = datetime(day.year, day.month, day.day).astimezone()
    return start.timestamp() + (86400 if end else 0)


def selected(sessions, args: argparse.Namespace):
    """Return the sessions of --patient/--from/--to, in start order."""
    since, until = day(args.since, False), day(args.until, True)
    if since is not None and until is not None and until <= since:
        raise UserError("--to is before --from")
    return sessions.sessions(patient_id=args.patient, since=since, until=until)


PLAN_ARGS = (("weight_kg", "--weight-kg"), ("dose_mg_per_kg", "--dose-mg-per-kg"), ("infusion_min", "--infusion-min"))


def checked_plan(args: argparse.Namespace):
    """Return the DosePlan of --weight-kg/--dose-mg-per-kg/--infusion-min/--bag-ml, None if none is given.

    Checked against the drug-library limits before anything is stored: a hard
    limit refuses, a soft one needs --confirm-soft-limits.
    """
    from monitor.clinical.config import ConfigError, load_clinical_config
    from monitor.clinical.dosing import DoseError, DosePlan, check_plan

    given = [flag for attr, flag in PLAN_ARGS if getattr(args, attr) is not None]
    if not given and args.bag_ml is None:
        return None
    missing = [flag for attr, flag in PLAN_ARGS if getattr(args, attr) is None]
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


def check_speed(speed: float) -> None:
    """Refuse a simulator speed outside its bounds before anything starts."""
    from devices.sim.port import check_speed

    try:
        check_speed(speed)
    except ValueError as exc:
        raise UserError(f"--{exc}") from None


def check_scenario(scenario: str) -> None:
    """Refuse an unknown simulator scenario or line fault before anything starts (the words name the choices)."""
    from devices.sim.faults import parse_scenario

    try:
        parse_scenario(scenario)
    except ValueError as exc:
        raise UserError(str(exc)) from None


#: Every command in the order --help lists them: its help line, and what adds its arguments (parser()).
GRAMMAR: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {
    "run": ("open the monitor window", run_args),
    "demo": ("open the monitor on simulated devices", demo_args),
    "record": ("record headless; prints alarms as JSON lines", record_args),
    "simulate": ("simulate a device on a pseudo-terminal, or with --tcp on a TCP port; prints its port first",
                 simulate_args),
    "config": ("copy the clinical figures and alarm profiles to edit them, or check a copy", config_args),
    "staff": ("the clinic's staff list and PINs, managed by an owner", staff_args),
    "sessions": ("list recorded sessions", sessions_args),
    "central": ("set up the clinic's central PostgreSQL store", central_args),
    "station": ("open the central station: every chair of the clinic, read-only", station_args),
    "replay": ("parse a session's captured device bytes again into a new session", replay_args),
    "outcome": ("enter an outcome questionnaire (PHQ-9, GAD-7, PCL-5) into a session, or one answered between "
                "visits (--patient and --date)", outcome_args),
    "flags": ("list a patient's item-9 flags and their reviews, or record a clinician's review of one (--reviewer "
              "and --note), at any time after its session", flags_args),
    "summary": ("print a session's review summary", summary_args),
    "burden": ("alarm burden of one session or of every session in a date range", burden_args),
    "review": ("open the review station (session browser, timeline, summary, playback)", source_args),
    "course": ("print a patient's course: every infusion side by side, outcomes, item-9 flags, the BP forecast for "
               "the next infusion", course_args),
    "import": ("parse a file of device-to-host bytes (a serial capture) into a new session", import_args),
    "probe": ("look for devices on the serial ports (never starts a measurement)", probe_args),
    "export": ("export a session, or several into a folder (one file each)", export_args),
    "send": ("send a session as HL7 v2 over MLLP to a clinic's interface engine", send_args),
}
