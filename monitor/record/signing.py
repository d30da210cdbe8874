"""The records of who signed what: each signed action, and whether the session's actions are signed at all.

A clinic with a staff list signs the actions that need a PIN (monitor.clinical.signing); one without runs on
initials alone, and the record says so at the session's start and on every such action, so no reader takes
initials for a signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from monitor.record.base import Record


@dataclass(frozen=True)
class Signature(Record):
    """An action was done by `initials`: signed with their PIN against the staff list, or unsigned (no list).

    action is the kind (switch_user, acknowledge, soft_limit, flag_review, discharge, staff_list); in_window
    marks an acknowledgement inside the short time after the same user's last PIN, which asks none.
    """

    KIND: ClassVar[str] = "signature"
    action: str
    initials: str
    signed: bool
    name: str = ""
    role: str = ""
    in_window: bool = False

    @property
    def text(self) -> str:
        """Return "acknowledge by AB, signed" ("…, unsigned (no staff list)")."""
        how = ("signed (PIN given a moment before)" if self.in_window else "signed") if self.signed else \
            "unsigned (no staff list)"
        return f"{self.action.replace('_', ' ')} by {self.initials}, {how}"


@dataclass(frozen=True)
class SigningMode(Record):
    """Whether this session's actions are signed: at its start, and whenever the staff list changes.

    notice is what the screen says when they are not ("No staff list: actions are not signed"), "" when
    they are; members counts the active staff.
    """

    KIND: ClassVar[str] = "signing"
    signed: bool
    notice: str = ""
    members: int = 0
