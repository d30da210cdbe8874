"""Starts the window: opens the database, the devices (or simulators), the session.

The first window a nurse sees (the demo's "Who is at the monitor?", `run`'s Start dialog) is shown
once the database is checked and opened, but before the core, the monitor window, pyqtgraph, numpy,
the sound and the other command's dialog are loaded: those are imported in run_app when they are
needed, so the first window comes within x2 of a bare Qt window (bench/first_window.py).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication, QMessageBox

from monitor.app import notice, replicator_for
from monitor.live.session_info import SessionInfo
from monitor.storage.recovery import import_pending
from monitor.storage.store import Store, StoreError
from ui import theme

if TYPE_CHECKING:
    from devices.spec import DeviceSpec
    from monitor.central.link import ChairSettings

DEMO_PLAN = SessionInfo(patient_id="DEMO-001", patient_name="Demo patient", weight_kg=70.0, dose_mg_per_kg=0.5,
                        infusion_min=40.0, bag_ml=100.0)


def demo_devices(protocol: str, scenario: str, speed: float) -> list[DeviceSpec]:
    """Return the device specs of a simulated pulse oximeter and NIBP module for the demo.

    They are in-process simulated ports (devices.sim.port), not pseudo-terminals, so the demo runs on every OS;
    the device starts when the reader opens its port. ValueError names an unknown protocol, scenario or speed.
    """
    from devices.sim.port import sim_port
    from devices.spec import DeviceSpec

    port = sim_port(scenario, speed)
    return [DeviceSpec.parse(f"pulseox={protocol}:{port}"), DeviceSpec.parse(f"nibp=suntech:{port}")]


class ReviewOpener:
    """What the monitor's "Review sessions…" does: open the review station on this database (read-only, it
    never blocks the recording). The review station is imported only then, so the monitor starts without it."""

    def __init__(self, db: Path | str) -> None:
        self.db = db
        self.window = None  # the review window last opened, kept alive while it is shown

    def __call__(self) -> None:
        from ui.review.window import ReviewWindow

        self.window = ReviewWindow.for_database(self.db)
        self.window.resize(1500, 900)
        self.window.show()


def run_app(db: Path, specs: list[DeviceSpec], demo_protocol: str | None = None, scenario: str = "baseline",
            speed: float = 1.0, central: ChairSettings | None = None) -> int:
    """Run the monitor window until it is closed; return the process exit code.

    central, if given, also replicates the database to the clinic's central store.
    """
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("infusion-monitor")
    theme.apply(app)
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
    outcomes = ""
    flag_lookup = None  # with a central store, the patient's flags at other chairs, asked once for dialog and core
    if central is not None:
        from monitor.central.flags import CentralFlagLookup

        flag_lookup = CentralFlagLookup(central)
    if demo_protocol:
        from ui.dialogs import UserDialog

        who = UserDialog()
        if not who.exec():
            return 0
        try:
            specs = demo_devices(demo_protocol, scenario, speed)
        except ValueError as exc:
            QMessageBox.critical(None, "infusion-monitor", str(exc))
            return 2
        info, operator = DEMO_PLAN, who.user()
    else:  # a real session starts with the user, the patient, the plan and the checklist
        from monitor.storage.chair_patients import ChairPatients
        from ui.monitor.start_dialog import StartSessionDialog

        dialog = StartSessionDialog(ChairPatients(store, flag_lookup))
        if not dialog.exec():
            return 0
        info, operator, outcomes = dialog.session_info(), dialog.operator(), dialog.outcomes_mode()
    # answered: now the monitor itself (the first window is on screen without any of this)
    from monitor.clinical.schedule import Phase
    from monitor.clinical.signing import Signing
    from monitor.live.core import MonitorCore
    from monitor.paths import staff_file
    from ui.monitor.main_window import MainWindow
    from ui.signing import who_takes_over
    from ui.sound import AlarmSound

    core = MonitorCore(store, specs, central=replicator_for(central, store), signing=Signing.load(staff_file()),
                       flag_lookup=flag_lookup)
    operator = who_takes_over(None, core, operator)  # with a staff list, the first user signs with their PIN
    if operator is None:
        return 0
    core.start(info, operator=operator)
    window = MainWindow(core, open_review=ReviewOpener(core.database_path), demo=bool(demo_protocol))
    sound = AlarmSound(core, window)
    screen = app.primaryScreen().availableGeometry() if app.primaryScreen() else None
    if screen is not None and (screen.width() < 1400 or screen.height() < 800):
        window.showMaximized()  # a clinic laptop: every pixel for the monitor
    else:
        window.resize(1366 if screen is None else min(1600, screen.width()), 768 if screen is None
                      else min(900, screen.height()))
        window.show()
    if outcomes and window.clinical is not None:
        window.clinical.open_outcomes(outcomes)
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
