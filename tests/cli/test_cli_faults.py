"""Database faults met by the real `record` command: one line and exit 2 wherever they happen, and rows
queued when a stop meets a fault are kept in a recovery file that the next start imports.

Faults are real: another process holds the write lock, the disk (a file size limit set on the running
recorder, or a small tmpfs when run as root) is full, a trigger makes SQLite refuse a statement, the
folder is read-only. The stop scenarios take 20-30 s each (the recorder retries for 15 s, as shipped),
so they run side by side in one module fixture.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from commands import cli, error_line, start
from devices.sim.runner import PtySimulator
from monitor.storage import recovery
from monitor.storage.sessions import SqliteSessions

pytestmark = pytest.mark.slow  # every test runs the command in a child process


def user_env(home: Path) -> dict[str, str]:
    """Return an environment whose user folders (data, logs) are inside the test's folder."""
    return {**os.environ, "XDG_DATA_HOME": str(home / "data"), "XDG_STATE_HOME": str(home / "state"),
            "HOME": str(home)}


def spo2_times(db: Path, session: str = "1") -> list[float]:
    sessions = SqliteSessions(db)
    try:
        return [r.t for r in sessions.numerics(sessions.resolve(session)) if r.parameter == "spo2"]
    finally:
        sessions.close()


def meta(db: Path, session: str = "1"):
    sessions = SqliteSessions(db)
    try:
        return sessions.resolve(session)
    finally:
        sessions.close()


def wait_for_data(db: Path, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            if db.exists() and spo2_times(db):
                return
        except Exception:  # the session or its tables are not there yet
            pass
        time.sleep(0.2)
    raise AssertionError("the recorder stored nothing")


def can_mount() -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    probe = Path("/tmp") / f"im-mount-probe-{os.getpid()}"
    probe.mkdir(exist_ok=True)
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)],
                        capture_output=True).returncode == 0
    if ok:
        subprocess.run(["umount", str(probe)], capture_output=True)
    probe.rmdir()
    return ok


MOUNT = can_mount()


@dataclass
class Stopped:
    """A `record` run stopped by SIGTERM while a fault was on."""

    db: Path
    home: Path
    returncode: int = 0
    stdout: str = ""
    stderr: str = ""
    fault_at: float = 0.0
    undo: list = field(default_factory=list)


def _lock(run: Stopped, pid: int) -> None:
    other = sqlite3.connect(run.db, timeout=10)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock until the recorder has exited
    run.undo.append(lambda: (other.rollback(), other.close()))


def _file_size_limit(run: Stopped, pid: int) -> None:
    """Let the recorder's files grow no further: its next write past their end fails as on a full disk."""
    limit = max(p.stat().st_size for p in run.db.parent.glob(run.db.name + "*"))
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit, limit))


def _refusing_updates(run: Stopped, pid: int) -> None:
    with sqlite3.connect(run.db, timeout=10) as conn:
        conn.execute("CREATE TRIGGER refuse_updates BEFORE UPDATE ON sessions "
                     "BEGIN SELECT RAISE(ABORT, 'simulated fault'); END")

    def drop() -> None:
        with sqlite3.connect(run.db, timeout=10) as conn:
            conn.execute("DROP TRIGGER refuse_updates")
    run.undo.append(drop)


