"""The devices panel: a demo adds a simulated device (marked SIMULATED), a patient session offers none."""

from __future__ import annotations

import pytest

from devices.spec import DeviceSpec
from monitor.live.core import MonitorCore
from monitor.storage.store import Store
from ui.monitor.devices_panel import SIMULATOR, DevicesPanel


@pytest.mark.slow
def test_a_demo_adds_a_simulated_pulse_oximeter_marked_simulated(qtbot, tmp_path):
    core = MonitorCore(Store(tmp_path / "s.db"), [])
    core.start()
    try:
        panel = DevicesPanel(core, offer_simulator=True)
        qtbot.addWidget(panel)
        assert panel.table.rowCount() == 0
        panel.role.setCurrentText("pulseox")
        panel.protocol.setCurrentIndex(panel.protocol.findData("nonin"))
        panel.port.setCurrentText(SIMULATOR)
        panel.add()
        qtbot.waitUntil(lambda: panel.table.rowCount() == 1 and panel.table.item(0, 3).text() == "connected"
                        and int(panel.table.item(0, 5).text()) > 0, timeout=5000)
        assert panel.table.item(0, 1).text() == "nonin"
        qtbot.waitUntil(lambda: core.snapshot().primary("spo2") is not None, timeout=5000)
        assert len(core.snapshot(trends=False).sweeps["pulseox"].values) == 750  # 10 s at the Nonin's 75 Hz
        panel.add()  # a second oximeter is kept apart under its own source name
        qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=5000)
        qtbot.waitUntil(lambda: ("pulseox-2", "spo2") in core.snapshot().latest, timeout=5000)
        assert [v.source for v in core.snapshot().values_of("spo2")] == ["pulseox", "pulseox-2"]
        view = core.view()  # the simulators are marked on the tile and in the footer
        assert view.tile("spo2").simulated and "SIMULATED" in view.tile("spo2").others
        assert len(view.devices) == 2 and all("SIMULATED" in d.text for d in view.devices)
    finally:
        core.stop()


def test_a_patient_session_offers_no_simulator_and_refuses_one_typed_in(qtbot, tmp_path, monkeypatch):
    import ui.monitor.devices_panel as panel_module

    told = []
    monkeypatch.setattr(panel_module, "tell", lambda parent, title, text, warning=False: told.append(text))
    core = MonitorCore(Store(tmp_path / "s.db"), [])
    core.start()
    try:
        panel = DevicesPanel(core)
        qtbot.addWidget(panel)
        assert SIMULATOR not in [panel.port.itemText(i) for i in range(panel.port.count())]
        assert not panel.scenario.isVisibleTo(panel)
        panel.port.setEditText("sim:desat")
        panel.add()
        assert told and "a patient's session takes real devices only" in told[0]
        assert core.device_views() == []
    finally:
        core.stop()


def test_find_devices_lists_what_the_search_found_and_fills_the_form(qtbot, tmp_path, monkeypatch):
    from devices.probe import Found
    import ui.monitor.devices_panel as panel_module

    asked = {}

    def fake_find(progress=None, cancel=None, exclude=frozenset(), **_):
        asked["exclude"] = exclude
        progress(1, 2, "/dev/ttyUSB0: listening for nonin at 9600 8N1")
        return [Found("/dev/ttyUSB0", "intellivue", "Philips M8000", ("SpO2", "NIBP"), "pulseox")]

    monkeypatch.setattr(panel_module, "find_devices", fake_find)
    core = MonitorCore(Store(tmp_path / "s.db"), [DeviceSpec("nibp", "suntech", "sim")])
    core.start()
    try:
        panel = DevicesPanel(core)
        qtbot.addWidget(panel)
        panel.find.click()
        qtbot.waitUntil(lambda: panel.found.count() == 1, timeout=5000)
        assert asked["exclude"] == {"sim"}  # the ports the session uses are never opened by the search
        assert "Philips M8000 on /dev/ttyUSB0" in panel.found.item(0).text()
        assert panel.find.text() == "Find devices…" and "1 device(s) found" in panel.search.text()
        panel.found.itemClicked.emit(panel.found.item(0))
        assert (panel.role.currentText(), panel.protocol.currentData(), panel.port.currentText()) == \
            ("pulseox", "intellivue", "/dev/ttyUSB0")
    finally:
        core.stop()
