"""Times for people, in one place: durations in words, M:SS or H:MM:SS, and clock times in a session's zone.

A session stores UTC epoch seconds and the IANA zone it was recorded in
(SessionMeta.tz, MonitorCore.tz). Every clock time shown to people is formatted
here, in that zone: a session recorded in Paris reads the same on a computer in
Tokyo. A zone may be given as the stored name, a ZoneInfo, or None (this
computer's zone, only for times that belong to no session).
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

Zone = ZoneInfo | str | None  # a session's zone: its stored name, the zone itself, or None for this computer's


def hms(seconds: float | None) -> str:
    """Format a duration in seconds as H:MM:SS (None counts as 0)."""
    s = int(round(max(0.0, seconds or 0.0)))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def mmss(seconds: float) -> str:
    """Format a duration as M:SS (minutes may exceed 59): the countdowns of the chair's screen."""
    s = int(max(0.0, seconds) + 0.5)
    return f"{s // 60}:{s % 60:02d}"


def zone(name: str) -> ZoneInfo | None:
    """Return the IANA zone a session was recorded in; None (this computer's zone) if the name is unknown."""
    try:
        return ZoneInfo(name)
    except Exception:  # unknown or malformed zone name stored by another machine
        return None


def duration_text(seconds: float, exact: bool = False) -> str:
    """Say a duration briefly: '45 s', '12 min', '2 h 05 min' (seconds below 90, minutes below an hour).

    exact keeps the seconds below an hour ('45 s', '3 min 05 s'): an alarm's
    length is read against its delay and the limits' settings, and '3 min' for
    185 s would hide what happened.
    """
    s = max(0, int(round(seconds)))
    if s < (60 if exact else 90):
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s" if exact else f"{s / 60:.0f} min"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def age_text(age_s: float) -> str:
    """Say how old something is in the shortest readable way ('45 s ago', '12 min ago', '2 h 05 min ago')."""
    return f"{duration_text(age_s)} ago"


def local_time(t: float, tz: Zone = None) -> datetime:
    """Return UTC epoch seconds as the wall-clock time in zone tz (see Zone)."""
    return datetime.fromtimestamp(t, zone(tz) if isinstance(tz, str) else tz)


def clock_text(t: float, tz: Zone = None) -> str:
    """Return UTC epoch seconds as the time of day in zone tz, 'HH:MM'."""
    return f"{local_time(t, tz):%H:%M}"


def time_text(t: float, tz: Zone = None) -> str:
    """Return UTC epoch seconds as the time of day in zone tz, 'HH:MM:SS'."""
    return f"{local_time(t, tz):%H:%M:%S}"


def date_text(t: float, tz: Zone = None) -> str:
    """Return the day of UTC epoch seconds in zone tz, 'YYYY-MM-DD'."""
    return f"{local_time(t, tz):%Y-%m-%d}"


def day_month_text(t: float, tz: Zone = None) -> str:
    """Return the day of UTC epoch seconds in zone tz, short: '06 Dec'."""
    return f"{local_time(t, tz):%d %b}"


def date_time_text(t: float, tz: Zone = None, seconds: bool = False) -> str:
    """Return UTC epoch seconds in zone tz as 'YYYY-MM-DD HH:MM' (with ':SS' when seconds)."""
    return f"{local_time(t, tz):%Y-%m-%d %H:%M:%S}" if seconds else f"{local_time(t, tz):%Y-%m-%d %H:%M}"


def iso_utc(t: float) -> str:
    """Format UTC epoch seconds as ISO 8601 with milliseconds and Z."""
    return datetime.fromtimestamp(t, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
