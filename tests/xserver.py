"""A throwaway X server for tests that need a real display (Xvfb), or a skip that says what is missing."""

from __future__ import annotations

import ctypes.util
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

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
