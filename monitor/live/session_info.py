"""Who and what a session is about, as the Start dialog (or `record`) gives it to the core.

Its own module, apart from the core, so that the Start dialog, the first window a nurse sees, builds one
without loading the core, its alarm engine and numpy (issue 21: the first window within x2 of a bare one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from monitor.patient_id import second_id_text


@dataclass
class SessionInfo:
    """Who and what the session is about; stored in the sessions row."""

    patient_id: str | None = None
    patient_name: str | None = None
    birth_date: str | None = None  # ISO date, checked by the clinic's SecondIdentifier (never logged)
    second_id: str | None = None  # or the clinic's own second identifier, under second_id_label
    second_id_label: str | None = None
    weight_kg: float | None = None
    dose_mg_per_kg: float | None = None
    infusion_min: float | None = None
    bag_ml: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def second_id_text(self) -> str:
        """Return the second identifier in words ('DOB 12 Mar 1980'; '' when none was given)."""
        return second_id_text(self.birth_date, self.second_id, self.second_id_label)
