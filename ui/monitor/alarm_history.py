"""Alarm history: every alarm of the session and every limit change, newest first.

AlarmLog listens to the core's alarm events from the window's creation on.
The core calls back on its own thread, so the callback only puts the event in
a queue; the Qt thread drains it (never touching widgets from the core thread).
history_rows() turns the event stream into one row per alarm (time raised,
highest priority, what, value and limit at raise, duration, who acknowledged),
read from monitor.alarms.lives, plus one row per limit change (who, when, old,
new). The table reads like a log: one compact line per alarm, so a screen holds
many; the alarm's whole text (a device's port and error included) is in the
row's tooltip and in the detail line under the table for the selected row.
"""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from devices.values import spec_of
from monitor.alarms import AlarmEvent, EventKind, Priority
from monitor.alarms.lives import alarm_lives
from monitor.alarms.profile import fmt, label, setting_words
from monitor.live.core import MonitorCore
from monitor.timefmt import Zone, duration_text, time_text
from ui import theme

COLUMNS = ("Time", "Priority", "Alarm", "Value", "Limit", "Lasted", "Acknowledged")
LIMIT_CHANGE = "limit change"


@dataclass(frozen=True)
class HistoryRow:
    """One line of the history; t is UTC epoch s (shown in the session's zone), texts are ready to show."""

    t: float
    parameter: str
    priority: Priority | None  # None for a limit change
    value: str
    limit: str
    duration: str
    by: str
    details: str

    @property
    def priority_text(self) -> str:
        if self.priority is None:
            return LIMIT_CHANGE
        return f"{theme.ALARM_MARK[self.priority]} {self.priority.label}"

    @property
    def key(self) -> tuple[float, str, str]:
        """Tell this row's alarm (or change) from the others while its duration and acknowledgements change."""
        return self.t, self.parameter, self.details

    def cells(self, tz: Zone) -> tuple[str, ...]:
        """Return the row's texts in COLUMNS order, its time read in the session's zone tz."""
        return (time_text(self.t, tz), self.priority_text, self.parameter, self.value, self.limit, self.duration,
                self.by)

    def in_full(self, tz: Zone) -> str:
        """Return the whole row in words, the alarm's full text first (the tooltip and the detail line)."""
        facts = [f"{name}: {text}" for name, text in zip(COLUMNS, self.cells(tz)) if text]
        return f"{self.details}\n" + " · ".join(facts)


def history_rows(events: list[AlarmEvent], now: float, tz: Zone) -> list[HistoryRow]:
    """Return the history, newest first, from the alarm events in order; now (UTC epoch s) ages active alarms.

    tz is the session's zone: the acknowledgement times are read in it.
    """
    rows: list[HistoryRow] = []
    for e in events:
        if e.kind is EventKind.LIMIT_CHANGED:
            unit = "s" if e.condition == "delay_s" else spec_of(e.param).unit
            rows.append(HistoryRow(e.t, label(e.param), None, f"{fmt(e.old)} → {fmt(e.new)} {unit}".strip(),
                                   setting_words(e.condition), "", f"changed by {e.user or '?'}", e.message))
    for life in alarm_lives(events, now):
        if life.ended_t is not None:
            duration = duration_text(life.present_s, exact=True) + (
                "" if life.cleared_t else ", latched until acknowledged")
        elif life.cleared_t is None:
            duration = f"active, {duration_text(now - life.raised_t, exact=True)}"
        else:
            duration = duration_text(life.present_s, exact=True)
        by = ", ".join(f"{user or '?'} at {time_text(t, tz)}"
                       for t, user in life.acknowledgements)
        unit = f" {spec_of(life.param).unit}".rstrip() if life.param else ""
        what = life.subject if life.technical else life.message  # a device's port and error stay in the tooltip
        rows.append(HistoryRow(life.raised_t, what, life.priority,
                               f"{fmt(life.value)}{unit}" if life.value is not None else "",
                               f"{fmt(life.limit)}{unit}" if life.limit is not None else "", duration, by, life.message))
    rows.sort(key=lambda r: r.t, reverse=True)
    return rows


