"""The alarm sound, heard: the app plays each priority into a real sound server's null output, the test
records that output and checks pulse count, grouping, pitch and timing against ALARMS.md.

A throwaway PulseAudio server (one per priority, so the three run side by side) is started with a null
sink; `parec` records its monitor. Skipped, with the reason, when pulseaudio or parec is not installed
(`.ci/run` installs them).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from monitor.alarms import REPEAT_S, Priority
from monitor.alarms.tones import PATTERNS

RATE = 16000  # Hz of the recording: the tones' harmonics reach 5 x 660 Hz
PLAYER = Path(__file__).parent.parent / "sound_player.py"
PLAY_S = {Priority.HIGH: 9.5, Priority.MEDIUM: 12.0, Priority.LOW: 6.0}  # two bursts of high and medium

pytestmark = [pytest.mark.slow,  # a throwaway sound server records what the app plays, in real time
              pytest.mark.skipif(not (shutil.which("pulseaudio") and shutil.which("parec")),
                                 reason="needs pulseaudio and parec (Debian: pulseaudio pulseaudio-utils)")]


@dataclass
class SoundServer:
    """A PulseAudio server with one null sink; record() captures what reaches the sink."""

    env: dict[str, str]
    process: subprocess.Popen

    def record(self, path: Path) -> list[subprocess.Popen]:
        """Start recording the sink; a stream of silence keeps it running, so quiet time is recorded too."""
        raw = ["--raw", "--format=s16le", f"--rate={RATE}", "--channels=1", "--latency-msec=20"]
        with open(path, "wb") as out:
            recorder = subprocess.Popen(["parec", "-d", "alarms.monitor", *raw], stdout=out, env=self.env)
        silence = subprocess.Popen(["pacat", "--playback", "-d", "alarms", *raw, "/dev/zero"], env=self.env)
        deadline = time.monotonic() + 20  # until then quiet time may be left out: wait for a steady flow
        while time.monotonic() < deadline and path.stat().st_size < RATE * 2:  # one second recorded
            time.sleep(0.05)
        return [recorder, silence]


def start_server(folder: Path) -> SoundServer:
    runtime = folder / "runtime"
    runtime.mkdir(mode=0o700, parents=True)
    socket = runtime / "native"
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(folder), "PULSE_SERVER": f"unix:{socket}",
           "XDG_DATA_HOME": str(folder / "data"), "XDG_STATE_HOME": str(folder / "state"), "DISPLAY": ""}
    process = subprocess.Popen(
        ["pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "-n", "--disallow-exit", "--use-pid-file=no",
         "--log-target=stderr", "--load=module-null-sink sink_name=alarms",
         f"--load=module-native-protocol-unix socket={socket}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0:
            return SoundServer(env, process)
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    pytest.fail("the throwaway PulseAudio server did not start")


@pytest.fixture(scope="module")
def heard(tmp_path_factory):
    """Play each priority into its own server at the same time; return the recordings (float samples)."""
    runs = {}
    try:
        for priority in Priority:
            folder = tmp_path_factory.mktemp(priority.label)
            server = start_server(folder)
            recorder, silence = server.record(folder / "heard.raw")
            player = subprocess.Popen([sys.executable, str(PLAYER), str(folder / "s.db"), priority.name,
                                       str(PLAY_S[priority])], env=server.env, stdout=subprocess.PIPE, text=True)
            runs[priority] = (folder, server, [player, recorder, silence])
        for priority, (folder, server, (player, recorder, silence)) in runs.items():
            out, _ = player.communicate(timeout=60)
            assert player.returncode == 0 and out.startswith("playing"), out
        time.sleep(0.5)
        recordings = {}
        for priority, (folder, server, (player, recorder, silence)) in runs.items():
            recorder.send_signal(signal.SIGINT)
            recorder.wait(10)
            recordings[priority] = np.fromfile(folder / "heard.raw", dtype="<i2").astype(float) / 32768
        yield recordings
    finally:
        for folder, server, processes in runs.values():
            for process in (*processes, server.process):
                if process.poll() is None:
                    process.kill()
                    process.wait(10)


def pulses(signal_: np.ndarray, shortest_s: float = 0.05) -> list[tuple[float, float]]:
    """Return (start s, end s) of every pulse: where the 5 ms envelope exceeds a fifth of its peak.

    Blips shorter than shortest_s (a click as a stream starts) are not pulses: ALARMS.md pulses last 75-250 ms.
    """
    window = RATE // 200
    n = len(signal_) // window
    envelope = np.abs(signal_[:n * window]).reshape(n, window).max(axis=1)
    on = envelope > 0.2 * envelope.max()
    edges = np.flatnonzero(np.diff(on.astype(int)))
    starts = [e + 1 for e in edges if not on[e]]
    ends = [e + 1 for e in edges if on[e]]
    if on[0]:
        starts.insert(0, 0)
    if len(ends) < len(starts):
        ends.append(n)
    return [(s * window / RATE, e * window / RATE) for s, e in zip(starts, ends)
            if (e - s) * window / RATE >= shortest_s]


def bursts(found: list[tuple[float, float]], quiet_s: float = 1.5) -> list[list[tuple[float, float]]]:
    """Group pulses into bursts separated by more than quiet_s of silence."""
    out: list[list[tuple[float, float]]] = []
    for pulse in found:
        if out and pulse[0] - out[-1][-1][1] <= quiet_s:
            out[-1].append(pulse)
        else:
            out.append([pulse])
    return out


def fundamental(signal_: np.ndarray, start: float, end: float) -> float:
    part = signal_[int(start * RATE):int(end * RATE)]
    spectrum = np.abs(np.fft.rfft(part * np.hanning(len(part))))
    freqs = np.fft.rfftfreq(len(part), 1 / RATE)
    peaks = freqs[spectrum > 0.3 * spectrum.max()]
    return float(peaks.min())  # the lowest strong component: the fundamental, harmonics above it


def check_burst(burst: list[tuple[float, float]], priority: Priority) -> None:
    pattern = PATTERNS[priority]
    assert len(burst) == pattern.pulses
    lengths = [e - s for s, e in burst]
    gaps = [b[0] - a[1] for a, b in zip(burst, burst[1:])]
    assert np.allclose(lengths, pattern.pulse_s, atol=0.03), lengths
    assert np.allclose(gaps, pattern.gaps_s, atol=0.03), gaps


def test_high_priority_is_10_pulses_3_plus_2_pause_3_plus_2_repeated(heard):
    found = bursts(pulses(heard[Priority.HIGH]))
    assert len(found) == 2, [len(b) for b in found]
    for burst in found:
        check_burst(burst, Priority.HIGH)
        gaps = [b[0] - a[1] for a, b in zip(burst, burst[1:])]
        short = min(gaps)
        groups = np.split(np.arange(10), [i + 1 for i, g in enumerate(gaps) if g > 1.5 * short])
        assert [len(g) for g in groups] == [3, 2, 3, 2]
        assert gaps[4] == max(gaps)  # the pause is between the two halves
    repeat = found[1][0][0] - found[0][0][0]
    assert abs(repeat - REPEAT_S[Priority.HIGH]) < 0.5, repeat  # the player looks every 100 ms


def test_medium_priority_is_3_pulses_repeated_less_often(heard):
    found = bursts(pulses(heard[Priority.MEDIUM]))
    assert len(found) == 2, [len(b) for b in found]
    for burst in found:
        check_burst(burst, Priority.MEDIUM)
    repeat = found[1][0][0] - found[0][0][0]
    assert abs(repeat - REPEAT_S[Priority.MEDIUM]) < 0.5, repeat


def test_low_priority_is_two_pulses_not_repeated(heard):
    found = bursts(pulses(heard[Priority.LOW]))
    assert len(found) == 1, [len(b) for b in found]
    check_burst(found[0], Priority.LOW)
    assert 1 <= len(found[0]) <= 2


def test_each_pulse_has_a_fundamental_between_150_and_1000_hz_with_harmonics(heard):
    for priority, recording in heard.items():
        start, end = pulses(recording)[0]
        f0 = fundamental(recording, start + 0.02, end - 0.02)
        assert 150 <= f0 <= 1000 and abs(f0 - PATTERNS[priority].fundamental_hz) < 20, (priority, f0)
        part = recording[int(start * RATE):int(end * RATE)]
        spectrum = np.abs(np.fft.rfft(part))
        freqs = np.fft.rfftfreq(len(part), 1 / RATE)
        # the second harmonic of the pitch just checked: looked for at twice the pattern's fundamental, within
        # two bins (RATE / len(part): 10 Hz in a 100 ms pulse); twice the measured f0, off by up to a bin or
        # more depending on where the recording cut the pulse, missed it now and then
        near = 15 + 2 * RATE / len(part)
        second = spectrum[np.abs(freqs - 2 * PATTERNS[priority].fundamental_hz) < near].max()
        assert second > 0.1 * spectrum.max(), priority  # a harmonic, not a bare sine
