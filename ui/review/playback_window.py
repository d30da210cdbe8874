"""Playback through the live monitor screen, marked PLAYBACK so it is never taken for a live patient.

The monitor window itself shows a monitor core fed by monitor.live.playback (a
private in-memory database, no devices, no sound). Over it: a magenta banner
in place of the menu bar, with the controls, the session, its own clock and
the speed; a PLAYBACK watermark across the screen; and the window title.
Closing ends the playback.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from monitor.live.playback import SPEEDS, Playback
from monitor.timefmt import date_time_text
from ui import theme
from ui.monitor.main_window import MainWindow

BANNER = "#c2185b"


class Watermark(QWidget):
    """Large translucent PLAYBACK letters over the screen; clicks pass through."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WA_NoSystemBackground)
        parent.installEventFilter(self)
        self.resize(parent.size())

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt naming)
        if event.type() == event.Type.Resize:
            self.resize(watched.size())
        return False

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        painter = QPainter(self)
        colour = QColor(BANNER)
        colour.setAlpha(60)
        painter.setPen(colour)
        font = theme.font(max(48, self.width() // 9), bold=True)
        painter.setFont(font)
        painter.translate(self.width() / 2, self.height() / 2)
        painter.rotate(-18)
        painter.drawText(-self.width(), -self.height() // 4, 2 * self.width(), self.height() // 2, Qt.AlignCenter,
                         "PLAYBACK")


class PlaybackWindow(MainWindow):
    """The monitor screen showing a playback, with its banner, watermark and controls."""

    def __init__(self, playback: Playback) -> None:
        super().__init__(playback.core)
        self.playback = playback
        meta = playback.meta
        self.setWindowTitle(f"PLAYBACK of session {meta.ref} ({meta.patient_id or 'no patient'}) — "
                            "not a live patient")
        self.banner = QLabel("")
        self.banner.setFont(theme.font(18, bold=True))
        self.banner.setStyleSheet(f"background: {BANNER}; color: white; padding: 6px 12px;")
        self.banner.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # cut, never widen the window
        self.banner.setMinimumWidth(300)
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self.toggle_pause)
        self.speed = QComboBox()
        for s in SPEEDS:
            self.speed.addItem(f"{s:g}x", s)
        self.speed.setCurrentIndex(max(0, self.speed.findData(playback.clock.speed)))
        self.speed.currentIndexChanged.connect(lambda _: playback.clock.set_speed(self.speed.currentData()))
        stop = QPushButton("End playback")
        stop.clicked.connect(self.close)
        bar = QWidget()  # in place of the menu bar: a playback has no devices to set up
        bar.setObjectName("playbackbar")
        bar.setStyleSheet(f"QWidget#playbackbar {{ background: {BANNER}; }}")
        row = QHBoxLayout(bar)
        row.setContentsMargins(6, 4, 6, 4)
        for widget in (self.pause_button, self.speed, stop):
            row.addWidget(widget)
        row.addWidget(self.banner, 1)
        self.setMenuWidget(bar)
        self.watermark = Watermark(self.centralWidget())
        self.watermark.raise_()
        self.banner_timer = QTimer(self)
        self.banner_timer.timeout.connect(self.show_banner)
        self.banner_timer.start(250)
        self.show_banner()

    def show_banner(self) -> None:
        """Say what this is: PLAYBACK, which session, its own time, the speed, sound off; the end when reached."""
        pb = self.playback
        when = date_time_text(pb.clock.position(), pb.meta.tz, seconds=True)  # the clock stops at the end
        state = "ended" if pb.finished.is_set() else ("paused" if pb.clock.paused else f"{pb.clock.speed:g}x")
        error = f" — stopped: {pb.error}" if pb.error else ""
        self.banner.setText(f"▶ PLAYBACK, NOT A LIVE PATIENT — session {pb.meta.ref}, patient "
                            f"{pb.meta.patient_id or '-'} — {when} ({state}) — sound off{error}")

    def toggle_pause(self) -> None:
        paused = not self.playback.clock.paused
        self.playback.clock.set_paused(paused)
        self.pause_button.setText("Resume" if paused else "Pause")
        self.show_banner()

    def _confirm_close(self) -> bool:
        return True  # closing a playback ends no monitoring

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        self.banner_timer.stop()
        super().closeEvent(event)
        if event.isAccepted():
            self.playback.stop()
