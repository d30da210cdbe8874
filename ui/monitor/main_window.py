"""The bedside monitor window: header, alarm area, pleth, trends, tiles, NIBP, infusion, clinical panel.

A timer reads one immutable ScreenView from the core per frame (core.view())
and paints it; every button calls a core command with the user at the
monitor. Nothing clinical is decided here and the core's lock is never taken.
The layout is fixed: the alarm area has a fixed height and every text field
elides, so nothing moves or grows when alarms come and go. The window fits
1280 x 720 and 1366 x 700 and scales its fonts up to use a 1920 x 1080 screen.
Below COMPACT_BELOW px high (a 1024 x 600 screen) it takes a compact layout
instead of cutting anything off: a lower alarm area, the pleth above the tiles,
the infusion panel above the events, and the trend on a page of its own that
the button *Trend* beside *Undo* opens (*◂ Events* comes back), so every alarm,
the infusion's commands, the event list and the footer stay on the screen.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QBoxLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from monitor import __version__
from monitor.clinical.infusion import InfusionError, InfusionState
from monitor.clinical.signing import Action
from monitor.live.core import MonitorCore
from monitor.live.view import ScreenView
from ui import theme
from ui.dialogs import RateDialog, ask_text, confirm, confirm_items, tell
from ui.monitor.alarm_bar import AlarmBar
from ui.monitor.alarm_history import AlarmHistory, AlarmLog
from ui.monitor.bp_entry import BpEntryDialog
from ui.monitor.clinical_panel import ClinicalPanel, install_marker_keys
from ui.monitor.devices_panel import DevicesPanel
from ui.monitor.header import Header
from ui.monitor.infusion_panel import InfusionPanel
from ui.monitor.limits_dialog import LimitsDialog
from ui.monitor.plots import PlethSweep, TrendPanel
from ui.monitor.staff_dialog import manage_staff
from ui.monitor.tiles import NibpTile, Tile
from ui.signing import signed_by, who_takes_over
from ui.widgets import ClickableFrame, ElidedLabel, ShrinkLabel, StatusRow, button, fit_together

FRAME_MS = 40  # 25 frames/s: smooth for a 10 s sweep, and cheap enough to leave the CPU to the devices
TREND_EVERY = 25  # frames between trend redraws (1 s at 25 frames/s)
NOTICE = ("infusion-monitor is not a certified medical device. It must not be the only means of "
          "monitoring a patient; follow your clinic's protocol and the bedside monitor's alarms.")
#: The layout's design size; fonts scale up from it on bigger windows (never down).
DESIGN = (1280, 700)
MAX_SCALE = 1.6
#: The smallest the window can be made; the layout at font scale 1 fits in it (tests/screen_checks.py).
MINIMUM = (1024, 560)
#: Less high than this (px), the window takes its compact layout (a 1024 x 600 screen less a title bar).
COMPACT_BELOW = 660


class MainWindow(QMainWindow):
    """The monitor screen of one running session."""

    def __init__(self, core: MonitorCore, open_review: Callable[[], None] | None = None, demo: bool = False) -> None:
        """open_review opens the review station (given by the app, which wires the windows together): the
        monitor never imports the review station, so the chair starts and runs without it. demo: a demo session,
        the only one whose devices panel offers a simulator."""
        super().__init__()
        self.core = core
        self.open_review = open_review
        self.demo = demo
        self.setWindowTitle(f"infusion-monitor — session {core.session_id}")
        self.menu = QMenu(self)
        self.header = Header(self.menu)
        self.header.user.clicked.connect(self.switch_user)
        self.alarm_bar = AlarmBar()
        self.alarm_bar.sigPause.connect(self.pause_audio)
        self.alarm_bar.sigAcknowledge.connect(self.acknowledge)
        self.alarm_bar.sigHistory.connect(self.show_history)
        self.pleth = PlethSweep()
        self.trend = TrendPanel(tz=core.tz)  # times of day in the session's zone
        self.trend.sigSpan.connect(lambda _name: self._paint(self.core.view(trends=True)))
        self.tiles: dict[str, Tile] = {}
        self.tile_row = QHBoxLayout()
        self.tile_row.setSpacing(6)
        self.nibp = NibpTile()
        self.nibp.sigLimits.connect(lambda: self.show_limits("sbp"))
        self.bp_now = button("BP now", self.nibp_now, 17, 38, fits=True)
        self.bp_abort = button("Deflate cuff", self.core.nibp_abort, 17, 38, fits=True)
        self.bp_abort.setToolTip("Abort the BP measurement: the cuff deflates")
        self.bp_enter = button("Enter BP…", self.enter_bp, 17, 38, fits=True)
        self.infusion = InfusionPanel()
        self.infusion.sigAction.connect(self.infusion_action)
        self.clinical = ClinicalPanel(core, lambda: self.header.patient.full_text()) if core.clinical else None
        self.devices = StatusRow(15, "No devices connected: Menu ▸ Devices…")  # ✓ or what is wrong, per device
        devices_frame = ClickableFrame()
        devices_frame.setToolTip("Click for the devices panel (ports, states, errors)")
        devices_frame.sigClicked.connect(lambda: self.show_devices())
        QHBoxLayout(devices_frame).addWidget(self.devices)
        devices_frame.layout().setContentsMargins(4, 0, 4, 0)
        self.central = ElidedLabel("")  # replication to the clinic's central store, when there is one
        self.central.setProperty("role", "dim")
        theme.set_font(self.central, 15, bold=True)
        self.central.setVisible(core.central is not None)
        self.unsigned = QLabel()  # "No staff list: actions are not signed", said plainly and whole (each frame)
        self.unsigned.setProperty("role", "todo")
        theme.set_font(self.unsigned, 14, bold=True)
        notice = ShrinkLabel("Not a certified medical device")  # small print, never cut to "Not a certified medic…"
        notice.setProperty("role", "dim")
        notice.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        theme.set_font(notice, 14, bold=True)

        self.tiles_box = QWidget()
        self.tiles_box.setLayout(self.tile_row)
        self.tile_row.setContentsMargins(0, 0, 0, 0)
        self.bp_box = QWidget()
        bp_buttons = QHBoxLayout(self.bp_box)
        bp_buttons.setContentsMargins(0, 0, 0, 0)
        bp_buttons.setSpacing(4)
        for b in (self.bp_now, self.bp_abort, self.bp_enter):
            bp_buttons.addWidget(b)
        fit_together([self.bp_now, self.bp_abort, self.bp_enter])
        self.infusion.setVisible(core.infusion is not None)
        # the trend's page: the trend, and in the compact layout the way back to the events above it
        self.events_button = button("◂ Events", lambda: self.show_page(events=True), 15, 30)
        self.events_button.setToolTip("Back to the events, scales and questionnaires")
        self.trend_page = QWidget()
        page = QVBoxLayout(self.trend_page)
        page.setContentsMargins(0, 0, 0, 0)
        page.setSpacing(2)
        back = QHBoxLayout()
        back.addWidget(self.events_button)
        back.addStretch(1)
        page.addLayout(back)
        page.addWidget(self.trend, 1)
        self.trend_button = button("Trend ▸", lambda: self.show_page(events=False), 15, 30)
        self.trend_button.setToolTip("Show the trend in place of the events (compact layout)")
        if self.clinical is not None:
            self.clinical.undo_row.addWidget(self.trend_button)
        self.pages = QStackedWidget()  # compact layout: the events or the trend, in one place
        self.left = QVBoxLayout()
        self.left.setSpacing(6)
        self.right = QVBoxLayout()
        self.right.setSpacing(6)
        body = QHBoxLayout()
        body.setSpacing(6)
        body.addLayout(self.left, 11)
        body.addLayout(self.right, 9)
        footer = QHBoxLayout()
        footer.addWidget(devices_frame, 3)
        footer.addWidget(self.central, 1)
        footer.addWidget(self.unsigned)
        footer.addWidget(notice, 1)
        root = QVBoxLayout()
        root.setContentsMargins(4, 4, 4, 2)
        root.setSpacing(4)
        root.addWidget(self.header)
        root.addWidget(self.alarm_bar)
        root.addLayout(body, 1)
        root.addLayout(footer)
        central = QWidget()
        central.setObjectName("central")
        central.setLayout(root)
        self.setCentralWidget(central)
        self.compact: bool | None = None
        self._arrange(False)
        self._fill_menu()
        if self.clinical is not None:
            self._marker_keys = install_marker_keys(self, self.clinical)  # 1-9 mark at once, 0 asks for a note
        self.alarm_log = AlarmLog(core)  # from now on every alarm event is kept for the history
        self._limits_dialog: LimitsDialog | None = None
        self._history_dialog: AlarmHistory | None = None
        for b in self.findChildren(QPushButton):  # Space belongs to "pause sound", never to a focused button
            b.setFocusPolicy(Qt.NoFocus)
        self.header.menu_button.setFocusPolicy(Qt.NoFocus)
        QShortcut(QKeySequence(Qt.Key_Space), self, activated=self.pause_audio)
        self.setMinimumSize(*MINIMUM)  # not the scaled layout's: a window made big can be made small again
        self._scale = 1.0
        self._frame = 0
        self.view: ScreenView | None = None
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(FRAME_MS)
        self.refresh()

    def _fill_menu(self) -> None:
        m = self.menu
        m.addAction("Switch user…", self.switch_user)
        if self.core.signing.path is not None:
            m.addAction("Staff list…", lambda: manage_staff(self, self.core))
        m.addSeparator()
        m.addAction("Alarm limits…", lambda: self.show_limits("spo2"))
        m.addAction("Alarm history…", self.show_history)
        if self.clinical is not None:
            m.addAction("Questionnaires…", lambda: self.clinical.open_outcomes())
        m.addAction("Devices…", lambda: self.show_devices())
        m.addAction("Find devices…", lambda: self.show_devices(find=True))
        if self.open_review is not None:
            m.addAction("Review sessions…", self.open_review)
        m.addSeparator()
        m.addAction("About infusion-monitor", self.about)

    # --- painting -------------------------------------------------------------------------

    def refresh(self) -> None:
        """Paint one frame from the core's view (called by the frame timer)."""
        trend_frame = self._frame % TREND_EVERY == 0
        self._frame += 1
        self._paint(self.core.view(trends=trend_frame))

    def _paint(self, v: ScreenView) -> None:
        self.view = v
        self.header.show_view(v.header)
        self.alarm_bar.show_view(v.physiological, v.technical, v.audio, int(time.monotonic() * 1000))
        self.pleth.show_view(v.pleth)
        if v.trends is not None:
            self.trend.show_trends(v.trends, v.t)
        for tile_view in v.tiles:
            tile = self.tiles.get(tile_view.param)
            if tile is None:
                tile = self._add_tile(tile_view.param)
            tile.show_view(tile_view)
        self.nibp.show_view(v.nibp)
        self.bp_now.setVisible(self.core.nibp_reader("nibp_start") is not None)
        self.bp_abort.setVisible(self.core.nibp_reader("nibp_abort") is not None)
        if v.infusion is not None:
            self.infusion.show_view(v.infusion)
        if v.clinical is not None and self.clinical is not None:
            self.clinical.show_view(v.clinical)
        self.devices.show_items([(d.text, d.ok) for d in v.devices])
        if v.central is not None:
            self.central.setText(v.central.text)
            theme.restyle(self.central, "role", "dim" if v.central.ok else "warning")
        unsigned = self.core.signing_notice()
        self.unsigned.setText(unsigned)
        self.unsigned.setVisible(bool(unsigned))

    def _add_tile(self, param: str) -> Tile:
        """Add the tile of a parameter a device started giving; more tiles get smaller numerals."""
        tile = Tile(param)
        tile.sigLimits.connect(lambda p=param: self.show_limits(p))
        self.tiles[param] = tile
        self.tile_row.addWidget(tile)
        size = 80 if len(self.tiles) <= 2 else 56
        for t in self.tiles.values():
            t.value.setProperty("base_px", size)
            theme.rescale(t, self._scale)
        return tile

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        factor = max(1.0, min(MAX_SCALE, self.width() / DESIGN[0], self.height() / DESIGN[1]))
        compact = self.height() < COMPACT_BELOW
        if abs(factor - self._scale) > 0.03 or compact != self.compact:
            self._scale = factor
            theme.rescale(self, factor)
            self._arrange(compact)
            self.alarm_bar.set_layout(factor, compact)
            self.trend.set_scale(factor)

    def _arrange(self, compact: bool) -> None:
        """Lay the body out: normal (pleth, trend and events on the left; tiles, NIBP and infusion on the right) or
        compact (infusion and the events or the trend on the left; pleth, tiles and NIBP on the right)."""
        if compact == self.compact:
            return
        self.compact = compact
        for layout in (self.left, self.right):
            while layout.count():
                layout.takeAt(0)
        for w in (self.clinical, self.trend_page):
            if w is not None and self.pages.indexOf(w) >= 0:
                self.pages.removeWidget(w)
                w.show()  # the stack hid it as it gave it back
        if compact:
            lower: QWidget = self.trend_page
            if self.clinical is not None:
                self.pages.addWidget(self.clinical)
                self.pages.addWidget(self.trend_page)
                lower = self.pages
            self.pages.setVisible(self.clinical is not None)
            _add(self.left, (self.infusion, 0), (lower, 1))
            _add(self.right, (self.pleth, 2), (self.tiles_box, 5), (self.nibp, 4), (self.bp_box, 0))
        else:
            self.pages.setVisible(False)
            _add(self.left, (self.pleth, 2), (self.trend_page, 4), (self.clinical, 5))
            _add(self.right, (self.tiles_box, 5), (self.nibp, 4), (self.bp_box, 0), (self.infusion, 4))
        self.infusion.set_compact(compact)
        if self.clinical is not None:
            self.clinical.set_compact(compact)
        self.trend_button.setVisible(compact and self.clinical is not None)
        self.events_button.setVisible(compact and self.clinical is not None)
        self.show_page(events=True)

    def show_page(self, events: bool) -> None:
        """Show the events (scales, questionnaires, markers) or the trend in the compact layout's shared place."""
        page = self.clinical if events else self.trend_page
        if page is not None and self.pages.indexOf(page) >= 0:
            self.pages.setCurrentWidget(page)

    # --- commands ----------------------------------------------------------------------------

    @property
    def user(self) -> str:
        return self.core.operator

    def switch_user(self) -> None:
        """Ask who is at the monitor now (shift change), signed with their PIN when the clinic has a staff list;
        everything after is recorded under the new name."""
        initials = who_takes_over(self, self.core)
        if initials:
            self.core.set_operator(initials)

    def pause_audio(self) -> None:
        self.core.pause_audio(self.user)

    def acknowledge(self) -> None:
        """Acknowledge the alarms, signed by the current user (no PIN inside their short window, ui.signing)."""
        signer = signed_by(self, self.core, Action.ACKNOWLEDGE)
        if signer is not None:
            self.core.acknowledge(signer.initials)

    def enter_bp(self) -> None:
        dialog = BpEntryDialog(self)
        if not dialog.exec():
            return
        try:
            self.core.enter_bp(*dialog.values(), user=self.user)
        except ValueError as exc:
            tell(self, "Blood pressure", str(exc), warning=True)

    def nibp_now(self) -> None:
        if self.core.clinical is not None:
            self.core.clinical.bp_now(self.user)  # journaled; the schedule waits for this reading
        self.core.nibp_now()

    def infusion_action(self, action: str) -> None:
        """Carry out an infusion command, asking what the engine requires (reason, rate) or confirms."""
        reason, rate = "", None
        # soft limits: at start those the start dialog recorded as confirmed, for a rate the dialog's tick
        confirmed = action == "start" and self.core.clinical is not None and self.core.clinical.soft_limits_confirmed
        if action == "start" and not self._confirm_start():
            return
        if action in ("pause", "stop"):
            reason = ask_text(self, "Reason", "Why pause the infusion?" if action == "pause" else
                              "Why stop the infusion early?", "required, e.g. nausea, BP 185/108",
                              ok="Pause" if action == "pause" else "Stop early")
            if reason is None:
                return
        if action == "rate":
            status = self.core.infusion_status()
            dialog = RateDialog(status.current_rate_ml_per_h if status else 0.0, self.core.rate_preview, self.core.tz,
                                self)
            if not dialog.exec():
                return
            rate, reason, confirmed = dialog.rate.value(), dialog.reason.text().strip(), dialog.confirmed()
        user = self.user
        if confirmed:  # a dose above the soft limit is signed by the current user
            signer = signed_by(self, self.core, Action.SOFT_LIMIT)
            if signer is None:
                return
            user = signer.initials
        try:
            self.core.infusion_action(action, user=user, reason=reason, rate_ml_per_h=rate,
                                      confirm_soft_limits=confirmed)
        except (InfusionError, ValueError) as exc:
            tell(self, "Infusion", str(exc), warning=True)

    def _confirm_start(self) -> bool:
        """Ask once before starting while any pre-infusion item is unmet (the core's start_unmet names them).

        The answer and who gave it are journaled; starting anyway also confirms an unreviewed item-9 flag.
        """
        if self.core.clinical is None:
            return True
        unmet = self.core.start_unmet()
        if not unmet:
            return True
        if not self.user.strip():  # the answer must be someone's
            tell(self, "Start the infusion", "Nobody is named at the monitor: choose Menu ▸ Switch user… first.",
                 warning=True)
            return False
        started = confirm_items(self, "Start the infusion?", "Not done before the infusion:", unmet,
                                f"Starting anyway is recorded with your name ({self.user}).", "Start anyway",
                                "Do not start")
        self.core.clinical.record_start_check(unmet, self.user, started)
        return started

    def show_devices(self, find: bool = False) -> None:
        """Open the devices panel; find=True starts the search of the serial ports at once."""
        panel = DevicesPanel(self.core, self, offer_simulator=self.demo)
        if find:
            panel.find_devices()
        panel.exec()

    def show_limits(self, param: str) -> None:
        """Open the limits dialog of param (non-modal, over the trends so the tiles and the alarm area stay visible)."""
        dialog = self._limits_dialog
        if dialog is None:
            dialog = self._limits_dialog = LimitsDialog(self.core, param, self)
        dialog.open_for(param)
        dialog.show()
        corner = self.trend.mapToGlobal(self.trend.rect().topLeft())
        dialog.move(corner.x(), max(self.geometry().top(), corner.y() - 40))
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
        return confirm(self, "Close the monitor?", "The infusion is still running. Closing stops monitoring and "
                       "alarms for this patient and closes the session.", "Close monitoring", "Keep monitoring")


def _add(layout: QBoxLayout, *widgets: tuple[QWidget | None, int]) -> None:
    """Add (widget, stretch) pairs to a box layout, skipping a panel the session has not (None)."""
    for widget, stretch in widgets:
        if widget is not None:
            layout.addWidget(widget, stretch)
