"""What real devices send and the simulators do not (REAL-STREAMS.md): a noisy line, a probe off from the start."""

from __future__ import annotations

import random
from dataclasses import replace

from devices.sim.device import DeviceSimulator
from devices.sim.physiology import Vitals


def corrupt(data: bytes, seed: int) -> bytes:
    """Return data with single random bytes changed to other values, 100 to 500 bytes apart (1 in ~300)."""
    rng, out = random.Random(seed), bytearray(data)
    at = rng.randint(100, 500)
    while at < len(out):
        out[at] ^= rng.randint(1, 255)
        at += rng.randint(100, 500)
    return bytes(out)


class ProbeOffUntil(DeviceSimulator):
    """A protocol's simulator whose probe is off until scenario time `until` (s).

    boundary: the bytes it had sent by then (None while it has not come), so a
    test can parse the invalid stretch alone.
    """

    def __init__(self, device: DeviceSimulator, until: float) -> None:
        self.device, self.until = device, until
        self.settings, self.frame_interval = device.settings, device.frame_interval
        self.sent = 0
        self.boundary: int | None = None

    def _vitals(self, v: Vitals) -> Vitals:
        if v.t < self.until:
            return replace(v, probe_off=True)
        if self.boundary is None:
            self.boundary = self.sent
        return v

    def frame(self, v: Vitals) -> bytes:
        out = self.device.frame(self._vitals(v))
        self.sent += len(out)
        return out

    def receive(self, data: bytes, v: Vitals) -> bytes:
        out = self.device.receive(data, self._vitals(v))
        self.sent += len(out)
        return out
