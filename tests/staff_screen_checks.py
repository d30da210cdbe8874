"""Signing at the chair on a real display at 1366 x 768, driven by clicks and keys: with a staff list, Acknowledge
asks the current user's PIN (a wrong one is said in place, the right one acknowledges) while the vitals keep
updating behind the dialog; *Switch user* takes the new user's PIN; without a list the footer says plainly that
actions are not signed and Acknowledge asks nothing; the owner's staff list dialog adds a member.

Run by tests/ui/test_staff_screens.py on Xvfb with QT_QPA_PLATFORM=xcb; pictures go to $SCREEN_SHOTS_DIR when set.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import truth_screen_checks as truth
from clocks import FakeClock
from PySide6.QtCore import QPoint, QRect, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from screen_checks import clipping_failures, legibility_failures
from staff_fixtures import flagged_chair, staff_book

from monitor.alarms import Priority
from monitor.alarms.keys import AppAlarm
from monitor.clinical.signing import ACK_WINDOW_S, NOTICE, Action, Signing, SigningRefused
from monitor.clinical.staff import StaffBook
from monitor.record.signing import Signature
from ui import gallery
from ui.monitor.staff_dialog import StaffDialog
from ui.signing import PinDialog

SCREEN = (1366, 768)
#: How long (s) a check looks for a dialog its click should open.
LOOK_S = 20.0
app, shots = truth.app, truth.shots  # the fixtures: the dark desktop, where the pictures go


@pytest.fixture
def book(tmp_path) -> StaffBook:
    return staff_book(tmp_path / "staff.json")


@contextmanager
def monitor(qtbot, folder: Path, signing: Signing) -> Iterator[tuple[gallery.Scene, QWidget]]:
    """Yield a running scene signing with `signing` and its monitor window shown at 1366 x 768."""
    from ui.monitor.main_window import MainWindow

    with gallery.scene(folder) as s:
        s.core.signing = signing
        window = MainWindow(s.core)
        qtbot.addWidget(window)
        gallery.shown(window, SCREEN)
        yield s, window


def screen_shot(path) -> None:
    """Save the whole screen: the dialog over the monitor, as the nurse sees it."""
    QApplication.primaryScreen().grabWindow(0).save(str(path))


def while_open(steps, kind: type = PinDialog) -> list[str]:
    """Run steps(dialog) on the dialog of `kind` once it is open (its action waits in a local event loop); return
    what failed. It looks for the dialog for LOOK_S only, so a dialog that never opened leaves no poller behind
    to act on a later one."""
    failed: list[str] = []
    until = time.monotonic() + LOOK_S

    def run() -> None:
        dialog = next((w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()), None)
        if dialog is None:
            if time.monotonic() < until:
                QTimer.singleShot(50, run)
            return
        try:
            steps(dialog)
        except Exception as exc:  # said after the click returns, where pytest sees it
            failed.append(f"{exc.__class__.__name__}: {exc}")
            dialog.reject()

    QTimer.singleShot(50, run)
    return failed


def alarm(core) -> None:
    core.raise_technical(AppAlarm.NIBP_OVERDUE, Priority.MEDIUM, "BP overdue: take a BP")


def unacknowledged(core) -> bool:
    return any(not a.acknowledged for a in core.alarm_view().active)


def test_acknowledge_asks_the_users_pin_and_the_vitals_keep_updating_behind_it(app, qtbot, tmp_path, book, shots):
    clock = FakeClock()
    with monitor(qtbot, tmp_path / "scene", Signing.load(book.path, clock)) as (s, window):
        s.core.sign(Action.SWITCH_USER, "1111", "AB")  # as at the start: the first user signs
        clock.advance(ACK_WINDOW_S + 1)  # the PIN given at the start no longer covers an acknowledgement
        alarm(s.core)
        qtbot.waitUntil(lambda: unacknowledged(s.core), timeout=10000)
        assert not window.unsigned.isVisible()
        seen: dict[str, object] = {}

        def steps(dialog: PinDialog) -> None:
            seen["who"] = dialog.who.currentText()
            frames = window._frame
            s.patient.spo2 = 91.0  # the patient changes while the nurse types
            QTest.keyClicks(dialog.pin, "9999")
            QTest.keyClick(dialog.pin, Qt.Key_Return)
            seen["wrong"] = dialog.message.text()
            seen["still_open"] = dialog.isVisible()
            qtbot.waitUntil(lambda: window.tiles["spo2"].value.text() == "91", timeout=15000)
            seen["frames"] = window._frame - frames
            tiles = [QRect(w.mapToGlobal(QPoint(0, 0)), w.size()) for w in (*window.tiles.values(), window.nibp,
                                                                             window.alarm_bar)]
            seen["covers"] = [t for t in tiles if dialog.frameGeometry().intersects(t)]
            screen_shot(shots / "pin-dialog-acknowledge-1366x768.png")
            seen["legible"] = legibility_failures("PIN dialog", dialog) + clipping_failures("PIN dialog", dialog)
            qtbot.mouseClick(window.alarm_bar.pause_button, Qt.LeftButton)  # the window behind still answers
            seen["paused"] = s.core.alarm_view().pause_remaining_s is not None
            qtbot.mouseClick(window.alarm_bar.ack_button, Qt.LeftButton)  # a second click stacks no second dialog
            seen["dialogs"] = sum(isinstance(w, PinDialog) and w.isVisible() for w in QApplication.topLevelWidgets())
            QTest.keyClicks(dialog.pin, "1111")
            QTest.keyClick(dialog.pin, Qt.Key_Return)

        failed = while_open(steps)
        qtbot.mouseClick(window.alarm_bar.ack_button, Qt.LeftButton)
        assert not failed, failed
        assert seen["who"] == "AB · Anna Berg (nurse)"
        assert seen["wrong"] == "Wrong PIN for AB." and seen["still_open"]
        assert seen["frames"] > 0 and not seen["covers"], seen
        assert not seen["legible"], seen["legible"]
        assert seen["paused"] and seen["dialogs"] == 1, seen
        qtbot.waitUntil(lambda: not unacknowledged(s.core), timeout=10000)
        # a second alarm soon after: the PIN just given covers it, no dialog
        s.core.clear_technical(AppAlarm.NIBP_OVERDUE)
        alarm(s.core)
        qtbot.waitUntil(lambda: unacknowledged(s.core), timeout=10000)
        qtbot.mouseClick(window.alarm_bar.ack_button, Qt.LeftButton)
        qtbot.waitUntil(lambda: not unacknowledged(s.core), timeout=10000)
        s.core.stop()
        signatures = [e.record for e in s.core.store.journal_records(s.core.session_id, ("signature",)).entries]
        assert [(r.action, r.initials, r.signed, r.in_window) for r in signatures][-2:] == [
            ("acknowledge", "AB", True, False), ("acknowledge", "AB", True, True)]


def test_switch_user_takes_the_new_users_pin(app, qtbot, tmp_path, book, shots):
    with monitor(qtbot, tmp_path / "scene", Signing.load(book.path)) as (s, window):
        seen: dict[str, object] = {}

        def steps(dialog: PinDialog) -> None:
            dialog.who.setFocus()
            while dialog.who.currentData() != "CL":
                QTest.keyClick(dialog.who, Qt.Key_Down)
            QTest.keyClicks(dialog.pin, "secret99")
            gallery.settle(300)
            screen_shot(shots / "pin-dialog-switch-user-1366x768.png")
            seen["items"] = [dialog.who.itemText(i) for i in range(dialog.who.count())]
            QTest.keyClick(dialog.pin, Qt.Key_Return)

        failed = while_open(steps)
        qtbot.mouseClick(window.header.user, Qt.LeftButton)
        assert not failed, failed
        assert seen["items"] == ["OO · Olga Owner (owner)", "AB · Anna Berg (nurse)", "CL · Carl Lee (clinician)"]
        assert s.core.operator == "CL"
        window.refresh()
        assert window.header.user.text() == "User: CL"


def test_a_running_back_off_is_said_before_the_pin_is_typed_and_counts_down(app, qtbot, tmp_path, book, shots):
    clock = FakeClock()
    with monitor(qtbot, tmp_path / "scene", Signing.load(book.path, clock, wall=clock.wall)) as (s, window):
        for _ in range(3):  # three wrong PINs for AB a moment ago (here, or at another window or command)
            with pytest.raises(SigningRefused):
                s.core.sign(Action.SWITCH_USER, "9999", "AB")
        seen: dict[str, object] = {}

        def steps(dialog: PinDialog) -> None:
            dialog.who.setFocus()
            while dialog.who.currentData() != "AB":
                QTest.keyClick(dialog.who, Qt.Key_Down)
            seen["before"] = (dialog.message.text(), dialog.pin.isEnabled(), dialog.ok.isEnabled())
            QTest.keyClicks(dialog.pin, "1111")  # the field takes nothing while AB waits
            seen["typed"] = dialog.pin.text()
            gallery.settle(300)
            screen_shot(shots / "pin-dialog-back-off-1366x768.png")
            seen["legible"] = legibility_failures("PIN dialog", dialog) + clipping_failures("PIN dialog", dialog)
            clock.advance(25)
            qtbot.waitUntil(lambda: "in 5 s" in dialog.message.text(), timeout=5000)  # counting down
            clock.advance(6)
            qtbot.waitUntil(lambda: dialog.pin.isEnabled(), timeout=5000)
            seen["after"] = (dialog.message.text(), dialog.focusWidget() is dialog.pin, dialog.pin.placeholderText())
            QTest.keyClicks(dialog.pin, "1111")
            QTest.keyClick(dialog.pin, Qt.Key_Return)

        failed = while_open(steps)
        qtbot.mouseClick(window.header.user, Qt.LeftButton)
        assert not failed, failed
        assert seen["before"] == ("Wrong PIN 3 times for AB: try again in 30 s.", False, False), seen
        assert seen["typed"] == "" and not seen["legible"], seen
        assert seen["after"] == ("", True, "PIN or password"), seen
        assert s.core.operator == "AB"


def test_without_a_staff_list_the_footer_says_actions_are_not_signed(app, qtbot, tmp_path, shots):
    with monitor(qtbot, tmp_path / "scene", Signing.load(tmp_path / "none.json")) as (s, window):
        alarm(s.core)
        qtbot.waitUntil(lambda: unacknowledged(s.core), timeout=10000)
        assert window.unsigned.isVisible() and window.unsigned.text() == NOTICE
        assert window.unsigned.width() >= window.unsigned.sizeHint().width()  # read whole at 1366 x 768
        gallery.grab(window, shots / "monitor-unsigned-footer-1366x768.png")
        qtbot.mouseClick(window.alarm_bar.ack_button, Qt.LeftButton)  # no PIN asked
        qtbot.waitUntil(lambda: not unacknowledged(s.core), timeout=10000)
        s.core.stop()
        [signature] = [e.record for e in s.core.store.journal_records(s.core.session_id, ("signature",)).entries]
        assert signature == Signature("acknowledge", "AB", False)


def test_the_owner_adds_a_member_in_the_staff_list_dialog(app, qtbot, book, shots):
    dialog = StaffDialog(book, book.load().member("OO"))
    qtbot.addWidget(dialog)
    gallery.shown(dialog)
    for field, text in ((dialog.name, "Dana Fox"), (dialog.initials, "df"), (dialog.pin, "2468"),
                        (dialog.again, "2468")):
        QTest.keyClicks(field, text)
    qtbot.mouseClick(dialog.add_button, Qt.LeftButton)
    assert dialog.message.text() == "Added DF · Dana Fox (nurse)."
    assert [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())] == ["OO", "AB", "CL", "DF"]
    assert book.load().member("DF").name == "Dana Fox" and book.load().member("DF").pin.matches("2468")
    gallery.grab(dialog, shots / "staff-dialog.png")
    failures = legibility_failures("staff dialog", dialog) + clipping_failures("staff dialog", dialog)
    assert not failures, failures


def test_a_rate_above_the_soft_limit_is_signed_by_the_users_pin_or_not_changed(app, qtbot, tmp_path, book, shots,
                                                                                monkeypatch):
    from ui.dialogs import RateDialog

    with monitor(qtbot, tmp_path / "scene", Signing.load(book.path)) as (s, window):
        s.core.infusion_action("start", user="AB")
        assert s.core.rate_preview(450).check.needs_confirmation

        def typed(dialog: RateDialog) -> int:  # the nurse types 450 mL/h, a reason, and ticks the confirmation
            dialog.rate.setValue(450)
            dialog.reason.setText("slowed BP rise, on advice")
            dialog.soft_ok.setChecked(True)
            return 1

        monkeypatch.setattr(RateDialog, "exec", typed)
        qtbot.waitUntil(lambda: window.infusion.buttons["rate"].isEnabled(), timeout=10000)
        seen: dict[str, str] = {}

        def cancel(dialog: PinDialog) -> None:  # the PIN is not given: nothing changes
            seen["cancelled"] = dialog.windowTitle()
            dialog.reject()

        failed = while_open(cancel)
        qtbot.mouseClick(window.infusion.buttons["rate"], Qt.LeftButton)
        assert not failed, failed
        assert seen.pop("cancelled") == "Sign: confirm a dose above the soft limit"
        assert s.core.infusion_status().current_rate_ml_per_h != 450

        def steps(dialog: PinDialog) -> None:
            seen["heading"] = dialog.windowTitle()
            QTest.keyClicks(dialog.pin, "1111")
            QTest.keyClick(dialog.pin, Qt.Key_Return)

        failed = while_open(steps)
        qtbot.mouseClick(window.infusion.buttons["rate"], Qt.LeftButton)
        assert not failed, failed
        assert seen["heading"] == "Sign: confirm a dose above the soft limit"
        assert s.core.infusion_status().current_rate_ml_per_h == 450
        assert s.core.infusion.log[-1].user == "AB"
        s.core.stop()
        signatures = [e.record for e in s.core.store.journal_records(s.core.session_id, ("signature",)).entries]
        assert [(r.action, r.initials, r.signed) for r in signatures] == [("soft_limit", "AB", True)]


def test_the_review_station_signs_an_item_9_review_with_a_clinicians_pin(app, qtbot, tmp_path, book, monkeypatch):
    from monitor.record.outcomes import OutcomeReview
    from monitor.storage.store import Store
    from ui.monitor.outcome_dialog import FlagReviewDialog
    from ui.review.flag_review import review_flag

    monkeypatch.setenv("INFUSION_MONITOR_STAFF", str(book.path))
    session = flagged_chair(tmp_path / "chair.db")

    def typed(dialog: FlagReviewDialog) -> int:
        dialog.reviewer.setText("CL")
        dialog.note.setPlainText("passive thoughts, no plan; may proceed")
        return 1

    monkeypatch.setattr(FlagReviewDialog, "exec", typed)
    seen: dict[str, str] = {}

    def steps(dialog: PinDialog) -> None:
        seen["who"] = dialog.who.currentText()
        QTest.keyClicks(dialog.pin, "secret99")
        QTest.keyClick(dialog.pin, Qt.Key_Return)

    failed = while_open(steps)
    review = review_flag(None, str(tmp_path / "chair.db"), "P1", session)
    assert not failed, failed
    assert seen["who"] == "CL · Carl Lee (clinician)"
    assert review is not None and review.reviewer == "Carl Lee (CL)"
    store = Store(tmp_path / "chair.db")
    kinds = [e.record for e in store.journal_records(session, ("outcome_review", "signature")).entries]
    store.close()
    assert isinstance(kinds[0], OutcomeReview) and kinds[1] == Signature("flag_review", "CL", True, "Carl Lee",
                                                                         "clinician")


def test_the_owner_opens_the_staff_list_from_the_menu_with_their_pin_and_the_monitor_takes_the_change(
        app, qtbot, tmp_path, book):
    with monitor(qtbot, tmp_path / "scene", Signing.load(book.path)) as (s, window):
        seen: dict[str, object] = {}

        def in_staff_dialog(dialog: StaffDialog) -> None:
            for field, text in ((dialog.name, "Dana Fox"), (dialog.initials, "DF"), (dialog.pin, "2468"),
                                (dialog.again, "2468")):
                QTest.keyClicks(field, text)
            qtbot.mouseClick(dialog.add_button, Qt.LeftButton)
            seen["message"] = dialog.message.text()
            dialog.accept()

        def steps(dialog: PinDialog) -> None:
            seen["owners"] = [dialog.who.itemText(i) for i in range(dialog.who.count())]
            dialog.who.setCurrentIndex(dialog.who.findData("OO"))
            QTest.keyClicks(dialog.pin, "4321")
            failures.append(while_open(in_staff_dialog, StaffDialog))
            QTest.keyClick(dialog.pin, Qt.Key_Return)

        failures = [while_open(steps)]  # each list fills in when its dialog has been used
        [action] = [a for a in window.menu.actions() if a.text() == "Staff list…"]
        action.trigger()
        assert len(failures) == 2 and not any(failures), failures
        assert seen == {"owners": ["OO · Olga Owner (owner)"], "message": "Added DF · Dana Fox (nurse)."}
        assert s.core.signing.staff.member("DF") is not None  # the running monitor signs with the new list
