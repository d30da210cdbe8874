"""Small dialogs of the monitor: a reason or a note, a new pump rate, who is at the monitor, yes/no questions.

They replace Qt's tiny default input dialogs: a wide field in the app's font,
OK only once something is entered, and message boxes whose buttons say what
they do ("Close monitoring", "Keep monitoring") without desktop-theme icons.
Every one fits a 1024 x 600 screen.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
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
    """Ask for the new pump rate (mL/h) and the reason, both required."""

    def __init__(self, current: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Change the pump rate")
        self.current = current
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
        form = QFormLayout()
        form.addRow("New pump rate", self.rate)
        form.addRow("Why change it?", self.reason)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.Ok)
        self.ok.setText("Change rate")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(info)
        box.addLayout(form)
        box.addWidget(self.buttons)
        self.rate.valueChanged.connect(self._enable)
        self.reason.textChanged.connect(self._enable)
        self._enable()
        self.setMinimumWidth(560)

    def _enable(self) -> None:
        self.ok.setEnabled(bool(self.reason.text().strip()) and abs(self.rate.value() - self.current) > 1e-9)


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
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
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


def question_box(parent: QWidget | None, title: str, text: str, yes: str, no: str) -> tuple[QMessageBox, QWidget]:
    """Return a yes/no message box with buttons that say what they do ("no" is the default) and its yes button."""
    box = QMessageBox(QMessageBox.Question, title, text, QMessageBox.NoButton, parent)
    yes_button = box.addButton(yes, QMessageBox.AcceptRole)
    box.setDefaultButton(box.addButton(no, QMessageBox.RejectRole))
    return box, yes_button


def confirm(parent: QWidget | None, title: str, text: str, yes: str, no: str) -> bool:
    """Ask a yes/no question; tell whether the answer was yes."""
    box, yes_button = question_box(parent, title, text, yes, no)
    box.exec()
    return box.clickedButton() is yes_button


def tell(parent: QWidget | None, title: str, text: str, warning: bool = False) -> None:
    """Show a message with one OK button."""
    box = QMessageBox(QMessageBox.Warning if warning else QMessageBox.Information, title, text, QMessageBox.Ok, parent)
    box.exec()
