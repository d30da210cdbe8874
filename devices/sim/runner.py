"""Runs a protocol simulator on a pseudo-terminal, at the device's real rate.

The host side opens the pty like any serial port, so the whole chain (pyserial,
reader thread, parser) runs exactly as with a USB adapter. Scenario time runs
`speed` times faster than the wall clock; frames are computed on scenario time.
When the scenario or a line fault unplugs the device ('disconnect', +flapping,
+foreign) the pty really goes away and comes back, so the printed path is a
symlink that is re-pointed to the new pty. Line faults (devices.sim.faults)
are written as `SCENARIO+FAULT...`, e.g. 'desat+noisy+flapping'.
"""

from __future__ import annotations

import errno
import os
import tempfile
import threading
import time
import tty

from devices.sim.faults import SimulatedLine, parse_scenario

#: Scenario time may run this much slower or faster than the wall clock: beyond 100 a simulator writes
#: more frames than a pty carries (and than any real device sends); below 0.1 nothing seems to happen.
MIN_SPEED, MAX_SPEED = 0.1, 100.0


def check_speed(speed: float) -> None:
    """Raise ValueError in words if a scenario speed factor is out of bounds (or not a number)."""
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise ValueError(f"speed must be a factor from {MIN_SPEED:g} to {MAX_SPEED:g}, e.g. 1 or 10")


class PtySimulator:
    """One simulated device behind a pty; start() it, read .path, stop() it."""

    def __init__(self, protocol: str, scenario: str = "baseline", speed: float = 1.0, seed: int = 1,
                 stable_path: bool | None = None) -> None:
        check_speed(speed)
        self.line = SimulatedLine(protocol, scenario, seed)
        self.device = self.line.device
        self.patient = self.line.patient
        self.speed = speed
        unplugs = parse_scenario(scenario)[0] == "disconnect" or {"flapping", "foreign"} & set(self.line.faults)
        self._stable = bool(unplugs) if stable_path is None else stable_path
        self._master = -1
        self._slave = -1
        self._link_dir = ""
        self.path = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sim-{protocol}", daemon=True)
        self.bytes_written = 0
        self.bytes_dropped = 0

    def start(self) -> "PtySimulator":
        """Open the pty and start writing; returns self so it chains."""
        self._open_pty()
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop writing and close the pty (the host sees the port vanish)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2.0)
        self._close_pty()
        if self._link_dir:
            try:
                os.unlink(self.path)
                os.rmdir(self._link_dir)
            except OSError:
                pass

    def __enter__(self) -> "PtySimulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _open_pty(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)  # no line discipline: bytes like 0x0D or 0x11 pass unchanged
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        real = os.ttyname(slave)
        if not self._stable:
            self.path = real
            return
        if not self._link_dir:
            self._link_dir = tempfile.mkdtemp(prefix="infusion-sim-")
            self.path = os.path.join(self._link_dir, "port")
        tmp = self.path + ".new"
        os.symlink(real, tmp)
        os.replace(tmp, self.path)

    def _close_pty(self) -> None:
        for fd in (self._master, self._slave):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._master = self._slave = -1

    def _write(self, data: bytes) -> None:
        """Write like a device: if nobody reads and the buffer is full, bytes are lost."""
        try:
            n = os.write(self._master, data)
            self.bytes_written += n
            self.bytes_dropped += len(data) - n
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EIO):
                raise
            self.bytes_dropped += len(data)

    def _read_host(self) -> bytes:
        try:
            return os.read(self._master, 4096)
        except OSError:
            return b""  # EAGAIN: nothing written; EIO: no host has the port open

    def _run(self) -> None:
        line = self.line
        start = time.monotonic()
        pause = min(0.005, self.device.frame_interval / self.speed)
        while not self._stop.is_set():
            t = (time.monotonic() - start) * self.speed
            line.advance(t)
            if line.gone(t):
                if self._master >= 0:
                    self._close_pty()
                self._stop.wait(0.02)
                continue
            if self._master < 0:
                self._open_pty()
                line.reconnected()
            host = self._read_host()
            if host:
                line.write(host, t)
            out = line.take(t)
            if out:
                self._write(out)
            self._stop.wait(pause)
