"""The one rule for patient IDs, used by the start dialog, the command line and the core.

An ID is what the clinic's record system calls the patient, typed or scanned:
printable characters only (no control characters, escape sequences or
invisible direction marks that would make two IDs look alike or garble a
terminal), trimmed, NFC-normalised so the same ID typed two ways is one
patient, and at most MAX_LENGTH characters.

The second identifier (a date of birth, or the clinic's own second ID, see
SecondIdentifier) is checked here too, so a wrong one is refused in one line
wherever it is typed. Both identify the patient: neither is ever logged.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

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


#: How a clinic may ask for a date of birth: the pattern shown to the nurse -> how it is read.
DATE_FORMATS = {"YYYY-MM-DD": "%Y-%m-%d", "DD.MM.YYYY": "%d.%m.%Y", "DD/MM/YYYY": "%d/%m/%Y",
                "MM/DD/YYYY": "%m/%d/%Y"}
#: The ages (whole years) a date of birth may give: outside them the year was surely mistyped.
MIN_AGE_YEARS, MAX_AGE_YEARS = 10, 110
#: Month names for dates of birth shown to people: fixed English abbreviations, never the computer's locale,
#: so '12 Mar 1980' reads the same on every chair and is never taken for 3 December.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class SecondIdentifier:
    """The clinic's second patient identifier, from the clinical profile: what the Start dialog asks beside the ID.

    A format of DATE_FORMATS makes it a date of birth (stored as an ISO date,
    sent as FHIR birthDate, HL7 PID-7 and the EDF+ birthdate); any other format
    is a regular expression the whole value must match (e.g. a hospital number
    '[0-9]{8}'), stored as typed under its label.
    """

    label: str = "Date of birth"
    format: str = "DD.MM.YYYY"

    @property
    def is_birth_date(self) -> bool:
        """Tell whether the identifier is a date of birth."""
        return self.format in DATE_FORMATS

    def clean(self, text: str, today: date) -> str:
        """Return the value as stored (an ISO date for a date of birth); PatientIdError says what is wrong, in one line.

        today is the chair's local day: a date of birth after it, or one giving an
        age outside MIN_AGE_YEARS..MAX_AGE_YEARS, is refused.
        """
        value = unicodedata.normalize("NFC", text).strip()
        label = self.label.lower() if self.is_birth_date else self.label
        if not value:
            raise PatientIdError(f"the {label} is empty")
        if not self.is_birth_date:
            if not value.isprintable() or len(value) > MAX_LENGTH or re.fullmatch(self.format, value) is None:
                raise PatientIdError(f"the {label} '{value[:MAX_LENGTH]}' does not have the clinic's form "
                                     f"({self.format})")
            return value
        return check_birth_date(self._read_date(value, label), today, label).isoformat()

    def _read_date(self, value: str, label: str) -> date:
        shape = DATE_FORMATS[self.format]
        example = date(1980, 3, 12).strftime(shape)
        digits = re.fullmatch(self.format.replace("YYYY", r"(\d{4})").replace("MM", r"(\d{1,2})")
                              .replace("DD", r"(\d{1,2})").replace(".", r"\."), value)
        if digits is None:
            raise PatientIdError(f"type the {label} as {self.format} (e.g. {example}), not '{value[:20]}'")
        try:
            return datetime.strptime(value, shape).date()
        except ValueError:
            raise PatientIdError(f"the {label} {value} is not a real date") from None


def check_birth_date(born: date, today: date, label: str = "date of birth") -> date:
    """Return born if it can be a patient's date of birth on the day today; PatientIdError in one line if not."""
    shown = birth_date_text(born.isoformat())
    if born > today:
        raise PatientIdError(f"the {label} {shown} is in the future")
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if not MIN_AGE_YEARS <= age <= MAX_AGE_YEARS:
        raise PatientIdError(f"the {label} {shown} makes the patient {age} year{'s' if age != 1 else ''} old: "
                             "check the year")
    return born


def birth_date_text(iso: str) -> str:
    """Return a stored date of birth (ISO) for people: '12 Mar 1980' (the stored text if it is not an ISO date)."""
    try:
        d = date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{d.day:02d} {MONTHS[d.month - 1]} {d.year}"


def second_id_text(birth_date: str | None, second_id: str | None, label: str | None) -> str:
    """Return a session's second identifier as headers and reports show it ('DOB 12 Mar 1980'; '' if none)."""
    if birth_date:
        return f"DOB {birth_date_text(birth_date)}"
    if second_id:
        return f"{label or 'second ID'} {second_id}"
    return ""


def identity_text(patient_id: str | None, patient_name: str | None, second: str = "") -> str:
    """Return the patient as every header names them: 'P-0412 · DOB 12 Mar 1980 · Jordan Avery'.

    The two identifiers come first: where a header is short of room, the name is cut before either.
    """
    return " · ".join(x for x in (patient_id, second, patient_name) if x) or "no patient ID"


def identity_warning(patient_id: str, value: str, ident: SecondIdentifier, recorded: list[str]) -> str:
    """Return the warning when a patient's earlier sessions were started with another second identifier ('' if not).

    value is the identifier as stored (clean()); recorded the patient's earlier
    ones. A different one means a typing slip or another patient under this ID:
    the person at Start checks the identity before going on.
    """
    others = [r for r in recorded if r != value]
    if not others:
        return ""
    shown = " and ".join(birth_date_text(r) if ident.is_birth_date else r for r in others)
    name = "DOB" if ident.is_birth_date else ident.label
    return f"patient {patient_id} was recorded with {name} {shown}: check the identity"
