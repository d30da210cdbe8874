"""The signing rule, in one place: which actions need whose PIN, and who signed.

With a staff list (monitor.clinical.staff), switching user, acknowledging
alarms, confirming a soft limit, reviewing an item-9 flag, discharging and
changing the staff list are signed with a PIN; sign() returns the Signer or
raises SigningRefused in one line. Acknowledge, confirm and discharge are the
current user's (whoever is at the monitor signs with their own PIN); switch
user is the new user's; a flag review is a clinician's or an owner's; the
staff list an owner's. An acknowledgement within ACK_WINDOW_S of the current
user's last PIN asks none, so a nurse answering an alarm is not slowed; every
other action always asks.

Wrong PINs back off (monitor.clinical.pin_backoff, kept in a file beside the
staff list so a restart or a command sees it). Only signing waits: the
monitor, its alarms and Pause sound never do.

Without a staff list (a single-nurse clinic) every action is done under the
initials given, unsigned, and the screen and the record say so (NOTICE). A
damaged list is the same, with its own notice and a technical alarm raised
by the core. The acknowledgement window is in monotonic seconds (the clock
passed in); the back-off in UTC epoch seconds (wall), which survive a restart.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from monitor.clinical.pin_backoff import PinBackoff, PinRefused, backoff_file
from monitor.clinical.staff import ROLES, StaffError, StaffList, StaffMember, load_staff
from monitor.record.signing import Signature

#: An acknowledgement this long (s) after the current user's last PIN asks for none.
ACK_WINDOW_S = 300.0
NOTICE = "No staff list: actions are not signed"
DAMAGED_NOTICE = "Staff list unreadable: actions are not signed"
#: The headless `record`: its actions come from its command line, under the user "record".
HEADLESS_NOTICE = "Recorded without a window: actions are not signed"


class Action(str, Enum):
    """An action that is signed when the clinic has a staff list."""

    SWITCH_USER = "switch_user"
    ACKNOWLEDGE = "acknowledge"
    SOFT_LIMIT = "soft_limit"
    FLAG_REVIEW = "flag_review"
    DISCHARGE = "discharge"
    STAFF_LIST = "staff_list"

    __str__ = str.__str__
    __format__ = str.__format__

    @property
    def words(self) -> str:
        """Return the action as the PIN dialog names it ("acknowledge the alarms")."""
        return WORDS[self]


WORDS = {Action.SWITCH_USER: "take over the monitor", Action.ACKNOWLEDGE: "acknowledge the alarms",
         Action.SOFT_LIMIT: "confirm a dose above the soft limit", Action.FLAG_REVIEW: "review the item-9 flag",
         Action.DISCHARGE: "discharge the patient", Action.STAFF_LIST: "change the staff list"}
#: Who may sign each action (roles); the others: anyone on the list.
SIGNERS: dict[Action, tuple[str, ...]] = {Action.FLAG_REVIEW: ("clinician", "owner"), Action.STAFF_LIST: ("owner",)}
#: The actions the user at the monitor signs themself; the others are signed by the member chosen.
BY_CURRENT = frozenset({Action.ACKNOWLEDGE, Action.SOFT_LIMIT, Action.DISCHARGE})


class SigningRefused(ValueError):
    """A signature that cannot be given now (unknown initials, wrong PIN, role, back-off): one line for people."""


@dataclass(frozen=True)
class Signer:
    """Who did an action: initials (what the record shows), and whether a PIN signed it."""

    initials: str
    signed: bool
    name: str = ""
    role: str = ""
    in_window: bool = False  # an acknowledgement inside ACK_WINDOW_S of the same user's last PIN

    @property
    def full(self) -> str:
        """Return "Carl Lee (CL)" for a signed member (a review's reviewer), the initials as given when unsigned."""
        return f"{self.name} ({self.initials})" if self.signed else self.initials

    def signature(self, action: Action) -> Signature:
        """Return the journal record of this signer doing the action."""
        return Signature(str(action), self.initials, self.signed, self.name, self.role, self.in_window)


@dataclass
class Signing:
    """The clinic's signing state for one running monitor: the staff list, back-off and acknowledgement window.

    staff None: unsigned; problem: why the list could not be read (then unsigned too, said louder); path: the
    list's file, where the owner changes it (None for a monitor that has none to change, the headless record);
    unsigned: what the record says of a monitor without a list (NOTICE, or HEADLESS_NOTICE for `record`);
    wall: the UTC clock of the back-off (its file is beside `path`; without a path it is this process's only).
    """

    staff: StaffList | None
    problem: str = ""
    clock: Callable[[], float] = time.monotonic
    path: Path | None = None
    unsigned: str = NOTICE
    wall: Callable[[], float] = time.time
    backoff: PinBackoff = field(init=False)
    _last_pin: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.backoff = PinBackoff(None if self.path is None else backoff_file(self.path), self.wall)

    @classmethod
    def load(cls, path: Path, clock: Callable[[], float] = time.monotonic,
             wall: Callable[[], float] = time.time) -> Signing:
        """Read the staff list at `path`; a damaged one gives an unsigned Signing with its problem in words."""
        try:
            return cls(load_staff(path), clock=clock, path=path, wall=wall)
        except StaffError as exc:
            return cls(None, str(exc), clock=clock, path=path, wall=wall)

    @property
    def signed(self) -> bool:
        """Tell whether actions are signed (a staff list was read)."""
        return self.staff is not None

    @property
    def notice(self) -> str:
        """Return what the screen and the record say when actions are not signed, "" when they are."""
        return "" if self.signed else DAMAGED_NOTICE if self.problem else self.unsigned

    def signers(self, action: Action) -> tuple[StaffMember, ...]:
        """Return the active members who may sign an action (none without a staff list)."""
        return () if self.staff is None else self.staff.active(SIGNERS.get(action, ROLES))

    def pin_needed(self, action: Action, operator: str) -> bool:
        """Tell whether the action asks for a PIN now: always with a staff list, but an acknowledgement in the
        current user's window."""
        if self.staff is None:
            return False
        return not (action is Action.ACKNOWLEDGE and self._in_window(operator))

    def _in_window(self, initials: str) -> bool:
        last = self._last_pin.get(initials.strip().upper())
        return last is not None and self.clock() - last < ACK_WINDOW_S

    def sign(self, action: Action, secret: str | None, initials: str = "", operator: str = "") -> Signer:
        """Return who does the action: checked against the staff list with the PIN, or the initials unsigned.

        operator is the user at the monitor (who signs acknowledge, soft-limit and discharge); initials the
        member chosen for the other actions (the new user, the reviewer, the owner). SigningRefused says why not.
        """
        who = (operator if action in BY_CURRENT else initials or operator).strip()
        if self.staff is None:  # as before staff lists: whoever is named (the window always names someone)
            return Signer(who, signed=False)
        if not who:
            raise SigningRefused("nobody is signed in at the monitor: switch user first" if action in BY_CURRENT
                                 else "choose who signs")
        member = self.staff.member(who)
        if member is None:
            raise SigningRefused(f"{who} is not on the staff list: " + (
                "switch user first" if action in BY_CURRENT else "the owner adds staff (Menu ▸ Staff list…)"))
        roles = SIGNERS.get(action, ROLES)
        if member.role not in roles:
            raise SigningRefused(f"{member.initials} is a {member.role}: {action.words} needs the PIN of "
                                 f"a{'n' if roles[0][0] in 'aeiou' else ''} {' or '.join(roles)}")
        if secret is None and action is Action.ACKNOWLEDGE and self._in_window(member.initials):
            return Signer(member.initials, True, member.name, member.role, in_window=True)
        if not secret:
            raise SigningRefused(f"enter the PIN of {member.initials}")
        try:
            self.backoff.check(member, secret)
        except PinRefused as exc:
            raise SigningRefused(str(exc)) from None
        self._last_pin[member.initials] = self.clock()
        return Signer(member.initials, True, member.name, member.role)

    def wait_words(self, initials: str) -> str:
        """Return the one line that says a member's PIN is refused for now, their back-off running ("" when a
        PIN may be entered): the PIN dialog says it before a PIN is typed, not after."""
        try:
            self.backoff.waiting(initials.strip().upper())
        except PinRefused as exc:
            return str(exc)
        return ""

    def reload(self, staff: StaffList | None) -> bool:
        """Take a staff list changed meanwhile (the owner's dialog); tell whether signed or not changed."""
        was = self.signed
        self.staff, self.problem = staff, ""
        return was != self.signed
