"""Colours and fonts of the monitor: dark background, large numerals, IEC alarm colours."""

from __future__ import annotations

from PySide6.QtGui import QFont

from monitor.alarms import Priority

BACKGROUND = "#000000"
PANEL = "#15181c"
TEXT = "#e8e8e8"
DIM = "#8a8f96"
STALE = "#6b6f75"

#: Parameter colours, as most bedside monitors use them.
SPO2 = "#3fd0ff"
PULSE = "#4cff6a"
NIBP = "#ffffff"
INFUSION = "#ffb347"

#: Alarm colours (ALARMS.md): high red, medium yellow, low cyan.
ALARM_BG = {Priority.HIGH: "#d0021b", Priority.MEDIUM: "#f5c400", Priority.LOW: "#00b8d4"}
ALARM_FG = {Priority.HIGH: "#ffffff", Priority.MEDIUM: "#000000", Priority.LOW: "#000000"}
#: Symbols so colour is never the only cue: !!! high, !! medium, ! low.
ALARM_MARK = {Priority.HIGH: "!!!", Priority.MEDIUM: "!!", Priority.LOW: "!"}
#: Flash half-periods in ms: high 2 Hz, medium 0.6 Hz, low steady (0).
FLASH_MS = {Priority.HIGH: 250, Priority.MEDIUM: 830, Priority.LOW: 0}


def font(size: int, bold: bool = False) -> QFont:
    """Return the UI font at a pixel size (pixels so it reads the same on any DPI setting)."""
    f = QFont()
    f.setPixelSize(size)
    f.setBold(bold)
    return f

