"""The core loop keeps its consumers apart: a failing live state, session or alarm listener never keeps the
alarm engine (or the other listeners) from an item, and listeners are called on the core thread only."""

from __future__ import annotations

import threading
import time

import pytest

from monitor.alarms import Priority
from monitor.live.core import MonitorCore
from monitor.storage.store import Store


@pytest.fixture
def core(tmp_path):
    c = MonitorCore(Store(tmp_path / "s.db"), [])
    seen: list[tuple[str, str, str]] = []  # (kind, condition, thread name)
    c.on_alarm_event(lambda e: seen.append((e.kind.value, e.condition, threading.current_thread().name)))
    c.seen = seen
    c.start()
    yield c
    c.stop()


def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.02)
    assert predicate()


def raised(core, prefix: str) -> bool:
    return any(kind == "raised" and condition.startswith(prefix) for kind, condition, _ in core.seen)


def broken(*args, **kwargs):
    raise RuntimeError("a bug")


@pytest.mark.parametrize("consumer", ["live", "session"])
def test_a_failing_live_state_or_session_never_skips_alarm_evaluation(core, monkeypatch, consumer):
    if consumer == "live":
        monkeypatch.setattr(core.live, "update", broken)
    else:
        monkeypatch.setattr(core.clinical, "on_item", broken)
    core.enter_bp(sbp=230.0, dbp=100.0)  # far above the high SBP limit: alarms at once
    wait_for(lambda: raised(core, "sbp"))
    wait_for(lambda: any(a.condition == "internal" and a.priority is Priority.HIGH for a in core.alarm_view().active))


def test_a_failing_listener_never_keeps_the_others_from_an_event(tmp_path):
    c = MonitorCore(Store(tmp_path / "s.db"), [])
    after: list[str] = []
    c.on_alarm_event(broken)
    c.on_alarm_event(lambda e: after.append(e.condition))
    c.start()
    try:
        c.enter_bp(sbp=230.0, dbp=100.0)
        wait_for(lambda: any(x.startswith("sbp") for x in after))
        wait_for(lambda: "internal" in after)  # said once, loudly
        time.sleep(0.3)
        assert after.count("internal") == 1
    finally:
        c.stop()


def test_listeners_are_called_on_the_core_thread_whoever_raises_the_event(core):
    core.raise_technical("test", Priority.LOW, "raised by the caller's thread")
    core.acknowledge("AB")
    core.recorder.on_failure("database is locked")  # as the recorder thread reports a failed write
    wait_for(lambda: raised(core, "test") and raised(core, "recording"))
    assert {thread for _, _, thread in core.seen} == {"core"}
