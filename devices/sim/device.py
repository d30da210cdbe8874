"""Contract of a protocol simulator: the device's side of the wire."""

from __future__ import annotations

from abc import ABC, abstractmethod

from devices.base import SerialSettings
from devices.sim.physiology import Vitals


class DeviceSimulator(ABC):
    """Renders the simulated patient into one device's exact wire bytes.

    The pty runner calls frame() every `frame_interval` seconds of scenario
    time with the vitals of that moment, and receive() with whatever the host
    wrote. Both return bytes to send to the host. No I/O and no clock here, so a
    simulator is also the reference device in tests.
    """

    settings: SerialSettings
    frame_interval: float

    @abstractmethod
    def frame(self, v: Vitals) -> bytes:
        """Return the bytes the device sends during one frame interval ending at v.t."""

    def receive(self, data: bytes, v: Vitals) -> bytes:
        """Handle bytes written by the host; return the device's immediate reply."""
        return b""
