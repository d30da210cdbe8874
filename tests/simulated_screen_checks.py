"""A simulator never passes for a patient's device, on a real display at 1366 x 768, driven by clicks: the demo's
window marks its simulated devices' tiles and footer SIMULATED; a patient session's devices panel (opened from the
footer) offers no simulator in its port list.

Run by tests/ui/test_simulated_screens.py on Xvfb with QT_QPA_PLATFORM=xcb; pictures go to $SCREEN_SHOTS_DIR when set.
"""

from __future__ import annotations

import truth_screen_checks as truth
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication

from devices.spec import DeviceSpec
from monitor.live.core import MonitorCore
from monitor.storage.store import Store
from ui import gallery
from ui.app import DEMO_PLAN
from ui.monitor.devices_panel import SIMULATOR, DevicesPanel
from ui.monitor.main_window import MainWindow

SCREEN = (1366, 768)
app, shots = truth.app, truth.shots  # the fixtures: the dark desktop, where the pictures go


def test_the_demo_marks_its_simulated_tiles_and_footer(app, qtbot, tmp_path, shots):
    core = MonitorCore(Store(tmp_path / "demo.db"), [DeviceSpec.parse("pulseox=cms50dplus:sim:baseline"),
                                                      DeviceSpec.parse("nibp=suntech:sim:baseline")])
    core.start(DEMO_PLAN, operator="TC")
    window = MainWindow(core, demo=True)
    qtbot.addWidget(window)
    try:
        gallery.shown(window, SCREEN)
        qtbot.mouseClick(window.bp_now, Qt.LeftButton)  # the simulated NIBP module measures
        qtbot.waitUntil(lambda: core.view().tile("spo2").look == "live" and core.view().nibp.look == "live",
                        timeout=90000)
        window.refresh()
        gallery.settle(300)
        gallery.grab(window, shots / "simulated-demo-1366x768.png")
        for param in ("spo2", "pulse_rate"):
            badge = window.tiles[param].source
            assert badge.isVisible() and badge.full_text() == "SIMULATED" and badge.property("role") == "simulated"
        assert window.nibp.source.full_text() == "SIMULATED"
        footer = window.devices.full_text()
        assert "Pulse oximeter SIMULATED" in footer and footer.count("SIMULATED") == 2, footer
    finally:
        window.close()
        core.stop()


def test_a_patient_sessions_devices_panel_offers_no_simulator(app, qtbot, tmp_path, shots):
    core = MonitorCore(Store(tmp_path / "run.db"), [DeviceSpec.parse("pulseox=nonin:/dev/ttyUSB97")])
    core.start(DEMO_PLAN, operator="TC")
    window = MainWindow(core)  # `run`: not a demo
    qtbot.addWidget(window)
    seen: dict[str, object] = {}

    def look_and_close() -> None:
        panel = QApplication.activeModalWidget()
        assert isinstance(panel, DevicesPanel)
        arrow = QPoint(panel.port.width() - 12, panel.port.height() // 2)
        qtbot.mouseClick(panel.port, Qt.LeftButton, pos=arrow)  # open the port list, as a nurse would
        gallery.settle(300)
        seen["popup"] = panel.port.view().isVisible()
        gallery.grab(panel, shots / "simulated-run-devices-panel-1366x768.png")
        seen["ports"] = [panel.port.itemText(i) for i in range(panel.port.count())]
        seen["scenario"] = panel.scenario.isVisibleTo(panel)
        seen["texts"] = " ".join(w.text() for w in panel.findChildren(type(panel.search)))
        panel.port.hidePopup()
        panel.close()

    try:
        gallery.shown(window, SCREEN)
        QTimer.singleShot(500, look_and_close)
        window.show_devices()  # modal until look_and_close closes it
        assert seen["popup"] and seen["ports"] and SIMULATOR not in seen["ports"] and not seen["scenario"]
        assert "Simulator" not in seen["texts"]
    finally:
        window.close()
        core.stop()
