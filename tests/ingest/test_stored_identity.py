"""Import and replay store exactly what they stored before they were made fast: every row, byte for byte.

A real-stream capture (tests/real_streams.py: a noisy line at first, the probe
off for the first minute) of a monitor with a device clock and a pleth is imported,
and the imported session replayed; each table's rows of each session are
digested, session ids left out. The digests in stored_identity.json were
taken with the code before the import's speed work (issue 21). A change
that alters what a capture stores on purpose (a parser that now reads a
field) writes new ones: `python tests/ingest/test_stored_identity.py`, and
says why in its commit.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path

from real_streams import ProbeOffUntil, corrupt

from devices.carescape.simulator import CarescapeSimulator
from devices.sim.capture import device_bytes
from monitor.ingest.capture import Capture, import_capture
from monitor.ingest.replay import replay
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store

GOLDEN = Path(__file__).with_name("stored_identity.json")
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


def imported_and_replayed(tmp: Path) -> dict[str, dict[str, str]]:
    """Import the capture, replay the imported session; return the digests of both sessions."""
    device = ProbeOffUntil(CarescapeSimulator(epoch=EPOCH), until=60.0)
    path = tmp / "carescape.bin"
    data = device_bytes("carescape", 900, scenario="ketamine", nibp_every_s=300, device=device)
    path.write_bytes(corrupt(data[:20_000], seed=3) + data[20_000:])  # a noisy line in the first seconds
    os.utime(path, (MTIME, MTIME))
    store = Store(tmp / "s.db")
    try:
        imported = import_capture(store, Capture.open("carescape", path)).session_id
        replayed = replay(store, SqliteSessions(store.path), str(imported)).session_id
    finally:
        store.close()
    return {"import": digests(tmp / "s.db", imported), "replay": digests(tmp / "s.db", replayed)}


def test_import_and_replay_store_what_they_stored_before(tmp_path):
    found = imported_and_replayed(tmp_path)
    assert found == json.loads(GOLDEN.read_text())
    assert found["import"]["levels"] != "0 rows" and found["replay"]["waveform_chunks"] != "0 rows"


if __name__ == "__main__":  # write the digests anew (see the module's docstring)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp_dir:
        GOLDEN.write_text(json.dumps(imported_and_replayed(Path(tmp_dir)), indent=1) + "\n")
