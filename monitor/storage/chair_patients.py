"""The chair's file as the Start dialog reads it (its PatientDirectory): patients, sessions, open flags, the plan.

Apart from monitor.storage.outcomes so that `run`'s first window opens without
the outcome and flag rules and the review's session reader: those load when a
patient is named (the first key typed), the patient list is one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from monitor.storage.store import Store

if TYPE_CHECKING:
    from monitor.clinical.outcomes import OutcomeFlag
    from monitor.storage.known_flags import KnownFlags
    from monitor.storage.outcomes import FlagLookup


@dataclass(frozen=True)
class ChairPatients:
    """The chair's file as the start dialog reads it (its PatientDirectory): patients, sessions, open flags.

    With a central store (elsewhere), the patient's flags raised or reviewed at other chairs join the file's.
    """

    store: Store
    elsewhere: FlagLookup | None = None

    def patients(self) -> list[tuple[str, str]]:
        return self.store.patients()

    def session_count(self, patient_id: str) -> int:
        return self.store.session_count(patient_id)

    def second_ids(self, patient_id: str, birth_date: bool) -> list[str]:
        return self.store.second_ids(patient_id, birth_date)

    def unreviewed_flags(self, patient_id: str) -> tuple[OutcomeFlag, ...]:
        """Return the patient's item-9 flags no clinician has reviewed yet, from any session in this file and, once
        the central store has answered (flags_elsewhere), at any other chair, or as it last answered when it was not
        reached (monitor.storage.known_flags). Never waits for the store."""
        return self._known(patient_id).unreviewed

    def flags_elsewhere(self, patient_id: str) -> str | None:
        """Return where the check of the patient's flags at other chairs stands: None while the central store is
        asked (a few seconds at most), "" when it answered or none is configured, else the one-line notice (saying
        so when the flags shown are those the store gave at an earlier visit)."""
        if self.elsewhere is None:
            return ""
        if self.elsewhere.answer(patient_id) is None:
            return None
        return self._known(patient_id).notice

    def _known(self, patient_id: str) -> KnownFlags:
        from monitor.storage.known_flags import known_flags

        answer = self.elsewhere.answer(patient_id) if self.elsewhere is not None else None
        return known_flags(self.store, patient_id, answer)

    def plan_hint(self, patient_id: str) -> str:
        """Return where the patient's next infusion stands in their planned course, for a read-only line of the
        start dialog: "Planned course: induction of 6 ...; the next infusion is booster 1"; "" without a plan."""
        from monitor.storage.outcomes import infusions_given
        from monitor.storage.sessions import SqliteSessions

        sessions = SqliteSessions(self.store.path)
        try:
            plans = sessions.course_plans(patient_id)
        finally:
            sessions.close()
        if not plans:
            return ""
        plan, given = plans[-1], infusions_given(self.store, patient_id)
        return f"Planned course: {plan.text}; the next infusion is {plan.place(given + 1)}"
