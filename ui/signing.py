"""Signing at the screen: the PIN dialog, and who takes over the monitor.

The rule (which action needs whose PIN) is the core's (monitor.clinical.signing);
this module only asks. The PIN dialog is modal for its action alone: the
action waits for it in a local event loop, while the window behind keeps
painting the vitals, sounding the alarms and taking clicks and keys (Pause
sound, Space, BP now); one PIN dialog is open at a time. It sits over the
trends, never over the tiles or the alarm area, and closes by itself after
INACTIVE_S without a key. A wrong PIN is said in place and the field emptied,
so a nurse types again at once. The owner's staff list dialog opens the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from monitor.clinical.signing import BY_CURRENT, Action, Signer, Signing, SigningRefused
from ui import theme
from ui.dialogs import UserDialog, tell

if TYPE_CHECKING:
    from monitor.live.core import MonitorCore

#: The PIN dialog closes by itself after this long (s) without a key: it never stays over the monitor.
INACTIVE_S = 60
#: Where it sits on the window: left edge, below the header and the alarm area (over the pleth and trends).
PLACE = (16, 150)


def idle_timer(dialog: QDialog, close: Callable[[], None]) -> QTimer:
    """Return a started timer that closes a signing dialog after INACTIVE_S; restart it on every key."""
    timer = QTimer(dialog)
    timer.setSingleShot(True)
    timer.setInterval(INACTIVE_S * 1000)
    timer.timeout.connect(close)
    timer.start()
    return timer


class PinDialog(QDialog):
    """Ask for a PIN to sign one action: the current user's, or that of the member chosen in the list.

    sign(secret, initials) is the core's signature (MonitorCore.sign, or Signing.sign where no monitor runs);
    current is the user at the monitor, initials preselect the member for the other actions.
    """

    def __init__(self, signing: Signing, action: Action, sign: Callable[[str, str], Signer], current: str = "",
                 initials: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.action, self._sign, self._signing = action, sign, signing
        self.signer: Signer | None = None
        self._waiting = False  # the chosen member's back-off runs: the PIN field waits, the message counts down
        self.setWindowTitle(f"Sign: {action.words}")
        heading = QLabel(f"{action.words[:1].upper()}{action.words[1:]}: enter "
                         + ("your PIN" if action in BY_CURRENT else "your name and PIN"))
        heading.setWordWrap(True)
        theme.set_font(heading, 18, bold=True)
        self.who = QComboBox()  # the member who signs; fixed to the current user for their own actions
        theme.set_font(self.who, 18, bold=True)
        self.who.setMinimumHeight(40)
        members = signing.signers(action)
        current = (current if action in BY_CURRENT else initials).strip().upper()
        for m in members:
            if action not in BY_CURRENT or m.initials == current:
                self.who.addItem(m.label, m.initials)
        if action not in BY_CURRENT:
            self.who.setCurrentIndex(self.who.findData(current) if current else -1)  # -1: "choose your name"
            self.who.setPlaceholderText("choose your name")
        self.who.setEnabled(action not in BY_CURRENT)
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.Password)
        self.pin.setPlaceholderText("PIN or password")
        self.pin.setMinimumHeight(44)
        theme.set_font(self.pin, 22, bold=True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setProperty("role", "error")
        self.message.setMinimumHeight(2 * self.message.fontMetrics().lineSpacing() + 4)
        note = QLabel("The monitor keeps running behind this window.")
        note.setProperty("role", "dim")
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.Ok)
        self.ok.setText("Sign")
        self.buttons.accepted.connect(self.sign)
        self.buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        for widget in (heading, self.who, self.pin, self.message, note, self.buttons):
            box.addWidget(widget)
        self.idle = idle_timer(self, self.reject)
        self.wait_timer = QTimer(self)  # counts a back-off down while it is shown
        self.wait_timer.setInterval(1000)
        self.wait_timer.timeout.connect(self._update)
        self.pin.textChanged.connect(self._typed)
        self.who.currentIndexChanged.connect(self._typed)
        self.setMinimumWidth(520)
        self._typed()
        if not members or (action in BY_CURRENT and self.who.count() == 0):
            self.message.setText(f"Nobody on the staff list may {action.words} as {current or 'this user'}: "
                                 + ("switch user first." if action in BY_CURRENT else "ask the owner."))

    def _typed(self) -> None:
        self.idle.start()
        self._update()

    def _update(self) -> None:
        """Say the chosen member's back-off before a PIN is typed (counting down, the PIN field off until it
        ends); enable Sign once a member is chosen and a PIN typed."""
        chosen = self.who.currentIndex() >= 0
        wait = self._signing.wait_words(self.who.currentData() or "") if chosen else ""
        if wait:
            self.message.setText(wait[:1].upper() + wait[1:] + ".")
        elif self._waiting:  # the back-off just ended
            self.message.clear()
        self.pin.setEnabled(not wait)
        self.pin.setPlaceholderText("" if wait else "PIN or password")  # greyed hint text is unreadable: none
        if self._waiting and not wait:
            self.pin.setFocus(Qt.OtherFocusReason)
        self._waiting = bool(wait)
        if wait and not self.wait_timer.isActive():
            self.wait_timer.start()
        elif not wait:
            self.wait_timer.stop()
        self.ok.setEnabled(not wait and bool(self.pin.text()) and chosen)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        """Sit over the trends of the window behind (never over the tiles or the alarm area); focus the PIN."""
        super().showEvent(event)
        window = self.parentWidget().window() if self.parentWidget() is not None else None
        if window is not None:
            top_left = window.geometry().topLeft()
            self.move(top_left.x() + PLACE[0], top_left.y() + PLACE[1])
        (self.pin if self.who.currentIndex() >= 0 else self.who).setFocus(Qt.OtherFocusReason)

    def sign(self) -> None:
        """Check the PIN with the core; close signed, or say why not in place and empty the field."""
        try:
            self.signer = self._sign(self.pin.text(), self.who.currentData() or "")
        except SigningRefused as exc:
            text = str(exc)
            self.message.setText(text[:1].upper() + text[1:] + ".")
            self.pin.clear()
            self.pin.setFocus()
            return
        self.accept()


def beside(dialog: QDialog) -> bool:
    """Show a dialog without blocking the window behind and wait for it; tell whether it was accepted.

    Modal for its action only: the caller waits in a local event loop while the monitor keeps taking clicks
    and keys. A dialog of the same kind already open is brought to the front instead (and this one is
    dropped, unaccepted): a second click never stacks a second one.
    """
    waiting = [w for w in QApplication.topLevelWidgets() if type(w) is type(dialog) and w.isVisible()]
    if waiting:
        waiting[0].raise_()
        waiting[0].activateWindow()
        dialog.deleteLater()
        return False
    dialog.setWindowModality(Qt.NonModal)
    loop = QEventLoop()
    dialog.finished.connect(loop.quit)
    dialog.show()
    loop.exec()
    dialog.deleteLater()
    return dialog.result() == QDialog.Accepted


def answer(dialog: PinDialog) -> Signer | None:
    """Show a PIN dialog beside the monitor and return the signer, None if cancelled (or another was open)."""
    return dialog.signer if beside(dialog) else None


def signed_by(parent: QWidget | None, core: MonitorCore, action: Action, initials: str = "") -> Signer | None:
    """Return who signs an action, asking a PIN only when the core needs one; None when cancelled or refused.

    Without a staff list (or inside the acknowledgement window) nothing is asked and the core records the
    action as the current user's (or `initials`'), unsigned or signed a moment before.
    """
    if not core.pin_needed(action):
        try:
            return core.sign(action, None, initials)
        except SigningRefused as exc:
            tell(parent, "Sign", str(exc)[:1].upper() + str(exc)[1:] + ".", warning=True)
            return None
    return answer(PinDialog(core.signing, action, lambda secret, who: core.sign(action, secret, who), core.operator,
                            initials, parent))


def signed_here(parent: QWidget | None, signing: Signing, action: Action, initials: str = "") -> Signer | None:
    """Return who signs an action where no monitor runs (the review station): their PIN with a staff list, the
    initials given, unsigned, without one; None when cancelled. The caller journals signer.signature(action)."""
    if not signing.signed:
        return signing.sign(action, None, initials)
    return answer(PinDialog(signing, action, lambda secret, who: signing.sign(action, secret, who), "", initials,
                            parent))


def who_takes_over(parent: QWidget | None, core: MonitorCore, initials: str = "") -> str | None:
    """Return the initials of who is at the monitor from now on (start, shift change); None when cancelled.

    With a staff list they sign with their PIN (initials, as the start dialog gave them, preselect them);
    without one the initials given are taken as they are (asked first at a shift change).
    """
    if not core.signing.signed and not initials:
        dialog = UserDialog(core.operator, parent)
        if not dialog.exec():
            return None
        initials = dialog.user()
    signer = signed_by(parent, core, Action.SWITCH_USER, initials)
    return None if signer is None else signer.initials
