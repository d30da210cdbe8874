"""The alarm area: physiological and technical alarms in separate fixed fields, the sound symbol, two buttons.

As on bedside monitors, the two kinds of alarm have their own field so neither
can push the other out, and the area has a fixed height so nothing below moves
when alarms come and go. Each field takes its top priority's colour and
flashes at its rate (ALARMS.md) until acknowledged; a '!!!'/'!!'/'!' mark and a
✓ once acknowledged mean colour is never the only cue. What does not fit ends
in "+N more"; a click on a field opens the alarm history with every text whole.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QSizePolicy, QVBoxLayout

from monitor.live.view import AlarmField, AudioView
from ui import theme
from ui.widgets import AudioIndicator, ClickableFrame, ElidedLabel, fitting_px

#: Height of the alarm area (px at scale 1): it never changes with the alarms shown.
HEIGHT = 84
#: Its height in the compact layout (a window less than ui.monitor.main_window.COMPACT_BELOW high).
COMPACT_HEIGHT = 72
#: Widths of the physiological and the technical field (stretch factors), normal and compact. At 1024 px the
#: technical field at 8/23 was 185 px, and "! NIBP: BP measurement failed (motion artefact)" lost its cause.
FIELD_SHARES = {False: (15, 8), True: (14, 9)}
#: Every text each button can show: its width is that of the longest, so no text change moves anything.
PAUSE_TEXTS = ("Pause sound\n2 min  [Space]", "Sound paused 4:59\n[Space] +2 min")
ACK_TEXTS = ("Acknowledge", "✓ Acknowledged")


class AlarmFieldWidget(ClickableFrame):
    """One alarm field: a headline and up to `rest_lines` lines below it, fixed height."""

    def __init__(self, name: str, headline_px: int, rest_px: int, rest_lines: int,
                 compact: tuple[int, int, int]) -> None:
        """compact: (headline px, rest px, rest lines) in the compact layout."""
        super().__init__()
        self.setObjectName(name)
        self.setToolTip("Click for the alarm history (every alarm in full)")
        self._sizes = {False: (headline_px, rest_px, rest_lines), True: compact}
        self.headline = ElidedLabel()
        self.rest = [ElidedLabel() for _ in range(max(rest_lines, compact[2]))]
        self.set_compact(False)
        box = QVBoxLayout(self)
        box.setContentsMargins(12, 4, 12, 4)
        box.setSpacing(0)
        box.addWidget(self.headline)
        for label in self.rest:
            box.addWidget(label)
        box.addStretch(1)
        self._style: tuple | None = None
        self.lines: tuple[str, ...] | None = None
        self._empty = ""

    def set_compact(self, compact: bool) -> None:
        """Use the normal or the compact type sizes and number of lines."""
        self._compact = compact
        headline_px, rest_px, rest_lines = self._sizes[compact]
        theme.set_font(self.headline, headline_px, bold=True)
        for i, label in enumerate(self.rest):
            theme.set_font(label, rest_px, bold=True)
            label.setVisible(i < rest_lines)
        if getattr(self, "lines", None) is not None:
            self._fill(self.lines, self._empty)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.lines is not None:
            self._fill(self.lines, self._empty)  # the lines wrap differently at the new width

    def show_field(self, field: AlarmField, now_ms: int) -> None:
        """Show the field's alarms; now_ms (monotonic) drives the flashing."""
        shown = tuple(line.shown for line in field.lines)
        if shown != self.lines or field.empty != self._empty:
            self.lines, self._empty = shown, field.empty
            self._fill(shown, field.empty)
        top = field.top
        half = theme.FLASH_MS.get(top, 0) if top is not None else 0
        on = not (half and field.flashing) or (now_ms // half) % 2 == 0
        if top is None:
            style = (theme.PANEL, theme.DIM)
        elif on:
            style = (theme.ALARM_BG[top], theme.ALARM_FG[top])
        else:
            style = (theme.ALARM_DIM_BG[top], theme.TEXT)
        if style != self._style:
            self._style = style
            self.setStyleSheet(f"#{self.objectName()} {{ background: {style[0]}; border-radius: 6px; }}"
                               f"QLabel {{ color: {style[1]}; background: transparent; }}")

    def _fill(self, lines: tuple[str, ...], empty: str) -> None:
        labels = [self.headline, *(label for label in self.rest if not label.isHidden())]
        self._fit_headline("" if lines else empty)
        texts = flow(list(lines) or [empty], labels)
        for label, text in zip(labels, texts):
            label.setText(text)

    def _fit_headline(self, empty: str) -> None:
        """Keep an empty field's words ("No physiological alarm") whole on the headline: in a field too narrow
        for them at the headline's size (1024 px) they shrink, down to the lines' size, rather than wrap with
        their last word in smaller print below. An alarm's headline keeps its size and wraps."""
        scale = float(self.window().property("font_scale") or 1.0)
        headline_px, rest_px, _ = self._sizes[self._compact]
        px = headline_px * scale
        if empty:
            px = fitting_px([empty], self.headline.width(), px, rest_px * scale, bold=True)
        if self.headline.font().pixelSize() != int(px):
            self.headline.setFont(theme.font(px, True))  # not theme.set_font: the base size stays what it was


def flow(alarms: list[str], labels: list[ElidedLabel]) -> list[str]:
    """Lay alarm texts over a field's lines: each starts on a new line and wraps onto the next ones while
    lines are left; what does not fit ends in '…' and the last line says "+N more"."""
    out: list[str] = []
    shown = 0
    for text in alarms:
        if len(out) == len(labels):
            break
        words = text.split(" ")
        while words and len(out) < len(labels):
            label = labels[len(out)]
            fm, width = label.fontMetrics(), max(60, label.width())
            line = words.pop(0)
            while words and fm.horizontalAdvance(f"{line} {words[0]}") <= width:
                line += " " + words.pop(0)
            if words and len(out) == len(labels) - 1:
                line += " " + " ".join(words)  # the last line: elided by its label
                words = []
            out.append(line)
        shown += 1
    more = len(alarms) - shown
    if more and out:
        label = labels[len(out) - 1]
        tail = f"   +{more} more"
        room = max(20, label.width() - label.fontMetrics().horizontalAdvance(tail))
        out[-1] = label.fontMetrics().elidedText(out[-1], Qt.ElideRight, room) + tail
    return out + [""] * (len(labels) - len(out))


class AlarmBar(QFrame):
    """The alarm area; emits sigPause, sigAcknowledge, and sigHistory when a field is clicked."""

    sigPause = Signal()
    sigAcknowledge = Signal()
    sigHistory = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("alarmarea")
        self.physio = AlarmFieldWidget("physio", 28, 17, 2, (24, 15, 2))
        self.technical = AlarmFieldWidget("technical", 17, 16, 3, (16, 15, 2))
        for f in (self.physio, self.technical):
            f.sigClicked.connect(self.sigHistory)
        self.audio = AudioIndicator()
        theme.set_font(self.audio, 14, bold=False)
        self.pause_button = QPushButton(PAUSE_TEXTS[0])
        self.ack_button = QPushButton(ACK_TEXTS[0])
        for b in (self.pause_button, self.ack_button):
            b.setSizePolicy(QSizePolicy.Fixed, QSizePolicy.Expanding)
        self.pause_button.clicked.connect(self.sigPause)
        self.ack_button.clicked.connect(self._acknowledge)
        self._row = row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(self.physio)
        row.addWidget(self.technical)
        row.addWidget(self.audio)
        row.addWidget(self.pause_button)
        row.addWidget(self.ack_button)
        self._ack_feedback = QTimer(self)
        self._ack_feedback.setSingleShot(True)
        self._ack_feedback.timeout.connect(lambda: self.ack_button.setText(ACK_TEXTS[0]))
        self.set_layout(1.0, False)

    def set_layout(self, factor: float, compact: bool) -> None:
        """Keep the area's fixed height and the buttons' fixed widths in step with the window's font scale and
        layout (compact: less high, smaller type)."""
        self.setFixedHeight(int((COMPACT_HEIGHT if compact else HEIGHT) * factor))
        for f, share in zip((self.physio, self.technical), FIELD_SHARES[compact]):
            f.set_compact(compact)
            self._row.setStretchFactor(f, share)
        for b, texts in ((self.pause_button, PAUSE_TEXTS), (self.ack_button, ACK_TEXTS)):
            theme.set_font(b, 15 if compact else 16, bold=True)
            fm = b.fontMetrics()  # the theme's padding and border take 22 px beside the text
            b.setFixedWidth(max(fm.horizontalAdvance(line) for t in texts for line in t.split("\n")) + 24)

    def _acknowledge(self) -> None:
        self.sigAcknowledge.emit()
        self.ack_button.setText(ACK_TEXTS[1])  # feedback in place: the button's width is fixed for this text
        self._ack_feedback.start(2500)

    def show_view(self, physio: AlarmField, technical: AlarmField, audio: AudioView, now_ms: int) -> None:
        """Paint both fields, the sound symbol and the pause countdown."""
        self.physio.show_field(physio, now_ms)
        self.technical.show_field(technical, now_ms)
        self.audio.show_state(audio.state, audio.text)
        if audio.state == "paused":
            self.pause_button.setText(f"Sound {audio.text}\n[Space] +2 min")
        else:
            self.pause_button.setText(PAUSE_TEXTS[0])
