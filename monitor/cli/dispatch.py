"""The `infusion-monitor` command (contract in ARCHITECTURE.md): one function per command, run by `main`.

Every user error ends in one clear line on stderr and a non-zero exit, never a
traceback; an unexpected internal error is written in full to the log file and
summarised in one line.
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

from monitor import __version__
from monitor.app import UserError, printable
from monitor.central.link import CentralError
from monitor.cli.args import check_scenario, check_speed, parser
from monitor.cli.central import cmd_central
from monitor.cli.export import cmd_export, cmd_send
from monitor.cli.record import cmd_import, cmd_probe, cmd_record, cmd_replay, cmd_simulate
from monitor.cli.review import cmd_burden, cmd_course, cmd_flags, cmd_outcome, cmd_sessions, cmd_summary
from monitor.cli.staff import cmd_staff
from monitor.paths import default_db, log_file


def cmd_config(args: argparse.Namespace) -> int:
    """`config`, imported when it runs: it loads the alarm and clinical profiles, which `--help` never needs."""
    from monitor.cli.config import cmd_config as run

    return run(args)


COMMANDS = {"record": cmd_record, "simulate": cmd_simulate, "sessions": cmd_sessions, "export": cmd_export,
            "replay": cmd_replay, "outcome": cmd_outcome, "flags": cmd_flags, "import": cmd_import, "probe": cmd_probe,
            "send": cmd_send, "summary": cmd_summary, "course": cmd_course, "burden": cmd_burden, "central": cmd_central,
            "config": cmd_config, "staff": cmd_staff}
WINDOW_COMMANDS = ("run", "demo", "review", "station")


def _opens_window(args: argparse.Namespace) -> bool:
    """Tell whether the command opens a window: run, demo, review, station, or a command given --window (course)."""
    return args.command in WINDOW_COMMANDS or getattr(args, "window", False)


def _store_error() -> type[Exception]:
    """Return StoreError, imported when an error is being matched: the store (sqlite-utils) is not loaded
    by commands that never open it (`--help`, `sessions`), and then none of its errors can be raised."""
    from monitor.storage.store import StoreError

    return StoreError


def _log_to_file() -> Path:
    """Send log records (internal errors with tracebacks) to the log file (0600), not to the user's terminal.

    The log never holds the command line: it may name a patient (--patient).
    """
    path = log_file()
    logging.basicConfig(filename=path, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return path


def main(argv: list[str] | None = None, window: Callable[[argparse.Namespace], int] | None = None,
         pdf: Callable | None = None, course_pdf: Callable | None = None) -> int:
    """Run one command. `window` opens a window for `run`/`demo`/`review` and `course --window`, `pdf` draws the
    PDF report and `course_pdf` the course document: ui.launcher passes them, so the core never imports Qt;
    without them those commands say where to run them."""
    args = parser().parse_args(argv)
    log_path = _log_to_file()
    if args.command is None:
        args = parser().parse_args(["run", *(argv or sys.argv[1:])])
    try:
        if args.command == "demo":
            check_speed(args.speed)
            check_scenario(args.scenario)
        if _opens_window(args):
            if window is None:
                raise UserError(f"'{args.command}' opens the window: start it with the infusion-monitor command")
            return window(args)
        if args.command == "export":
            return cmd_export(args, pdf)
        if args.command == "course":
            return cmd_course(args, course_pdf)
        return COMMANDS[args.command](args)
    except (UserError, _store_error(), CentralError) as exc:
        print(f"infusion-monitor: error: {printable(str(exc))}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as exc:  # a database error no command turned into words: still one line
        from monitor.storage.store import explain

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
