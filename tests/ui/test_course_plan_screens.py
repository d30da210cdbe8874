"""The course window's plan, between-visit and document entries (tests/course_plan_screen_checks.py) on a real X
server at 1366 x 768: Xvfb with the xcb platform, in a subprocess because Qt picks its platform once per process."""

from __future__ import annotations

from pathlib import Path

import pytest
from xserver import run_screen_checks


@pytest.mark.slow
def test_the_course_windows_entries_on_a_1366x768_display(tmp_path):
    run_screen_checks(Path(__file__).parent.parent / "course_plan_screen_checks.py", tmp_path / "checks")
