"""Small dialogs of the monitor: a reason or a note, a new pump rate, who is at the monitor, yes/no questions.

They replace Qt's tiny default input dialogs: a wide field in the app's font,
OK only once something is entered, and message boxes whose buttons say what
they do ("Close monitoring", "Keep monitoring") without desktop-theme icons.
Every one fits a 1024 x 600 screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from ui import theme

if TYPE_CHECKING:  # the infusion's rules and times load with the core: the demo's first dialog needs neither
    from monitor.clinical.infusion import RatePreview
    from monitor.timefmt import Zone


class TextDialog(QDialog):
    """Ask for one line of text (a reason, a note); OK only when it is not empty."""

    def __init__(self, title: str, prompt: str, parent: QWidget | None = None, placeholder: str = "",
                 text: str = "", ok: str = "OK") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.prompt = QLabel(prompt)
        self.prompt.setWordWrap(True)
        theme.set_font(self.prompt, 18, bold=True)
        self.field = QLineEdit(text)
        self.field.setPlaceholderText(placeholder)
        self.field.setMinimumHeight(40)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.Ok)
        self.ok.setText(ok)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(self.prompt)
        box.addWidget(self.field)
        box.addWidget(self.buttons)
        self.field.textChanged.connect(lambda t: self.ok.setEnabled(bool(t.strip())))
        self.ok.setEnabled(bool(text.strip()))
        self.setMinimumWidth(560)

    def value(self) -> str:
        return self.field.text().strip()


def ask_text(parent: QWidget | None, title: str, prompt: str, placeholder: str = "", text: str = "",
             ok: str = "OK") -> str | None:
    """Return the text entered, None when cancelled."""
    dialog = TextDialog(title, prompt, parent, placeholder, text, ok)
    return dialog.value() if dialog.exec() else None


class RateDialog(QDialog):
    """Ask for the new pump rate (mL/h) and the reason, both required, showing what the rate gives first.

    preview(rate) is the core's rate_preview: the clinical rules compute the dose rate, the new end, the
    dose by the end and the drug library's verdict; the dialog only shows them. A rate above the soft
    limit enables *Change rate* only once its confirmation is ticked (confirmed() says so, and the engine
    records it in the reason); a rate above the hard limit never enables it. tz is the session's zone.
    """

    def __init__(self, current: float, preview: Callable[[float], RatePreview], tz: Zone = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Change the pump rate")
        self.current = current
        self._preview = preview
        self._tz = tz
        self.rate = QDoubleSpinBox()
        self.rate.setRange(1.0, 2000.0)
        self.rate.setDecimals(1)
        self.rate.setSuffix(" mL/h")
        self.rate.setValue(current)
        self.rate.setMinimumHeight(40)
        theme.set_font(self.rate, 22, bold=True)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("required, e.g. BP rising, slowed on advice")
        self.reason.setMinimumHeight(40)
        info = QLabel(f"Now {current:.1f} mL/h. Set the same rate on the pump.")
        info.setProperty("role", "dim")
        self.dose_rate, self.ends, self.dose_by_end = QLabel(), QLabel(), QLabel()
        for label in (self.dose_rate, self.ends, self.dose_by_end):
            theme.set_font(label, 18, bold=True)
        self.limit = QLabel()
        self.limit.setWordWrap(True)
        self.limit.setMinimumHeight(2 * self.limit.fontMetrics().lineSpacing() + 8)  # room for the longest verdict
        self.soft_ok = QCheckBox("I confirm this rate above the soft limit")
        policy = self.soft_ok.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # the dialog keeps its size and its buttons their place while typing
        self.soft_ok.setSizePolicy(policy)
        form = QFormLayout()
        form.addRow("New pump rate", self.rate)
        form.addRow("Dose rate", self.dose_rate)
        form.addRow("Bag empty at", self.ends)
        form.addRow("Dose by the end", self.dose_by_end)
        form.addRow("Why change it?", self.reason)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.Ok)
        self.ok.setText("Change rate")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(info)
        box.addLayout(form)
        box.addWidget(self.limit)
        box.addWidget(self.soft_ok)
        box.addWidget(self.buttons)
        self._usable = False
        self.rate.valueChanged.connect(self._rate_changed)
        self._clock = QTimer(self)  # the end time moves on while the dialog stays open
        self._clock.timeout.connect(self._show_preview)
        self._clock.start(5000)
        self.reason.textChanged.connect(self._enable)
        self.soft_ok.toggled.connect(self._enable)
        self._show_preview()
        self.setMinimumWidth(560)

    def _rate_changed(self) -> None:
        self.soft_ok.setChecked(False)  # a confirmation is of one rate, never carried to another
        self._show_preview()

    def _show_preview(self) -> None:
        """Show what the rate typed gives, and whether the drug library refuses it or wants it confirmed."""
        from monitor.clinical.infusion import InfusionError  # loaded with the core that gives the preview
        from monitor.timefmt import clock_text, duration_text

        try:
            p = self._preview(self.rate.value())
        except (InfusionError, ValueError) as exc:  # the infusion ended meanwhile; no infusion planned
            p, words = None, str(exc)
        if p is None:
            texts, soft, role = ("-", "-", "-"), False, "error"
        else:
            texts = (f"{p.dose_rate_mg_per_kg_per_h:.2f} mg/kg/h",
                     f"{clock_text(p.end_utc, self._tz)} (in {duration_text(p.remaining_s)})",
                     f"{p.dose_by_end_mg:.1f} mg ({p.dose_by_end_mg_per_kg:.2f} mg/kg)")
            soft = p.check.needs_confirmation
            words = ("Refused: " + "; ".join(p.check.hard) + "." if p.check.refused else
                     "Above the soft limit: " + "; ".join(p.check.soft) + "." if soft else
                     "Within the drug library's limits.")
            role = "error" if p.check.refused else "warning" if soft else "dim"
        for label, text in zip((self.dose_rate, self.ends, self.dose_by_end), texts):
            label.setText(text)
        self.limit.setText(words)
        theme.restyle(self.limit, "role", role)
        self.soft_ok.setVisible(soft)
        self._usable = p is not None and not p.check.refused
        self._enable()

    def _enable(self) -> None:
        confirmed = self.soft_ok.isChecked() or not self.soft_ok.isVisibleTo(self)
        self.ok.setEnabled(self._usable and confirmed and bool(self.reason.text().strip())
                           and abs(self.rate.value() - self.current) > 1e-9)

    def confirmed(self) -> bool:
        """Tell whether the nurse ticked the confirmation of a rate above the soft limit."""
        return self.soft_ok.isVisibleTo(self) and self.soft_ok.isChecked()


class UserDialog(QDialog):
    """Ask who is at the monitor (initials or name); everything done on the screen is recorded as theirs."""

    def __init__(self, current: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Who is at the monitor?")
        prompt = QLabel("Your initials or name. Every action, acknowledgement, limit change, event, scale and "
                        "discharge from now on is recorded under it." +
                        (f"\nNow: {current}" if current else ""))
        prompt.setWordWrap(True)
        self.field = QLineEdit()
        self.field.setPlaceholderText("e.g. AB or Anna Berg")
        self.field.setMinimumHeight(40)
        theme.set_font(self.field, 20, bold=True)
        self.buttons = QDialogButtonBox()  # buttons given after: QDialogButtonBox(buttons) builds Qt's ~90 enums first
        self.buttons.setStandardButtons(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.Ok)
        self.ok.setText("This is me")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(prompt)
        box.addWidget(self.field)
        box.addWidget(self.buttons)
        self.field.textChanged.connect(lambda t: self.ok.setEnabled(bool(t.strip())))
        self.ok.setEnabled(False)
        self.setMinimumWidth(560)

    def user(self) -> str:
        return self.field.text().strip()


class ItemsDialog(QDialog):
    """Ask a yes/no question about a list of items, each on its own lines ("no" is the default button).

    The list stays readable at arm's length: one wrapped line per item, no desktop icon.
    """

    def __init__(self, title: str, lead: str, items: tuple[str, ...], note: str, yes: str, no: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        heading = QLabel(lead)
        heading.setWordWrap(True)
        theme.set_font(heading, 18, bold=True)
        box = QVBoxLayout(self)
        box.addWidget(heading)
        self.items: list[QLabel] = []
        for item in items:
            label = QLabel(f"•  {item[:1].upper()}{item[1:]}")
            label.setWordWrap(True)
            label.setProperty("role", "todo")
            box.addWidget(label)
            self.items.append(label)
        footnote = QLabel(note)
        footnote.setWordWrap(True)
        footnote.setProperty("role", "dim")
        box.addSpacing(8)
        box.addWidget(footnote)
        self.buttons = QDialogButtonBox()
        self.yes = self.buttons.addButton(yes, QDialogButtonBox.AcceptRole)
        self.no = self.buttons.addButton(no, QDialogButtonBox.RejectRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        box.addWidget(self.buttons)
        self.setMinimumWidth(640)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        """Make "no" the default once shown (Qt picks the first button then): Enter never says yes."""
        super().showEvent(event)
        self.no.setDefault(True)
        self.no.setFocus()


def confirm_items(parent: QWidget | None, title: str, lead: str, items: tuple[str, ...], note: str, yes: str,
                  no: str) -> bool:
    """Ask a yes/no question about a list of items (ItemsDialog); tell whether the answer was yes."""
    return bool(ItemsDialog(title, lead, items, note, yes, no, parent).exec())


def question_box(parent: QWidget | None, title: str, text: str, yes: str, no: str) -> tuple[QMessageBox, QWidget]:
    """Return a yes/no message box with buttons that say what they do ("no" is the default) and its yes button.

    No icon: the desktop's icon column left a wide empty area beside the words, and its buttons carried the
    desktop's icons; the words say what the box is about.
    """
    box = _plain_box(parent, title, text)
    yes_button = box.addButton(yes, QMessageBox.AcceptRole)
    box.setDefaultButton(box.addButton(no, QMessageBox.RejectRole))
    return box, yes_button


def confirm(parent: QWidget | None, title: str, text: str, yes: str, no: str) -> bool:
    """Ask a yes/no question; tell whether the answer was yes."""
    box, yes_button = question_box(parent, title, text, yes, no)
    box.exec()
    return box.clickedButton() is yes_button


def tell(parent: QWidget | None, title: str, text: str, warning: bool = False) -> None:
    """Show a message with one OK button (a warning's words in the warning colour), no icon (see question_box)."""
    box = _plain_box(parent, title, text, theme.ERROR if warning else "")
    box.setDefaultButton(box.addButton("OK", QMessageBox.AcceptRole))
    box.exec()


def _plain_box(parent: QWidget | None, title: str, text: str, colour: str = "") -> QMessageBox:
    """Return a message box of words only: no icon, wrapped text as wide as it needs up to 760 px (a 1024 px screen).

    Without an icon, Qt sizes the box to the text's minimum width, so the width is set here.
    """
    box = QMessageBox(QMessageBox.NoIcon, title, text, QMessageBox.NoButton, parent)
    label = box.findChild(QLabel, "qt_msgbox_label")
    label.ensurePolished()  # the theme's font, not the default one
    font = label.font()
    font.setBold(bool(colour))  # a warning is bold: measured so
    width = max(360, min(760, QFontMetrics(font).horizontalAdvance(text) + 8))
    label.setWordWrap(True)
    look = f"min-width: {width}px;" + (f" color: {colour}; font-weight: bold;" if colour else "")
    box.setStyleSheet(f"QLabel#qt_msgbox_label {{ {look} }}")
    return box
