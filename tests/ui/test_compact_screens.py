"""The chair's window at 1024 x 600, 1280 x 720, 1366 x 768 and 1920 x 1080 (tests/compact_screen_checks.py): every
control reachable and working by real clicks, on an Xvfb of each size (xcb), in a subprocess because Qt picks its
platform once per process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from xserver import run_screen_checks


@pytest.mark.slow
@pytest.mark.parametrize("size", [(1024, 600), (1280, 720), (1366, 768), (1920, 1080)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_control_of_the_chair_is_reachable_by_clicks(tmp_path, size):
    if shutil.which("xdotool") is None:
        pytest.skip("xdotool is not installed (apt-get install xdotool)")
    run_screen_checks(Path(__file__).parent.parent / "compact_screen_checks.py", tmp_path / "checks", size)
