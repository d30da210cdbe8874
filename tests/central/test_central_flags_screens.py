"""The Start dialog with a flag from another chair (tests/central/central_flag_screen_checks.py) on a real X server
at 1366 x 768: Xvfb with the xcb platform, in a subprocess because Qt picks its platform once per process."""

from __future__ import annotations

from pathlib import Path

import pytest
from xserver import run_screen_checks


@pytest.mark.slow
def test_the_start_dialog_with_a_flag_from_another_chair_on_a_1366x768_display(tmp_path):
    run_screen_checks(Path(__file__).parent / "central_flag_screen_checks.py", tmp_path / "checks")
