"""A noisy serial line for tests: single random bytes corrupted, about one in 300 (REAL-STREAMS.md)."""

from __future__ import annotations

import random


def corrupt(data: bytes, seed: int) -> bytes:
    """Return data with single random bytes changed to other values, 100 to 500 bytes apart (1 in ~300)."""
    rng, out = random.Random(seed), bytearray(data)
    at = rng.randint(100, 500)
    while at < len(out):
        out[at] ^= rng.randint(1, 255)
        at += rng.randint(100, 500)
    return bytes(out)
