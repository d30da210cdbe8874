"""The header: whose screen this is and who is at it (patient, weight, infusion N of M, baseline BP, time, user)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMenu, QPushButton, QToolButton

from monitor.live.view import HeaderView
from ui import theme
from ui.widgets import ElidedLabel


class Header(QFrame):
    """One fixed line; the user button switches the user (shift change), the menu button opens the menu."""

    def __init__(self, menu: QMenu) -> None:
        super().__init__()
        self.setObjectName("panel")
        self.patient = ElidedLabel(min_chars=10)
        theme.set_font(self.patient, 19, bold=True)
        self.details = ElidedLabel()
        theme.set_font(self.details, 17)
        self.baseline = ElidedLabel()
        theme.set_font(self.baseline, 17, bold=True)
        self.clock = QLabel("00:00")
        theme.set_font(self.clock, 20, bold=True)
        self.user = QPushButton("User: —")
        theme.set_font(self.user, 16, bold=True)
        self.user.setToolTip("Switch the user (shift change): everything from now on is recorded under the new name")
        self.menu_button = QToolButton()
        self.menu_button.setText("Menu ▾")
        theme.set_font(self.menu_button, 16, bold=True)
        self.menu_button.setMenu(menu)
        self.menu_button.setPopupMode(QToolButton.InstantPopup)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 2, 4, 2)
        row.setSpacing(14)
        row.addWidget(self.patient, 3)
        row.addWidget(self.details, 3)
        row.addWidget(self.baseline, 4)
        row.addWidget(self.clock, 0, Qt.AlignRight)
        row.addWidget(self.user)
        row.addWidget(self.menu_button)

    def show_view(self, v: HeaderView) -> None:
        # both identifiers stay whole (at the font of the moment: the window may have scaled it); only the name is cut
        self.patient.setMinimumWidth(self.patient.fontMetrics().horizontalAdvance(v.identifiers + " …") + 4)
        self.patient.setText(v.patient)
        self.details.setText("   ".join(x for x in (v.weight, v.course) if x))
        self.baseline.setText(("⚠ " if v.baseline_role == "warning" else "") + v.baseline)
        theme.restyle(self.baseline, "role", {"warning": "warning", "todo": "todo"}.get(v.baseline_role, ""))
        self.clock.setText(v.clock)
        self.user.setText(f"User: {v.user}")
