"""Small widgets the monitor screen is built from: fixed one-line fields that elide, a row of statuses, the audio
symbol.

A field of the monitor never grows the window: long texts (port names, alarm
texts) are cut with '…' inside a field of fixed height, and the full text is
kept (full_text(), the tooltip) for the place a click opens (alarm history,
devices panel).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QPointF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QMouseEvent, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from monitor.alarms import Priority
from ui import theme


def fitting_px(lines: Sequence[str], width: float, px: float, least: float, bold: bool) -> float:
    """Return the largest font size from px down to least, in steps of 1 px, at which every line fits width (least
    when none does): the one shrink-to-fit of labels, buttons and alarm fields."""
    while px > least and max(QFontMetrics(theme.font(px, bold)).horizontalAdvance(line) for line in lines) > width:
        px -= 1
    return px


class ElidedLabel(QLabel):
    """A one-line label of fixed height that cuts its text with '…' to its width (property elides=true)."""

    def __init__(self, text: str = "", parent: QWidget | None = None, min_chars: int = 4) -> None:
        super().__init__(parent)
        self.setProperty("elides", True)
        self._full = None
        self._min_chars = min_chars
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt naming)
        if text == self._full:
            return
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        """Return the whole text, cut or not."""
        return self._full or ""

    def _elide(self) -> None:
        width = max(0, self.contentsRect().width())
        super().setText(self.fontMetrics().elidedText(self._full or "", Qt.ElideRight, width))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.FontChange:
            self.updateGeometry()
            self._elide()

    def sizeHint(self) -> QSize:  # noqa: N802
        m = self.contentsMargins()
        fm = self.fontMetrics()
        return QSize(fm.horizontalAdvance(self._full or "") + m.left() + m.right() + 2,
                     fm.height() + m.top() + m.bottom())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        m = self.contentsMargins()
        fm = self.fontMetrics()
        return QSize(fm.averageCharWidth() * self._min_chars, fm.height() + m.top() + m.bottom())


class ShrinkElidedLabel(ElidedLabel):
    """A one-line label whose print shrinks (down to MIN_PX) to keep its text whole, and only then cuts it with '…'.

    A line of facts beside its buttons (the clinical panel's "Scales not recorded: Baseline") lost its end at
    1024 px, and the end was the fact: a slightly smaller print keeps it whole, and a text too long even then
    still ends in '…' with its whole text in the tooltip, never cut off mid-letter.
    """

    MIN_PX = 12

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        self._shrinking = False
        super().__init__(text, parent)

    def _elide(self) -> None:
        if not self._shrinking and self.property("base_px"):
            width = max(0, self.contentsRect().width())
            scale = float(self.window().property("font_scale") or 1.0)
            px, bold = int(float(self.property("base_px")) * scale), bool(self.property("base_bold"))
            px = int(fitting_px([self._full or ""], width, px, self.MIN_PX, bold))
            if self.font().pixelSize() != px:
                self._shrinking = True
                self.setFont(theme.font(px, bold))  # not theme.set_font: the base size stays what it was
                self._shrinking = False
        super()._elide()


class StatusRow(QWidget):
    """A row of short statuses (the footer's devices), each its own one-line label: dim while all is well, white
    on dark red while not, so the one device in trouble stands out; each elides, so the row never grows."""

    SEPARATION = 28  # px between two statuses

    def __init__(self, px: int, empty: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._px, self._empty = px, empty
        self._labels: list[ElidedLabel] = []
        self._box = QHBoxLayout(self)
        self._box.setContentsMargins(0, 0, 0, 0)
        self._box.setSpacing(self.SEPARATION)
        self._box.addStretch(1)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)

    def show_items(self, items: Sequence[tuple[str, bool]]) -> None:
        """Show (text, ok) statuses in order; none shows the empty text, dim."""
        items = list(items) or [(self._empty, True)]
        while len(self._labels) < len(items):
            label = ElidedLabel()
            label.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)  # its text's width, less when short of room
            theme.set_font(label, self._px, bold=True)
            self._box.insertWidget(len(self._labels), label)
            self._labels.append(label)
        for i, label in enumerate(self._labels):
            shown = i < len(items)
            label.setVisible(shown)
            if shown:
                label.setText(items[i][0])
                theme.restyle(label, "role", "dim" if items[i][1] else "warning")

    def full_text(self) -> str:
        """Return every status shown, whole, in order."""
        return "     ".join(label.full_text() for label in self._labels if not label.isHidden())


class _FitsText:
    """Mixin for a QLabel or QPushButton: its font shrinks (down to MIN_PX) so its text always fits its width, and
    grows back up to its base size (theme.set_font) times the window's font scale."""

    MIN_PX = 11
    PADDING = 0  # room the style takes beside the text (padding and border)

    def _init_fit(self) -> None:
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        self._fitting = False
        self._group: tuple[_FitsText, ...] = (self,)

    def _px_to_fit(self) -> int:
        """Return the largest font px (at most base x the window's scale) at which the text fits the width."""
        scale = float(self.window().property("font_scale") or 1.0)
        px = int(float(self.property("base_px") or 16) * scale)
        bold = bool(self.property("base_bold"))
        return int(fitting_px(self.text().split("\n"), self.width() - self.PADDING, px, self.MIN_PX, bold))

    def _fit(self) -> None:
        if self._fitting or not self.text():
            return
        px = min(m._px_to_fit() for m in self._group if m.text())
        for member in self._group:
            if member.font().pixelSize() != px:
                member._fitting = True
                member.setFont(theme.font(px, bool(member.property("base_bold"))))
                member._fitting = False

    def setText(self, text: str) -> None:  # noqa: N802
        if text != self.text():
            super().setText(text)  # type: ignore[misc]
            self._fit()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)  # type: ignore[misc]
        self._fit()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)  # type: ignore[misc]
        if event.type() == QEvent.FontChange:
            self._fit()


