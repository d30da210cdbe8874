"""The second patient identifier's screens (tests/identity_screen_checks.py) on a real X server at the clinic's
laptop and small-screen sizes: Xvfb with the xcb platform, in a subprocess because Qt picks its platform once per
process."""

from __future__ import annotations

from pathlib import Path

import pytest
from xserver import run_screen_checks


@pytest.mark.slow
@pytest.mark.parametrize("size", [(1366, 768), (1024, 600)])
def test_the_start_dialog_and_header_with_a_date_of_birth(tmp_path, size):
    run_screen_checks(Path(__file__).parent.parent / "identity_screen_checks.py", tmp_path / "checks", size,
                      env={"IDENTITY_SCREEN": f"{size[0]}x{size[1]}"})
