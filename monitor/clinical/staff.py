"""The clinic's staff list: who may sign at the monitor, each with a PIN or password kept only as a salted hash.

Initials identify; a PIN authenticates. Each member has a name, initials (what
the record shows), a role (owner, nurse, clinician) and a secret: a PIN of at
least 4 digits or a password of at least 6 characters, stored as
`hashlib.scrypt` (n=2**14, r=8, p=1, a random 16-byte salt per member, the
parameters kept beside the hash so they can be raised later) and compared in
constant time. No secret and no hash is ever logged or shown. A PIN is
checked only under the wrong-PIN back-off (monitor.clinical.pin_backoff).

The list is one JSON file for the clinic's chair (monitor.paths.staff_file),
written all or nothing and readable by the user only (0600). The owner manages
it (StaffBook): the first member added is the owner, later changes need an
owner's PIN (a member may change their own PIN with it), and the last active
owner cannot be deactivated. A member is deactivated, never deleted, so the
initials in old records keep meaning one person; initials are never reused.

A clinic with no file runs unsigned (monitor.clinical.signing says so on the
screen and in the record). A file that cannot be read is StaffError in one line,
never a traceback.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from monitor.paths import private_output

ROLES = ("owner", "nurse", "clinician")
#: scrypt's cost: 16 MiB and some 30-100 ms per check, so guessing is slow and a nurse's PIN is not.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SALT_BYTES = 16
HASH_BYTES = 32
MAX_MEMORY = 64 * 1024 * 1024
#: The file's shape; a newer one is refused rather than misread.
FORMAT = 1
PIN_DIGITS = 4
PASSWORD_CHARS = 6
MAX_SECRET = 128
MAX_INITIALS = 5


class StaffError(ValueError):
    """A staff list, member or PIN that cannot be accepted; the message is one line for people."""


def check_secret(secret: object) -> str:
    """Return the secret if it is a PIN of 4+ digits or a password of 6+ characters; StaffError says why not."""
    if not isinstance(secret, str) or not secret:
        raise StaffError("enter a PIN (at least 4 digits) or a password (at least 6 characters)")
    if len(secret) > MAX_SECRET:
        raise StaffError(f"a PIN or password is at most {MAX_SECRET} characters")
    if secret.isdigit() and secret.isascii():
        if len(secret) < PIN_DIGITS:
            raise StaffError(f"a PIN has at least {PIN_DIGITS} digits")
        return secret
    if len(secret) < PASSWORD_CHARS:
        raise StaffError(f"a password (not only digits) has at least {PASSWORD_CHARS} characters")
    return secret


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=MAX_MEMORY, dklen=HASH_BYTES)


@dataclass(frozen=True)
class PinHash:
    """A secret as stored: its scrypt hash, the salt and the cost parameters it was made with."""

    digest: bytes = field(repr=False)
    salt: bytes = field(repr=False)
    n: int = SCRYPT_N
    r: int = SCRYPT_R
    p: int = SCRYPT_P

    @classmethod
    def of(cls, secret: str) -> PinHash:
        """Hash a new secret (checked by check_secret) with a fresh random salt."""
        check_secret(secret)
        salt = secrets.token_bytes(SALT_BYTES)
        return cls(_scrypt(secret, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P), salt)

    def matches(self, secret: str) -> bool:
        """Tell whether the secret is this one (constant-time comparison of the hashes)."""
        if not isinstance(secret, str) or not secret or len(secret) > MAX_SECRET:
            return False
        return hmac.compare_digest(_scrypt(secret, self.salt, self.n, self.r, self.p), self.digest)

    def to_data(self) -> dict[str, Any]:
        return {"scrypt": self.digest.hex(), "salt": self.salt.hex(), "n": self.n, "r": self.r, "p": self.p}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> PinHash:
        digest, salt = bytes.fromhex(data["scrypt"]), bytes.fromhex(data["salt"])
        n, r, p = (data[k] for k in ("n", "r", "p"))
        if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (n, r, p)) or n & (n - 1):
            raise ValueError("bad scrypt parameters")
        if len(digest) != HASH_BYTES or len(salt) < SALT_BYTES:
            raise ValueError("bad hash or salt length")
        return cls(digest, salt, n, r, p)


def clean_initials(initials: object) -> str:
    """Return initials as the record keeps them (upper case, 1 to 5 letters or digits); StaffError says why not."""
    text = initials.strip().upper() if isinstance(initials, str) else ""
    if not text or len(text) > MAX_INITIALS or not text.isalnum():
        raise StaffError(f"initials are 1 to {MAX_INITIALS} letters or digits, e.g. AB")
    return text


@dataclass(frozen=True)
class StaffMember:
    """One person who may sign: name, initials (what records show), role, secret as a hash, active or not."""

    name: str
    initials: str
    role: str
    pin: PinHash = field(repr=False)
    active: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip() or not self.name.isprintable():
            raise StaffError("a staff member needs a name")
        object.__setattr__(self, "name", self.name.strip())
        object.__setattr__(self, "initials", clean_initials(self.initials))
        if self.role not in ROLES:
            raise StaffError(f"a role is {', '.join(ROLES)}, not {self.role!r}")

    @property
    def label(self) -> str:
        """Return "AB · Anna Berg (nurse)", how a member is listed to choose from."""
        return f"{self.initials} · {self.name} ({self.role})" + ("" if self.active else ", deactivated")

    def to_data(self) -> dict[str, Any]:
        return {"name": self.name, "initials": self.initials, "role": self.role, "active": self.active,
                "pin": self.pin.to_data()}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> StaffMember:
        active = data.get("active", True)
        if not isinstance(active, bool):
            raise ValueError("active is not true or false")
        return cls(data["name"], data["initials"], data["role"], PinHash.from_data(data["pin"]), active)


@dataclass(frozen=True)
class StaffList:
    """The clinic's members, in the order they were added (deactivated ones kept)."""

    members: tuple[StaffMember, ...]

    def member(self, initials: str) -> StaffMember | None:
        """Return the active member with these initials (any case), None if there is none."""
        key = initials.strip().upper() if isinstance(initials, str) else ""
        return next((m for m in self.members if m.initials == key and m.active), None)

    def active(self, roles: tuple[str, ...] = ROLES) -> tuple[StaffMember, ...]:
        """Return the active members with one of these roles."""
        return tuple(m for m in self.members if m.active and m.role in roles)

    def added(self, member: StaffMember) -> StaffList:
        """Return the list with a new member; the first is the owner; initials are never reused."""
        if not self.members and member.role != "owner":
            raise StaffError("the first member of a staff list is its owner (role owner)")
        if any(m.initials == member.initials for m in self.members):
            raise StaffError(f"the initials {member.initials} are taken (initials are never reused, so old "
                             "records keep naming one person): add a letter")
        return StaffList((*self.members, member))

    def _changed(self, initials: str, **changes: Any) -> StaffList:
        member = self.member(initials)
        if member is None:
            raise StaffError(f"{initials} is not an active member of the staff list")
        return StaffList(tuple(replace(m, **changes) if m is member else m for m in self.members))

    def with_pin(self, initials: str, secret: str) -> StaffList:
        """Return the list with a member's new PIN or password."""
        return self._changed(initials, pin=PinHash.of(secret))

    def deactivated(self, initials: str) -> StaffList:
        """Return the list with a member deactivated; the last active owner cannot be."""
        member = self.member(initials)
        if member is not None and member.role == "owner" and len(self.active(("owner",))) == 1:
            raise StaffError(f"{member.initials} is the last owner: add another owner first")
        return self._changed(initials, active=False)

    def to_data(self) -> dict[str, Any]:
        return {"format": FORMAT, "members": [m.to_data() for m in self.members]}