class FitLabel(_FitsText, QLabel):
    """A label (the big numerals) that never clips its text: its font shrinks to fit instead."""

    MIN_PX = 20
    PADDING = 2

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._init_fit()

    def sizeHint(self) -> QSize:  # noqa: N802
        scale = float(self.window().property("font_scale") or 1.0)
        fm = QFontMetrics(theme.font(float(self.property("base_px") or 16) * scale, bool(self.property("base_bold"))))
        return QSize(fm.horizontalAdvance(self.text()), fm.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(40, self.sizeHint().height())

    def full_text(self) -> str:
        """Return the text: always whole (as ElidedLabel.full_text, for code that reads either)."""
        return self.text()


class ShrinkLabel(FitLabel):
    """A line of small print (alarm limits, signal quality, cuff pressure) whose font shrinks to fit its width
    rather than cut its text: a limit cut to "▲ 110 !!  13…" reads as a wrong number."""

    MIN_PX = 9


class TwoLineLabel(ShrinkLabel):
    """Small print that takes a second line before its font shrinks, and always keeps room for two.

    The NIBP field's failure ("21:47 failed: motion artefact") stood in a
    column about 180 px wide at 1024 px: shrunk to fit one line, it was 10 px,
    unreadable from the foot of the chair. Words are split where the longer
    line is shortest; only a word too long for the column shrinks the print.
    The height of two lines is kept whether or not the text needs it, so
    nothing beside it moves when a failure comes or goes.
    """

    MIN_PX = 11

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        self._words = ""
        super().__init__(text, parent)

    def setText(self, text: str) -> None:  # noqa: N802
        self._words = text
        super().setText(self._laid_out(text))

    def full_text(self) -> str:
        """Return the text on one line, as it was given."""
        return self._words

    def resizeEvent(self, event) -> None:  # noqa: N802
        laid = self._laid_out(self._words)
        if laid != self.text():
            QLabel.setText(self, laid)
        super().resizeEvent(event)

    def sizeHint(self) -> QSize:  # noqa: N802
        hint = super().sizeHint()
        return QSize(hint.width(), 2 * hint.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(40, self.sizeHint().height())

    def _laid_out(self, text: str) -> str:
        """Return the text on one line if it fits the width at the base size, else on the two lines whose longer
        one is shortest."""
        scale = float(self.window().property("font_scale") or 1.0)
        fm = QFontMetrics(theme.font(float(self.property("base_px") or 16) * scale, bool(self.property("base_bold"))))
        words = text.split(" ")
        if len(words) < 2 or fm.horizontalAdvance(text) <= self.width() - self.PADDING:
            return text
        splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
        first, second = min(splits, key=lambda pair: max(fm.horizontalAdvance(pair[0]), fm.horizontalAdvance(pair[1])))
        return f"{first}\n{second}"


class BadgeLabel(ShrinkLabel):
    """Words on a coloured badge, a value's age ("last 97 · 12 min ago"): as wide as its words, so the words
    beside it yield first, and where even the whole line is too narrow its font shrinks rather than cut them.

    Cut at either end, an age reads wrong: "…t 97 · 12 min ago" on a 1024-px screen, "last 97 · 12 m…".
    """

    MIN_PX = 11
    PADDING = 14  # the badge's padding (6 px each side) and a pixel each side

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802
        hint = super().sizeHint()
        return QSize(hint.width() + self.PADDING if self.text() else 0, hint.height())


class FitButton(_FitsText, QPushButton):
    """A push button that never clips its text: its font shrinks to fit, so it is never wider than asked."""

    PADDING = 22  # the theme's left + right padding and border

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._init_fit()

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(40, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(60, super().sizeHint().height())


def fit_together(widgets: Sequence[FitButton | FitLabel]) -> None:
    """Give the widgets of one bar one font size, the largest at which every text fits: a row of buttons in mixed
    sizes looks unfinished (issue 19), and a size that changes with the width changes them all alike."""
    group = tuple(widgets)
    for w in group:
        w._group = group


def button(text: str, slot, px: int, height: int, fits: bool = False) -> QPushButton:
    """Return a bold button of base font px (scaled with the window) and minimum height, calling slot on click."""
    b = FitButton(text) if fits else QPushButton(text)
    theme.set_font(b, px, bold=True)
    b.setMinimumHeight(height)
    b.clicked.connect(slot)
    return b


class ClickableFrame(QFrame):
    """A frame that emits sigClicked when pressed (alarm fields open the history, limits open their dialog)."""

    sigClicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCursor(Qt.PointingHandCursor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.LeftButton and self.rect().contains(event.position().toPoint()):
            self.sigClicked.emit()
        super().mouseReleaseEvent(event)


class AudioIndicator(QWidget):
    """The alarm-sound symbol, always visible: a speaker with waves (on), with a pause mark and the
    countdown (paused), or struck through on red (no sound: alarms are silent)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.text = "on", "sound on"
        self.setSizePolicy(QSizePolicy.Minimum, QSizePolicy.Expanding)
        self.setToolTip("Alarm sound: on, paused (with the time left) or off")

    def show_state(self, state: str, text: str) -> None:
        """Show "on", "paused" or "off" with its words."""
        if (state, text) != (self.state, self.text):
            self.state, self.text = state, text
            self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(max(110, self.fontMetrics().horizontalAdvance("paused 0:00") + 16), 76)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(max(96, self.fontMetrics().horizontalAdvance("NO SOUND") + 16), 70)

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        off = self.state == "off"
        p.fillRect(self.rect(), QColor(theme.ALARM_BG[Priority.HIGH] if off else theme.PANEL))
        ink = QColor("#ffffff" if off or self.state == "paused" else theme.DIM)
        text_h = self.fontMetrics().height() + 4
        h = self.height() - text_h - 8
        size = max(16.0, min(h, self.width() * 0.5))
        x0, y0 = (self.width() - size * 1.3) / 2, 6 + (h - size) / 2
        speaker = QPolygonF([QPointF(x0, y0 + size * 0.35), QPointF(x0 + size * 0.25, y0 + size * 0.35),
                             QPointF(x0 + size * 0.55, y0 + size * 0.1), QPointF(x0 + size * 0.55, y0 + size * 0.9),
                             QPointF(x0 + size * 0.25, y0 + size * 0.65), QPointF(x0, y0 + size * 0.65)])
        p.setPen(Qt.NoPen)
        p.setBrush(ink)
        p.drawPolygon(speaker)
        pen = QPen(ink, max(2.0, size * 0.08))
        pen.setCapStyle(Qt.RoundCap)
        p.setPen(pen)
        p.setBrush(Qt.NoBrush)
        right = x0 + size * 0.7
        if self.state == "on":
            for k in (1, 2):
                r = size * 0.18 * k
                path = QPainterPath()
                path.arcMoveTo(right - r, y0 + size / 2 - r, 2 * r, 2 * r, -45)
                path.arcTo(right - r, y0 + size / 2 - r, 2 * r, 2 * r, -45, 90)
                p.drawPath(path)
        elif self.state == "paused":
            for dx in (0.12, 0.32):
                p.drawLine(QPointF(right + size * dx, y0 + size * 0.25), QPointF(right + size * dx, y0 + size * 0.75))
        else:
            p.drawLine(QPointF(x0 - size * 0.05, y0), QPointF(right + size * 0.5, y0 + size))
            p.drawLine(QPointF(right + size * 0.05, y0 + size * 0.3), QPointF(right + size * 0.45, y0 + size * 0.7))
            p.drawLine(QPointF(right + size * 0.45, y0 + size * 0.3), QPointF(right + size * 0.05, y0 + size * 0.7))
        p.setPen(ink)
        f = self.font()
        f.setBold(self.state != "on")
        p.setFont(f)
        p.drawText(self.rect().adjusted(2, 0, -2, -4), Qt.AlignHCenter | Qt.AlignBottom, self.text)
        p.end()
