"""Alarm tones shaped like IEC 60601-1-8 bursts, generated in code as in-memory WAV bytes (no Qt).

Pulse timing (s) within the standard's ranges as remembered: high priority
pulses last 75-200 ms with 50-125 ms spacing x, in the pattern
3 + 2 (spacing 2x + td between them), pause, 3 + 2; medium 3 pulses and low
2 pulses of 125-250 ms with 125-250 ms spacing. Each pulse has a fundamental
between 150 and 1000 Hz and four harmonics (300-4000 Hz) so that it is
locatable and heard through noise, and raised-cosine attack and decay of 15 %
of its length so that it does not click. The player (ui/) repeats a burst
every REPEAT_S[priority] seconds while that priority is audible.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass

import numpy as np

from monitor.alarms.model import Priority


@dataclass(frozen=True)
class BurstPattern:
    """Shape of one burst: fundamental (Hz), pulse length (s), silences between pulses (s)."""

    fundamental_hz: float
    pulse_s: float
    gaps_s: tuple[float, ...]  # len = pulses - 1

    @property
    def pulses(self) -> int:
        """Return the number of pulses in the burst."""
        return len(self.gaps_s) + 1

    def starts(self) -> list[float]:
        """Return the start time (s) of each pulse from the start of the burst."""
        out, t = [0.0], 0.0
        for gap in self.gaps_s:
            t += self.pulse_s + gap
            out.append(t)
        return out

    @property
    def duration_s(self) -> float:
        """Return the length of the burst from the first pulse start to the last pulse end (s)."""
        return self.starts()[-1] + self.pulse_s


_X = 0.08  # high-priority pulse spacing (s)
_TD_HIGH = 0.15
PATTERNS: dict[Priority, BurstPattern] = {
    Priority.HIGH: BurstPattern(660.0, _TD_HIGH, (_X, _X, 2 * _X + _TD_HIGH, _X, 0.6, _X, _X, 2 * _X + _TD_HIGH, _X)),
    Priority.MEDIUM: BurstPattern(523.25, 0.2, (0.2, 0.2)),
    Priority.LOW: BurstPattern(392.0, 0.2, (0.2,)),
}

#: Seconds from the start of one burst to the start of the next; None = play once.
REPEAT_S: dict[Priority, float | None] = {Priority.HIGH: 5.0, Priority.MEDIUM: 10.0, Priority.LOW: None}

HARMONIC_AMPLITUDES = (1.0, 0.5, 0.33, 0.25, 0.2)  # fundamental, then harmonics 2..5
EDGE_FRACTION = 0.15  # attack and decay, fraction of the pulse length
PADDING_S = 0.02  # silence before and after the burst, so players do not clip a pulse


def _pulse(pattern: BurstPattern, sample_rate: int) -> np.ndarray:
    n = int(round(pattern.pulse_s * sample_rate))
    t = np.arange(n) / sample_rate
    wave_ = sum(a * np.sin(2 * np.pi * pattern.fundamental_hz * (k + 1) * t)
                for k, a in enumerate(HARMONIC_AMPLITUDES))
    wave_ = wave_ / np.max(np.abs(wave_))
    edge = max(1, int(round(EDGE_FRACTION * n)))
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(edge) / edge)
    envelope = np.ones(n)
    envelope[:edge] = ramp
    envelope[-edge:] = ramp[::-1]
    return wave_ * envelope


def tone_samples(priority: Priority, sample_rate: int = 22050) -> np.ndarray:
    """Return one burst of the priority's tone as float samples in -1..1 (mono)."""
    pattern = PATTERNS[priority]
    pulse = _pulse(pattern, sample_rate)
    pad = int(round(PADDING_S * sample_rate))
    out = np.zeros(pad * 2 + int(round(pattern.duration_s * sample_rate)) + 1)
    for start in pattern.starts():
        i = pad + int(round(start * sample_rate))
        out[i:i + len(pulse)] += pulse
    return out


def tone_wav(priority: Priority, sample_rate: int = 22050, volume: float = 0.5) -> bytes:
    """Return one burst of the priority's tone as a complete WAV file (16-bit PCM mono) in memory."""
    pcm = np.round(tone_samples(priority, sample_rate) * volume * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()
