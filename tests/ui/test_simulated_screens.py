"""The SIMULATED marks and the simulator-free devices panel (tests/simulated_screen_checks.py) on a real X server at
1366 x 768: Xvfb with the xcb platform, in a subprocess because Qt picks its platform once per process."""

from __future__ import annotations

from pathlib import Path

import pytest
from xserver import run_checks_on_display

CHECKS = Path(__file__).parent.parent / "simulated_screen_checks.py"


@pytest.mark.slow
def test_the_simulated_marks_and_devices_panel_on_a_1366x768_display(tmp_path):
    run = run_checks_on_display(CHECKS, tmp_path, (1366, 768))
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-3000:]
    assert "[100%]" in run.stdout
