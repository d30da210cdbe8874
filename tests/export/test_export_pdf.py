"""The PDF infusion record: opened with pypdf, its text extracted and compared with the session; A4 and Letter;
reached from the command through ui.launcher; an empty session leaves no file."""

from __future__ import annotations

import os
import stat
import unicodedata

import pytest

from export_session import make_empty_session, make_session
from monitor.export.content import bp_readings
from monitor.storage.sessions import SqliteSessions
from ui import launcher

pypdf = pytest.importorskip("pypdf")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "s.db"
    make_session(path, minutes=30)
    return path


def text_of(path) -> tuple[list[str], list[tuple[float, float]]]:
    reader = pypdf.PdfReader(str(path))
    return ([" ".join(unicodedata.normalize("NFKC", page.extract_text()).split()) for page in reader.pages],
            [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages])


def course_pages(pages: list[str]) -> str:
    """Return the text of the course page and the pages it runs on to (the end of the report)."""
    return " ".join(pages[next(i for i, page in enumerate(pages) if "Course of treatment:" in page):])


@pytest.mark.parametrize("paper, size", [("a4", (595, 842)), ("letter", (612, 792))])
def test_pdf_reads_back_with_the_sessions_record(db, tmp_path, qapp, capsys, paper, size):
    out = tmp_path / f"{paper}.pdf"
    code = launcher.main(["export", "--db", str(db), "--session", "latest", "--format", "pdf", "--paper", paper,
                          "--clinic", "Riverside Clinic", "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    pages, sizes = text_of(out)
    assert set(sizes) == {size}
    for n, page in enumerate(pages, start=1):  # every page: running header and "page N of M"
        assert f"page {n} of {len(pages)}" in page and "P-7" in page
    text = "\n".join(pages)
    assert "SIMULATED" not in text  # no simulator in this session: no mark
    for words in ("Riverside Clinic", "Ada Lovelace", "Not a certified medical device", "AB, CD, Dr Lee",
                  "35 mg / ", "Peak BP", "88 % at", "Plan and dose arithmetic", "SpO2 and pulse", "Blood pressure",
                  "nausea", "time corrected", "Vomiting (deleted)", "MOAA/S", "FLAG item 9 = 1",
                  "reviewed by Dr Lee", "SpO2 88 < 90", "AB 23:21:45", "10/10", "spouse", "failed", "cuff leak"):
        assert words in text, words
    sessions = SqliteSessions(db)
    for bp in bp_readings(sessions.record(sessions.resolve("latest"))):
        assert f"{bp.sbp:g}/{bp.dbp:g}" in text


def test_pdf_of_an_empty_session_is_one_line_and_no_file(tmp_path, qapp, capsys):
    db = tmp_path / "s.db"
    make_empty_session(db)
    code = launcher.main(["export", "--db", str(db), "--session", "latest", "--format", "pdf", "-o",
                          str(tmp_path / "x.pdf")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("infusion-monitor: error: ") and "is empty" in err
    assert sorted(p.name for p in tmp_path.iterdir() if "x.pdf" in p.name) == []


def test_pdf_progress_reaches_the_end(db, tmp_path, qapp):
    from monitor.export.run import Options, export_session

    calls = []
    sessions = SqliteSessions(db)
    export_session(sessions, sessions.resolve("latest"), "pdf", tmp_path / "p.pdf",
                   Options(pdf=launcher.render_pdf), progress=lambda d, t: calls.append((d, t)))
    assert calls and calls[-1][0] == calls[-1][1]


def test_summary_figures_are_the_review_summarys(db):
    from monitor.export.report import report_data
    from monitor.review.summary import summarize

    sessions = SqliteSessions(db)
    meta = sessions.resolve("latest")
    pairs = dict(report_data(sessions, meta).summary)
    s = summarize(sessions, meta)
    # one mg rule (monitor.clinical.dosing.mg_text) for the report, the summary, the list and the course
    assert pairs["Dose planned / delivered"] == f"35 mg / {round(s.delivered_mg, 2):g} mg (73 %)"
    assert f"delivered {round(s.delivered_mg, 2):g} mg" in s.text()
    assert pairs["Lowest SpO₂ (pulseox)"].startswith("88 % at 23:21:20; time < 94 %: 0:01:00, < 90 %: 0:01:00")
    assert pairs["Alarms"] == "2: 1 high, 1 medium, 0 low (1 technical)"
    assert pairs["Peak BP"].startswith(f"systolic {s.peak_sbp.value:g} mmHg")
    assert "no earlier infusions: population figure +16 mmHg" in pairs["BP forecast before it"]


def course_pdf(tmp_path, visits, session: str) -> tuple[list[str], str]:
    """Write the visits as a course, export one session's PDF; return its pages' text and its course page's."""
    from course_sessions import make_course

    db = tmp_path / "c.db"
    make_course(db, visits)
    out = tmp_path / "c.pdf"
    assert launcher.main(["export", "--db", str(db), "--session", session, "--format", "pdf", "-o", str(out)]) == 0
    pages, _ = text_of(out)
    return pages, course_pages(pages)


def test_the_course_page_lists_every_infusion_up_to_this_one_with_its_plots_and_flags(tmp_path, qapp):
    from test_course import VISITS

    pages, course = course_pdf(tmp_path, VISITS, "4")
    for words in ("Course of treatment: 4 sessions of patient P-1 up to this one", "Outcome totals by date (points)",
                  "SBP rise per infusion (mmHg)", "Dose per infusion (mg/kg)", "Dissociation per infusion (CADSS)",
                  "PHQ-9 response \u2264 11", "2023-11-20", "0.5 / 17.5 mg stopped", "PHQ-9 11 moderate response",
                  "PHQ-9 4 minimal response remission", "4 (this)", "reviewed by Dr Lee",
                  "BP forecast before this infusion: expected peak about",
                  "BP forecast for the next infusion, at the last planned dose (0.5 mg/kg, session 4)"):
        assert words in course, words
    assert "2023-11-24" not in course  # a later session is not in this session's report
    assert "actual peak 150 mmHg, within the range" in " ".join(pages)


def test_the_course_page_names_the_relapse_the_unreviewed_flag_the_forecast_and_side_effects(tmp_path, qapp):
    from course_sessions import TEN

    _, course = course_pdf(tmp_path, TEN, "9")
    for words in ("remission lost at infusion 8 (2023-12-10); response lost at infusion 9 (2023-12-17) (relapse)",
                  "Total given: 376.25 mg over 9 infusions (1 stopped early)",
                  "PHQ-9 item 9 flags: 2, 1 NOT REVIEWED (session 9)",
                  "BP forecast peak (range)", "174 (160-188) OUTSIDE", "0.75 / 26.25 mg stopped",
                  "FLAG item 9 reviewed", "FLAG item 9 NOT REVIEWED", "nausea 1", "vomiting 1; rescue: antihypertensive 1",
                  "infusion 9 was stopped early (BP 190/105) after 0.38 of 0.75 mg/kg: this assumes 0.75 mg/kg again",
                  "CAUTION: the range reaches 191 mmHg, at or above the SBP high-alarm limit (180 mmHg)"):
        assert words in course, words


def test_the_pdf_text_is_searchable_as_printed_and_names_both_identifiers_on_every_page(db, tmp_path, qapp):
    """Without NFKC: a ligature 'ﬁ' in "certified" would hide the disclaimer from a search of the file."""
    out = tmp_path / "r.pdf"
    assert launcher.main(["export", "--db", str(db), "--session", "latest", "--format", "pdf", "-o", str(out)]) == 0
    pages = [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(str(out)).pages]
    assert "not a certified medical device" in " ".join(pages).lower()
    for page in pages:  # the running header: the patient ID and the date of birth, on every page
        assert "P-7 · DOB 12 Mar 1980 · Ada Lovelace" in page


def test_two_oximeters_have_their_own_colours_and_legend_entries(tmp_path, qapp):
    from monitor.export.report import report_data
    from monitor.storage.store import Store

    db = tmp_path / "two.db"
    sid = make_session(db, minutes=5)
    store = Store(db)
    rows = [{"session_id": sid, "t": t, "source": "pulseox-2", "parameter": p, "value": v, "unit": u}
            for t, _ in ((r.t, r) for r in SqliteSessions(db).numerics(SqliteSessions(db).resolve("latest"))
                         if r.parameter == "spo2")
            for p, v, u in (("spo2", 95.0, "%"), ("pulse_rate", 80.0, "/min"))]
    store.write_batch({"numerics": rows})
    store.close()
    sessions = SqliteSessions(db)
    vitals = report_data(sessions, sessions.resolve("latest")).plots[0]
    assert [line.label for line in vitals.lines] == ["SpO₂ % (pulseox)", "SpO₂ % (pulseox-2)", "Pulse /min (pulseox)",
                                                     "Pulse /min (pulseox-2)"]
    assert len({line.color for line in vitals.lines}) == 4
    out = tmp_path / "two.pdf"
    assert launcher.main(["export", "--db", str(db), "--session", "latest", "--format", "pdf", "-o", str(out)]) == 0
    text = " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(str(out)).pages)
    for label in ("SpO₂ % (pulseox-2)", "Pulse /min (pulseox-2)"):  # whole, not cut at the legend's edge
        assert label in text, text


def test_a_start_over_unmet_items_is_on_the_pdf_with_who_confirmed_it(tmp_path, qapp):
    from export_session import T0
    from monitor.record.journal import StartCheck
    from monitor.storage.store import Store

    db = tmp_path / "s.db"
    sid = make_session(db, minutes=5)
    store = Store(db)
    store.append_journal(sid, StartCheck(("no baseline BP",), True, "AB"), "AB", T0 + 59)
    store.close()
    out = tmp_path / "s.pdf"
    assert launcher.main(["export", "--db", str(db), "--session", "latest", "--format", "pdf", "-o", str(out)]) == 0
    pages, _ = text_of(out)
    assert "Start 23:14:19 Started over: no baseline BP — confirmed by AB" in pages[0]
