"""Outcome questionnaires: scoring and bands against the published rules, validation, the item-9 flag,
response and remission, storage, per-patient instruments, the `outcome` command."""

from __future__ import annotations

import json
import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.cli import main
from monitor.clinical.config import DEFAULT_PATH, ConfigError, load_clinical_config, parse_clinical_config
from monitor.record.instruments import GAD7, INSTRUMENTS, PCL5, PHQ9, OutcomeError, parse_items
from monitor.record.outcomes import OutcomeReview, OutcomeScore
from monitor.clinical.outcomes import SessionOutcomes, course, entered, is_response
from monitor.storage.outcomes import outcomes_of, patient_instruments, set_patient_instruments
from monitor.record.journal import ManualBp
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store

CUTOFFS = {"pcl5": 33}
T0 = 1_700_000_000.0


def phq9(items, t=T0, **kw) -> OutcomeScore:
    return OutcomeScore("phq9", tuple(items), t, kw.pop("user", "nurse"), kw.pop("mode", "nurse"), **kw)


def published_phq9_band(total: int) -> str:
    """PHQ-9 severity as Kroenke 2001 publishes it (cut points 5, 10, 15, 20)."""
    for upper, label in ((4, "minimal"), (9, "mild"), (14, "moderate"), (19, "moderately severe")):
        if total <= upper:
            return label
    return "severe"


def published_gad7_band(total: int) -> str:
    """GAD-7 severity as Spitzer 2006 publishes it (cut points 5, 10, 15)."""
    return "minimal" if total <= 4 else "mild" if total <= 9 else "moderate" if total <= 14 else "severe"


# --- the instruments as published -----------------------------------------------------------------------

def test_the_instruments_have_the_published_shape():
    assert (PHQ9.n_items, PHQ9.max_item, PHQ9.max_total) == (9, 3, 27)
    assert (GAD7.n_items, GAD7.max_item, GAD7.max_total) == (7, 3, 21)
    assert (PCL5.n_items, PCL5.max_item, PCL5.max_total) == (20, 4, 80)
    assert [o.text for o in PHQ9.options] == ["Not at all", "Several days", "More than half the days",
                                              "Nearly every day"]
    assert [o.text for o in PCL5.options] == ["Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely"]
    assert PHQ9.items[8].startswith("Thoughts that you would be better off dead")
    assert GAD7.items[0] == "Feeling nervous, anxious, or on edge"
    assert PCL5.items[19] == "Trouble falling or staying asleep?"
    assert list(INSTRUMENTS) == ["phq9", "gad7", "pcl5"]


@given(st.lists(st.integers(0, 3), min_size=9, max_size=9))
def test_phq9_total_and_band_follow_the_published_scoring(items):
    s = phq9(items)
    assert s.total == sum(items)
    assert s.band == published_phq9_band(sum(items))
    assert s.flag == (items[8] > 0)


@given(st.lists(st.integers(0, 3), min_size=7, max_size=7))
def test_gad7_total_and_band_follow_the_published_scoring(items):
    s = OutcomeScore("gad7", tuple(items), T0, "nurse", "nurse")
    assert (s.total, s.band, s.flag) == (sum(items), published_gad7_band(sum(items)), False)


@pytest.mark.parametrize("total, band", [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"),
                                         (14, "moderate"), (15, "moderately severe"), (19, "moderately severe"),
                                         (20, "severe"), (27, "severe")])
