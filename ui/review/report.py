"""The PDF infusion record, drawn with QPdfWriter and QPainter from monitor.export.report's data.

Layout only: every figure and word comes from `report_data`. The document is
laid out into blocks first (so the total page count is known), then painted:
every page has a running header (patient, date, session) and a footer with
"page N of M" and the not-a-medical-device line. Units are points (1/72 in).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from monitor.export import Progress
from monitor.export.course_doc import course_document
from monitor.export.files import export_path
from monitor.export.report import CourseSection, Plot, ReportData, Table, report_data
from monitor.review.course import ChartSeries, CourseChart
from monitor.storage.sessions import SessionMeta, SessionSource
from monitor.timefmt import clock_text, zone

PAPER = {"a4": "A4", "letter": "Letter"}
MARGIN = 40.0
HEAD = 34.0  # running header height
LEGEND_W = 165.0  # one entry of a plot's legend: two oximeters' SpO₂ and pulse take two rows of two
FOOT = 30.0
GAP = 10.0
INK, GREY, LIGHT, ALARM, BAND = "#111111", "#666666", "#d9d9d9", "#b00020", "#e3f2e1"


@dataclass
class _Block:
    """A piece of the document: its height, how to draw it; new_page starts a page, keep_with_next keeps a
    heading on the page of what follows it, repeat is drawn first when the block starts a page."""

    height: float
    draw: Callable  # draw(painter, x, y, width)
    new_page: bool = False
    keep_with_next: bool = False
    repeat: _Block | None = None  # a table's header row, drawn again above a row that starts a page


def _app() -> None:
    """Make sure a Qt GUI application exists (fonts need one); headless machines draw offscreen."""
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is None:
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        _app.keep = QGuiApplication([])  # type: ignore[attr-defined]


def write_pdf(source: SessionSource, meta: SessionMeta, path: Path, paper: str = "a4", clinic: str = "",
              progress: Progress | None = None) -> int:
    """Write the session's infusion record as a PDF at `path`; return the number of pages."""
    return _write(report_data(source, meta, clinic, progress), path, paper, f"Infusion record, session {meta.ref}")


def write_course_pdf(source: SessionSource, patient_id: str, path: Path, paper: str = "a4", clinic: str = "") -> int:
    """Write a patient's course document (monitor.export.course_doc) as a PDF at `path` (0600, all or nothing);
    return the number of pages. CourseError for a patient without sessions, ExportError in words."""
    data = course_document(source, patient_id, clinic)
    with export_path(path) as tmp:
        return _write(data, tmp, paper, f"Course of patient {patient_id}")


