"""Physiological scenarios: the "patient" a simulator renders into protocol bytes.

A scenario is stepped with increasing scenario time (s) and returns the true
vitals at that moment. Every protocol simulator renders the same Vitals, so a
scenario such as 'desat' exercises every parser and the alarm chain alike.
Randomness comes from a seeded numpy Generator, so runs are reproducible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Protocol


from devices.values import mean_arterial


@dataclass(frozen=True)
class Vitals:
    """The patient's state at scenario time t (s); None means no valid value."""

    t: float
    spo2: float | None
    pulse_rate: float | None
    perfusion_index: float | None
    pleth: float  # 0..1, position on the pulse waveform
    sbp: float  # mmHg, what a cuff would measure now
    dbp: float
    resp_rate: float | None
    probe_off: bool = False
    artifact: bool = False
    searching: bool = False
    silent: bool = False  # device sends nothing (cable pulled, device hung)
    port_closed: bool = False  # the port itself disappears
    demo: bool = False  # a bedside monitor left in demo mode (its numbers are not the patient's)
    heart_rate: float | None = None  # ECG heart rate (/min); None: a device shows the pulse rate as its ECG rate
    #: parameters the device reports as invalid (its own "no value") though the patient has them: "etco2",
    #: "nibp_pulse_rate" (a CARESCAPE with no capnography line and a cuff that found no rate)
    invalid: frozenset[str] = frozenset()

    @property
    def ecg_rate(self) -> float | None:
        """Return the ECG heart rate (/min) a monitor shows: heart_rate, else the pulse rate."""
        return self.pulse_rate if self.heart_rate is None else self.heart_rate

    @property
    def map(self) -> float:
        """Mean arterial pressure (mmHg), as devices.values.mean_arterial estimates it."""
        return mean_arterial(self.sbp, self.dbp)


class VitalsSource(Protocol):
    """Anything that says the vitals at scenario time t (s, non-decreasing): a scenario's Patient, or a scene's."""

    def step(self, t: float) -> Vitals: ...


@dataclass(frozen=True)
class Course:
    """Smooth deviations from baseline at scenario time t: the scenario's story."""

    spo2: float = 0.0
    pulse: float = 0.0
    sbp: float = 0.0
    dbp: float = 0.0
    probe_off: bool = False
    artifact: bool = False
    silent: bool = False
    port_closed: bool = False
    demo: bool = False
    spo2_invalid: bool = False  # the oximeter reports no valid SpO2, pulse, PI or pleth, with no status bit
    invalid: frozenset[str] = frozenset()  # further parameters reported invalid (see Vitals.invalid)


def _ramp(t: float, start: float, end: float) -> float:
    """Return 0 before start, 1 after end, a smooth (cosine) rise between."""
    if t <= start:
        return 0.0
    if t >= end:
        return 1.0
    return 0.5 - 0.5 * math.cos(math.pi * (t - start) / (end - start))


def _baseline(t: float) -> Course:
    return Course()


def _ketamine(t: float) -> Course:
    """A 40-min infusion: BP up +16/+11 peaking near minute 40, pulse +10, settling over 30 min."""
    m = t / 60.0
    rise = _ramp(m, 2, 40) * (1.0 - _ramp(m, 40, 70))
    return Course(sbp=16 * rise, dbp=11 * rise, pulse=10 * rise, spo2=-1.0 * rise)


def _desat(t: float) -> Course:
    """SpO2 falls to 84 % over a minute starting at 20 s, holds 30 s, recovers over 40 s; repeats every 5 min."""
    c = t % 300.0
    fall = _ramp(c, 20, 80) * (1.0 - _ramp(c, 110, 150))
    return Course(spo2=-(97.0 - 84.0) * fall, pulse=8 * fall)


def _hypertension(t: float) -> Course:
    """SBP climbs to about 185 mmHg over 2 minutes and stays."""
    r = _ramp(t, 10, 130)
    return Course(sbp=(185 - 122) * r, dbp=(108 - 78) * r, pulse=15 * r)


def _bradycardia(t: float) -> Course:
    """Pulse falls to about 38 /min over a minute."""
    return Course(pulse=-(72 - 38) * _ramp(t, 15, 75))


def _probe_off(t: float) -> Course:
    """Finger out of the probe for 30 s of every 2 minutes."""
    return Course(probe_off=40.0 <= t % 120.0 < 70.0)


def _artifact(t: float) -> Course:
    """Motion for 20 s of every minute: flagged, noisy values."""
    return Course(artifact=20.0 <= t % 60.0 < 40.0)


def _disconnect(t: float) -> Course:
    """Normal 30 s, silent 20 s, port gone 20 s, then back; repeats every 90 s."""
    c = t % 90.0
    return Course(silent=30.0 <= c < 70.0, port_closed=50.0 <= c < 70.0)


