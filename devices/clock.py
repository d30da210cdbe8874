"""Trust a device clock only while it runs forward with the receive clock.

Devices stamp readings with their own clock (Sample.t_dev). That clock may be
wrong, repeat (a damaged capture of concatenated segments: 27 records stamped
with one second) or jump. One rule, for the import and for any live use:
the first stamped reading measures the offset between the two clocks; each
later one must move forward by about what the receive clock moved (within
tolerance_s per step, a step never backward, one second never stamped on
readings received further apart than tolerance_s). Slow drift is followed
(the offset is measured again when the two clocks drift tolerance_s apart).
At the first break the device clock is no longer used: from then on times
are the receive time on the last trusted offset, so the receive order wins
and stored times never go back.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Largest step (s) between the device clock's and the receive clock's advance that still counts as consistent.
TOLERANCE_S = 2.0


@dataclass(frozen=True)
class ClockBreak:
    """Where a device clock stopped being trusted: receive time (s), device time it gave, and what it did."""

    t_rx: float
    t_dev: float
    what: str  # "repeated", "went back", "jumped ahead", "fell behind"


class DeviceClock:
    """Decides, reading by reading, whether a device's clock is used; `time_of` gives the time to store."""

    def __init__(self, tolerance_s: float = TOLERANCE_S) -> None:
        self.tolerance_s = tolerance_s
        self.offset: float | None = None  # device time minus receive time (s), None before the first stamp
        self.broken: ClockBreak | None = None
        self.resyncs: list[tuple[float, float]] = []  # (receive time, offset) from which each offset holds
        self._last: tuple[float, float] | None = None  # (t_rx, t_dev) of the last trusted stamp
        self._since_rx = 0.0  # receive time at which the device clock last changed its reading

    @property
    def trusted(self) -> bool:
        """Tell whether the device clock gives the times now (it has stamped, and never broken)."""
        return self.offset is not None and self.broken is None

    def time_of(self, t_rx: float, t_dev: float | None) -> float:
        """Return the time (s) to store a reading received at t_rx, stamped t_dev by the device (None: unstamped)."""
        if t_dev is not None and self.broken is None:
            self._check(t_rx, t_dev)
            if self.broken is None:
                return t_dev
        return self.shift(t_rx)

    def shift(self, t_rx: float) -> float:
        """Return receive time t_rx on the device clock's last trusted offset (t_rx itself before any stamp)."""
        return t_rx + (self.offset or 0.0)

    def _check(self, t_rx: float, t_dev: float) -> None:
        last = self._last
        if last is None:
            self._measure(t_rx, t_dev)
            self._since_rx = t_rx
            return
        step = (t_dev - last[1]) - (t_rx - last[0])
        if t_dev < last[1]:
            self.broken = ClockBreak(t_rx, t_dev, "went back")
        elif t_dev == last[1] and t_rx - self._since_rx > self.tolerance_s:
            self.broken = ClockBreak(t_rx, t_dev, "repeated")
        elif step > self.tolerance_s:
            self.broken = ClockBreak(t_rx, t_dev, "jumped ahead")
        elif step < -self.tolerance_s:
            self.broken = ClockBreak(t_rx, t_dev, "fell behind")
        if self.broken is not None:
            return
        if t_dev != last[1]:
            self._since_rx = t_rx
        self._last = (t_rx, t_dev)
        if abs(t_dev - t_rx - self.offset) > self.tolerance_s:  # type: ignore[operator]
            self._measure(t_rx, t_dev)

    def _measure(self, t_rx: float, t_dev: float) -> None:
        self.offset = t_dev - t_rx
        self.resyncs.append((t_rx, self.offset))
        self._last = (t_rx, t_dev)
