"""pytest-qt: questionnaire entry in nurse mode and patient mode, nothing pre-filled, fits 1024 x 600; flag review."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QLabel

from monitor.record.instruments import OutcomeError
from monitor.clinical.outcomes import OutcomeFlag
from monitor.record.outcomes import OutcomeScore
from ui.monitor.outcome_dialog import FlagReviewDialog, OutcomeDialog

T = 1_700_000_000.0
SCREEN = QRect(0, 0, 1024, 600)


def dialog(qtbot, codes, mode):
    dlg = OutcomeDialog(codes, user="Nurse Kim", mode=mode, cutoffs={"pcl5": 33}, clock=lambda: T)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    return dlg


def click(qtbot, button):
    assert button.isVisible() and button.isEnabled()
    qtbot.mouseClick(button, Qt.LeftButton)


def inside(widget, window) -> bool:
    """Tell whether the widget lies wholly inside the window's 1024 x 600 area."""
    top_left = widget.mapTo(window, QPoint(0, 0))
    return SCREEN.contains(QRect(top_left, widget.size()))


# --- nurse mode --------------------------------------------------------------------------------------------

def test_nurse_mode_starts_empty_and_saves_only_when_every_item_is_answered(qtbot):
    dlg = dialog(qtbot, ["phq9", "gad7"], "nurse")
    assert all(g.checkedId() == -1 for groups in dlg.groups.values() for g in groups)  # nothing pre-filled
    assert not dlg.save.isEnabled() and not dlg.flag.isVisible()
    assert dlg.totals.text() == "PHQ-9 0 of 9 answered; GAD-7 0 of 7 answered"
    phq = [1, 2, 1, 0, 3, 1, 0, 1, 0]
    for i, v in enumerate(phq):
        click(qtbot, dlg.groups["phq9"][i].button(v))
    assert dlg.totals.text() == "PHQ-9 9 of 27, mild; GAD-7 0 of 7 answered"
    assert dlg.tabs.tabText(0) == "PHQ-9 9/9"
    dlg.tabs.setCurrentIndex(1)
    for i in range(6):
        click(qtbot, dlg.groups["gad7"][i].button(2))
    assert not dlg.save.isEnabled()
    dlg.save.click()  # even if forced, an unanswered item refuses
    assert dlg.result() == 0 and dlg.scores() == []
    click(qtbot, dlg.groups["gad7"][6].button(3))
    assert dlg.totals.text() == "PHQ-9 9 of 27, mild; GAD-7 15 of 21, severe"
    click(qtbot, dlg.save)
    assert dlg.result() == 1
    phq9, gad7 = dlg.scores()
    assert (phq9.instrument, phq9.items, phq9.mode, phq9.user, phq9.t) == ("phq9", tuple(phq), "nurse", "Nurse Kim", T)
    assert (gad7.items, gad7.band) == ((2,) * 6 + (3,), "severe")


def test_nurse_mode_shows_the_item9_flag_as_soon_as_it_is_answered(qtbot):
    dlg = dialog(qtbot, ["phq9"], "nurse")
    click(qtbot, dlg.groups["phq9"][8].button(0))
    assert not dlg.flag.isVisible()
    dlg.groups["phq9"][8].button(2).click()
    assert dlg.flag.isVisible()
    assert dlg.flag.text().startswith("PHQ-9 item 9 = 2 (thoughts of being better off dead or of self-harm)")
    assert "clinician must assess the patient before the infusion" in dlg.flag.text()


def test_nurse_mode_fits_the_screen_with_every_questionnaire(qtbot):
    dlg = dialog(qtbot, ["phq9", "gad7", "pcl5"], "nurse")
    hint = dlg.minimumSizeHint()
    assert hint.width() <= 1024 and hint.height() <= 600
    assert dlg.size().width() <= 1024 and dlg.size().height() <= 600
    for w in (dlg.save, dlg.cancel, dlg.tabs, dlg.totals):
        assert inside(w, dlg)


# --- patient mode ----------------------------------------------------------------------------------------------

def page_buttons(dlg):
    inst, item = dlg.page_items[dlg.pages.currentIndex()]
    return dlg.groups[inst.code][item].buttons()


