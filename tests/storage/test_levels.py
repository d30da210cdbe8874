"""Decimated levels: known buckets, the recorder's levels equal those computed from the stored values,
sessions without levels get them in memory, and reading never writes to the file."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from devices.values import WaveSegment, sample
from monitor.review.sessions_list import session_line
from monitor.storage.levels import NUMERIC_WIDTHS, WAVE_WIDTHS, LevelBuilder, decimate, wave_times
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store
from monitor.review.timeline import SessionTimeline
from written import T0, Session, digest

FIXTURE = Path(__file__).parent.parent / "fixtures" / "release-0.1.0.db"


def test_decimate_gives_count_min_max_mean_per_aligned_bucket():
    t = np.array([25.0, 0.5, 1.2, 9.9, 10.0, 26.0])
    v = np.array([7.0, 1.0, 5.0, np.nan, 3.0, 2.0])
    lv = decimate("pulseox", "spo2", t, v, 10.0)
    assert lv.t.tolist() == [0.0, 10.0, 20.0] and lv.n.tolist() == [2, 1, 2]
    assert (lv.lo.tolist(), lv.hi.tolist(), lv.mean.tolist()) == ([1.0, 3.0, 2.0], [5.0, 3.0, 7.0], [3.0, 3.0, 4.5])
    assert lv.window(12.0, 20.0).t.tolist() == [10.0]  # the buckets overlapping [12, 20)
    assert decimate("pulseox", "spo2", np.zeros(0), np.zeros(0), 10.0).t.size == 0


@pytest.mark.parametrize("runs", [2, 5, 63, 64, 400])
def test_values_in_runs_of_time_order_give_the_buckets_of_the_values_sorted(runs):
    """An import's device clock measured again steps back: runs in time order are bucketed each and merged (under
    MAX_RUNS), or sorted; either way the buckets of the same values in time order."""
    rng = np.random.default_rng(runs)
    pieces = [T0 + np.sort(rng.uniform(0, 30, 200)) + 25 * k for k in range(runs)]  # each overlaps the one before
    t = np.concatenate(pieces)
    v = rng.normal(95, 3, len(t))
    v[rng.integers(0, len(t), 20)] = np.nan
    order = np.argsort(t, kind="stable")
    for width in (1.0, 10.0, 60.0):
        got, sorted_ = decimate("p", "spo2", t, v, width), decimate("p", "spo2", t[order], v[order], width)
        assert got.t.tolist() == sorted_.t.tolist() and got.n.tolist() == sorted_.n.tolist()
        assert got.lo.tolist() == sorted_.lo.tolist() and got.hi.tolist() == sorted_.hi.tolist()
        assert np.allclose(got.mean, sorted_.mean, rtol=1e-13, atol=0)  # summed in another order


def test_wave_times_of_chunks_of_several_sizes_and_rates_are_each_chunks_own():
    ends = [(10.0, 4, 2.0), (12.0, 4, 2.0), (12.5, 1, 2.0), (13.0, 3, 100.0), (14.0, 4, 2.0)]
    each = np.concatenate([t1 - np.arange(n)[::-1] / rate for t1, n, rate in ends])
    assert wave_times(ends).tolist() == each.tolist()
    assert wave_times([]).tolist() == []


def test_a_bucket_filled_over_several_flushes_is_one_row_with_the_whole_aggregate(tmp_path):
    store = Store(tmp_path / "s.db")
    sid = store.create_session(started_utc=T0)
    builder = LevelBuilder(sid)
    rng = np.random.default_rng(3)
    values = rng.normal(95, 2, 300)
    for start in range(0, 300, 7):  # flushes that cut through buckets
        for k in range(start, min(start + 7, 300)):
            builder.add_numeric("pulseox", "spo2", T0 + k * 0.5, float(values[k]), frozenset())
        store.write_batch({"levels": builder.rows()})
    sessions = SqliteSessions(tmp_path / "s.db")
    meta = sessions.resolve("latest")
    for width in NUMERIC_WIDTHS:
        stored = sessions.levels(meta, width)[("pulseox", "spo2")]
        expected = decimate("pulseox", "spo2", T0 + np.arange(300) * 0.5, values, width)
        assert stored.t.tolist() == expected.t.tolist() and stored.n.tolist() == expected.n.tolist()
        assert np.allclose(stored.lo, expected.lo) and np.allclose(stored.hi, expected.hi)
        assert np.allclose(stored.mean, expected.mean)


class NoStoredLevels(SqliteSessions):
    """A source that keeps no levels (as a session recorded before they existed)."""

    def levels(self, meta, width, t0=None, t1=None):
        return None


def test_recorded_levels_equal_those_computed_from_the_values(tmp_path):
    s = Session(tmp_path)
    rng = np.random.default_rng(5)
    for k in range(240):  # 4 min: 75 Hz pleth in reads of 25 samples, SpO2 and pulse at 1 Hz
        t = T0 + k
        for part in range(3):
            wave = tuple(rng.normal(50, 20, 25).tolist())
            s.rec.put(WaveSegment(t + (part + 1) * 25 / 75, "pulseox", "pleth", wave, 75.0))
        flags = frozenset({"artifact"}) if k % 50 == 7 else frozenset()
        s.rec.put(sample(t, "pulseox", "spo2", 90.0 + k % 9, flags=flags))
        s.rec.put(sample(t, "pulseox", "pulse_rate", None if k % 30 == 0 else 60.0 + k % 13))
    sessions = s.close(300)
    meta = sessions.resolve("latest")
    computed = SessionTimeline(NoStoredLevels(s.db), meta)
    for width in sorted(set(NUMERIC_WIDTHS + WAVE_WIDTHS)):
        stored = sessions.levels(meta, width)
        mine = computed.levels(width)
        assert set(stored) == set(mine)
        for key in stored:
            a, b = stored[key], mine[key]
            assert a.t.tolist() == b.t.tolist() and a.n.tolist() == b.n.tolist(), (key, width)
            assert np.allclose(a.lo, b.lo) and np.allclose(a.hi, b.hi) and np.allclose(a.mean, b.mean)
    spo2 = sessions.levels(meta, 60.0)[("pulseox", "spo2")]
    assert spo2.n.sum() == 240 - 5 and spo2.lo.min() == 90 and spo2.hi.max() == 98  # the 5 artefacts left out
    assert ("pulseox", "pleth") not in sessions.levels(meta, 10.0, T0 + 1000, T0 + 2000)


def test_an_old_session_gets_levels_in_memory_and_its_file_is_left_alone(tmp_path):
    copy = tmp_path / "old.db"
    shutil.copy(FIXTURE, copy)
    before = digest(copy)
    sessions = SqliteSessions(copy)
    meta = sessions.resolve("1")
    assert sessions.levels(meta, 10.0) is None
    timeline = SessionTimeline(sessions, meta)
    traces = timeline.traces(meta.started_utc, meta.ended_utc, 800)
    assert {("pulseox", "spo2"), ("pulseox", "pleth")} <= set(traces)
    assert timeline.levels(1.0)[("pulseox", "pleth")].n.sum() > 0
    assert session_line(sessions, meta).min_spo2 == timeline.summary().to_json()["min_spo2"] == 83.0
    sessions.close()
    assert digest(copy) == before


def test_the_levels_table_arrives_with_a_migration_and_old_rows_stay(tmp_path):
    copy = tmp_path / "old.db"
    shutil.copy(FIXTURE, copy)
    Store(copy).close()
    sessions = SqliteSessions(copy)
    assert sessions.levels(sessions.resolve("1"), 10.0) is None  # nothing invented for the old session
    assert len(list(sessions.numerics(sessions.resolve("1")))) > 0


@pytest.mark.parametrize("width", WAVE_WIDTHS)
def test_wave_levels_know_every_sample_of_the_chunk(tmp_path, width):
    builder = LevelBuilder(1)
    builder.add_wave("pulseox", "pleth", 100.0 - 1 / 75, np.arange(75, dtype=np.float32), 75.0)
    rows = builder.rows().dicts()
    assert sum(r["n"] for r in rows if r["width"] == width) == 75
    assert min(r["lo"] for r in rows if r["width"] == width) == 0 and max(r["hi"] for r in rows) == 74
