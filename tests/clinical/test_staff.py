"""The staff list: PINs kept only as salted scrypt hashes, the owner's rules, a private file that fails in one line."""

from __future__ import annotations

import json
import os
import stat

import pytest

from monitor.clinical.staff import (
    SALT_BYTES,
    SCRYPT_N,
    PinHash,
    StaffBook,
    StaffError,
    StaffList,
    StaffMember,
    check_secret,
    load_staff,
    save_staff,
)


@pytest.fixture
def book(tmp_path):
    book = StaffBook(tmp_path / "staff" / "staff.json")
    owner = book.add("Olga Owner", "oo", "owner", "4321", by=None)
    return book, owner


@pytest.mark.parametrize("secret", ["1234", "12345678", "abcdef", "pass 1!", "ab12cd"])
def test_a_pin_of_4_digits_or_a_password_of_6_characters_is_taken(secret):
    assert check_secret(secret) == secret


@pytest.mark.parametrize("secret, words", [("", "enter a PIN"), ("123", "at least 4 digits"),
                                           ("abc12", "at least 6 characters"), ("x" * 200, "at most")])
def test_a_short_pin_or_password_is_refused_in_words(secret, words):
    with pytest.raises(StaffError, match=words):
        check_secret(secret)


def test_a_pin_is_a_salted_scrypt_hash_that_only_its_pin_matches():
    a, b = PinHash.of("1234"), PinHash.of("1234")
    assert a.salt != b.salt and a.digest != b.digest and len(a.salt) == SALT_BYTES and a.n == SCRYPT_N
    assert a.matches("1234") and not a.matches("1235") and not a.matches("") and not a.matches("12345")
    assert "1234" not in repr(a) and a.digest.hex() not in repr(StaffMember("A B", "ab", "nurse", a))


def test_the_file_holds_no_pin_and_is_readable_by_its_user_only(book):
    b, owner = book
    text = b.path.read_text()
    assert "4321" not in text and json.loads(text)["members"][0]["pin"]["salt"]
    if os.name == "posix":
        assert stat.S_IMODE(os.stat(b.path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(b.path.parent).st_mode) == 0o700
    assert owner.initials == "OO" and load_staff(b.path).member("oo") == owner and owner.pin.matches("4321")


def test_the_first_member_is_the_owner_and_later_changes_need_an_owner(tmp_path, book):
    with pytest.raises(StaffError, match="first member .* owner"):
        StaffBook(tmp_path / "other.json").add("Nina Nurse", "NN", "nurse", "1111", by=None)
    b, owner = book
    with pytest.raises(StaffError, match="owner's PIN"):
        b.add("Nina Nurse", "NN", "nurse", "1111", by=None)
    nurse = b.add("Nina Nurse", "NN", "nurse", "1111", by=owner)
    with pytest.raises(StaffError, match="owner's PIN"):
        b.add("Carl Clin", "CC", "clinician", "2222", by=nurse)
    with pytest.raises(StaffError, match="taken"):
        b.add("Nils North", "nn", "nurse", "3333", by=owner)
    b.change_pin("NN", "9999", by=nurse)  # a member changes their own PIN
    with pytest.raises(StaffError, match="owner's PIN"):
        b.change_pin("OO", "9999", by=nurse)
    assert b.load().member("NN").pin.matches("9999") and not b.load().member("NN").pin.matches("1111")


def test_the_last_owner_cannot_be_deactivated_and_deactivated_initials_stay_taken(book):
    b, owner = book
    with pytest.raises(StaffError, match="last owner"):
        b.deactivate("OO", by=owner)
    second = b.add("Pia Owner", "PO", "owner", "5555", by=owner)
    b.deactivate("OO", by=second)
    staff = b.load()
    assert staff.member("OO") is None and [m.initials for m in staff.active()] == ["PO"]
    with pytest.raises(StaffError, match="taken"):
        b.add("Otto Other", "OO", "nurse", "6666", by=second)


def test_no_file_means_no_staff_list(tmp_path):
    assert load_staff(tmp_path / "none.json") is None


@pytest.mark.parametrize("text", ["{not json", '{"format": 1, "members": []}', '{"format": 9, "members": []}',
                                  '{"format": 1, "members": [{"name": "A"}]}', "[]",
                                  '{"format": 1, "members": [{"name": "A B", "initials": "AB", "role": "owner", '
                                  '"pin": {"scrypt": "zz", "salt": "00", "n": 3, "r": 8, "p": 1}}]}'])
def test_a_damaged_file_is_one_line_naming_it(tmp_path, text):
    path = tmp_path / "staff.json"
    path.write_text(text)
    path.chmod(0o600)
    with pytest.raises(StaffError) as err:
        load_staff(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value) and "Traceback" not in str(err.value)


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_a_file_others_may_read_is_refused(book):
    b, _ = book
    b.path.chmod(0o644)
    with pytest.raises(StaffError, match="chmod 600"):
        load_staff(b.path)


def test_a_failed_write_leaves_the_list_as_it_was(book, monkeypatch):
    b, owner = book
    before = b.path.read_bytes()

    def broken(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(json, "dump", broken)
    with pytest.raises(OSError):
        save_staff(StaffList(()), b.path)
    assert b.path.read_bytes() == before and [p.name for p in b.path.parent.iterdir()] == ["staff.json"]

