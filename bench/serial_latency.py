"""Serial-to-screen latency: last byte of a frame written to a pty -> value in the UI's live state.

Product: the reader returns at the first byte and reads what is waiting.
Baseline (the naive way): read(4096) with the port's 50 ms timeout, which
waits for the timeout whenever fewer than 4096 bytes came.
"""

from __future__ import annotations

import os
import time
import tty

import numpy as np

from devices.cms50dplus import Frame, encode
from devices.reader import open_serial
from devices.spec import DeviceSpec
from monitor.live.core import MonitorCore
from monitor.storage.store import Store


class NaivePort:
    """A port used the naive way: always ask for a big block and wait for the timeout."""

    def __init__(self, inner) -> None:
        self.inner = inner

    @property
    def in_waiting(self) -> int:
        return 0

    def read(self, size: int = 1) -> bytes:
        return self.inner.read(4096)

    def write(self, data: bytes) -> int | None:
        return self.inner.write(data)

    def close(self) -> None:
        self.inner.close()


def measure(frames: int, naive: bool, db: str) -> np.ndarray:
    """Return latencies (s) of `frames` new SpO2 values, each timed from the frame that makes it count."""
    master, slave = os.openpty()
    tty.setraw(slave)
    spec = DeviceSpec("pulseox", "cms50dplus", os.ttyname(slave))
    opener = (lambda s: NaivePort(open_serial(s))) if naive else open_serial
    core = MonitorCore(Store(db), [spec], capture_raw=False, open_port=opener)
    core.start()
    out = []
    try:
        time.sleep(0.3)
        for i in range(frames):
            value = 80 + i % 20
            frame = encode(Frame(pleth=50, pulse_rate=70, spo2=value, signal=8))
            os.write(master, frame)  # a changed number counts at its second packet (the device holds it a second)
            time.sleep(0.005)
            os.write(master, frame)
            sent = time.perf_counter()
            while True:
                latest = core.snapshot().primary("spo2")
                if latest is not None and latest.value == value:
                    out.append(time.perf_counter() - sent)
                    break
                if time.perf_counter() - sent > 2:
                    out.append(float("nan"))
                    break
                time.sleep(0.0005)
            time.sleep(0.005)
    finally:
        core.stop()
        os.close(master)
        os.close(slave)
    return np.array(out)


#: The arguments of a `--quick` smoke run (bench/__main__.py).
QUICK = {"frames": 20, "baseline_frames": 5}


def run(frames: int = 1000, baseline_frames: int = 100) -> list[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        ours = measure(frames, naive=False, db=f"{tmp}/a.db") * 1000
        base = measure(baseline_frames, naive=True, db=f"{tmp}/b.db") * 1000
    lines = []
    for q in (50, 99):
        a, b = np.nanpercentile(ours, q), np.nanpercentile(base, q)
        lines.append(f"serial-to-state latency p{q}: {a:.1f} ms (baseline {b:.1f} ms, ratio x{b / a:.0f})")
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
