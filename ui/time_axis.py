"""A light bottom time axis: clock times in a session's own zone, drawn straight onto the screen.

pyqtgraph's DateAxisItem works out its ticks through zoom levels, formats each
label with strftime, measures each label with the painter, records the whole
axis into a QPicture and plays it back: on the review timeline that was a
quarter of every zoom's work (1.2 to 1.7 ms of about 5). A session lasts
hours, so the ticks are a short fixed ladder of steps (1 s to 1 day), labels
are measured once per kind, and the clock times come from monitor.timefmt
like every other time on screen. A tick at local midnight is labelled with its
day ("07 Dec"), so a session across midnight says which day each side is.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QStaticText

from monitor.timefmt import Zone, clock_text, day_month_text, local_time, time_text

#: Steps between ticks (s), finest first: each divides the next whole, so minor ticks fall on major ones.
STEPS = (1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 43200, 86400)
#: Least room (px) between two labels.
LABEL_GAP_PX = 36
#: Least room (px) between two minor ticks.
MINOR_PX = 24
TICK_PX = 5
MINOR_TICK_PX = 3


def ticks(t0: float, t1: float, width_px: float, label_px: float, tz: Zone = None) -> tuple[int, list[float], list[float]]:
    """Return the major step (s), the major ticks and the minor ticks (UTC epoch s) within [t0, t1] on width_px.

    A major step leaves room for a label of label_px; ticks fall on whole steps of the zone's wall clock (a
    15:00 tick reads 15:00 in the session's zone, whatever its offset from UTC)."""
    if not (width_px > 0 and t1 > t0):
        return STEPS[-1], [], []
    per_px = (t1 - t0) / width_px
    major = next((s for s in STEPS if s / per_px >= label_px + LABEL_GAP_PX), STEPS[-1])
    minor = next((s for s in STEPS if s / per_px >= MINOR_PX and major % s == 0), major)
    return major, _wall_multiples(t0, t1, major, tz), _wall_multiples(t0, t1, minor, tz)


def _offset(t: float, tz: Zone) -> float:
    delta = local_time(t, tz).utcoffset()
    return 0.0 if delta is None else delta.total_seconds()


def _wall_multiples(t0: float, t1: float, step: int, tz: Zone) -> list[float]:
    """Return the times within [t0, t1] that are whole steps of the zone's wall clock.

    Where the zone's offset changes inside the range (a session through a night of daylight saving), each side
    takes its own offset: on one offset for the whole view, the ticks after the change fell on 02:30 where the
    clock read 03:30, labelled right but off the hour their spacing promised.
    """
    before, after = _offset(t0, tz), _offset(t1, tz)
    if before == after:
        return _multiples(t0, t1, step, before)
    lo, hi = t0, t1  # the change lies in (lo, hi]: found to the second (zones change on whole seconds)
    while hi - lo > 1.0:
        mid = math.floor(0.5 * (lo + hi))
        lo, hi = (mid, hi) if _offset(mid, tz) == before else (lo, mid)
    change = math.ceil(lo) if _offset(math.ceil(lo), tz) != before else hi
    return [t for t in _multiples(t0, change, step, before) if t < change] + _wall_multiples(change, t1, step, tz)


def _multiples(t0: float, t1: float, step: int, offset: float) -> list[float]:
    first, last = math.ceil((t0 + offset) / step), math.floor((t1 + offset) / step)
    return [k * step - offset for k in range(first, last + 1)]


def tick_text(t: float, step: int, tz: Zone = None) -> str:
    """Return a major tick's label: HH:MM:SS below a minute's step, else HH:MM; the day at local midnight."""
    if step < 60:
        return time_text(t, tz)
    words = clock_text(t, tz)
    return day_month_text(t, tz) if words == "00:00" else words


