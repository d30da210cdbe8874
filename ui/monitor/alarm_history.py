"""Alarm history: every alarm of the session and every limit change, newest first.

AlarmLog listens to the core's alarm events from the window's creation on.
The core calls back on its own thread, so the callback only puts the event in
a queue; the Qt thread drains it (never touching widgets from the core thread).
history_rows() turns the event stream into one row per alarm (time raised,
parameter, highest priority, value and limit at raise, duration, who
acknowledged) plus one row per limit change (who, when, old, new).
"""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
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

COLUMNS = ("Time", "Alarm", "Priority", "Value", "Limit", "Lasted", "Who", "In full")
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
        by = ", ".join(f"acknowledged by {user or '?'} at {time_text(t, tz)}"
                       for t, user in life.acknowledgements)
        unit = f" {spec_of(life.param).unit}".rstrip() if life.param else ""
        rows.append(HistoryRow(life.raised_t, life.subject, life.priority,
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
        self.resize(1000, 560)
        self.summary = QLabel("")
        theme.set_font(self.summary, 17, bold=True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        theme.set_font(self.table, 15)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectRows)
        self.table.setWordWrap(True)  # the last column holds every alarm's whole text, wrapped
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.Stretch)
        close = QPushButton("Close")
        theme.set_font(close, 17, bold=True)
        close.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(close)
        root = QVBoxLayout(self)
        root.addWidget(self.table, 1)
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
        self.rows = history_rows(self.log.events, time.time(), self.log.tz)
        self.table.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            cells = (time_text(r.t, self.log.tz), r.parameter, r.priority_text, r.value,
                     r.limit, r.duration, r.by, r.details)
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j == 2 and r.priority is not None:
                    item.setBackground(QBrush(QColor(theme.ALARM_BG[r.priority])))
                    item.setForeground(QBrush(QColor(theme.ALARM_FG[r.priority])))
                self.table.setItem(i, j, item)
        alarms = sum(r.priority is not None for r in self.rows)
        shown = sum(r.duration.startswith("active") or "latched" in r.duration for r in self.rows)
        changes = len(self.rows) - alarms
        self.summary.setText(f"{alarms} alarm{'s' if alarms != 1 else ''} this session ({shown} still shown), "
                             f"{changes} limit change{'s' if changes != 1 else ''}")
