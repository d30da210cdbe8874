"""Finding devices on serial ports: each protocol tried the way it allows, nothing left changed.

On each port, first listen, sending nothing: one window per line setting
the protocols use, every parser of that setting fed the same bytes, which
finds the devices that stream on their own. Then, if none was found, each
protocol whose driver has a probe_query() (a harmless identify or "send your
values once") is asked at its own settings, drivers that can start a
measurement first, so such a device only ever sees its own harmless query
from this port; each query is followed by the driver's probe_restore(). The
first protocol recognised ends the port. A port's line settings (termios)
are put back afterwards; ports given in `exclude` (in use by the app) are
never opened.

A protocol is recognised when its parser decodes the bytes (Parser.decodes:
frames, no more errors than frames) and made at least one informative item:
a value, a waveform, an NIBP result, the device's identity or a notice.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import serial

from devices import registry
from devices.base import Parser, SerialSettings
from devices.plausibility import NIBP_PARAMS
from devices.reader import Port
from devices.spec import port_name
from devices.values import PARAMS, DeviceInfo, DeviceItem, DeviceNotice, NibpResult, Sample, WaveSegment

DEFAULT_SECONDS = 3.0
EARLY_FRAMES = 3  # this many clean frames end a window early...
EARLY_S = 1.5  # ...but not before this much listening, so values sent once a second are seen
READ_TIMEOUT_S = 0.05

#: parameters a "SpO2 + NIBP" line names as their module, not one by one
NIBP_MODULE = NIBP_PARAMS | {"cuff_pressure"}
ROLE_LABELS = {"pulseox": PARAMS["spo2"].label, "nibp": "NIBP"}

OpenPort = Callable[[str, SerialSettings], Port]
#: progress(step, steps, what is being tried); steps can shrink when a port is done early
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Found:
    """A device recognised on a port: its identity, what it measures, and the --device spec to use."""

    port: str
    protocol: str
    identity: str
    params: tuple[str, ...]
    role: str

    @property
    def device_spec(self) -> str:
        """Return the --device argument that connects it (ROLE=PROTOCOL:PORT)."""
        return f"{self.role}={self.protocol}:{self.port}"

    def __str__(self) -> str:
        return f"{self.identity} on {self.port}, {' + '.join(self.params)}: --device {self.device_spec}"


def open_for_probe(port: str, settings: SerialSettings) -> Port:
    """Open a port with a protocol's line settings, exclusively, with a short read timeout."""
    return serial.serial_for_url(port, baudrate=settings.baudrate, bytesize=settings.bytesize,
                                 parity=settings.parity, stopbits=settings.stopbits, rtscts=settings.rtscts,
                                 timeout=READ_TIMEOUT_S, write_timeout=1.0, exclusive=True)


