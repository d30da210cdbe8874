"""The alarm sound on each system (issue 22): where it cannot play, one line on stderr names the cause and
what to do on that system (Windows, macOS, Linux), and the technical alarm says the alarms are silent."""

from __future__ import annotations

import sys

import pytest
import test_ui_alarms

from monitor.alarms.keys import AppAlarm
from monitor.live.core import MonitorCore
from ui import sound
from ui.sound import AlarmSound

core = test_ui_alarms.core  # a started core on a throwaway database, no devices
PREFIX = "infusion-monitor: no alarm sound (alarms are silent): "


def _silent(core: MonitorCore, capsys) -> list[str]:
    """Start the alarm sound; return the stderr lines it wrote, after checking it knows it is silent."""
    capsys.readouterr()
    player = AlarmSound(core)
    try:
        assert not player.available
        assert AppAlarm.AUDIO in {alarm.condition for alarm in core.alarm_view().active}
        return capsys.readouterr().err.splitlines()
    finally:
        player.stop()


@pytest.mark.parametrize(("platform", "fix"), [
    ("win32", "connect speakers or headphones, or start the Windows Audio service"),
    ("darwin", "choose one in System Settings > Sound"),
    ("linux", "no sound server (PulseAudio or PipeWire) answers in this session")])
def test_no_audio_output_is_one_line_with_the_systems_fix(qapp, core, capsys, monkeypatch, platform, fix):
    from PySide6.QtMultimedia import QMediaDevices

    monkeypatch.setattr(QMediaDevices, "audioOutputs", staticmethod(lambda: []))
    monkeypatch.setattr(sound.sys, "platform", platform)
    assert _silent(core, capsys) == [f"{PREFIX}no audio output device: {fix}"]


def test_a_qt_audio_library_that_cannot_load_is_one_line_naming_the_package(qapp, core, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "PySide6.QtMultimedia", None)  # as when libpulse0 is missing on Linux
    monkeypatch.setattr(sound.sys, "platform", "linux")
    [line] = _silent(core, capsys)
    assert line.startswith(f"{PREFIX}the Qt audio library cannot load: ") and line.endswith(
        "(sudo apt-get install libpulse0)"), line
