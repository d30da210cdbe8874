"""A throwaway X server for tests that need a real display (Xvfb), or a skip that says what is missing."""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ui.preflight import XCB_LIBS


def missing() -> str:
    """Return why no X server can be started here ('' when it can)."""
    if shutil.which("Xvfb") is None:
        return "Xvfb is not installed (apt-get install xvfb)"
    libs = [pkg for lib, pkg in XCB_LIBS.items() if ctypes.util.find_library(lib) is None]
    if ctypes.util.find_library("xcb") is not None and libs:
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


def run_checks_on_display(checks: Path, tmp_path: Path, size: tuple[int, int]) -> subprocess.CompletedProcess:
    """Run a pytest file of screen checks in a child process on a fresh Xvfb of `size` with the xcb platform (Qt
    picks its platform once per process); return the finished run for the caller's asserts."""
    with xvfb(*size) as display:
        env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": display}
        env.pop("WAYLAND_DISPLAY", None)
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", str(checks),
                               "--basetemp", str(tmp_path / "checks")],
                              env=env, capture_output=True, text=True, timeout=900, cwd=checks.parent.parent)