def test_patient_mode_goes_one_item_a_page_with_back_next_and_a_summary_before_saving(qtbot):
    dlg = dialog(qtbot, ["phq9", "gad7"], "patient")
    assert dlg.pages.currentIndex() == 0 and dlg.progress.text() == "PHQ-9: question 1 of 9"
    assert not dlg.next.isEnabled() and not dlg.back.isEnabled() and not dlg.save.isVisible()
    assert not any(b.isChecked() for b in page_buttons(dlg))  # nothing pre-filled
    dlg.go(1)
    assert dlg.pages.currentIndex() == 0  # no skipping an unanswered item
    answers = [2, 1, 1, 0, 0, 1, 0, 0, 1] + [3, 3, 2, 1, 0, 0, 1]
    for n, value in enumerate(answers):
        click(qtbot, page_buttons(dlg)[value])
        if n == 1:  # go back and find the earlier answer kept
            click(qtbot, dlg.back)
            assert page_buttons(dlg)[2].isChecked() and dlg.next.isEnabled()
            click(qtbot, dlg.next)
            assert page_buttons(dlg)[1].isChecked()
        click(qtbot, dlg.next)
    assert dlg.pages.currentIndex() == len(dlg.page_items)  # the summary
    assert dlg.save.isVisible() and dlg.save.isEnabled() and not dlg.next.isVisible()
    assert [b.text().split("  ")[0] for b in dlg.summary_answers[:3]] == ["More than half the days", "Several days",
                                                                         "Several days"]
    assert dlg.summary_note.isVisible() and "tell the nurse" in dlg.summary_note.text()  # item 9 was answered 1
    assert "PHQ-9" not in dlg.summary_note.text() and "severe" not in dlg.summary_note.text()  # no scores shown
    click(qtbot, dlg.summary_answers[8])  # change item 9 from the summary
    assert dlg.pages.currentIndex() == 8
    click(qtbot, page_buttons(dlg)[0])
    dlg.go(len(dlg.page_items))
    assert not dlg.summary_note.isVisible()
    click(qtbot, dlg.save)
    phq9, gad7 = dlg.scores()
    assert phq9.items == (2, 1, 1, 0, 0, 1, 0, 0, 0) and not phq9.flag
    assert gad7.items == (3, 3, 2, 1, 0, 0, 1) and {phq9.mode, gad7.mode} == {"patient"}


def test_patient_mode_fits_every_page_of_every_questionnaire_on_1024_by_600(qtbot):
    dlg = dialog(qtbot, ["phq9", "gad7", "pcl5"], "patient")
    dlg.resize(1024, 600)
    for page in range(len(dlg.page_items)):
        dlg.pages.setCurrentIndex(page)
        qtbot.wait(1)
        inst, item = dlg.page_items[page]
        text = next(lab for lab in dlg.pages.currentWidget().findChildren(type(dlg.progress))
                    if lab.text() == inst.items[item])
        assert text.height() >= text.heightForWidth(text.width()), f"{inst.name} item {item + 1} is cut off"
        for b in [*page_buttons(dlg), dlg.next, dlg.back]:
            assert inside(b, dlg), f"{inst.name} item {item + 1}: {b.text()} is off the screen"
            assert b.height() >= 48  # a large target
    dlg.pages.setCurrentIndex(len(dlg.page_items))
    qtbot.wait(1)
    assert inside(dlg.save, dlg)


def test_the_dialog_refuses_an_unknown_mode_or_questionnaire(qtbot):
    with pytest.raises(ValueError, match="mode"):
        OutcomeDialog(["phq9"], user="n", mode="kiosk", cutoffs={"pcl5": 33})
    with pytest.raises(OutcomeError, match="unknown instrument"):
        OutcomeDialog(["bdi"], user="n", cutoffs={"pcl5": 33})


# --- flag review ------------------------------------------------------------------------------------------------

def test_flag_review_needs_a_reviewer_and_a_note(qtbot):
    score = OutcomeScore("phq9", (1,) * 9, T, "Nurse Kim", "patient")
    dlg = FlagReviewDialog(OutcomeFlag(score, ()), user="", tz="UTC")
    qtbot.addWidget(dlg)
    assert not dlg.ok.isEnabled()
    qtbot.keyClicks(dlg.reviewer, "Dr Lee ")
    assert not dlg.ok.isEnabled()
    dlg.note.setPlainText("  passive thoughts, no plan; safety plan reviewed  ")
    assert dlg.ok.isEnabled()
    assert dlg.review() == ("Dr Lee", "passive thoughts, no plan; safety plan reviewed")


def test_flag_review_gives_the_entry_time_in_the_sessions_zone(qtbot, machine_zone):
    machine_zone("America/New_York")  # the computer; the session was recorded in Tokyo
    score = OutcomeScore("phq9", (1,) * 9, T, "Nurse Kim", "patient")  # T: 2023-11-14 22:13:20 UTC
    dlg = FlagReviewDialog(OutcomeFlag(score, ()), user="", tz="Asia/Tokyo")
    qtbot.addWidget(dlg)
    texts = [label.text() for label in dlg.findChildren(QLabel)]
    assert any("entered 2023-11-15 07:13 by Nurse Kim" in t for t in texts), texts
    assert not any("2023-11-14 17:13" in t for t in texts)  # the computer's zone