def _write(data: ReportData, path: Path, paper: str, title: str) -> int:
    """Paint a document's data as a PDF at `path`; return the number of pages."""
    _app()
    from PySide6.QtCore import QMarginsF
    from PySide6.QtGui import QPageLayout, QPageSize, QPainter, QPdfWriter

    writer = QPdfWriter(str(path))
    writer.setResolution(72)
    size = QPageSize(QPageSize.PageSizeId.A4 if paper == "a4" else QPageSize.PageSizeId.Letter)
    writer.setPageLayout(QPageLayout(size, QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
    writer.setTitle(title)
    writer.setCreator("infusion-monitor (not a certified medical device)")
    page = writer.pageLayout().fullRectPoints()
    width, height = float(page.width()), float(page.height())
    painter = QPainter(writer)
    try:
        pages = _paginate(_blocks(data, painter, width - 2 * MARGIN), height)
        for n, blocks in enumerate(pages, start=1):
            if n > 1:
                writer.newPage()
            _page_frame(painter, data, n, len(pages), width, height)
            for y, block in blocks:
                block.draw(painter, MARGIN, y, width - 2 * MARGIN)
    finally:
        painter.end()
    return len(pages)


def _paginate(blocks: list[_Block], page_height: float) -> list[list[tuple[float, _Block]]]:
    top, bottom = MARGIN + HEAD, page_height - MARGIN - FOOT
    pages: list[list[tuple[float, _Block]]] = [[]]
    y = top
    for k, block in enumerate(blocks):
        need, j = block.height, k  # a heading needs room for what it keeps with (a table's header and first row)
        while blocks[j].keep_with_next and j + 1 < len(blocks):
            j += 1
            need += blocks[j].height
        if (block.new_page or y + need > bottom) and pages[-1]:
            pages.append([])
            y = top
            if block.repeat is not None:
                pages[-1].append((y, block.repeat))
                y += block.repeat.height
        pages[-1].append((y, block))
        y += block.height
    return pages


# --- drawing helpers -------------------------------------------------------------------------------


def _font(size: float, bold: bool = False):
    from PySide6.QtGui import QFont

    f = QFont("DejaVu Sans")
    f.setPointSizeF(size)
    f.setBold(bold)
    for feature in ("liga", "clig"):  # "fi" stays two letters: "certified" is found by a search and a reader
        f.setFeature(QFont.Tag(feature), 0)
    return f


def _text_height(painter, text: str, width: float, font) -> float:
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QFontMetricsF

    metrics = QFontMetricsF(font, painter.device())
    return metrics.boundingRect(QRectF(0, 0, width, 1e6), int(Qt.TextFlag.TextWordWrap), text or " ").height()


def _text(painter, x: float, y: float, w: float, h: float, text: str, font, color: str = INK,
          align: str = "left") -> None:
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QColor

    painter.setFont(font)
    painter.setPen(QColor(color))
    flags = Qt.TextFlag.TextWordWrap | (Qt.AlignmentFlag.AlignRight if align == "right" else
                                        Qt.AlignmentFlag.AlignHCenter if align == "center" else
                                        Qt.AlignmentFlag.AlignLeft) | Qt.AlignmentFlag.AlignTop
    painter.drawText(QRectF(x, y, w, h), int(flags), text)


def _page_frame(painter, data: ReportData, n: int, total: int, width: float, height: float) -> None:
    from PySide6.QtCore import QLineF
    from PySide6.QtGui import QColor, QPen

    patient = dict(data.header).get("Patient", "")
    date = dict(data.header).get("Date", "").split(",")[0]
    _text(painter, MARGIN, MARGIN, width - 2 * MARGIN, 14, f"{data.title}  |  {patient}  |  {date}",
          _font(8.5, True))
    if data.simulated:  # under the rule, on every page: a simulator's values are never taken for a patient's
        _text(painter, MARGIN, MARGIN + 20, width - 2 * MARGIN, 12, data.simulated, _font(8.5, True), ALARM)
    painter.setPen(QPen(QColor(LIGHT), 0.8))
    painter.drawLine(QLineF(MARGIN, MARGIN + 18, width - MARGIN, MARGIN + 18))
    y = height - MARGIN - FOOT + 8
    painter.drawLine(QLineF(MARGIN, y, width - MARGIN, y))
    _text(painter, MARGIN, y + 4, width - 2 * MARGIN - 90, 24, data.notice, _font(7), GREY)
    _text(painter, width - MARGIN - 90, y + 4, 90, 12, f"page {n} of {total}", _font(8, True), INK, "right")


def _title_block(painter, text: str, size: float = 11.0, new_page: bool = False) -> _Block:
    font = _font(size, True)
    return _Block(size * 1.9, lambda p, x, y, w: _text(p, x, y + 4, w, size * 1.8, text, font), new_page, True)


def _paragraph(painter, text: str, width: float, size: float = 9.0, color: str = INK) -> _Block:
    font = _font(size)
    h = _text_height(painter, text, width, font) + 3
    return _Block(h, lambda p, x, y, w: _text(p, x, y, w, h, text, font, color))


def _pairs(painter, pairs: tuple[tuple[str, str], ...], width: float, key_w: float = 130.0) -> list[_Block]:
    blocks = []
    for key, value in pairs:
        kf, vf = _font(9, True), _font(9)
        h = max(_text_height(painter, value, width - key_w, vf), _text_height(painter, key, key_w - 6, kf)) + 3

        def draw(p, x, y, w, key=key, value=value, h=h, kf=kf, vf=vf):
            _text(p, x, y, key_w - 6, h, key, kf, GREY)
            _text(p, x + key_w, y, w - key_w, h, value, vf)
        blocks.append(_Block(h, draw))
    return blocks


def _notice_block(painter, text: str, width: float) -> _Block:
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QColor, QPen

    font = _font(9, True)
    h = _text_height(painter, text, width - 12, font) + 10

    def draw(p, x, y, w):
        p.setPen(QPen(QColor(ALARM), 1.0))
        p.drawRect(QRectF(x, y, w, h - 2))
        _text(p, x + 6, y + 4, w - 12, h, text, font, ALARM)
    return _Block(h + 4, draw)


def _table_blocks(painter, table: Table, width: float) -> list[_Block]:
    from PySide6.QtCore import QLineF, QRectF
    from PySide6.QtGui import QColor, QPen

    blocks = [_title_block(painter, table.title)]
    if not table.rows:
        blocks.append(_paragraph(painter, table.empty, width, 9, GREY))
        return blocks
    head_font, cell_font = _font(8, True), _font(8.5)
    cols = [f * width for f in table.widths]

    def row_block(cells: tuple[str, ...], font, shade: bool, color: str) -> _Block:
        h = max(_text_height(painter, c, cw - 6, font) for c, cw in zip(cells, cols)) + 5

        def draw(p, x, y, w):
            if shade:
                p.fillRect(QRectF(x, y, w, h), QColor("#f1f1f1"))
            cx = x
            for c, cw in zip(cells, cols):
                _text(p, cx + 3, y + 2, cw - 6, h, c, font, color)
                cx += cw
            p.setPen(QPen(QColor(LIGHT), 0.5))
            p.drawLine(QLineF(x, y + h, x + w, y + h))
        return _Block(h, draw)

    head = row_block(table.columns, head_font, True, GREY)
    blocks.append(_Block(head.height, head.draw, keep_with_next=True))
    marks = table.marks or (False,) * len(table.rows)
    for r, m in zip(table.rows, marks):
        row = row_block(r, cell_font, False, ALARM if m else INK)
        blocks.append(_Block(row.height, row.draw, repeat=head))
    return blocks


def _plot_block(data: ReportData, plot: Plot, width: float, height: float = 150.0) -> _Block:
    def draw(p, x, y, w):
        _draw_plot(p, data, plot, x, y, w, height)
    return _Block(height + GAP, draw)


def _draw_plot(p, data: ReportData, plot: Plot, x: float, y: float, w: float, h: float) -> None:
    from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QPainterPath, QPen, QPolygonF

    left, top, right, bottom = x + 34, y + 30, x + w - 6, y + h - 18
    t0, t1 = data.start, max(data.end, data.start + 60)
    lo, hi = plot.y_range

    def px(t: float) -> float:
        return left + (t - t0) / (t1 - t0) * (right - left)

    def py(v: float) -> float:
        return bottom - (min(hi, max(lo, v)) - lo) / (hi - lo) * (bottom - top)

    _text(p, x, y, w * 0.5, 14, plot.title, _font(10, True))
    legend_x0 = x + w * 0.35
    legend_x, legend_y = legend_x0, y
    for line in plot.lines:  # legend: as many columns as fit right of the title, then a second row
        if legend_x + LEGEND_W > x + w and legend_x > legend_x0:
            legend_x, legend_y = legend_x0, legend_y + 13
        p.setPen(QPen(QColor(line.color), 2))
        p.drawLine(QLineF(legend_x, legend_y + 7, legend_x + 14, legend_y + 7))
        _text(p, legend_x + 17, legend_y + 1, LEGEND_W - 20, 12, line.label, _font(7.5), INK)
        legend_x += LEGEND_W
    for a, b in plot.bands:
        p.fillRect(QRectF(px(a), top, max(1.0, px(b) - px(a)), bottom - top), QColor(BAND))
    _text(p, left, y + 15, 200, 12, "green: infusion running", _font(7), "#3b7a37")
    _y_grid(p, x, left, right, plot.y_range, py, 5, 30, 7)
    tz = zone(data.zone_name)
    minutes = _nice_minutes((t1 - t0) / 60 / 8)
    tick = math.ceil(t0 / (minutes * 60)) * minutes * 60
    while tick <= t1:
        p.setPen(QPen(QColor(LIGHT), 0.5))
        p.drawLine(QLineF(px(tick), bottom, px(tick), bottom + 3))
        _text(p, px(tick) - 20, bottom + 4, 40, 10, clock_text(tick, tz), _font(7),
              GREY, "center")
        tick += minutes * 60
    for value, label in plot.baselines:
        pen = QPen(QColor("#555555"), 1.0)
        pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.drawLine(QLineF(left, py(value), right, py(value)))
        _text(p, right - 120, py(value) - 11, 118, 10, label, _font(7), "#555555", "right")
    for line in plot.lines:
        color = QColor(line.color)
        if line.markers:
            p.setPen(QPen(color, 0.8))
            p.setBrush(color)
            for t, v in zip(line.t, line.v):
                if not math.isnan(v):
                    cx, cy, s = px(t), py(v), 4.0
                    tip = cy + s if line.markers == "v" else cy - s
                    base = cy - s if line.markers == "v" else cy + s
                    p.drawPolygon(QPolygonF([QPointF(cx - s, base), QPointF(cx + s, base), QPointF(cx, tip)]))
                    _text(p, cx - 15, (base - 10) if line.markers == "v" else base + 1, 30, 9, f"{v:g}", _font(6),
                          line.color, "center")
            p.setBrush(Qt.BrushStyle.NoBrush)
            continue
        p.setPen(QPen(color, 0.9))
        path = QPainterPath()
        pen_down = False
        for t, v in _decimate(line.t, line.v, int(right - left) * 2):
            if math.isnan(v):
                pen_down = False
                continue
            if pen_down:
                path.lineTo(px(t), py(v))
            else:
                path.moveTo(px(t), py(v))
                pen_down = True
        p.drawPath(path)
    p.setPen(QPen(QColor("#999999"), 0.6))
    p.drawRect(QRectF(left, top, right - left, bottom - top))
    row_end = [-1e9] * 4  # event ticks; labels take the first of four rows where they do not overlap
    for t, label in sorted(plot.marks):
        p.setPen(QPen(QColor("#8e5b00"), 0.6))
        p.drawLine(QLineF(px(t), top, px(t), top + 6))
        row = next((r for r in range(4) if row_end[r] < px(t)), None)
        if row is not None:
            _text(p, px(t) + 1, top + 1 + 7.5 * row, 80, 9, label, _font(6), "#8e5b00")
            row_end[row] = px(t) + 3.8 * len(label) + 4


def _y_grid(p, x: float, left: float, right: float, y_range: tuple[float, float], py: Callable[[float], float],
            ticks: int, label_width: float, size: float) -> None:
    """Draw about `ticks` horizontal grid lines at round values, labelled left of the plot (x to left)."""
    from PySide6.QtCore import QLineF
    from PySide6.QtGui import QColor, QPen

    lo, hi = y_range
    step = _nice_step((hi - lo) / ticks)
    v = math.ceil(lo / step) * step
    while v <= hi:
        p.setPen(QPen(QColor(LIGHT), 0.5))
        p.drawLine(QLineF(left, py(v), right, py(v)))
        _text(p, x, py(v) - 5, label_width, 10, f"{v:g}", _font(size), GREY, "right")
        v += step


def _decimate(t: np.ndarray, v: np.ndarray, buckets: int):
    """Yield at most about 2 points per bucket (its min and max, in time order), keeping gaps (NaN)."""
    if len(t) <= 2 * buckets:
        yield from zip(t, v)
        return
    edges = np.linspace(t[0], t[-1], buckets + 1)
    index = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, buckets - 1)
    starts = np.searchsorted(index, np.arange(buckets))
    ends = np.append(starts[1:], len(t))
    for a, b in zip(starts, ends):
        if a >= b:
            continue
        chunk = v[a:b]
        if np.isnan(chunk).all():
            yield t[a], math.nan
            continue
        i, j = a + int(np.nanargmin(chunk)), a + int(np.nanargmax(chunk))
        for k in sorted({i, j}):
            yield t[k], v[k]
        if np.isnan(chunk).any():
            yield t[b - 1], math.nan


def _nice_step(raw: float) -> float:
    magnitude = 10 ** math.floor(math.log10(max(raw, 1e-9)))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def _nice_minutes(raw: float) -> int:
    return next((m for m in (1, 2, 5, 10, 15, 20, 30, 60, 120) if m >= raw), 240)


def _draw_chart(p, chart: CourseChart, x: float, y: float, w: float, h: float) -> None:
    """Draw a small plot across the course: a slot per infusion, bars, lines, points with ranges (beside the
    bars), reference lines (their words in the legend)."""
    from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QFontMetricsF, QPen

    _text(p, x, y, w, 13, f"{chart.title} ({chart.unit})", _font(9, True))
    font = _font(6.5)
    advance = QFontMetricsF(font, p.device()).horizontalAdvance
    dashes = (Qt.PenStyle.DashLine, Qt.PenStyle.DotLine, Qt.PenStyle.DashDotLine)
    legend_x, legend_y = x, y + 14
    entries = [(s.label, s.color, None) for s in chart.series]
    entries += [(label, "#555555", dashes[k % 3]) for k, (_, label) in enumerate(chart.lines)]
    for label, color, dash in entries:
        if legend_x + 14 + advance(label) > x + w:
            legend_x, legend_y = x, legend_y + 9
        if dash is None:
            p.fillRect(QRectF(legend_x, legend_y + 3, 8, 6), QColor(color))
        else:
            pen = QPen(QColor(color), 0.9)
            pen.setStyle(dash)
            p.setPen(pen)
            p.drawLine(QLineF(legend_x, legend_y + 6, legend_x + 10, legend_y + 6))
        _text(p, legend_x + 12, legend_y, advance(label) + 4, 10, label, font, INK)
        legend_x += 20 + advance(label)
    left, top, right, bottom = x + 26, legend_y + 14, x + w - 4, y + h - 20
    lo, hi = chart.y_range
    x0, x1 = chart.x_range
    slot = (right - left) / (x1 - x0)  # points per unit of x: an infusion's slot (bars), or a day on a calendar axis

    def px(i: int, series: ChartSeries | None = None) -> float:
        at = chart.x(i) if series is None else chart.position(series, i)
        return left + (at - x0) / (x1 - x0) * (right - left)

    def py(v: float) -> float:
        return bottom - (min(hi, max(lo, v)) - lo) / (hi - lo) * (bottom - top)

    _y_grid(p, x, left, right, chart.y_range, py, 4, 23, 6.5)
    for x_at, label in chart.ticks():
        cx = left + (x_at - x0) / (x1 - x0) * (right - left)
        _text(p, cx - 18, bottom + 2, 36, 18, label, _font(6), GREY, "center")
    for k, (value, _) in enumerate(chart.lines):
        pen = QPen(QColor("#555555"), 0.9)
        pen.setStyle(dashes[k % 3])
        p.setPen(pen)
        p.drawLine(QLineF(left, py(value), right, py(value)))
    bars = [s for s in chart.series if s.style == "bars"]
    bar_w = slot * 0.6 / max(1, len(bars))
    for series in chart.series:
        color = QColor(series.color)
        if series.style == "bars":
            offset = (bars.index(series) - (len(bars) - 1) / 2) * bar_w
            base = py(max(lo, min(hi, 0.0)))
            for i, value in enumerate(series.values):
                if value is not None:
                    p.fillRect(QRectF(px(i) + offset - bar_w / 2, min(base, py(value)), bar_w,
                                      abs(base - py(value))), color)
                    _text(p, px(i) + offset - 15, py(value) - (10 if value >= 0 else -1), 30, 9, f"{value:.3g}",
                          _font(6), INK, "center")
            continue
        shift = slot * 0.4 if bars and series.low else 0.0  # a range goes beside the bar it is compared with
        p.setPen(QPen(color, 1.2))
        for i, (a, b) in enumerate(zip(series.low, series.high)):
            if a is not None and b is not None:
                cx = px(i) + shift
                p.drawLine(QLineF(cx, py(a), cx, py(b)))
                p.drawLine(QLineF(cx - 3, py(a), cx + 3, py(a)))
                p.drawLine(QLineF(cx - 3, py(b), cx + 3, py(b)))
        known = [(i, v) for i, v in enumerate(series.values) if v is not None]
        if series.style == "line":
            for (i, a), (j, b) in zip(known, known[1:]):
                if j == i + 1:
                    p.drawLine(QLineF(px(i), py(a), px(j), py(b)))
        p.setBrush(color)
        for i, value in known:
            p.drawEllipse(QPointF(px(i, series) + shift, py(value)), 2.2, 2.2)
            if series.style == "line" or series.xs:  # an entry between visits is a total too
                below = series.style == "line" and chart.label_below(series, i)
                _text(p, px(i, series) - 15, py(value) + (3 if below else -11), 30, 9, f"{value:g}", _font(6), series.color,
                      "center")
        p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(QColor("#999999"), 0.6))
    p.drawRect(QRectF(left, top, right - left, bottom - top))


