"""Run the real `infusion-monitor` command in a child process, as a user does."""

from __future__ import annotations

import subprocess
import sys


def cli(*args: str, timeout: float = 60, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run one command to its end; return its exit code and output."""
    return subprocess.run([sys.executable, "-m", "monitor.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start a command that runs until stopped (record, simulate)."""
    return subprocess.Popen([sys.executable, "-m", "monitor.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def error_line(stderr: str) -> str:
    """Return the one error line of a failed command; fail if there is not exactly one, or a traceback."""
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("infusion-monitor: error: ")]
    assert len(errors) == 1, stderr
    return errors[0]
