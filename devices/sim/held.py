"""Numerics held for a device's update period, as a pulse oximeter shows them."""

from __future__ import annotations

from dataclasses import replace

from devices.sim.physiology import Vitals


class HeldNumerics:
    """The SpO2, pulse rate and PI a device sends: taken from the patient once per its update period.

    A pulse oximeter computes its numbers over several beats and updates them
    about once a second, while it sends them with every pleth sample (60
    packets a second for the CMS50D+ and Contec). A simulator that rendered
    the patient's numbers anew in every packet would send values flickering
    across a rounding boundary from one packet to the next, which no device
    does and which a parser of a protocol without a checksum must take for
    corrupted bytes. A change of validity (probe off, no reading, back again)
    shows at once, as the device's status does, and starts a new period.
    """

    def __init__(self, period: int) -> None:
        if period < 1:
            raise ValueError(f"the update period must be at least one packet, got {period}")
        self.period = period
        self._held: Vitals | None = None  # the vitals whose numerics are shown
        self._age = 0  # packets they have been shown in

    def hold(self, v: Vitals) -> Vitals:
        """Return the vitals of one packet: v, with the numerics held since the period began."""
        held = self._held
        if held is None or self._age >= self.period or _validity(held) != _validity(v):
            held, self._held, self._age = v, v, 0
        self._age += 1
        return replace(v, spo2=held.spo2, pulse_rate=held.pulse_rate, perfusion_index=held.perfusion_index)


def _validity(v: Vitals) -> tuple[bool, bool, bool]:
    """Return which numerics have a value (SpO2, pulse, PI)."""
    return v.spo2 is not None, v.pulse_rate is not None, v.perfusion_index is not None
