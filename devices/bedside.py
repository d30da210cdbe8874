"""Parsers of multi-parameter bedside monitors, which can fill both roles from one device.

The core keeps one latest value per parameter and one pleth sweep, so two
devices must not both send SpO2 or both send BP. A monitor's parser therefore
follows the role it was created for:
- "pulseox": SpO2, pulse, pleth and the rest under that source, NIBP under
  source "nibp" (the monitor fills both roles);
- "nibp": NIBP only, no waveform (a separate oximeter owns SpO2 and pleth).
A second NIBP device next to a monitor created as "pulseox" would still mix BP
results: the parser is not told which other roles are taken.
"""

from __future__ import annotations

from devices.base import ConditionTracker, Parser
from devices.values import DeviceItem, StatusChange

NIBP_SOURCE = "nibp"
#: Flags of a BP reading whose age is unknown: the monitor showed it when the link started.
AGE_UNKNOWN = frozenset({"questionable", "age_unknown"})


class BedsideParser(Parser):
    """A monitor's parser: `pulseox` tells whether it reports more than NIBP; NIBP conditions are tracked apart."""

    def __init__(self, source: str = "pulseox") -> None:
        super().__init__(source)
        self.pulseox = source != NIBP_SOURCE
        if not self.pulseox:
            self.waveform_rate = 0.0
        self.nibp_conditions = ConditionTracker(NIBP_SOURCE)

    def reset(self, t: float) -> list[DeviceItem]:
        ended: list[DeviceItem] = [StatusChange(t, NIBP_SOURCE, cond, False) for cond in self.nibp_conditions.active]
        return ended + super().reset(t)
