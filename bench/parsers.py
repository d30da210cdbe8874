"""Parser throughput: bytes per second each parser decodes, against its serial line rate."""

from __future__ import annotations

import time

from devices import registry
from devices.sim.physiology import Patient


def capture(protocol: str, seconds: float) -> bytes:
    """Return the bytes a simulated device of this protocol sends in `seconds` (started if it needs a command)."""
    spec = registry.get(protocol)
    sim = spec.simulator()
    patient = Patient("baseline", seed=3)
    start = spec.driver().on_open(0.0)
    out = bytearray()
    if start:
        sim.receive(start, patient.step(0.0))
    t = 0.0
    while t < seconds:
        v = patient.step(t)
        out += sim.frame(v)
        if protocol == "suntech" and int(t) % 30 == 0 and abs(t - int(t)) < 1e-9:
            out += sim.receive(b"\x3a\x79\x05\x00\x48", v)  # cuff pressure replies
        t += sim.frame_interval
    return bytes(out)


def run(seconds: float = 120.0) -> list[str]:
    lines = []
    for name in registry.protocol_names():
        data = capture(name, seconds)
        if not data:
            continue
        parser = registry.get(name).parser("bench")
        start = time.perf_counter()
        for i in range(0, len(data), 64):
            parser.feed(data[i:i + 64], 0.0)
        elapsed = time.perf_counter() - start
        line_rate = registry.get(name).settings.baudrate / 10  # bytes/s on the wire, 10 bits per byte
        rate = len(data) / elapsed
        lines.append(f"parser {name}: {rate:,.0f} bytes/s (baseline {line_rate:,.0f} line rate, ratio x{rate / line_rate:.0f})")
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
