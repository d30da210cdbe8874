"""The `infusion-monitor` command: the core's CLI, plus the two commands that open the window.

The entry point lives in ui/ so that monitor/ never imports Qt: monitor.cli
gets the window opener passed in. Qt is imported only when a window opens.
"""

from __future__ import annotations

import argparse
import sys

from monitor import cli
from monitor.central.link import CENTRAL_ENV, central_url, chair_settings
from monitor.paths import default_db
from ui.preflight import display_problem


def open_window(args: argparse.Namespace) -> int:
    """Run `run` or `demo`: check the display, then open the monitor window."""
    problem = display_problem()
    if problem:
        raise cli.UserError(problem)
    try:
        from ui.app import run_app
    except ImportError as exc:
        raise cli.UserError(f"the window cannot start: {exc} (install the Qt libraries, see README)") from None
    if args.command == "station":
        from ui.station import run_station

        url = central_url(args.central)
        if url is None:
            raise cli.UserError(f"the station needs the central store: give --central URL (or set ${CENTRAL_ENV})")
        return run_station(url)
    if args.command == "demo":
        return run_app(db=args.db or default_db(), specs=[], demo_protocol=args.protocol,
                       scenario=args.scenario, speed=args.speed)
    specs = cli.device_specs(args.device)
    return run_app(db=args.db or default_db(), specs=specs, central=chair_settings(args.central))


def render_pdf(source, meta, path, paper, clinic, progress=None) -> int:
    """Draw the PDF infusion record (Qt is imported only now, for `export --format pdf`); return its pages."""
    from ui.report import write_pdf

    return write_pdf(source, meta, path, paper, clinic, progress)


def main(argv: list[str] | None = None) -> int:
    return cli.main(argv, window=open_window, pdf=render_pdf)


if __name__ == "__main__":
    sys.exit(main())
