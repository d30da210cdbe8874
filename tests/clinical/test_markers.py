"""Event markers: keys, backdating, and an audit trail where nothing is overwritten."""

import itertools
import math

import pytest

from monitor.clinical.config import load_clinical_config
from monitor.clinical.markers import MarkerError, MarkerLog
from clocks import FakeClock

START = 1_700_000_000.0


def make_log():
    c = FakeClock(START + 3600)
    ids = (f"m{i}" for i in itertools.count(1))
    return MarkerLog(load_clinical_config().markers, START, clock=c, new_id=lambda: next(ids)), c


def test_mark_by_key_or_code_now_or_backdated():
    log, c = make_log()
    a = log.mark("1", user="RN A")
    assert (a.id, a.revision, a.t, a.code, a.label, a.user, a.recorded_at) == ("m1", 1, c.t, "nausea", "Nausea", "RN A", c.t)
    b = log.mark("antihypertensive", t=c.t - 600, note="labetalol 10 mg IV", user="RN A")
    assert (b.code, b.t, b.note, b.recorded_at) == ("antihypertensive", c.t - 600, "labetalol 10 mg IV", c.t)
    assert log.mark(4, user="RN A").code == "dissociation"
    assert [m.id for m in log.current()] == ["m2", "m1", "m3"]  # in order of event time


@pytest.mark.parametrize("kw, words", [
    ({"key_or_code": "x"}, "no marker with key or code 'x'"),
    ({"key_or_code": "1", "t": START + 3601}, "cannot be dated in the future"),
    ({"key_or_code": "1", "t": START - 1}, "cannot be dated before the session started"),
    ({"key_or_code": "1", "t": math.nan}, "must be a finite UTC epoch"),
    ({"key_or_code": "0"}, "a note needs its text"),
    ({"key_or_code": "1", "user": " "}, "the user entering the marker is required"),
])
def test_bad_entries_are_refused(kw, words):
    log, c = make_log()
    kw = {"user": "RN A", **kw}
    with pytest.raises(MarkerError, match=words):
        log.mark(**kw)
    assert log.current() == ()


def test_free_text_note_and_session_start_edge():
    log, c = make_log()
    n = log.mark("0", t=START, note="  patient asks for blanket ", user="RN A")
    assert (n.code, n.note, n.t) == ("note", "patient asks for blanket", START)


def test_edits_append_revisions_and_history_keeps_every_one():
    log, c = make_log()
    m = log.mark("1", user="RN A")
    c.t += 60
    e1 = log.edit(m.id, t=m.t - 300, user="RN B", reason="started 5 min earlier")
    c.t += 60
    e2 = log.edit(m.id, code="2", note="once", user="RN A", reason="it was vomiting")
    assert [r.revision for r in log.history(m.id)] == [1, 2, 3]
    assert log.history(m.id)[0] == m  # the original entry is untouched
    assert (e1.t, e1.code, e1.user, e1.reason, e1.recorded_at) == (m.t - 300, "nausea", "RN B", "started 5 min earlier", m.t + 60)
    assert (e2.t, e2.code, e2.label, e2.note) == (m.t - 300, "vomiting", "Vomiting", "once")
    assert log.current() == (e2,)


def test_delete_is_a_revision_and_ends_editing():
    log, c = make_log()
    m = log.mark("6", user="RN A")
    keep = log.mark("3", user="RN A")
    d = log.delete(m.id, user="RN B", reason="wrong patient chart")
    assert d.deleted and d.revision == 2 and d.code == "headache"
    assert log.current() == (keep,)
    assert len(log.history(m.id)) == 2
    with pytest.raises(MarkerError, match="was deleted by RN B: wrong patient chart"):
        log.edit(m.id, note="x", user="RN A", reason="y")
    with pytest.raises(MarkerError, match="was deleted"):
        log.delete(m.id, user="RN A", reason="again")


@pytest.mark.parametrize("changes, words", [
    ({"user": "RN B", "reason": ""}, "a reason for the edit is required"),
    ({"user": "", "reason": "r"}, "the user editing the marker is required"),
    ({"user": "RN B", "reason": "r", "user_id": 3}, "'user_id' cannot be edited"),
    ({"user": "RN B", "reason": "r", "t": START + 7200}, "future"),
    ({"user": "RN B", "reason": "r", "code": "1"}, "the edit changes nothing"),
    ({"user": "RN B", "reason": "r", "code": "0"}, "a note needs its text"),
])
def test_bad_edits_are_refused_and_leave_history_alone(changes, words):
    log, c = make_log()
    m = log.mark("1", user="RN A")
    with pytest.raises(MarkerError, match=words):
        log.edit(m.id, **changes)
    assert log.history(m.id) == (m,)


def test_unknown_id():
    log, c = make_log()
    with pytest.raises(MarkerError, match="no marker with id 'zz'"):
        log.history("zz")
    with pytest.raises(MarkerError, match="no marker with id 'zz'"):
        log.delete("zz", user="a", reason="b")


def test_default_ids_are_unique_and_data_is_plain():
    log = MarkerLog(load_clinical_config().markers, START, clock=FakeClock(START + 10))
    a, b = log.mark("1", user="A"), log.mark("1", user="A")
    assert a.id != b.id and len(a.id) == 32
    assert a.to_data() == {"id": a.id, "revision": 1, "t": START + 10, "code": "nausea", "label": "Nausea", "note": "",
                           "user": "A", "recorded_at": START + 10, "reason": "", "deleted": False}
