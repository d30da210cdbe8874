"""Times for people: durations in words or as H:MM:SS, and a session's stored time zone."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo


def hms(seconds: float | None) -> str:
    """Format a duration in seconds as H:MM:SS (None counts as 0)."""
    s = int(round(max(0.0, seconds or 0.0)))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def zone(name: str) -> ZoneInfo | None:
    """Return the IANA zone a session was recorded in; None (this computer's zone) if the name is unknown."""
    try:
        return ZoneInfo(name)
    except Exception:  # unknown or malformed zone name stored by another machine
        return None


def duration_text(seconds: float) -> str:
    """Say a duration briefly: '45 s', '12 min', '2 h 05 min' (seconds below 90, minutes below an hour)."""
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"


def iso_utc(t: float) -> str:
    """Format UTC epoch seconds as ISO 8601 with milliseconds and Z."""
    return datetime.fromtimestamp(t, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
