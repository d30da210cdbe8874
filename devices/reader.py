"""One reader thread per device: owns the port, feeds the parser, sends the driver's bytes.

The per-byte logic lives in Link (no thread, no port of its own), so tests drive
it with a scripted port; DeviceReader adds the thread, the port opening with
reconnect and backoff, and the "no data" watchdog. A lost port (a serial or
OS error) is a technical alarm and a reconnect; any other exception is a bug,
which the supervision (devices.supervised) reports and restarts from a fresh
connection, since the parser starts clean on every connection.
"""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

import serial

from devices import registry
from devices.base import Driver, Parser
from devices.sim.port import open_simulated, sim_scenario
from devices.spec import DeviceSpec
from devices.supervised import FaultSink, SupervisedThread
from devices.values import Condition, DeviceItem, StatusChange

NO_DATA_AFTER_S = 5.0
BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 5.0)


class Port(Protocol):
    """What a reader needs of a port (pyserial's Serial, or a scripted fake)."""

    @property
    def in_waiting(self) -> int: ...
    def read(self, size: int = 1) -> bytes: ...
    def write(self, data: bytes) -> int | None: ...
    def close(self) -> None: ...


ItemSink = Callable[[DeviceItem], None]
RawSink = Callable[[str, float, str, bytes], None]  # source, t (UTC), "rx"/"tx", bytes


@dataclass
class LinkStats:
    """Counters the devices panel shows (read from another thread: plain ints only)."""

    bytes_rx: int = 0
    bytes_tx: int = 0
    last_data_mono: float | None = None
    reconnects: int = 0
    errors: dict[str, int] = field(default_factory=dict)


class Link:
    """Moves bytes between one port and one parser/driver pair; knows nothing of threads."""

    def __init__(self, parser: Parser, driver: Driver, sink: ItemSink, raw_sink: RawSink | None = None,
                 wallclock: Callable[[], float] = time.time) -> None:
        self.parser = parser
        self.driver = driver
        self.sink = sink
        self.raw_sink = raw_sink
        self.wallclock = wallclock
        self.stats = LinkStats()
        driver.source = parser.source

    def opened(self, port: Port, now: float) -> None:
        """Start the parser clean and send what the driver wants sent on a fresh connection."""
        for item in self.parser.reset(self.wallclock()):
            self.sink(item)
        self._send(port, self.driver.on_open(now))

    def received(self, port: Port, data: bytes, now: float) -> list[DeviceItem]:
        """Parse bytes just read, publish the values, send the driver's reaction."""
        t = self.wallclock()
        self.stats.bytes_rx += len(data)
        self.stats.last_data_mono = now
        if self.raw_sink:
            self.raw_sink(self.parser.source, t, "rx", data)
        items = self.parser.feed(data, t)
        self.stats.errors = dict(self.parser.errors)
        for item in items:
            self.sink(item)
        self._send(port, self.driver.on_items(items, now))
        return items

    def idle(self, port: Port, now: float) -> None:
        """Give the driver its chance to send keep-alives and polls."""
        self._send(port, self.driver.poll(now))

    def closing(self, port: Port, now: float) -> None:
        """Send what the driver wants sent before the port is closed on purpose."""
        self._send(port, self.driver.on_close(now))

    def command(self, port: Port, name: str, now: float) -> None:
        """Send a user command (ValueError if the device does not support it)."""
        self._send(port, self.driver.command(name, now))

    def _send(self, port: Port, data: bytes) -> None:
        for item in self.driver.drain_items():
            self.sink(item)
        if not data:
            return
        port.write(data)
        self.stats.bytes_tx += len(data)
        if self.raw_sink:
            self.raw_sink(self.parser.source, self.wallclock(), "tx", data)


def open_serial(spec: DeviceSpec) -> Port:
    """Open the port of a device spec with its protocol's line settings ('sim[:SCENARIO]': a simulated device)."""
    if sim_scenario(spec.port) is not None:
        return open_simulated(spec.protocol, spec.port, spec.name)
    settings = registry.get(spec.protocol).settings
    return serial.serial_for_url(
        spec.port,
        baudrate=spec.baudrate or settings.baudrate,
        bytesize=settings.bytesize,
        parity=settings.parity,
        stopbits=settings.stopbits,
        rtscts=settings.rtscts,
        timeout=0.05,
        write_timeout=1.0,
    )


def port_problem(spec: DeviceSpec) -> str:
    """Open and close a device's port once; return why it cannot be opened ('' if it can).

    The port is opened with pyserial's default line settings: whether it
    exists and may be opened is the question here (and a Linux pty refuses a
    second open with parity once it was opened with parity). A simulated
    port (sim[:SCENARIO]) always opens.
    """
    if spec.simulated:
        return ""
    try:
        serial.serial_for_url(spec.port, timeout=0).close()
    except Exception as exc:  # as in DeviceReader.run: any failure to open is "cannot open"
        return f"cannot open {spec.port} for {spec.name} ({spec.protocol}): {_reason(exc)}"
    return ""


