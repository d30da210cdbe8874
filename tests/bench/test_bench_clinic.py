"""Smoke runs of the course and clinic-year benchmarks, small: they run and print figures in the agreed form."""

from __future__ import annotations

from figures import FIGURE, is_context

from bench import clinic_year, course
from monitor.storage.sessions import SqliteSessions


def test_the_course_benchmark_prints_the_course_against_a_smaller_one_and_the_target():
    lines = course.run(**course.QUICK)
    names = [FIGURE.match(line)["name"] for line in lines]  # every line a figure
    assert any(n.startswith("course of 6 sessions of 0.25 h") for n in names), lines
    assert any(n.startswith("course, per added infusion") for n in names), lines
    assert any(n.startswith("course of 6 sessions from stored summaries") for n in names), lines


def test_the_clinic_year_benchmark_builds_its_clinic_once_and_prints_each_figure(tmp_path, monkeypatch):
    monkeypatch.setattr(clinic_year, "cache_path", lambda n: tmp_path / f"clinic-{n}.db")
    lines = clinic_year.run(sessions=24)
    figures = [line for line in lines if not is_context(line)]
    assert len(figures) == 3 and all(FIGURE.match(line) for line in figures), lines
    assert any(line.startswith("# grew from 2 to 24 sessions") for line in lines), lines
    sessions = SqliteSessions(tmp_path / "clinic-24.db")
    metas = sessions.sessions()
    assert len(metas) == 24 and {m.state for m in metas} == {"closed"} and len({m.patient_id for m in metas}) == 12
    kept = sessions._rows("SELECT COUNT(*) FROM summaries")[0][0]
    assert kept == 24  # summarized at the close, as the chair does
    before = (tmp_path / "clinic-24.db").stat().st_mtime_ns
    clinic_year.run(sessions=24)  # the kept clinic is used again, not built again
    assert (tmp_path / "clinic-24.db").stat().st_mtime_ns == before
