"""Timing for the benchmarks (not a benchmark itself): the best of a few runs, the figure least bent by load."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_s(work: Callable[[], object], repeats: int = 3) -> float:
    """Return the shortest of `repeats` runs of work() in seconds (another program's burst only lengthens a run)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best
