"""Outcome measures entered for a session: scored entries, clinician reviews of the item-9 flag, the course.

An OutcomeScore is one questionnaire as answered (every item kept), checked on
construction so a wrong item count or an out-of-range answer never reaches the
record. It is journaled in the session as kind "outcome"; a clinician's review
of a flagged entry as kind "outcome_review". Neither is ever edited or
removed: a flag stays listed with its reviews, whatever happens later.

Response and remission are read over one instrument's time-ordered series of
a course: response is a fall of at least 50 % from the course's first total,
remission a total below the instrument's remission threshold (PHQ-9: below 5).

Which instruments a patient is asked is a per-patient setting stored with the
patient (Store.patient_settings), defaulting to the clinic's list in
clinical.json.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from monitor.record.instruments import INSTRUMENTS, Instrument, OutcomeError, instrument
from monitor.record.base import Record

if TYPE_CHECKING:  # the store imports the records, which import this module
    from monitor.storage.store import Store

#: Who entered the answers: the nurse asking, the patient on the screen, or another system.
MODES = ("nurse", "patient", "import")
#: Key of the per-patient instrument list in Store.patient_settings.
INSTRUMENTS_SETTING = "outcome_instruments"


def _epoch(t: object, what: str) -> float:
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
        raise OutcomeError(f"{what} must be a finite UTC epoch time, got {t!r}")
    return float(t)


def _name(text: object, what: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise OutcomeError(f"{what} is required")
    return text.strip()


@dataclass(frozen=True)
class OutcomeScore(Record):
    """One questionnaire as answered: instrument code, item scores in form order, when (UTC epoch s), who, how.

    cutoff is the clinic's cut-off in force when it was entered, for
    instruments read against one (PCL-5), None for the others; keeping it makes
    the record say what was shown at the time even if the clinic changes it.
    """

    KIND: ClassVar[str] = "outcome"

    instrument: str
    items: tuple[int, ...]
    t: float
    user: str
    mode: str
    cutoff: int | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        inst = instrument(self.instrument)
        object.__setattr__(self, "items", inst.check(self.items))
        object.__setattr__(self, "t", _epoch(self.t, "the time of an outcome entry"))
        object.__setattr__(self, "user", _name(self.user, "the user entering an outcome"))
        if self.mode not in MODES:
            raise OutcomeError(f"an outcome is entered in mode {', '.join(MODES)}, got {self.mode!r}")
        inst.check_cutoff(self.cutoff)
        if not isinstance(self.id, str) or not self.id:
            raise OutcomeError(f"an outcome entry needs an id, got {self.id!r}")

    @property
    def definition(self) -> Instrument:
        return INSTRUMENTS[self.instrument]

    @property
    def total(self) -> int:
        return sum(self.items)

    @property
    def band(self) -> str:
        """Return the severity band ("moderate") or the place against the cut-off ("probable PTSD (cut-off 33)")."""
        return self.definition.band(self.total, self.cutoff)

    @property
    def flag(self) -> bool:
        """Tell whether the safety item (PHQ-9 item 9) was answered above 0."""
        n = self.definition.flag_item
        return n is not None and self.items[n - 1] > 0

    @property
    def flag_text(self) -> str:
        """Return the flag in words ("PHQ-9 item 9 = 2 (thoughts of ...)"), "" when there is none."""
        if not self.flag:
            return ""
        d = self.definition
        value = self.items[d.flag_item - 1]  # type: ignore[operator]
        return f"{d.name} item {d.flag_item} = {value} ({d.flag_words}), answered \u201c{d.option_text(value)}\u201d"

    @property
    def summary(self) -> str:
        """Return "PHQ-9 14 of 27, moderate" ("PCL-5 40 of 80, probable PTSD (cut-off 33)")."""
        return f"{self.definition.name} {self.total} of {self.definition.max_total}, {self.band}"

    def to_data(self) -> dict[str, Any]:
        """Return a flat JSON-ready dict (derived total, band and flag included for readers of the raw record)."""
        return {"id": self.id, "instrument": self.instrument, "items": list(self.items), "total": self.total,
                "max_total": self.definition.max_total, "band": self.band, "cutoff": self.cutoff, "flag": self.flag,
                "t": self.t, "user": self.user, "mode": self.mode}

    @classmethod
    def from_data(cls, data: Mapping[str, Any], version: int | None = None) -> OutcomeScore:
        """Rebuild an entry from to_data() output; derived fields are recomputed, not trusted."""
        try:
            return cls(instrument=data["instrument"], items=tuple(data["items"]), t=data["t"], user=data["user"],
                       mode=data["mode"], cutoff=data.get("cutoff"), id=data["id"])
        except (KeyError, TypeError) as exc:
            raise OutcomeError(f"not an outcome record: {exc}") from None


@dataclass(frozen=True)
class OutcomeReview(Record):
    """A clinician's review of a flagged outcome entry: who, what they wrote, when (UTC epoch s). Never cleared."""

    KIND: ClassVar[str] = "outcome_review"

    outcome_id: str
    reviewer: str
    note: str
    t: float

    def __post_init__(self) -> None:
        if not isinstance(self.outcome_id, str) or not self.outcome_id:
            raise OutcomeError("a review must name the outcome entry it reviews")
        object.__setattr__(self, "reviewer", _name(self.reviewer, "the name of the reviewing clinician"))
        object.__setattr__(self, "note", _name(self.note, "a review note"))
        object.__setattr__(self, "t", _epoch(self.t, "the time of a review"))

    @property
    def text(self) -> str:
        """Return "reviewed by Dr Lee: safety plan discussed"."""
        return f"reviewed by {self.reviewer}: {self.note}"

    def to_data(self) -> dict[str, Any]:
        return {"outcome_id": self.outcome_id, "reviewer": self.reviewer, "note": self.note, "t": self.t}

    @classmethod
    def from_data(cls, data: Mapping[str, Any], version: int | None = None) -> OutcomeReview:
        try:
            return cls(outcome_id=data["outcome_id"], reviewer=data["reviewer"], note=data["note"], t=data["t"])
        except (KeyError, TypeError) as exc:
            raise OutcomeError(f"not an outcome review record: {exc}") from None


