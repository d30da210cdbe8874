"""The session browser: sessions by patient and date with their key figures; search by patient, filter by date.

The list comes at once; each session's figures (dose, peak SBP, lowest SpO2,
alarms, the PHQ-9 or first questionnaire, the item-9 flag, an early stop) fill
in as the worker computes them. Double-click or Enter opens one.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
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
from monitor.clinical.dosing import mg_text
from monitor.review.sessions_list import SessionLine
from monitor.storage.sessions import SessionMeta
from monitor.timefmt import clock_text, date_text, hms
from ui import theme
from ui.review.day_range import DayRange
from ui.review.worker import SessionFilter

COLUMNS = ("Patient", "Date", "Start", "Duration", "Delivered", "Peak SBP", "Lowest SpO₂", "Alarms H/M/L",
           "Outcome", "Item 9", "State", "Session")
COL = {name: j for j, name in enumerate(COLUMNS)}
#: The list's print (px), and the width (px) of its state column, whose longer words wrap.
TABLE_PX, STATE_W = 15, 130
#: Headers on two lines where the words are wider than the column's values: every column shows at 1024 px.
HEADERS = {"Peak SBP": "SBP\npeak", "Lowest SpO₂": "SpO₂\nlowest", "Alarms H/M/L": "H/M/L\nalarms",
           "Duration": "Dura-\ntion", "Delivered": "Deli-\nvered", "Session": "No."}
STATE_COLOURS = {"running": "#4cff6a", "interrupted": "#f5c400", "discharged": "#3fd0ff", "closed": theme.TEXT}
#: An item-9 flag no clinician has reviewed: the flag colour of the monitor and the course.
FLAG_BG, FLAG_FG = theme.ALARM_BG[Priority.MEDIUM], theme.ALARM_FG[Priority.MEDIUM]


class SessionBrowser(QWidget):
    """Lists sessions; emits sigFilter when the search changes and sigOpen(ref) to open one."""

    sigFilter = Signal(object)  # SessionFilter
    sigOpen = Signal(str)
    sigRangeBurden = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search patient ID")
        self.search.setClearButtonEnabled(True)
        self.any_date = QCheckBox("any date")
        self.any_date.setChecked(True)
        self.days = DayRange()
        self.days.setEnabled(False)
        self.days.sigChanged.connect(self._changed)
        self.any_date.toggled.connect(lambda on: (self.days.setEnabled(not on), self._changed()))
        self.search.textChanged.connect(self._changed)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.ask)
        burden = QPushButton("Alarm burden…")
        burden.setToolTip("Alarms per monitored hour over a range of dates")
        burden.clicked.connect(self.sigRangeBurden)
        row = QHBoxLayout()
        for widget in (self.search, QLabel("started"), self.any_date, self.days, refresh, burden):
            row.addWidget(widget)
        self.search.setMinimumWidth(180)  # the row fits a 1024 px screen
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([HEADERS.get(name, name) for name in COLUMNS])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectRows)
        self.table.setSelectionMode(QTableWidget.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        # the state ("closed, stopped early") wraps in a column of its own width: every column shows at 1024 px
        self.table.horizontalHeader().setSectionResizeMode(COL["State"], QHeaderView.Fixed)
        self.table.setColumnWidth(COL["State"], STATE_W)
        self.table.setWordWrap(True)
        self.table.setFont(theme.font(TABLE_PX))
        self.table.cellDoubleClicked.connect(lambda r, _c: self._open_row(r))
        self.count = QLabel("")
        self.count.setStyleSheet(f"color: {theme.DIM};")
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)  # every column shows on a 1024 px screen
        box.addLayout(row)
        box.addWidget(self.table, 1)
        box.addWidget(self.count)
        self.rows: dict[str, int] = {}
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(300)
        self._debounce.timeout.connect(self.ask)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        if event.key() in (Qt.Key_Return, Qt.Key_Enter) and self.table.currentRow() >= 0:
            self._open_row(self.table.currentRow())
        else:
            super().keyPressEvent(event)

    def _changed(self, *_) -> None:
        self._debounce.start()

    def wanted(self) -> SessionFilter:
        """Return the filter shown: patient fragment and, unless 'any date', whole local days."""
        if self.any_date.isChecked():
            return SessionFilter(self.search.text().strip())
        return SessionFilter(self.search.text().strip(), *self.days.bounds())

    def ask(self) -> None:
        self.sigFilter.emit(self.wanted())

    def show_sessions(self, metas: list[SessionMeta]) -> None:
        """List sessions, newest first; their figures follow."""
        self.table.setRowCount(len(metas))
        self.rows = {}
        for i, m in enumerate(metas):
            duration = hms(m.duration_s) if m.duration_s is not None else "running"
            cells = (m.patient_id or "—", date_text(m.started_utc, m.tz), clock_text(m.started_utc, m.tz), duration,
                     "…", "…", "…", "…", "…", "…", m.state, m.ref)
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.UserRole, m.ref)
                if j == COL["State"]:
                    item.setForeground(QBrush(QColor(STATE_COLOURS.get(m.state, theme.TEXT))))
                self.table.setItem(i, j, item)
            self.rows[m.ref] = i
        self.count.setText(f"{len(metas)} session(s)" + ("" if metas else " — none match"))

    def show_line(self, line: SessionLine) -> None:
        """Fill in one session's figures."""
        row = self.rows.get(line.meta.ref)
        if row is None:
            return
        a, o = line.alarms, line.outcome
        cells = {"Delivered": "—" if line.delivered_mg is None else mg_text(line.delivered_mg),
                 "Peak SBP": "—" if line.peak_sbp is None else f"{line.peak_sbp:.0f}",
                 "Lowest SpO₂": "—" if line.min_spo2 is None else f"{line.min_spo2:.0f} %",
                 "Alarms H/M/L": f"{a['high']}/{a['medium']}/{a['low']}",
                 "Outcome": "—" if o is None else f"{o.definition.name} {o.total}",
                 "Item 9": _flag_text(line), "State": line.state_text}
        for name, text in cells.items():
            self.table.item(row, COL[name]).setText(text)
        if a["high"]:
            self.table.item(row, COL["Alarms H/M/L"]).setForeground(QBrush(QColor(theme.ALARM_BG[max(theme.ALARM_BG)])))
        if o is not None:
            self.table.item(row, COL["Outcome"]).setToolTip(o.summary)
        flag = self.table.item(row, COL["Item 9"])
        flag.setToolTip("\n".join(f.score.flag_text + ": " + ("; ".join(r.text for r in f.reviews) or "NOT REVIEWED")
                                  for f in line.flags))
        if line.unreviewed:
            flag.setBackground(QBrush(QColor(FLAG_BG)))
            flag.setForeground(QBrush(QColor(FLAG_FG)))
        elif line.flags:
            flag.setForeground(QBrush(QColor(theme.DIM)))
        if line.stop_reason is not None:
            state = self.table.item(row, COL["State"])
            state.setForeground(QBrush(QColor(theme.INFUSION)))
            state.setToolTip(f"infusion stopped early: {line.stop_reason or 'no reason recorded'}")
        self.table.resizeRowToContents(row)  # a wrapped state takes two lines

    def _open_row(self, row: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            self.sigOpen.emit(item.data(Qt.UserRole))


def _flag_text(line: SessionLine) -> str:
    """Return the item-9 cell: "!! NOT REVIEWED" while any flag waits for a clinician, "reviewed" after, "" without."""
    if line.unreviewed:
        return "!! NOT REVIEWED" if line.unreviewed == 1 else f"!! {line.unreviewed} NOT REVIEWED"
    return "flag reviewed" if line.flags else ""