@contextlib.contextmanager
def kept_line_settings(port: str) -> Iterator[None]:
    """Put a tty's line settings back as they were when the block ends (POSIX device paths only)."""
    saved = None
    try:
        import termios

        fd = os.open(port, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            saved = termios.tcgetattr(fd)
        except termios.error:  # not a tty (/dev/null, a file): termios.error is no OSError
            pass
        finally:
            os.close(fd)
    except (ImportError, OSError, ValueError):  # not a device path (loop://, COM3), or gone
        pass
    try:
        yield
    finally:
        if saved is not None:
            try:
                fd = os.open(port, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
                try:
                    termios.tcsetattr(fd, termios.TCSANOW, saved)
                finally:
                    os.close(fd)
            except (OSError, termios.error):
                pass


class _Evidence:
    """What one protocol's parser made of a window's bytes."""

    def __init__(self, protocol: str) -> None:
        self.spec = registry.get(protocol)
        self.role = "pulseox" if "pulseox" in self.spec.roles else "nibp"
        self.parser: Parser = self.spec.parser(self.role)
        self.info: DeviceInfo | None = None
        self.params: set[str] = set()
        self.informative = 0

    def feed(self, data: bytes) -> None:
        for item in self.parser.feed(data, time.time()):
            self._note(item)

    def _note(self, item: DeviceItem) -> None:
        if isinstance(item, Sample) and item.value is not None:
            self.params.add(item.param)
        elif isinstance(item, WaveSegment):
            self.params.add(item.param)
        elif isinstance(item, NibpResult):
            self.params.add("sbp")
        elif isinstance(item, DeviceInfo):
            self.info = item
        elif not isinstance(item, DeviceNotice):
            return
        self.informative += 1

    def recognised(self, frames: int = 1) -> bool:
        """Tell whether the bytes are this protocol: clean frames and something informative."""
        return self.parser.decodes() and self.parser.frames >= frames and self.informative > 0

    def found(self, port: str) -> Found:
        identity = self.spec.title
        if self.info is not None and self.info.model:
            extra = [x for x in (self.info.firmware, self.info.serial_number and f"SN {self.info.serial_number}") if x]
            identity = self.info.model + (f" ({', '.join(extra)})" if extra else "")
        labels = list(dict.fromkeys("NIBP" if p in NIBP_MODULE else spec.label  # in PARAMS' order
                                    for p, spec in PARAMS.items() if p in self.params))
        if not labels:
            labels = [ROLE_LABELS[r] for r in ("pulseox", "nibp") if r in self.spec.roles]
        return Found(port, self.spec.name, identity, tuple(labels), self.role)


def _line(settings: SerialSettings) -> str:
    stop = f"{settings.stopbits:g}"
    return f"{settings.baudrate} {settings.bytesize}{settings.parity}{stop}" + (" RTS/CTS" if settings.rtscts else "")


class Prober:
    """Tries protocols on ports (see the module docstring); open_port is injectable for tests."""

    def __init__(self, protocols: list[str] | None = None, seconds: float = DEFAULT_SECONDS,
                 open_port: OpenPort = open_for_probe, clock: Callable[[], float] = time.monotonic) -> None:
        self.protocols = registry.protocol_names() if protocols is None else protocols
        self.seconds = seconds
        self.open_port = open_port
        self.clock = clock

    def plan(self) -> list[tuple[SerialSettings, list[str], str | None]]:
        """Return the windows tried on each port: (settings, protocols listening, protocol queried or None)."""
        groups: dict[tuple, list[str]] = {}
        for name in self.protocols:
            s = registry.get(name).settings
            groups.setdefault((s.baudrate, s.bytesize, s.parity, s.stopbits), []).append(name)
        windows: list[tuple[SerialSettings, list[str], str | None]] = [
            (registry.get(names[0]).settings, names, None) for names in groups.values()]
        queried = [n for n in self.protocols if registry.get(n).driver().probe_query()]
        queried.sort(key=lambda n: not registry.get(n).driver().supports("nibp_start"))  # stable: commanders first
        windows += [(registry.get(n).settings, [n], n) for n in queried]
        return windows

    def run(self, ports: list[str], progress: Progress | None = None, cancel: threading.Event | None = None,
            exclude: frozenset[str] = frozenset()) -> list[Found]:
        """Probe each port in turn; return what was found (at most one device per port)."""
        found: list[Found] = []
        windows = self.plan()
        ports = [p for p in ports if p not in exclude]
        steps, step = len(ports) * len(windows), 0
        for port in ports:
            with kept_line_settings(port):
                for w, (settings, names, query) in enumerate(windows):
                    if cancel is not None and cancel.is_set():
                        return found
                    step += 1
                    if progress:
                        how = f"asking {query}" if query else f"listening for {', '.join(names)}"
                        progress(step, steps, f"{port}: {how} at {_line(settings)}")
                    hit = self._window(port, settings, names, query, cancel)
                    if hit is not None:
                        found.append(hit)
                        steps -= len(windows) - (w + 1)  # the port's remaining windows are skipped
                        break
        if progress:
            progress(steps, steps, f"done: {len(found)} device(s) found")
        return found

    def _window(self, port: str, settings: SerialSettings, names: list[str], query: str | None,
                cancel: threading.Event | None) -> Found | None:
        """Listen (after sending the query, if any) for `seconds`; return the protocol recognised."""
        try:
            handle = self.open_port(port, settings)
        except Exception:  # busy, gone, not a serial port, or no permission: nothing to find there
            return None
        evidence = [_Evidence(n) for n in names]
        driver = registry.get(query).driver() if query else None
        try:
            if driver is not None:
                handle.write(driver.probe_query())
            start = self.clock()
            early = start + min(EARLY_S, self.seconds)
            while (now := self.clock()) < start + self.seconds and not (cancel is not None and cancel.is_set()):
                data = handle.read(256)
                if data:
                    for e in evidence:
                        e.feed(data)
                if now >= early and any(e.recognised(EARLY_FRAMES) for e in evidence):
                    break
        except Exception:  # the port failed while probing: treat as nothing found
            return None
        finally:
            try:
                restore = driver.probe_restore() if driver is not None else b""
                if restore:
                    handle.write(restore)
            except Exception:  # a port that failed cannot be restored: nothing was started on it
                pass
            try:
                handle.close()
            except Exception:  # closing a vanished port fails in many ways; it is gone either way
                pass
        best = [e for e in evidence if e.recognised()]
        best.sort(key=lambda e: (-e.parser.frames, sum(e.parser.errors.values())))
        return best[0].found(port) if best else None


def serial_ports() -> list[str]:
    """Return the serial ports this computer has (pyserial's list), named as users know them."""
    return list(described_ports())


def described_ports() -> dict[str, str]:
    """Return each serial port of this computer with what the system says it is (the adapter), in name order.

    Names are as users know them: COM3 on Windows, /dev/cu.usbserial-1420 on
    macOS (pyserial lists the call-out devices there), /dev/ttyUSB0 on Linux.
    """
    from serial.tools import list_ports

    ports = {port_name(p.device): p.description if p.description not in ("", "n/a", p.device) else ""
             for p in list_ports.comports()}
    return dict(sorted(ports.items()))


def find_devices(ports: list[str] | None = None, seconds: float = DEFAULT_SECONDS, progress: Progress | None = None,
                 cancel: threading.Event | None = None, exclude: frozenset[str] = frozenset()) -> list[Found]:
    """Probe the given ports (default: every serial port) with every protocol; run it off the GUI thread.

    progress is called from the calling thread; cancel stops at the next window;
    exclude lists ports the app is using, which are never opened.
    """
    return Prober(seconds=seconds).run(serial_ports() if ports is None else ports, progress, cancel, exclude)
