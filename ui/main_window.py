"""The bedside monitor window: alarm bar, pleth sweep, trends, vital tiles, NIBP, infusion.

A 30 Hz timer reads the core's snapshot and alarm view and paints; every button
calls a core method. Nothing clinical is decided here.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (QGridLayout, QHBoxLayout, QInputDialog, QLabel, QMainWindow, QMessageBox,
                               QPushButton, QVBoxLayout, QWidget)

from monitor import __version__
from monitor.alarms import Priority
from monitor.core import MonitorCore
from monitor.infusion import InfusionError, InfusionState
from monitor.live import Snapshot
from ui import theme
from devices.sim.runner import PtySimulator
from ui.alarm_bar import AlarmBar
from ui.bp_entry import BpEntryDialog
from ui.alarm_history import AlarmHistory, AlarmLog
from ui.devices_panel import DevicesPanel
from ui.clinical_panel import ClinicalPanel, install_marker_keys
from ui.infusion_panel import InfusionPanel
from ui.limits_dialog import LimitsDialog, make_clickable
from ui.plots import PlethSweep, TrendPlot
from ui.tiles import STALE_AFTER_S, Tile, age_text, value_text

FRAME_MS = 40  # 25 frames/s: smooth for a 10 s sweep, and cheap enough to leave the CPU to the devices
TREND_EVERY = 25  # frames between trend redraws (1 s at 25 frames/s)
NOTICE = ("infusion-monitor is not a certified medical device. It must not be the only means of "
          "monitoring a patient; follow your clinic's protocol and the bedside monitor's alarms.")
BP_GREY_AFTER_S = 15 * 60
BP_EXPIRED_AFTER_S = 60 * 60


class MainWindow(QMainWindow):
    """The monitor screen of one running session."""

    def __init__(self, core: MonitorCore, user: str = "nurse") -> None:
        super().__init__()
        self.core = core
        self.user = user
        self.simulators: list[PtySimulator] = []  # started from the devices panel; stopped with the app
        self.setWindowTitle(f"infusion-monitor — session {core.session_id}")
        self.setStyleSheet(f"QMainWindow, QWidget#central {{ background: {theme.BACKGROUND}; }}"
                           f"QLabel {{ color: {theme.TEXT}; }}"
                           "QPushButton { background: #2d333b; color: #f0f0f0; border: 1px solid #555;"
                           " border-radius: 4px; padding: 4px 10px; }"
                           "QPushButton:disabled { color: #666; border-color: #333; }"
                           "QPushButton:hover { background: #3b434d; }")
        self.alarm_bar = AlarmBar()
        self.alarm_bar.sigPause.connect(self.pause_audio)
        self.alarm_bar.sigAcknowledge.connect(self.acknowledge)
        self.pleth = PlethSweep()
        self.trend = TrendPlot()
        self.spo2 = Tile("SpO₂", "%", theme.SPO2)
        self.pulse = Tile("Pulse", "/min", theme.PULSE)
        self.nibp = Tile("NIBP", "mmHg", theme.NIBP, value_px=72)
        self.bp_now = QPushButton("BP now")
        self.bp_now.setFont(theme.font(18, bold=True))
        self.bp_now.setMinimumHeight(44)
        self.bp_now.clicked.connect(self.nibp_now)
        self.bp_abort = QPushButton("Abort BP (deflate)")
        self.bp_abort.setFont(theme.font(18, bold=True))
        self.bp_abort.setMinimumHeight(44)
        self.bp_abort.clicked.connect(self.core.nibp_abort)
        self.bp_enter = QPushButton("Enter BP…")
        self.bp_enter.setFont(theme.font(18, bold=True))
        self.bp_enter.setMinimumHeight(44)
        self.bp_enter.clicked.connect(self.enter_bp)
        self.infusion = InfusionPanel()
        self.infusion.sigAction.connect(self.infusion_action)
        if core.infusion is not None:
            self.infusion.show_plan(core.infusion.plan)
        else:
            self.infusion.hide()
        self.devices_label = QLabel("")
        self.devices_label.setFont(theme.font(15))
        self.devices_label.setStyleSheet(f"color: {theme.DIM};")
        self.central_label = QLabel("")  # replication to the clinic's central store, when there is one
        self.central_label.setFont(theme.font(15, bold=True))
        self.central_label.setVisible(core.central is not None)
        notice = QLabel("Not a certified medical device")
        notice.setFont(theme.font(15, bold=True))
        notice.setStyleSheet("color: #ffb347;")

        tiles = QGridLayout()
        tiles.addWidget(self.spo2, 0, 0)
        tiles.addWidget(self.pulse, 0, 1)
        nibp_box = QVBoxLayout()
        nibp_box.addWidget(self.nibp)
        bp_buttons = QHBoxLayout()
        bp_buttons.addWidget(self.bp_now)
        bp_buttons.addWidget(self.bp_abort)
        bp_buttons.addWidget(self.bp_enter)
        nibp_box.addLayout(bp_buttons)
        tiles.addLayout(nibp_box, 1, 0, 1, 2)
        tiles.addWidget(self.infusion, 2, 0, 1, 2)
        self.clinical = ClinicalPanel(core, user) if core.clinical is not None else None
        if self.clinical is not None:
            self._marker_keys = install_marker_keys(self, self.clinical)  # 1-9 mark at once, 0 asks for a note
        plots = QVBoxLayout()
        plots.addWidget(self.pleth, 2)
        plots.addWidget(self.trend, 3)
        if self.clinical is not None:  # under the plots: the tile column is full at 1280x800
            plots.addWidget(self.clinical)
        body = QHBoxLayout()
        body.addLayout(plots, 5)
        body.addLayout(tiles, 4)
        footer = QHBoxLayout()
        footer.addWidget(self.devices_label, 1)
        footer.addWidget(self.central_label)
        footer.addWidget(notice)
        root = QVBoxLayout()
        root.setContentsMargins(6, 6, 6, 6)
        root.addWidget(self.alarm_bar)
        root.addLayout(body, 1)
        root.addLayout(footer)
        central = QWidget()
        central.setObjectName("central")
        central.setLayout(root)
        self.setCentralWidget(central)
        self._menu()
        self.alarm_log = AlarmLog(core)  # from now on every alarm event is kept for the history
        self._limits_dialog: LimitsDialog | None = None
        self._history_dialog: AlarmHistory | None = None
        for tile, param in ((self.spo2, "spo2"), (self.pulse, "pulse_rate"), (self.nibp, "sbp")):
            make_clickable(tile.limits, lambda p=param: self.show_limits(p), "Click to change the alarm limits")
        for button in self.findChildren(QPushButton):  # Space belongs to "pause sound", never to a focused button
            button.setFocusPolicy(Qt.NoFocus)
        QShortcut(QKeySequence(Qt.Key_Space), self, activated=self.pause_audio)
        self._frame = 0
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(FRAME_MS)
        self.refresh()

    def _menu(self) -> None:
        devices = QAction("Devices…", self)
        devices.triggered.connect(self.show_devices)
        self.menuBar().addMenu("&Devices").addAction(devices)
        alarms = self.menuBar().addMenu("&Alarms")
        alarms.addAction("Alarm limits…", lambda: self.show_limits("spo2"))
        alarms.addAction("Alarm history…", self.show_history)
        about = QAction("About infusion-monitor", self)
        about.triggered.connect(self.about)
        self.menuBar().addMenu("&Help").addAction(about)

    # --- painting -------------------------------------------------------------------------

    def refresh(self) -> None:
        """Paint one frame from the core's state (called by the 30 Hz timer)."""
        trend_frame = self._frame % TREND_EVERY == 0
        snap = self.core.snapshot(trends=trend_frame)
        view = self.core.alarm_view()
        self.alarm_bar.show_view(view, int(time.monotonic() * 1000))
        self.pleth.show_snapshot(snap)
        if trend_frame:
            self.trend.show_snapshot(snap)
            self.trend.show_events(self.core.timeline_events())
            self._show_devices()
            self._show_central()
        self._frame += 1
        self._show_vital(self.spo2, snap, "spo2", "spo2")
        self._show_vital(self.pulse, snap, "pulse_rate", "pulse_rate")
        self._show_nibp(snap)
        status = self.core.infusion_status()
        if status is not None and self.core.infusion is not None:
            self.infusion.show_status(status, self.core.infusion.plan.weight_kg)

    def _show_vital(self, tile: Tile, snap: Snapshot, param: str, alarm_param: str) -> None:
        with self.core.lock:
            limits = self.core.alarms.limits(param)
            alarm = self.core.alarms.priority_of(alarm_param)
        if limits is not None:
            tile.set_limits(limits.medium_low, limits.medium_high)
        latest = snap.primary(param)
        if latest is None:
            tile.show_state("---", "waiting for data", None, stale=False)
            return
        blocked = snap.blocked(latest.source)
        if blocked:
            tile.show_state("---", blocked.capitalize(), alarm, stale=True)
            return
        age = time.monotonic() - latest.mono
        if age > STALE_AFTER_S:
            tile.show_state(value_text(latest.value), f"last value, {age_text(age)}", alarm, stale=True)
            return
        note = ("questionable (motion)" if {"questionable", "artifact"} & latest.flags
                else "low perfusion" if "low_perfusion" in latest.flags else "")
        tile.show_state(value_text(latest.value), note, alarm, stale=False)

    def _show_nibp(self, snap: Snapshot) -> None:
        self.bp_now.setVisible(self.core.nibp_reader("nibp_start") is not None)
        self.bp_abort.setVisible(self.core.nibp_reader("nibp_abort") is not None)
        with self.core.lock:
            alarm = max(filter(None, (self.core.alarms.priority_of(p) for p in ("sbp", "dbp", "map"))), default=None)
        cuff = snap.primary("cuff_pressure")
        if cuff is not None and time.monotonic() - cuff.mono < 3 and cuff.value:
            self.nibp.show_state(f"{cuff.value:.0f}", "cuff inflating / measuring", None, stale=False)
            return
        state = snap.latest_nibp()
        if state is None:
            self.nibp.show_state("---/---", "no measurement yet", alarm, stale=False)
            return
        result = state.last
        age = time.monotonic() - state.last_mono
        if result.error:
            self.nibp.show_state("---/---", f"Failed: {result.error} ({age_text(age)})", alarm, stale=True)
        elif age > BP_EXPIRED_AFTER_S:
            self.nibp.show_state("---/---", f"last BP {age_text(age)}: take a new one", alarm, stale=True)
        else:
            text = f"{value_text(result.sbp)}/{value_text(result.dbp)}"
            mean = f"MAP {value_text(result.map)}   " if result.map is not None else ""
            self.nibp.show_state(text, f"{mean}{age_text(age)}", alarm, stale=age > BP_GREY_AFTER_S)

    def _show_devices(self) -> None:
        parts = []
        for d in self.core.device_views():
            age = "" if d.last_data_age_s is None or d.state == "connected" else f", last data {age_text(d.last_data_age_s)}"
            parts.append(f"{d.role}: {d.protocol} on {d.port} — {d.state}{age}")
        self.devices_label.setText("   |   ".join(parts) or "no devices")

    def _show_central(self) -> None:
        state = self.core.central_state()
        if state is None:
            return
        now = time.time()
        self.central_label.setText(state.text(now))
        colour = theme.DIM if state.healthy(now) else theme.ALARM_BG[Priority.LOW]
        self.central_label.setStyleSheet(f"color: {colour};")

    # --- commands ----------------------------------------------------------------------------

    def pause_audio(self) -> None:
        self.core.pause_audio(self.user)

    def acknowledge(self) -> None:
        self.core.acknowledge(self.user)

    def enter_bp(self) -> None:
        dialog = BpEntryDialog(self)
        if not dialog.exec():
            return
        try:
            self.core.enter_bp(*dialog.values(), user=self.user)
        except ValueError as exc:
            QMessageBox.warning(self, "Blood pressure", str(exc))

    def nibp_now(self) -> None:
        if self.core.clinical is not None:
            self.core.clinical.bp_now(self.user)  # journaled; the schedule waits for this reading
        self.core.nibp_now()

    def infusion_action(self, action: str) -> None:
        reason, rate = "", None
        if action in ("pause", "stop"):
            reason, ok = QInputDialog.getText(self, "Reason", f"Why {'pause' if action == 'pause' else 'stop early'}?")
            if not ok:
                return
        if action == "rate":
            status = self.core.infusion_status()
            current = status.current_rate_ml_per_h if status else 0.0
            rate, ok = QInputDialog.getDouble(self, "Change rate", "New pump rate (mL/h):", current, 1.0, 2000.0, 1)
            if not ok:
                return
            reason, ok = QInputDialog.getText(self, "Reason", "Why change the rate?")
            if not ok:
                return
        try:
            confirmed = action == "start" and self.core.clinical is not None and self.core.clinical.soft_limits_confirmed
            self.core.infusion_action(action, user=self.user, reason=reason.strip(), rate_ml_per_h=rate,
                                      confirm_soft_limits=confirmed)  # only what the start dialog recorded
        except (InfusionError, ValueError) as exc:
            QMessageBox.warning(self, "Infusion", str(exc))

    def show_devices(self) -> None:
        DevicesPanel(self.core, self.simulators, self).exec()

    def show_limits(self, param: str) -> None:
        """Open the limits dialog of param (non-modal: the alarm bar stays usable)."""
        dialog = self._limits_dialog
        if dialog is None:
            dialog = self._limits_dialog = LimitsDialog(self.core, param, self.user, self)
        dialog.open_for(param)
        dialog.show()
        dialog.raise_()

    def show_history(self) -> None:
        """Open (or raise) the alarm history (non-modal)."""
        dialog = self._history_dialog
        if dialog is None:
            dialog = self._history_dialog = AlarmHistory(self.alarm_log, self)
        dialog.show()
        dialog.raise_()

    def about(self) -> None:
        QMessageBox.about(self, "About infusion-monitor", f"infusion-monitor {__version__}\n\n{NOTICE}")

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        status = self.core.infusion_status()
        running = status is not None and status.state in (InfusionState.RUNNING, InfusionState.PAUSED)
        if running and not self._confirm_close():
            event.ignore()  # a stray click must not end monitoring in the middle of an infusion
            return
        self.timer.stop()
        super().closeEvent(event)

    def _confirm_close(self) -> bool:
        answer = QMessageBox.question(
            self, "Close the monitor?",
            "The infusion is still running. Closing stops monitoring and alarms for this patient "
            "and closes the session.\n\nClose anyway?", QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
        return answer == QMessageBox.Yes
