"""Playback: a stored session replayed through a monitor core on an in-memory database, at 1x to 60x."""

from __future__ import annotations

import pytest

from devices.values import NibpResult, WaveSegment, sample
from monitor.alarms.model import EventKind
from monitor.timefmt import clock_text
from monitor.clinical.infusion import InfusionState
from monitor.live.playback import PlaybackClock, checked_speed, start_playback
from monitor.storage.sessions import SqliteSessions
from test_summary import _infusion
from written import T0, Session, digest


def _stored(tmp_path) -> Session:
    s = Session(tmp_path)
    for k in range(120):  # 2 min: SpO2 97, a desaturation to 85 from 40 s to 70 s; pleth at 75 Hz
        s.rec.put(sample(T0 + k, "pulseox", "spo2", 85.0 if 40 <= k < 70 else 97.0))
        s.rec.put(sample(T0 + k, "pulseox", "pulse_rate", 70.0))
        s.rec.put(WaveSegment(T0 + k + 74 / 75, "pulseox", "pleth", tuple(float(i) for i in range(75)), 75.0))
    s.rec.put(NibpResult(T0 + 10, "nibp", 128.0, 80.0, 96.0, 70.0))
    for ev in _infusion([(0.25, "start", ""), (1.0, "pause", "nausea"), (1.5, "resume", "")]):
        s.rec.journal(ev, ev.user, t=ev.t)
    s.close(120)
    return s


@pytest.mark.slow
def test_a_session_plays_back_through_a_core_that_records_nothing_to_the_file(tmp_path):
    s = _stored(tmp_path)
    before = digest(s.db)
    sessions = SqliteSessions(s.db)
    meta = sessions.resolve("latest")
    playback = start_playback(SqliteSessions(s.db), meta, speed=60)
    events = []
    playback.core.on_alarm_event(events.append)
    assert playback.finished.wait(60), "the playback did not reach the end"
    core = playback.core
    try:
        snap = core.snapshot()
        assert snap.primary("spo2").value == 97.0 and snap.latest_nibp().last.sbp == 128.0
        assert snap.primary_sweep() is not None
        status = core.infusion_status()
        assert status.state is InfusionState.RUNNING
        # 45 s ran before the pause and 30 s after the resume, at 150 mL/h of 0.35 mg/mL
        assert status.delivered_mg == pytest.approx(150 * 0.35 * 75 / 3600, abs=0.05)
        raised = [e for e in events if e.kind is EventKind.RAISED and e.param == "spo2"]
        assert raised and raised[0].priority.label == "high"
        assert T0 + 40 <= raised[0].t <= T0 + 70  # the session's time, not the computer's
        view = core.view()
        assert view.t == T0 + 120 and view.header.clock == clock_text(view.t)  # the clock stands at the end
        assert snap.primary("spo2").t <= T0 + 120 and snap.latest_nibp().last.t == T0 + 10
        assert core.store.path == ":memory:"
    finally:
        playback.stop()
    assert [m.id for m in SqliteSessions(s.db).sessions()] == [meta.id]
    assert digest(s.db) == before


def test_a_playback_started_later_has_the_earlier_steps_done(tmp_path):
    s = _stored(tmp_path)
    meta = SqliteSessions(s.db).resolve("latest")
    playback = start_playback(SqliteSessions(s.db), meta, start_at=T0 + 100, speed=60)
    try:
        assert playback.finished.wait(60)
        status = playback.core.infusion_status()
        assert status.delivered_mg == pytest.approx(150 * 0.35 * 75 / 3600, abs=0.05)
    finally:
        playback.stop()


def test_speed_and_start_are_checked():
    with pytest.raises(ValueError, match="from 1x to 60x"):
        checked_speed(120)
    with pytest.raises(ValueError, match="from 1x to 60x"):
        checked_speed(0.5)


def test_the_clock_runs_at_speed_and_pauses(clock):
    playback = PlaybackClock(1000.0, 10, mono=clock)
    clock.t = 2.0
    assert playback.position() == 1020.0
    playback.set_paused(True)
    clock.t = 5.0
    assert playback.position() == 1020.0
    playback.set_paused(False)
    playback.set_speed(60)
    clock.t = 6.0
    assert playback.position() == 1080.0 and playback() == 1080.0


def test_the_clock_stands_still_at_the_sessions_end(clock):
    playback = PlaybackClock(1000.0, 60, mono=clock, end=1120.0)
    clock.t = 1.0
    assert playback.position() == 1060.0
    clock.t = 100.0  # long after the end: nothing runs on, paused or not
    assert playback.position() == 1120.0
    playback.set_paused(True)
    playback.set_paused(False)
    clock.t = 200.0
    assert playback.position() == 1120.0
    playback.jump(1010.0)  # back within the session, it runs again
    clock.t = 201.0
    assert playback.position() == 1070.0


def test_a_start_outside_the_session_is_refused(tmp_path):
    s = _stored(tmp_path)
    meta = SqliteSessions(s.db).resolve("latest")
    with pytest.raises(ValueError, match="within the session"):
        start_playback(SqliteSessions(s.db), meta, start_at=T0 + 500)
