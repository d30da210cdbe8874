"""A simulated capture: what a serial sniffer would record from a device talking to this app.

The protocol's simulator plays the device and its driver the host, exactly as
on a pty but in scenario time with no I/O, so an hour of bytes takes a moment.
Only the device-to-host bytes are returned, as `import` expects them. For a
device that measures on command (NIBP), the host starts a measurement every
`nibp_every_s`, the first after `nibp_every_s`.
"""

from __future__ import annotations

from devices import registry
from devices.sim.device import DeviceSimulator
from devices.sim.physiology import Patient


def device_bytes(protocol: str, seconds: float, scenario: str = "baseline", seed: int = 1,
                 nibp_every_s: float = 120.0, device: DeviceSimulator | None = None) -> bytes:
    """Return `seconds` of scenario time of a simulated device's output, its driver acting as host.

    device replaces the protocol's default simulator (e.g. one with a fixed clock).
    """
    spec = registry.get(protocol)
    role = "pulseox" if "pulseox" in spec.roles else "nibp"
    device = device or spec.simulator()
    driver, parser = spec.driver(), spec.parser(role)
    driver.source = role
    patient = Patient(scenario, seed=seed)
    out = bytearray()
    host = driver.on_open(0.0)
    next_nibp = nibp_every_s
    t = 0.0
    while t < seconds:
        v = patient.step(t)
        sent = device.receive(host, v) if host else b""
        sent += device.frame(v)
        out += sent
        host = driver.on_items(parser.feed(sent, t), t) + driver.poll(t)
        if driver.supports("nibp_start") and t >= next_nibp:
            next_nibp = t + nibp_every_s
            try:
                host += driver.command("nibp_start", t)
            except ValueError:  # still measuring
                pass
        t += device.frame_interval
    return bytes(out)
