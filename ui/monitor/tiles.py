"""Numeric tiles and the NIBP field, painted from monitor.live.screen views (no rule is decided here).

A tile takes its alarm colour only while the alarm's condition is present; an
ended alarm awaiting acknowledgement is a line of text on normal colours.
Questionable values are drawn in the dimmed parameter colour with their '?';
stale and blocked ones in grey, with the age of the value at the tile's
bottom right, in white on dark red: the words beside it yield (PI and signal
quality only show with a live value), and in a tile too narrow for it the age
loses its start, never its end ("…94 · 42 s ago"). Every other line has a
fixed height and elides, so a long text never grows the window, and nothing
moves when the age appears; the limits, signal quality and cuff pressure
shrink their print to fit instead, since a number cut short reads as another.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout

from monitor.alarms import Priority
from monitor.live.view import NibpView, TileView
from ui import theme
from ui.widgets import BadgeLabel, ClickableFrame, ElidedLabel, FitLabel, ShrinkLabel, TwoLineLabel, fit_together

#: Colour of each parameter's numerals.
COLOURS = {"spo2": theme.SPO2, "pulse_rate": theme.PULSE, "heart_rate": theme.ECG, "etco2": theme.CO2,
           "resp_rate": theme.CO2}
#: The badge of a value from a simulator (its source line says SIMULATED): white on violet, no alarm colour.
SIMULATED_BG = "#6a1b9a"


def _number_label(px: int) -> QLabel:
    label = FitLabel("---")
    theme.set_font(label, px, bold=True)
    label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
    return label


class _Frame(ClickableFrame):
    """A tile's frame: restyles (costly: the whole tile is re-polished) only when its colours change."""

    sigLimits = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("tile")
        self.setToolTip("Click to see or change the alarm limits")
        self.sigClicked.connect(self.sigLimits)
        self._style: tuple | None = None

    def paint_colours(self, alarm: Priority | None, value_colour: str, title_colour: str,
                      value_label: QLabel, title_label: QLabel) -> None:
        bg, fg = (theme.ALARM_BG[alarm], theme.ALARM_FG[alarm]) if alarm is not None else (theme.PANEL, theme.TEXT)
        style = (bg, fg, value_colour if alarm is None else fg, title_colour if alarm is None else fg)
        if style == self._style:
            return
        self._style = style
        self.setStyleSheet(f"QFrame#tile {{ background: {bg}; border-radius: 6px; }}"
                           f"QLabel {{ color: {fg}; background: transparent; }}"
                           f"QLabel[role='dim'] {{ color: {fg if alarm is not None else theme.DIM}; }}"
                           f"QLabel[role='age'] {{ color: #ffffff; background: {theme.WARN_BG}; "
                           f"border-radius: 4px; padding: 0 6px; }}"
                           f"QLabel[role='simulated'] {{ color: #ffffff; background: {SIMULATED_BG}; "
                           f"border-radius: 4px; padding: 0 6px; }}")
        value_label.setStyleSheet(f"color: {style[2]};")
        title_label.setStyleSheet(f"color: {style[3]};")


