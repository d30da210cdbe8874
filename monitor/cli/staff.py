"""The `staff` command: the clinic's staff list (add, list, pin, deactivate), managed by an owner.

PINs are read without echo from the terminal (getpass); when standard input is
not a terminal (a script, a test) one line each is read from it. A PIN never
appears on the command line, in a message or in the log. Wrong PINs back off
as at the monitor (monitor.clinical.pin_backoff, one count shared with it): a
member in back-off is told so in one line before any PIN is asked.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from monitor.app import UserError
from monitor.clinical.pin_backoff import PinBackoff, PinRefused, backoff_file
from monitor.clinical.staff import StaffBook, StaffError, StaffList, StaffMember, check_secret
from monitor.paths import staff_file

if TYPE_CHECKING:
    from monitor.clinical.signing import Signer


def staff_args(stf: argparse.ArgumentParser) -> None:
    """Add the subcommands of `staff` to its parser."""
    stf.description = ("The staff list signs the monitor's actions with PINs (file: $INFUSION_MONITOR_STAFF or "
                       "staff.json in the user data folder). The first member added is the owner; later changes ask "
                       "an owner's PIN.")
    what = stf.add_subparsers(dest="staff_command", required=True)
    add = what.add_parser("add", help="add a member (asks the owner's PIN, then the new member's PIN twice)")
    add.add_argument("--name", required=True)
    add.add_argument("--initials", required=True, help="what the record shows, e.g. AB (never reused)")
    add.add_argument("--role", choices=["owner", "nurse", "clinician"], default=None,
                     help="default: owner for the first member, nurse after")
    add.add_argument("--owner", default=None, metavar="INITIALS", help="the owner signing the change")
    what.add_parser("list", help="list the members (no PIN is ever shown)")
    pin = what.add_parser("pin", help="give a member a new PIN (theirs or an owner's PIN is asked first)")
    pin.add_argument("--initials", required=True)
    pin.add_argument("--by", default=None, metavar="INITIALS", help="an owner signing it (default: the member)")
    off = what.add_parser("deactivate", help="deactivate a member (kept, so their initials keep meaning them)")
    off.add_argument("--initials", required=True)
    off.add_argument("--owner", required=True, metavar="INITIALS", help="the owner signing the change")


def _secret(prompt: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    line = sys.stdin.readline()
    if not line:
        raise UserError(f"no PIN given ({prompt.strip().rstrip(':')})")
    return line.rstrip("\r\n")


def _new_secret(initials: str) -> str:
    secret = _secret(f"New PIN or password for {initials}: ")
    check_secret(secret)
    if _secret(f"Again, for {initials}: ") != secret:
        raise UserError("the two PINs differ: nothing changed")
    return secret


def _signed(book: StaffBook, staff: StaffList | None, initials: str | None, what: str) -> StaffMember | None:
    """Return the member whose PIN the terminal gives (None for the first member of a new list), under the
    wrong-PIN back-off."""
    if staff is None:
        return None
    if not initials:
        raise UserError(f"{what}: name the owner signing it with --owner INITIALS")
    member = staff.member(initials)
    if member is None:
        raise UserError(f"{initials.strip() or 'nobody'} is not on the staff list (or is deactivated)")
    backoff = PinBackoff(backoff_file(book.path))
    try:
        backoff.waiting(member.initials)
        backoff.check(member, _secret(f"PIN of {member.initials}: "))
    except PinRefused as exc:
        raise UserError(str(exc)) from None
    return member


def signed_reviewer(reviewer: str) -> Signer:
    """Return who reviews an item-9 flag (`flags --reviewer`): with a staff list, the clinician or owner whose
    initials --reviewer gives, signed with the PIN read here; without one, the name as given, unsigned.

    The signing rule is imported here: `--help` (which builds this module's parser) never loads the records."""
    from monitor.clinical.signing import Action, Signing, SigningRefused

    signing = Signing.load(staff_file())
    if signing.problem:
        print(f"infusion-monitor: notice: {signing.notice}: {signing.problem}", file=sys.stderr)
    try:
        if signing.signed:
            signing.backoff.waiting(reviewer.strip().upper())  # before a PIN is asked
        secret = _secret(f"PIN of {reviewer.strip().upper()}: ") if signing.signed else None
        return signing.sign(Action.FLAG_REVIEW, secret, reviewer)
    except (SigningRefused, PinRefused) as exc:
        raise UserError(str(exc)) from None


def cmd_staff(args: argparse.Namespace) -> int:
    book = StaffBook(staff_file())
    try:
        staff = book.load()
        if args.staff_command == "list":
            if staff is None:
                print(f"no staff list ({book.path}): actions at the monitor are not signed")
            for m in staff.members if staff else ():
                print(f"{m.initials:<6}{m.role:<10}{'' if m.active else 'deactivated  '}{m.name}")
            return 0
        if args.staff_command == "add":
            role = args.role or ("nurse" if staff else "owner")
            by = _signed(book, staff, args.owner, "adding a member")
            member = book.add(args.name, args.initials, role, _new_secret(args.initials.upper()), by)
            print(f"added {member.label}" + ("" if staff else f": the staff list's owner ({book.path})"))
        elif args.staff_command == "pin":
            by = _signed(book, staff, args.by or args.initials, "changing a PIN")
            book.change_pin(args.initials, _new_secret(args.initials.upper()), by)
            print(f"new PIN for {args.initials.upper()}")
        else:
            by = _signed(book, staff, args.owner, "deactivating a member")
            book.deactivate(args.initials, by)
            print(f"deactivated {args.initials.upper()}")
        return 0
    except StaffError as exc:
        raise UserError(str(exc)) from None
