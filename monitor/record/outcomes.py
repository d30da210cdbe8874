"""The outcome records: a questionnaire as answered (OutcomeScore) and a clinician's review of a flag (OutcomeReview).

What the numbers mean (bands, flags, response and remission) is read from the
instrument definitions in monitor.record.instruments, so a stored entry says
what was shown when it was entered.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from monitor.record.base import Record
from monitor.record.instruments import INSTRUMENTS, Instrument, OutcomeError, instrument

#: Who entered the answers: the nurse asking, the patient on the screen, or another system.
MODES = ("nurse", "patient", "import")


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
    def flag_brief(self) -> str:
        """Return the flag in a few words ("PHQ-9 item 9 = 2"), "" when there is none."""
        if not self.flag:
            return ""
        n = self.definition.flag_item
        return f"{self.definition.name} item {n} = {self.items[n - 1]}"  # type: ignore[operator]

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


#: Before what someone went on despite unreviewed flags: the session (start dialog) or the infusion's Start.
OVERRIDE_STAGES = ("session", "infusion")


@dataclass(frozen=True)
class FlagOverride(Record):
    """Someone went on despite unreviewed item-9 flags: which entries, who, before what stage, when (UTC epoch s).

    Kept in the journal so the record shows that the flag was seen and who chose to go on;
    it never counts as a review (only OutcomeReview does).
    """

    KIND: ClassVar[str] = "outcome_flag_override"

    outcome_ids: tuple[str, ...]
    user: str
    stage: str
    t: float

    def __post_init__(self) -> None:
        if not self.outcome_ids or not all(isinstance(i, str) and i for i in self.outcome_ids):
            raise OutcomeError("a confirmation must name the flagged entries it goes past")
        object.__setattr__(self, "outcome_ids", tuple(self.outcome_ids))
        object.__setattr__(self, "user", _name(self.user, "the name of who confirms"))
        if self.stage not in OVERRIDE_STAGES:
            raise OutcomeError(f"a confirmation is before {' or '.join(OVERRIDE_STAGES)}, got {self.stage!r}")
        object.__setattr__(self, "t", _epoch(self.t, "the time of a confirmation"))

    def to_data(self) -> dict[str, Any]:
        return {"outcome_ids": list(self.outcome_ids), "user": self.user, "stage": self.stage, "t": self.t}

    @classmethod
    def from_data(cls, data: Mapping[str, Any], version: int | None = None) -> FlagOverride:
        try:
            return cls(outcome_ids=tuple(data["outcome_ids"]), user=data["user"], stage=data["stage"], t=data["t"])
        except (KeyError, TypeError) as exc:
            raise OutcomeError(f"not a flag confirmation record: {exc}") from None


@dataclass(frozen=True)
class CentralFlagSeen:
    """One item-9 flag as the central store gave it: the entry, its reviews known then, its chair and session there.

    Kept in CentralFlagCheck so a chair remembers another chair's flag when the store is not reached at a later visit.
    """

    score: OutcomeScore
    reviews: tuple[OutcomeReview, ...]
    session_id: int
    chair: str

    def to_data(self) -> dict[str, Any]:
        return {"score": self.score.to_data(), "reviews": [r.to_data() for r in self.reviews],
                "session_id": self.session_id, "chair": self.chair}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> CentralFlagSeen:
        try:
            return cls(OutcomeScore.from_data(data["score"]), tuple(map(OutcomeReview.from_data, data["reviews"])),
                       int(data["session_id"]), str(data["chair"]))
        except (KeyError, TypeError) as exc:
            raise OutcomeError(f"not a flag seen centrally: {exc}") from None


@dataclass(frozen=True)
class CentralFlagCheck(Record):
    """What the central store said, when the session opened, of the patient's unreviewed flags at other chairs.

    found names each unreviewed flag of another chair that the chair showed: "<entry id> session 9 at chair-02";
    notice is the one line shown when the store was not reached or not wholly read, "" when it answered. seen is
    every flag the store gave (each chair's, with its reviews), () when it was not reached: the chair's memory of
    the store (monitor.storage.known_flags). Kept so the record shows whether the check was made, not only its
    result. seen is optional data: an older reader ignores it, an older record has none.
    """

    KIND: ClassVar[str] = "central_flag_check"

    found: tuple[str, ...]
    notice: str = ""
    seen: tuple[CentralFlagSeen, ...] = ()

    def to_data(self) -> dict[str, Any]:
        return {"found": list(self.found), "notice": self.notice, "seen": [f.to_data() for f in self.seen]}

    @classmethod
    def from_data(cls, data: Mapping[str, Any], version: int | None = None) -> CentralFlagCheck:
        try:
            return cls(tuple(map(str, data["found"])), str(data.get("notice", "")),
                       tuple(map(CentralFlagSeen.from_data, data.get("seen", ()))))
        except (KeyError, TypeError) as exc:
            raise OutcomeError(f"not a central flag check record: {exc}") from None
