"""The planned course: an induction, then boosters, and each infusion named by its place in it."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.clinical.plan import CoursePlan, PlanError


def plan(induction=6, weeks=3.0, every=4.0, boosters=None, by="Dr Lee") -> CoursePlan:
    return CoursePlan(induction, weeks, every, boosters, by, 1.7e9)


def test_the_seventh_infusion_of_a_six_infusion_induction_is_booster_1_not_7_of_6():
    p = plan()
    assert [p.place(n) for n in (1, 6, 7, 11)] == ["induction 1 of 6", "induction 6 of 6", "booster 1", "booster 5"]
    assert p.place(6, short=True) == "induction 6/6"
    assert p.text == "induction of 6 infusions over 3 weeks, then a booster every 4 weeks"


def test_a_counted_number_of_boosters_says_when_the_plan_is_passed_and_complete():
    p = plan(boosters=2)
    assert [p.place(n) for n in (7, 8, 9)] == ["booster 1 of 2", "booster 2 of 2", "booster 3 of 2 (beyond the plan)"]
    assert p.place(9, short=True) == "booster 3/2 beyond"
    assert p.next_text(8, date(2024, 1, 1)) == "the plan is complete: every planned infusion is given"
    assert plan(boosters=0, every=None).text == "induction of 6 infusions over 3 weeks, no boosters"


def test_the_next_booster_is_due_its_interval_after_the_last_infusion_the_induction_has_no_due_date():
    p = plan()
    assert p.next_text(6, date(2023, 11, 26)) == ("next: booster 1, due around 2023-12-24 (4 weeks after the last "
                                                  "infusion)")
    assert p.next_text(3, date(2023, 11, 19)) == "next: induction 4 of 6"
    assert plan(every=None).next_text(6, date(2023, 11, 26)) == "next: booster 1"
    assert plan(every=None, weeks=None).text == "induction of 6 infusions, then a booster when needed"


@pytest.mark.parametrize("bad, words", [(dict(induction=0), "an induction of 0 infusions: give 1 to 30"),
                                        (dict(weeks=0.0), "the induction's weeks: 0 weeks is not between 0 and 52"),
                                        (dict(every=60.0), "the booster interval: 60 weeks"),
                                        (dict(boosters=-1), "-1 boosters"),
                                        (dict(by="  "), "a plan needs the name of the clinician")])
def test_a_plan_out_of_bounds_or_without_its_clinician_is_refused_in_words(bad, words):
    with pytest.raises(PlanError, match=words.replace("(", r"\(")):
        plan(**bad)
