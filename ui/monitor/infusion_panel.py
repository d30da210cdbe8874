"""The infusion panel: state you can read from 3 m, timer, rate, dose delivered, and the nurse's commands.

It paints an InfusionView (monitor.live.screen): the state word in its own colour
(running orange, PAUSED white on blue-violet with the rate shown as 0, ended
green or grey), the hold-the-infusion advice and reminders on a line of their
own, and enables exactly the commands the view allows (Complete included once
the planned end came by itself).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout

from monitor.live.view import InfusionView
from ui import theme
from ui.widgets import ElidedLabel, ShrinkLabel, button, fit_together

#: The command buttons; Pause and Resume share one button, which says what it does now.
ACTIONS = (("start", "Start"), ("pause", "Pause"), ("rate", "Rate…"), ("stop", "Stop early…"), ("complete", "Complete"))
#: Narrower than this (px at font scale 1), the buttons take two rows: one row would cut "Stop early…".
TWO_ROWS_BELOW = 520
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
        self.notice = ShrinkLabel()  # advice, reminder or forecast: whole, a limit cut short reads as another number
        theme.set_font(self.notice, 16, bold=True)
        self.buttons: dict[str, QPushButton] = {}
        self.button_grid = QGridLayout()
        self.button_grid.setSpacing(4)
        for column in range(30):
            self.button_grid.setColumnStretch(column, 1)
        for action, label in ACTIONS:
            self.buttons[action] = button(label, lambda _=False, a=action: self._clicked(a), 16, 38, fits=True)
        fit_together(list(self.buttons.values()))
        self.buttons["resume"] = self.buttons["pause"]
        self._rows = 0
        self._arrange_buttons(1)
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
        box.addLayout(self.button_grid)
        self._role = ""
        self._resume = False

    def set_compact(self, compact: bool) -> None:
        """Use the compact layout's smaller timer and lower buttons (a window less than 660 px high)."""
        theme.set_font(self.elapsed, 34 if compact else 40, bold=True)
        for b in self.buttons.values():
            b.setMinimumHeight(34 if compact else 38)

    def _arrange_buttons(self, rows: int) -> None:
        """Lay the commands on one row, or on two (Start, Pause, Rate… / Stop early…, Complete) when narrow."""
        if rows == self._rows:
            return
        self._rows = rows
        for i, (action, _label) in enumerate(ACTIONS):  # on a grid of 30 equal columns, each row shared equally
            b = self.buttons[action]
            self.button_grid.removeWidget(b)
            if rows == 1:
                self.button_grid.addWidget(b, 0, 6 * i, 1, 6)
            else:
                self.button_grid.addWidget(b, *((0, 10 * i, 1, 10) if i < 3 else (1, 15 * (i - 3), 1, 15)))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        scale = float(self.window().property("font_scale") or 1.0)
        self._arrange_buttons(2 if self.width() < TWO_ROWS_BELOW * scale else 1)

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
        for action, b in self.buttons.items():
            if action not in ("pause", "resume"):
                b.setEnabled(bool(v.actions.get(action)))
        self.buttons["pause"].setEnabled(bool(v.actions.get("pause") or v.actions.get("resume")))
