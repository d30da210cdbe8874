"""The infusion panel: state you can read from 3 m, timer, rate, dose delivered, and the nurse's commands.

It paints an InfusionView (monitor.live.screen): the state word in its own colour
(running orange, PAUSED white on blue-violet with the rate shown as 0, ended
green or grey), the hold-the-infusion advice and reminders on a line of their
own, and enables exactly the commands the view allows (Complete included once
the planned end came by itself).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout

from monitor.live.view import InfusionView
from ui import theme
from ui.widgets import ElidedLabel, button

#: The command buttons; Pause and Resume share one button, which says what it does now.
ACTIONS = (("start", "Start"), ("pause", "Pause"), ("rate", "Rate…"), ("stop", "Stop early…"), ("complete", "Complete"))
#: (state text colour, state background, timer colour) by role.
ROLE_COLOURS = {"idle": (theme.TEXT, "transparent", theme.DIM), "running": (theme.INFUSION, "transparent", theme.INFUSION),
                "paused": ("#ffffff", theme.PAUSED_BG, theme.DIM), "ended": (theme.DONE, "transparent", theme.DIM)}


class InfusionPanel(QFrame):
    """Shows an InfusionView; emits the nurse's commands as signals carrying the action name."""

    sigAction = Signal(str)  # "start", "pause", "resume", "rate", "stop", "complete"

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("panel")
        title = QLabel("Ketamine infusion")
        theme.set_font(title, 18, bold=True)
        title.setStyleSheet(f"color: {theme.INFUSION};")
        self.state = QLabel("NOT STARTED")
        theme.set_font(self.state, 24, bold=True)
        self.state.setAlignment(Qt.AlignCenter)
        self.elapsed = QLabel("0:00")
        theme.set_font(self.elapsed, 40, bold=True)
        self.remaining = ElidedLabel()
        theme.set_font(self.remaining, 18, bold=True)
        self.remaining.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.rate = ElidedLabel()
        theme.set_font(self.rate, 18, bold=True)
        self.rate.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(10)
        self.dose = ElidedLabel()
        theme.set_font(self.dose, 15)
        self.notice = ElidedLabel()  # advice or reminder
        theme.set_font(self.notice, 16, bold=True)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        row.setSpacing(4)
        for action, label in ACTIONS:
            b = button(label, lambda _=False, a=action: self._clicked(a), 16, 38, fits=True)
            self.buttons[action] = b
            row.addWidget(b)
        self.buttons["resume"] = self.buttons["pause"]
        grid = QGridLayout()
        grid.setVerticalSpacing(0)
        grid.addWidget(title, 0, 0)
        grid.addWidget(self.state, 0, 1, 1, 1)
        grid.addWidget(self.elapsed, 1, 0, 2, 1)
        grid.addWidget(self.remaining, 1, 1)
        grid.addWidget(self.rate, 2, 1)
        grid.setColumnStretch(1, 1)
        box = QVBoxLayout(self)
        box.setContentsMargins(10, 4, 10, 6)
        box.setSpacing(2)
        box.addLayout(grid)
        box.addWidget(self.progress)
        box.addWidget(self.notice)
        box.addWidget(self.dose)
        box.addLayout(row)
        self._role = ""
        self._resume = False

    def _clicked(self, action: str) -> None:
        self.sigAction.emit("resume" if action == "pause" and self._resume else action)

    def show_view(self, v: InfusionView) -> None:
        """Paint an InfusionView and enable the commands it allows."""
        self.state.setText(v.state)
        self.elapsed.setText(v.elapsed)
        self.remaining.setText(v.remaining)
        self.rate.setText(v.rate)
        self.progress.setValue(int(round(v.progress * 1000)))
        self.dose.setText(v.plan if v.role == "idle" else v.delivered)
        self.notice.setText(v.advice or v.reminder or v.forecast)
        if v.role != self._role:
            self._role = v.role
            fg, bg, timer = ROLE_COLOURS[v.role]
            self.state.setStyleSheet(f"color: {fg}; background: {bg}; border-radius: 4px; padding: 0 10px;")
            self.elapsed.setStyleSheet(f"color: {timer};")
            chunk = theme.INFUSION if v.role == "running" else theme.DIM
            self.progress.setStyleSheet(f"QProgressBar::chunk {{ background: {chunk}; }}")
        theme.restyle(self.notice, "role", "todo" if v.advice or v.reminder else "")
        self._resume = bool(v.actions.get("resume"))
        self.buttons["pause"].setText("Resume" if self._resume else "Pause")
        for action, button in self.buttons.items():
            if action not in ("pause", "resume"):
                button.setEnabled(bool(v.actions.get(action)))
        self.buttons["pause"].setEnabled(bool(v.actions.get("pause") or v.actions.get("resume")))
