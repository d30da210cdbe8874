"""Start-up of the windowless commands (`--help`, `sessions`) against a bare `import PySide6.QtWidgets`.

A nurse or a script runs these at the chair; they must not load what they do not
use (Qt, pyqtgraph, the exporters' FHIR and EDF libraries). The floor is a fresh
Python that only imports PySide6.QtWidgets, timed in the same run; the command
goes through ui.launcher as `infusion-monitor` does. Target: ratio (command /
floor) at most x1.5. Wall time of whole processes, median of `rounds`,
product and floor interleaved so a busy moment hurts both alike.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROUNDS = 9
#: The arguments of a `--quick` smoke run (bench/__main__.py).
QUICK = {"rounds": 2}


def started_env() -> dict[str, str]:
    """Return the environment of a timed start: one where Python writes the bytecode of what it imports.

    An installed app has its bytecode (pip writes it); with PYTHONDONTWRITEBYTECODE set, every start of an
    edited checkout would compile its changed modules again and the figure would time the compiler. The
    warm-up start of each command writes it.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def wall_s(argv: list[str]) -> float:
    """Return the seconds a fresh Python process takes to run argv to its end (output discarded)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   env=started_env())
    return time.perf_counter() - start


def run(rounds: int = ROUNDS) -> list[str]:
    """Return the figure lines (bench/__main__.py format)."""
    from monitor.storage.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "startup.db"
        Store(db).close()
        commands = {"--help": ["-m", "ui.launcher", "--help"], "sessions": ["-m", "ui.launcher", "sessions", "--db", str(db)]}
        floor_argv = ["-c", "import PySide6.QtWidgets"]
        # a first start reads the files from disk and writes their bytecode: not what a second start costs
        for argv in (floor_argv, *commands.values()):
            wall_s(argv)
        times: dict[str, list[float]] = {name: [] for name in ("floor", *commands)}
        for _ in range(rounds):
            times["floor"].append(wall_s(floor_argv))
            for name, argv in commands.items():
                times[name].append(wall_s(argv))
    floor = statistics.median(times["floor"])
    return [f"windowless start-up ({name}): {statistics.median(times[name]) * 1000:.0f} ms median of {rounds} "
            f"(floor {floor * 1000:.0f} ms bare import PySide6.QtWidgets, "
            f"ratio x{statistics.median(times[name]) / floor:.2f})" for name in commands]


if __name__ == "__main__":
    print("\n".join(run()))
