"""Numeric tiles: one parameter each, big enough to read from across the room.

A tile never shows a stale or invalid number as if live: it shows '---' with
the reason while a device condition blocks values, and greys the last value
with its age when updates stop.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel

from monitor.alarms import Priority
from monitor.durations import duration_text
from ui import theme

#: After this long without a new value a numeric is shown greyed with its age.
STALE_AFTER_S = 10.0


def age_text(age_s: float) -> str:
    """Say how old a value is in the shortest readable way ('45 s ago', '12 min ago', '2 h 05 min ago')."""
    return f"{duration_text(age_s)} ago"


class Tile(QFrame):
    """A labelled number with its unit, alarm limits and a status line."""

    def __init__(self, title: str, unit: str, colour: str, value_px: int = 96) -> None:
        super().__init__()
        self.colour = colour
        self.name = title
        self.setObjectName("tile")
        self.title = QLabel(title)
        self.title.setFont(theme.font(22, bold=True))
        self.unit = QLabel(unit)
        self.unit.setFont(theme.font(20))
        self.value = QLabel("---")
        self.value.setFont(theme.font(value_px, bold=True))
        self.value.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.limits = QLabel("")
        self.limits.setFont(theme.font(18))
        self.limits.setAlignment(Qt.AlignRight | Qt.AlignTop)
        self.status = QLabel("")
        self.status.setFont(theme.font(18, bold=True))
        self.status.setWordWrap(True)
        self._style: tuple[str, str, Priority | None] | None = None
        grid = QGridLayout(self)
        grid.setContentsMargins(12, 6, 12, 6)
        grid.addWidget(self.title, 0, 0)
        grid.addWidget(self.unit, 0, 1, Qt.AlignRight)
        grid.addWidget(self.value, 1, 0, 1, 2)
        grid.addWidget(self.limits, 2, 1)
        grid.addWidget(self.status, 2, 0)
        self.show_state("---", "", None, stale=False)

    def show_state(self, text: str, status: str, alarm: Priority | None, stale: bool) -> None:
        """Show a value text, a status line and the alarm colouring (None = no alarm)."""
        self.value.setText(text)
        self.status.setText(status)
        self.title.setText(self.name if alarm is None else f"{theme.ALARM_MARK[alarm]} {self.name}")
        if alarm is not None:
            bg, fg = theme.ALARM_BG[alarm], theme.ALARM_FG[alarm]
        else:
            bg, fg = theme.PANEL, (theme.STALE if stale or text.startswith("-") else self.colour)
        if (bg, fg, alarm) == self._style:
            return  # restyling is costly (the whole tile is re-polished): only on a change
        self._style = (bg, fg, alarm)
        self.setStyleSheet(
            f"QFrame#tile {{ background: {bg}; border-radius: 6px; }}"
            f"QLabel {{ color: {fg if alarm is not None else theme.TEXT}; background: transparent; }}"
        )
        self.value.setStyleSheet(f"color: {fg}; background: transparent;")
        self.title.setStyleSheet(f"color: {fg if alarm is not None else self.colour}; background: transparent;")

    def set_limits(self, low: float | None, high: float | None) -> None:
        """Show the (medium) alarm limits beside the value, e.g. '94 / 110' as low above, high below."""
        parts = []
        if high is not None:
            parts.append(f"▲ {high:g}")
        if low is not None:
            parts.append(f"▼ {low:g}")
        self.limits.setText("   ".join(parts))


def value_text(value: float | None, decimals: int = 0) -> str:
    """Format a numeric for a tile ('---' when there is none)."""
    return "---" if value is None else f"{value:.{decimals}f}"
