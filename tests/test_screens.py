"""The screen checks (tests/screen_checks.py) on a real X server: Xvfb with the xcb platform, as a clinic's
laptop draws them, not offscreen. Qt picks its platform once per process, so they run in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from xserver import xvfb

CHECKS = Path(__file__).with_name("screen_checks.py")


def test_screens_are_legible_and_fit_on_a_real_display(tmp_path):
    with xvfb() as display:
        env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": display}
        env.pop("WAYLAND_DISPLAY", None)
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", str(CHECKS),
                              "--basetemp", str(tmp_path / "checks")], env=env, capture_output=True, text=True,
                             timeout=900, cwd=Path(__file__).parent.parent)
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-3000:]
    assert "[100%]" in run.stdout  # every check ran
