"""Each episode is an episode (issue 18): a condition that ends and returns is a new alarm in every reader.

Three unacknowledged desaturations used to be one alarm (the latched one re-raised under its id): one
alarm in the summary, PDF and HL7, one EDF annotation as long as the three together. Here they are
written by the engine itself, and as a log from before the fix (one id), and read by every reader of
alarm lives: the summary, the session list, the burden, the review timeline, EDF+ and HL7.
"""

from __future__ import annotations

import pytest

from devices.values import sample
from monitor.alarms import AlarmEngine, load_profile
from monitor.alarms.lives import alarm_lives
from monitor.alarms.model import AlarmEvent, AlarmKind, EventKind, Priority
from monitor.review.sessions_list import session_line
from monitor.review.burden import session_burden
from monitor.export import edf, hl7
from monitor.review.summary import summarize
from monitor.review.timeline import SessionTimeline
from written import T0, Session
from clocks import FakeClock

#: (start s, seconds below 90) of three desaturations, each back to 97 for a minute before the next.
DESATS = ((100, 15), (200, 25), (300, 35))


def _engine_log() -> list[AlarmEvent]:
    """Run the engine through three desaturations to SpO2 85 (never acknowledged); return its log."""
    clock = FakeClock(wall_at_start=T0)
    engine = AlarmEngine(load_profile("ketamine"), clock=clock, wallclock=clock.wall)
    events: list[AlarmEvent] = []
    values = [97.0] * 400
    for start, length in DESATS:
        values[start:start + length] = [85.0] * length
    for k, v in enumerate(values):
        clock.t = float(k)
        events += engine.on_item(sample(T0 + k, "pulseox", "spo2", v))
        for _ in range(4):
            clock.advance(0.25)
            events += engine.tick()
    return events


def _retag(e: AlarmEvent, alarm_id: str) -> AlarmEvent:
    return AlarmEvent(e.t, e.kind, alarm_id, e.condition, e.alarm_kind, e.priority, e.message, e.source, e.param,
                      e.value, e.limit, e.user, e.old, e.new)


@pytest.fixture(params=["engine", "old log"])
def log(request) -> list[AlarmEvent]:
    events = _engine_log()
    if request.param == "old log":
        first = next(e.alarm_id for e in events if e.kind is EventKind.RAISED)
        events = [_retag(e, first) if e.alarm_id else e for e in events]
    return events


def test_the_engine_raises_each_desaturation_under_its_own_id():
    raised = [e for e in _engine_log() if e.kind is EventKind.RAISED]
    assert len(raised) == 3 and len({e.alarm_id for e in raised}) == 3


def test_three_desaturations_are_three_lives_each_as_long_as_itself(log):
    lives = alarm_lives(log, end=T0 + 600)
    assert len(lives) == 3 and len({life.alarm_id for life in lives}) == 3
    assert [life.priority for life in lives] == [Priority.HIGH] * 3
    for life, (start, length) in zip(lives, DESATS):
        assert life.raised_t == T0 + start + 10  # the 10 s delay
        assert life.present_s == pytest.approx(length - 10)  # until the first reading back at 97
        assert life.ended_t == T0 + start + length and life.cleared_t is None  # latched, unacknowledged


def test_an_acknowledgement_clears_every_latched_episode_of_an_old_log():
    events = [_retag(e, "x") if e.alarm_id else e for e in _engine_log()]
    ack = AlarmEvent(T0 + 500, EventKind.ACKNOWLEDGED, "x", "spo2_low", AlarmKind.PHYSIOLOGICAL, Priority.HIGH,
                     "m", "pulseox", "spo2", None, None, "CD")
    cleared = AlarmEvent(T0 + 500, EventKind.CLEARED, "x", "spo2_low", AlarmKind.PHYSIOLOGICAL, Priority.HIGH,
                         "m", "pulseox", "spo2", None, None, "CD")
    lives = alarm_lives([*events, ack, cleared], end=T0 + 600)
    assert [life.alarm_id for life in lives] == ["x", "x.2", "x.3"]
    assert {life.cleared_t for life in lives} == {T0 + 500}
    assert [life.acknowledgements for life in lives] == [((T0 + 500, "CD"),)] * 3


def test_every_reader_counts_three_alarms(tmp_path, log):
    s = Session(tmp_path)
    s.spo2(0, [97.0] * 10)
    for e in log:
        s.rec.put(e)
    sessions = s.close(600)
    meta = sessions.resolve("latest")
    assert summarize(sessions, meta).to_json()["alarms"]["high"] == 3
    assert session_line(sessions, meta).alarms["high"] == 3
    assert len(session_burden(sessions, meta).alarms) == 3
    assert len(SessionTimeline(sessions, meta).alarms) == 3
    record = sessions.record(meta)
    notes = [(duration, text) for _, duration, text in edf.annotations(record) if text.startswith("Alarm")]
    assert [duration for duration, _ in notes] == pytest.approx([length - 10 for _, length in DESATS])
    text = "\n".join(hl7.messages(sessions, meta, split="event"))
    assert text.count("Alarm (high) SpO₂ 85 < 90") == 3


def test_the_apps_own_alarms_are_named_in_words_not_by_their_keys():
    """The alarm history, review and reports named them "Monitor: audio", "Monitor: outcome flag"."""
    from monitor.alarms.keys import AppAlarm
    from monitor.alarms.lives import alarm_subject

    for key in AppAlarm:
        subject = alarm_subject(key.value, "app", "")
        assert subject.startswith("Monitor: ") and subject != f"Monitor: {key.value.replace('_', ' ')}", subject
    assert alarm_subject("audio", "app", "") == "Monitor: no alarm sound"
