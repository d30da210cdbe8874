"""The wrong-PIN back-off kept in a file: it survives a restart, a right PIN clears it, a damaged file locks
nobody out, a clock set backwards cannot lengthen it, and the file is private and holds no PIN."""

from __future__ import annotations

import json
import logging
import os
import stat

import pytest
from clocks import FakeClock
from staff_fixtures import staff_book

from monitor.clinical.pin_backoff import (
    BACKOFF_S,
    FORGET_S,
    MAX_BACKOFF_S,
    WRONG_TRIES,
    PinBackoff,
    PinRefused,
    backoff_file,
    backoff_length,
)
from monitor.clinical.signing import Action, Signing, SigningRefused


@pytest.fixture
def staff(tmp_path):
    return staff_book(tmp_path / "staff.json").path  # AB's PIN is 1111, OO's 4321


def signing(staff, clock: FakeClock) -> Signing:
    """Return a new Signing over the staff list, as a restarted monitor or another program has it."""
    return Signing.load(staff, clock, clock.wall)


def wrong(s: Signing, times: int = WRONG_TRIES) -> str:
    """Sign a discharge with a wrong PIN for AB `times` times; return the last refusal."""
    for _ in range(times):
        with pytest.raises(SigningRefused) as refused:
            s.sign(Action.DISCHARGE, "97531", operator="AB")
    return str(refused.value)


def test_the_back_off_doubles_to_its_ceiling():
    lengths = [backoff_length(n) for n in range(1, WRONG_TRIES + 6)]
    assert lengths == [0.0] * (WRONG_TRIES - 1) + [30.0, 60.0, 120.0, 240.0, 300.0, 300.0]
    assert BACKOFF_S == 30.0 and MAX_BACKOFF_S == 300.0 and backoff_length(10**6) == MAX_BACKOFF_S


def test_a_back_off_survives_a_restart_and_holds_in_another_program(staff):
    clock = FakeClock()
    assert wrong(signing(staff, clock)) == "wrong PIN 3 times for AB: try again in 30 s"
    restarted = signing(staff, clock)
    with pytest.raises(SigningRefused, match="^wrong PIN 3 times for AB: try again in 30 s$"):
        restarted.sign(Action.DISCHARGE, "1111", operator="AB")  # even the right PIN waits
    assert restarted.sign(Action.DISCHARGE, "4321", operator="OO").signed  # others are not held
    clock.advance(BACKOFF_S - 10)
    with pytest.raises(PinRefused, match="try again in 10 s"):
        PinBackoff(backoff_file(staff), clock.wall).waiting("AB")  # a command sees the same back-off
    clock.advance(10)
    assert wrong(signing(staff, clock), 1) == "wrong PIN 4 times for AB: try again in 60 s"  # the count went on


def test_the_right_pin_clears_the_count_for_every_program(staff):
    clock = FakeClock()
    s = signing(staff, clock)
    assert wrong(s, WRONG_TRIES - 1) == "wrong PIN for AB"
    assert s.sign(Action.DISCHARGE, "1111", operator="AB").signed
    assert json.loads(backoff_file(staff).read_text())["tries"] == {}
    assert wrong(signing(staff, clock), WRONG_TRIES - 1) == "wrong PIN for AB"  # the count started again
    assert wrong(signing(staff, clock), 1) == "wrong PIN 3 times for AB: try again in 30 s"  # ...then ran on
    clock.advance(BACKOFF_S)
    assert signing(staff, clock).sign(Action.DISCHARGE, "1111", operator="AB").signed


