"""Corrections after the fact: a dialog to edit, add or delete an event or add a late scale, and the audit trail.

Every correction needs the reviewer's name and a reason; it is appended to the
session's journal by monitor.review.corrections (through the review worker), which
checks it as the chair checks live entries. The audit trail lists every
version with who entered it and when.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QDateTime, QTimeZone
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLineEdit,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from monitor.clinical.config import load_clinical_config
from monitor.clinical.scales import Moaas, Rating
from monitor.record.journal import MarkerRevision
from monitor.review.corrections import Corrector, audit_trail
from monitor.storage.sessions import SessionRecord
from monitor.timefmt import date_time_text, local_time, time_text, zone
from ui import theme

ACTIONS = {"edit": "Edit an event", "add": "Add an event entered late", "delete": "Delete an event",
           "scale": "Add a scale score entered late"}
#: Late scales offered here: single-number scales (CADSS items are entered on the chair's form).
LATE_SCALES = {"moaas": ("MOAA/S (0-5)", 5), "nausea": ("nausea (0-10)", 10), "anxiety": ("anxiety (0-10)", 10)}
AUDIT_COLUMNS = ("Entered", "By", "What", "Entry", "About the time", "Reason")


class CorrectionDialog(QDialog):
    """Ask for one correction of a session; change() returns what the worker applies to a Corrector."""

    def __init__(self, record: SessionRecord, markers: tuple[MarkerRevision, ...], at: float, user: str = "",
                 action: str = "edit", marker_id: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Correct the session record")
        self.record = record
        self.markers = markers
        self.tz = zone(record.meta.tz)
        self.action = QComboBox()
        for key, words in ACTIONS.items():
            self.action.addItem(words, key)
        self.action.setCurrentIndex(list(ACTIONS).index(action))
        self.event = QComboBox()
        for m in markers:
            self.event.addItem(f"{time_text(m.t, self.tz)}  {m.label}" + (f": {m.note}" if m.note else ""),
                               m.id)
        if marker_id:
            self.event.setCurrentIndex(max(0, self.event.findData(marker_id)))
        self.code = QComboBox()
        for d in load_clinical_config().markers:
            self.code.addItem(d.label, d.code)
        self.scale = QComboBox()
        for code, (words, _) in LATE_SCALES.items():
            self.scale.addItem(words, code)
        self.score = QSpinBox()
        self.score.setRange(0, 10)
        self.when = QDateTimeEdit(self._local(at))
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        self.note = QLineEdit()
        self.user = QLineEdit(user)
        self.user.setPlaceholderText("your name (required)")
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("why (required; kept with the correction)")
        self.form = QFormLayout()
        for label, widget in (("Correction", self.action), ("Event", self.event), ("Event kind", self.code),
                              ("Scale", self.scale), ("Score", self.score), (f"Time ({record.meta.tz})", self.when),
                              ("Note", self.note), ("Your name", self.user), ("Reason", self.reason)):
            self.form.addRow(label, widget)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addLayout(self.form)
        box.addWidget(buttons)
        self.action.currentIndexChanged.connect(self._fields)
        self.event.currentIndexChanged.connect(self._take_event)
        self._fields()

    def _local(self, t: float) -> QDateTime:
        """Return t as a date-time in the session's zone (what the reviewer reads on the timeline)."""
        offset = local_time(t, self.tz).utcoffset()
        seconds = int(offset.total_seconds()) if offset is not None else 0
        return QDateTime.fromSecsSinceEpoch(int(round(t)), QTimeZone(seconds))

    def _t(self) -> float:
        return float(self.when.dateTime().toSecsSinceEpoch())

    def _fields(self) -> None:
        action = self.action.currentData()
        shown = {"edit": (self.event, self.code, self.when, self.note), "add": (self.code, self.when, self.note),
                 "delete": (self.event,), "scale": (self.scale, self.score, self.when)}[action]
        for widget in (self.event, self.code, self.scale, self.score, self.when, self.note):
            self.form.setRowVisible(widget, widget in shown)
        if action in ("edit", "delete"):
            self._take_event()

    def _take_event(self) -> None:
        marker = next((m for m in self.markers if m.id == self.event.currentData()), None)
        if marker is not None and self.action.currentData() in ("edit", "delete"):
            self.when.setDateTime(self._local(marker.t))
            self.code.setCurrentIndex(max(0, self.code.findData(marker.code)))
            self.note.setText(marker.note)

    def change(self) -> Callable[[Corrector], object]:
        """Return the correction to apply (the worker calls it with the session's Corrector)."""
        action, user, reason = self.action.currentData(), self.user.text(), self.reason.text()
        marker_id, code, note, t = self.event.currentData(), self.code.currentData(), self.note.text(), self._t()
        if action == "edit":
            marker = next(m for m in self.markers if m.id == marker_id)
            changes = {k: v for k, v in (("t", t), ("code", code), ("note", note))
                       if v != getattr(marker, k) and not (k == "t" and abs(v - marker.t) < 1)}
            return lambda c: c.edit_event(marker_id, user=user, reason=reason, **changes)
        if action == "delete":
            return lambda c: c.delete_event(marker_id, user=user, reason=reason)
        if action == "add":
            return lambda c: c.add_event(code, t, note, user=user, reason=reason)
        scale, score = self.scale.currentData(), self.score.value()

        def late_scale(c: Corrector) -> object:
            value = Moaas(score) if scale == "moaas" else Rating(scale, score)  # ValueError says the range
            return c.add_scale(value, t, user=user, reason=reason)
        return late_scale


class AuditTrail(QTableWidget):
    """Every correction of the open session: when entered, by whom, what, about when, why."""

    def __init__(self) -> None:
        super().__init__(0, len(AUDIT_COLUMNS))
        self.setHorizontalHeaderLabels(AUDIT_COLUMNS)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QTableWidget.NoEditTriggers)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.setFont(theme.font(14))

    def show_record(self, record: SessionRecord) -> None:
        """List the record's corrections, oldest first."""
        tz = zone(record.meta.tz)
        lines = audit_trail(record)
        self.setRowCount(len(lines))
        for i, c in enumerate(lines):
            cells = (date_time_text(c.entered_utc, tz), c.user, c.what, c.detail,
                     time_text(c.t, tz), c.reason)
            for j, text in enumerate(cells):
                self.setItem(i, j, QTableWidgetItem(text))
