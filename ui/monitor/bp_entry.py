"""Entering a blood pressure read on a device that is not connected (a manual cuff, a bedside monitor)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox

from ui import theme


class BpEntryDialog(QDialog):
    """Asks for systolic, diastolic and (optionally) pulse; the core checks plausibility."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Enter a blood pressure")
        self.sbp = self._spin(0, 300, "enter")  # nothing pre-filled: a BP is recorded only as read
        self.dbp = self._spin(0, 250, "enter")
        self.pulse = self._spin(0, 300, "not measured")
        for spin in (self.sbp, self.dbp, self.pulse):
            theme.set_font(spin, 22, bold=True)
        form = QFormLayout(self)
        info = QLabel("A BP read on a device that is not connected to this app. It is recorded as entered by hand.")
        info.setWordWrap(True)
        form.addRow(info)
        form.addRow("Systolic (mmHg)", self.sbp)
        form.addRow("Diastolic (mmHg)", self.dbp)
        form.addRow("Pulse (/min)", self.pulse)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.ok = buttons.button(QDialogButtonBox.Ok)
        self.ok.setText("Record BP")
        for spin in (self.sbp, self.dbp):
            spin.valueChanged.connect(lambda _v: self.ok.setEnabled(bool(self.sbp.value() and self.dbp.value())))
        self.ok.setEnabled(False)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    @staticmethod
    def _spin(lo: int, hi: int, empty: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(lo, hi)
        spin.setSpecialValueText(empty)  # the lowest value (0) means nothing entered
        spin.setValue(lo)
        spin.setMinimumHeight(44)
        spin.setMinimumWidth(200)
        return spin

    def values(self) -> tuple[float, float, float | None]:
        """Return (systolic, diastolic, pulse or None) as entered."""
        pulse = self.pulse.value()
        return float(self.sbp.value()), float(self.dbp.value()), float(pulse) if pulse else None