def test_a_count_is_forgotten_a_quarter_of_an_hour_after_its_last_wrong_pin(staff):
    clock = FakeClock()
    assert wrong(signing(staff, clock), WRONG_TRIES - 1) == "wrong PIN for AB"
    clock.advance(FORGET_S + 1)  # next week, say: one slip is one slip
    assert wrong(signing(staff, clock), 1) == "wrong PIN for AB"
    assert wrong(signing(staff, clock), 1) == "wrong PIN for AB"  # two in a row now, not four
    assert wrong(signing(staff, clock), 1) == "wrong PIN 3 times for AB: try again in 30 s"
    clock.advance(BACKOFF_S + FORGET_S - 1)  # counted from the end of the back-off
    assert wrong(signing(staff, clock), 1) == "wrong PIN 4 times for AB: try again in 60 s"
    clock.advance(60 + FORGET_S + 1)
    assert wrong(signing(staff, clock), 1) == "wrong PIN for AB"


@pytest.mark.parametrize("damage", ["{oops", '{"format": 1, "tries": {"AB": {"wrong": 3, "until": "soon"}}}',
                                    '{"format": 9, "tries": {}}', "[]", "\xff"])
def test_a_damaged_back_off_file_locks_nobody_out_is_said_once_and_written_anew(staff, damage, caplog):
    clock = FakeClock()
    wrong(signing(staff, clock))
    backoff_file(staff).write_bytes(damage.encode("latin-1"))
    s = signing(staff, clock)
    with caplog.at_level(logging.WARNING, "monitor.clinical.pin_backoff"):
        assert s.sign(Action.DISCHARGE, "1111", operator="AB").signed
        wrong(s, 1)
        backoff_file(staff).write_text("{oops")
        wrong(s, 1)
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 2 and all("counted as empty and written anew" in line for line in said), said
    assert json.loads(backoff_file(staff).read_text())["tries"]["AB"]["wrong"] == 2  # this program's count


def test_an_unreadable_and_unwritable_back_off_file_locks_nobody_out_nor_crashes(staff, caplog):
    clock = FakeClock()
    backoff_file(staff).mkdir()  # neither read nor replaced
    s = signing(staff, clock)
    with caplog.at_level(logging.WARNING, "monitor.clinical.pin_backoff"):
        assert wrong(s) == "wrong PIN 3 times for AB: try again in 30 s"  # counted by this program still
        with pytest.raises(SigningRefused, match="try again in 30 s"):
            s.sign(Action.DISCHARGE, "1111", operator="AB")
        clock.advance(BACKOFF_S)
        assert s.sign(Action.DISCHARGE, "1111", operator="AB").signed
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 2 and "cannot be read" in said[0] and "cannot be written" in said[1], said  # once each


def test_a_clock_set_backwards_never_lengthens_a_back_off(staff):
    clock = FakeClock()
    s = signing(staff, clock)
    wrong(s)
    while not wrong(s, 1).endswith(f"in {MAX_BACKOFF_S:.0f} s"):  # one more after each back-off, to the ceiling
        clock.advance(MAX_BACKOFF_S)
    back = FakeClock(wall_at_start=clock.wall() - 86_400)  # a restart with the clock a day behind
    with pytest.raises(SigningRefused, match=f"try again in {MAX_BACKOFF_S:.0f} s"):
        signing(staff, back).sign(Action.DISCHARGE, "1111", operator="AB")
    back.advance(MAX_BACKOFF_S)
    assert signing(staff, back).sign(Action.DISCHARGE, "1111", operator="AB").signed
    wrong(signing(staff, back))
    behind = FakeClock(wall_at_start=back.wall() - 3600)
    with pytest.raises(PinRefused, match=f"try again in {BACKOFF_S:.0f} s"):  # this back-off's own length
        PinBackoff(backoff_file(staff), behind.wall).waiting("AB")


def test_the_file_is_private_and_holds_no_pin_nor_hash(staff, caplog):
    caplog.set_level(logging.DEBUG)
    wrong(signing(staff, FakeClock()))
    path = backoff_file(staff)
    assert path.name == "staff.backoff.json" and path.parent == staff.parent
    if os.name != "nt":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    digest = Signing.load(staff).staff.member("AB").pin.digest.hex()
    for text in (path.read_text(), caplog.text):
        assert "97531" not in text and "1111" not in text and digest not in text and "scrypt" not in text
    assert set(json.loads(path.read_text())["tries"]["AB"]) == {"wrong", "until"}
