"""Import and replay store exactly what they stored before they were made fast: every row, byte for byte.

Two real-stream captures (tests/real_streams.py) of a monitor with a device
clock and a pleth are imported, and each imported session replayed; each
table's rows of each session are digested, session ids left out:
- stored_identity.json: a noisy line at first, the probe off for the first minute;
- stored_identity_clock.json: a dirty stream whose device clock stands still
  (it repeats, so the rest is timed by the file), with a second recording of
  the same monitor concatenated after it (its clock goes back), NIBP results
  and a noisy line throughout.
The digests were taken with the code before the import's speed work (issue
21). A change that alters what a capture stores on purpose (a parser that
now reads a field) writes new ones: `python tests/ingest/test_stored_identity.py`,
and says why in its commit.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path

import pytest
from real_streams import ProbeOffUntil, corrupt

from devices.carescape.simulator import CarescapeSimulator
from devices.sim.capture import device_bytes
from monitor.ingest.capture import Capture, import_capture
from monitor.ingest.replay import replay
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store

MTIME = 1_750_000_000.0
EPOCH = 1_700_000_000  # the simulated monitor's clock at the capture's start

#: table -> its columns that a capture decides (ids, uids, hosts and wall-clock times of the run left out)
COLUMNS = {
    "sessions": "started_utc, ended_utc, state, end_reason",
    "devices": "role, source, protocol, model, serial_number, firmware",
    "numerics": "t, t_dev, source, parameter, value, unit, flags",
    "nibp": "t, source, sbp, dbp, map, pulse_rate, error_code, error, flags",
    "device_status": "t, source, condition, active, detail",
    "alarms": "t, event, alarm_id, condition, kind, priority, message, source, parameter, value, \"limit\"",
    "journal": "t, kind, v, data",
    "tracks": "track, source, parameter, unit, rate",
    "waveform_chunks": "track, t0, t1, n, samples",
    "levels": "width, t, source, parameter, n, lo, hi, mean",
    "raw_bytes": "t, source, direction, data",
}


def digests(db: Path, session_id: int) -> dict[str, str]:
    """Return a digest of each table's rows of one session, in a fixed order."""
    conn = sqlite3.connect(db)
    try:
        out = {}
        for table, columns in COLUMNS.items():
            key = "id" if table == "sessions" else "session_id"
            rows = conn.execute(f"SELECT {columns} FROM {table} WHERE {key} = ? ORDER BY {columns}",
                                [session_id]).fetchall()
            out[table] = f"{len(rows)} rows {hashlib.sha256(repr(rows).encode()).hexdigest()[:16]}"
        return out
    finally:
        conn.close()


class StandingClock(CarescapeSimulator):
    """A CARESCAPE whose clock stands still from 200 s to 240 s of scenario time (40 records stamped alike)."""

    def frame(self, v):
        self.epoch = EPOCH - max(0, min(int(v.t), 240) - 200)
        return super().frame(v)


def probe_off() -> bytes:
    """Return 15 min with the probe off for the first minute and a noisy line in the first seconds."""
    device = ProbeOffUntil(CarescapeSimulator(epoch=EPOCH), until=60.0)
    data = device_bytes("carescape", 900, scenario="ketamine", nibp_every_s=300, device=device)
    return corrupt(data[:20_000], seed=3) + data[20_000:]


def repeating_clock() -> bytes:
    """Return 10 min whose device clock stands still, then 5 min of the same monitor from earlier, noisy at
    the start and where they join."""
    first = device_bytes("carescape", 600, scenario="ketamine", nibp_every_s=240, device=StandingClock(epoch=EPOCH))
    again = device_bytes("carescape", 300, scenario="ketamine", nibp_every_s=120,
                         device=CarescapeSimulator(epoch=EPOCH + 100))
    return (corrupt(first[:20_000], seed=5) + first[20_000:-20_000] + corrupt(first[-20_000:] + again[:20_000], seed=6)
            + again[20_000:])


CAPTURES = {"stored_identity.json": probe_off, "stored_identity_clock.json": repeating_clock}


def imported_and_replayed(tmp: Path, data: bytes) -> dict[str, dict[str, str]]:
    """Import the capture, replay the imported session; return the digests of both sessions."""
    path = tmp / "carescape.bin"
    path.write_bytes(data)
    os.utime(path, (MTIME, MTIME))
    store = Store(tmp / "s.db")
    try:
        imported = import_capture(store, Capture.open("carescape", path)).session_id
        replayed = replay(store, SqliteSessions(store.path), str(imported)).session_id
    finally:
        store.close()
    return {"import": digests(tmp / "s.db", imported), "replay": digests(tmp / "s.db", replayed)}


@pytest.mark.parametrize("golden", CAPTURES)
def test_import_and_replay_store_what_they_stored_before(tmp_path, golden):
    found = imported_and_replayed(tmp_path, CAPTURES[golden]())
    assert found == json.loads(Path(__file__).with_name(golden).read_text())
    assert found["import"]["levels"] != "0 rows" and found["replay"]["waveform_chunks"] != "0 rows"


if __name__ == "__main__":  # write the digests anew (see the module's docstring)
    import tempfile

    for name, make in CAPTURES.items():
        with tempfile.TemporaryDirectory() as tmp_dir:
            found = imported_and_replayed(Path(tmp_dir), make())
        Path(__file__).with_name(name).write_text(json.dumps(found, indent=1) + "\n")