class DeviceReader(SupervisedThread):
    """Reads one device until stopped; reports no data and port loss, reconnects with backoff.

    Status changes NO_DATA and PORT_LOST are published to the same sink as the
    parser's values, so the alarm engine and the recorder see the gap.
    """

    def __init__(self, spec: DeviceSpec, sink: ItemSink, raw_sink: RawSink | None = None,
                 open_port: Callable[[DeviceSpec], Port] = open_serial,
                 clock: Callable[[], float] = time.monotonic, on_fault: FaultSink | None = None) -> None:
        super().__init__(f"reader-{spec.name}", on_fault, restart=True)  # a fresh connection, a clean parser
        proto = registry.get(spec.protocol)
        self.spec = spec
        self.link = Link(proto.parser(spec.name), proto.driver(), sink, raw_sink)
        self._open_port = open_port
        self._clock = clock
        self._commands: queue.Queue[str] = queue.Queue()
        self._no_data = False
        self.state = "connecting"  # connecting / connected / no data / reconnecting / stopped
        self.last_error = ""

    def supports(self, command: str) -> bool:
        """Tell whether the device accepts a command such as 'nibp_start'."""
        return self.link.driver.supports(command)

    def command(self, name: str) -> None:
        """Queue a user command for the reader thread to send."""
        self._commands.put(name)

    def stop(self, timeout: float = 2.0) -> None:
        """Stop reading, close the port and wait for the thread."""
        self._halt.set()
        if self.is_alive():
            self.join(timeout)

    def _status(self, condition: Condition, active: bool, detail: str = "") -> None:
        self.link.sink(StatusChange(time.time(), self.spec.name, condition, active, detail))

    def work(self) -> None:
        self.state = "connecting"  # also when the supervision restarts it after a fault
        attempt = 0
        port_lost = False
        while not self._halt.is_set():
            try:
                port = self._open_port(self.spec)
            except Exception as exc:  # pyserial also lets termios.error through: any failure is "cannot open"
                self.last_error = f"cannot open {self.spec.port}: {_reason(exc)}"
                if not port_lost:
                    self._status(Condition.PORT_LOST, True, self.last_error)
                    port_lost = True
                self.state = "reconnecting"
                self._halt.wait(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])
                attempt += 1
                continue
            if port_lost:
                self._status(Condition.PORT_LOST, False)
                port_lost = False
                self.link.stats.reconnects += 1
            attempt = 0
            self.state = "connected"
            self.last_error = ""
            try:
                self._serve(port)
            except (serial.SerialException, OSError) as exc:  # anything else is a bug: the supervision's
                self.last_error = f"{self.spec.port} lost: {_reason(exc)}"
                self._status(Condition.PORT_LOST, True, self.last_error)
                port_lost = True
                self.state = "reconnecting"
            finally:
                try:
                    port.close()
                except Exception:  # closing a vanished port can fail in many ways; it is gone either way
                    pass
            if port_lost:
                self._halt.wait(BACKOFF_S[0])
        self.state = "stopped"

    def _serve(self, port: Port) -> None:
        """Read until stopped or the port fails (the exception ends the connection)."""
        link = self.link
        opened_at = self._clock()
        link.opened(port, opened_at)
        while not self._halt.is_set():
            data = port.read(1)  # returns at the first byte, so latency is not the timeout
            if data and port.in_waiting:
                data += port.read(port.in_waiting)
            now = self._clock()
            if data:
                if self._no_data:  # also set on an earlier connection: cleared by the first new data
                    self._status(Condition.NO_DATA, False)
                    self._no_data = False
                    self.state = "connected"
                link.received(port, data, now)
            else:
                last = link.stats.last_data_mono
                silent_for = now - (opened_at if last is None or last < opened_at else last)
                if not self._no_data and silent_for >= NO_DATA_AFTER_S:
                    self._status(Condition.NO_DATA, True, f"no data from {self.spec.port} for {silent_for:.0f} s")
                    self._no_data = True
                    self.state = "no data"
            while True:
                try:
                    name = self._commands.get_nowait()
                except queue.Empty:
                    break
                try:
                    link.command(port, name, now)
                except ValueError as exc:
                    self.last_error = str(exc)
            link.idle(port, now)
        try:
            link.closing(port, self._clock())
        except (serial.SerialException, OSError):
            pass  # the port is being closed anyway: a goodbye that cannot be sent is not a lost port


def _reason(exc: BaseException) -> str:
    """Return the short human part of a pyserial/OS error."""
    text = str(exc) or exc.__class__.__name__
    return text.split("\n")[0][:160]