def test_phq9_band_edges(total, band):
    items = [3] * (total // 3) + [total % 3] * (total % 3 > 0)
    items += [0] * (9 - len(items))
    assert phq9(items).band == band


def test_pcl5_is_read_against_the_configured_cutoff():
    below = entered("pcl5", [2] * 16 + [0] * 4, user="n", mode="nurse", cutoffs=CUTOFFS, t=T0)
    at = entered("pcl5", [2] * 16 + [1, 0, 0, 0], user="n", mode="nurse", cutoffs=CUTOFFS, t=T0)
    assert (below.total, below.band) == (32, "below the probable PTSD cut-off (33)")
    assert (at.total, at.band) == (33, "probable PTSD (cut-off 33)")
    assert entered("pcl5", [2] * 16 + [0] * 4, user="n", mode="nurse", cutoffs={"pcl5": 31}, t=T0).band \
        == "probable PTSD (cut-off 31)"
    assert below.cutoff == 33 and entered("phq9", [0] * 9, user="n", mode="nurse", cutoffs=CUTOFFS).cutoff is None


# --- validation ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("items, message", [
    ([1] * 8, "PHQ-9 needs 9 item scores (each 0-3), got 8"),
    ([1] * 10, "PHQ-9 needs 9 item scores (each 0-3), got 10"),
    ([1] * 8 + [4], "PHQ-9 item 9 must be a whole number from 0 to 3, got 4"),
    ([1, -1] + [0] * 7, "PHQ-9 item 2 must be a whole number from 0 to 3, got -1"),
    ([1, 1.5] + [0] * 7, "PHQ-9 item 2 must be a whole number from 0 to 3, got 1.5"),
    ([True] + [0] * 8, "PHQ-9 item 1 must be a whole number from 0 to 3, got True"),
    ("012301230", "PHQ-9 needs a list of 9 item scores, got '012301230'"),
])
def test_a_wrong_count_or_value_is_refused_with_one_clear_line(items, message):
    with pytest.raises(OutcomeError) as e:
        OutcomeScore("phq9", items, T0, "nurse", "nurse")
    assert str(e.value) == message and "\n" not in message


def test_entries_need_a_known_instrument_a_user_a_mode_and_a_cutoff_where_one_is_read():
    with pytest.raises(OutcomeError, match="unknown instrument 'bdi' .known: phq9, gad7, pcl5."):
        OutcomeScore("bdi", (0,), T0, "n", "nurse")
    with pytest.raises(OutcomeError, match="user entering an outcome is required"):
        phq9([0] * 9, user=" ")
    with pytest.raises(OutcomeError, match="mode nurse, patient, import"):
        phq9([0] * 9, mode="robot")
    with pytest.raises(OutcomeError, match="PCL-5 cut-off must be a whole number from 1 to 80"):
        OutcomeScore("pcl5", (0,) * 20, T0, "n", "nurse")
    with pytest.raises(OutcomeError, match="read by its severity bands"):
        phq9([0] * 9, cutoff=10)
    with pytest.raises(OutcomeError, match="finite UTC epoch"):
        phq9([0] * 9, t=float("nan"))


def test_parse_items_keeps_what_is_not_a_number_for_the_message():
    assert parse_items("1, 2,0") == [1, 2, 0]
    assert parse_items("1,x,-1,,1_0") == [1, "x", -1, "", "1_0"]


@given(st.sampled_from(list(INSTRUMENTS)), st.data())
def test_data_is_json_and_reads_back_as_the_same_entry(code, data):
    inst = INSTRUMENTS[code]
    items = data.draw(st.lists(st.integers(0, inst.max_item), min_size=inst.n_items, max_size=inst.n_items))
    mode = data.draw(st.sampled_from(["nurse", "patient", "import"]))
    s = entered(code, items, user="Ann", mode=mode, cutoffs=CUTOFFS, t=T0)
    d = json.loads(json.dumps(s.to_data()))
    assert OutcomeScore.from_data(d) == s
    assert (d["total"], d["band"], d["flag"], d["items"]) == (s.total, s.band, s.flag, items)


def test_reading_recomputes_rather_than_trusting_stored_totals_and_refuses_a_broken_record():
    d = phq9([3] * 9).to_data() | {"total": 0, "band": "minimal", "flag": False}
    assert OutcomeScore.from_data(d).band == "severe" and OutcomeScore.from_data(d).flag
    with pytest.raises(OutcomeError, match="not an outcome record"):
        OutcomeScore.from_data({"instrument": "phq9"})


# --- the item-9 flag and its reviews --------------------------------------------------------------------------

def test_item9_above_zero_flags_in_words():
    assert not phq9([3] * 8 + [0]).flag and phq9([3] * 8 + [0]).flag_text == ""
    s = phq9([0] * 8 + [2])
    assert s.flag
    assert s.flag_text == ("PHQ-9 item 9 = 2 (thoughts of being better off dead or of self-harm), "
                           "answered \u201cMore than half the days\u201d")


