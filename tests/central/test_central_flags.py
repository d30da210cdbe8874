"""An item-9 flag follows the patient from chair to chair through the central store (a real PostgreSQL server):
raised at chair A, it is NOT REVIEWED at chair B's Start and session until a clinician's review reaches the store;
chair B learns only the flag, never chair A's vitals; a store not reached is a notice, never a traceback."""

from __future__ import annotations

import logging
import socket
import time

import pytest
from pg import central, make_central, pg_server, replicate, require_postgres, wait_for  # noqa: F401
from test_central_security import refused, run_as

from bench.pgserver import PgServer
from monitor.alarms.keys import AppAlarm
from monitor.central.flags import MARGIN_S, NOT_REACHED, TIMEOUT_S, CentralFlagLookup, read_central_flags
from monitor.central.link import ChairSettings
from monitor.central.replicator import Replicator
from monitor.live.core import MonitorCore, SessionInfo
from monitor.record.outcomes import CentralFlagCheck, OutcomeScore
from monitor.storage.chair_patients import ChairPatients
from monitor.storage.outcomes import FlagsElsewhere, outcomes_of, review_patient_flag
from monitor.storage.store import Store

pytestmark = pytest.mark.slow  # every test runs against a throwaway PostgreSQL or waits for a timeout

PATIENT = "P-KET-07"
PLAN = dict(weight_kg=70, dose_mg_per_kg=0.5, infusion_min=40)
NOWHERE = "postgresql://nobody@127.0.0.1:1/none"


def phq9(item9: int, t: float) -> OutcomeScore:
    return OutcomeScore("phq9", (2, 2, 1, 1, 0, 1, 0, 0, item9), t, "nurse", "nurse")


def flagged_at_chair_a(central, db) -> tuple[OutcomeScore, int]:
    """Record a session at chair A with SpO2 values, a PHQ-9 without a flag and one with item 9 = 2; replicate it."""
    store = Store(db)
    sid = store.create_session(patient_id=PATIENT)
    store.write_batch({"numerics": [{"session_id": sid, "t": 1.8e9 + i, "source": "pulseox", "parameter": "spo2",
                                     "value": 91.0, "unit": "%"} for i in range(5)]})
    quiet, flag = phq9(0, time.time() - 7200), phq9(2, time.time() - 3600)
    for score in (quiet, flag):
        store.append_journal(sid, score, "nurse", score.t)
    store.close_session(sid)
    store.close()
    replicate(db, ChairSettings(central.url("chair-a"), "chair-a"))
    return flag, sid


def settled(lookup: CentralFlagLookup) -> FlagsElsewhere:
    answer = lookup.answer(PATIENT, wait_s=TIMEOUT_S + MARGIN_S)
    assert answer is not None  # never None once the bound has passed
    return answer


def flag_alarm(core: MonitorCore):
    return next((a for a in core.alarm_view().active if a.condition == AppAlarm.OUTCOME_FLAG), None)


def test_a_flag_raised_at_chair_a_is_not_reviewed_at_chair_b_until_a_review_reaches_the_store(central, tmp_path):
    a_db, b_db = tmp_path / "chair-a.db", tmp_path / "chair-b.db"
    flag, a_sid = flagged_at_chair_a(central, a_db)
    b_settings = ChairSettings(central.url("chair-b"), "chair-b")
    b_store = Store(b_db)

    # the Start dialog's directory: nothing in chair B's file, the flag from the store, naming chair A's session
    patients = ChairPatients(b_store, CentralFlagLookup(b_settings))
    wait_for(lambda: patients.flags_elsewhere(PATIENT) is not None, 10, "the answer")
    assert patients.flags_elsewhere(PATIENT) == ""
    (seen,) = patients.unreviewed_flags(PATIENT)
    assert (seen.score, seen.chair, seen.session_id, seen.where) == (flag, "chair-a", a_sid, f"session {a_sid} at chair-a")

    # the session at chair B: the carried flag raises the alarm from the start and blocks the infusion
    core = MonitorCore(b_store, [], central=Replicator(b_db, b_settings), flag_lookup=patients.elsewhere)
    core.start(SessionInfo(patient_id=PATIENT, **PLAN))
    try:
        assert wait_for(lambda: flag_alarm(core), 10, "the flag alarm").message.endswith(
            f"from session {a_sid} at chair-a: a clinician must review before the infusion")
        assert [f.score.id for f in core.clinical.status().unreviewed_flags] == [flag.id]
        assert "is not reviewed" in core.clinical.start_refusal()
        b_sid = core.session_id
    finally:
        core.stop()
    (check,) = [e.record for e in b_store.journal_records(b_sid, (CentralFlagCheck.KIND,)).entries]
    assert (check.found, check.notice) == ((f"{flag.id} session {a_sid} at chair-a",), "")
    assert [(s.score, s.reviews, s.chair, s.session_id) for s in check.seen] == [(flag, (), "chair-a", a_sid)]

    # a clinician reviews it at chair A the next day (after the fact, into its own session), replicated
    a_store = Store(a_db)
    review_patient_flag(a_store, PATIENT, None, "Dr Lee", "phoned: no plan, safety plan in place", time.time())
    a_store.close()
    replicate(a_db, ChairSettings(central.url("chair-a"), "chair-a"))
    fresh = ChairPatients(b_store, CentralFlagLookup(b_settings))
    wait_for(lambda: fresh.flags_elsewhere(PATIENT) is not None, 10, "the answer")
    assert fresh.unreviewed_flags(PATIENT) == ()


