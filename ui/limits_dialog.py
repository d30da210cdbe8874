"""Alarm limits dialog: medium and high tiers, low and high side, and delay of one parameter.

It starts from the engine's current settings (the profile preset until
someone changes them). OK checks the whole new setting first, then applies
each changed field through the core, so every change is logged with who, old
and new value; a refused setting shows the engine's one-line reason and
changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (QComboBox, QDialog, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QVBoxLayout, QWidget)

from monitor.alarms import ParamLimits, ProfileError
from monitor.alarms.profile import DISPLAY_UNITS, LIMIT_KEYS, RISE_OF, fmt, label, setting_words, validate_limits, \
    with_setting
from monitor.core import MonitorCore
from ui import theme

#: Parameters the dialog edits, in menu order.
PARAMS = ("spo2", "pulse_rate", "sbp", "dbp", "sbp_rise")
#: Fields shown, as (key, row, column) in the grid; row 0 high tier, row 1 medium tier.
FIELDS = (("high_low", 0, 0), ("high_high", 0, 1), ("medium_low", 1, 0), ("medium_high", 1, 1))
#: Limit keys from the lowest threshold to the highest (the order they must stay in).
LADDER = ("high_low", "medium_low", "medium_high", "high_high")
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


def check_changes(param: str, old: ParamLimits, changes: Mapping[str, float | None]) -> ParamLimits:
    """Return the settings after all changes, or raise ProfileError (the engine's rules) without applying any."""
    new = old
    for key, value in changes.items():
        if value is None and key.startswith("high_") and getattr(old, key) is not None:
            raise ProfileError(f"the high-priority {label(param)} {key[5:]} limit cannot be switched off "
                               f"during a session")
        new = with_setting(new, key, value)
    validate_limits(param, new)
    return new


def apply_order(old: ParamLimits, changes: Mapping[str, float | None]) -> list[tuple[str, float | None]]:
    """Order changes so that every intermediate setting is valid when the final one is.

    The limits form a ladder (high_low <= medium_low < medium_high <= high_high).
    Switching a limit off never breaks it, so those go first; limits moving down
    go next, lowest first, then limits moving up, highest first, then limits
    switched on (every other one is final by then). Delay and other settings
    are independent and go first.
    """
    others = [(k, v) for k, v in changes.items() if k not in LADDER]
    off = [(k, v) for k, v in changes.items() if k in LADDER and v is None]
    on = [(k, v) for k, v in changes.items() if k in LADDER and v is not None and getattr(old, k) is None]
    moved = [(k, v) for k, v in changes.items() if k in LADDER and v is not None and getattr(old, k) is not None]
    down = sorted(((k, v) for k, v in moved if v < getattr(old, k)), key=lambda kv: LADDER.index(kv[0]))
    up = sorted(((k, v) for k, v in moved if v > getattr(old, k)), key=lambda kv: -LADDER.index(kv[0]))
    return others + off + down + up + on


class LimitsDialog(QDialog):
    """Edit the alarm settings of one parameter at a time (a selector switches parameter)."""

    def __init__(self, core: MonitorCore, param: str = "spo2", user: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.core = core
        self.user = user
        self.setWindowTitle("Alarm limits")
        self.setStyleSheet(f"QDialog {{ background: {theme.PANEL}; }} QLabel {{ color: {theme.TEXT}; }}"
                           "QLineEdit, QComboBox { background: #0b0d10; color: #ffffff; border: 1px solid #666;"
                           " padding: 4px; }"
                           "QLineEdit:disabled { color: #555; border-color: #333; }"
                           "QPushButton { background: #2d333b; color: #f0f0f0; border: 1px solid #555;"
                           " border-radius: 4px; padding: 6px 16px; }")
        self.selector = QComboBox()
        self.selector.setFont(theme.font(22, bold=True))
        for p in PARAMS:
            self.selector.addItem(f"{label(p)} ({DISPLAY_UNITS[p]})", p)
        self.selector.currentIndexChanged.connect(lambda _i: self.load(self.selector.currentData()))
        self.edits: dict[str, QLineEdit] = {}
        self.presets: dict[str, QLabel] = {}
        grid = QGridLayout()
        for col, side in enumerate(("Low limit  ▼", "High limit  ▲")):
            head = QLabel(side)
            head.setFont(theme.font(18, bold=True))
            grid.addWidget(head, 0, 1 + col)
        for row, (tier, prio) in enumerate((("!!! High priority", "high"), ("!! Medium priority", "medium"))):
            name = QLabel(tier)
            name.setFont(theme.font(18, bold=True))
            grid.addWidget(name, 1 + row, 0)
        for key, row, col in FIELDS:
            self._add_field(grid, key, 1 + row, 1 + col)
        delay = QLabel("Delay (s)")
        delay.setFont(theme.font(18, bold=True))
        grid.addWidget(delay, 3, 0)
        self._add_field(grid, "delay_s", 3, 1)
        hint = QLabel("Leave a medium limit empty to switch it off. Changes are logged with your name.")
        hint.setFont(theme.font(15))
        hint.setStyleSheet(f"color: {theme.DIM};")
        self.message = QLabel("")
        self.message.setFont(theme.font(18, bold=True))
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #ff6b6b;")
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
            b.setFont(theme.font(18, bold=True))
        root = QVBoxLayout(self)
        root.addWidget(self.selector)
        root.addLayout(grid)
        root.addWidget(hint)
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
        edit.setFont(theme.font(26, bold=True))
        edit.setMaximumWidth(150)
        edit.setAlignment(Qt.AlignRight)
        preset = QLabel("")
        preset.setFont(theme.font(14))
        preset.setStyleSheet(f"color: {theme.DIM};")
        box = QVBoxLayout()
        box.setSpacing(0)
        box.addWidget(edit)
        box.addWidget(preset)
        grid.addLayout(box, row, col)
        self.edits[key], self.presets[key] = edit, preset

    def current(self) -> ParamLimits:
        """Return the engine's settings of the shown parameter now."""
        with self.core.lock:
            return self.core.alarms.limits(self.param) or ParamLimits()

    def load(self, param: str) -> None:
        """Show the engine's current settings of param."""
        self.param = param
        lim = self.current()
        preset = self.core.alarms.profile.limits.get(param, ParamLimits())
        unit = DISPLAY_UNITS[param]
        for key, edit in self.edits.items():
            low_side_of_rise = param in RISE_OF and key.endswith("_low")
            edit.setEnabled(not low_side_of_rise)
            edit.setText("" if low_side_of_rise else _text(getattr(lim, key)))
            edit.setPlaceholderText("n/a" if low_side_of_rise else "off")
            self.presets[key].setText("" if low_side_of_rise else
                                      _preset_text(getattr(preset, key), "s" if key == "delay_s" else unit))
        self.message.setText("")

    def fill_preset(self) -> None:
        """Put the profile's preset in the fields (applied only on OK)."""
        preset = self.core.alarms.profile.limits.get(self.param, ParamLimits())
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
        """Check then apply every change (under the core lock so no sample sees a half-done setting)."""
        try:
            changes = self.changes()
            with self.core.lock:
                old = self.current()
                check_changes(self.param, old, changes)
                for key, value in apply_order(old, changes):
                    self.core.set_limit(self.param, key, value, self.user)
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


class ClickFilter(QObject):
    """Turns a label into a control: a click calls back (tiles' limit texts open the limits dialog)."""

    def __init__(self, widget: QWidget, callback: Callable[[], None], tip: str) -> None:
        super().__init__(widget)
        self._callback = callback
        widget.setCursor(Qt.PointingHandCursor)
        widget.setToolTip(tip)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if event.type() == QEvent.MouseButtonRelease:
            self._callback()
            return True
        return False


def make_clickable(widget: QWidget, callback: Callable[[], None], tip: str = "Change alarm limits") -> ClickFilter:
    """Make a widget open something on click; returns the filter (owned by the widget)."""
    return ClickFilter(widget, callback, tip)
