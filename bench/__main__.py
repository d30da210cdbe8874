"""Run every benchmark of this package (`make bench`): machine facts first, then one line per figure.

Each module of bench/ with a `run() -> list[str]` is a benchmark; they run one
after the other, in name order, so they never compete for the 2 cores. Every
figure line reads `name: value unit (floor|baseline|target value ..., ratio xN)`:
against a floor (the same work done the barest way) the ratio is the product's
cost over the floor's (x1.5 means half as much again); against a naive baseline
or a target it is how many times better the product does. Lines that only give
context (the machine, a benchmark skipped) start with '# '.
`--quick` runs each one with the small arguments of its QUICK dict: a smoke run
that the test suite keeps (tests/bench/test_bench_main.py), not figures to quote.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import platform
import sys
import traceback
from typing import NoReturn

import bench


def machine() -> list[str]:
    """Return the lines that say what the figures were measured on."""
    import PySide6
    from PySide6.QtCore import qVersion

    return [f"machine: {os.cpu_count()} cores, {platform.machine()}, {platform.system()} {platform.release()}",
            f"python: {platform.python_version()} ({platform.python_implementation()})",
            f"qt: {qVersion()} (PySide6 {PySide6.__version__}), platform {os.environ.get('QT_QPA_PLATFORM', '')}"]


def _quiet_offscreen_warnings() -> None:
    """Drop the offscreen plugin's per-window 'propagateSizeHints' notice, which would bury the figures."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(mode, context, message):
        if "propagateSizeHints" not in message:
            sys.stderr.write(message + "\n")

    qInstallMessageHandler(handler)


def main(only: list[str], quick: bool = False) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _quiet_offscreen_warnings()
    print("\n".join(f"# {line}" for line in machine()), flush=True)
    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_"))
    unknown = sorted(set(only) - set(names))
    if unknown:
        raise SystemExit(f"bench: no benchmark named {', '.join(unknown)} (choose from {', '.join(names)})")
    for name in names:
        if only and name not in only:
            continue
        module = importlib.import_module(f"bench.{name}")
        if callable(getattr(module, "run", None)):
            print("\n".join(module.run(**(module.QUICK if quick else {}))), flush=True)


def _exit(status: int) -> NoReturn:
    """End the process with `status`, without Python's final teardown of Qt objects.

    The benches that open windows (review, live CPU, alarm latency) leave Qt
    objects (pyqtgraph's parentless menus above all) that PySide6 can crash on
    while the interpreter destroys them (PYSIDE-2254, pyqtgraph #2520): `make
    bench` printed every figure and then ended in a segmentation fault, exit
    139. The test suite ends the same way (tests/conftest.py pytest_unconfigure).
    Everything is printed and every temporary directory removed by now.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    cli = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    cli.add_argument("--quick", action="store_true", help="run every benchmark small: a smoke run, not figures")
    cli.add_argument("names", nargs="*", help="run only these benchmarks (module names of bench/)")
    options = cli.parse_args()
    try:
        main(options.names, options.quick)
    except SystemExit as exc:
        print(exc.code, file=sys.stderr)
        _exit(2)
    except BaseException:  # a benchmark that fails says where, then the same exit without the teardown crash
        traceback.print_exc()
        _exit(1)
    _exit(0)
