"""The alarm burden view: alarms per hour by priority and parameter, how long, how soon acknowledged.

For the open session, or over every session in a date range (and patient), to
tune limits against alarm fatigue. The figures are monitor.review.burden's.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from monitor.alarms.model import Priority
from monitor.review.burden import AlarmBurden
from monitor.timefmt import hms
from ui import theme
from ui.review.day_range import DayRange
from ui.review.worker import SessionFilter

COLUMNS = ("About", "Kind", "Priority", "Alarms", "Per hour", "Median length", "90 % within", "Longest",
           "Acknowledged", "Median to ack.")


class BurdenTable(QWidget):
    """Totals and one row per (subject, priority) group of an AlarmBurden."""

    def __init__(self) -> None:
        super().__init__()
        self.totals = QLabel("")
        self.totals.setFont(theme.font(15, bold=True))
        self.totals.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.totals)
        box.addWidget(self.table, 1)

    def show_burden(self, burden: AlarmBurden) -> None:
        """Fill the totals line and the table."""
        rates = ", ".join(f"{p.label} {burden.per_hour(p):.1f}" for p in reversed(Priority))
        self.totals.setText(f"{len(burden.sessions)} session(s), {hms(burden.hours * 3600)} monitored: "
                            f"{len(burden.alarms)} alarms = {burden.per_hour():.1f} per hour ({rates}); "
                            f"technical {burden.per_hour(technical=True):.1f} per hour")
        self.table.setRowCount(len(burden.groups))
        for i, g in enumerate(burden.groups):
            cells = (g.subject, "technical" if g.technical else "patient", g.priority.label, str(g.count),
                     f"{g.per_hour:.2f}", hms(g.median_s), hms(g.p90_s), hms(g.max_s), f"{g.acknowledged}/{g.count}",
                     "—" if g.median_ack_s is None else hms(g.median_ack_s))
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j == 2:
                    item.setText(f"{theme.ALARM_MARK[g.priority]} {text}")
                    item.setBackground(QBrush(QColor(theme.ALARM_BG[g.priority])))
                    item.setForeground(QBrush(QColor(theme.ALARM_FG[g.priority])))
                self.table.setItem(i, j, item)


class RangeBurden(QWidget):
    """The burden over a date range: from/to days, an optional patient, and the table."""

    sigAsk = Signal(object)  # SessionFilter

    def __init__(self) -> None:
        super().__init__()
        self.days = DayRange()
        self.patient = QLineEdit()
        self.patient.setPlaceholderText("all patients")
        go = QPushButton("Count alarms")
        go.clicked.connect(self.ask)
        row = QHBoxLayout()
        for widget in (self.days, QLabel("patient"), self.patient, go):
            row.addWidget(widget)
        row.addStretch(1)
        self.table = BurdenTable()
        box = QVBoxLayout(self)
        box.addLayout(row)
        box.addWidget(self.table, 1)

    def wanted(self) -> SessionFilter:
        """Return the range asked for: whole days in this computer's time zone."""
        return SessionFilter(self.patient.text().strip(), *self.days.bounds())

    def ask(self) -> None:
        self.table.totals.setText("Counting…")
        self.sigAsk.emit(self.wanted())
