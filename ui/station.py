"""The central station: one tile per chair of the clinic, from the central store, read-only.

A worker thread reads the chairs' views every REFRESH_MS (the GUI thread never
waits on the network) and hands them over by a queued signal. It is read from
across the room: every tile names its chair, then its patient by both identifiers
(the ID and the second identifier, as the chair's header shows them, in smaller
type rather than cut); every tile has one fixed size and every figure a fixed
place (long words are cut with '…', never widen a tile); SpO2, pulse and BP are more
than twice the size of their labels, dimmed with their age when old. A tile is
filled with an alarm's colour only while the alarm's condition is present; an
ended alarm that waits for the chair's acknowledgement is a dark, dashed line
with its nadir and end. A chair whose data stopped arriving is the loudest tile
(its own colour, "NO DATA 40 s"), its infusion clock and alarms marked as last
known. A chair without a baseline BP says its rise alarms are off. The grid
scrolls past the rows the screen holds, and the header names every chair in
alarm or without data that is scrolled out of view. Clicking a tile asks for the session
in the review station (sigOpenSession). There is no acknowledge or silence here.
The words of a tile are the core's (monitor.live.station_text); this window lays them out and colours them.
"""

from __future__ import annotations

import sys
import time

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt, QThread, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from monitor.alarms import Priority
from monitor.central.link import CentralError, describe
from monitor.central.reader import CentralSessions
from monitor.central.station import ChairView, chair_views
from monitor.live.station_text import TileText, tile_text
from monitor.timefmt import time_text
from ui import theme
from ui.widgets import ElidedLabel

REFRESH_MS = 2000
GAP = 8
#: The window's size at start: four columns of tiles, two rows without scrolling, inside a 1366x768 screen
#: (a smaller screen's size where it has less). Columns follow the window's width: as many as it holds.
WINDOW_W, WINDOW_H = 1366, 700
NOTICE = "Not a certified medical device: the chairs' own monitors and alarms come first"


