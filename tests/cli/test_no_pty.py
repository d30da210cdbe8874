"""Nothing POSIX-only on the way to a window or a recording (issue 22): the demo's devices, `record` and
`simulate --tcp` run in a Python without os.openpty and without the pty and tty modules, as on Windows,
and `simulate` without --tcp says in one line what to use there instead."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

WITHOUT_PTY = [sys.executable, str(Path(__file__).parent.parent / "without_pty.py")]
ROOT = Path(__file__).parent.parent.parent

DEMO_CORE = """
import sys, time
from pathlib import Path
from monitor.ingest.offline import stored_counts
from monitor.live.core import MonitorCore
from monitor.storage.store import Store
from ui.app import DEMO_PLAN, demo_devices

assert sys.modules["pty"] is None and sys.modules["tty"] is None and not hasattr(__import__("os"), "openpty")
store = Store(Path(sys.argv[1]))
core = MonitorCore(store, demo_devices("nonin", "baseline", 10.0))
sid = core.start(DEMO_PLAN, operator="test")
deadline = time.monotonic() + 90
while time.monotonic() < deadline and not all(r.link.stats.bytes_rx > 0 for r in core.readers.values()):
    time.sleep(0.1)
time.sleep(1.0)
core.stop("closed")
print(" ".join(f"{name}={r.spec.port}:{r.link.stats.bytes_rx}" for name, r in core.readers.items()))
print("numerics", stored_counts(store, sid).numerics)
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_STATE_HOME=str(tmp_path / "state"))
    env.pop("INFUSION_MONITOR_DB", None)
    return env


def _run(tmp_path: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([*WITHOUT_PTY, *args], capture_output=True, text=True, timeout=timeout, cwd=tmp_path,
                          env=_env(tmp_path))


def _stored_numerics(stderr: str) -> int:
    found = re.search(r"closed \([^)]*\): stored ([\d,]+) numerics", stderr)
    assert found, stderr
    return int(found.group(1).replace(",", ""))


@pytest.mark.slow
def test_the_helper_really_takes_the_pty_away(tmp_path):
    done = _run(tmp_path, "-c", "import tty")
    assert done.returncode != 0 and "import of tty halted" in done.stderr


@pytest.mark.slow
def test_demo_devices_record_without_a_pty(tmp_path):
    done = _run(tmp_path, "-c", DEMO_CORE, str(tmp_path / "demo.db"))
    assert done.returncode == 0, done.stderr
    readers, numerics = done.stdout.splitlines()
    assert re.fullmatch(r"pulseox=sim:baseline\?speed=10:[1-9]\d* nibp=sim:baseline\?speed=10:[1-9]\d*", readers)
    assert int(numerics.split()[1]) > 0


@pytest.mark.slow
def test_record_on_a_simulated_port_without_a_pty(tmp_path):
    done = _run(tmp_path, "-m", "monitor.cli", "record", "--db", str(tmp_path / "s.db"),
                "--device", "pulseox=nonin:sim", "--duration", "3")
    assert done.returncode == 0, done.stderr
    assert _stored_numerics(done.stderr) > 0


@pytest.mark.slow
def test_simulate_without_a_pty_says_what_to_use_instead(tmp_path):
    done = _run(tmp_path, "-m", "monitor.cli", "simulate", "--protocol", "nonin")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "com0com" in done.stderr and "simulate --tcp PORT" in done.stderr and "socket://127.0.0.1:PORT" in done.stderr


@pytest.mark.slow
def test_record_from_simulate_tcp_without_a_pty(tmp_path):
    """The whole chain over TCP: `simulate --tcp 0` prints its socket:// address, `record` reads it."""
    sim = subprocess.Popen([*WITHOUT_PTY, "-m", "monitor.cli", "simulate", "--protocol", "nonin", "--tcp", "0"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                           env=_env(tmp_path))
    try:
        url = sim.stdout.readline().strip()
        assert re.fullmatch(r"socket://127\.0\.0\.1:\d+", url), (url, sim.stderr.read() if sim.poll() else "")
        done = _run(tmp_path, "-m", "monitor.cli", "record", "--db", str(tmp_path / "s.db"),
                    "--device", f"pulseox=nonin:{url}", "--duration", "3")
        assert done.returncode == 0, done.stderr
        assert _stored_numerics(done.stderr) > 0
    finally:
        sim.terminate()
        sim.wait(30)
    assert sim.returncode == 0, sim.stderr.read()


@pytest.mark.slow
def test_simulate_tcp_refuses_a_taken_port_in_one_line(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = _run(tmp_path, "-m", "monitor.cli", "simulate", "--protocol", "nonin", "--tcp", str(port))
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
