"""A clinician's review of a patient's item-9 flag entered after its session, from the review station or the course.

The flag is looked up in the chair's file and the review appended to it by
monitor.storage.outcomes.review_patient_flag (the patient's running session if
any, else the flag's own session); this module only asks who and what.
"""

from __future__ import annotations

import time

from PySide6.QtWidgets import QWidget

from monitor.clinical.outcomes import OutcomeFlag
from monitor.clinical.signing import Action, Signing
from monitor.paths import staff_file
from monitor.record.outcomes import OutcomeReview
from monitor.storage.outcomes import flags_of_patient, review_patient_flag
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store, StoreError
from monitor.timefmt import Zone, date_time_text
from ui.dialogs import tell
from ui.monitor.outcome_dialog import FlagReviewDialog
from ui.signing import signed_here


def flag_lines(flags: tuple[OutcomeFlag, ...], session_id: int, tz: Zone) -> list[tuple[str, bool]]:
    """Return what a session page says of flags, each with whether it is reviewed: the session's own (reviewed or
    not, with the latest review's time in zone tz), and earlier sessions' still NOT REVIEWED."""

    def status(f: OutcomeFlag) -> str:
        return f"{f.status_text} ({date_time_text(f.reviews[-1].t, tz)})" if f.reviews else f.status_text

    return [(f"⚑ {f.score.flag_brief} in this session: {status(f)}" if f.session_id == session_id else
             f"⚑ {f.score.flag_brief} from session {f.session_id}: NOT REVIEWED", f.reviewed)
            for f in flags if f.session_id == session_id or (not f.reviewed and (f.session_id or 0) < session_id)]


def review_flag(parent: QWidget, db: str, patient_id: str, session_id: int | None = None) -> OutcomeReview | None:
    """Ask a clinician's review of the patient's unreviewed flag (the session's own first) and store it; None if not.

    The dialog gives the entry's time in the zone of the flag's session. With the clinic's staff list the
    reviewer signs with a clinician's or owner's PIN; the signature is journaled beside the review.
    """
    try:
        store = Store(db)
    except StoreError as exc:
        tell(parent, "Questionnaire flag", str(exc), warning=True)
        return None
    try:
        waiting = [f for f in flags_of_patient(store, patient_id) if not f.reviewed]
        if not waiting:
            tell(parent, "Questionnaire flag", f"Patient {patient_id} has no unreviewed questionnaire flag.")
            return None
        flag = next((f for f in waiting if f.session_id == session_id), waiting[0])
        sessions = SqliteSessions(db)
        try:
            tz = sessions.resolve(str(flag.session_id)).tz
        finally:
            sessions.close()
        dialog = FlagReviewDialog(flag, parent=parent, tz=tz)
        if not dialog.exec():
            return None
        reviewer, note = dialog.review()
        signer = signed_here(parent, Signing.load(staff_file()), Action.FLAG_REVIEW, reviewer)
        if signer is None:
            return None
        _, review, target = review_patient_flag(store, patient_id, flag.score.id, signer.full, note, time.time())
        store.append_journal(target, signer.signature(Action.FLAG_REVIEW), signer.initials, review.t)
        return review
    except (StoreError, ValueError) as exc:
        tell(parent, "Questionnaire flag", str(exc), warning=True)
        return None
    finally:
        store.close()
