"""The course document: one PDF of a patient's whole course for an insurer or a referring psychiatrist, written by
`course --pdf`, read back by an independent reader (pypdf) without folding ligatures, and drawn to PNG pages."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess

import pytest

from course_sessions import TEN, make_course
from monitor.clinical.plan import CoursePlan
from monitor.storage.store import Store
from ui import launcher

pypdf = pytest.importorskip("pypdf")


@pytest.fixture(scope="module")
def ten(tmp_path_factory):
    """The clinician review's patient with a plan: 10 infusions, induction 6 then boosters every 4 weeks."""
    db = tmp_path_factory.mktemp("doc") / "s.db"
    make_course(db, TEN)
    store = Store(db)
    store.add_course_plan("P-1", CoursePlan(6, 3.0, 4.0, None, "Dr Lee", 1.7e9, "standard induction"))
    store.close()
    return db


def pages_of(path) -> list[str]:
    """Return each page's text as extracted, with runs of white space made one space (no Unicode folding)."""
    return [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(str(path)).pages]


def test_the_course_document_holds_the_plan_every_infusion_the_outcomes_flags_and_side_effects(ten, tmp_path, qapp,
                                                                                                capsys):
    out = tmp_path / "course.pdf"
    assert launcher.main(["course", "--db", str(ten), "--patient", "P-1", "--pdf", str(out), "--clinic",
                          "Riverside Clinic"]) == 0
    assert capsys.readouterr().err.startswith(f"wrote the course of patient P-1 (3 pages) to {out}")
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    pages = pages_of(out)
    for n, page in enumerate(pages, start=1):  # searchable as typed: "fi" is not a ligature glyph
        assert "Not a certified medical device" in page and f"page {n} of {len(pages)}" in page
        assert "P-1 · Grace Hopper" in page  # the patient on every page, with the second identifier when one was given
    text = " ".join(pages)
    for words in ("Riverside Clinic", "2023-11-15 to 2023-12-20, 10 sessions, 10 infusions given",
                  "Planned course: induction of 6 infusions over 3 weeks, then a booster every 4 weeks (Dr Lee",
                  "standard induction", "next: booster 5, due around 2024-01-17",
                  "0.5 mg/kg from infusion 1 (2023-11-15, 70 kg); 0.75 mg/kg from infusion 5",
                  "Infusion 9 (2023-12-17) was stopped early: BP 190/105, 26.25 mg given",
                  "Total given: 428.75 mg over 10 infusions (1 stopped early)",
                  "remission lost at infusion 8 (2023-12-10); response lost at infusion 9 (2023-12-17) (relapse)",
                  "PHQ-9 item 9 flags: 2, 1 NOT REVIEWED (session 9)",
                  "reviewed by Dr Lee: no plan or intent; safety plan agreed",
                  "nausea 2, headache 1, dizziness 1, vomiting 1", "antiemetic 1, antihypertensive 1",
                  "Highest SBP 190 mmHg at infusion 9", "174 (160-188) OUTSIDE", "booster 1", "induction 6/6",
                  "Every questionnaire of the course", "FLAG item 9 = 2: NOT REVIEWED"):
        assert words in text, words
    for day in ("2023-11-15", "2023-11-24", "2023-12-20"):  # every infusion's row, its dose given
        assert day in text
    assert text.count("52.5 mg") >= 5 and text.count("35 mg") >= 4


@pytest.mark.slow
def test_the_course_document_pages_draw(ten, tmp_path, qapp):
    """The pages as a reader sees them (pdftoppm at 60 dpi): saved to $COURSE_SHOTS when set, to look at."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is not installed (poppler-utils)")
    out = tmp_path / "course.pdf"
    assert launcher.main(["course", "--db", str(ten), "--patient", "P-1", "--pdf", str(out)]) == 0
    folder = os.environ.get("COURSE_SHOTS", str(tmp_path))
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(out), os.path.join(folder, "course-doc")], check=True,
                   timeout=60)
    assert sorted(f for f in os.listdir(folder) if f.startswith("course-doc")) == [f"course-doc-{n}.png"
                                                                                   for n in (1, 2, 3)]


def test_a_course_document_of_an_unknown_patient_is_one_line_and_no_file(ten, tmp_path, qapp, capsys):
    out = tmp_path / "course.pdf"
    assert launcher.main(["course", "--db", str(ten), "--patient", "P-404", "--pdf", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["infusion-monitor: error: there are no sessions of patient 'P-404' in this database"]
    assert not out.exists() and os.listdir(tmp_path) == []