def _course_blocks(painter, course: CourseSection, width: float) -> list[_Block]:
    """Lay out the course page: title, the words, the small plots two to a row, the tables."""
    blocks = [_title_block(painter, course.title, 13, new_page=True)]
    blocks += [_paragraph(painter, line, width) for line in course.lines]
    blocks.append(_Block(GAP / 2, lambda *a: None))
    half = (width - GAP) / 2
    for k in range(0, len(course.charts), 2):
        pair = course.charts[k:k + 2]

        def draw(p, x, y, w, pair=pair):
            for n, chart in enumerate(pair):
                _draw_chart(p, chart, x + n * (half + GAP), y, half, 150 - GAP)
        blocks.append(_Block(150, draw))
    for table in course.tables:
        blocks += _table_blocks(painter, table, width)
        blocks.append(_Block(GAP / 2, lambda *a: None))
    return blocks


def _blocks(data: ReportData, painter, width: float) -> list[_Block]:
    blocks = [_title_block(painter, data.title, 15)]
    blocks += _pairs(painter, data.header, width)
    blocks.append(_Block(GAP / 2, lambda *a: None))
    blocks.append(_notice_block(painter, data.notice, width))
    blocks.append(_title_block(painter, data.plan_title))
    blocks += [_paragraph(painter, line, width) for line in data.plan]
    blocks.append(_title_block(painter, data.summary_title))
    blocks += _pairs(painter, data.summary, width, 150.0)
    blocks.append(_Block(GAP, lambda *a: None))
    blocks += [_plot_block(data, plot, width) for plot in data.plots]
    for table in data.tables:
        blocks += _table_blocks(painter, table, width)
        blocks.append(_Block(GAP / 2, lambda *a: None))
    if data.course is not None:
        blocks += _course_blocks(painter, data.course, width)
    return blocks
