"""The one rule for a patient's flags at a chair (monitor.storage.known_flags): the file's, the central store's, and,
when the store is not reached, the flags it gave at an earlier visit, shown as last seen there, never fewer warnings."""

from __future__ import annotations

from monitor.clinical.outcomes import OutcomeFlag
from monitor.record.base import from_row, to_row
from monitor.record.outcomes import CentralFlagCheck, CentralFlagSeen, OutcomeReview, OutcomeScore
from monitor.storage.chair_patients import ChairPatients
from monitor.storage.known_flags import KnownFlags, known_flags, remembered_flags, seen_centrally
from monitor.storage.outcomes import FlagsElsewhere
from monitor.storage.store import Store
from monitor.timefmt import date_time_text

T0 = 1_700_000_000.0
TZ = "Pacific/Auckland"  # not the machine's: the line is in the session's zone
NOT_REACHED = "Central store not reached: flags from other chairs not checked"
PARTLY = "1 flag record of other chairs cannot be read: check with the central store's administrator"


def phq9(item9: int, t: float) -> OutcomeScore:
    return OutcomeScore("phq9", (2, 2, 1, 1, 0, 1, 0, 0, item9), t, "nurse", "nurse")


REMOTE = phq9(2, T0)  # answered at chair A's session 4
REVIEW = OutcomeReview(REMOTE.id, "Dr Lee", "phoned: safety plan in place", T0 + 500)


def checked(store: Store, t: float, *seen: OutcomeFlag, notice: str = "") -> int:
    """Open a session of P1 at t whose central check saw `seen` (or, with NOT_REACHED, nothing); return its id."""
    sid = store.create_session(patient_id="P1", tz=TZ, started_utc=t)
    store.append_journal(sid, CentralFlagCheck((), notice, seen_centrally(FlagsElsewhere(seen))), "app", t)
    store.close_session(sid)
    return sid


def test_a_check_with_its_flags_reads_back_and_an_older_record_without_them_still_reads():
    check = CentralFlagCheck(("x session 4 at chair-a",), "", (CentralFlagSeen(REMOTE, (REVIEW,), 4, "chair-a"),))
    assert from_row(*to_row(check)) == check
    kind, version, _ = to_row(check)
    old = '{"found": ["x session 4 at chair-a"], "notice": ""}'  # written before `seen` existed
    assert from_row(kind, version, old) == CentralFlagCheck(("x session 4 at chair-a",), "")


def test_a_flag_seen_centrally_stays_open_as_last_seen_when_the_store_is_not_reached(tmp_path):
    store = Store(tmp_path / "chair-b.db")
    checked(store, T0 + 100, OutcomeFlag(REMOTE, (), 4, "chair-a"))
    checked(store, T0 + 200, notice=NOT_REACHED)  # a later visit without the store remembers nothing new

    known = known_flags(store, "P1", FlagsElsewhere(notice=NOT_REACHED))
    assert [(f.score, f.where, f.reviewed) for f in known.unreviewed] == [(REMOTE, "session 4 at chair-a", False)]
    assert known.notice == (f"{NOT_REACHED}; showing those as last seen centrally on "
                            f"{date_time_text(T0 + 100, TZ)}")
    assert remembered_flags(store, "P1").t == T0 + 100
    # the dialog's directory follows the same rule
    patients = ChairPatients(store, Answers(FlagsElsewhere(notice=NOT_REACHED)))
    assert patients.unreviewed_flags("P1") == known.unreviewed and patients.flags_elsewhere("P1") == known.notice
    # a review written at this chair since then counts
    store.append_journal(1, REVIEW, "Dr Lee", REVIEW.t)
    assert known_flags(store, "P1", FlagsElsewhere(notice=NOT_REACHED)).unreviewed == ()


def test_a_review_known_then_counts_and_later_checks_add_to_earlier_ones(tmp_path):
    store = Store(tmp_path / "chair-b.db")
    other = phq9(3, T0 + 50)
    checked(store, T0 + 100, OutcomeFlag(REMOTE, (), 4, "chair-a"), OutcomeFlag(other, (), 5, "chair-a"))
    checked(store, T0 + 900, OutcomeFlag(REMOTE, (REVIEW,), 4, "chair-a"))  # a damaged row hid `other` then
    known = known_flags(store, "P1", FlagsElsewhere(notice=NOT_REACHED))
    assert [(f.score, f.reviews) for f in known.flags] == [(REMOTE, (REVIEW,)), (other, ())]
    assert known.notice.endswith(f"as last seen centrally on {date_time_text(T0 + 900, TZ)}")


def test_no_memory_still_says_the_store_was_not_reached_and_an_answer_needs_no_memory(tmp_path):
    store = Store(tmp_path / "chair-b.db")
    assert known_flags(store, "P1", FlagsElsewhere(notice=NOT_REACHED)) == KnownFlags((), NOT_REACHED)
    own = store.create_session(patient_id="P1", tz=TZ)
    mine = phq9(1, T0 + 10)
    store.append_journal(own, mine, "nurse", mine.t)
    # this chair's own flag, remembered from the store too, is shown from the file: no "as last seen"
    checked(store, T0 + 100, OutcomeFlag(mine, (), own, "chair-b"))
    known = known_flags(store, "P1", FlagsElsewhere(notice=NOT_REACHED))
    assert [(f.score, f.where) for f in known.unreviewed] == [(mine, f"session {own}")] and known.notice == NOT_REACHED
    # remembered flags join only an answer with a notice: a store that answered, or none asked yet, has no memory
    checked(store, T0 + 200, OutcomeFlag(REMOTE, (), 4, "chair-a"))
    assert known_flags(store, "P1", FlagsElsewhere()) == known_flags(store, "P1", None) == KnownFlags(known.flags)


def test_a_store_read_in_part_gets_the_remembered_flags_it_did_not_give(tmp_path):
    store = Store(tmp_path / "chair-b.db")
    other = phq9(3, T0 + 50)
    checked(store, T0 + 100, OutcomeFlag(REMOTE, (), 4, "chair-a"), OutcomeFlag(other, (), 5, "chair-a"))
    fresh = OutcomeFlag(REMOTE, (REVIEW,), 4, "chair-a")
    known = known_flags(store, "P1", FlagsElsewhere((fresh,), PARTLY))
    assert [(f.score, f.reviews) for f in known.flags] == [(REMOTE, (REVIEW,)), (other, ())]
    assert known.notice.startswith(PARTLY + "; showing those as last seen centrally on ")


class Answers:
    """A FlagLookup that has its answer already."""

    def __init__(self, answer: FlagsElsewhere) -> None:
        self.answer_ = answer

    def answer(self, patient_id: str, wait_s: float = 0.0) -> FlagsElsewhere | None:
        return self.answer_
