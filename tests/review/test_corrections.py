"""Corrections after the fact: appended with who, when and why, every version kept, checked like live entries."""

from __future__ import annotations

import pytest

from monitor.review.corrections import CorrectionError, Corrector, audit_trail, event_versions
from monitor.record.journal import MarkerRevision
from monitor.record.journal import PhaseChange, ScaleEntry
from monitor.clinical.scales import Cadss, Moaas
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store
from monitor.review.summary import summarize
from written import T0, Session

NOW = T0 + 86400  # the reviewer corrects the next day


def _closed(tmp_path) -> tuple[Store, SqliteSessions]:
    s = Session(tmp_path)
    s.rec.journal(PhaseChange("infusion"), "", T0 + 600)
    s.rec.journal(MarkerRevision("m1", 1, T0 + 900, "nausea", "Nausea", "", "AB", T0 + 900), "AB", T0 + 900)
    sessions = s.close(3600)
    return s.store, sessions


def _corrector(store: Store, sessions: SqliteSessions) -> Corrector:
    return Corrector(store, sessions.record(sessions.resolve("latest")), clock=lambda: NOW)


def test_an_edit_appends_a_revision_and_the_summary_follows_it(tmp_path):
    store, sessions = _closed(tmp_path)
    rev = _corrector(store, sessions).edit_event("m1", user="Dr CD", reason="it began earlier", t=T0 + 700,
                                                 note="after the first minutes")
    assert (rev.revision, rev.t, rev.user, rev.recorded_at) == (2, T0 + 700, "Dr CD", NOW)
    record = sessions.record(sessions.resolve("latest"))
    versions = event_versions(record, "m1")
    assert [(entered, who, r.revision, r.t) for entered, who, r in versions] == [
        (T0 + 900, "AB", 1, T0 + 900), (NOW, "Dr CD", 2, T0 + 700)]
    [line] = audit_trail(record)
    assert (line.entered_utc, line.user, line.what, line.reason) == (NOW, "Dr CD", "event edited", "it began earlier")
    summary = summarize(sessions, sessions.resolve("latest"))
    assert [(m.t, m.note) for m in summary.markers] == [(T0 + 700, "after the first minutes")]
    assert summary.marker_corrections == 1


def test_late_event_and_scale_and_a_deletion(tmp_path):
    store, sessions = _closed(tmp_path)
    c = _corrector(store, sessions)
    added = c.add_event("7", T0 + 1200, user="Dr CD", reason="antiemetic on the paper chart only")
    c.add_scale(Cadss((1, 0, 2, 0, 0, 1)), T0 + 1500, user="Dr CD", reason="scored on paper")
    c.delete_event("m1", user="Dr CD", reason="entered for the wrong patient")
    record = sessions.record(sessions.resolve("latest"))
    assert [(x.what, x.detail) for x in audit_trail(record)] == [
        ("event added late", "Antiemetic given"), ("scale added late", "CADSS 4/24"), ("event deleted", "Nausea")]
    out = summarize(sessions, sessions.resolve("latest")).to_json()
    assert [e["code"] for e in out["event_list"]] == [added.code] and out["event_corrections"] == 1
    assert [(x["scale"], x["total"], x["t_utc"] < x["entered_utc"], x["reason"]) for x in out["scales"]] == [
        ("cadss", 4, True, "scored on paper")]
    [(_, scale)] = record.entries(ScaleEntry)
    assert scale.phase == "infusion"  # the phase at the time it was assessed


@pytest.mark.parametrize("action, words", [
    (lambda c: c.edit_event("m1", user="", reason="x", note="y"), "your name is required"),
    (lambda c: c.edit_event("m1", user="CD", reason=" ", note="y"), "a reason is required"),
    (lambda c: c.edit_event("m1", user="CD", reason="x", note=""), "changes nothing"),
    (lambda c: c.edit_event("nope", user="CD", reason="x", note="y"), "no marker with id"),
    (lambda c: c.edit_event("m1", user="CD", reason="x", t=T0 + 7200), "after the session ended"),
    (lambda c: c.add_event("nausea", T0 - 60, user="CD", reason="x"), "before the session started"),
    (lambda c: c.add_event("teleport", T0 + 60, user="CD", reason="x"), "no marker with key or code"),
    (lambda c: c.add_scale(Moaas(3), T0 + 9000, user="CD", reason="x"), "after the session ended"),
])
def test_refused_corrections_say_why_and_store_nothing(tmp_path, action, words):
    store, sessions = _closed(tmp_path)
    before = len(sessions.record(sessions.resolve("latest")).journal)
    with pytest.raises(CorrectionError, match=words):
        action(_corrector(store, sessions))
    assert len(sessions.record(sessions.resolve("latest")).journal) == before


def test_a_running_session_is_corrected_on_its_monitor(tmp_path):
    s = Session(tmp_path)
    sessions = s.close(None)
    with pytest.raises(CorrectionError, match="still running"):
        Corrector(s.store, sessions.record(sessions.resolve("latest")))
