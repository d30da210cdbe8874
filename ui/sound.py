"""Alarm sound: plays the engine's audible priority with IEC-style tones made in code.

QtMultimedia needs an audio output (and on Linux the PulseAudio client
library). Without one the alarms are silent, so this raises a visible
technical alarm saying exactly that instead of failing quietly, and one line
on stderr names the cause and what to do on this system (Windows, macOS,
Linux), for whoever starts the app to check it.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, QUrl

from monitor.alarms import REPEAT_S, Priority, tone_wav
from monitor.alarms.keys import AppAlarm
from monitor.app import notice
from monitor.live.core import MonitorCore

log = logging.getLogger(__name__)

#: What to do on each system when it offers no audio output (keyed by the start of sys.platform).
NO_OUTPUT_FIX = {"win32": "connect speakers or headphones, or start the Windows Audio service",
                 "darwin": "choose one in System Settings > Sound",
                 "linux": "no sound server (PulseAudio or PipeWire) answers in this session"}


def no_output_cause() -> str:
    """Say that there is no audio output, and what to do about it on this system."""
    fix = next((text for prefix, text in NO_OUTPUT_FIX.items() if sys.platform.startswith(prefix)), "")
    return f"no audio output device: {fix}" if fix else "no audio output device"


def library_cause(exc: ImportError) -> str:
    """Say that Qt's audio library cannot load, and on Linux which package it wants."""
    package = " (sudo apt-get install libpulse0)" if sys.platform.startswith("linux") else ""
    return f"the Qt audio library cannot load: {exc}{package}"


class AlarmSound(QObject):
    """Polls the core's audible priority and repeats its tone pattern."""

    def __init__(self, core: MonitorCore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.core = core
        self._effects = {}
        self._last_played: dict[Priority, float] = {}
        self._playing: Priority | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="infusion-monitor-tones-")
        problem = self._setup()
        if problem:
            log.warning("alarm sound unavailable: %s", problem)
            notice(f"no alarm sound (alarms are silent): {problem}")
            core.raise_technical(AppAlarm.AUDIO, Priority.MEDIUM, "No alarm sound: alarms are silent")
        self.available = not problem
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self.timer.start(100)

    def _setup(self) -> str:
        """Prepare one sound effect per priority; return '' or what is missing."""
        try:
            from PySide6.QtMultimedia import QMediaDevices, QSoundEffect
        except ImportError as exc:
            return library_cause(exc)
        if not QMediaDevices.audioOutputs():
            return no_output_cause()
        for priority in Priority:
            path = Path(self._dir.name) / f"{priority.label}.wav"
            path.write_bytes(tone_wav(priority))
            effect = QSoundEffect(self)
            effect.setSource(QUrl.fromLocalFile(str(path)))
            effect.setVolume(1.0)
            self._effects[priority] = effect
        return ""

    def _tick(self) -> None:
        if not self.available:
            return
        priority = self.core.alarm_view().audible
        now = time.monotonic()
        if priority is None:
            self._playing = None
            return
        repeat = REPEAT_S.get(priority)
        last = self._last_played.get(priority)
        due = priority != self._playing or (repeat is not None and (last is None or now - last >= repeat))
        if due:
            self._effects[priority].play()
            self._last_played[priority] = now
            self._playing = priority

    def stop(self) -> None:
        self.timer.stop()
        for effect in self._effects.values():
            effect.stop()
        self._dir.cleanup()
