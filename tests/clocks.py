"""The one fake clock of the tests: time moves only when a test moves it, so timers are tested without sleeping."""

from __future__ import annotations

from dataclasses import dataclass, field

#: The wall clock's reading when a FakeClock starts, unless a test names another: 2023-11-14 22:13:20 UTC.
EPOCH = 1_700_000_000.0


@dataclass
class FakeClock:
    """A monotonic clock moved by hand (call it, or read `t`), and a UTC wall clock (`wall`) that follows it.

    `wall()` reads `wall_at_start` while `t` is still where it started and moves with every second `t` moves,
    as the real pair does, so code that takes both (a monotonic timer and epoch timestamps) stays consistent.
    """

    t: float = 0.0
    wall_at_start: float = EPOCH
    _start: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._start = self.t

    def __call__(self) -> float:
        return self.t

    def wall(self) -> float:
        return self.wall_at_start + (self.t - self._start)

    def advance(self, seconds: float) -> None:
        self.t += seconds
