"""The signing rule: who signs which action, the back-off after wrong PINs, the acknowledgement window, no list."""

from __future__ import annotations

import pytest
from clocks import FakeClock

from monitor.clinical.pin_backoff import BACKOFF_S, WRONG_TRIES
from monitor.clinical.signing import (
    ACK_WINDOW_S,
    DAMAGED_NOTICE,
    NOTICE,
    Action,
    Signing,
    SigningRefused,
)
from monitor.clinical.staff import StaffBook


@pytest.fixture
def staff(tmp_path):
    book = StaffBook(tmp_path / "staff.json")
    owner = book.add("Olga Owner", "OO", "owner", "4321", by=None)
    book.add("Nina Nurse", "NN", "nurse", "1111", by=owner)
    book.add("Carl Clin", "CC", "clinician", "password", by=owner)
    return book.path


def test_without_a_staff_list_actions_are_done_under_the_initials_unsigned(tmp_path):
    signing = Signing.load(tmp_path / "none.json")
    assert not signing.signed and signing.notice == NOTICE and not signing.pin_needed(Action.DISCHARGE, "AB")
    signer = signing.sign(Action.ACKNOWLEDGE, None, operator="AB")
    assert (signer.initials, signer.signed) == ("AB", False)
    assert signing.sign(Action.SWITCH_USER, None, initials="CD", operator="AB").initials == "CD"


def test_a_damaged_list_signs_nothing_and_says_so(tmp_path):
    path = tmp_path / "staff.json"
    path.write_text("{oops")
    path.chmod(0o600)
    signing = Signing.load(path)
    assert not signing.signed and signing.notice == DAMAGED_NOTICE and str(path) in signing.problem


def test_the_current_user_signs_acknowledge_soft_limit_and_discharge(staff):
    signing = Signing.load(staff, FakeClock())
    for action in (Action.ACKNOWLEDGE, Action.SOFT_LIMIT, Action.DISCHARGE):
        assert signing.pin_needed(action, "NN")
        signer = signing.sign(action, "1111", initials="OO", operator="NN")  # the chosen initials do not count
        assert (signer.initials, signer.signed, signer.role) == ("NN", True, "nurse")
    with pytest.raises(SigningRefused, match="wrong PIN for NN"):
        signing.sign(Action.DISCHARGE, "4321", operator="NN")  # the owner's PIN is not the current user's
    with pytest.raises(SigningRefused, match="switch user first"):
        signing.sign(Action.ACKNOWLEDGE, "1111", operator="XY")


def test_switch_user_is_the_new_users_pin_and_a_flag_review_a_clinicians(staff):
    signing = Signing.load(staff, FakeClock())
    assert signing.sign(Action.SWITCH_USER, "password", initials="cc", operator="NN").initials == "CC"
    with pytest.raises(SigningRefused, match="needs the PIN of a clinician or owner"):
        signing.sign(Action.FLAG_REVIEW, "1111", initials="NN", operator="NN")
    assert signing.sign(Action.FLAG_REVIEW, "password", initials="CC", operator="NN").role == "clinician"
    with pytest.raises(SigningRefused, match="an owner"):
        signing.sign(Action.STAFF_LIST, "password", initials="CC")
    assert [m.initials for m in signing.signers(Action.FLAG_REVIEW)] == ["OO", "CC"]


def test_an_acknowledgement_soon_after_the_users_pin_asks_none_and_nothing_else_skips(staff):
    clock = FakeClock()
    signing = Signing.load(staff, clock)
    signing.sign(Action.SWITCH_USER, "1111", initials="NN")
    assert not signing.pin_needed(Action.ACKNOWLEDGE, "NN")
    assert signing.pin_needed(Action.DISCHARGE, "NN") and signing.pin_needed(Action.SOFT_LIMIT, "NN")
    assert signing.pin_needed(Action.ACKNOWLEDGE, "CC")
    signer = signing.sign(Action.ACKNOWLEDGE, None, operator="NN")
    assert signer.signed and signer.in_window
    clock.advance(ACK_WINDOW_S + 1)
    assert signing.pin_needed(Action.ACKNOWLEDGE, "NN")
    with pytest.raises(SigningRefused, match="enter the PIN of NN"):
        signing.sign(Action.ACKNOWLEDGE, None, operator="NN")


def test_wrong_pins_back_off_that_member_only_and_the_right_pin_works_after(staff):
    clock = FakeClock()
    signing = Signing.load(staff, clock, clock.wall)
    for i in range(WRONG_TRIES - 1):
        with pytest.raises(SigningRefused, match="wrong PIN for NN$"):
            signing.sign(Action.DISCHARGE, "0000", operator="NN")
    with pytest.raises(SigningRefused, match=f"^wrong PIN 3 times for NN: try again in {BACKOFF_S:.0f} s$"):
        signing.sign(Action.DISCHARGE, "0000", operator="NN")
    with pytest.raises(SigningRefused, match="try again in"):
        signing.sign(Action.DISCHARGE, "1111", operator="NN")  # even the right PIN waits
    assert signing.sign(Action.DISCHARGE, "4321", operator="OO").initials == "OO"  # others are not held
    clock.advance(BACKOFF_S)
    with pytest.raises(SigningRefused, match=f"try again in {2 * BACKOFF_S:.0f} s"):  # doubles
        signing.sign(Action.DISCHARGE, "0000", operator="NN")
    clock.advance(2 * BACKOFF_S)
    assert signing.sign(Action.DISCHARGE, "1111", operator="NN").signed
    with pytest.raises(SigningRefused, match="wrong PIN for NN$"):  # the count starts again
        signing.sign(Action.DISCHARGE, "0000", operator="NN")
