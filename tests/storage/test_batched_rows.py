"""The recorder's fast path: batches of items with their times, rows as tuples, many rows per statement."""

from __future__ import annotations

import threading
import time

import pytest
import stored

from devices import supervised
from devices.values import Sample, WaveSegment, sample
from monitor.storage import store as store_module
from monitor.storage.recorder import NUMERIC_COLUMNS, Recorder
from monitor.storage.rows import Tuples
from monitor.storage.store import Store

T0 = 1_700_000_000.0


@pytest.mark.parametrize("count", [1, 999, 2500])
def test_tuples_and_dicts_store_the_same_rows_in_statements_of_many(tmp_path, monkeypatch, count):
    monkeypatch.setattr(store_module, "STATEMENT_ROWS", 1000)
    store = Store(tmp_path / "s.db")
    a, b = store.create_session(), store.create_session()
    values = [(T0 + k, None if k % 7 else T0 + k - 0.5, "pulseox", "spo2", 90.0 + k % 9, "%", "artifact" if k % 5 else None)
              for k in range(count)]
    store.write_batch({"numerics": Tuples(NUMERIC_COLUMNS, [(a, *v) for v in values])})
    store.write_batch({"numerics": [dict(zip(NUMERIC_COLUMNS, (b, *v))) for v in values]})
    query = "SELECT t, t_dev, source, parameter, value, unit, flags FROM numerics WHERE session_id = ? ORDER BY rowid"
    assert stored.rows(store.path, query, [a]) == stored.rows(store.path, query, [b]) == values


def test_a_batch_replaces_a_level_row_written_twice_by_the_last_one(tmp_path):
    store = Store(tmp_path / "s.db")
    sid = store.create_session()
    columns = ("session_id", "width", "t", "source", "parameter", "n", "lo", "hi", "mean")
    rows = [(sid, 10.0, T0 + 10 * (k % 1500), "pulseox", "spo2", k, 90.0, 99.0, 95.0) for k in range(3000)]
    store.write_batch({"levels": Tuples(columns, rows)})
    assert stored.rows(store.path, "SELECT COUNT(*), MIN(n) FROM levels WHERE session_id = ?", [sid]) == [(1500, 1500)]


def started_recorder(tmp_path) -> tuple[Store, Recorder]:
    """Return a new store and a running recorder of a new session in it (no raw capture)."""
    store = Store(tmp_path / "s.db")
    rec = Recorder(store, store.create_session(started_utc=T0), capture_raw=False)
    rec.start()
    return store, rec


def test_a_batch_stores_each_item_at_the_time_given_with_it(tmp_path):
    store, rec = started_recorder(tmp_path)
    wave = WaveSegment(T0 + 5, "pulseox", "pleth", (1.0, 2.0, 3.0), 2.0)
    rec.put_batch([(sample(T0, "pulseox", "spo2", 97.0), T0 + 100), (wave, T0 + 105)])
    rec.stop()
    assert stored.rows(store.path, "SELECT t FROM numerics") == [(T0 + 100,)]
    assert stored.rows(store.path, "SELECT t0, t1, n FROM waveform_chunks") == [(T0 + 104, T0 + 105, 3)]


def fail_once_at_93(monkeypatch) -> None:
    """Make the recorder fail once, at the reading of value 93 (a fault inside a batch)."""
    numeric = Recorder._numeric

    def failing_once(self: Recorder, s: Sample, t: float) -> None:
        if s.value == 93.0 and not hasattr(self, "failed"):
            self.failed = True
            raise RuntimeError("injected fault")
        numeric(self, s, t)
    monkeypatch.setattr(Recorder, "_numeric", failing_once)


def test_a_fault_inside_a_batch_loses_that_item_only(tmp_path, monkeypatch):
    monkeypatch.setattr(supervised, "RESTART_PAUSE_S", 0.05)
    fail_once_at_93(monkeypatch)
    store, rec = started_recorder(tmp_path)
    rec.put_batch([(sample(T0 + k, "pulseox", "spo2", 90.0 + k), T0 + k) for k in range(8)])
    deadline = time.monotonic() + 30
    while not rec.faults:
        assert time.monotonic() < deadline, "the fault did not happen"
        time.sleep(0.01)
    rec.stop()
    assert [f.restarted for f in rec.faults] == [True]
    assert [v for v, in stored.rows(store.path, "SELECT value FROM numerics ORDER BY t")] == [
        90.0, 91.0, 92.0, 94.0, 95.0, 96.0, 97.0]


def test_rows_the_recorder_makes_from_items_cannot_be_given_to_it(tmp_path):
    store = Store(tmp_path / "s.db")
    rec = Recorder(store, store.create_session(), capture_raw=False)
    with pytest.raises(ValueError, match="numerics rows are made by the recorder"):
        rec.put_rows("numerics", [{"t": T0}])


