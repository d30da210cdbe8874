"""Fake ports for drivers without a serial line: a scripted exchange, or a device simulator behind a port.

ScriptedPort plays the device side of a command exchange as exact (sent, reply) pairs.

After pymeasure's expected_protocol: every write must equal the next expected
bytes, the paired reply is then readable, and assert_done() fails if any pair
was not used. Use with devices.reader.Link to test a driver without a port.
"""

from __future__ import annotations


class ScriptedPort:
    """Fake port replaying a script of (bytes the host must send, bytes the device answers)."""

    def __init__(self, pairs: list[tuple[bytes, bytes]], unsolicited: bytes = b"") -> None:
        self._pairs = list(pairs)
        self._rx = bytearray(unsolicited)
        self.written: list[bytes] = []

    @property
    def in_waiting(self) -> int:
        return len(self._rx)

    def feed(self, data: bytes) -> None:
        """Make the device send bytes without being asked (live data, 'K' complete)."""
        self._rx += data

    def write(self, data: bytes) -> int:
        self.written.append(bytes(data))
        if not self._pairs:
            raise AssertionError(f"host sent {data.hex(' ')} but the script has no more exchanges")
        expected, reply = self._pairs.pop(0)
        if bytes(data) != expected:
            raise AssertionError(f"host sent {data.hex(' ')}, script expected {expected.hex(' ')}")
        self._rx += reply
        return len(data)

    def read(self, size: int = 1) -> bytes:
        out = bytes(self._rx[:size])
        del self._rx[:size]
        return out

    def close(self) -> None:
        pass

    def assert_done(self) -> None:
        """Fail if the host did not send every scripted command."""
        if self._pairs:
            left = ", ".join(sent.hex(" ") for sent, _ in self._pairs)
            raise AssertionError(f"script not finished; host never sent: {left}")


class SimPort:
    """A device simulator behind a port, stepped by the test: writes go to receive() with the vitals of the moment
    (`v`), give() queues what the device sends; sent_to_host keeps everything it ever sent."""

    def __init__(self, sim) -> None:
        self.sim, self.rx, self.v = sim, bytearray(), None
        self.sent_to_host = bytearray()

    @property
    def in_waiting(self) -> int:
        return len(self.rx)

    def write(self, data: bytes) -> int:
        self.give(self.sim.receive(data, self.v))
        return len(data)

    def give(self, data: bytes) -> None:
        self.rx += data
        self.sent_to_host += data

    def read(self, size: int = 1) -> bytes:
        out = bytes(self.rx[:size])
        del self.rx[:size]
        return out

    def close(self) -> None:
        pass
