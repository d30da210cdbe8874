"""Start's checkpoint (StartCheck: the infusion started over unmet items, confirmed by someone) is shown wherever
the session is reviewed: the summary's text and JSON, the timeline's marks and the review panel."""

from __future__ import annotations

import pytest

from export_session import T0, make_session
from monitor.record.journal import StartCheck
from monitor.review.summary import summarize
from monitor.review.timeline import SessionTimeline
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store

UNMET = ("baseline BP missing", "high alarm: SpO2 84 < 90")
WORDS = "Started over: baseline BP missing; high alarm: SpO2 84 < 90 — confirmed by AB"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("start-check") / "s.db"
    sid = make_session(path, minutes=5)
    store = Store(path)
    store.append_journal(sid, StartCheck(UNMET, True, "AB"), "AB", T0 + 59)
    store.close()
    return path


def test_the_words_name_each_unmet_item_the_answer_and_who_gave_it():
    assert StartCheck(UNMET, True, "AB").text == WORDS
    assert StartCheck(("checklist: consent not ticked",), False, "CD").text == (
        "Start held: checklist: consent not ticked — waited, by CD")


def test_the_summary_says_it_in_text_and_json(db):
    sessions = SqliteSessions(db)
    summary = summarize(sessions, sessions.resolve("latest"))
    assert f"Start      23:14:19 {WORDS}" in summary.text()  # the session's zone: Europe/Paris
    [check] = summary.to_json()["start_checks"]
    assert check == {"t_utc": "2023-11-14T22:14:19.000Z", "unmet": list(UNMET), "started": True, "user": "AB"}


def test_the_timeline_marks_it_with_the_infusion_steps(db):
    sessions = SqliteSessions(db)
    marks = SessionTimeline(sessions, sessions.resolve("latest")).marks()
    [mark] = [m for m in marks if m.text == WORDS]
    assert (mark.t, mark.kind) == (T0 + 59, "infusion")


def test_the_review_panel_shows_it(db, qapp):
    from ui.review.summary_panel import summary_html

    sessions = SqliteSessions(db)
    html = summary_html(summarize(sessions, sessions.resolve("latest")))
    assert "23:14:19 Started over: baseline BP missing; high alarm: SpO2 84 &lt; 90 — confirmed by AB" in html
