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
        self.row = row
        self._shares: tuple[int, ...] = ()
        self._view: HeaderView | None = None
        row.addWidget(self.patient, 3)
        row.addWidget(self.details, 3)
        row.addWidget(self.baseline, 4)
        row.addWidget(self.clock, 0, Qt.AlignRight)
        row.addWidget(self.user)
        row.addWidget(self.menu_button)

    def show_view(self, v: HeaderView) -> None:
        self._view = v
        # styled before it is measured: a role's style sheet may change the font the fit measures with
        theme.restyle(self.baseline, "role", {"warning": "warning", "todo": "todo"}.get(v.baseline_role, ""))
        self._fit()
        self.baseline.setText(("⚠ " if v.baseline_role == "warning" else "") + v.baseline)
        self.clock.setText(v.clock)
        self.user.setText(f"User: {v.user}")

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        if self._view is not None:
            self._fit()

    def _fit(self) -> None:
        """Fill the line as fully as it holds: smaller type, then no weight, before any text is cut.

        At 1024 px the patient's identifiers, "Infusion 1 of 6" and "NO BASELINE BP: rise alarms off" do not
        fit at full size together; cut alike they read "Infusi…" and "rise alarms o…". The type steps down
        first, the weight (on the start record and the infusion panel) goes next, then the patient's name
        is cut, and only then are the texts cut in proportion to their lengths; the identifiers never.
        """
        v = self._view
        assert v is not None
        room = self._room()
        for sizes, weight in FITS:
            self._set_sizes(sizes)
            details = "   ".join(x for x in ((v.weight if weight else ""), v.course) if x)
            baseline = ("⚠ " if v.baseline_role == "warning" else "") + v.baseline
            needs = [self.patient.fontMetrics().horizontalAdvance(t) + 6 for t in (v.patient,)]
            needs += [self.details.fontMetrics().horizontalAdvance(details) + 6,
                      self.baseline.fontMetrics().horizontalAdvance(baseline) + 6]
            if sum(needs) <= room:
                break
        # both identifiers stay whole (at the font of the moment: the window may have scaled it); the name is
        # cut first, then (when even that is not enough) the three texts alike
        ids = self.patient.fontMetrics().horizontalAdvance(v.identifiers + " …") + 4
        self.patient.setMinimumWidth(ids)
        whole = sum(needs) <= room or ids + needs[1] + needs[2] > room
        self.details.setMinimumWidth(0 if whole else needs[1])
        self.baseline.setMinimumWidth(0 if whole else needs[2])
        self.patient.setText(v.patient)
        self.details.setText(details)
        shares = tuple(needs) if whole else (max(1, room - needs[1] - needs[2]), needs[1], needs[2])
        if shares != self._shares:  # a relayout only when a text's width changed, not every frame
            self._shares = shares
            for label, share in zip((self.patient, self.details, self.baseline), shares):
                self.row.setStretchFactor(label, share)

    def _room(self) -> int:
        """Return the width the three texts share: the line less the clock, the buttons and the gaps."""
        m = self.row.contentsMargins()
        fixed = sum(w.sizeHint().width() for w in (self.clock, self.user, self.menu_button))
        return self.width() - m.left() - m.right() - fixed - 5 * self.row.spacing()

    def _set_sizes(self, sizes: tuple[int, int, int]) -> None:
        for label, size, bold in zip((self.patient, self.details, self.baseline), sizes, (True, False, True)):
            if label.property("base_px") != size:
                theme.set_font(label, size, bold=bold)


#: The header's type sizes (patient, details, baseline) and whether the weight is shown, tried in order.
FITS: tuple[tuple[tuple[int, int, int], bool], ...] = (((19, 17, 17), True), ((16, 14, 14), True),
                                                       ((16, 14, 14), False))
