"""The timeline's data: the right resolution for the view, gaps left open, marks, and the cursor readout."""

from __future__ import annotations

import numpy as np

from devices.values import NibpResult, WaveSegment, sample
from monitor.alarms.model import AlarmEvent, AlarmKind, EventKind, Priority
from monitor.record.journal import InfusionEvent
from monitor.record.journal import MarkerRevision
from monitor.record.journal import PhaseChange, ScaleEntry
from monitor.review.timeline import RAW_WAVE_S, SessionTimeline
from written import T0, Session


def _session(tmp_path) -> SessionTimeline:
    s = Session(tmp_path)
    for k in range(3600):  # an hour: SpO2 1 Hz with a 10-minute hole, pleth 75 Hz for the first 10 minutes
        if not 1200 <= k < 1800:
            s.rec.put(sample(T0 + k, "pulseox", "spo2", 97.0 - (k == 2000) * 10))
        if k < 600:
            s.rec.put(WaveSegment(T0 + k + 74 / 75, "pulseox", "pleth", tuple(float(i) for i in range(75)), 75.0))
    s.rec.put(NibpResult(T0 + 100, "nibp", 130.0, 85.0, 100.0, 70.0))
    s.rec.put(NibpResult(T0 + 700, "nibp", 150.0, 95.0, 113.0, 72.0))
    s.rec.journal(InfusionEvent(T0 + 300, "started", 150.0, 0.0, "", "AB"), "AB", T0 + 300)
    s.rec.journal(InfusionEvent(T0 + 900, "paused", 150.0, 8.75, "nausea", "AB"), "AB", T0 + 900)
    s.rec.journal(PhaseChange("infusion"), "", T0 + 300)
    s.rec.journal(MarkerRevision("m1", 1, T0 + 950, "nausea", "Nausea", "mild", "AB", T0 + 950), "AB", T0 + 950)
    s.rec.journal(ScaleEntry("moaas", 4, T0 + 1000), "AB", T0 + 1000)
    for dt, kind in ((2000, EventKind.RAISED), (2030, EventKind.CLEARED)):
        s.rec.put(AlarmEvent(T0 + dt, kind, "a1", "spo2_low", AlarmKind.PHYSIOLOGICAL, Priority.MEDIUM, "SpO2 87 < 94",
                             "pulseox", "spo2", 87.0, 94.0))
    sessions = s.close(3600)
    return SessionTimeline(sessions, sessions.resolve("latest"))


def test_the_view_picks_levels_far_out_and_values_close_up(tmp_path):
    tl = _session(tmp_path)
    whole = tl.traces(tl.start, tl.end, 300)  # 12 s a pixel: 10 s buckets
    assert whole[("pulseox", "spo2")].width == 10.0 and whole[("pulseox", "pleth")].width == 10.0
    assert np.nanmin(whole[("pulseox", "spo2")].lo) == 87.0  # the 1-s dip survives decimation
    close = tl.traces(T0 + 60, T0 + 60 + RAW_WAVE_S, 1000)
    assert close[("pulseox", "spo2")].width == 0.0 and close[("pulseox", "pleth")].width == 0.0
    assert np.count_nonzero(~np.isnan(close[("pulseox", "pleth")].mean)) == int(RAW_WAVE_S * 75)
    middle = tl.traces(T0, T0 + 1200, 1000)  # 1.2 s a pixel: the pleth's 1-s envelope
    assert middle[("pulseox", "pleth")].width == 1.0 and middle[("pulseox", "spo2")].width == 0.0


def test_a_gap_is_never_bridged_by_a_line(tmp_path):
    tl = _session(tmp_path)
    raw = tl.traces(T0 + 1000, T0 + 2000, 2000)[("pulseox", "spo2")]
    inside = (raw.t > T0 + 1199) & (raw.t < T0 + 1800)
    assert np.isnan(raw.mean[inside]).all() and inside.any()
    wide = tl.traces(tl.start, tl.end, 300)[("pulseox", "spo2")]
    hole = (wide.t > T0 + 1199) & (wide.t < T0 + 1800)
    assert np.isnan(wide.mean[hole]).all() and hole.any()


def test_marks_and_the_cursor_readout(tmp_path):
    tl = _session(tmp_path)
    assert [(m.t - T0, m.kind, m.text) for m in tl.marks()] == [
        (300, "infusion", "infusion started"), (300, "phase", "phase: infusion"),
        (900, "infusion", "infusion paused: nausea"), (950, "event", "Nausea: mild"), (1000, "scale", "MOAA/S 4")]
    r = tl.readout(T0 + 2010)
    assert r.values[("pulseox", "spo2")] == 97.0 and r.bp.sbp == 150.0 and r.bp_age_s == 1310
    assert r.infusion.state == "paused" and r.infusion.reason == "nausea" and r.phase == "infusion"
    assert [a.alarm_id for a in r.alarms] == ["a1"]
    assert tl.readout(T0 + 1500).values[("pulseox", "spo2")] is None  # in the hole: no value, not the last one
    assert tl.readout(T0 + 50).bp is None and tl.readout(T0 + 350).infusion.state == "running"


def test_a_zoom_cuts_levels_read_once_and_they_equal_the_stored_window(tmp_path):
    tl = _session(tmp_path)
    asked = []
    read = tl.source.levels
    tl.source.levels = lambda *args, **kw: asked.append(args) or read(*args, **kw)
    for k in range(5):  # five zooms at the pleth's 1-s envelope: one read of that width, then none
        t0 = T0 + 100 * k
        mine = tl.levels(1.0, t0, t0 + 400)[("pulseox", "pleth")]
        stored = read(tl.meta, 1.0, t0, t0 + 400)[("pulseox", "pleth")]
        assert np.array_equal(mine.t, stored.t) and np.array_equal(mine.hi, stored.hi)
    assert len(asked) == 1
