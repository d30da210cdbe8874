"""Two day pickers (from, to) that give whole days of this computer's time zone as UTC epoch bounds."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import time as daytime

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import QDateEdit, QHBoxLayout, QLabel, QWidget


class DayRange(QWidget):
    """From and to days (the last 30 by default); sigChanged when either changes."""

    sigChanged = Signal()

    def __init__(self, days: int = 30) -> None:
        super().__init__()
        today = QDate.currentDate()
        self.since = QDateEdit(today.addDays(-days))
        self.until = QDateEdit(today)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for label, edit in (("from", self.since), ("to", self.until)):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.dateChanged.connect(self.sigChanged)
            row.addWidget(QLabel(label))
            row.addWidget(edit)

    def bounds(self) -> tuple[float, float]:
        """Return [start of the first day, start of the day after the last) as UTC epoch seconds."""
        since = datetime.combine(self.since.date().toPython(), daytime())
        until = datetime.combine(self.until.date().toPython(), daytime()) + timedelta(days=1)
        return since.timestamp(), until.timestamp()
