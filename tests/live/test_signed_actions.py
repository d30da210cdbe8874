"""The core journals who signed each action, signed or unsigned, and says at the start whether actions are signed."""

from __future__ import annotations

import pytest

from monitor.alarms.keys import AppAlarm
from monitor.clinical.signing import NOTICE, Action, Signing, SigningRefused
from monitor.clinical.staff import StaffBook
from monitor.live.core import MonitorCore, SessionInfo
from monitor.record.signing import Signature, SigningMode
from monitor.storage.store import Store

T0 = 1_700_000_000.0


def _journal(core: MonitorCore) -> list:
    core.stop()
    read = core.store.journal_records(core.session_id, ("signing", "signature", "operator"))
    return [(e.user, e.record) for e in read.entries]


def test_without_a_staff_list_the_record_says_actions_are_not_signed(tmp_path, clock):
    core = MonitorCore(Store(tmp_path / "s.db"), [], clock=clock, wallclock=lambda: T0, tz="UTC")
    core.start(SessionInfo(), operator="AB")
    assert core.signing_notice() == NOTICE and not core.pin_needed(Action.ACKNOWLEDGE)
    assert core.sign(Action.ACKNOWLEDGE, None).initials == "AB"
    entries = _journal(core)
    assert entries[0][1] == SigningMode(False, NOTICE, 0)
    assert ("AB", Signature("acknowledge", "AB", False)) in entries
    assert "unsigned (no staff list)" in Signature("acknowledge", "AB", False).text


def test_with_a_staff_list_the_first_user_signs_before_the_start_and_each_action_is_journaled(tmp_path, clock):
    book = StaffBook(tmp_path / "staff.json")
    owner = book.add("Olga Owner", "OO", "owner", "4321", by=None)
    book.add("Nina Nurse", "NN", "nurse", "1111", by=owner)
    core = MonitorCore(Store(tmp_path / "s.db"), [], clock=clock, wallclock=lambda: T0, tz="UTC",
                       signing=Signing.load(book.path, clock))
    first = core.sign(Action.SWITCH_USER, "1111", initials="nn")  # before the session exists
    core.start(SessionInfo(), operator=first.initials)
    assert core.signing_notice() == "" and not core.pin_needed(Action.ACKNOWLEDGE)
    core.acknowledge(core.sign(Action.ACKNOWLEDGE, None).initials)
    with pytest.raises(SigningRefused):
        core.sign(Action.DISCHARGE, "0000")
    entries = _journal(core)
    assert entries[0][1] == SigningMode(True, "", 2)
    signatures = [r for _, r in entries if isinstance(r, Signature)]
    assert signatures == [Signature("switch_user", "NN", True, "Nina Nurse", "nurse"),
                          Signature("acknowledge", "NN", True, "Nina Nurse", "nurse", in_window=True)]


def test_a_damaged_staff_list_raises_a_technical_alarm_that_a_new_list_ends(tmp_path, clock):
    path = tmp_path / "staff.json"
    path.write_text("{damaged")
    path.chmod(0o600)
    core = MonitorCore(Store(tmp_path / "s.db"), [], clock=clock, wallclock=lambda: T0, tz="UTC",
                       signing=Signing.load(path, clock))
    core.start(SessionInfo(), operator="AB")
    [alarm] = [a for a in core.alarms.active() if a.condition == AppAlarm.STAFF_LIST]
    assert alarm.message.startswith("Staff list unreadable: actions are not signed: ") and str(path) in alarm.message
    path.unlink()
    book = StaffBook(path)
    book.add("Olga Owner", "OO", "owner", "4321", by=None)
    core.reload_staff(book.load())
    assert not [a for a in core.alarms.active() if a.condition == AppAlarm.STAFF_LIST]
    modes = [r for _, r in _journal(core) if isinstance(r, SigningMode)]
    assert [m.signed for m in modes] == [False, True]


def test_the_headless_record_says_why_nothing_is_signed(tmp_path, clock):
    from monitor.clinical.signing import HEADLESS_NOTICE

    core = MonitorCore(Store(tmp_path / "s.db"), [], clock=clock, wallclock=lambda: T0, tz="UTC",
                       signing=Signing(None, unsigned=HEADLESS_NOTICE))
    core.start(SessionInfo())
    assert _journal(core)[0][1] == SigningMode(False, HEADLESS_NOTICE, 0)


def test_the_summary_and_the_report_say_whether_a_sessions_actions_were_signed(tmp_path, clock):
    """A reader of the summary, its JSON or the PDF is told when initials were not signatures."""
    from monitor.export.report import report_data
    from monitor.review.summary import signing_text, summarize
    from monitor.storage.sessions import SqliteSessions

    unsigned = MonitorCore(Store(tmp_path / "u.db"), [], clock=clock, wallclock=lambda: T0, tz="UTC")
    unsigned.start(SessionInfo(), operator="AB")
    unsigned.enter_bp(124, 79, user="AB")  # a session with something in it: an empty one is not reported
    unsigned.stop()
    book = StaffBook(tmp_path / "staff.json")
    book.add("Olga Owner", "OO", "owner", "4321", by=None)
    signed = MonitorCore(Store(tmp_path / "s.db"), [], clock=clock, wallclock=lambda: T0, tz="UTC",
                         signing=Signing.load(book.path, clock))
    signed.start(SessionInfo(), operator=signed.sign(Action.SWITCH_USER, "4321", initials="OO").initials)
    signed.enter_bp(124, 79, user="OO")
    signed.stop()
    for name, words in (("u.db", "actions NOT signed: no staff list, initials only"),
                        ("s.db", "actions signed with staff PINs")):
        sessions = SqliteSessions(tmp_path / name)
        try:
            meta = sessions.resolve("latest")
            summary = summarize(sessions, meta)
            assert summary.signing == words
            assert f"Signing    {words}" in summary.text() and summary.to_json()["signing"] == words
            assert ("Signing", words) in report_data(sessions, meta).header
        finally:
            sessions.close()
    assert signing_text([]) == ""  # a session from before signing claims nothing
    assert signing_text([SigningMode(True, "", 1), SigningMode(False, NOTICE, 0)]).startswith("actions partly signed")