def fill(folder: Path) -> None:
    """Fill the file system of folder to the last byte."""
    with open(folder / "filler", "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass


def _full_disk(run: Stopped, pid: int) -> None:
    fill(run.db.parent)


FAULTS = {"locked": _lock, "file size limit": _file_size_limit, "trigger": _refusing_updates}
if MOUNT:
    FAULTS["full tmpfs"] = _full_disk


@pytest.fixture(scope="module")
def stopped(tmp_path_factory):
    """Record on each fault at once: data first, then the fault, 3 s later SIGTERM; collect how each ended."""
    runs: dict[str, Stopped] = {}
    procs: dict[str, subprocess.Popen] = {}
    sims: list[PtySimulator] = []
    mounts: list[Path] = []
    try:
        for name in FAULTS:
            home = tmp_path_factory.mktemp(name.replace(" ", "-"))
            folder = home / "db"
            folder.mkdir()
            if name == "full tmpfs":
                subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(folder)], check=True)
                mounts.append(folder)
            sim = PtySimulator("cms50dplus", "baseline").start()
            sims.append(sim)
            runs[name] = Stopped(folder / "s.db", home)
            procs[name] = start("record", "--db", str(folder / "s.db"), "--device", f"pulseox=cms50dplus:{sim.path}",
                                "--patient", "P-1", env=user_env(home))
        for name, run in runs.items():
            wait_for_data(run.db, procs[name])
        for name, run in runs.items():
            run.fault_at = time.time()
            FAULTS[name](run, procs[name].pid)
        time.sleep(3.0)
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        for name, proc in procs.items():
            out, err = proc.communicate(timeout=120)
            runs[name].returncode, runs[name].stdout, runs[name].stderr = proc.returncode, out, err
        for run in runs.values():
            for undo in run.undo:
                undo()
        yield runs
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
        for sim in sims:
            sim.stop()
        for folder in mounts:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def recovery_files(run: Stopped) -> list[Path]:
    return sorted(p for p in run.home.rglob(recovery.pattern(run.db)))


@pytest.mark.parametrize("fault", list(FAULTS))
def test_stop_during_a_fault_says_where_the_rows_are_and_the_next_start_imports_them(stopped, fault):
    run = stopped[fault]
    assert run.returncode == 2, run.stderr
    line = error_line(run.stderr)
    [kept] = recovery_files(run)
    assert f"rows of session 1 were kept in {kept}" in line and "next start" in line
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    if fault == "full tmpfs":  # nothing fits beside the database: the user's recovery folder took it
        assert kept.parent == run.home / "data" / "infusion-monitor" / "recovery"
        assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
        (run.db.parent / "filler").unlink()
    else:
        assert kept.parent == run.db.parent
    alarms = [json.loads(x) for x in run.stdout.splitlines() if x.startswith("{")]
    assert any(a["condition"] == "recording" and a["priority"] == "high" and a["kind"] == "raised" for a in alarms)

    with PtySimulator("cms50dplus", "baseline") as sim:  # the next start
        again = cli("record", "--db", str(run.db), "--device", f"pulseox=cms50dplus:{sim.path}", "--duration", "1",
                    env=user_env(run.home))
    assert again.returncode == 0, again.stderr
    [said] = [x for x in again.stderr.splitlines() if "recovered" in x]
    assert said.startswith("infusion-monitor: recovered") and str(kept) in said
    assert recovery_files(run) == []
    times = spo2_times(run.db)
    assert max(times) > run.fault_at + 2.0  # rows of the fault period are in
    assert max(b - a for a, b in zip(times, times[1:])) <= 1.5, "a gap in the stored SpO2"
    session = meta(run.db)
    assert (session.state, session.end_reason) == ("closed", "stopped by signal")


@pytest.mark.skipif(not MOUNT, reason="needs root and mount to make a small full tmpfs")
def test_import_into_a_still_full_disk_is_one_line_and_keeps_the_file(tmp_path):
    folder = tmp_path / "db"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], check=True)
    try:
        db = folder / "s.db"
        assert cli("record", "--db", str(db), "--device", "pulseox=cms50dplus:loop://", "--duration", "0.5",
                   env=user_env(tmp_path)).returncode == 0
        from monitor.storage.store import Store
        store = Store(db)
        rows = {"raw_bytes": [{"session_id": 1, "source": "pulseox", "t": 1.0, "direction": "rx",
                               "data": os.urandom(100_000)}]}
        kept = recovery.save(db, store.session_uid(1), rows, None, "test")
        assert kept.parent == folder
        store.close()
        fill(folder)
        out = cli("replay", "--db", str(db), "--session", "1", env=user_env(tmp_path))
        assert out.returncode == 2
        assert "full" in error_line(out.stderr)
        assert kept.exists()
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def fresh_db(tmp_path: Path) -> Path:
    db = tmp_path / "s.db"
    assert cli("record", "--db", str(db), "--device", "pulseox=cms50dplus:loop://", "--duration", "0.3",
               env=user_env(tmp_path)).returncode == 0
    return db