def test_flags_stay_listed_with_their_reviews_and_reviews_need_a_name_and_a_note():
    a, b, c = phq9([0] * 8 + [1], t=T0), phq9([0] * 9, t=T0 + 1), phq9([0] * 8 + [3], t=T0 + 2)
    found = SessionOutcomes().merge([c, a, b])
    assert found.scores == (a, b, c)
    assert found.unreviewed() == (a, c)
    review = OutcomeReview(a.id, "Dr Lee", "assessed, safety plan in place", T0 + 5)
    found = found.merge([review, review])
    assert [(f.score, f.reviews) for f in found.flags()] == [(a, (review,)), (c, ())]
    assert found.unreviewed() == (c,) and review.text == "reviewed by Dr Lee: assessed, safety plan in place"
    with pytest.raises(OutcomeError, match="review note"):
        OutcomeReview(a.id, "Dr Lee", "  ", T0)
    with pytest.raises(OutcomeError, match="reviewing clinician"):
        OutcomeReview(a.id, "", "ok", T0)


# --- response and remission -------------------------------------------------------------------------------------

def test_response_is_a_fall_of_at_least_half_from_the_course_first_score():
    assert is_response(20, 10) and not is_response(20, 11) and is_response(21, 10) and not is_response(21, 11)
    assert not is_response(0, 0)  # nothing to fall from
    series = [phq9(items, t=T0 + i * 86400) for i, items in enumerate(
        ([3] * 6 + [0] * 3, [2] * 6 + [0] * 3, [1] * 9, [1] * 4 + [0] * 5))]  # totals 18, 12, 9, 4
    points = course(series)
    assert [p.change for p in points] == [0, -6, -9, -14]
    assert [p.response for p in points] == [False, False, True, True]
    assert [p.remission for p in points] == [False, False, False, True]
    assert points[2].change_pct == pytest.approx(-50.0)


def test_remission_is_defined_for_phq9_only_and_series_must_be_one_instrument_in_time_order():
    g = [OutcomeScore("gad7", (3,) * 7, T0, "n", "nurse"), OutcomeScore("gad7", (0,) * 7, T0 + 1, "n", "nurse")]
    assert [(p.response, p.remission, p.change_pct) for p in course(g)] == [(False, None, 0.0), (True, None, -100.0)]
    assert course([]) == ()
    zero = course([phq9([0] * 9), phq9([1] * 9, t=T0 + 1)])
    assert zero[1].change_pct is None and not zero[1].response
    with pytest.raises(OutcomeError, match="one instrument"):
        course([phq9([0] * 9), g[1]])
    with pytest.raises(OutcomeError, match="time order"):
        course([phq9([0] * 9, t=T0 + 5), phq9([0] * 9, t=T0)])


# --- storage -------------------------------------------------------------------------------------------------------

@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "s.db")
    yield s
    s.close()


def test_outcomes_are_read_back_from_the_journal_and_bad_records_skipped(store):
    sid = store.create_session(patient_id="P1")
    a, b = phq9([0] * 8 + [1]), phq9([1] * 8 + [0], t=T0 + 60)
    review = OutcomeReview(a.id, "Dr Lee", "seen", T0 + 90)
    for rec in (b, a, review):
        store.append_journal(sid, rec, "nurse", rec.t)
    broken = {"session_id": sid, "t": T0, "kind": "outcome", "v": 1, "data": json.dumps({"instrument": "phq9",
                                                                                        "items": [9]}), "user": "x"}
    store.write_batch({"journal": [broken]})
    store.append_journal(sid, ManualBp(120.0, 80.0, 93.3), "x", T0)
    other = store.create_session(patient_id="P2")
    found = outcomes_of(store, sid)
    assert found.scores == (a, b) and found.reviews == (review,) and found.unreviewed() == ()
    assert outcomes_of(store, other) == SessionOutcomes()


def test_instruments_are_a_per_patient_setting_with_the_clinic_default(store):
    default = load_clinical_config().outcomes.instruments
    assert default == ("phq9", "gad7")
    assert patient_instruments(store, "P1", default) == default
    set_patient_instruments(store, "P1", ["pcl5", "phq9"])
    store.ensure_patient("P1", "Ann")  # other patient fields leave the setting alone
    assert patient_instruments(store, "P1", default) == ("phq9", "pcl5")
    assert patient_instruments(store, "P2", default) == default
    with pytest.raises(OutcomeError, match="unknown instrument"):
        set_patient_instruments(store, "P1", ["bdi"])


