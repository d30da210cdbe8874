"""Alarm tones: well-formed WAV, IEC-like pulse counts and timing, fundamentals, no clicks."""

import io
import wave

import numpy as np
import pytest

from monitor.alarms import PATTERNS, REPEAT_S, Priority, tone_wav


def read(data):
    with wave.open(io.BytesIO(data)) as w:
        params = (w.getnchannels(), w.getsampwidth(), w.getframerate())
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(float)
    return params, pcm


def bursts(pcm, rate, window_s=0.005):
    """Return the start times (s) of bursts of energy, found on a 5 ms RMS envelope."""
    n = int(rate * window_s)
    frames = pcm[: len(pcm) // n * n].reshape(-1, n)
    loud = np.sqrt((frames ** 2).mean(axis=1)) > 0.1 * np.abs(pcm).max()
    edges = np.flatnonzero(loud[1:] & ~loud[:-1]) + 1
    return (edges * window_s).tolist()


@pytest.mark.parametrize(("priority", "count"), [(Priority.HIGH, 10), (Priority.MEDIUM, 3), (Priority.LOW, 2)])
@pytest.mark.parametrize("rate", [22050, 44100])
def test_wav_is_well_formed_with_the_right_pulse_count(priority, count, rate):
    data = tone_wav(priority, sample_rate=rate)
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    params, pcm = read(data)
    assert params == (1, 2, rate)
    assert len(pcm) / rate == pytest.approx(PATTERNS[priority].duration_s + 0.04, abs=0.01)
    assert len(bursts(pcm, rate)) == count == PATTERNS[priority].pulses
    assert 0.3 * 32767 < np.abs(pcm).max() <= 0.5 * 32767 + 1


def test_high_priority_is_3_plus_2_pause_3_plus_2():
    _, pcm = read(tone_wav(Priority.HIGH))
    gaps = np.diff(bursts(pcm, 22050))
    short = gaps[[0, 1, 3, 5, 6, 8]]
    assert np.ptp(short) < 0.011  # equal spacing inside each group
    assert gaps[2] > short.max() + 0.1 and gaps[7] > short.max() + 0.1  # the 3 | 2 split
    assert gaps[4] > gaps[2] + 0.2  # the pause between the halves


@pytest.mark.parametrize("priority", list(Priority))
def test_fundamental_between_150_and_1000_hz_with_harmonics(priority):
    rate = 22050
    pattern = PATTERNS[priority]
    _, pcm = read(tone_wav(priority, sample_rate=rate))
    start = int((0.02 + 0.1 * pattern.pulse_s) * rate)
    chunk = pcm[start:start + int(0.8 * pattern.pulse_s * rate)]
    spectrum = np.abs(np.fft.rfft(chunk * np.hanning(len(chunk))))
    freqs = np.fft.rfftfreq(len(chunk), 1 / rate)
    peak = freqs[np.argmax(spectrum)]
    assert 150 <= peak <= 1000 and peak == pytest.approx(pattern.fundamental_hz, abs=15)
    for k in (2, 3, 4, 5):  # at least four harmonics, 300 to 4000 Hz
        band = (freqs > k * peak - 20) & (freqs < k * peak + 20)
        assert spectrum[band].max() > 0.1 * spectrum.max()
        assert 300 <= k * peak <= 4000


@pytest.mark.parametrize("priority", list(Priority))
def test_pulses_start_and_end_softly(priority):
    rate = 22050
    pattern = PATTERNS[priority]
    _, pcm = read(tone_wav(priority, sample_rate=rate))
    peak = np.abs(pcm).max()
    assert pcm[0] == 0 and pcm[-1] == 0
    for start in pattern.starts():
        i = int(round((0.02 + start) * rate))
        j = i + int(round(pattern.pulse_s * rate))
        assert np.abs(pcm[i:i + int(0.002 * rate)]).max() < 0.1 * peak  # attack, no click
        assert np.abs(pcm[j - int(0.002 * rate):j]).max() < 0.1 * peak  # decay


def test_repeat_intervals():
    assert 2.5 <= REPEAT_S[Priority.HIGH] < REPEAT_S[Priority.MEDIUM] <= 30
    assert REPEAT_S[Priority.LOW] is None
    assert REPEAT_S[Priority.HIGH] > PATTERNS[Priority.HIGH].duration_s
