"""Runs a protocol simulator behind a real port, at the device's real rate: a pseudo-terminal or a TCP socket.

The host opens it like any serial port (`/dev/pts/N`, or `socket://127.0.0.1:PORT`,
which pyserial opens on every OS), so the whole chain (pyserial, reader thread,
parser) runs exactly as with a USB adapter. Scenario time runs `speed` times
faster than the wall clock; frames are computed on scenario time. When the
scenario or a line fault unplugs the device ('disconnect', +flapping, +foreign)
the port really goes away and comes back: a pty's printed path is a symlink
re-pointed to the new pty, a socket's client is disconnected and may connect
again. Line faults (devices.sim.faults) are written as `SCENARIO+FAULT...`,
e.g. 'desat+noisy+flapping'.

A pseudo-terminal exists on Linux and macOS only; the in-process `sim:` ports
(devices.sim.port) and the TCP runner need nothing of the OS.
"""

from __future__ import annotations

import errno
import os
import socket
import tempfile
import threading
import time

from devices.sim.faults import SimulatedLine, parse_scenario
from devices.sim.port import check_speed

#: What to say where there is no pseudo-terminal (Windows), and what works there instead.
NO_PTY = ("a simulated serial port needs a pseudo-terminal, which this system (Windows) does not have: "
          "pair two virtual COM ports (com0com) and bridge one, or use 'simulate --tcp PORT' with "
          "--device ROLE=PROTOCOL:socket://127.0.0.1:PORT")


def pty_available() -> bool:
    """Tell whether this system has pseudo-terminals (os.openpty and the tty module: Linux, macOS)."""
    if not hasattr(os, "openpty"):
        return False
    try:
        import tty  # noqa: F401
    except ImportError:
        return False
    return True


class _LineRunner:
    """One simulated device on a port that can vanish: steps its line in scenario time, moves the bytes.

    Subclasses say how the port is opened, closed, read and written; a device
    writes whether or not a host reads, and bytes nobody takes are lost.
    """

    def __init__(self, protocol: str, scenario: str, speed: float, seed: int) -> None:
        check_speed(speed)
        self.line = SimulatedLine(protocol, scenario, seed)
        self.device = self.line.device
        self.patient = self.line.patient
        self.speed = speed
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sim-{protocol}", daemon=True)
        self.bytes_written = 0
        self.bytes_dropped = 0

    def start(self):
        """Open the port and start writing; returns self so it chains."""
        self._open()
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop writing and close the port (the host sees it vanish)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2.0)
        self._close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _open(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    def _is_open(self) -> bool:
        raise NotImplementedError

    def _read_host(self) -> bytes:
        """Return what the host wrote since the last call (b"" if nothing, or no host)."""
        raise NotImplementedError

    def _send(self, data: bytes) -> int:
        """Write what the port takes now; return how many bytes it took (0 if none, or no host)."""
        raise NotImplementedError

    def _write(self, data: bytes) -> None:
        n = self._send(data)
        self.bytes_written += n
        self.bytes_dropped += len(data) - n

    def _run(self) -> None:
        line = self.line
        start = time.monotonic()
        pause = min(0.005, self.device.frame_interval / self.speed)
        while not self._stop.is_set():
            t = (time.monotonic() - start) * self.speed
            line.advance(t)
            if line.gone(t):
                if self._is_open():
                    self._close()
                self._stop.wait(0.02)
                continue
            if not self._is_open():
                self._open()
                line.reconnected()
            host = self._read_host()
            if host:
                line.write(host, t)
            out = line.take(t)
            if out:
                self._write(out)
            self._stop.wait(pause)


class PtySimulator(_LineRunner):
    """One simulated device behind a pty; start() it, read .path, stop() it (Linux and macOS only)."""

    def __init__(self, protocol: str, scenario: str = "baseline", speed: float = 1.0, seed: int = 1,
                 stable_path: bool | None = None) -> None:
        if not pty_available():
            raise ValueError(NO_PTY)
        super().__init__(protocol, scenario, speed, seed)
        unplugs = parse_scenario(scenario)[0] == "disconnect" or {"flapping", "foreign"} & set(self.line.faults)
        self._stable = bool(unplugs) if stable_path is None else stable_path
        self._master = -1
        self._slave = -1
        self._link_dir = ""
        self.path = ""

    def stop(self) -> None:
        super().stop()
        if self._link_dir:
            try:
                os.unlink(self.path)
                os.rmdir(self._link_dir)
            except OSError:
                pass

    def _open(self) -> None:
        import tty

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

    def _close(self) -> None:
        for fd in (self._master, self._slave):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._master = self._slave = -1

    def _is_open(self) -> bool:
        return self._master >= 0

    def _send(self, data: bytes) -> int:
        try:
            return os.write(self._master, data)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EIO):
                raise
            return 0  # the buffer is full, or no host has the port open

    def _read_host(self) -> bytes:
        try:
            return os.read(self._master, 4096)
        except OSError:
            return b""  # EAGAIN: nothing written; EIO: no host has the port open


class TcpSimulator(_LineRunner):
    """One simulated device served over TCP to one host at a time: `socket://HOST:PORT` (every OS).

    Bound to 127.0.0.1 by default, so only this computer reaches it; port 0
    takes a free port (read .port after start()). While the device is
    unplugged the host is disconnected and no new host is taken.
    """

    def __init__(self, protocol: str, scenario: str = "baseline", speed: float = 1.0, seed: int = 1,
                 port: int = 0, host: str = "127.0.0.1") -> None:
        super().__init__(protocol, scenario, speed, seed)
        self.host = host
        self.port = port
        self._server: socket.socket | None = None
        self._client: socket.socket | None = None
        self._up = False

    @property
    def url(self) -> str:
        """Return the address a --device gives to reach this device (socket://HOST:PORT)."""
        return f"socket://{self.host}:{self.port}"

    def start(self) -> "TcpSimulator":
        """Listen (OSError if the port is taken), then start writing; returns self so it chains."""
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            server.bind((self.host, self.port))
            server.listen(1)
        except OSError:
            server.close()
            raise
        server.setblocking(False)
        self._server = server
        self.port = server.getsockname()[1]
        return super().start()

    def stop(self) -> None:
        super().stop()
        if self._server is not None:
            self._server.close()
            self._server = None

    def _open(self) -> None:
        self._up = True

    def _close(self) -> None:
        self._up = False
        self._drop_client()

    def _is_open(self) -> bool:
        return self._up

    def _drop_client(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _connected(self) -> socket.socket | None:
        """Return the host's connection, taking a waiting one if there is none."""
        if self._client is None and self._server is not None:
            try:
                client, _ = self._server.accept()
            except (BlockingIOError, OSError):
                return None
            client.setblocking(False)
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._client = client
        return self._client

    def _read_host(self) -> bytes:
        client = self._connected()
        if client is None:
            return b""
        try:
            data = client.recv(4096)
        except BlockingIOError:
            return b""
        except OSError:
            data = b""
        if not data:  # the host closed its end: wait for the next one
            self._drop_client()
        return data

    def _send(self, data: bytes) -> int:
        client = self._connected()
        if client is None:
            return 0
        try:
            return client.send(data)
        except BlockingIOError:
            return 0
        except OSError:
            self._drop_client()
            return 0