@pytest.mark.parametrize("table, event, where", [
    ("patients", "INSERT", "patient"),
    ("sessions", "INSERT", "session create"),
    ("devices", "INSERT", "device"),
])
def test_a_refused_statement_at_start_is_one_line_and_exit_2(tmp_path, table, event, where):
    db = fresh_db(tmp_path)
    with sqlite3.connect(db) as conn:
        conn.execute(f"CREATE TRIGGER refuse BEFORE {event} ON {table} BEGIN SELECT RAISE(ABORT, 'simulated fault'); END")
    out = cli("record", "--db", str(db), "--device", "pulseox=cms50dplus:loop://", "--patient", "P-2",
              "--duration", "0.5", env=user_env(tmp_path))
    assert out.returncode == 2, (where, out.stderr)
    assert error_line(out.stderr) == f"infusion-monitor: error: database {db}: simulated fault"


def test_locked_at_start_is_one_line_and_exit_2(tmp_path):
    db = fresh_db(tmp_path)
    other = sqlite3.connect(db)
    other.execute("BEGIN IMMEDIATE")
    try:
        out = cli("record", "--db", str(db), "--device", "pulseox=cms50dplus:loop://", "--duration", "0.5",
                  env=user_env(tmp_path))
    finally:
        other.rollback()
    assert out.returncode == 2
    assert "is locked by another program" in error_line(out.stderr)


@pytest.fixture
def read_only(tmp_path):
    """Return a folder holding a recorded database that this process cannot write (read-only mount as root)."""
    folder = tmp_path / "media"
    folder.mkdir()
    db = folder / "s.db"
    assert cli("record", "--db", str(db), "--device", "pulseox=cms50dplus:sim", "--duration", "1.5",
               env=user_env(tmp_path)).returncode == 0  # a simulated device: the session has values to export
    if os.geteuid() == 0:
        if not MOUNT:
            pytest.skip("root writes to read-only files; a read-only bind mount needs mount")
        subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
        subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True)
    else:
        db.chmod(stat.S_IRUSR)
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    yield db
    if os.geteuid() == 0:
        subprocess.run(["umount", str(folder)], capture_output=True)
    else:
        folder.chmod(stat.S_IRWXU)


def test_read_only_at_start_is_one_line_and_exit_2_and_reading_still_works(read_only, tmp_path):
    before = {p.name: p.read_bytes() for p in read_only.parent.iterdir()}
    out = cli("record", "--db", str(read_only), "--device", "pulseox=cms50dplus:loop://", "--duration", "0.5",
              env=user_env(tmp_path))
    assert out.returncode == 2
    assert "read-only" in error_line(out.stderr)
    listed = cli("sessions", "--db", str(read_only), env=user_env(tmp_path))
    assert listed.returncode == 0 and "closed" in listed.stdout
    exported = cli("export", "--db", str(read_only), "--session", "1", "--format", "csv", env=user_env(tmp_path))
    assert exported.returncode == 0 and exported.stdout.startswith("time_utc,")
    assert {p.name: p.read_bytes() for p in read_only.parent.iterdir()} == before


def test_concurrent_first_starts_on_a_new_database_all_succeed(tmp_path):
    """Six processes open one new file at the same moment: one migrates, the others find it done."""
    db, go = tmp_path / "new.db", tmp_path / "go"
    code = ("import os, sys, time\n"
            "from monitor.storage.store import Store\n"
            f"while not os.path.exists({str(go)!r}): time.sleep(0.001)\n"
            f"Store({str(db)!r}).create_session()\n")
    procs = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True) for _ in range(6)]
    time.sleep(1.5)  # all are waiting
    go.touch()
    errors = [p.communicate(timeout=60)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, errors
    with sqlite3.connect(db) as conn:
        from monitor.storage.schema import SCHEMA_VERSION
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 6