def load_staff(path: Path) -> StaffList | None:
    """Return the staff list in a file, None when there is no file (the clinic signs nothing).

    StaffError (one line, naming the file) when it cannot be read, is damaged, has no member (the app never
    writes that: the last owner stays) or, where files have modes, others may read or change it.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StaffError(f"the staff list {path} cannot be read: {exc}") from None
    if os.name == "posix" and mode & 0o077:
        raise StaffError(f"the staff list {path} is open to other users (mode {mode & 0o777:o}): make it "
                         "readable by its user only (chmod 600)")
    try:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r}, this app reads {FORMAT}")
        members = tuple(StaffMember.from_data(m) for m in data["members"])
        if not members:
            raise ValueError("no member")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StaffError(f"the staff list {path} is damaged ({exc.__class__.__name__}: {exc}); restore it from "
                         "a backup or have the owner make it again") from None
    return StaffList(members)


def save_staff(staff: StaffList, path: Path) -> None:
    """Write the staff list all or nothing, readable by the user only (0600)."""
    with private_output(path) as out:
        json.dump(staff.to_data(), out, indent=1)


@dataclass(frozen=True)
class StaffBook:
    """The staff list's file and the owner's rules for changing it: each change reads, checks and writes it.

    `by` is the member who signed the change (an owner, or the member changing their own PIN), None only
    for the first member of a new list.
    """

    path: Path

    def load(self) -> StaffList | None:
        return load_staff(self.path)

    def _owner(self, staff: StaffList | None, by: StaffMember | None, own: str = "") -> None:
        if staff is None:
            return
        if by is None or (by.role != "owner" and by.initials != own):
            raise StaffError("an owner's PIN is required to change the staff list")

    def add(self, name: str, initials: str, role: str, secret: str, by: StaffMember | None) -> StaffMember:
        """Add a member (the first one is the owner) and return them."""
        staff = self.load()
        self._owner(staff, by)
        member = StaffMember(name, initials, role, PinHash.of(secret))
        save_staff((staff or StaffList(())).added(member), self.path)
        return member

    def change_pin(self, initials: str, secret: str, by: StaffMember | None) -> None:
        """Give a member a new PIN or password (by an owner, or by the member with their current PIN)."""
        staff = self.load()
        if staff is None:
            raise StaffError("there is no staff list yet: add its owner first")
        self._owner(staff, by, own=clean_initials(initials))
        save_staff(staff.with_pin(initials, secret), self.path)

    def set_aside(self) -> Path:
        """Rename an unreadable list's file beside it (kept for IT), so a new list can be made; return its name."""
        aside = self.path.with_name(f"{self.path.name}.unreadable-{int(time.time())}")
        os.replace(self.path, aside)
        return aside

    def deactivate(self, initials: str, by: StaffMember | None) -> None:
        """Deactivate a member (kept in the list, so their initials keep meaning them)."""
        staff = self.load()
        if staff is None:
            raise StaffError("there is no staff list yet")
        self._owner(staff, by)
        save_staff(staff.deactivated(initials), self.path)