class AlarmLog:
    """Collects the session's alarm events from the core thread for the Qt thread."""

    def __init__(self, core: MonitorCore) -> None:
        self._inbox: queue.SimpleQueue[AlarmEvent] = queue.SimpleQueue()
        self.events: list[AlarmEvent] = []
        self.tz = core.tz  # the session's zone: the history's times are read in it
        core.on_alarm_event(self._inbox.put)  # runs on the core thread: only a queue put

    def drain(self) -> bool:
        """Move received events into `events` (Qt thread); tell whether any arrived."""
        got = False
        while True:
            try:
                self.events.append(self._inbox.get_nowait())
            except queue.Empty:
                return got
            got = True


class AlarmHistory(QDialog):
    """A table of the alarm history, refreshed every second while open (non-modal)."""

    def __init__(self, log: AlarmLog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.log = log
        self.setWindowTitle("Alarm history")
        self.resize(1000, 540)  # within a 1024x600 screen; the layout's minimum is smaller still
        self.summary = QLabel("")
        theme.set_font(self.summary, 17, bold=True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        theme.set_font(self.table, 15)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setWordWrap(False)  # one line per alarm: the whole text is in the tooltip and the detail line
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.table.setMinimumSize(600, 200)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(COLUMNS.index("Alarm"), QHeaderView.Stretch)
        self.table.itemSelectionChanged.connect(self._show_detail)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.PlainText)
        theme.set_font(self.detail, 15)
        self.detail.setMinimumHeight(3 * self.detail.fontMetrics().height())  # a long technical text, wrapped
        self.detail.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        close = QPushButton("Close")
        theme.set_font(close, 17, bold=True)
        close.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(close)
        root = QVBoxLayout(self)
        root.addWidget(self.table, 1)
        root.addWidget(self.detail)
        root.addLayout(bottom)
        self.rows: list[HistoryRow] = []
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(1000)
        self.refresh(force=True)

    def refresh(self, force: bool = False) -> None:
        """Re-read the log; rebuild the table when events arrived (or durations of active alarms changed)."""
        if not self.log.drain() and not force and not any(r.duration.startswith("active") for r in self.rows):
            return
        row = self.table.currentRow()
        selected = self.rows[row].key if 0 <= row < len(self.rows) and self.table.selectedItems() else None
        self.rows = history_rows(self.log.events, time.time(), self.log.tz)
        self.table.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            full = r.in_full(self.log.tz)
            for j, text in enumerate(r.cells(self.log.tz)):
                item = QTableWidgetItem(text)
                item.setToolTip(full)
                if j == COLUMNS.index("Priority") and r.priority is not None:
                    item.setBackground(QBrush(QColor(theme.ALARM_BG[r.priority])))
                    item.setForeground(QBrush(QColor(theme.ALARM_FG[r.priority])))
                self.table.setItem(i, j, item)
        keys = [r.key for r in self.rows]
        if selected in keys:  # the same alarm stays selected as newer ones come on top (its duration grows)
            self.table.selectRow(keys.index(selected))
        self._show_detail()
        alarms = sum(r.priority is not None for r in self.rows)
        shown = sum(r.duration.startswith("active") or "latched" in r.duration for r in self.rows)
        changes = len(self.rows) - alarms
        self.summary.setText(f"{alarms} alarm{'s' if alarms != 1 else ''} this session ({shown} still shown), "
                             f"{changes} limit change{'s' if changes != 1 else ''}")

    def _show_detail(self) -> None:
        """Write the selected alarm in full under the table."""
        row = self.table.currentRow()
        if 0 <= row < len(self.rows) and self.table.selectedItems():
            self.detail.setText(self.rows[row].in_full(self.log.tz))
        else:
            self.detail.setText("Select an alarm to read it in full (or point at it).")