def test_a_review_written_at_chair_b_counts_at_chair_a_and_at_chair_b_before_it_is_shipped(central, tmp_path):
    a_db, b_db = tmp_path / "chair-a.db", tmp_path / "chair-b.db"
    flag, a_sid = flagged_at_chair_a(central, a_db)
    b_settings = ChairSettings(central.url("chair-b"), "chair-b")
    b_store = Store(b_db)
    core = MonitorCore(b_store, [], central=Replicator(b_db, b_settings))
    core.start(SessionInfo(patient_id=PATIENT, **PLAN))
    try:
        wait_for(lambda: flag_alarm(core), 10, "the flag alarm")
        core.clinical.review_outcome_flag(flag.id, "Dr Lee", "assessed at the chair: no plan")
        wait_for(lambda: flag_alarm(core) is None, 10, "the alarm's end")
        b_sid = core.session_id
    finally:
        core.stop()  # ships chair B's rows, the review among them
    assert outcomes_of(b_store, b_sid).reviews[0].outcome_id == flag.id

    # chair B's file alone knows the review even with the store not reached
    offline = ChairPatients(b_store, CentralFlagLookup(ChairSettings(NOWHERE, "chair-b")))
    wait_for(lambda: offline.flags_elsewhere(PATIENT) is not None, 10, "the notice")
    assert offline.unreviewed_flags(PATIENT) == ()
    # chair A's own flag, unreviewed in its file, is reviewed once the store is asked
    a_store = Store(a_db)
    assert ChairPatients(a_store).unreviewed_flags(PATIENT)[0].score == flag
    at_a = ChairPatients(a_store, CentralFlagLookup(ChairSettings(central.url("chair-a"), "chair-a")))
    wait_for(lambda: at_a.flags_elsewhere(PATIENT) is not None, 10, "the answer")
    assert at_a.unreviewed_flags(PATIENT) == ()


def test_chair_b_reads_the_flags_of_a_patient_and_nothing_else_of_chair_a(central, tmp_path):
    flag, a_sid = flagged_at_chair_a(central, tmp_path / "chair-a.db")
    b_url = central.url("chair-b")
    found, unreadable = read_central_flags(b_url, PATIENT)
    assert [(f.score, f.chair, f.session_id) for f in found.flags] == [(flag, "chair-a", a_sid)] and unreadable == 0
    # the function gives flagged entries and reviews only: not the PHQ-9 without a flag, not the session start
    rows = run_as(central, "chair-b", "SELECT kind FROM infusion.patient_flag_records(%s)", (PATIENT,))
    assert rows == [("outcome",)]
    assert run_as(central, "chair-b", "SELECT COUNT(*) FROM infusion.numerics WHERE chair_id = 'chair-a'") == [(0,)]
    assert run_as(central, "chair-b", "SELECT COUNT(*) FROM infusion.journal") == [(0,)]
    assert read_central_flags(b_url, "P-OTHER")[0].flags == ()
    # only chairs may call it (the reviewer reads the tables anyway); PUBLIC may not
    assert refused(run_as(central, "desk", "SELECT * FROM infusion.patient_flag_records(%s)", (PATIENT,)))
    assert central.query("SELECT has_function_privilege('public', 'infusion.patient_flag_records(text)', "
                         "'EXECUTE')") == [(False,)]


