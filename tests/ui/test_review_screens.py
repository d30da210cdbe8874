"""The review station on a real X server at 1024 x 600, 1366 x 768 and 1920 x 1080 (tests/review_screen_checks.py):
it fits, it tells each session's outcomes, its timeline labels do not overlap. Qt picks its platform once per
process, so the checks run in a subprocess. SCREEN_SHOTS_DIR, when set, keeps the pictures."""

from __future__ import annotations

from pathlib import Path

import pytest
from xserver import run_screen_checks

HERE = Path(__file__).parent.parent  # tests/, where the screen-check scripts are


@pytest.mark.slow
@pytest.mark.parametrize("size", [(1024, 600), (1366, 768), (1920, 1080)],
                         ids=["1024x600", "1366x768", "1920x1080"])
def test_the_review_station_fits_and_tells_the_outcomes_on_a_real_display(tmp_path, size):
    run_screen_checks(HERE / "review_screen_checks.py", tmp_path / "checks", size,
                      {"REVIEW_SCREEN": f"{size[0]}x{size[1]}"})
