"""Entering a blood pressure read on a device that is not connected (a manual cuff, a bedside monitor)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox

from ui import theme


class BpEntryDialog(QDialog):
    """Asks for systolic, diastolic and (optionally) pulse; the core checks plausibility."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Enter a blood pressure")
        self.setFont(theme.font(20))
        self.sbp = self._spin(0, 300, 120)
        self.dbp = self._spin(0, 250, 80)
        self.pulse = self._spin(0, 300, 0)
        self.pulse.setSpecialValueText("not measured")
        form = QFormLayout(self)
        form.addRow(QLabel("Read on a device that is not connected to this app."))
        form.addRow("Systolic (mmHg)", self.sbp)
        form.addRow("Diastolic (mmHg)", self.dbp)
        form.addRow("Pulse (/min)", self.pulse)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    @staticmethod
    def _spin(lo: int, hi: int, value: int) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(lo, hi)
        spin.setValue(value)
        spin.setMinimumHeight(40)
        return spin

    def values(self) -> tuple[float, float, float | None]:
        """Return (systolic, diastolic, pulse or None) as entered."""
        pulse = self.pulse.value()
        return float(self.sbp.value()), float(self.dbp.value()), float(pulse) if pulse else None
