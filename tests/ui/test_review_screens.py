"""The review station on a real X server at 1366 x 768 and 1920 x 1080 (tests/review_screen_checks.py): it fits,
it tells each session's outcomes, its timeline labels do not overlap. Qt picks its platform once per process, so the
checks run in a subprocess. SCREEN_SHOTS_DIR, when set, keeps the pictures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from xserver import xvfb

HERE = Path(__file__).parent.parent  # tests/, where the screen-check scripts are


@pytest.mark.slow
@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)], ids=["1366x768", "1920x1080"])
def test_the_review_station_fits_and_tells_the_outcomes_on_a_real_display(tmp_path, size):
    with xvfb(*size) as display:
        env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": display, "REVIEW_SCREEN": f"{size[0]}x{size[1]}"}
        env.pop("WAYLAND_DISPLAY", None)
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                              str(HERE / "review_screen_checks.py"), "--basetemp", str(tmp_path / "checks")],
                             env=env, capture_output=True, text=True, timeout=900, cwd=HERE.parent)
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-3000:]
    assert "[100%]" in run.stdout  # every check ran
