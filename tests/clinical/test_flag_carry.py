"""An item-9 flag follows the patient until a clinician reviews it: the next sessions raise its alarm from the
start and refuse the infusion's Start without a recorded confirmation; a review entered later, at the chair or
with `flags`, is linked by the entry's id and ends it everywhere."""

from __future__ import annotations

import pytest
from test_reader import wait_for
from test_session import CFG, Rig

from monitor.alarms import Priority
from monitor.alarms.keys import AppAlarm
from monitor.cli import main
from monitor.clinical.infusion import InfusionError, InfusionState
from monitor.clinical.outcomes import OutcomeFlag, SessionOutcomes, patient_flags
from monitor.clinical.session import ClinicalSession, SessionError
from monitor.live.core import MonitorCore, SessionInfo
from monitor.record.instruments import OutcomeError
from monitor.record.outcomes import FlagOverride, OutcomeReview, OutcomeScore
from monitor.storage.outcomes import flags_of_patient, outcomes_of
from monitor.storage.store import Store

T0 = 1_700_000_000.0
FLAGGED = "2,2,1,1,0,1,0,0,2"


def phq9(item9: int, t: float = T0) -> OutcomeScore:
    return OutcomeScore("phq9", (2, 2, 1, 1, 0, 1, 0, 0, item9), t, "nurse", "nurse")


def flag_actions(actions) -> list[tuple[str, Priority | None]]:
    return [(a.kind, a.priority) for a in actions if a.key == AppAlarm.OUTCOME_FLAG]


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- the fold ---------------------------------------------------------------------------------------------------

def test_reviews_are_gathered_from_every_session_of_the_patient_by_entry_id():
    a, b = phq9(2), phq9(1, T0 + 86400)
    late = OutcomeReview(a.id, "Dr Lee", "phoned, safe", T0 + 3 * 86400)
    flags = patient_flags([(1, SessionOutcomes((a, phq9(0)))), (2, SessionOutcomes((b,))),
                           (3, SessionOutcomes(reviews=(late,)))])
    assert [(f.session_id, f.score, f.reviews) for f in flags] == [(1, a, (late,)), (2, b, ())]
    assert [f.status_text for f in flags] == ["reviewed by Dr Lee: phoned, safe", "NOT REVIEWED"]


def test_a_confirmation_names_its_flags_who_and_the_stage_and_survives_the_journal():
    o = FlagOverride(("abc",), " AB ", "infusion", T0)
    assert FlagOverride.from_data(o.to_data()) == o and o.user == "AB"
    with pytest.raises(OutcomeError, match="name of who confirms"):
        FlagOverride(("abc",), " ", "infusion", T0)
    with pytest.raises(OutcomeError, match="name the flagged entries"):
        FlagOverride((), "AB", "session", T0)


# --- the chair's session ------------------------------------------------------------------------------------

def opened(r: Rig, carried: tuple[OutcomeFlag, ...], start: dict | None = None) -> ClinicalSession:
    return ClinicalSession.opened(CFG, start=start or {}, patient_id="P1", session_number=3, carried=carried,
                                  infusion=r.engine, journal=lambda rec, u: r.journal.append((rec.KIND, rec.to_data(), u)),
                                  clock=r.clock, wallclock=r.clock.wall)


def test_an_earlier_unreviewed_flag_raises_the_alarm_at_once_blocks_start_and_a_review_here_ends_it():
    r = Rig()
    old = phq9(2)
    r.s = opened(r, (OutcomeFlag(old, (), 9), OutcomeFlag(phq9(1), (OutcomeReview("x", "Dr A", "ok", T0),), 8)))
    actions = r.s.tick()
    assert flag_actions(actions) == [("clear", None), ("raise", Priority.MEDIUM)]
    assert "from session 9" in actions[-1].message and "more" not in actions[-1].message  # the reviewed one is not carried
    st = r.s.status()
    assert [(f.score, f.session_id) for f in st.unreviewed_flags] == [(old, 9)] and st.outcome_flags == ()
    assert "is not reviewed" in r.s.start_refusal()
    review = r.s.review_outcome_flag(old.id, "Dr Lee", "assessed: no plan, safety plan reviewed")
    assert r.kinds("outcome_review") == [review.to_data()]  # kept in this session's journal, linked by the id
    assert flag_actions(r.s.tick()) == [("clear", None)]
    assert r.s.start_refusal() == "" and r.s.status().unreviewed_flags == ()
    assert r.s.status().carried_flags[0].reviews == (review,)


