"""No worker dies silently: a fault injected into each kind of thread of the chair is logged with its traceback,
raises a HIGH technical alarm in words, restarts the thread where that is safe, keeps the rows written before,
and makes `record` and `import` end non-zero with one line (issue 18)."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import stored
from commands import error_line
from devices import registry, supervised
from devices.sim.capture import device_bytes
from devices.spec import DeviceSpec
from devices.values import Sample, sample
from monitor.live import core as core_module
from monitor.alarms import Priority
from monitor.central.link import ChairSettings
from monitor.central.replicator import Replicator
from monitor.live.core import MonitorCore
from monitor.storage.levels import LevelBuilder
from monitor.storage.recorder import Recorder
from monitor.storage.store import SessionEnd, Store, StoreError

T0 = 1_700_000_000.0


@pytest.fixture(autouse=True)
def quick_restarts(monkeypatch):
    monkeypatch.setattr(supervised, "RESTART_PAUSE_S", 0.05)


def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def fault_alarm(core: MonitorCore, words: str):
    """Return the active fault alarm whose message starts with words, None if there is none."""
    return next((a for a in core.alarm_view().active if a.message.startswith(words)), None)


def spo2_rows(db) -> list[float]:
    return [t for t, in stored.rows(db, "SELECT t FROM numerics WHERE parameter = 'spo2' ORDER BY t")]


def once(original, error: str, when=lambda *args: True):
    """Return a stand-in for a method that raises RuntimeError(error) the first time `when` holds, then is original."""
    fired: list[bool] = []

    def stand_in(*args, **kwargs):
        if not fired and when(*args):
            fired.append(True)
            raise RuntimeError(error)
        return original(*args, **kwargs)
    return stand_in


def traceback_logged(caplog, thread: str) -> bool:
    return any(r.exc_info and thread in r.getMessage() for r in caplog.records)


def started_core(tmp_path, **options) -> MonitorCore:
    core = MonitorCore(Store(tmp_path / "s.db"), [DeviceSpec.parse("pulseox=nonin:sim")], **options)
    core.start()
    wait_for(lambda: spo2_rows(core.store.path))  # rows written before the fault
    return core


@pytest.mark.slow
def test_a_reader_fault_is_a_high_alarm_and_the_reader_restarts(tmp_path, monkeypatch, caplog):
    parser = registry.get("nonin").parser
    core = MonitorCore(Store(tmp_path / "s.db"), [DeviceSpec.parse("pulseox=nonin:sim")])
    core.start()
    try:
        wait_for(lambda: spo2_rows(core.store.path))
        reader = core.readers["pulseox"]
        monkeypatch.setattr(reader.link.parser, "feed", once(reader.link.parser.feed, "injected parser fault"))
        wait_for(lambda: fault_alarm(core, "Device reader pulseox"))
        alarm = fault_alarm(core, "Device reader pulseox")
        assert alarm.priority is Priority.HIGH
        assert alarm.message == "Device reader pulseox failed and restarted: RuntimeError: injected parser fault"
        fault_t = core.faults[0].t
        wait_for(lambda: spo2_rows(core.store.path)[-1] > fault_t + 1)  # read again from a fresh connection
    finally:
        core.stop()
    assert isinstance(reader.link.parser, parser)
    assert traceback_logged(caplog, "reader-pulseox")
    assert spo2_rows(core.store.path)[0] < fault_t


@pytest.mark.slow
def test_a_recorder_fault_with_its_rows_intact_restarts_it(tmp_path, monkeypatch, caplog):
    core = started_core(tmp_path)
    try:
        monkeypatch.setattr(Recorder, "_take", once(Recorder._take, "injected recorder fault",
                                                    lambda self, item: isinstance(item, Sample)))
        wait_for(lambda: fault_alarm(core, "Recording"))
        assert fault_alarm(core, "Recording").message == \
            "Recording failed and restarted: RuntimeError: injected recorder fault"
        fault_t = core.faults[0].t
        wait_for(lambda: spo2_rows(core.store.path)[-1] > fault_t + 1)
    finally:
        core.stop()
    assert traceback_logged(caplog, "recorder")
    assert stored.rows(core.store.path, "SELECT state FROM sessions")[0][0] == "closed"
    assert stored.rows(core.store.path, "SELECT message FROM alarms WHERE event = 'raised' AND condition = "
                       "'thread_fault'") == [("Recording failed and restarted: RuntimeError: injected recorder fault",)]


@pytest.mark.slow
def test_a_recorder_that_keeps_failing_stops_says_so_and_keeps_its_rows(tmp_path, monkeypatch, caplog):
    core = started_core(tmp_path)
    before = len(spo2_rows(core.store.path))

    def broken(self):
        raise RuntimeError("injected levels fault")
    monkeypatch.setattr(LevelBuilder, "rows", broken)
    try:
        wait_for(lambda: fault_alarm(core, "Recording stopped"))
        assert fault_alarm(core, "Recording stopped").message == \
            "Recording stopped: RuntimeError: injected levels fault"
        assert [f.restarted for f in core.faults] == [True] * supervised.RESTART_LIMIT + [False]
    finally:
        with pytest.raises(StoreError, match=r"stopped \(RuntimeError: injected levels fault\).*were kept in"):
            core.stop()
    assert traceback_logged(caplog, "recorder")
    assert len(spo2_rows(core.store.path)) >= before
    assert list(Path(core.store.path).parent.glob("s.db.recovery-*.json"))


@pytest.mark.slow
def test_a_core_thread_fault_restarts_it_and_alarms_go_on(tmp_path, caplog):
    core = started_core(tmp_path)
    try:
        core._handle = once(core._handle, "injected core fault")
        wait_for(lambda: fault_alarm(core, "Alarm monitoring"))
        assert fault_alarm(core, "Alarm monitoring").message == \
            "Alarm monitoring failed and restarted: RuntimeError: injected core fault"
        core.raise_technical("probe", Priority.LOW, "still evaluated")
        wait_for(lambda: fault_alarm(core, "still evaluated"))
        fault_t = core.faults[0].t
        wait_for(lambda: spo2_rows(core.store.path)[-1] > fault_t + 1)  # items are handled again
    finally:
        core.stop()
    assert traceback_logged(caplog, "core")
    assert spo2_rows(core.store.path)[0] < fault_t


def test_an_outcome_watch_fault_is_an_alarm(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(core_module, "OUTCOME_POLL_S", 0.05)
    monkeypatch.setattr(core_module, "outcomes_of", once(core_module.outcomes_of, "injected watch fault",
                                                         lambda store, sid: bool(spo2_rows(store.path))))
    core = started_core(tmp_path)
    try:
        wait_for(lambda: fault_alarm(core, "Questionnaire watch"))
        assert fault_alarm(core, "Questionnaire watch").message == \
            "Questionnaire watch failed and restarted: RuntimeError: injected watch fault"
    finally:
        core.stop()
    assert traceback_logged(caplog, "outcome-watch")
    assert spo2_rows(core.store.path)[0] < core.faults[0].t


def test_a_replicator_fault_is_an_alarm_and_it_restarts(tmp_path, caplog):
    store = Store(tmp_path / "s.db")
    central = Replicator(store.path, ChairSettings("postgresql://nobody@127.0.0.1:1/none", "chair-x"), interval_s=0.05)
    central._connect = once(central._connect, "injected replicator fault")
    core = MonitorCore(store, [DeviceSpec.parse("pulseox=nonin:sim")], central=central)
    core.start()
    try:
        wait_for(lambda: fault_alarm(core, "Central replication"))
        assert fault_alarm(core, "Central replication").message == \
            "Central replication failed and restarted: RuntimeError: injected replicator fault"
        wait_for(lambda: central.is_alive() and len(central.faults) == 1)
    finally:
        core.stop()
    assert traceback_logged(caplog, "replicator")


def test_a_recorder_stopped_by_a_fault_writes_the_rest_and_the_end_when_the_session_ends(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(Recorder, "may_restart", lambda self, exc: False)
    store = Store(tmp_path / "s.db")
    sid = store.create_session(started_utc=T0)
    rec = Recorder(store, sid)
    monkeypatch.setattr(rec, "work", once(rec.work, "injected recorder fault"))
    rec.start()
    for k in range(5):
        rec.put(sample(T0 + k, "pulseox", "spo2", 97.0))
    rec.join(30)
    assert not rec.is_alive() and [f.restarted for f in rec.faults] == [False]
    rec.stop(SessionEnd(T0 + 10, "closed"))  # the thread is dead: stop() writes from here
    assert len(spo2_rows(store.path)) == 5
    assert stored.rows(store.path, "SELECT state, ended_utc FROM sessions") == [("closed", T0 + 10)]
    assert traceback_logged(caplog, "recorder")


# --- the commands end non-zero, with one line ------------------------------------------------------------------------

INJECT = {
    "recorder": "from devices.values import Sample\nfrom monitor.storage.recorder import Recorder\n"
                "device, fired = Recorder._device, []\n"
                "def _device(self, item, t):\n"  # each device item, queued alone (live) or in a batch (import)
                "    if isinstance(item, Sample) and not fired:\n"
                "        fired.append(1)\n"
                "        raise RuntimeError('injected recorder fault')\n"
                "    device(self, item, t)\n"
                "Recorder._device = _device\n",
    "reader": "from devices import registry\n"
              "parser = registry.get('nonin').parser\n"
              "feed, fired = parser.feed, []\n"
              "def _feed(self, data, t):\n"
              "    if not fired:\n"
              "        fired.append(1)\n"
              "        raise RuntimeError('injected parser fault')\n"
              "    return feed(self, data, t)\n"
              "parser.feed = _feed\n",
    "levels": "from devices import supervised\nfrom monitor.storage.levels import LevelBuilder\n"
              "supervised.RESTART_PAUSE_S = 0.05\n"
              "def rows(self):\n"
              "    raise RuntimeError('injected levels fault')\n"
              "LevelBuilder.rows = rows\n",
}


def run_with_fault(home: Path, fault: str, *args: str) -> subprocess.CompletedProcess:
    """Run a command in a child process with a fault injected (its user folders, log included, under home)."""
    code = f"import sys\n{INJECT[fault]}from monitor.cli import main\nsys.exit(main({list(args)!r}))\n"
    env = {**os.environ, "XDG_DATA_HOME": str(home / "data"), "XDG_STATE_HOME": str(home / "state"),
           "HOME": str(home)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)


def logged(home: Path) -> str:
    return "".join(p.read_text() for p in home.rglob("*.log"))


@pytest.mark.parametrize("fault, thread, alarm, error", [
    ("recorder", "recorder", "Recording", "RuntimeError: injected recorder fault"),
    ("reader", "reader-pulseox", "Device reader pulseox", "RuntimeError: injected parser fault"),
])
@pytest.mark.slow
def test_record_with_a_thread_fault_ends_non_zero_with_one_line(tmp_path, fault, thread, alarm, error):
    db = tmp_path / "s.db"
    out = run_with_fault(tmp_path, fault, "record", "--db", str(db), "--device", "pulseox=nonin:sim", "--duration", "4")
    assert out.returncode == 2, out.stderr
    assert error_line(out.stderr) == (f"infusion-monitor: error: {thread} thread failed ({error}); restarted during "
                                      "session 1 (details in the log)")
    assert "session 1 closed (duration reached): stored " in out.stderr
    assert f'"message": "{alarm} failed and restarted: {error}"' in out.stdout
    assert "Traceback" in logged(tmp_path) and error in logged(tmp_path)
    assert spo2_rows(db)


@pytest.mark.slow
def test_import_with_a_thread_fault_ends_non_zero_with_one_line(tmp_path):
    path = tmp_path / "n.bin"
    path.write_bytes(device_bytes("nonin", 30))
    db = tmp_path / "s.db"
    out = run_with_fault(tmp_path, "recorder", "import", "--db", str(db), "--protocol", "nonin", str(path))
    assert out.returncode == 2, out.stderr
    # restarted, or (the file read before the recorder took its first item) stopped and finished by the close
    assert re.fullmatch(r"infusion-monitor: error: recorder thread failed \(RuntimeError: injected recorder fault\); "
                        r"(restarted|stopped): session 1 may lack values that were read \(details in the log\)",
                        error_line(out.stderr))
    assert out.stdout.splitlines()[-1] == "session 1 (closed) is incomplete"
    assert "Traceback" in logged(tmp_path)
    assert spo2_rows(db)


def test_a_fault_sink_that_fails_never_ends_the_supervision(caplog):
    def sink(fault):
        raise ValueError("sink bug")

    def body():
        raise RuntimeError("body bug")
    thread = supervised.SupervisedThread("w", sink, target=body, restart=True)
    with caplog.at_level(logging.ERROR):
        thread.start()
        thread.join(10)
    assert not thread.is_alive()
    assert [f.restarted for f in thread.faults] == [True] * supervised.RESTART_LIMIT + [False]
    assert thread.faults[-1].words() == "w thread failed (RuntimeError: body bug); stopped"


@pytest.mark.slow
def test_record_whose_recorder_stops_for_good_never_says_closed(tmp_path):
    db = tmp_path / "s.db"
    out = run_with_fault(tmp_path, "levels", "record", "--db", str(db), "--device", "pulseox=nonin:sim",
                         "--duration", "4")
    assert out.returncode == 2, out.stderr
    assert "closed" not in out.stderr
    line = error_line(out.stderr)
    assert line.startswith("infusion-monitor: error: the recording of session 1 stopped (RuntimeError: injected "
                           "levels fault)") and "were kept in" in line
    assert '"message": "Recording stopped: RuntimeError: injected levels fault"' in out.stdout
    assert stored.rows(db, "SELECT state FROM sessions") == [("running",)]  # closed by the recovery file's import
    assert list(tmp_path.glob("s.db.recovery-*.json"))
