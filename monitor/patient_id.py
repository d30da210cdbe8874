"""The one rule for patient IDs, used by the start dialog, the command line and the core.

An ID is what the clinic's record system calls the patient, typed or scanned:
printable characters only (no control characters, escape sequences or
invisible direction marks that would make two IDs look alike or garble a
terminal), trimmed, NFC-normalised so the same ID typed two ways is one
patient, and at most MAX_LENGTH characters.
"""

from __future__ import annotations

import unicodedata

MAX_LENGTH = 64


class PatientIdError(ValueError):
    """A patient ID that cannot be used; the message says why, in words for the person typing it."""


def clean_patient_id(text: str) -> str:
    """Return the patient ID as stored (trimmed, NFC); PatientIdError says what is wrong with it."""
    pid = unicodedata.normalize("NFC", text).strip()
    if not pid:
        raise PatientIdError("the patient ID is empty")
    bad = next((c for c in pid if not c.isprintable()), None)
    if bad is not None:
        raise PatientIdError(f"the patient ID holds a character that cannot be shown (U+{ord(bad):04X}); "
                             "type it again")
    if len(pid) > MAX_LENGTH:
        raise PatientIdError(f"the patient ID is {len(pid)} characters long; at most {MAX_LENGTH} are allowed")
    return pid