class SilentServer:
    """A TCP port that accepts connections and never answers: a store whose network hangs."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()


def test_a_store_not_reached_is_a_notice_in_bounded_time_and_a_record_never_a_traceback(tmp_path, caplog,
                                                                                        pg_server):
    silent = SilentServer()
    try:
        lookup = CentralFlagLookup(ChairSettings(f"postgresql://chair-b@127.0.0.1:{silent.port}/clinic", "chair-b"))
        t0 = time.monotonic()
        assert lookup.answer(PATIENT) is None  # asked in the background: the dialog is never held
        assert time.monotonic() - t0 < 0.5
        assert settled(lookup) == FlagsElsewhere(notice=NOT_REACHED)
        assert time.monotonic() - t0 < TIMEOUT_S + MARGIN_S + 1
    finally:
        silent.close()

    store = Store(tmp_path / "chair-b.db")
    caplog.set_level(logging.WARNING)
    core = MonitorCore(store, [], central=Replicator(store.path, ChairSettings(NOWHERE, "chair-b")))
    core.start(SessionInfo(patient_id=PATIENT, **PLAN))
    try:
        assert core.clinical.start_refusal() == ""  # nothing known to block on: the notice is all
        sid = core.session_id
    finally:
        core.stop()
    (check,) = [e.record for e in store.journal_records(sid, (CentralFlagCheck.KIND,)).entries]
    assert check == CentralFlagCheck((), NOT_REACHED)
    assert not [r for r in caplog.records if r.exc_info]  # said in a line, no traceback
    assert any("flags from other chairs not checked" in r.getMessage() for r in caplog.records)


def test_record_at_chair_b_refuses_the_infusion_over_chair_as_flag_before_any_session(central, tmp_path, capsys,
                                                                                      monkeypatch):
    from devices.sim.runner import PtySimulator
    from monitor.cli import main

    flag, a_sid = flagged_at_chair_a(central, tmp_path / "chair-a.db")
    monkeypatch.setenv("INFUSION_MONITOR_CHAIR", "chair-b")
    db = tmp_path / "chair-b.db"
    with PtySimulator("cms50dplus", "baseline") as sim:
        code = main(["record", "--db", str(db), "--central", central.url("chair-b"), "--device",
                     f"pulseox=cms50dplus:{sim.path}", "--duration", "1", "--patient", PATIENT, "--weight-kg", "70",
                     "--dose-mg-per-kg", "0.5", "--infusion-min", "40"])
    err = capsys.readouterr().err
    assert code == 2 and f"has an unreviewed flag (PHQ-9 item 9 = 2, session {a_sid} at chair-a)" in err
    assert Store(db).session_count(PATIENT) == 0  # refused before a session was made


def test_a_flag_seen_centrally_at_one_visit_is_still_shown_at_the_next_when_the_store_is_down(tmp_path, monkeypatch):
    require_postgres()
    server = PgServer().start()  # its own server, stopped below: the shared one must stay up for the other tests
    try:
        central = make_central(server, monkeypatch)
        flag, a_sid = flagged_at_chair_a(central, tmp_path / "chair-a.db")
        b_db = tmp_path / "chair-b.db"
        b_settings = ChairSettings(central.url("chair-b"), "chair-b")
        b_store = Store(b_db)
        core = MonitorCore(b_store, [], central=Replicator(b_db, b_settings))
        core.start(SessionInfo(patient_id=PATIENT, **PLAN))  # the first visit at chair B: the store answers
        try:
            wait_for(lambda: flag_alarm(core), 10, "the flag alarm")
        finally:
            core.stop()
        server.stop("immediate")

        # the next visit: the Start dialog's directory shows the flag as last seen, and says the store is down
        patients = ChairPatients(b_store, CentralFlagLookup(b_settings))
        wait_for(lambda: patients.flags_elsewhere(PATIENT) is not None, 10, "the notice")
        notice = patients.flags_elsewhere(PATIENT)
        assert notice.startswith(NOT_REACHED + "; showing those as last seen centrally on ")
        assert [(f.score, f.where) for f in patients.unreviewed_flags(PATIENT)] == [(flag, f"session {a_sid} at chair-a")]
        # and the session: the flag alarm, the infusion refused, the record saying what was shown and why
        core = MonitorCore(b_store, [], central=Replicator(b_db, b_settings), flag_lookup=patients.elsewhere)
        core.start(SessionInfo(patient_id=PATIENT, **PLAN))
        try:
            assert wait_for(lambda: flag_alarm(core), 10, "the flag alarm").message.endswith(
                f"from session {a_sid} at chair-a: a clinician must review before the infusion")
            assert "is not reviewed" in core.clinical.start_refusal()
            sid = core.session_id
        finally:
            core.stop()
        (check,) = [e.record for e in b_store.journal_records(sid, (CentralFlagCheck.KIND,)).entries]
        assert check == CentralFlagCheck((f"{flag.id} session {a_sid} at chair-a",), notice)  # seen: nothing new
    finally:
        server.cleanup()
