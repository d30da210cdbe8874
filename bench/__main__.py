"""Run every benchmark of this package (`make bench`): machine facts first, then one line per figure.

Each module of bench/ with a `run() -> list[str]` is a benchmark; they run one
after the other, in name order, so they never compete for the 2 cores.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import platform
import sys

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


def main(only: list[str]) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _quiet_offscreen_warnings()
    print("\n".join(machine()), flush=True)
    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_"))
    for name in names:
        if only and name not in only:
            continue
        module = importlib.import_module(f"bench.{name}")
        if callable(getattr(module, "run", None)):
            print("\n".join(module.run()), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
