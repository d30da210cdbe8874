"""The SIMULATED marks and the simulator-free devices panel (tests/simulated_screen_checks.py) on a real X server at
1366 x 768: Xvfb with the xcb platform, in a subprocess because Qt picks its platform once per process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from xserver import xvfb

HERE = Path(__file__).parent.parent  # tests/


@pytest.mark.slow
def test_the_simulated_marks_and_devices_panel_on_a_1366x768_display(tmp_path):
    with xvfb(1366, 768) as display:
        env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": display}
        env.pop("WAYLAND_DISPLAY", None)
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                              str(HERE / "simulated_screen_checks.py"), "--basetemp", str(tmp_path / "checks")],
                             env=env, capture_output=True, text=True, timeout=900, cwd=HERE.parent)
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-3000:]
    assert "[100%]" in run.stdout
