"""What the windowless commands load (not how long they take): `--help` and `sessions` through the launcher, as
the `infusion-monitor` command runs them, load neither Qt nor the libraries only windows or exports use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import startup

ROOT = Path(__file__).resolve().parents[2]
#: Loaded only by windows (Qt, pyqtgraph) or by the exports that use them (FHIR, EDF).
WINDOW_OR_EXPORT = {"PySide6", "pyqtgraph", "fhir", "pydantic", "pyedflib"}
#: Loaded only by what opens a store or draws: --help opens nothing.
STORE_OR_ARRAYS = {"numpy", "sqlite_utils", "monitor.alarms", "monitor.storage"}
#: Loaded only by what reads values, writes a store or raises alarms: listing sessions reads their rows alone.
VALUES_WRITER_OR_ENGINE = {"numpy", "sqlite_utils", "monitor.alarms.engine", "monitor.alarms.profile",
                           "monitor.storage.levels", "monitor.storage.recorder"}

PROBE = """
import json, sys
import ui.launcher
try:
    ui.launcher.main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def loaded(*argv: str) -> set[str]:
    """Return every module a fresh process has loaded after running the command (its output's last line)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def tops(modules: set[str], wanted: set[str]) -> set[str]:
    """Return which of `wanted` (packages or dotted prefixes) appear among modules."""
    return {w for w in wanted if any(m == w or m.startswith(w + ".") for m in modules)}


@pytest.mark.slow
def test_help_loads_no_qt_no_store_no_arrays():
    modules = loaded("--help")
    assert "monitor.cli.args" in modules  # the probe ran the command
    assert tops(modules, WINDOW_OR_EXPORT | STORE_OR_ARRAYS) == set()


@pytest.mark.slow
def test_sessions_loads_neither_qt_nor_the_exporters_nor_arrays_the_writer_or_the_alarm_engine(tmp_path):
    from monitor.storage.store import Store

    db = tmp_path / "s.db"
    Store(db).close()
    modules = loaded("sessions", "--db", str(db))
    assert "monitor.storage.sessions" in modules  # it did read the sessions
    assert tops(modules, WINDOW_OR_EXPORT | VALUES_WRITER_OR_ENGINE) == set()


@pytest.mark.slow
def test_startup_bench_prints_each_command_against_the_qt_import_floor():
    from figures import FIGURE

    lines = startup.run(**startup.QUICK)
    assert [FIGURE.match(line)["name"] for line in lines] == ["windowless start-up (--help)",
                                                              "windowless start-up (sessions)"]
    for line in lines:
        assert "(floor " in line and "bare import PySide6.QtWidgets" in line, line