def test_starting_despite_the_flag_needs_a_confirmation_journaled_with_who_and_the_alarm_stays():
    r = Rig()
    old = phq9(3)
    r.s = opened(r, (OutcomeFlag(old, (), 4),), start={"flags_seen": [old.id], "flags_seen_by": "AB"})
    assert r.kinds("outcome_flag_override")[0]["stage"] == "session"  # the start dialog's confirmation, recorded
    assert r.s.start_refusal() != ""  # seeing it in the start dialog does not allow the infusion
    r.s.confirm_start_despite_flags("CD")
    (override,) = [(d, u) for k, d, u in r.journal if k == "outcome_flag_override" and d["stage"] == "infusion"]
    assert override == ({"outcome_ids": [old.id], "user": "CD", "stage": "infusion", "t": r.clock.wall()}, "CD")
    assert r.s.start_refusal() == ""
    assert flag_actions(r.s.tick())[-1] == ("raise", Priority.MEDIUM)  # still not reviewed: still alarming
    with pytest.raises(SessionError, match="no flagged questionnaire"):
        r.s.review_outcome_flag("not-an-id", "Dr Lee", "x")


# --- end to end: flag in session 1, nothing in session 2, reviewed in session 3 -----------------------------------

def flag_alarm(core: MonitorCore):
    return next((a for a in core.alarm_view().active if a.condition == AppAlarm.OUTCOME_FLAG), None)


@pytest.mark.slow
def test_a_flag_raised_in_one_session_follows_the_patient_and_is_reviewed_two_sessions_later(tmp_path, capsys,
                                                                                             monkeypatch):
    monkeypatch.setattr("monitor.live.core.OUTCOME_POLL_S", 0.05)
    db = str(tmp_path / "s.db")
    store = Store(tmp_path / "s.db")
    first = store.create_session(patient_id="P1")
    assert run(capsys, "outcome", "--db", db, "--session", str(first), "--instrument", "phq9",
               "--items", FLAGGED)[0] == 0
    store.close_session(first)
    second = store.create_session(patient_id="P1")
    store.close_session(second)
    code, out, _ = run(capsys, "flags", "--db", db, "--patient", "P1")
    (flag,) = flags_of_patient(store, "P1")
    assert code == 0 and out.splitlines()[0].startswith(f"{flag.score.id[:8]}  session {first}  ")
    assert out.splitlines()[1].strip() == "NOT REVIEWED: a clinician must assess the patient"

    core = MonitorCore(Store(tmp_path / "s.db"), [])
    core.start(SessionInfo(patient_id="P1", weight_kg=70, dose_mg_per_kg=0.5, infusion_min=40))
    try:
        assert wait_for(lambda: flag_alarm(core) is not None, 10)  # from the start of the third session
        assert flag_alarm(core).priority is Priority.MEDIUM
        assert [f.score.id for f in core.clinical.status().unreviewed_flags] == [flag.score.id]
        with pytest.raises(InfusionError, match="is not reviewed"):
            core.infusion_action("start", user="AB")
        assert core.infusion.state is InfusionState.NOT_STARTED
        code, out, err = run(capsys, "flags", "--db", db, "--patient", "P1", "--flag", flag.score.id[:8],
                             "--reviewer", "Dr Lee", "--note", "assessed by phone: no plan, safety plan in place")
        assert code == 0 and err == "" and f"kept in the journal of running session {core.session_id}" in out
        assert wait_for(lambda: flag_alarm(core) is None, 10)  # the chair adopted the review
        core.infusion_action("start", user="AB")
    finally:
        core.stop()
    (review,) = outcomes_of(store, core.session_id).reviews
    assert (review.outcome_id, review.reviewer) == (flag.score.id, "Dr Lee")
    code, out, _ = run(capsys, "flags", "--db", db, "--patient", "P1")
    assert out.splitlines()[1].strip().startswith("reviewed by Dr Lee: assessed by phone")
    code, _, err = run(capsys, "flags", "--db", db, "--patient", "P1", "--reviewer", "Dr Lee", "--note", "again")
    assert code == 2 and err == "infusion-monitor: error: patient P1 has no unreviewed flag\n"
    store.close()


