"""Parser throughput: bytes per second each parser decodes, against its serial line rate."""

from __future__ import annotations

import time

from devices import registry
from devices.sim.capture import device_bytes


#: The arguments of a `--quick` smoke run (bench/__main__.py).
QUICK = {"seconds": 5.0}


def run(seconds: float = 120.0) -> list[str]:
    lines = []
    for name in registry.protocol_names():
        data = device_bytes(name, seconds, nibp_every_s=1.0)
        if not data:
            continue
        parser = registry.get(name).parser("bench")
        start = time.perf_counter()
        for i in range(0, len(data), 64):
            parser.feed(data[i:i + 64], 0.0)
        elapsed = time.perf_counter() - start
        line_rate = registry.get(name).settings.baudrate / 10  # bytes/s on the wire, 10 bits per byte
        rate = len(data) / elapsed
        lines.append(f"parser {name}: {rate:,.0f} bytes/s (baseline {line_rate:,.0f} bytes/s line rate, ratio x{rate / line_rate:.0f})")
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
