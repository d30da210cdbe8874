"""What a simulated device sends while it talks with the app: a protocol's bytes on scenario time, no pty.

For tests and benchmarks that need a realistic byte stream of any registered
protocol (the conformance suite, parser throughput). The device's driver runs
as the reader thread runs it, so devices that only speak when asked (start
live data, keep-alives, a BP measurement and its result) send what they
would send to the app.
"""

from __future__ import annotations

from devices import registry
from devices.sim.physiology import Patient

POLL_S = 0.1  # how often the reader gives the driver its turn


def device_stream(protocol: str, seconds: float, scenario: str = "baseline", seed: int = 3) -> bytes:
    """Return the bytes a simulated device of `protocol` sends in `seconds` of scenario time.

    The driver's start bytes, polls and reactions go to the simulator; a device
    that takes NIBP commands is asked for a measurement whenever it is idle.
    """
    spec = registry.get(protocol)
    sim, driver, parser = spec.simulator(), spec.driver(), spec.parser("sim")
    patient = Patient(scenario, seed=seed)
    out = bytearray()
    host = driver.on_open(0.0)
    next_poll = 0.0
    t = 0.0
    while t < seconds:
        v = patient.step(t)
        data = sim.frame(v) + (sim.receive(host, v) if host else b"")
        out += data
        host = driver.on_items(parser.feed(data, t), t) if data else b""
        if t >= next_poll:
            next_poll = t + POLL_S
            host += driver.poll(t)
            if driver.supports("nibp_start"):
                try:
                    host += driver.command("nibp_start", t)
                except ValueError:  # a measurement is running
                    pass
        t += sim.frame_interval
    return bytes(out)