def test_a_review_after_the_fact_with_no_session_running_is_an_addendum_to_the_flags_own_session(tmp_path, capsys):
    db = str(tmp_path / "s.db")
    store = Store(tmp_path / "s.db")
    sessions = [store.create_session(patient_id="P1") for _ in range(2)]
    for sid in sessions:
        run(capsys, "outcome", "--db", db, "--session", str(sid), "--instrument", "phq9", "--items", FLAGGED)
        store.close_session(sid)
    code, _, err = run(capsys, "flags", "--db", db, "--patient", "P1", "--reviewer", "Dr Lee", "--note", "seen")
    assert code == 2 and err == "infusion-monitor: error: patient P1 has 2 unreviewed flags: name one with --flag ID\n"
    code, _, err = run(capsys, "flags", "--db", db, "--patient", "P1", "--reviewer", "Dr Lee")
    assert code == 2 and "both --reviewer NAME and --note TEXT" in err
    target = flags_of_patient(store, "P1")[0]
    code, out, _ = run(capsys, "flags", "--db", db, "--patient", "P1", "--flag", target.score.id, "--reviewer",
                       "Dr Lee", "--note", "seen in clinic")
    assert code == 0 and out.rstrip().endswith("kept in the journal of its own session")
    assert [r.note for r in outcomes_of(store, sessions[0]).reviews] == ["seen in clinic"]
    assert [f.reviewed for f in flags_of_patient(store, "P1")] == [True, False]
    store.close()


@pytest.mark.slow
def test_record_refuses_the_infusion_of_a_patient_with_an_unreviewed_flag_unless_confirmed(tmp_path, capsys):
    from stored import journal

    from devices.sim.runner import PtySimulator

    db = str(tmp_path / "s.db")
    store = Store(tmp_path / "s.db")
    first = store.create_session(patient_id="P1")
    run(capsys, "outcome", "--db", db, "--session", str(first), "--instrument", "phq9", "--items", FLAGGED)
    store.close_session(first)
    plan = ["--patient", "P1", "--weight-kg", "70", "--dose-mg-per-kg", "0.5", "--infusion-min", "40"]
    with PtySimulator("cms50dplus", "baseline") as sim:
        code, _, err = run(capsys, "record", "--db", db, "--device", f"pulseox=cms50dplus:{sim.path}", "--duration",
                           "1", *plan)
    assert code == 2 and err == ("infusion-monitor: error: patient P1 has an unreviewed flag (PHQ-9 item 9 = 2, "
                                 f"session {first}): a clinician reviews it first (flags --patient P1 --reviewer NAME "
                                 "--note TEXT), or add --confirm-unreviewed-flags (recorded)\n")
    assert store.session_count("P1") == 1  # refused before a session was made
    with PtySimulator("cms50dplus", "baseline") as sim:
        code, _, err = run(capsys, "record", "--db", db, "--device", f"pulseox=cms50dplus:{sim.path}", "--duration",
                           "1", *plan, "--confirm-unreviewed-flags")
    assert code == 0, err
    ((override, user),) = journal(db, first + 1, "outcome_flag_override")
    assert (override["stage"], override["outcome_ids"], user) == ("infusion", [flags_of_patient(store, "P1")[0].score.id],
                                                                   "record")
    store.close()