def test_an_older_database_gains_the_patient_settings_column(tmp_path):
    from monitor.storage.schema import MIGRATIONS
    import sqlite_utils

    path = tmp_path / "old.db"
    db = sqlite_utils.Database(sqlite3.connect(path))
    MIGRATIONS[0](db)
    db.execute("PRAGMA user_version = 1")
    db["patients"].insert({"id": "P1", "name": "Ann", "created_utc": T0})
    db.conn.commit()
    db.conn.close()
    store = Store(path)
    set_patient_instruments(store, "P1", ["gad7"])
    assert patient_instruments(store, "P1", ("phq9",)) == ("gad7",)
    store.close()


def test_the_clinic_config_checks_its_outcome_settings():
    data = json.loads(DEFAULT_PATH.read_text())
    data["outcomes"]["instruments"] = ["phq9", "bdi"]
    with pytest.raises(ConfigError, match="unknown instrument 'bdi'"):
        parse_clinical_config(data)
    data["outcomes"]["instruments"] = ["phq9"]
    data["outcomes"]["cutoffs"]["pcl5"] = 90
    with pytest.raises(ConfigError, match="PCL-5 cut-off must be a whole number from 1 to 80"):
        parse_clinical_config(data)


# --- the outcome command ----------------------------------------------------------------------------------------

def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_outcome_command_writes_into_a_closed_session_and_prints_total_band_and_flag(tmp_path, capsys):
    db = tmp_path / "s.db"
    store = Store(db)
    sid = store.create_session(patient_id="P1")
    store.close_session(sid)
    code, out, err = run(capsys, "outcome", "--db", str(db), "--session", "latest", "--instrument", "phq9",
                         "--items", "1,2,0,3,1,2,1,0,1", "--user", "EHR")
    assert code == 0 and err == ""
    assert out.splitlines() == [
        f"session {sid}: PHQ-9 11 of 27, moderate",
        "FLAG: PHQ-9 item 9 = 1 (thoughts of being better off dead or of self-harm), answered \u201cSeveral days\u201d:"
        " a clinician must assess the patient before the infusion"]
    code, out, _ = run(capsys, "outcome", "--db", str(db), "--session", str(sid), "--instrument", "phq9",
                       "--items", "0,0,0,0,0,0,0,0,0")
    assert out.splitlines()[1] == "item 9: 0, no flag"
    code, out, _ = run(capsys, "outcome", "--db", str(db), "--session", str(sid), "--instrument", "gad7",
                       "--items", "3,3,3,3,3,0,0")
    assert out.splitlines() == [f"session {sid}: GAD-7 15 of 21, severe"]
    scores = outcomes_of(store, sid).scores
    assert [(s.instrument, s.mode, s.user) for s in scores] == [("phq9", "import", "EHR"), ("phq9", "import", "import"),
                                                                 ("gad7", "import", "import")]
    assert SqliteSessions(db).resolve(str(sid)).state == "closed"
    store.close()


@pytest.mark.parametrize("args, message", [
    (["--instrument", "phq9", "--items", "1,2,0"], "PHQ-9 needs 9 item scores (each 0-3), got 3"),
    (["--instrument", "gad7", "--items", "1,2,0,3,1,2,4"], "GAD-7 item 7 must be a whole number from 0 to 3, got 4"),
    (["--instrument", "pcl5", "--items", ",".join(["1"] * 19 + ["x"])],
     "PCL-5 item 20 must be a whole number from 0 to 4, got 'x'"),
    (["--instrument", "bdi", "--items", "1"], "unknown instrument 'bdi' (known: phq9, gad7, pcl5)"),
])
def test_outcome_command_refuses_bad_input_with_one_line_and_exit_2_writing_nothing(tmp_path, capsys, args, message):
    db = tmp_path / "s.db"
    store = Store(db)
    sid = store.create_session()
    code, out, err = run(capsys, "outcome", "--db", str(db), "--session", "latest", *args)
    assert (code, out, err) == (2, "", f"infusion-monitor: error: {message}\n")
    assert outcomes_of(store, sid) == SessionOutcomes()
    store.close()


def test_outcome_command_needs_an_existing_session(tmp_path, capsys):
    Store(tmp_path / "s.db").close()
    code, _, err = run(capsys, "outcome", "--db", str(tmp_path / "s.db"), "--session", "4", "--instrument", "gad7",
                       "--items", "0,0,0,0,0,0,0")
    assert code == 2 and err == "infusion-monitor: error: there is no session 4 in this database\n"
