"""Message boxes are words and buttons that say what they do: no desktop icon beside the text or on a button,
no empty icon column, and the text whole (wrapped when long, never cut at the box's edge)."""

from __future__ import annotations

import pytest
from infusion_screen_checks import in_modal
from PySide6.QtWidgets import QLabel, QMessageBox

from ui import dialogs

TEXTS = ("Refused: 1500 mL/h is above the hard limit of 1000 mL/h (5.0 mg/kg/h).", "Saved.",
         "The session could not be read: " + "the file is damaged near page 812; " * 6)


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("warning", [False, True])
def test_a_message_is_whole_with_no_icon(qtbot, text, warning):
    seen = {}

    def look(box: QMessageBox) -> None:
        box.grab()  # laid out and painted as the nurse sees it
        label = box.findChild(QLabel, "qt_msgbox_label")
        seen.update(icon=box.icon(), buttons=[(b.text(), b.icon().isNull()) for b in box.buttons()],
                    fits=label.heightForWidth(label.width()) <= label.height() and label.wordWrap(),
                    width=box.width())
        box.done(0)

    failures = in_modal(look)
    dialogs.tell(None, "Rate", text, warning=warning)
    assert not failures, failures
    assert seen["icon"] == QMessageBox.NoIcon and seen["buttons"] == [("OK", True)]
    assert seen["fits"], "the text is cut"
    assert seen["width"] <= 800  # fits a 1024 px screen


def test_a_question_says_what_each_button_does_with_no_icon(qtbot):
    box, yes = dialogs.question_box(None, "Stop early", "Stop the infusion early?", "Stop early", "Keep running")
    qtbot.addWidget(box)
    assert box.icon() == QMessageBox.NoIcon and yes.text() == "Stop early"
    assert [b.text() for b in box.buttons()] == ["Stop early", "Keep running"]
    assert all(b.icon().isNull() for b in box.buttons()) and box.defaultButton().text() == "Keep running"
