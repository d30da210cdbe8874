"""EDF+ of monitors that send the pleth in blocks with arrival jitter, read back with pyedflib.

A CARESCAPE sends 100 samples once a second, an IntelliVue 32 every 256 ms;
each block arrives a few tenths of a second early or late. The file must hold
every stored sample once, in order, each next to the one taken before it, with
"no value" only where the monitor really sent nothing.
"""

from __future__ import annotations

from datetime import timezone

import numpy as np
import pytest

from export_session import LATENCY_S, make_block_session
from monitor.export.run import export_session
from monitor.export.stretches import stretches
from monitor.storage.sessions import SqliteSessions

CARESCAPE = dict(rate=100.0, block=100, jitter=(-0.23, 0.31))
INTELLIVUE = dict(rate=125.0, block=32, jitter=(-0.06, 0.12))


def pleth_of(tmp_path, **session) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Store a block session, export it as EDF+ and read it back.

    Return when each sample sent was taken and its value, and where the file
    holds a value: when (UTC epoch s) and what; plus the mask of "no value"
    samples in the file.
    """
    import pyedflib

    taken, sent = np.array(make_block_session(tmp_path / "s.db", **session)).T
    sessions = SqliteSessions(tmp_path / "s.db")
    export_session(sessions, sessions.resolve("latest"), "edf", tmp_path / "s.edf")
    with pyedflib.EdfReader(str(tmp_path / "s.edf")) as f:
        i = f.getSignalLabels().index("Pleth monitor")
        start = f.getStartdatetime().replace(tzinfo=timezone.utc).timestamp()  # the session's zone is UTC
        pleth, floor, rate = f.readSignal(i), f.getPhysicalMinimum(i), f.getSampleFrequency(i)
    no_value = np.isclose(pleth, floor, atol=0.01)
    return taken, sent, np.column_stack((start + np.flatnonzero(~no_value) / rate, pleth[~no_value])), no_value


def runs_of_no_value(no_value: np.ndarray) -> list[tuple[int, int]]:
    """Return (first, end) of each run of "no value" samples between the first and last real sample."""
    real = np.flatnonzero(~no_value)
    inside = no_value[real[0]:real[-1] + 1]
    edges = np.diff(np.concatenate(([0], inside.astype(int), [0])))
    return [(int(a) + int(real[0]), int(b) + int(real[0])) for a, b in
            zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1))]


@pytest.mark.parametrize("device", [CARESCAPE, INTELLIVUE], ids=["carescape", "intellivue"])
def test_jittered_blocks_are_one_stretch_with_every_sample_once(tmp_path, device):
    taken, sent, written, no_value = pleth_of(tmp_path, seconds=180.0, **device)
    assert len(sent) > 179 * device["rate"] and len(written) == len(sent)  # 18,000 (22,496) in, as many out
    assert written[:, 1] == pytest.approx(sent, abs=0.05)  # in order, none doubled, none lost
    assert runs_of_no_value(no_value) == []  # no "no value" spike inside the stretch
    assert np.abs(written[:, 0] - taken).max() <= LATENCY_S + device["jitter"][1]  # each where it was taken


@pytest.mark.parametrize("device", [CARESCAPE, INTELLIVUE], ids=["carescape", "intellivue"])
def test_a_real_gap_is_no_value_and_each_stretch_is_where_it_was_taken(tmp_path, device):
    rate = device["rate"]
    taken, sent, written, no_value = pleth_of(tmp_path, seconds=120.0, gaps=((40.0, 47.0),), **device)
    assert len(written) == len(sent) and written[:, 1] == pytest.approx(sent, abs=0.05)
    [(first, end)] = runs_of_no_value(no_value)  # one hole: the 7 s in which the monitor sent nothing
    assert (end - first) / rate == pytest.approx(7.0, abs=LATENCY_S + device["jitter"][1])
    assert np.abs(written[:, 0] - taken).max() <= LATENCY_S + device["jitter"][1]  # before and after the gap


def stored(blocks: list[tuple[float, int]], rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Return times and values as the store gives them for blocks of (arrival of the last sample, samples)."""
    times = [arrival - np.arange(n)[::-1] / rate for arrival, n in blocks]
    t = np.concatenate(times)
    return t, np.arange(len(t), dtype=float)


def test_a_late_block_and_the_burst_after_it_are_closed_up():
    rate = 100.0
    arrivals = [1.3 + s for s in range(60)]
    arrivals[30] += 2.5  # a USB adapter held one block back; the next came right after it
    arrivals[31] = arrivals[30] + 0.01
    pieces = stretches(*stored([(a, 100) for a in arrivals], rate), rate)
    assert sum(len(p.values) for p in pieces) == 6000
    assert all(b.start == pytest.approx(a.end(rate)) for a, b in zip(pieces, pieces[1:]))  # no hole between
    assert np.concatenate([p.values for p in pieces]) == pytest.approx(np.arange(6000))


def test_a_gap_after_a_long_seamless_stretch_is_kept():
    rate = 125.0
    t, v = stored([(1000.0, 125_000), (1005.0 + 32 / rate, 32), (1005.256 + 32 / rate, 32)], rate)
    first, second = stretches(t, v, rate)
    assert len(first.values) == 125_000 and len(second.values) == 64
    assert second.start - first.end(rate) == pytest.approx(5.0, abs=0.01)  # the 5 s the monitor sent nothing
