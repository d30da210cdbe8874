"""Never a nadir from a doubtful reading (issue 18): every lowest / highest path uses levels.valid.

A noisy line decoded SpO2 0 and 16 and pulse 200 amid a true 96 / 72; the parsers flag such a reading
"questionable" (a jump its neighbours deny), a motion artefact is flagged "artifact". Then no reader may
make it a session's figure: not the summary (JSON and text), the session list (from the stored levels or
from the values), the review's levels, traces and cursor, nor a latched alarm's worst value.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from devices.values import sample
from monitor.alarms import AlarmEngine, load_profile
from monitor.review.sessions_list import session_line
from devices.plausibility import reliable
from monitor.storage.levels import NUMERIC_WIDTHS
from monitor.storage.sessions import SqliteSessions
from monitor.review.timeline import SessionTimeline
from stored import rows
from written import T0, Session
from clocks import FakeClock

DOUBTFUL = [frozenset({"questionable"}), frozenset({"artifact"}), frozenset({"questionable", "low_perfusion"})]


def _noisy_session(tmp_path) -> Session:
    """SpO2 96 and pulse 72 for 100 s, with doubtful 0, 16, 9 SpO2 and 200, 20 pulse readings among them."""
    s = Session(tmp_path)
    for k in range(100):
        t = T0 + k
        spo2, pulse, flags = 96.0, 72.0, frozenset()
        if k in (20, 50, 80):
            spo2, pulse, flags = {20: 0.0, 50: 16.0, 80: 9.0}[k], {20: 200.0, 50: 20.0, 80: 72.0}[k], DOUBTFUL[k // 30]
        s.rec.put(sample(t, "pulseox", "spo2", spo2, flags=flags))
        s.rec.put(sample(t, "pulseox", "pulse_rate", pulse, flags=flags))
    return s


def test_the_rule_itself():
    assert reliable(96.0, frozenset()) and reliable(96.0, frozenset({"low_perfusion"}))
    assert not any(reliable(0.0, flags) for flags in DOUBTFUL)
    assert not reliable(None, frozenset()) and not reliable(float("nan"), frozenset())


def test_the_summary_never_takes_a_flagged_reading_for_a_nadir_or_peak(tmp_path):
    summary = _noisy_session(tmp_path).summary(at=100)
    out = summary.to_json()
    assert (out["min_spo2"], out["peak_pulse"]) == (96.0, 72.0)
    assert summary.pulse.low.value == 72.0
    assert out["seconds_spo2_below_90"] == 0 and out["seconds_spo2_below_94"] == 0
    assert "lowest 96 %" in summary.text() and " 0 %" not in summary.text()


@pytest.mark.parametrize("levels_stored", [True, False])
def test_the_session_list_never_takes_a_flagged_reading_for_the_lowest_spo2(tmp_path, levels_stored):
    sessions = _noisy_session(tmp_path).close(100)
    if not levels_stored:  # a session recorded before levels existed: the list reads the values
        sessions.close()
        with sqlite3.connect(tmp_path / "s.db") as conn:
            conn.execute("DELETE FROM levels")
        conn.close()
        sessions = SqliteSessions(tmp_path / "s.db")
    else:
        assert rows(tmp_path / "s.db", "SELECT min(lo) FROM levels WHERE parameter = 'spo2'") == [(96.0,)]
    assert session_line(sessions, sessions.resolve("latest")).min_spo2 == 96.0


def test_review_levels_traces_and_cursor_leave_flagged_readings_out(tmp_path):
    sessions = _noisy_session(tmp_path).close(100)
    timeline = SessionTimeline(sessions, sessions.resolve("latest"))
    for width in NUMERIC_WIDTHS:
        lv = timeline.levels(width)[("pulseox", "spo2")]
        assert float(lv.lo.min()) == 96.0
        assert float(timeline.levels(width)[("pulseox", "pulse_rate")].hi.max()) == 72.0
    trace = timeline.traces(T0, T0 + 100, 2000)[("pulseox", "spo2")]  # fine enough to draw every value
    assert float(np.nanmin(trace.lo)) == 96.0
    assert timeline.readout(T0 + 20.5).values[("pulseox", "spo2")] is None  # no value at the doubtful second
    assert timeline.summary().spo2.low.value == 96.0


def test_a_latched_alarm_keeps_the_real_nadir_not_a_flagged_reading():
    clock = FakeClock(wall_at_start=T0)
    engine = AlarmEngine(load_profile("ketamine"), clock=clock, wallclock=clock.wall)
    for k, (v, flags) in enumerate([(85.0, frozenset())] * 12 + [(16.0, DOUBTFUL[0]), (85.0, frozenset()),
                                                                  (97.0, frozenset())]):
        clock.t = float(k)
        engine.on_item(sample(T0 + k, "pulseox", "spo2", v, flags=flags))
        engine.tick()
    [alarm] = engine.active()
    assert alarm.latched and alarm.worst == 85.0


def test_charts_and_record_exports_draw_no_flagged_reading(tmp_path):
    """The PDF trend and EDF+ read SessionSource.series; HL7 and FHIR send the thinned numerics: none carries
    a flagged 0, 16 or 9 as the patient's SpO2, while the CSV/JSON numerics keep every reading with its flags."""
    from monitor.export.content import thinned_numerics

    sessions = _noisy_session(tmp_path).close(100)
    meta = sessions.resolve("latest")
    [spo2] = sessions.series(meta, "spo2")
    assert float(np.nanmin(spo2.v)) == 96.0 and int(np.isnan(spo2.v).sum()) == 3
    [pulse] = sessions.series(meta, "pulse_rate")
    assert float(np.nanmax(pulse.v)) == 72.0
    sent = thinned_numerics(sessions, sessions.record(meta))
    assert {r.value for r in sent if r.parameter == "spo2"} == {96.0}
    assert {r.value for r in sessions.numerics(meta) if r.parameter == "spo2"} == {96.0, 0.0, 16.0, 9.0}
