"""The monitor window on a simulated device (pty, real bytes): values appear and change, alarms show."""

from __future__ import annotations

import pytest

from devices.sim.runner import PtySimulator
from devices.spec import DeviceSpec
from monitor.alarms import Priority
import stored
from monitor.live.core import MonitorCore
from monitor.storage.store import Store
from ui.monitor.main_window import MainWindow
from ui import theme


@pytest.fixture
def running(tmp_path):
    made = []

    def start(protocol="cms50dplus", scenario="baseline", speed=1.0):
        sim = PtySimulator(protocol, scenario, speed=speed).start()
        core = MonitorCore(Store(tmp_path / "s.db"), [DeviceSpec("pulseox", protocol, sim.path)])
        core.start()
        made.append((sim, core))
        return core

    yield start
    for sim, core in made:
        core.stop()
        sim.stop()


@pytest.mark.slow
def test_window_shows_live_values_that_change(qtbot, running):
    core = running(speed=4.0)
    window = MainWindow(core)
    qtbot.addWidget(window)
    window.show()
    spo2, pulse = (lambda: window.tiles["spo2"].value.text()), (lambda: window.tiles["pulse_rate"].value.text())
    qtbot.waitUntil(lambda: spo2().isdigit() and pulse().isdigit(), timeout=5000)
    seen = {pulse()}
    qtbot.waitUntil(lambda: seen.add(pulse()) or len(seen) > 1, timeout=15000)
    assert 55 <= int(pulse()) <= 95
    qtbot.waitUntil(lambda: window.devices.full_text() == "Pulse oximeter ✓", timeout=30000)  # steady for 10 s


@pytest.mark.slow
def test_probe_off_shows_dashes_not_a_stale_number(qtbot, running):
    core = running(scenario="probe-off", speed=4.0)  # finger out from 40 s scenario time = 10 s here
    window = MainWindow(core)
    qtbot.addWidget(window)
    tile = lambda: window.tiles["spo2"]  # noqa: E731
    qtbot.waitUntil(lambda: tile().value.text().isdigit(), timeout=5000)
    qtbot.waitUntil(lambda: tile().value.text() == "---", timeout=15000)
    assert tile().note.full_text() == "Probe off"
    qtbot.waitUntil(lambda: "Pulse oximeter: probe off" in window.alarm_bar.technical.headline.full_text(), timeout=5000)
    assert window.pleth.message.textItem.toPlainText() == "no signal: probe off"  # never a frozen wave


def test_alarm_bar_follows_the_engine_and_space_pauses_sound(qtbot, tmp_path):
    core = MonitorCore(Store(tmp_path / "s.db"), [])
    core.start()
    try:
        window = MainWindow(core)
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        window.activateWindow()
        qtbot.waitExposed(window)
        technical = window.alarm_bar.technical
        assert technical.headline.full_text() == "Equipment OK"
        core.raise_technical("recording", Priority.HIGH, "Recording stopped: disk full")
        qtbot.waitUntil(lambda: "Recording stopped" in technical.headline.full_text(), timeout=2000)
        assert technical.headline.full_text().startswith("!!!")
        assert window.alarm_bar.physio.headline.full_text() == "No physiological alarm"  # a field of its own
        qtbot.waitUntil(lambda: theme.ALARM_BG[Priority.HIGH] in technical.styleSheet(), timeout=2000)
        window.infusion.buttons["start"].setFocus()  # Space must pause sound even here, never press a button
        qtbot.keyClick(window.focusWidget() or window, " ")
        qtbot.waitUntil(lambda: "Sound paused" in window.alarm_bar.pause_button.text(), timeout=2000)
        assert window.alarm_bar.audio.state == "paused"
        core.clear_technical("recording")
        qtbot.waitUntil(lambda: technical.headline.full_text() == "Equipment OK", timeout=2000)
    finally:
        core.stop()


