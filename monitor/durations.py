"""Durations in words, for people: the one way the monitor, the station and the alarms say 'how long'."""

from __future__ import annotations


def duration_text(seconds: float) -> str:
    """Say a duration briefly: '45 s', '12 min', '2 h 05 min' (seconds below 90, minutes below an hour)."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"
