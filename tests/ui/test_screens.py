"""The screen checks (tests/screen_checks.py: every scene and dialog; tests/truth_screen_checks.py: a flapping and a
silent oximeter) on a real X server: Xvfb with the xcb platform, as a clinic's laptop draws them, not offscreen. Qt
picks its platform once per process, so they run in a subprocess. SCREEN_SHOTS_DIR, when set, keeps the pictures of
the truth checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from xserver import xvfb

HERE = Path(__file__).parent.parent  # tests/, where the screen-check scripts are


@pytest.mark.slow
@pytest.mark.parametrize("checks", ["screen_checks.py", "truth_screen_checks.py"])
def test_screens_are_legible_and_fit_on_a_real_display(tmp_path, checks):
    with xvfb() as display:
        env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": display}
        env.pop("WAYLAND_DISPLAY", None)
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", str(HERE / checks),
                              "--basetemp", str(tmp_path / "checks")], env=env, capture_output=True, text=True,
                             timeout=900, cwd=HERE.parent)
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-3000:]
    assert "[100%]" in run.stdout  # every check ran