class StationPoller(QThread):
    """Reads the chairs' views off the GUI thread; reconnects after a failure."""

    sigViews = Signal(object)  # list[ChairView]
    sigError = Signal(str)

    def __init__(self, url: str, refresh_ms: int = REFRESH_MS) -> None:
        super().__init__()
        self.url = url
        self.refresh_ms = refresh_ms

    def run(self) -> None:
        central: CentralSessions | None = None
        while not self.isInterruptionRequested():
            try:
                if central is None:
                    central = CentralSessions(self.url)
                self.sigViews.emit(chair_views(central, time.time()))
            except CentralError as exc:
                self.sigError.emit(str(exc))
                if central is not None:
                    central.close()
                    central = None
            for _ in range(self.refresh_ms // 50):
                if self.isInterruptionRequested():
                    break
                self.msleep(50)
        if central is not None:
            central.close()

    def stop(self) -> None:
        self.requestInterruption()
        self.wait(5000)


#: A tile's fixed size (px): four columns and two rows fit 1366x768 with the header and the notice; more scroll.
TILE_W, TILE_H = 328, 318
#: The width (px) a line's text has in its slot: the tile less its border (4), margins (6) and the line's frame (2).
SLOT_TEXT_W = TILE_W - 2 * (4 + 6 + 2) - 4
#: Pixel sizes: a value is more than twice its label, so SpO2, pulse and BP read from 2 m.
LABEL_PX, VALUE_PX, LINE_PX, TITLE_PX, NO_DATA_PX = 16, 34, 16, 20, 32
#: The patient's two identifiers (ID and second identifier) read at TITLE_PX, stepping down to no less than this to
#: stay whole in the tile's width; only an ID too long even at this size is cut (its whole text in the tooltip).
IDENTITY_MIN_PX = 15
#: Lines under the values: infusion, baseline warning, alarms, in this many fixed slots (a long one takes two).
LINE_SLOTS = 5
#: A chair that stopped sending: its own colour, the loudest on the screen (white on deep violet, 7:1), never
#: one of the three alarm colours, whose meaning (a patient's condition) it does not have.
NO_DATA_BG, NO_DATA_FG, NO_DATA_DIM = "#6a1b9a", "#ffffff", "#cfb3e0"
#: An old value on a tile filled with an alarm's colour: a paler (red) or greyer (yellow, cyan) text, still 4.5:1;
#: every old value is also in italics, with its age below.
ALARM_DIM_FG = {Priority.HIGH: "#ffe4e8", Priority.MEDIUM: "#4a4a4a", Priority.LOW: "#333333"}


def _line_style(role: str, tile_bg: str) -> str:
    """Return a line's style sheet: a live alarm filled in its colour, a latched one a dark tint with a border of
    its colour (ended: not a live alarm), a warning on dark red-brown."""
    kind, _, priority = role.partition("-")
    if kind == "live":
        p = Priority.parse(priority)
        if theme.ALARM_BG[p] == tile_bg:  # on a tile of the same colour: a frame in the text's colour sets it apart
            return f"color: {theme.ALARM_FG[p]}; background: {theme.ALARM_BG[p]}; border: 2px solid {theme.ALARM_FG[p]};"
        return f"color: {theme.ALARM_FG[p]}; background: {theme.ALARM_BG[p]};"
    if kind == "latched":
        p = Priority.parse(priority)
        return f"color: #ffffff; background: {theme.ALARM_DIM_BG[p]}; border: 2px dashed {theme.ALARM_BG[p]};"
    if kind == "warning":
        return f"color: #ffffff; background: {theme.WARN_BG};"
    return "background: transparent;"


class ChairTile(QFrame):
    """One chair in a box of fixed size, each figure in a fixed place: click to open its session in review."""

    sigOpen = Signal(str)  # session reference CHAIR:ID

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("chair")
        self.setCursor(Qt.PointingHandCursor)
        self.setFixedSize(TILE_W, TILE_H)
        self.title = ElidedLabel()
        self.title.setFont(theme.font(TITLE_PX, bold=True))
        self.identity = ElidedLabel()
        self.identity.setFont(theme.font(TITLE_PX, bold=True))
        self.identity.setFixedHeight(TITLE_PX + 4)  # a smaller type for a long ID never moves what is below
        self.status = ElidedLabel()
        self.status.setFont(theme.font(TITLE_PX, bold=True))
        self.status.setFixedHeight(NO_DATA_PX + 6)  # room for NO DATA, so the values never move down
        values = QGridLayout()
        values.setHorizontalSpacing(4)
        values.setVerticalSpacing(0)
        self.labels, self.values, self.ages = [], [], []
        for col, width in enumerate((72, 72, 164)):  # 100, 180, 188/110 fit
            label, value, age = ElidedLabel(), QLabel(), ElidedLabel()
            label.setFont(theme.font(LABEL_PX))
            value.setFont(theme.font(VALUE_PX, bold=True))
            age.setFont(theme.font(LABEL_PX - 2))
            for w in (label, value, age):
                w.setFixedWidth(width)
            values.addWidget(label, 0, col)
            values.addWidget(value, 1, col)
            values.addWidget(age, 2, col)
            self.labels.append(label)
            self.values.append(value)
            self.ages.append(age)
        self.lines = []
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 4, 6, 6)
        box.setSpacing(2)
        box.addWidget(self.title)
        box.addWidget(self.identity)
        box.addWidget(self.status)
        box.addLayout(values)
        for _ in range(LINE_SLOTS):
            line = ElidedLabel()
            line.setFont(theme.font(LINE_PX))
            line.setFixedHeight(LINE_PX + 8)
            box.addWidget(line)
            self.lines.append(line)
        box.addStretch(1)
        self.view: ChairView | None = None
        self.text: TileText | None = None
        self._style: str | None = None

    def show_view(self, view: ChairView, reachable: bool = True) -> None:
        """Show a chair's view: a silent chair loudest (NO DATA), a present alarm in its colour, an ended one
        only framed in it; everything greyed when the store itself is out of reach."""
        self.view = view
        t = self.text = tile_text(view)
        top, latched = view.top_priority, view.latched_priority
        if not reachable or view.session_state != "running":
            bg, fg, border = theme.PANEL, theme.DISABLED, "#333"
        elif view.stale:
            bg, fg, border = NO_DATA_BG, NO_DATA_FG, "#ffffff"
        elif top is not None:
            bg, fg, border = theme.ALARM_BG[top], theme.ALARM_FG[top], theme.ALARM_BG[top]
        else:
            bg, fg = theme.PANEL, theme.TEXT
            border = theme.ALARM_BG[latched] if latched is not None else "#333"
        dims = {theme.PANEL: theme.DISABLED, NO_DATA_BG: NO_DATA_DIM, **{theme.ALARM_BG[p]: ALARM_DIM_FG[p] for p in Priority}}
        dim = dims.get(bg, fg)  # an old value on its tile
        self.title.setText(t.title)
        self._show_identity(t.identity)
        self.status.setText(t.status)
        for value, label, text, age in zip(t.values, self.labels, self.values, self.ages):
            label.setText(value.label)
            text.setText(value.text)
            age.setText(value.age)
            old = value.dimmed and reachable
            text.setStyleSheet(f"color: {dim if old else fg}; font-style: {'italic' if old else 'normal'};")
        rows = self._rows(t.lines)
        for i, line in enumerate(self.lines):
            text, role = rows[i] if i < len(rows) else ("", "plain")
            line.setText(f" {text}" if text else "")
            line.setStyleSheet(_line_style(role, bg))
        style = (f"QFrame#chair {{ background: {bg}; border: 4px solid {border}; border-radius: 6px; }}"
                 f"QLabel {{ color: {fg}; background: transparent; }}")
        if style != self._style:
            self._style = style
            self.setStyleSheet(style)
        px = NO_DATA_PX if view.stale and reachable else TITLE_PX  # NO DATA: the largest words of the tile
        if self.status.font().pixelSize() != px:
            self.status.setFont(theme.font(px, bold=True))

    def _show_identity(self, text: str) -> None:
        """Show both identifiers whole: the type steps down from TITLE_PX to IDENTITY_MIN_PX until they fit."""
        room = TILE_W - 2 * (4 + 6) - 2  # the tile less its border and margins, and a pixel each side
        for px in range(TITLE_PX, IDENTITY_MIN_PX - 1, -1):
            if QFontMetrics(theme.font(px, bold=True)).horizontalAdvance(text) <= room:
                break
        if self.identity.font().pixelSize() != px:
            self.identity.setFont(theme.font(px, bold=True))
        self.identity.setText(text)

    def _rows(self, lines: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
        """Lay the lines into the slots: a long one over two (cut at " · ", else at a space), then "+N more"."""
        rows: list[tuple[str, str]] = []
        for n, (text, role) in enumerate(lines):
            parts = self._wrap(text)
            last = n == len(lines) - 1
            if len(rows) + len(parts) > LINE_SLOTS - (0 if last else 1):  # keep a slot to say what is left out
                rows.append((f"+{len(lines) - n} more", "plain"))
                break
            rows += [(part, role) for part in parts]
        return rows

    def _wrap(self, text: str) -> list[str]:
        """Return text as one row, or two when it is wider than a slot (the second cut with '…' if needed)."""
        metrics, width = self.lines[0].fontMetrics(), SLOT_TEXT_W
        if metrics.horizontalAdvance(f" {text}") <= width:
            return [text]
        cuts = [i for i in range(len(text)) if text.startswith(" · ", i)] or [i for i, c in enumerate(text) if c == " "]
        fits = [i for i in cuts if metrics.horizontalAdvance(f" {text[:i]}") <= width]
        if not fits:
            return [text]
        cut = fits[0] if text.startswith(" · ", fits[0]) else fits[-1]
        return [text[:cut], "  " + text[cut:].removeprefix(" · ").strip()]

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        if self.view is not None and self.view.session is not None:
            self.sigOpen.emit(self.view.session)
        super().mousePressEvent(event)


class StationWindow(QMainWindow):
    """The clinic's chairs at a glance; read-only."""

    sigOpenSession = Signal(str)

    def __init__(self, url: str, refresh_ms: int = REFRESH_MS, poll: bool = True) -> None:
        """Open the station on the store at url; poll=False leaves it to the caller's show_views (screen tests)."""
        super().__init__()
        self.setWindowTitle(f"infusion-monitor station — {describe(url)}")
        self.setStyleSheet(f"QMainWindow, QWidget#central {{ background: {theme.BACKGROUND}; }}"
                           f"QLabel {{ color: {theme.TEXT}; }}")
        self.tiles: dict[str, ChairTile] = {}
        self.views: list[ChairView] = []
        self._placed: tuple[int, tuple[str, ...]] = (0, ())  # columns, and chairs in the order they are placed
        self.grid = QGridLayout()
        self.grid.setSpacing(GAP)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setAlignment(Qt.AlignTop | Qt.AlignHCenter)
        tiles = QWidget()
        tiles.setObjectName("central")
        tiles.setLayout(self.grid)
        self.scroll = QScrollArea()
        self.scroll.setWidget(tiles)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self._viewport = self.scroll.viewport()
        self._viewport.installEventFilter(self)  # a new width may hold more or fewer columns
        self.banner = QLabel("connecting to the central store…")
        self.banner.setFont(theme.font(16, bold=True))
        self.below = QLabel("")  # chairs that need a look but lie outside the scrolled view
        self.below.setFont(theme.font(16, bold=True))
        bar = self.scroll.verticalScrollBar()  # the view moves (scrolled) or the grid changes size (laid out)
        bar.valueChanged.connect(self._say_out_of_view)
        bar.rangeChanged.connect(lambda *_: self._say_out_of_view())
        notice = QLabel(NOTICE)
        notice.setFont(theme.font(14, bold=True))
        notice.setStyleSheet("color: #ffb347;")
        root = QVBoxLayout()
        root.setContentsMargins(4, 4, 4, 4)  # at 1024 px wide, three columns of tiles fit
        root.setSpacing(4)
        top = QHBoxLayout()
        top.addWidget(self.banner)
        top.addStretch(1)
        top.addWidget(self.below)
        root.addLayout(top)
        root.addWidget(self.scroll, 1)
        root.addWidget(notice)
        central = QWidget()
        central.setObjectName("central")
        central.setLayout(root)
        self.setCentralWidget(central)
        self.poller = StationPoller(url, refresh_ms)
        self.poller.sigViews.connect(self.show_views)
        self.poller.sigError.connect(self.show_error)
        if poll:
            self.poller.start()

    def show_views(self, views: list[ChairView]) -> None:
        """Lay out and fill one tile per chair (called on the GUI thread)."""
        self.views = views
        stale = [v.chair for v in views if v.stale]
        self.banner.setText(f"{len(views)} chairs, updated {time_text(time.time())}"
                            + (f"   NO DATA from: {', '.join(stale)}" if stale else ""))
        self.banner.setStyleSheet(f"color: {NO_DATA_FG}; background: {NO_DATA_BG}; padding: 0 6px;" if stale
                                  else f"color: {theme.DIM};")
        for view in views:
            tile = self.tiles.get(view.chair)
            if tile is None:
                tile = self.tiles[view.chair] = ChairTile()
                tile.sigOpen.connect(self.sigOpenSession)
            tile.show_view(view)
        self._lay_out()
        self._say_out_of_view()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if event.type() == QEvent.Type.Resize and watched is self._viewport:
            self._lay_out()
        return False

    def _lay_out(self) -> None:
        """Place the tiles in the chairs' order, in as many columns as the view's width holds (at least one):
        a desk's wide screen shows more chairs at once, a small one never hides a column out of reach.
        Tiles keep their size; a tile moves only when the columns or the chairs change. The width the columns
        leave is shared on both sides (the grid is centred), not left as a band on the right."""
        columns = max(1, (self._viewport.width() + GAP) // (TILE_W + GAP))
        shown = [view.chair for view in self.views]
        known = set(shown)
        order = (*shown, *(chair for chair in self.tiles if chair not in known))  # a chair gone stays, last
        if (columns, order) == self._placed:
            return
        self._placed = (columns, order)
        for i, chair in enumerate(order):
            tile = self.tiles[chair]
            self.grid.removeWidget(tile)
            self.grid.addWidget(tile, i // columns, i % columns)

    def _say_out_of_view(self) -> None:
        """Name the chairs in alarm or without data whose tiles are scrolled out of view, in the header."""
        viewport = self.scroll.viewport()
        out = []
        for view in self.views:
            tile = self.tiles[view.chair]
            where = QRect(tile.mapTo(viewport, QPoint(0, 0)), tile.size())
            if viewport.rect().contains(where) or view.session_state != "running":
                continue
            if view.stale:
                out.append((Priority.HIGH + 1, f"{view.chair} NO DATA"))
            elif view.top_priority is not None:
                out.append((int(view.top_priority), f"{view.chair} {theme.ALARM_MARK[view.top_priority]}"))
        if not out:
            self.below.setText("")
            self.below.setStyleSheet("")
            return
        top = max(p for p, _ in out)
        bg, fg = (NO_DATA_BG, NO_DATA_FG) if top > Priority.HIGH else (theme.ALARM_BG[top], theme.ALARM_FG[top])
        self.below.setText(f"scroll to see: {', '.join(text for _, text in sorted(out, key=lambda o: -o[0]))}")
        self.below.setStyleSheet(f"color: {fg}; background: {bg}; padding: 0 6px;")

    def show_error(self, message: str) -> None:
        """Say the store is out of reach and grey every tile (their figures are no longer current)."""
        self.banner.setText(f"{message} (retrying)")
        self.banner.setStyleSheet(f"color: {theme.ALARM_BG[Priority.HIGH]};")
        for view in self.views:
            self.tiles[view.chair].show_view(view, reachable=False)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        self.poller.stop()
        super().closeEvent(event)


def run_station(url: str) -> int:
    """Run the central station until closed; return the exit code."""
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("infusion-monitor station")
    window = StationWindow(url)
    window.sigOpenSession.connect(lambda ref: open_in_review(window, url, ref))
    room = window.screen().availableGeometry()
    window.resize(min(WINDOW_W, room.width()), min(WINDOW_H, room.height()))
    window.show()
    return app.exec()


def open_in_review(station: StationWindow, url: str, ref: str) -> None:
    """Open a chair's session ('chair:id') in a review window over the central store (read-only)."""
    from ui.review.window import ReviewWindow

    review = getattr(station, "review", None)
    if review is None or not review.isVisible():
        review = station.review = ReviewWindow.for_central(url)
        review.resize(1366, 740)
    review.show()
    review.raise_()
    review.open_session(ref)
