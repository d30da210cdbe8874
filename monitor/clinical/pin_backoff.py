"""The back-off after wrong PINs, kept in a file so that a restart or another process sees the same one.

After WRONG_TRIES wrong PINs in a row for a member, that member's PIN is
refused for BACKOFF_S, doubling on each further wrong one up to MAX_BACKOFF_S;
the right PIN clears the count, and so does FORGET_S without a wrong one
(after the last back-off ended): a slip next week does not start where last
week's two left off. Only the PIN waits: the monitor never does.

Each member's count and the end of their back-off are kept in a small file
beside the staff list (backoff_file), written all or nothing and readable by
the user only; it holds initials and numbers, never a PIN, a hash or patient
data. The end is UTC epoch seconds (a monotonic clock does not survive a
restart), and a wall clock set backwards never makes a back-off last longer
from now than its own length (at most MAX_BACKOFF_S). The file is read at
every check, so the window, a restarted window and an `infusion-monitor`
command share one count.

A damaged or unreadable file never locks anyone out: it counts as empty (or
as what this process counted itself), the log says so once, and it is written
anew. A file that cannot be written leaves the count in this process only,
said once too; nothing here ever raises but PinRefused.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.clinical.staff import StaffMember, clean_initials
from monitor.paths import private_output

WRONG_TRIES = 3
BACKOFF_S = 30.0
MAX_BACKOFF_S = 300.0
#: A member's count is forgotten this long after their last wrong PIN (after its back-off, when it had one).
FORGET_S = 15 * 60.0
#: The file's shape; any other is damaged (counted as empty and written anew).
FORMAT = 1
log = logging.getLogger(__name__)


class PinRefused(ValueError):
    """A PIN not accepted now (wrong, or the member's back-off is running): one line for people."""


def backoff_file(staff_path: Path) -> Path:
    """Return the back-off file beside a staff list (staff.json -> staff.backoff.json)."""
    return staff_path.with_name(f"{staff_path.stem}.backoff.json")


def backoff_length(wrong: int) -> float:
    """Return how long (s) a member's PIN is refused after `wrong` wrong PINs in a row (0 below WRONG_TRIES)."""
    if wrong < WRONG_TRIES:
        return 0.0
    return min(MAX_BACKOFF_S, BACKOFF_S * 2 ** min(wrong - WRONG_TRIES, 32))


@dataclass(frozen=True)
class Tries:
    """One member's wrong PINs in a row and the UTC epoch second their back-off ends (0: none)."""

    wrong: int = 0
    until: float = 0.0

    def wait(self, now: float) -> float:
        """Return the seconds still to wait at UTC epoch `now` (0: none)."""
        return max(0.0, self.until - now)

    def kept(self, now: float) -> Tries:
        """Return this count at UTC epoch `now`: none once FORGET_S passed after it ended (a clock set backwards
        forgets nothing)."""
        return Tries() if now - self.until > FORGET_S else self

    @classmethod
    def from_data(cls, data: Any) -> Tries:
        wrong, until = data["wrong"], data["until"]
        if not isinstance(wrong, int) or isinstance(wrong, bool) or wrong < 1:
            raise ValueError(f"wrong is {wrong!r}")
        if not isinstance(until, (int, float)) or isinstance(until, bool) or not math.isfinite(until):
            raise ValueError(f"until is {until!r}")
        return cls(wrong, float(until))


def refusal(initials: str, tries: Tries, wait: float) -> str:
    """Return the one line that says a member waits ("wrong PIN 3 times for AB: try again in 30 s")."""
    return f"wrong PIN {tries.wrong} times for {initials}: try again in {math.ceil(wait)} s"


@dataclass
class PinBackoff:
    """The wrong-PIN counts of a clinic's staff, in the file at `path` (None: in this process only).

    wall is the UTC clock (epoch s), a test's FakeClock.wall.
    """

    path: Path | None
    wall: Callable[[], float] = time.time
    _counted: dict[str, Tries] = field(default_factory=dict)  # what this process read or wrote last
    _unsaved: bool = False  # the last write failed: _counted is the only count
    _said: set[str] = field(default_factory=set)

    def waiting(self, initials: str) -> None:
        """Raise PinRefused if the member's back-off is running (before a PIN is even asked).

        A back-off that would end later than its length from now (the clock was set backwards) is made to end
        its length from now, and kept so, so a wrong clock never makes anyone wait longer than MAX_BACKOFF_S."""
        now = self.wall()
        tries = self._read().get(initials, Tries()).kept(now)
        if tries.wait(now) > backoff_length(tries.wrong):
            tries = Tries(tries.wrong, now + backoff_length(tries.wrong))
            self._change(initials, tries)
        wait = tries.wait(now)
        if wait > 0:
            raise PinRefused(refusal(initials, tries, wait))

    def check(self, member: StaffMember, secret: str) -> None:
        """Accept the member's PIN or raise PinRefused: in back-off, or wrong (counted, and from WRONG_TRIES on
        the back-off starts). The right PIN clears the member's count."""
        self.waiting(member.initials)
        if member.pin.matches(secret):
            if member.initials in self._read():
                self._change(member.initials, None)
            return
        now = self.wall()
        wrong = self._read().get(member.initials, Tries()).kept(now).wrong + 1
        tries = Tries(wrong, now + backoff_length(wrong))
        self._change(member.initials, tries)
        log.info("wrong PIN for %s (%d in a row)", member.initials, wrong)  # never the PIN
        if wrong >= WRONG_TRIES:
            raise PinRefused(refusal(member.initials, tries, tries.wait(now)))
        raise PinRefused(f"wrong PIN for {member.initials}")

    def _change(self, initials: str, tries: Tries | None) -> None:
        counted = self._read()  # read again just before writing: another process may have counted meanwhile
        if tries is None:
            counted.pop(initials, None)
        else:
            counted[initials] = tries
        self._write(counted)

    def _read(self) -> dict[str, Tries]:
        if self.path is None or self._unsaved:
            if self._unsaved and self.path is not None:
                self._write(self._counted)  # try again: the folder may be writable now
            return dict(self._counted)
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self._counted = {}
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            return self._damaged(f"cannot be read ({exc.__class__.__name__})")
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}, this app reads {FORMAT}")
            counted = {clean_initials(k): Tries.from_data(v) for k, v in data["tries"].items()}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return self._damaged(f"is damaged ({exc.__class__.__name__}: {exc})")
        self._counted = counted
        self._said.discard("read")
        return dict(counted)

    def _damaged(self, why: str) -> dict[str, Tries]:
        self._say("read", f"the PIN back-off file {self.path} {why}: counted as empty and written anew")
        self._write(self._counted)
        return dict(self._counted)

    def _write(self, counted: dict[str, Tries]) -> None:
        self._counted = dict(counted)
        if self.path is None:
            return
        data = {"format": FORMAT, "tries": {k: {"wrong": t.wrong, "until": t.until} for k, t in counted.items()}}
        try:
            with private_output(self.path) as out:
                json.dump(data, out)
        except OSError as exc:
            self._unsaved = True
            self._say("write", f"the PIN back-off file {self.path} cannot be written ({exc.__class__.__name__}): "
                      "wrong PINs are counted by this program only")
        else:
            self._unsaved = False
            self._said.discard("write")

    def _say(self, kind: str, problem: str) -> None:
        """Log a problem with the file once until it is read ("read") or written ("write") again."""
        if kind not in self._said:
            self._said.add(kind)
            log.warning(problem)
