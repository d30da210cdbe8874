"""The SIMULATED marks and the simulator-free devices panel (tests/simulated_screen_checks.py) on a real X server at
1366 x 768: Xvfb with the xcb platform, in a subprocess because Qt picks its platform once per process."""

from __future__ import annotations

from pathlib import Path

import pytest
from xserver import run_screen_checks

CHECKS = Path(__file__).parent.parent / "simulated_screen_checks.py"


@pytest.mark.slow
def test_the_simulated_marks_and_devices_panel_on_a_1366x768_display(tmp_path):
    run_screen_checks(CHECKS, tmp_path / "checks", (1366, 768))
