"""The outcome questionnaires a course is judged by: PHQ-9, GAD-7 and PCL-5, as published, as data.

Item wording, answer options and scoring follow the published forms, which are
free to use: PHQ-9 and GAD-7 (Spitzer, Williams, Kroenke and colleagues, with
an educational grant from Pfizer; "no permission required to reproduce,
translate, display or distribute") and PCL-5 (Weathers et al. 2013, National
Center for PTSD, public domain). PHQ-9's unscored tenth question (how
difficult the problems made daily life) is not asked.

Scoring: the total is the sum of the items. PHQ-9 and GAD-7 have published
severity bands (CLINICAL.md). PCL-5 has no published severity bands; a total
at or above a cut-off of about 31-33 suggests probable PTSD. The cut-off is a
clinic setting (clinical.json, default 33: the upper end of the published
range, because in a psychiatric clinic, where most patients have symptoms, a
lower cut-off mainly adds false positives; 33 is also the value the PCL-5's
authors first proposed). PHQ-9 item 9 (thoughts of being better off dead or of
self-harm) above 0 is a safety flag: a clinician must assess the patient
before the infusion.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


class OutcomeError(ValueError):
    """An outcome entry that cannot be accepted; the message is one line for people."""


@dataclass(frozen=True)
class Option:
    """One answer of an item: its score and the words printed on the form."""

    score: int
    text: str


@dataclass(frozen=True)
class Band:
    """A severity band: totals low to high inclusive."""

    low: int
    high: int
    label: str


@dataclass(frozen=True)
class Instrument:
    """One questionnaire: items in form order, the answer options all items share, and how it is read.

    Either `bands` (PHQ-9, GAD-7) or a cut-off (`cutoff_label`, the cut-off
    value itself comes from the clinic's configuration) says what a total means.
    `flag_item` is the 1-based item whose answer above 0 must be seen by a
    clinician (PHQ-9 item 9). `remission_below` is the total below which the
    patient counts as in remission (PHQ-9: 5), None where none is defined.
    """

    code: str
    name: str
    measures: str
    stem: str
    items: tuple[str, ...]
    options: tuple[Option, ...]
    bands: tuple[Band, ...] = ()
    cutoff_label: str = ""
    flag_item: int | None = None
    flag_words: str = ""
    remission_below: int | None = None
    source: str = ""

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def max_item(self) -> int:
        """Return the highest score one item can have (3 or 4)."""
        return self.options[-1].score

    @property
    def max_total(self) -> int:
        return self.n_items * self.max_item

    @property
    def uses_cutoff(self) -> bool:
        """Tell whether a total is read against a cut-off (PCL-5) rather than bands."""
        return not self.bands

    def option_text(self, score: int) -> str:
        """Return the words of an answer score ("Several days")."""
        return next(o.text for o in self.options if o.score == score)

    def check(self, items: Sequence[object]) -> tuple[int, ...]:
        """Return the item scores as a tuple, or raise OutcomeError naming the first problem (count or range)."""
        if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
            raise OutcomeError(f"{self.name} needs a list of {self.n_items} item scores, got {items!r}")
        if len(items) != self.n_items:
            raise OutcomeError(f"{self.name} needs {self.n_items} item scores (each 0-{self.max_item}), "
                               f"got {len(items)}")
        for i, v in enumerate(items, start=1):
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= self.max_item:
                raise OutcomeError(f"{self.name} item {i} must be a whole number from 0 to {self.max_item}, got {v!r}")
        return tuple(items)  # type: ignore[arg-type]

    def check_cutoff(self, cutoff: object) -> int | None:
        """Return the cut-off an entry must carry (an int for cut-off instruments, None otherwise)."""
        if not self.uses_cutoff:
            if cutoff is not None:
                raise OutcomeError(f"{self.name} is read by its severity bands, not a cut-off")
            return None
        if isinstance(cutoff, bool) or not isinstance(cutoff, int) or not 1 <= cutoff <= self.max_total:
            raise OutcomeError(f"the {self.name} cut-off must be a whole number from 1 to {self.max_total}, "
                               f"got {cutoff!r}")
        return cutoff

    def band(self, total: int, cutoff: int | None = None) -> str:
        """Return the words for a total: its severity band, or its place against the cut-off."""
        short = self.short_band(total, cutoff)
        if not self.uses_cutoff:
            return short
        return f"{short} (cut-off {cutoff})" if short == self.cutoff_label \
            else f"below the {self.cutoff_label} cut-off ({cutoff})"

    def short_band(self, total: int, cutoff: int | None = None) -> str:
        """Return the band in a few words for a table: "moderate", "probable PTSD", "below cut-off"."""
        if self.uses_cutoff:
            assert cutoff is not None
            return self.cutoff_label if total >= cutoff else "below cut-off"
        return next(b.label for b in self.bands if b.low <= total <= b.high)


#: PHQ-9 and GAD-7 ask how often over the last 2 weeks.
FREQUENCY = (Option(0, "Not at all"), Option(1, "Several days"), Option(2, "More than half the days"),
             Option(3, "Nearly every day"))
#: PCL-5 asks how much in the past month.
AMOUNT = (Option(0, "Not at all"), Option(1, "A little bit"), Option(2, "Moderately"), Option(3, "Quite a bit"),
          Option(4, "Extremely"))

PHQ9 = Instrument(
    code="phq9", name="PHQ-9", measures="depression",
    stem="Over the last 2 weeks, how often have you been bothered by any of the following problems?",
    items=(
        "Little interest or pleasure in doing things",
        "Feeling down, depressed, or hopeless",
        "Trouble falling or staying asleep, or sleeping too much",
        "Feeling tired or having little energy",
        "Poor appetite or overeating",
        "Feeling bad about yourself \u2014 or that you are a failure or have let yourself or your family down",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "Moving or speaking so slowly that other people could have noticed? Or the opposite \u2014 being so "
        "fidgety or restless that you have been moving around a lot more than usual",
        "Thoughts that you would be better off dead or of hurting yourself in some way",
    ),
    options=FREQUENCY,
    bands=(Band(0, 4, "minimal"), Band(5, 9, "mild"), Band(10, 14, "moderate"), Band(15, 19, "moderately severe"),
           Band(20, 27, "severe")),
    flag_item=9, flag_words="thoughts of being better off dead or of self-harm",
    remission_below=5,
    source="PHQ-9, Kroenke, Spitzer & Williams 2001 (no permission required to reproduce)",
)

GAD7 = Instrument(
    code="gad7", name="GAD-7", measures="anxiety",
    stem="Over the last 2 weeks, how often have you been bothered by the following problems?",
    items=(
        "Feeling nervous, anxious, or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it is hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid, as if something awful might happen",
    ),
    options=FREQUENCY,
    bands=(Band(0, 4, "minimal"), Band(5, 9, "mild"), Band(10, 14, "moderate"), Band(15, 21, "severe")),
    source="GAD-7, Spitzer, Kroenke, Williams & L\u00f6we 2006 (no permission required to reproduce)",
)

PCL5 = Instrument(
    code="pcl5", name="PCL-5", measures="PTSD",
    stem="In the past month, how much were you bothered by:",
    items=(
        "Repeated, disturbing, and unwanted memories of the stressful experience?",
        "Repeated, disturbing dreams of the stressful experience?",
        "Suddenly feeling or acting as if the stressful experience were actually happening again (as if you were "
        "actually back there reliving it)?",
        "Feeling very upset when something reminded you of the stressful experience?",
        "Having strong physical reactions when something reminded you of the stressful experience (for example, "
        "heart pounding, trouble breathing, sweating)?",
        "Avoiding memories, thoughts, or feelings related to the stressful experience?",
        "Avoiding external reminders of the stressful experience (for example, people, places, conversations, "
        "activities, objects, or situations)?",
        "Trouble remembering important parts of the stressful experience?",
        "Having strong negative beliefs about yourself, other people, or the world (for example, having thoughts "
        "such as: I am bad, there is something seriously wrong with me, no one can be trusted, the world is "
        "completely dangerous)?",
        "Blaming yourself or someone else for the stressful experience or what happened after it?",
        "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
        "Loss of interest in activities that you used to enjoy?",
        "Feeling distant or cut off from other people?",
        "Trouble experiencing positive feelings (for example, being unable to feel happiness or have loving "
        "feelings for people close to you)?",
        "Irritable behavior, angry outbursts, or acting aggressively?",
        "Taking too many risks or doing things that could cause you harm?",
        "Being \u201csuperalert\u201d or watchful or on guard?",
        "Feeling jumpy or easily startled?",
        "Having difficulty concentrating?",
        "Trouble falling or staying asleep?",
    ),
    options=AMOUNT,
    cutoff_label="probable PTSD",
    source="PCL-5, Weathers, Litz, Keane, Palmieri, Marx & Schnurr 2013, National Center for PTSD (public domain)",
)

#: The instruments by code, in the order a clinic usually asks them.
INSTRUMENTS: dict[str, Instrument] = {i.code: i for i in (PHQ9, GAD7, PCL5)}


def instrument(code: str) -> Instrument:
    """Return the instrument of a code, or raise OutcomeError listing the known ones."""
    try:
        return INSTRUMENTS[code]
    except (KeyError, TypeError):
        raise OutcomeError(f"unknown instrument {code!r} (known: {', '.join(INSTRUMENTS)})") from None


def parse_items(text: str) -> list[int | str]:
    """Split "1,2,0,..." into item scores; a part that is not a whole number is kept as text for check() to name."""
    out: list[int | str] = []
    for part in text.split(","):
        part = part.strip()
        out.append(int(part) if re.fullmatch(r"[+-]?[0-9]+", part) else part)
    return out
