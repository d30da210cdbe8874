"""A throwaway X server for tests that need a real display (Xvfb), or a skip that says what is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ui.preflight import XCB, XCB_LIBS, loadable


def missing() -> str:
    """Return why no X server can be started here ('' when it can)."""
    if shutil.which("Xvfb") is None:
        return "Xvfb is not installed (apt-get install xvfb)"
    libs = [pkg for lib, pkg in XCB_LIBS.items() if not loadable(lib)]
    if loadable(XCB) and libs:
        return f"the Qt xcb platform needs: apt-get install {' '.join(libs)}"
    return ""


@contextmanager
def xvfb(width: int = 1920, height: int = 1080) -> Iterator[str]:
    """Start Xvfb on a free display (it picks one and tells us) and yield its DISPLAY value; skip if impossible."""
    why = missing()
    if why:
        pytest.skip(why)
    proc = subprocess.Popen(["Xvfb", "-displayfd", "1", "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        number = proc.stdout.readline().strip()
        if not number.isdigit():
            pytest.skip("Xvfb did not start")
        yield f":{number}"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


def run_screen_checks(script: Path, basetemp: Path, size: tuple[int, int] = (1366, 768),
                      env: dict[str, str] | None = None) -> None:
    """Run a screen-check script's tests with pytest on a fresh Xvfb of size (xcb), in a subprocess (Qt picks its
    platform once per process); fail with their output unless every one ran and passed. env adds variables."""
    with xvfb(*size) as display:
        full = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": display, **(env or {})}
        full.pop("WAYLAND_DISPLAY", None)
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", str(script),
                              "--basetemp", str(basetemp)], env=full, capture_output=True, text=True, timeout=900,
                             cwd=script.parent.parent)
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-3000:]
    assert "[100%]" in run.stdout  # every check ran
