"""Import: an 8 h capture file of a GE CARESCAPE (DRI, 1.4 kB/s) into a new session.

Target (BENCHMARKS.md): < 10 s for 8 h. Baseline: the naive way, the same
parser with one INSERT and COMMIT per stored value, measured on the first
minutes of the file and scaled to the whole. The values are what this
branch stores: numerics and NIBP results (the pleth is parsed, and stored
once the recorder takes WaveSegments; the baseline then gains its 100
samples a second too).
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path

from devices import registry
from devices.carescape.simulator import CarescapeSimulator
from devices.sim.capture import device_bytes
from devices.values import NibpResult, Sample
from monitor.ingest.capture import Capture, import_capture
from monitor.storage.store import Store

HOURS = 8.0
CHUNK = 350  # bytes per read, a quarter of a second at the nominal rate


def naive_values_per_s(path: Path, db: str, seconds: float = 3.0) -> float:
    """Parse the file and INSERT + COMMIT each stored value, for `seconds`; return values per second."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE IF NOT EXISTS naive (t REAL, parameter TEXT, value REAL)")
    parser, n = registry.get("carescape").parser("pulseox"), 0
    start = time.perf_counter()
    with path.open("rb") as f:
        while (data := f.read(CHUNK)) and (time.perf_counter() - start < seconds or not n):  # a rate of 0 is no rate
            for item in parser.feed(data, time.time()):
                if isinstance(item, Sample):
                    rows = [(item.t, item.param, item.value)]
                elif isinstance(item, NibpResult):
                    rows = [(item.t, "nibp", item.sbp)]
                else:
                    continue
                for row in rows:
                    conn.execute("INSERT INTO naive VALUES (?, ?, ?)", row)
                    conn.commit()
                    n += 1
    rate = n / (time.perf_counter() - start)
    conn.close()
    return rate


#: The arguments of a `--quick` smoke run (bench/__main__.py).
QUICK = {"hours": 0.05, "naive_seconds": 0.2}


def run(hours: float = HOURS, naive_seconds: float = 3.0) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "carescape.bin"
        path.write_bytes(device_bytes("carescape", hours * 3600, scenario="ketamine", device=CarescapeSimulator()))
        store = Store(f"{tmp}/import.db")
        start = time.perf_counter()
        report = import_capture(store, Capture.open("carescape", path))
        elapsed = time.perf_counter() - start
        values = report.stored.numerics + report.stored.nibp
        naive = values / naive_values_per_s(path, f"{tmp}/naive.db", naive_seconds)
        store.close()
    return [f"import of an {hours:g} h capture ({report.capture.size / 1e6:.0f} MB, {values:,} values): "
            f"{elapsed:.1f} s (baseline {naive:.0f} s estimated, ratio x{naive / elapsed:.1f})"]


if __name__ == "__main__":
    print("\n".join(run()))
