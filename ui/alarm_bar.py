"""The alarm bar: active alarms in words, highest first, flashing at the priority's rate.

Text and a '!!!'/'!!'/'!' mark carry the priority too, so colour is never the
only cue. The audio-pause button shows its countdown; acknowledging is a
separate button so a nurse can silence without hiding what is wrong.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout

from monitor.alarms import Priority
from monitor.core import AlarmView
from ui import theme

MAX_LINES = 3


class AlarmBar(QFrame):
    """Shows an AlarmView; emits sigPause and sigAcknowledge when the nurse asks."""

    sigPause = Signal()
    sigAcknowledge = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("alarmbar")
        self.setMinimumHeight(84)
        self.headline = QLabel("No active alarms")
        self.headline.setFont(theme.font(34, bold=True))
        self.more = QLabel("")
        self.more.setFont(theme.font(20))
        self.advisory = QLabel("")
        self.advisory.setFont(theme.font(20, bold=True))
        self.advisory.setStyleSheet("color: #ffb347;")
        self.advisory.setWordWrap(True)
        for label in (self.headline, self.more, self.advisory):  # long messages are cut, never widen the window
            label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
            label.setMinimumWidth(200)
        text = QVBoxLayout()
        text.setSpacing(0)
        text.addWidget(self.headline)
        text.addWidget(self.more)
        text.addWidget(self.advisory)
        self.pause_button = QPushButton("Pause sound (2 min)\n[Space]")
        self.pause_button.setFont(theme.font(18, bold=True))
        self.pause_button.setMinimumSize(250, 64)
        self.pause_button.clicked.connect(self.sigPause)
        self.ack_button = QPushButton("Acknowledge")
        self.ack_button.setFont(theme.font(18, bold=True))
        self.ack_button.setMinimumSize(160, 64)
        self.ack_button.clicked.connect(self.sigAcknowledge)
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 6, 14, 6)
        row.addLayout(text, 1)
        row.addWidget(self.pause_button)
        row.addWidget(self.ack_button)
        self._flash_on = True
        self._priority: Priority | None = None
        self._paint(None)

    def show_view(self, view: AlarmView, now_ms: int) -> None:
        """Update from the core's alarm view; now_ms (monotonic) drives the flashing."""
        active = view.active
        top = active[0].priority if active else None
        if active:
            lines = [f"{theme.ALARM_MARK[a.priority]} {a.message}" + (" (ended)" if a.latched else "")
                     for a in active]
            self._set_elided(self.headline, lines[0])
            rest = lines[1:MAX_LINES]
            extra = len(lines) - MAX_LINES
            self._set_elided(self.more, "   ".join(rest) + (f"   +{extra} more" if extra > 0 else ""))
        else:
            self.headline.setText("No active alarms")
            self.more.setText("")
        self.advisory.setText("   ".join(f"⚠ {a}" for a in view.advisories))
        self.advisory.setVisible(bool(view.advisories))
        if view.pause_remaining_s is not None:
            r = int(view.pause_remaining_s + 0.999)
            self.pause_button.setText(f"Sound paused {r // 60}:{r % 60:02d}\n[Space] to extend")
        else:
            self.pause_button.setText("Pause sound (2 min)\n[Space]")
        half = theme.FLASH_MS.get(top, 0) if top is not None else 0
        flash_on = True if not half else (now_ms // half) % 2 == 0
        # acknowledged alarms stay on the bar but stop flashing
        if active and all(a.acknowledged for a in active if a.priority == top):
            flash_on = True
        if top != self._priority or flash_on != self._flash_on:
            self._priority, self._flash_on = top, flash_on
            self._paint(top if flash_on else None, dim=top is not None and not flash_on)

    @staticmethod
    def _set_elided(label: QLabel, text: str) -> None:
        """Show text on one line, cut with '…' to the label's width; the whole text is the tooltip."""
        label.setToolTip(text)
        label.setText(label.fontMetrics().elidedText(text, Qt.ElideRight, max(200, label.width())))

    def _paint(self, priority: Priority | None, dim: bool = False) -> None:
        if priority is None:
            bg = "#3a1015" if dim and self._priority == Priority.HIGH else ("#3a3410" if dim else theme.PANEL)
            fg = theme.TEXT if dim else theme.DIM
        else:
            bg, fg = theme.ALARM_BG[priority], theme.ALARM_FG[priority]
        self.setStyleSheet(f"QFrame#alarmbar {{ background: {bg}; }} QFrame#alarmbar > QLabel {{ color: {fg}; }}")
        self.headline.setStyleSheet(f"color: {fg};")
        self.more.setStyleSheet(f"color: {fg};")
        # orange advisory text vanishes on the yellow, cyan and red alarm colours: take the bar's text colour then
        self.advisory.setStyleSheet(f"color: {fg if priority is not None else '#ffb347'};")
