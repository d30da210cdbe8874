"""Alarm latency: last byte of a frame that meets a zero-delay condition written to a pty -> alarm.

Product: the real chain. A CMS50D+ byte stream (60 frames/s, like the
device) goes into a pty; the app's MonitorCore reads it through pyserial and
its reader thread, and an offscreen MainWindow paints at its normal 25 Hz.
The SpO2 delay is set to 0 through the core (as a user would in the limits
dialog). Each round switches the stream from SpO2 98 to 92 (medium alarm,
below 94; medium does not latch) and back, alternately raising and clearing.
Two times are taken from the perf_counter stamp taken just before os.write()
for the first frame with the new value: (a) the RAISED AlarmEvent reaching a
core listener, (b) the alarm bar showing it (polled in the Qt event loop, so
this includes the window's 40 ms frame timer).

Baseline: the naive way of writing a monitor: a loop that reads the port with
a 1 s timeout (read(4096), so it returns once a second), keeps the last value
and checks the limit on a 1 Hz timer, which is also when it would repaint.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import tty
from pathlib import Path

import numpy as np
import serial

from devices.cms50dplus import FRAME_RATE, SETTINGS, Cms50dPlusParser, Frame, encode
from devices.spec import DeviceSpec
from devices.values import Sample
from monitor.alarms import AlarmEvent, EventKind

NORMAL, LOW = 98, 92
LIMIT = 94  # the ketamine profile's medium low SpO2 limit


class FrameStream:
    """Writes CMS50D+ frames into a pty at the device rate; switch() changes SpO2 and stamps the write."""

    def __init__(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        self.master, self.slave = master, slave
        self.path = os.ttyname(slave)
        self.spo2 = NORMAL
        self._wanted = NORMAL
        self._stamp: list[int] = []
        self._switched = threading.Event()
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-stream", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        period = 1.0 / FRAME_RATE
        next_t = time.perf_counter()
        pleth = 0
        while not self._halt.is_set():
            value = self._wanted
            frame = encode(Frame(signal=8, pleth=pleth, bar=5, pulse_rate=72, spo2=value))
            # stamped just before the write: stamped after it, a preempted writer could see the reader
            # raise the alarm first (a negative latency); before it, the ~µs write is counted instead
            stamp = time.perf_counter_ns()
            os.write(self.master, frame)
            if value != self.spo2:
                self.spo2 = value
                self._stamp.append(stamp)
                self._switched.set()
            pleth = (pleth + 3) % 128
            next_t += period
            time.sleep(max(0.0, next_t - time.perf_counter()))

    def switch(self, spo2: int) -> int:
        """Make the next frame carry spo2; return the perf_counter_ns when its last byte was written."""
        self._switched.clear()
        self._wanted = spo2
        if not self._switched.wait(2.0):
            raise RuntimeError("frame writer stalled")
        return self._stamp[-1]

    def close(self) -> None:
        self._halt.set()
        self._thread.join(2.0)
        os.close(self.master)
        os.close(self.slave)


def product(rounds: int) -> tuple[np.ndarray, np.ndarray]:
    """Return latencies (ms) frame -> alarm event and frame -> alarm bar, over `rounds` raised alarms."""
    from PySide6.QtWidgets import QApplication

    from monitor.live.core import MonitorCore
    from monitor.storage.store import Store
    from ui.monitor.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    stream = FrameStream()
    raised: dict[int, int] = {}
    round_no = [0]

    def on_event(e: AlarmEvent) -> None:  # core thread
        if e.kind is EventKind.RAISED and e.condition == "spo2_low" and round_no[0] not in raised:
            raised[round_no[0]] = time.perf_counter_ns()

    with tempfile.TemporaryDirectory() as tmp:
        core = MonitorCore(Store(Path(tmp) / "bench.db"), [DeviceSpec("pulseox", "cms50dplus", stream.path)])
        core.on_alarm_event(on_event)
        core.start(operator="bench")
        window = MainWindow(core)
        window.resize(1280, 800)
        window.show()
        try:
            core.set_limit("spo2", "delay_s", 0.0, "bench")
            bar = window.alarm_bar.physio  # the physiological alarm field
            wait_qt(app, lambda: core.snapshot().primary("spo2") is not None, 10.0)
            to_event, to_bar = [], []
            for i in range(rounds + 1):  # round 0 warms up (first paint of the bar in alarm), not counted
                round_no[0] = i
                t0 = stream.switch(LOW)
                wait_qt(app, lambda: "SpO₂" in bar.headline.full_text() and bar.headline.full_text().startswith("!!"),
                        5.0)
                shown = time.perf_counter_ns()
                wait_qt(app, lambda: i in raised, 5.0)
                to_event.append((raised[i] - t0) / 1e6)
                to_bar.append((shown - t0) / 1e6)
                stream.switch(NORMAL)
                wait_qt(app, lambda: bar.headline.full_text() == "No physiological alarm", 5.0)
        finally:
            window.close()
            core.stop()
            stream.close()
    return np.array(to_event[1:]), np.array(to_bar[1:])


def wait_qt(app, done, timeout_s: float) -> None:
    """Run the Qt event loop until done() (checked every ~0.2 ms); TimeoutError after timeout_s."""
    end = time.perf_counter() + timeout_s
    while not done():
        app.processEvents()
        if time.perf_counter() > end:
            raise TimeoutError("alarm not shown in time")
        time.sleep(0.0002)


def naive(rounds: int) -> np.ndarray:
    """Return latencies (ms) frame -> alarm of the naive loop (1 s read timeout, 1 Hz check)."""
    stream = FrameStream()
    port = serial.Serial(stream.path, baudrate=SETTINGS.baudrate, parity=SETTINGS.parity, timeout=1.0)
    parser = Cms50dPlusParser()
    latest: list[float | None] = [None]
    alarm_at: list[int | None] = [None]
    halt = threading.Event()

    def reader() -> None:
        while not halt.is_set():
            for item in parser.feed(port.read(4096), time.time()):
                if isinstance(item, Sample) and item.param == "spo2":
                    latest[0] = item.value

    def checker() -> None:
        while not halt.wait(1.0):
            in_alarm = latest[0] is not None and latest[0] < LIMIT
            if in_alarm and alarm_at[0] is None:
                alarm_at[0] = time.perf_counter_ns()
            elif not in_alarm:
                alarm_at[0] = None

    threads = [threading.Thread(target=reader, daemon=True), threading.Thread(target=checker, daemon=True)]
    for t in threads:
        t.start()
    out = []
    try:
        for _ in range(rounds):
            t0 = stream.switch(LOW)
            deadline = time.perf_counter() + 10
            while alarm_at[0] is None and time.perf_counter() < deadline:
                time.sleep(0.001)
            if alarm_at[0] is None:
                raise TimeoutError("naive monitor never alarmed")
            out.append((alarm_at[0] - t0) / 1e6)
            stream.switch(NORMAL)
            while alarm_at[0] is not None and time.perf_counter() < deadline + 10:
                time.sleep(0.001)
    finally:
        halt.set()
        for t in threads:
            t.join(3.0)
        port.close()
        stream.close()
    return np.array(out)


#: The arguments of a `--quick` smoke run (bench/__main__.py).
QUICK = {"rounds": 3, "naive_rounds": 1}


def run(rounds: int = 200, naive_rounds: int = 12) -> list[str]:
    """Return the figure lines (BENCHMARKS.md format)."""
    to_event, to_bar = product(rounds)
    base = naive(naive_rounds)
    lines = []
    for what, values in (("alarm event", to_event), ("alarm bar shown", to_bar)):
        for q in (50, 99):
            ours, theirs = np.percentile(values, q), np.percentile(base, q)
            lines.append(f"alarm latency p{q} (frame to {what}, {len(values)} alarms): {ours:.1f} ms "
                         f"(baseline {theirs:.0f} ms, ratio x{theirs / ours:.0f})")
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
