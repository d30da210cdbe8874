"""What the chair shows of replication: the indicator's words, the LOW technical alarm, the window's label."""

from __future__ import annotations

import time

import pytest

from monitor.alarms import Priority
from monitor.central.link import ChairSettings
from monitor.central.replicator import ReplicationState, Replicator
from monitor.live.core import MonitorCore
from monitor.timefmt import duration_text
from monitor.storage.store import Store
from stored import rows


def test_indicator_words():
    now = 10_000.0
    assert ReplicationState("connecting", "x").text(now) == "central: connecting"
    assert ReplicationState("ok", "x", caught_up_t=now - 1).text(now) == "central: ok"
    assert ReplicationState("ok", "x", caught_up_t=now - 180).text(now) == "central: 3 min behind"
    down = ReplicationState("unreachable", "x", failing_since=now - 240, detail="Connection refused")
    assert down.text(now) == "central: unreachable for 4 min"
    assert not down.healthy(now)
    refused = ReplicationState("refused", "x", failing_since=now - 5, detail="run central init")
    assert refused.text(now) == "central: refused (run central init)"


def test_the_alarm_waits_for_the_set_time_then_says_how_long():
    now = 10_000.0
    state = ReplicationState("unreachable", "x", failing_since=now - 299)
    assert state.alarm(now, after_s=300) is None
    message = state.alarm(now + 61, after_s=300)
    assert message == "Central store unreachable for 6 min"
    refused = ReplicationState("refused", "x", failing_since=now - 400, detail="run central init")
    assert refused.alarm(now, after_s=300).startswith("Central store refuses this chair's data")
    assert ReplicationState("ok", "x", caught_up_t=now).alarm(now, 0) is None


@pytest.mark.parametrize("seconds, text", [(5, "5 s"), (89, "89 s"), (600, "10 min"), (7500, "2 h 05 min")])
def test_duration_text(seconds, text):
    assert duration_text(seconds) == text


class FakeReplicator:
    """Stands in for the replication thread: its alarm message is set by the test."""

    def __init__(self) -> None:
        self.message: str | None = None
        self.started = self.stopped = False

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True

    def alarm_message(self) -> str | None:
        return self.message

    def state(self) -> ReplicationState:
        return ReplicationState("unreachable", "x", failing_since=time.time() - 400)


def wait(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_core_raises_a_low_technical_alarm_and_clears_it(tmp_path):
    fake = FakeReplicator()
    core = MonitorCore(Store(tmp_path / "s.db"), [], central=fake)
    core.start()
    try:
        assert fake.started
        fake.message = "Central store unreachable for 5 min"
        wait(lambda: any(a.condition == "central" for a in core.alarm_view().active))
        alarm = next(a for a in core.alarm_view().active if a.condition == "central")
        assert alarm.priority is Priority.LOW and alarm.message == fake.message
        fake.message = "Central store unreachable for 6 min"
        wait(lambda: next(a for a in core.alarm_view().active if a.condition == "central").message == fake.message)
        fake.message = None
        wait(lambda: not any(a.condition == "central" for a in core.alarm_view().active))
    finally:
        core.stop()
    assert fake.stopped
    events = [r[0] for r in rows(core.store.path, "SELECT event FROM alarms WHERE condition = 'central' ORDER BY t")]
    assert events == ["raised", "cleared"]  # the message's minutes update in place, not as new events


def test_an_unreachable_store_shows_as_failing_until_the_alarm_time(tmp_path):
    pytest.importorskip("psycopg")
    store = Store(tmp_path / "s.db")
    rep = Replicator(store.path, ChairSettings("postgresql://nobody@127.0.0.1:1/none", "chair-x", alarm_after_s=600))
    rep.start()
    wait(lambda: rep.state().status == "unreachable", timeout=15)
    rep.stop()
    assert rep.alarm_message() is None  # not yet: the set time has not passed
    assert rep.state().text(time.time()).startswith("central: unreachable for")


def test_the_window_shows_the_replication_state(qtbot, tmp_path):
    from ui.monitor.main_window import MainWindow

    core = MonitorCore(Store(tmp_path / "s.db"), [], central=FakeReplicator())
    core.start()
    try:
        window = MainWindow(core)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.central.full_text().startswith("central: unreachable for"))
        assert window.central.property("role") == "warning"  # set apart from the dim footer
        window.close()
    finally:
        core.stop()