def _demo_mode(t: float) -> Course:
    """A bedside monitor in demo mode for 40 s of every 2 minutes (only monitors that say so show it)."""
    return Course(demo=20.0 <= t % 120.0 < 60.0)


def _invalid_stretches(t: float) -> Course:
    """The Contec CMS60C capture: SpO2 and pulse invalid (sentinels, flat pleth) from the first second.

    Each minute: invalid 0-22 s (the probe-error bit set 15-20 s), valid 22-30 s,
    invalid 30-52 s, valid 52-60 s: about three quarters of the readings
    invalid, as in the real capture, and no valid value in the first 22 s.
    """
    c = t % 60.0
    invalid = c < 22.0 or 30.0 <= c < 52.0
    return Course(spo2_invalid=invalid, probe_off=15.0 <= c < 20.0)


def _spo2_invalid(t: float) -> Course:
    """The IntelliVue capture: SpO2, pulse and PI invalid and the pleth flat for the whole session; ECG valid."""
    return Course(spo2_invalid=True)


def _etco2_invalid(t: float) -> Course:
    """The CARESCAPE capture: EtCO2 and the NIBP pulse invalid for the whole session while SpO2 is valid."""
    return Course(invalid=frozenset({"etco2", "nibp_pulse_rate"}))


SCENARIOS: dict[str, Callable[[float], Course]] = {
    "baseline": _baseline,
    "ketamine": _ketamine,
    "desat": _desat,
    "hypertension": _hypertension,
    "bradycardia": _bradycardia,
    "probe-off": _probe_off,
    "artifact": _artifact,
    "disconnect": _disconnect,
    "demo-mode": _demo_mode,
    "invalid-stretches": _invalid_stretches,
    "spo2-invalid": _spo2_invalid,
    "etco2-invalid": _etco2_invalid,
}


def pleth_shape(phase: float) -> float:
    """Return a plethysmogram value 0..1 at beat phase 0..1: fast upstroke, dicrotic notch, decay."""
    systolic = math.exp(-((phase - 0.18) / 0.09) ** 2)
    dicrotic = 0.35 * math.exp(-((phase - 0.45) / 0.08) ** 2)
    return min(1.0, 0.08 + 0.9 * systolic + dicrotic * (1.0 - 0.2 * systolic))


class Patient:
    """A simulated patient following a named scenario, with realistic noise.

    Baseline: SpO2 97 %, pulse 72 /min, BP 122/78 mmHg, PI 3.5 %, RR 14 /min.
    """

    def __init__(self, scenario: str = "baseline", seed: int = 1) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario '{scenario}'; choose one of: {', '.join(SCENARIOS)}")
        self.scenario = scenario
        self._course = SCENARIOS[scenario]
        import numpy as np  # here, not at the top: the command line lists the scenarios without numpy

        self._rng = np.random.default_rng(seed)
        self._phase = 0.0
        self._last_t: float | None = None
        self._spo2_noise = 0.0
        self._pulse_noise = 0.0

    def step(self, t: float) -> Vitals:
        """Advance to scenario time t (s, non-decreasing) and return the vitals then."""
        dt = 0.0 if self._last_t is None else max(0.0, t - self._last_t)
        self._last_t = t
        c = self._course(t)
        # slow random walks (Ornstein-Uhlenbeck) so numbers move like a real patient's
        k = min(1.0, dt / 20.0)
        self._spo2_noise += -k * self._spo2_noise + math.sqrt(k) * 0.6 * self._rng.standard_normal()
        self._pulse_noise += -k * self._pulse_noise + math.sqrt(k) * 2.0 * self._rng.standard_normal()
        pulse = max(25.0, 72.0 + c.pulse + self._pulse_noise)
        spo2 = min(100.0, max(50.0, 97.0 + c.spo2 + self._spo2_noise))
        self._phase = (self._phase + dt * pulse / 60.0) % 1.0
        pleth = pleth_shape(self._phase)
        if c.artifact:
            pleth = min(1.0, max(0.0, pleth + 0.5 * self._rng.standard_normal()))
            pulse += 25.0 * self._rng.standard_normal()
            spo2 = min(100.0, max(70.0, spo2 - abs(4.0 * self._rng.standard_normal())))
        off = c.probe_off
        blank = off or c.spo2_invalid
        return Vitals(
            t=t,
            spo2=None if blank else round(spo2, 1),
            pulse_rate=None if blank else round(max(25.0, pulse), 1),
            perfusion_index=None if blank else round(3.5 + 0.3 * math.sin(t / 17.0), 2),
            pleth=0.0 if blank else pleth,
            sbp=122.0 + c.sbp,
            dbp=78.0 + c.dbp,
            resp_rate=14.0,
            probe_off=off,
            artifact=c.artifact,
            silent=c.silent,
            port_closed=c.port_closed,
            demo=c.demo,
            heart_rate=round(max(25.0, pulse), 1),
            invalid=c.invalid,
        )
