"""Starts the window: opens the database, the devices (or simulators), the session."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox

from devices.sim.runner import PtySimulator
from devices.spec import DeviceSpec
from monitor.cli import notice
from monitor.core import MonitorCore, SessionInfo
from monitor.recovery import import_pending
from monitor.schedule import Phase
from monitor.store import Store, StoreError
from ui.main_window import MainWindow
from ui.start_dialog import StartSessionDialog
from ui.sound import AlarmSound

DEMO_PLAN = SessionInfo(patient_id="DEMO-001", patient_name="Demo patient", weight_kg=70.0, dose_mg_per_kg=0.5,
                        infusion_min=40.0, bag_ml=100.0)


def start_simulators(protocol: str, scenario: str, speed: float) -> tuple[list[PtySimulator], list[DeviceSpec]]:
    """Start a simulated pulse oximeter (and NIBP module) on ptys; return them and their device specs."""
    sims = [PtySimulator(protocol, scenario, speed).start(), PtySimulator("suntech", scenario, speed).start()]
    specs = [DeviceSpec("pulseox", protocol, sims[0].path), DeviceSpec("nibp", "suntech", sims[1].path)]
    return sims, specs


def run_app(db: Path, specs: list[DeviceSpec], demo_protocol: str | None = None, scenario: str = "baseline",
            speed: float = 1.0) -> int:
    """Run the monitor window until it is closed; return the process exit code."""
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("infusion-monitor")
    sims: list[PtySimulator] = []
    try:
        store = Store(db)
        recovered = import_pending(store)
    except StoreError as exc:
        QMessageBox.critical(None, "infusion-monitor", f"The session database cannot be opened.\n\n{exc}")
        return 2
    if recovered:
        for line in recovered:
            notice(line)
        QMessageBox.information(None, "infusion-monitor", "\n\n".join(recovered))
    info = None
    if demo_protocol:
        try:
            sims, specs = start_simulators(demo_protocol, scenario, speed)
        except ValueError as exc:
            QMessageBox.critical(None, "infusion-monitor", str(exc))
            return 2
        info = DEMO_PLAN
    else:  # a real session starts with the patient, the plan and the checklist
        dialog = StartSessionDialog(store)
        if not dialog.exec():
            return 0
        info = dialog.session_info()
    core = MonitorCore(store, specs)
    core.start(info)
    window = MainWindow(core)
    window.simulators.extend(sims)
    sound = AlarmSound(core, window)
    window.resize(1280, 800)
    window.show()
    try:
        return app.exec()
    finally:
        sound.stop()
        discharged = core.clinical is not None and core.clinical.phase is Phase.CLOSED
        try:
            core.stop("discharged" if discharged else "closed")  # StoreError: the command says it in one line
        except StoreError as exc:
            QMessageBox.warning(None, "infusion-monitor", f"The end of the session is not in the database.\n\n{exc}")
            raise
        finally:
            for sim in window.simulators:
                sim.stop()
