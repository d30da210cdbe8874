"""What the signing tests share: a clinic's staff list and a chair file with an unreviewed item-9 flag."""

from __future__ import annotations

import time
from pathlib import Path

from monitor.clinical.staff import StaffBook
from monitor.record.outcomes import OutcomeScore
from monitor.storage.store import Store

#: (name, initials, role, PIN) of the test clinic; the first is the owner.
STAFF = (("Olga Owner", "OO", "owner", "4321"), ("Anna Berg", "AB", "nurse", "1111"),
         ("Carl Lee", "CL", "clinician", "secret99"))


def staff_book(path: Path) -> StaffBook:
    """Return a staff list at path with the test clinic's members, added by its owner."""
    book = StaffBook(path)
    owner = None
    for name, initials, role, pin in STAFF:
        member = book.add(name, initials, role, pin, by=owner)
        owner = owner or member
    return book


def flagged_chair(db: Path, patient: str = "P1") -> int:
    """Write a closed session of patient whose PHQ-9 has an unreviewed item-9 flag; return the session id."""
    store = Store(db)
    store.ensure_patient(patient, None)
    session = store.create_session(patient_id=patient)
    score = OutcomeScore("phq9", (1, 1, 1, 1, 1, 1, 1, 1, 2), time.time() - 3600, "EHR", "import")
    store.append_journal(session, score, score.user, score.t)
    store.close_session(session)
    store.close()
    return session
