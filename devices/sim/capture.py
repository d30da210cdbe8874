"""A simulated capture: what a serial sniffer would record from a device talking to this app.

The protocol's simulator plays the device and its driver the host, exactly as
on a pty but in scenario time with no I/O, so an hour of bytes takes a moment.
Only the device-to-host bytes are returned, as `import` expects them. For a
device that measures on command (NIBP), the host starts a measurement every
`nibp_every_s`, the first after `nibp_every_s`. The scenario may carry line
faults ('desat+noisy+repeat', devices.sim.faults); with +cut the capture
also ends inside a frame. While a fault unplugs the device the host
reconnects at once, as a sniffer keeps recording.
"""

from __future__ import annotations

from devices import registry
from devices.sim.device import DeviceSimulator
from devices.sim.faults import SimulatedLine, TruthLog


def device_bytes(protocol: str, seconds: float, scenario: str = "baseline", seed: int = 1,
                 nibp_every_s: float = 120.0, device: DeviceSimulator | None = None) -> bytes:
    """Return `seconds` of scenario time of a simulated device's output, its driver acting as host.

    device replaces the protocol's default simulator (e.g. one with a fixed clock).
    """
    return device_capture(protocol, seconds, scenario, seed, nibp_every_s, device)[0]


def device_capture(protocol: str, seconds: float, scenario: str = "baseline", seed: int = 1,
                   nibp_every_s: float = 120.0, device: DeviceSimulator | None = None) -> tuple[bytes, TruthLog]:
    """Return device_bytes() and the truth of what they carry (the readings sent valid, the faults)."""
    spec = registry.get(protocol)
    role = "pulseox" if "pulseox" in spec.roles else "nibp"
    line = SimulatedLine(protocol, scenario, seed, device=device, truth=True)
    driver, parser = spec.driver(), spec.parser(role)
    driver.source = role
    out = bytearray()
    host = driver.on_open(0.0)
    connected = True
    next_nibp = nibp_every_s
    t = 0.0
    while t < seconds:
        if line.gone(t):
            connected = False
            line.advance(t)
        else:
            if not connected:  # the host opens the port again: its driver and parser start clean
                connected = True
                line.reconnected()
                parser.reset(t)
                host += driver.on_open(t)
            if host:
                line.write(host, t)  # answered with the vitals of t, before the frame of t
            line.advance(t)
            sent = line.take(t)
            out += sent
            host = driver.on_items(parser.feed(sent, t), t) + driver.poll(t)
            if driver.supports("nibp_start") and t >= next_nibp:
                next_nibp = t + nibp_every_s
                try:
                    host += driver.command("nibp_start", t)
                except ValueError:  # still measuring
                    pass
        t += line.device.frame_interval
    if "cut" in line.faults and len(out) > 8:
        del out[-3:]  # the sniffer stopped inside a frame (the truth keeps those readings: they were sent)
    return bytes(out), line.truth
