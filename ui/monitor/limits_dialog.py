"""Alarm limits dialog: medium and high tiers, low and high side, and delay of one parameter.

It starts from the engine's current settings (the profile preset until
someone changes them). OK hands every changed field to the core at once
(MonitorCore.set_limits checks the whole new setting first, then applies each
change, logged with who, old and new value); a refused setting shows the
engine's one-line reason and changes nothing.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from devices.values import spec_of
from monitor.alarms import ParamLimits, ProfileError
from monitor.alarms.profile import RISE_OF, fmt, label, setting_words
from monitor.live.core import MonitorCore
from ui import theme

#: Parameters the dialog edits, in menu order.
PARAMS = ("spo2", "pulse_rate", "sbp", "dbp", "sbp_rise")
#: Fields shown, as (key, row, column) in the grid; row 0 high tier, row 1 medium tier.
FIELDS = (("high_low", 0, 0), ("high_high", 0, 1), ("medium_low", 1, 0), ("medium_high", 1, 1))
Changes = dict[str, float | None]


def parse_field(param: str, key: str, text: str) -> float | None:
    """Return the number typed in a field, None when empty ("off"); ProfileError if it is not a number."""
    text = text.strip().replace(",", ".")
    if not text or text.lower() == "off":
        return None
    try:
        return float(text)
    except ValueError:
        raise ProfileError(f"{label(param)} {setting_words(key)}: '{text}' is not a number") from None


class LimitsDialog(QDialog):
    """Edit the alarm settings of one parameter at a time (a selector switches parameter)."""

    def __init__(self, core: MonitorCore, param: str = "spo2", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.core = core
        self.setWindowTitle("Alarm limits")
        self.selector = QComboBox()
        theme.set_font(self.selector, 22, bold=True)
        for p in PARAMS:
            self.selector.addItem(f"{label(p)} ({spec_of(p).unit})", p)
        self.selector.currentIndexChanged.connect(lambda _i: self.load(self.selector.currentData()))
        self.edits: dict[str, QLineEdit] = {}
        self.presets: dict[str, QLabel] = {}
        grid = QGridLayout()
        for col, side in enumerate(("Low limit  ▼", "High limit  ▲")):
            head = QLabel(side)
            theme.set_font(head, 18, bold=True)
            grid.addWidget(head, 0, 1 + col)
        for row, (tier, prio) in enumerate((("!!! High priority", "high"), ("!! Medium priority", "medium"))):
            name = QLabel(tier)
            theme.set_font(name, 18, bold=True)
            grid.addWidget(name, 1 + row, 0)
        for key, row, col in FIELDS:
            self._add_field(grid, key, 1 + row, 1 + col)
        delay = QLabel("Delay (s)")
        theme.set_font(delay, 18, bold=True)
        grid.addWidget(delay, 3, 0)
        self._add_field(grid, "delay_s", 3, 1)
        self.hint = QLabel("")
        self.hint.setWordWrap(True)
        self.hint.setProperty("role", "dim")
        self.message = QLabel("")
        theme.set_font(self.message, 17, bold=True)
        self.message.setWordWrap(True)
        self.message.setProperty("role", "error")
        self.preset_button = QPushButton("Profile preset")
        self.preset_button.clicked.connect(self.fill_preset)
        self.ok_button = QPushButton("OK")
        self.ok_button.setDefault(True)
        self.ok_button.clicked.connect(self.accept)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.preset_button)
        buttons.addStretch(1)
        buttons.addWidget(self.ok_button)
        buttons.addWidget(cancel)
        for b in (self.preset_button, self.ok_button, cancel):
            theme.set_font(b, 17, bold=True)
        root = QVBoxLayout(self)
        root.addWidget(self.selector)
        root.addLayout(grid)
        root.addWidget(self.hint)
        root.addWidget(self.message)
        root.addLayout(buttons)
        self.param = ""
        self.open_for(param)

    def open_for(self, param: str) -> None:
        """Show param with the engine's settings now (the dialog is reused between openings)."""
        self.selector.blockSignals(True)
        self.selector.setCurrentIndex(PARAMS.index(param) if param in PARAMS else 0)
        self.selector.blockSignals(False)
        self.load(self.selector.currentData())

    def _add_field(self, grid: QGridLayout, key: str, row: int, col: int) -> None:
        edit = QLineEdit()
        theme.set_font(edit, 24, bold=True)
        edit.setMaximumWidth(150)
        edit.setAlignment(Qt.AlignRight)
        preset = QLabel("")
        theme.set_font(preset, 14)
        preset.setProperty("role", "dim")
        box = QVBoxLayout()
        box.setSpacing(0)
        box.addWidget(edit)
        box.addWidget(preset)
        grid.addLayout(box, row, col)
        self.edits[key], self.presets[key] = edit, preset

    def current(self) -> ParamLimits:
        """Return the engine's settings of the shown parameter now."""
        return self.core.limit_settings(self.param)[0]

    def load(self, param: str) -> None:
        """Show the engine's current settings of param."""
        self.param = param
        lim, preset = self.core.limit_settings(param)
        unit = spec_of(param).unit
        for key, edit in self.edits.items():
            low_side_of_rise = param in RISE_OF and key.endswith("_low")
            edit.setEnabled(not low_side_of_rise)
            edit.setText("" if low_side_of_rise else _text(getattr(lim, key)))
            edit.setPlaceholderText("n/a" if low_side_of_rise else "off")
            self.presets[key].setText("" if low_side_of_rise else
                                      _preset_text(getattr(preset, key), "s" if key == "delay_s" else unit))
        self.message.setText("")
        self.hint.setText(f"Leave a medium limit empty to switch it off. Changes are recorded under "
                          f"{self.core.operator or 'the user at the monitor'}.")

    def fill_preset(self) -> None:
        """Put the profile's preset in the fields (applied only on OK)."""
        preset = self.core.limit_settings(self.param)[1]
        for key, edit in self.edits.items():
            if edit.isEnabled():
                edit.setText(_text(getattr(preset, key)))

    def changes(self) -> Changes:
        """Return the fields that differ from the engine's settings; ProfileError if one is not a number."""
        lim = self.current()
        out: Changes = {}
        for key, edit in self.edits.items():
            if not edit.isEnabled():
                continue
            value = parse_field(self.param, key, edit.text())
            if value is None and key == "delay_s":
                raise ProfileError(f"{label(self.param)} delay needs a number of seconds (0 for none)")
            if value != getattr(lim, key):
                out[key] = value
        return out

    def apply(self) -> bool:
        """Apply every change at once through the core (checked first: all or nothing), as the user at the monitor."""
        try:
            self.core.set_limits(self.param, self.changes(), self.core.operator)
        except ValueError as exc:  # ProfileError: the engine's one-line reason
            self.message.setText(f"Not changed: {exc}")
            return False
        return True

    def accept(self) -> None:
        if self.apply():
            super().accept()


def _preset_text(value: float | None, unit: str) -> str:
    return "preset: off" if value is None else f"preset {fmt(value)} {unit}"


def _text(value: float | None) -> str:
    return "" if value is None else fmt(value)
