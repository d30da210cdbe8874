"""The trend, pleth and alarm-history checks (tests/trend_history_screen_checks.py) on a real X server: Xvfb with
the xcb platform at 1366 x 768 (everything) and 1024 x 600 (the alarm history), in a subprocess because Qt picks
its platform once per process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from xserver import xvfb

HERE = Path(__file__).parent.parent  # tests/


@pytest.mark.slow
@pytest.mark.parametrize("size, only", [((1366, 768), ""), ((1024, 600), "history")])
def test_trends_pleth_and_alarm_history_on_a_real_display(tmp_path, size, only):
    with xvfb(*size) as display:
        env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": display}
        env.pop("WAYLAND_DISPLAY", None)
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                              str(HERE / "trend_history_screen_checks.py"), "--basetemp", str(tmp_path / "checks"),
                              *(["-k", only] if only else [])],
                             env=env, capture_output=True, text=True, timeout=900, cwd=HERE.parent)
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-3000:]
    assert "[100%]" in run.stdout and "skipped" not in run.stdout  # every check ran