class TimeAxis(pg.AxisItem):
    """A bottom axis of clock times in one zone (set_zone), painted directly at each view change."""

    def __init__(self) -> None:
        super().__init__(orientation="bottom")
        self.zone: Zone = None
        self._words: dict[str, tuple[QStaticText, float]] = {}  # a label's laid-out words and width, by its text
        self._ticks: tuple[tuple, tuple[int, list[float], list[float]]] | None = None  # the last ticks, by their asks

    def set_zone(self, tz: Zone) -> None:
        """Show times in zone tz (a session's zone; None: this computer's)."""
        self.zone = tz
        self.update()

    def setStyle(self, **kwargs) -> None:  # noqa: N802 (pyqtgraph naming)
        super().setStyle(**kwargs)
        self._words = {}
        metrics = self._metrics()
        # the axis's height is fixed by its words: pyqtgraph's own sizing measures them at every paint
        self.setHeight(math.ceil(TICK_PX + 3 + metrics.height() + 2))

    def _metrics(self) -> QFontMetricsF:
        return QFontMetricsF(self.style["tickFont"] or self.font())

    def _laid_out(self, text: str) -> tuple[QStaticText, float]:
        """Return a label's words laid out once (Qt lays plain drawText out again at every paint) and its width."""
        words = self._words.get(text)
        if words is None:
            if len(self._words) > 500:  # a long review pans across many times: keep the cache small
                self._words.clear()
            static = QStaticText(text)
            static.setTextFormat(Qt.PlainText)
            static.prepare(font=self.style["tickFont"] or self.font())
            words = self._words[text] = (static, self._metrics().horizontalAdvance(text))
        return words

    def _room(self) -> tuple[float, float]:
        """Return the room (px) left and right of the axis within its plot, where a label at an end may stand."""
        geometry, plot = self.geometry(), self.parentItem()
        width = plot.boundingRect().width() if plot is not None else geometry.right()
        return max(0.0, geometry.left()), max(0.0, width - geometry.right())

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt naming)
        left, right = self._room()
        return self.mapRectFromParent(self.geometry()).adjusted(-left, 0, right, 0)

    def label_px(self) -> float:
        """Return the width (px) a label is given room for: the major ticks' spacing follows from it."""
        return self._laid_out("00:00:00")[1]

    def ticks(self, t0: float, t1: float, width_px: float) -> tuple[int, list[float], list[float]]:
        """Return ticks() for this axis's labels and zone, worked out once per view for the axis and the time grids
        that follow it (each plot's grid asks for the same view)."""
        key = (t0, t1, round(width_px), self.zone)
        if self._ticks is None or self._ticks[0] != key:
            self._ticks = (key, ticks(t0, t1, width_px, self.label_px(), self.zone))
        return self._ticks[1]

    def marks(self, width_px: float, room: tuple[float, float] = (0.0, 0.0)
              ) -> tuple[list[tuple[float, bool]], list[tuple[float, str]]]:
        """Return the ticks (x px from the left, major or not) and the labels (centre x px, words) of the range
        shown on width_px: only whole labels, a cut time ("8:03" for 18:03) being a wrong time. A label at an
        end may stand out into room (px left, right): the session's start, 09:00, is at the plot's left edge."""
        t0, t1 = self.range
        major, labelled, minor = self.ticks(t0, t1, width_px)
        scale = width_px / (t1 - t0) if t1 > t0 else 0.0
        majors = set(labelled)
        tick_marks = [((t - t0) * scale, t in majors) for t in minor]
        words = []
        for t in labelled:
            x, text = (t - t0) * scale, tick_text(t, major, self.zone)
            half = self._laid_out(text)[1] / 2
            if -room[0] <= x - half and x + half <= width_px + room[1]:
                words.append((x, text))
        return tick_marks, words

    def paint(self, p, opt, widget) -> None:  # noqa: D102 (Qt's paint)
        bounds = self.mapRectFromParent(self.geometry())
        if bounds.width() <= 0:
            return
        tick_marks, words = self.marks(bounds.width(), self._room())
        left, top = bounds.left(), bounds.top()
        p.setRenderHint(p.RenderHint.Antialiasing, False)
        p.setPen(self.pen())
        p.drawLine(QPointF(left, top), QPointF(bounds.right(), top))
        p.drawLines([QLineF(left + x, top, left + x, top + (TICK_PX if major else MINOR_TICK_PX))
                     for x, major in tick_marks])
        p.setFont(self.style["tickFont"] or self.font())
        p.setPen(self.textPen())
        for x, text in words:
            static, width = self._laid_out(text)
            p.drawStaticText(QPointF(left + x - width / 2, top + TICK_PX + 3), static)