@pytest.mark.slow
def test_batches_wait_while_two_are_not_yet_taken_and_all_are_stored(tmp_path, monkeypatch):
    go = threading.Event()
    device = Recorder._device

    def held(self: Recorder, item, t: float) -> None:
        assert go.wait(30), "the test did not let the recorder go on"
        device(self, item, t)
    monkeypatch.setattr(Recorder, "_device", held)
    store, rec = started_recorder(tmp_path)
    batches = [[(sample(T0 + k, "pulseox", "spo2", 90.0), T0 + 10 * b + k) for k in range(10)] for b in range(3)]
    rec.put_batch(batches[0])  # taken: the recorder holds at its first item
    rec.put_batch(batches[1])
    third = threading.Thread(target=rec.put_batch, args=(batches[2],))
    third.start()
    third.join(0.3)
    assert third.is_alive(), "a third batch was queued while two were not yet taken"
    go.set()
    third.join(30)
    assert not third.is_alive()
    rec.stop()
    assert stored.rows(store.path, "SELECT COUNT(*) FROM numerics")[0][0] == 30


# --- a recorder working in the caller's thread (import, replay: Recorder.take_here) ----------------------------------

def here_recorder(tmp_path) -> tuple[Store, Recorder]:
    """Return a new store and a recorder of a new session in it that is never started (take_here does its work)."""
    store = Store(tmp_path / "s.db")
    return store, Recorder(store, store.create_session(started_utc=T0), capture_raw=False)


def spo2_values(store: Store) -> list[float]:
    return [v for v, in stored.rows(store.path, "SELECT value FROM numerics ORDER BY t")]


def test_in_the_callers_thread_every_item_is_stored_and_the_session_ends_with_its_rows(tmp_path, monkeypatch):
    monkeypatch.setattr("monitor.storage.recorder.FLUSH_INTERVAL_S", 0.0)  # a flush at every take
    store, rec = here_recorder(tmp_path)
    for b in range(3):
        rec.put_batch([(sample(T0 + k, "pulseox", "spo2", 90.0 + k), T0 + 10 * b + k) for k in range(10)])
        rec.take_here()
        assert len(spo2_values(store)) == 10 * (b + 1)  # taken and written in this thread, no thread started
    rec.put_batch([(sample(T0, "pulseox", "spo2", 99.0), T0 + 40)])  # taken by stop()
    rec.stop(store_module.SessionEnd(T0 + 50, "import"))
    assert not rec.is_alive() and rec.ident is None and rec.faults == []
    assert len(spo2_values(store)) == 31
    assert stored.rows(store.path, "SELECT state, ended_utc FROM sessions") == [("closed", T0 + 50)]


def test_in_the_callers_thread_a_fault_loses_the_item_it_hit_and_is_reported(tmp_path, monkeypatch, caplog):
    fail_once_at_93(monkeypatch)
    heard = []
    store = Store(tmp_path / "s.db")
    rec = Recorder(store, store.create_session(started_utc=T0), capture_raw=False, on_fault=heard.append)
    rec.put_batch([(sample(T0 + k, "pulseox", "spo2", 90.0 + k), T0 + k) for k in range(8)])
    rec.take_here()  # goes on after the item it lost, in the same call
    rec.stop()
    assert [(f.thread, f.error, f.restarted) for f in heard] == [("recorder", "RuntimeError: injected fault", True)]
    assert rec.faults == heard and rec.problem is None
    assert spo2_values(store) == [90.0, 91.0, 92.0, 94.0, 95.0, 96.0, 97.0]
    assert any(r.exc_info and "recorder" in r.getMessage() for r in caplog.records)  # with its traceback


def test_in_the_callers_thread_faults_that_recur_stop_the_work_until_stop_writes_the_rest(tmp_path, monkeypatch):
    numeric = Recorder._numeric

    def failing(self: Recorder, s: Sample, t: float) -> None:
        if s.value < 94.0:
            raise RuntimeError(f"injected fault {s.value}")
        numeric(self, s, t)
    monkeypatch.setattr(Recorder, "_numeric", failing)
    store, rec = here_recorder(tmp_path)
    rec.put_batch([(sample(T0 + k, "pulseox", "spo2", 90.0 + k), T0 + k) for k in range(8)])
    rec.take_here()
    assert [f.restarted for f in rec.faults] == [True, True, True, False]  # the fourth in a row: given up
    rec.put_batch([(sample(T0 + 8, "pulseox", "spo2", 98.0), T0 + 8)])  # queued: nothing takes it now
    rec.take_here()
    assert spo2_values(store) == [] and len(rec.faults) == 4
    rec.stop(store_module.SessionEnd(T0 + 10, "import"))  # writes the rest and the end from here
    assert spo2_values(store) == [94.0, 95.0, 96.0, 97.0, 98.0]
    assert stored.rows(store.path, "SELECT state FROM sessions") == [("closed",)]


def test_in_the_callers_thread_a_flush_that_fails_keeps_its_rows_for_the_next(tmp_path, monkeypatch):
    monkeypatch.setattr("monitor.storage.recorder.FLUSH_INTERVAL_S", 0.0)
    store, rec = here_recorder(tmp_path)
    rows = rec._levels.rows

    def failing_once(self=rec._levels):
        if not hasattr(rec, "failed"):
            rec.failed = True
            raise RuntimeError("injected levels fault")
        return rows()
    monkeypatch.setattr(rec._levels, "rows", failing_once)
    rec.put_batch([(sample(T0 + k, "pulseox", "spo2", 95.0), T0 + k) for k in range(5)])
    rec.take_here()
    assert [(f.error, f.restarted) for f in rec.faults] == [("RuntimeError: injected levels fault", True)]
    assert len(spo2_values(store)) == 5  # the take after the fault wrote them
    rec.stop()
    assert len(spo2_values(store)) == 5 and rec.problem is None