def test_a_manually_entered_bp_is_shown_stored_and_alarmed(qtbot, tmp_path, monkeypatch):
    from ui.monitor.bp_entry import BpEntryDialog

    core = MonitorCore(Store(tmp_path / "s.db"), [])
    sid = core.start()
    try:
        window = MainWindow(core)
        qtbot.addWidget(window)

        def fake_exec(dialog):
            dialog.sbp.setValue(186)
            dialog.dbp.setValue(104)
            return True

        monkeypatch.setattr(BpEntryDialog, "exec", fake_exec)
        window.bp_enter.click()
        qtbot.waitUntil(lambda: window.nibp.value.text() == "186/104", timeout=3000)
        assert window.nibp.source.full_text() == "manual" and "entered by hand" in window.nibp.when.full_text()
        qtbot.waitUntil(lambda: any(a.param == "sbp" and a.priority is Priority.HIGH
                                    for a in core.alarm_view().active), timeout=3000)
        warnings = []
        monkeypatch.setattr("ui.monitor.main_window.tell", lambda parent, title, text, warning=False: warnings.append(text))
        monkeypatch.setattr(BpEntryDialog, "exec", lambda d: (d.sbp.setValue(80), d.dbp.setValue(90), True)[-1])
        window.bp_enter.click()
        assert warnings and "below systolic" in warnings[0]
    finally:
        core.stop()
    rows = stored.numerics(tmp_path / "s.db", sid)
    assert ("sbp", 186.0, "manual") in rows and ("dbp", 104.0, "manual") in rows


def test_infusion_steps_and_markers_appear_on_the_live_trend(qtbot, tmp_path):
    from monitor.live.core import SessionInfo

    core = MonitorCore(Store(tmp_path / "s.db"), [])
    core.start(SessionInfo(patient_id="P1", weight_kg=70, dose_mg_per_kg=0.5, infusion_min=40))
    try:
        window = MainWindow(core)
        qtbot.addWidget(window)
        core.infusion_action("start", user="AB")
        core.clinical.mark("3", user="AB")
        qtbot.waitUntil(lambda: [text for _, text in window.trend._events] == ["infusion started", "Dizziness"],
                        timeout=3000)
        assert len(window.trend._lines) == 4  # a line in each band
    finally:
        core.stop()


@pytest.mark.close_prompt
def test_closing_during_a_running_infusion_asks_first(qtbot, tmp_path, monkeypatch):
    from monitor.live.core import SessionInfo

    core = MonitorCore(Store(tmp_path / "s.db"), [])
    core.start(SessionInfo(patient_id="P1", weight_kg=70, dose_mg_per_kg=0.5, infusion_min=40))
    try:
        window = MainWindow(core)
        qtbot.addWidget(window)
        window.show()
        core.infusion_action("start", user="AB")
        answers = [False, True]
        monkeypatch.setattr("ui.monitor.main_window.confirm", lambda *a: answers.pop(0))
        window.close()
        assert window.isVisible()  # "No": monitoring goes on
        window.close()
        assert not window.isVisible() and not answers
    finally:
        core.stop()


def test_the_trend_words_grow_with_the_window(qtbot, tmp_path):
    core = MonitorCore(Store(tmp_path / "s.db"), [])
    core.start()
    try:
        window = MainWindow(core)
        qtbot.addWidget(window)
        tick_px = lambda: window.trend.vitals.getAxis("bottom").style["tickFont"].pixelSize()  # noqa: E731
        window.resize(1280, 700)
        window.show()
        qtbot.waitExposed(window)
        small = tick_px()
        window.resize(1920, 1080)
        qtbot.waitUntil(lambda: tick_px() > small, timeout=3000)
        assert tick_px() >= small * 1.4  # 1920x1080 is the design size x1.5
        qtbot.waitUntil(lambda: window.trend.vitals.getAxis("left").width() >= 56, timeout=3000)  # numbers fit
    finally:
        core.stop()
