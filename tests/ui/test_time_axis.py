"""The review's time axis reads the session's own clock, on whole minutes and hours, with whole labels only,
and names the day at midnight: whatever zone the computer showing it is in."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pyqtgraph as pg

from monitor.timefmt import local_time
from ui.time_axis import TimeAxis, tick_text, ticks

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")  # UTC+05:30: a whole hour there is not a whole hour in UTC


def _utc(zone: ZoneInfo, *wall: int) -> float:
    return datetime(*wall, tzinfo=zone).timestamp()


def test_ticks_fall_on_the_sessions_whole_minutes_and_leave_room_for_their_labels():
    t0, t1 = _utc(KOLKATA, 2026, 12, 6, 10, 0, 10), _utc(KOLKATA, 2026, 12, 6, 10, 9, 50)
    step, major, minor = ticks(t0, t1, 1000.0, 60.0, KOLKATA)
    assert step == 60  # 600 s on 1000 px: 30 s would put labels 50 px apart, less than a label and its gap
    assert [tick_text(t, step, KOLKATA) for t in major] == [f"10:0{m}" for m in range(1, 10)]
    assert set(major) <= set(minor) and len(minor) > len(major)
    assert all(local_time(t, KOLKATA).second == 0 for t in major)
    fine_step, fine, _ = ticks(t0, t0 + 60, 1000.0, 60.0, KOLKATA)
    assert fine_step < 60 and tick_text(fine[0], fine_step, KOLKATA).count(":") == 2  # seconds shown


def test_whole_hours_of_a_half_hour_zone_and_the_day_at_midnight():
    t0, t1 = _utc(NEW_YORK, 2026, 12, 6, 18, 20), _utc(NEW_YORK, 2026, 12, 7, 5, 40)
    step, major, _ = ticks(t0, t1, 1200.0, 60.0, NEW_YORK)
    assert step == 3600
    texts = [tick_text(t, step, NEW_YORK) for t in major]
    assert texts[0] == "19:00" and "07 Dec" in texts and "00:00" not in texts
    step, major, _ = ticks(_utc(KOLKATA, 2026, 12, 6, 8, 10), _utc(KOLKATA, 2026, 12, 6, 16, 0), 800.0, 60.0,
                           KOLKATA)
    assert [tick_text(t, step, KOLKATA) for t in major][:2] == ["09:00", "10:00"]


def test_ticks_keep_to_whole_half_hours_across_a_change_of_daylight_saving():
    """A view of the night Paris turns its clocks back (03:00 CEST is 02:00 CET, 01:00 UTC): the wall clock reads
    02:00 to 03:00 twice, and every tick falls on a whole half hour of it on either side of the change."""
    t0 = datetime(2026, 10, 25, 0, 0, tzinfo=ZoneInfo("UTC")).timestamp()  # 02:00 CEST
    step, major, minor = ticks(t0, t0 + 7200, 400.0, 60.0, PARIS)  # to 03:00 CET
    assert step == 1800
    assert [tick_text(t, step, PARIS) for t in major] == ["02:00", "02:30", "02:00", "02:30", "03:00"]
    assert [t - t0 for t in major] == [0, 1800, 3600, 5400, 7200]
    assert all(local_time(t, PARIS).minute % 10 == 0 and local_time(t, PARIS).second == 0 for t in minor)
    spring = _utc(PARIS, 2026, 3, 29, 1, 0)  # 01:00 CET; at 02:00 the clock jumps to 03:00 CEST
    step, major, _ = ticks(spring, spring + 7200, 400.0, 60.0, PARIS)
    assert [tick_text(t, step, PARIS) for t in major] == ["01:00", "01:30", "03:00", "03:30", "04:00"]
    for start in (_utc(PARIS, 2026, 10, 24, 15, 0), _utc(PARIS, 2026, 3, 28, 15, 0)):  # a day's view: steps of hours
        step, major, minor = ticks(start, start + 86400, 400.0, 60.0, PARIS)
        assert step > 3600 and len(major) >= 3
        assert all(local_time(t, PARIS).hour % (step // 3600) == 0 for t in major), [tick_text(t, step, PARIS)
                                                                                      for t in major]
        assert all(local_time(t, PARIS).minute == 0 for t in major + minor)


def test_the_axis_writes_only_whole_labels_in_its_zone(qapp):
    plot = pg.PlotItem(axisItems={"bottom": TimeAxis()})
    axis = plot.getAxis("bottom")
    axis.set_zone(PARIS)
    t0 = _utc(PARIS, 2026, 12, 6, 9, 59, 50)  # a label at 10:00 stands 10 s from the left edge: cut, so not written
    axis.setRange(t0, t0 + 600)
    tick_marks, words = axis.marks(1000.0)
    texts = [text for _, text in words]
    assert texts[0] != "10:00" and texts[0].startswith("10:0") and len(texts) >= 3
    for x, text in words:  # whatever the font: every label written is whole
        half = axis._laid_out(text)[1] / 2
        assert 0 <= x - half and x + half <= 1000
    assert all(0 <= x <= 1000 for x, _ in tick_marks) and any(major for _, major in tick_marks)
    assert tick_marks[0][0] > 0  # the 10:00 tick itself is drawn
    assert axis.marks(1000.0, (60.0, 0.0))[1][0][1] == "10:00"  # room beside the axis: the first label stands
    axis.set_zone(NEW_YORK)  # the same instant on another session's clock, six hours earlier
    assert [text for _, text in axis.marks(1000.0)[1]] == [f"0{int(t[:2]) - 6}{t[2:]}" for t in texts]
