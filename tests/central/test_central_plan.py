"""A planned course entered at a chair reaches the central store like every table, and a course read there names
each infusion by its place in the plan, whichever chair gave it (a real PostgreSQL server)."""

from __future__ import annotations

import pytest

from course_sessions import TEN, make_course
from monitor.central.link import ChairSettings
from monitor.central.reader import CentralSessions
from monitor.clinical.plan import CoursePlan
from monitor.review.course import build_course
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store
from pg import assert_replica_exact, central, pg_server, replicate  # noqa: F401

pytestmark = pytest.mark.slow  # reads a throwaway PostgreSQL


def test_a_plan_entered_at_one_chair_names_the_infusions_of_every_chair_centrally(central, tmp_path):
    a, b = tmp_path / "chair-a.db", tmp_path / "chair-b.db"
    make_course(a, TEN[:5])
    make_course(b, TEN[5:8])
    store = Store(a)
    store.add_course_plan("P-1", CoursePlan(4, None, 4.0, None, "Dr Old", 1.70e9))
    store.add_course_plan("P-1", CoursePlan(6, 3.0, 4.0, None, "Dr Lee", 1.71e9, "standard induction"))
    store.close()
    for chair, db in (("chair-a", a), ("chair-b", b)):
        replicate(db, ChairSettings(central.url(chair), chair))
    assert assert_replica_exact(central, "chair-a", a)["course_plans"] == 2
    with CentralSessions(central.url("desk")) as remote:
        assert [(p.induction, p.by, p.note) for p in remote.course_plans("P-1")] == [
            (4, "Dr Old", ""), (6, "Dr Lee", "standard induction")]
        course = build_course(remote, "P-1")
        # the review station's change marker reads the same centrally as in the chairs' files
        assert remote.journal_counts("P-1") == SqliteSessions(a).journal_counts("P-1") + \
            SqliteSessions(b).journal_counts("P-1")
    assert [(r.meta.chair, course.place(r)) for r in course.rows] == [
        *(("chair-a", f"induction {n} of 6") for n in range(1, 6)), ("chair-b", "induction 6 of 6"),
        ("chair-b", "booster 1"), ("chair-b", "booster 2")]