@dataclass(frozen=True)
class OutcomeFlag:
    """A flagged entry with its reviews (oldest first); listed forever, reviewed or not."""

    score: OutcomeScore
    reviews: tuple[OutcomeReview, ...]

    @property
    def reviewed(self) -> bool:
        return bool(self.reviews)


@dataclass(frozen=True)
class SessionOutcomes:
    """A session's outcome entries and reviews, each in time order."""

    scores: tuple[OutcomeScore, ...] = ()
    reviews: tuple[OutcomeReview, ...] = ()

    def merge(self, records: Iterable[OutcomeScore | OutcomeReview]) -> SessionOutcomes:
        """Return these plus the records not yet held (by entry id, review content); order by time."""
        scores = {s.id: s for s in self.scores}
        reviews = dict.fromkeys(self.reviews)
        for r in records:
            if isinstance(r, OutcomeScore):
                scores.setdefault(r.id, r)
            else:
                reviews.setdefault(r)
        return SessionOutcomes(tuple(sorted(scores.values(), key=lambda s: s.t)),
                               tuple(sorted(reviews, key=lambda r: r.t)))

    def score(self, outcome_id: str) -> OutcomeScore | None:
        return next((s for s in self.scores if s.id == outcome_id), None)

    def flags(self) -> tuple[OutcomeFlag, ...]:
        """Return every flagged entry with its reviews."""
        return tuple(OutcomeFlag(s, tuple(r for r in self.reviews if r.outcome_id == s.id))
                     for s in self.scores if s.flag)

    def unreviewed(self) -> tuple[OutcomeScore, ...]:
        """Return the flagged entries no clinician has reviewed yet."""
        return tuple(f.score for f in self.flags() if not f.reviewed)


def entered(code: str, items: Sequence[object], *, user: str, mode: str, cutoffs: Mapping[str, int],
            t: float | None = None) -> OutcomeScore:
    """Return a new entry of instrument `code` now (or at UTC epoch t), with the clinic's cut-off where it has one."""
    inst = instrument(code)
    return OutcomeScore(code, tuple(items), time.time() if t is None else t, user, mode,  # type: ignore[arg-type]
                        cutoffs.get(code) if inst.uses_cutoff else None)


# --- the course ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoursePoint:
    """One entry of a course read against the course's first entry of the same instrument."""

    score: OutcomeScore
    change: int  # total minus the first total
    change_pct: float | None  # None when the first total is 0 (no relative change defined)
    response: bool
    remission: bool | None  # None for instruments without a remission threshold


def is_response(first_total: int, total: int) -> bool:
    """Tell whether a total is a fall of at least 50 % from the first (never from a first total of 0)."""
    return first_total > 0 and 2 * total <= first_total


def is_remission(inst: Instrument, total: int) -> bool | None:
    """Tell whether a total is below the instrument's remission threshold; None when it has none."""
    return None if inst.remission_below is None else total < inst.remission_below


def course(series: Sequence[OutcomeScore]) -> tuple[CoursePoint, ...]:
    """Read one instrument's time-ordered entries of a course; OutcomeError if mixed or out of order."""
    if not series:
        return ()
    first = series[0]
    for prev, s in zip(series, series[1:]):
        if s.instrument != first.instrument:
            raise OutcomeError(f"a course series holds one instrument, got {first.instrument} and {s.instrument}")
        if s.t < prev.t:
            raise OutcomeError("a course series must be in time order")
    base = first.total
    return tuple(CoursePoint(s, s.total - base, None if base == 0 else 100.0 * (s.total - base) / base,
                             is_response(base, s.total), is_remission(s.definition, s.total)) for s in series)


# --- storage --------------------------------------------------------------------------------------


def outcomes_of(store: Store, session_id: int) -> SessionOutcomes:
    """Read a session's outcome entries and reviews from its journal (records that do not read are skipped)."""
    entries = store.journal_records(session_id, (OutcomeScore.KIND, OutcomeReview.KIND))
    return SessionOutcomes().merge(e.record for e in entries)  # type: ignore[misc]


def patient_instruments(store: Store, patient_id: str, default: Sequence[str]) -> tuple[str, ...]:
    """Return the instruments this patient is asked: their own setting, else the clinic default."""
    chosen = store.patient_settings(patient_id).get(INSTRUMENTS_SETTING)
    if isinstance(chosen, list) and all(c in INSTRUMENTS for c in chosen):
        return tuple(chosen)
    return tuple(default)


def set_patient_instruments(store: Store, patient_id: str, codes: Sequence[str]) -> None:
    """Store which instruments this patient is asked (in the clinic's usual order); OutcomeError on a bad code."""
    for code in codes:
        instrument(code)
    store.set_patient_setting(patient_id, INSTRUMENTS_SETTING, [c for c in INSTRUMENTS if c in codes])
