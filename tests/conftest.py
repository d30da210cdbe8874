import os
import sys
from pathlib import Path

from hypothesis import settings

# Shared, noisy 2-core machines: a per-example time limit only makes property tests flaky.
settings.register_profile("project", deadline=None)
settings.load_profile("project")

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parent))


import pytest


@pytest.fixture(autouse=True)
def _no_close_prompt(request, monkeypatch):
    """Windows closed by pytest-qt at teardown must not wait for the 'infusion running' question."""
    if "qtbot" in request.fixturenames and "close_prompt" not in request.keywords:
        monkeypatch.setattr("ui.main_window.MainWindow._confirm_close", lambda self: True)
