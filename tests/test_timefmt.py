"""monitor.timefmt: every time shown to people, read in the session's zone whatever the computer's zone."""

import pytest
from zoneinfo import ZoneInfo

from monitor.timefmt import (clock_text, date_text, date_time_text, day_month_text, duration_text, hms, local_time,
                             mmss, time_text)

T = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC: 2023-11-15 07:13:20 in Tokyo, 2023-11-14 17:13:20 in New York


@pytest.mark.parametrize("machine", ["America/New_York", "Asia/Tokyo", "UTC"])
def test_a_session_zone_wins_over_the_computers(machine_zone, machine):
    machine_zone(machine)
    for tz in ("Asia/Tokyo", ZoneInfo("Asia/Tokyo")):  # the stored name or the zone itself
        assert (clock_text(T, tz), time_text(T, tz), date_text(T, tz), day_month_text(T, tz)) == \
            ("07:13", "07:13:20", "2023-11-15", "15 Nov")
        assert date_time_text(T, tz) == "2023-11-15 07:13"
        assert date_time_text(T, tz, seconds=True) == "2023-11-15 07:13:20"
    assert date_time_text(T, "UTC", seconds=True) == "2023-11-14 22:13:20"


def test_no_zone_or_an_unknown_one_is_the_computers(machine_zone):
    machine_zone("America/New_York")
    assert time_text(T) == time_text(T, "Not/AZone") == "17:13:20"
    assert local_time(T, "Europe/Paris").utcoffset().total_seconds() == 3600


def test_durations():
    assert [duration_text(s) for s in (45, 89.4, 185, 3725)] == ["45 s", "89 s", "3 min", "1 h 02 min"]  # at a glance
    assert [duration_text(s, exact=True) for s in (45, 185, 3725)] == ["45 s", "3 min 05 s", "1 h 02 min"]  # alarms
    assert [mmss(s) for s in (0, 65.4, 3725)] == ["0:00", "1:05", "62:05"]
    assert [hms(s) for s in (None, 65, 3725)] == ["0:00:00", "0:01:05", "1:02:05"]