class Tile(_Frame):
    """One numeric: title, unit and limits on the left, the number on the right, a status line below."""

    def __init__(self, param: str, value_px: int = 80) -> None:
        super().__init__()
        self.param = param
        self.colour = COLOURS.get(param, theme.TEXT)
        self.title = QLabel("")
        theme.set_font(self.title, 22, bold=True)
        self.unit = ElidedLabel()
        theme.set_font(self.unit, 17)
        self.source = ElidedLabel()
        self.source.setProperty("role", "dim")
        theme.set_font(self.source, 14)
        self.value = _number_label(value_px)
        self.age = BadgeLabel()  # how old the value is, whenever it is not live: whole, the words beside yield
        theme.set_font(self.age, 17, bold=True)
        self.note = ShrinkLabel()  # "!!! ended 10:34 · acknowledge" whole on a narrow tile, never "· ac…"
        theme.set_font(self.note, 16, bold=True)
        self.extra = ShrinkLabel()
        theme.set_font(self.extra, 15)
        self.limits = ShrinkLabel()
        self.limits2 = ShrinkLabel()
        for label in (self.limits, self.limits2):
            label.setProperty("role", "dim")
            theme.set_font(label, 14)
        fit_together([self.limits, self.limits2])  # both sides of the limits in one size
        left = QVBoxLayout()
        left.setSpacing(0)
        for w in (self.title, self.unit, self.source, self.limits, self.limits2):
            left.addWidget(w)
        left.addStretch(1)
        grid = QGridLayout(self)
        grid.setContentsMargins(10, 4, 10, 4)
        grid.setVerticalSpacing(0)
        bottom = QHBoxLayout()  # PI and signal quality, or an ended alarm's worst, show while a value is live: the
        bottom.setSpacing(8)   # age shares their line without growing the tile, and they yield to it
        bottom.addWidget(self.extra, 1)
        bottom.addWidget(self.age)
        grid.addLayout(left, 0, 0)
        grid.addWidget(self.value, 0, 1)
        grid.addWidget(self.note, 1, 0, 1, 2)
        grid.addLayout(bottom, 2, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

    def show_view(self, v: TileView) -> None:
        """Paint a TileView."""
        self.title.setText(v.title if v.alarm is None else f"{theme.ALARM_MARK[v.alarm]} {v.title}")
        self.unit.setText(v.unit)
        self.source.setText(v.source)
        theme.restyle(self.source, "role", "simulated" if v.simulated else "dim")
        self.value.setText(v.value)
        self.age.setText(v.age)
        theme.restyle(self.age, "role", "age" if v.age else "")
        self.note.setText(v.ack_note or v.note or v.others)
        self.extra.setText(v.ack_worst or v.extra)
        lines = (*v.limits, "", "")
        self.limits.setText(lines[0])
        self.limits2.setText(lines[1])
        value_colour = {"live": self.colour, "questionable": theme.DIMMED.get(self.colour, theme.DIM)}.get(v.look,
                                                                                                      theme.DIM)
        self.paint_colours(v.alarm, value_colour, self.colour, self.value, self.title)


class NibpTile(_Frame):
    """The NIBP field: last valid BP, MAP and its time beside it, the cuff pressure and a failure apart, limits."""

    def __init__(self, value_px: int = 64) -> None:
        super().__init__()
        self.title = QLabel("NIBP")
        theme.set_font(self.title, 22, bold=True)
        self.unit = QLabel("mmHg")
        theme.set_font(self.unit, 17)
        self.source = ElidedLabel()
        self.source.setProperty("role", "dim")
        theme.set_font(self.source, 15, bold=True)
        self.cuff = ShrinkLabel()
        theme.set_font(self.cuff, 17, bold=True)
        self.cuff.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.value = _number_label(value_px)
        self.mean = ElidedLabel()
        theme.set_font(self.mean, 20, bold=True)
        self.when = ShrinkLabel()  # the reading's time and age, or the old reading: whole, in smaller print if need be
        theme.set_font(self.when, 16, bold=True)
        self.failure = TwoLineLabel()  # its cause whole and readable: two lines before smaller print
        theme.set_font(self.failure, 16, bold=True)
        self.limits = ShrinkLabel()
        self.limits2 = ShrinkLabel()
        for label in (self.limits, self.limits2):
            label.setProperty("role", "dim")
            theme.set_font(label, 15)
        fit_together([self.limits, self.limits2])
        top = QHBoxLayout()
        top.setSpacing(10)
        top.addWidget(self.title)
        top.addWidget(self.unit)
        top.addWidget(self.source, 1)
        top.addWidget(self.cuff, 2)
        side = QVBoxLayout()
        side.setSpacing(0)
        side.addStretch(1)
        for w in (self.mean, self.when, self.failure):
            side.addWidget(w)
        side.addStretch(1)
        grid = QGridLayout(self)
        grid.setContentsMargins(10, 4, 10, 4)
        grid.setVerticalSpacing(0)
        grid.addLayout(top, 0, 0, 1, 2)
        grid.addWidget(self.value, 1, 0)
        grid.addLayout(side, 1, 1)
        grid.addWidget(self.limits, 2, 0, 1, 2)
        grid.addWidget(self.limits2, 3, 0, 1, 2)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)

    def show_view(self, v: NibpView) -> None:
        """Paint a NibpView."""
        self.title.setText("NIBP" if v.alarm is None else f"{theme.ALARM_MARK[v.alarm]} NIBP")
        self.source.setText(v.source or ("manual" if v.manual else ""))
        theme.restyle(self.source, "role", "simulated" if v.simulated else "dim")
        self.value.setText(v.value)
        self.mean.setText(v.mean)
        self.when.setText(v.when)
        self.cuff.setText(v.cuff)
        self.failure.setText(v.failure or v.ack_note)
        lines = (*v.limits, "", "")
        self.limits.setText(lines[0])
        self.limits2.setText(lines[1])
        colour = theme.NIBP if v.look == "live" else theme.DIM
        self.paint_colours(v.alarm, colour, theme.NIBP, self.value, self.title)
