"""`python -m bench --quick`: every benchmark runs small, prints only figure or context lines, and the process
exits 0 (it once printed every figure and then ended in a segmentation fault, exit 139)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from figures import FIGURE, is_context

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_run_of_every_benchmark_exits_0_with_one_figure_per_line():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "bench", "--quick"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=540)
    if done.returncode != 0:  # the whole traceback: an assertion's message would be cut
        pytest.fail(f"exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}", pytrace=False)
    lines = done.stdout.splitlines()
    assert lines[0].startswith("# machine: ") and " cores" in lines[0], lines[:3]
    figures = [line for line in lines if not is_context(line)]
    for line in figures:
        assert FIGURE.match(line), line
    names = {FIGURE.match(line)["name"] for line in figures}
    for expected in ("review zoom", "live CPU (2 devices, 4 h trend, 2 s)", "windowless start-up (--help)"):
        assert any(name.startswith(expected) for name in names), (expected, sorted(names))


@pytest.mark.slow
def test_an_unknown_benchmark_name_is_one_line_and_exit_2():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "bench", "no_such_bench"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "no benchmark named no_such_bench" in done.stderr
