"""`infusion-monitor staff`: the first member is the owner, later changes ask an owner's PIN, nothing shows a PIN."""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stderr, redirect_stdout

import pytest

from monitor import cli
from monitor.clinical.pin_backoff import WRONG_TRIES
from monitor.clinical.staff import load_staff


@pytest.fixture
def staff_path(tmp_path, monkeypatch):
    path = tmp_path / "staff.json"
    monkeypatch.setenv("INFUSION_MONITOR_STAFF", str(path))
    return path


def run(monkeypatch, *args: str, stdin: str = "") -> tuple[int, str, str]:
    """Run a command in this process with PINs on standard input; return its code, output and error."""
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = cli.main(["staff", *args])
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_an_owner_makes_the_list_and_signs_every_change(staff_path, monkeypatch):
    code, out, _ = run(monkeypatch, "list")
    assert code == 0 and "no staff list" in out and "not signed" in out
    assert run(monkeypatch, "add", "--name", "Olga Owner", "--initials", "oo", stdin="4321\n4321\n")[0] == 0
    assert load_staff(staff_path).member("OO").role == "owner"
    code, _, err = run(monkeypatch, "add", "--name", "Nina Nurse", "--initials", "NN", stdin="1111\n1111\n")
    assert code == 2 and "--owner" in err
    code, out, _ = run(monkeypatch, "add", "--name", "Nina Nurse", "--initials", "NN", "--owner", "OO",
                       stdin="4321\n1111\n1111\n")
    assert code == 0 and "NN · Nina Nurse (nurse)" in out
    code, _, err = run(monkeypatch, "deactivate", "--initials", "NN", "--owner", "OO", stdin="0000\n")
    assert code == 2 and err.strip() == "infusion-monitor: error: wrong PIN for OO" and "0000" not in err
    code, _, err = run(monkeypatch, "deactivate", "--initials", "OO", "--owner", "OO", stdin="4321\n")
    assert code == 2 and "last owner" in err
    assert run(monkeypatch, "pin", "--initials", "NN", stdin="1111\n2222\n2222\n")[0] == 0  # their own PIN
    assert run(monkeypatch, "deactivate", "--initials", "NN", "--owner", "OO", stdin="4321\n")[0] == 0
    code, out, _ = run(monkeypatch, "list")
    assert out.splitlines() == ["OO    owner     Olga Owner", "NN    nurse     deactivated  Nina Nurse"]
    assert not {"4321", "2222"} & _words(json.loads(staff_path.read_text()))  # hashes only (a hash's hex may hold 2222)


def test_a_short_or_mistyped_new_pin_changes_nothing(staff_path, monkeypatch):
    code, _, err = run(monkeypatch, "add", "--name", "Olga Owner", "--initials", "OO", stdin="12\n12\n")
    assert code == 2 and "at least 4 digits" in err and not staff_path.exists()
    code, _, err = run(monkeypatch, "add", "--name", "Olga Owner", "--initials", "OO", stdin="4321\n4322\n")
    assert code == 2 and "differ" in err and not staff_path.exists()


def test_a_damaged_list_is_one_line(staff_path, monkeypatch):
    staff_path.write_text("{")
    staff_path.chmod(0o600)
    code, _, err = run(monkeypatch, "list")
    assert code == 2 and len(err.splitlines()) == 1 and "damaged" in err and "Traceback" not in err


def test_a_flag_review_from_the_command_line_is_signed_by_a_clinicians_pin(staff_path, monkeypatch, tmp_path):
    from staff_fixtures import flagged_chair, staff_book

    from monitor.record.signing import Signature
    from monitor.storage.store import Store

    staff_book(staff_path)
    db = tmp_path / "chair.db"
    session = flagged_chair(db)

    def review(who: str, pin: str) -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(pin + "\n"))
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = cli.main(["flags", "--db", str(db), "--patient", "P1", "--reviewer", who, "--note", "no plan"])
        return code, out.getvalue(), err.getvalue()

    code, _, err = review("AB", "1111")
    assert code == 2 and "needs the PIN of a clinician or owner" in err
    code, _, err = review("CL", "9999")
    assert code == 2 and "wrong PIN for CL" in err and "9999" not in err
    code, out, _ = review("cl", "secret99")
    assert code == 0 and "Carl Lee (CL)" in out
    store = Store(db)
    [entry] = store.journal_records(session, ("signature",)).entries
    assert entry.record == Signature("flag_review", "CL", True, "Carl Lee", "clinician")
    store.close()


def test_wrong_pins_back_off_across_commands_in_one_line_before_any_pin_is_asked(staff_path, monkeypatch):
    from staff_fixtures import staff_book

    staff_book(staff_path)
    deactivate = ("deactivate", "--initials", "AB", "--owner", "OO")
    for _ in range(WRONG_TRIES - 1):
        assert run(monkeypatch, *deactivate, stdin="97531\n")[0] == 2
    code, out, err = run(monkeypatch, *deactivate, stdin="97531\n")
    assert (code, out, err) == (2, "", "infusion-monitor: error: wrong PIN 3 times for OO: try again in 30 s\n")
    code, out, err = run(monkeypatch, "pin", "--initials", "AB", "--by", "OO")  # no PIN on stdin: none is asked
    assert code == 2 and out == "" and re.fullmatch(r"infusion-monitor: error: wrong PIN 3 times for OO: try "
                                                    r"again in (30|[12]\d) s\n", err), err
    assert run(monkeypatch, *deactivate, stdin="4321\n")[0] == 2  # even the right PIN waits
    assert load_staff(staff_path).member("AB") is not None
    assert run(monkeypatch, "pin", "--initials", "AB", stdin="1111\n2468\n2468\n")[0] == 0  # others are not held


def test_a_flag_review_in_back_off_is_refused_in_one_line_before_a_pin_is_read(staff_path, monkeypatch, tmp_path):
    from staff_fixtures import flagged_chair, staff_book

    staff_book(staff_path)
    db = tmp_path / "chair.db"
    flagged_chair(db)
    flags = ["flags", "--db", str(db), "--patient", "P1", "--reviewer", "CL", "--note", "no plan"]
    for pin in ["97531"] * WRONG_TRIES + [""]:  # then nothing on stdin: no PIN is read
        monkeypatch.setattr("sys.stdin", io.StringIO(pin and pin + "\n"))
        err = io.StringIO()
        with redirect_stdout(io.StringIO()), redirect_stderr(err):
            code = cli.main(flags)
        assert code == 2
    assert re.fullmatch(r"infusion-monitor: error: wrong PIN 3 times for CL: try again in (30|[12]\d) s\n",
                        err.getvalue()), err.getvalue()


def _words(value) -> set[str]:
    """Return every string in a JSON value, and every run of digits in them (a PIN kept as text would show)."""
    if isinstance(value, dict):
        return set().union(*map(_words, value.values()), set(value)) if value else set()
    if isinstance(value, list):
        return set().union(*map(_words, value)) if value else set()
    if isinstance(value, str):
        return {value, *re.findall(r"(?<![0-9a-f])[0-9]+(?![0-9a-f])", value)}
    return {str(value)}
