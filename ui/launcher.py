"""The `infusion-monitor` command: the core's CLI, plus the commands that open a window.

The entry point lives in ui/ so that monitor/ never imports Qt: monitor.cli
gets the window opener passed in. Qt is imported only when a window opens.
"""

from __future__ import annotations

import argparse
import sys

from monitor import cli
from monitor.app import UserError, device_specs, open_source
from monitor.central.link import CENTRAL_ENV, central_url, chair_settings
from monitor.paths import default_db
from ui.preflight import display_problem


def open_window(args: argparse.Namespace) -> int:
    """Run `run`, `demo`, `review` or `course --window`: check the display, then open the window."""
    if args.command == "review":
        open_source(args).close()  # a missing, damaged or foreign file, a store out of reach: one line, first
        central = None if args.db is not None else central_url(args.central)  # open_source's rule
    problem = display_problem()
    if problem:
        raise UserError(problem)
    if args.command == "course":
        return open_course(args)
    try:  # only the window asked for: the chair's first dialog must not wait for the review station's imports
        if args.command == "review":
            from ui.review.app import run_review
        elif args.command == "station":
            from ui.station import run_station
        else:
            from ui.app import run_app
    except ImportError as exc:
        raise UserError(f"the window cannot start: {exc} (install the Qt libraries, see README)") from None
    if args.command == "review":
        return run_review(args.db or default_db(), central=central)
    if args.command == "station":
        url = central_url(args.central)
        if url is None:
            raise UserError(f"the station needs the central store: give --central URL (or set ${CENTRAL_ENV})")
        return run_station(url)
    if args.command == "demo":
        return run_app(db=args.db or default_db(), specs=[], demo_protocol=args.protocol,
                       scenario=args.scenario, speed=args.speed)
    specs = device_specs(args.device) if args.device else []  # none named: the protocols load with the core
    return run_app(db=args.db or default_db(), specs=specs, central=chair_settings(args.central))


def open_course(args: argparse.Namespace) -> int:
    """Open a patient's course view over where the command reads (--db, --central or the default); a store that
    cannot be read or an unknown patient is one line, not a window."""
    from monitor.review.course import CourseError, patient_sessions

    sessions = open_source(args)  # a missing, damaged or foreign file, a store out of reach: one line
    try:
        patient_sessions(sessions, args.patient)
        from ui.review.course_view import run_course
    except CourseError as exc:
        sessions.close()
        raise UserError(str(exc)) from None
    except ImportError as exc:
        sessions.close()
        raise UserError(f"the window cannot start: {exc} (install the Qt libraries, see README)") from None
    return run_course(sessions, args.patient)


def render_pdf(source, meta, path, paper, clinic, progress=None) -> int:
    """Draw the PDF infusion record (Qt is imported only now, for `export --format pdf`); return its pages."""
    from ui.review.report import write_pdf

    return write_pdf(source, meta, path, paper, clinic, progress)


def render_course_pdf(source, patient_id, path, paper, clinic) -> int:
    """Draw a patient's course document (`course --pdf`; Qt is imported only now); return its pages."""
    from ui.review.report import write_course_pdf

    return write_course_pdf(source, patient_id, path, paper, clinic)


def main(argv: list[str] | None = None) -> int:
    return cli.main(argv, window=open_window, pdf=render_pdf, course_pdf=render_course_pdf)


if __name__ == "__main__":
    sys.exit(main())
