"""A patient's planned course of infusions: an induction, then boosters, as a clinician enters it once per patient.

A ketamine course is usually an induction (e.g. 6 infusions over 2 to 3 weeks) and then boosters (e.g. one every
4 weeks, or when needed). The plan names each infusion given by its place in it ("induction 3 of 6", "booster
1"), so the 7th infusion of a patient planned for 6 reads "booster 1", never "infusion 7 of 6". The plan is
advice for people: nothing here starts, holds or doses an infusion.

Rules, stated once:
- Infusions are counted as given (started); a session whose infusion never started has no place in the plan.
- The patient's latest plan counts for the whole course (a changed plan renames earlier infusions too); earlier
  plans are kept, never overwritten, so who planned what and when stays on record.
- A booster is due `booster_weeks` weeks after the last infusion given once the induction is complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

#: Bounds a plan is checked against (infusions, weeks): wider than any course, narrow enough to catch a typo.
MAX_INDUCTION, MAX_WEEKS, MAX_BOOSTERS = 30, 52, 100


class PlanError(ValueError):
    """A plan that cannot be recorded; one line for people."""


@dataclass(frozen=True)
class CoursePlan:
    """The planned course: `induction` infusions over `induction_weeks` weeks (None: not said), then a booster
    every `booster_weeks` weeks (None: when needed), `boosters` of them (None: open-ended). by and t (UTC epoch s)
    say who entered it and when; note why."""

    induction: int
    induction_weeks: float | None
    booster_weeks: float | None
    boosters: int | None
    by: str
    t: float
    note: str = ""

    def __post_init__(self) -> None:
        if not 1 <= self.induction <= MAX_INDUCTION:
            raise PlanError(f"an induction of {self.induction} infusions: give 1 to {MAX_INDUCTION}")
        for what, weeks in (("the induction's weeks", self.induction_weeks), ("the booster interval",
                                                                              self.booster_weeks)):
            if weeks is not None and not 0 < weeks <= MAX_WEEKS:
                raise PlanError(f"{what}: {weeks:g} weeks is not between 0 and {MAX_WEEKS}")
        if self.boosters is not None and not 0 <= self.boosters <= MAX_BOOSTERS:
            raise PlanError(f"{self.boosters} boosters: give 0 to {MAX_BOOSTERS}")
        if not self.by.strip():
            raise PlanError("a plan needs the name of the clinician who made it")

    @property
    def text(self) -> str:
        """Return the plan in words: "induction of 6 infusions over 3 weeks, then a booster every 4 weeks"."""
        words = f"induction of {self.induction} infusion{'s' if self.induction != 1 else ''}"
        if self.induction_weeks is not None:
            words += f" over {self.induction_weeks:g} week{'s' if self.induction_weeks != 1 else ''}"
        if self.boosters == 0:
            return words + ", no boosters"
        count = "" if self.boosters is None else f" ({self.boosters} planned)"
        every = "when needed" if self.booster_weeks is None else \
            f"every {self.booster_weeks:g} week{'s' if self.booster_weeks != 1 else ''}"
        return f"{words}, then {'a booster' if self.boosters is None else 'boosters'} {every}{count}"

    def place(self, given: int, short: bool = False) -> str:
        """Return where the given-th infusion (1-based, counting those started) stands in the plan: "induction 3 of
        6", "booster 1", "booster 3 of 2 (beyond the plan)"; short for a narrow table cell: "induction 3/6",
        "booster 3/2 beyond"."""
        of = "/" if short else " of "
        if given <= self.induction:
            return f"induction {given}{of}{self.induction}"
        n = given - self.induction
        if self.boosters is None:
            return f"booster {n}"
        beyond = (" beyond" if short else " (beyond the plan)") if n > self.boosters else ""
        return f"booster {n}{of}{self.boosters}{beyond}"

    def next_text(self, given: int, last_day: date | None) -> str:
        """Return what comes next after `given` infusions, the last on last_day: "next: booster 1, due around
        2023-12-20 (4 weeks after the last infusion)", "next: induction 4 of 6", "the plan is complete"."""
        n = given + 1
        if n > self.induction and self.boosters is not None and n - self.induction > self.boosters:
            return "the plan is complete: every planned infusion is given"
        words = f"next: {self.place(n)}"
        if n > self.induction and self.booster_weeks is not None and last_day is not None:
            due = last_day + timedelta(days=round(7 * self.booster_weeks))
            words += f", due around {due.isoformat()} ({self.booster_weeks:g} weeks after the last infusion)"
        return words
