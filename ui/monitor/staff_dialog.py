"""The owner's staff list dialog (Menu ▸ Staff list…): members, add one, give a new PIN, deactivate.

An owner signs with their PIN before it opens (none is asked while there is
no list: the first member added is the owner). Every change goes through the
core's StaffBook (its rules: the last owner stays, initials are never reused)
and the running monitor takes the new list when the dialog closes, so the
record says from when actions are signed. Like the PIN dialog it closes by
itself after a minute without a key, and the monitor keeps running and taking
clicks and keys behind it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from monitor.clinical.signing import Action
from monitor.clinical.staff import ROLES, StaffBook, StaffError, StaffMember
from ui import theme
from ui.dialogs import confirm, tell
from ui.signing import beside, idle_timer, signed_by

if TYPE_CHECKING:
    from monitor.live.core import MonitorCore

COLUMNS = ("Initials", "Name", "Role", "State")


class StaffDialog(QDialog):
    """The staff list and the owner's changes to it; `owner` signed for them (None for a list not made yet)."""

    def __init__(self, book: StaffBook, owner: StaffMember | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book, self.owner = book, owner
        self.setWindowTitle("Staff list")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.name, self.initials = QLineEdit(), QLineEdit()
        self.name.setPlaceholderText("e.g. Anna Berg")
        self.initials.setPlaceholderText("e.g. AB (shown in the record)")
        self.role = QComboBox()
        self.role.addItems(ROLES)
        self.pin, self.again = QLineEdit(), QLineEdit()
        for field in (self.pin, self.again):
            field.setEchoMode(QLineEdit.Password)
            field.setPlaceholderText("PIN (4+ digits) or password (6+ characters)")
        for field in (self.name, self.initials, self.role, self.pin, self.again):
            field.setMinimumHeight(36)
        form = QFormLayout()
        for label, field in (("Name", self.name), ("Initials", self.initials), ("Role", self.role),
                             ("PIN or password", self.pin), ("Again", self.again)):
            form.addRow(label, field)
        self.add_button = QPushButton("Add member")
        self.pin_button = QPushButton("New PIN for the selected")
        self.off_button = QPushButton("Deactivate the selected")
        close = QPushButton("Close")
        self.add_button.clicked.connect(self.add)
        self.pin_button.clicked.connect(self.new_pin)
        self.off_button.clicked.connect(self.deactivate)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        for b in (self.add_button, self.pin_button, self.off_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setMinimumHeight(2 * self.message.fontMetrics().lineSpacing() + 4)
        lead = QLabel("Everyone who signs at the monitor, with a PIN only they know. Deactivated members stay "
                      "listed: their initials keep meaning them in the record.")
        lead.setWordWrap(True)
        lead.setProperty("role", "dim")
        box = QVBoxLayout(self)
        box.addWidget(lead)
        box.addWidget(self.table, 1)
        box.addLayout(form)
        box.addLayout(buttons)
        box.addWidget(self.message)
        self.idle = idle_timer(self, self.accept)
        for field in (self.name, self.initials, self.pin, self.again):
            field.textChanged.connect(self.idle.start)
        self.resize(760, 560)
        self._fill()

    def _fill(self) -> None:
        staff = self.book.load()
        members = staff.members if staff else ()
        self.table.setRowCount(len(members))
        for row, m in enumerate(members):
            for col, text in enumerate((m.initials, m.name, m.role, "active" if m.active else "deactivated")):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        first = not members
        self.role.setCurrentText("owner" if first else "nurse")
        self.role.setEnabled(not first)  # the first member of a list is its owner
        self.pin_button.setEnabled(not first)
        self.off_button.setEnabled(not first)
        if first:
            self._say("No staff list yet: the first member you add is its owner.", ok=True)

    def _say(self, text: str, ok: bool = False) -> None:
        self.message.setText(text[:1].upper() + text[1:])
        theme.restyle(self.message, "role", "dim" if ok else "error")

    def _new_secret(self) -> str | None:
        if self.pin.text() != self.again.text():
            self._say("The two PINs differ.")
            return None
        return self.pin.text()

    def _selected(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self._say("Select a member in the list first.")
            return None
        return self.table.item(rows[0].row(), 0).text()

    def _done(self, text: str) -> None:
        for field in (self.name, self.initials, self.pin, self.again):
            field.clear()
        self._fill()
        self._say(text, ok=True)

    def add(self) -> None:
        secret = self._new_secret()
        if secret is None:
            return
        try:
            member = self.book.add(self.name.text(), self.initials.text(), self.role.currentText(), secret, self.owner)
        except (StaffError, OSError) as exc:
            self._say(f"{exc}.")
            return
        if self.owner is None:
            self.owner = member  # the list's first member signs the next changes
        self._done(f"Added {member.label}.")

    def new_pin(self) -> None:
        initials = self._selected()
        secret = None if initials is None else self._new_secret()
        if secret is None:
            return
        try:
            self.book.change_pin(initials, secret, self.owner)
        except (StaffError, OSError) as exc:
            self._say(f"{exc}.")
            return
        self._done(f"New PIN for {initials}.")

    def deactivate(self) -> None:
        initials = self._selected()
        if initials is None or not confirm(self, "Deactivate", f"Deactivate {initials}? They can no longer sign; "
                                           "their initials stay in the record.", "Deactivate", "Keep"):
            return
        try:
            self.book.deactivate(initials, self.owner)
        except (StaffError, OSError) as exc:
            self._say(f"{exc}.")
            return
        self._done(f"Deactivated {initials}.")


def manage_staff(parent: QWidget, core: MonitorCore) -> None:
    """Open the staff list for an owner who signs first (nobody signs while there is none), then give the
    running monitor the list as changed. An unreadable list is set aside first, with the owner's consent."""
    path = core.signing.path
    if path is None:
        return
    book, owner = StaffBook(path), None
    if core.signing.signed:
        signer = signed_by(parent, core, Action.STAFF_LIST)
        if signer is None:
            return
        owner = core.signing.staff.member(signer.initials) if core.signing.staff else None
    elif core.signing.problem:
        if not confirm(parent, "Staff list", f"{core.signing.problem}.\n\nMake a new staff list? The unreadable "
                       "file is kept beside it.", "Make a new list", "Cancel"):
            return
        book.set_aside()
    beside(StaffDialog(book, owner, parent))
    try:
        core.reload_staff(book.load())
    except StaffError as exc:
        tell(parent, "Staff list", f"{exc}.", warning=True)
