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
from importlib import import_module
from pathlib import Path

from monitor import __version__
from monitor.app import UserError, printable
from monitor.central.link import CentralError
from monitor.cli.args import check_scenario, check_speed, command_named, parser
from monitor.paths import default_db, log_file


def _loaded(module: str, name: str) -> Callable[..., int]:
    """Return command `name` of monitor.cli.`module`, imported when it runs: a command loads its own module alone
    (`config` its profiles, `staff` its hashing), and `--help` or a window none of them."""

    def run(args: argparse.Namespace, *more: object) -> int:
        return getattr(import_module(f"monitor.cli.{module}"), name)(args, *more)

    return run


#: The windowless commands, by name (export and course are also given the PDF painter by main).
COMMANDS: dict[str, Callable[..., int]] = {
    command: _loaded(module, f"cmd_{command}") for module, commands in (
        ("record", ("record", "simulate", "replay", "import", "probe")),
        ("review", ("sessions", "outcome", "flags", "summary", "course", "burden")),
        ("export", ("export", "send")), ("central", ("central",)), ("config", ("config",)), ("staff", ("staff",)))
    for command in commands}
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
    words = sys.argv[1:] if argv is None else argv
    args = parser(command_named(words)).parse_args(words)
    log_path = _log_to_file()
    if args.command is None:  # no word at all: the chair's monitor
        args = parser("run").parse_args(["run", *words])
    try:
        if args.command == "demo":
            check_speed(args.speed)
            check_scenario(args.scenario)
        if _opens_window(args):
            if window is None:
                raise UserError(f"'{args.command}' opens the window: start it with the infusion-monitor command")
            return window(args)
        if args.command == "export":
            return COMMANDS["export"](args, pdf)
        if args.command == "course":
            return COMMANDS["course"](args, course_pdf)
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
