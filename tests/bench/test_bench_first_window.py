"""What the first windows load (not how long they take): the demo's "Who is at the monitor?" and `run`'s Start
dialog open, through the launcher as `infusion-monitor` runs them, before the core, the monitor window and the
libraries only they use; and the bench prints its two figures against the bare-window floor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import first_window

ROOT = Path(__file__).resolve().parents[2]
#: Loaded once the first dialog is answered (the core, the chair's window, its plots and sound), or never by it.
AFTER_THE_DIALOG = {"numpy", "sqlite_utils", "pyqtgraph", "monitor.live.core", "ui.monitor.main_window", "ui.sound",
                    "monitor.alarms.engine", "devices.registry", "monitor.storage.sessions", "monitor.timefmt"}
#: What only one of the two dialogs needs: the record kinds and the clinical figures for the Start dialog, its
#: flags and outcomes once a patient is named.
DEMO_LEAVES = {"ui.monitor.start_dialog", "monitor.record", "monitor.clinical.config"}
RUN_LEAVES = {"ui.dialogs", "monitor.storage.outcomes", "monitor.clinical.outcomes", "devices.sim.faults"}

PROBE = """
import json, sys
from PySide6.QtWidgets import QDialog

def first(self):
    print(json.dumps({"title": self.windowTitle(), "modules": sorted(sys.modules)}), flush=True)
    return 0  # cancelled: the command ends there, as when the nurse closes the dialog

QDialog.exec = first
import ui.launcher
sys.exit(ui.launcher.main(sys.argv[1:]))
"""


def first_dialog(command: str, tmp_path: Path) -> tuple[str, set[str], int]:
    """Run `command` in a fresh process; return its first dialog's title, the modules loaded then, its exit code."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen",
           "INFUSION_MONITOR_DB": str(tmp_path / "sessions.db"), "INFUSION_MONITOR_CONFIG": str(tmp_path / "c.json"),
           "INFUSION_MONITOR_STAFF": str(tmp_path / "staff.json")}
    env.pop("INFUSION_MONITOR_CENTRAL", None)
    done = subprocess.run([sys.executable, "-c", PROBE, command], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    return shown["title"], set(shown["modules"]), done.returncode


def loaded(modules: set[str], wanted: set[str]) -> set[str]:
    """Return which of `wanted` (packages or dotted prefixes) appear among modules."""
    return {w for w in wanted if any(m == w or m.startswith(w + ".") for m in modules)}


@pytest.mark.slow
def test_the_demos_first_dialog_opens_before_the_core_the_records_and_the_start_dialog(tmp_path):
    title, modules, code = first_dialog("demo", tmp_path)
    assert title == "Who is at the monitor?" and code == 0
    assert "monitor.storage.store" in modules  # the file was checked before the dialog
    assert loaded(modules, AFTER_THE_DIALOG | DEMO_LEAVES) == set()


@pytest.mark.slow
def test_runs_start_dialog_opens_before_the_core_and_the_flag_rules(tmp_path):
    title, modules, code = first_dialog("run", tmp_path)
    assert title == "Start a session" and code == 0
    assert {"monitor.storage.store", "monitor.clinical.config"} <= modules
    assert loaded(modules, AFTER_THE_DIALOG | RUN_LEAVES) == set()


@pytest.mark.slow
def test_first_window_bench_prints_demo_and_run_against_the_bare_window_floor():
    from figures import FIGURE, is_context

    lines = first_window.run(**first_window.QUICK)
    if all(is_context(line) for line in lines):
        pytest.skip(lines[0])  # Xvfb or xdotool missing: the bench says so in a '# ' line
    assert [FIGURE.match(line)["name"] for line in lines] == ["first window (demo)", "first window (run)"]
    for line in lines:
        assert "(floor " in line and "a bare PySide6 window" in line, line
