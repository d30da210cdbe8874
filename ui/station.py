"""The central station: one tile per chair of the clinic, from the central store, read-only.

A worker thread reads the chairs' views every REFRESH_MS (the GUI thread never
waits on the network) and hands them over by a queued signal. A tile shows the
patient, phase, infusion, latest SpO2, pulse and BP with their ages and the
active alarms in their priority colours; it greys with the age when the
chair's data stops arriving. Clicking a tile asks for the session in the
review station (sigOpenSession). There is no acknowledge or silence here.
"""

from __future__ import annotations

import sys
import time

from PySide6.QtCore import Qt, QThread, Signal
from PySide6.QtWidgets import QApplication, QFrame, QGridLayout, QLabel, QMainWindow, QVBoxLayout, QWidget

from monitor.alarms import Priority
from monitor.central.link import CentralError, describe
from monitor.central.reader import CentralSessions
from monitor.central.station import ChairView, chair_views
from monitor.live.screen import number
from monitor.timefmt import age_text, time_text
from ui import theme

REFRESH_MS = 2000
COLUMNS = 4
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


def _clock(seconds: float) -> str:
    s = int(max(0.0, seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def tile_lines(view: ChairView) -> list[str]:
    """Return the text lines of a chair's tile (title first)."""
    phase = f" · {view.phase.replace('_', ' ')}" if view.phase else ""
    title = f"{view.chair}   {view.patient_id or 'no patient ID'}{phase}"
    if view.session_state is None:
        return [view.chair, "no session yet"]
    if view.session_state != "running":
        age = f", last data {age_text(view.data_age_s)}" if view.data_age_s is not None else ""
        return [title, f"no session running (last one {view.session_state}{age})"]

    def reading(name: str, r, unit: str) -> str:
        return f"{name} ---" if r is None else f"{name} {number(r.value)} {unit} ({age_text(r.age_s)})"

    bp = "BP ---" if view.bp is None else (f"BP {number(view.bp.sbp)}/{number(view.bp.dbp)} mmHg "
                                           f"({age_text(view.bp.age_s)})")
    lines = [title, f"{reading('SpO₂', view.spo2, '%')}   {reading('Pulse', view.pulse, '/min')}", bp]
    inf = view.infusion
    if inf is not None:
        left = "" if inf.remaining_s is None or inf.end_utc is not None else f", {_clock(inf.remaining_s)} left"
        lines.append(f"Infusion {inf.state.value.replace('_', ' ')}: {_clock(inf.running_s)} run{left}")
    for alarm in view.alarms[:3]:
        ack = " (acknowledged)" if alarm.acknowledged else ""
        lines.append(f"{theme.ALARM_MARK[alarm.priority]} {alarm.message}{ack}")
    if len(view.alarms) > 3:
        lines.append(f"+{len(view.alarms) - 3} more alarms")
    if view.unreadable:
        lines.append(f"{len(view.unreadable)} journal record(s) unreadable: {view.unreadable[0]}")
    if view.stale:
        lines.append("NO DATA" + ("" if view.data_age_s is None else f": last {age_text(view.data_age_s)}"))
    return lines


class ChairTile(QFrame):
    """One chair: click to open its session in the review station."""

    sigOpen = Signal(str)  # session reference CHAIR:ID

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("chair")
        self.setCursor(Qt.PointingHandCursor)
        self.setMinimumSize(300, 170)
        self.title = QLabel("")
        self.title.setFont(theme.font(20, bold=True))
        self.body = QLabel("")
        self.body.setFont(theme.font(18))
        self.body.setWordWrap(True)
        self.body.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        box = QVBoxLayout(self)
        box.setContentsMargins(10, 6, 10, 6)
        box.addWidget(self.title)
        box.addWidget(self.body, 1)
        self.view: ChairView | None = None
        self._style: tuple[str, str] | None = None

    def show_view(self, view: ChairView, reachable: bool = True) -> None:
        """Show a chair's view; greyed when its data (or the store itself) stopped arriving."""
        self.view = view
        lines = tile_lines(view)
        self.title.setText(lines[0])
        self.body.setText("\n".join(lines[1:]))
        top = view.top_priority
        if not reachable or view.stale or view.session_state != "running":
            bg, fg = theme.PANEL, theme.DISABLED  # greyed, still legible (contrast above 4.5:1)
        elif top is not None:
            bg, fg = theme.ALARM_BG[top], theme.ALARM_FG[top]
        else:
            bg, fg = theme.PANEL, theme.TEXT
        if (bg, fg) != self._style:
            self._style = (bg, fg)
            border = theme.ALARM_BG[top] if top is not None else "#333"
            self.setStyleSheet(f"QFrame#chair {{ background: {bg}; border: 3px solid {border}; border-radius: 6px; }}"
                               f"QLabel {{ color: {fg}; background: transparent; }}")

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        if self.view is not None and self.view.session is not None:
            self.sigOpen.emit(self.view.session)
        super().mousePressEvent(event)


class StationWindow(QMainWindow):
    """The clinic's chairs at a glance; read-only."""

    sigOpenSession = Signal(str)

    def __init__(self, url: str, refresh_ms: int = REFRESH_MS) -> None:
        super().__init__()
        self.setWindowTitle(f"infusion-monitor station — {describe(url)}")
        self.setStyleSheet(f"QMainWindow, QWidget#central {{ background: {theme.BACKGROUND}; }}"
                           f"QLabel {{ color: {theme.TEXT}; }}")
        self.tiles: dict[str, ChairTile] = {}
        self.grid = QGridLayout()
        self.grid.setSpacing(8)
        self.banner = QLabel("connecting to the central store…")
        self.banner.setFont(theme.font(16, bold=True))
        notice = QLabel(NOTICE)
        notice.setFont(theme.font(14, bold=True))
        notice.setStyleSheet("color: #ffb347;")
        root = QVBoxLayout()
        root.addWidget(self.banner)
        root.addLayout(self.grid)
        root.addStretch(1)
        root.addWidget(notice)
        central = QWidget()
        central.setObjectName("central")
        central.setLayout(root)
        self.setCentralWidget(central)
        self.views: list[ChairView] = []
        self.poller = StationPoller(url, refresh_ms)
        self.poller.sigViews.connect(self.show_views)
        self.poller.sigError.connect(self.show_error)
        self.poller.start()

    def show_views(self, views: list[ChairView]) -> None:
        """Lay out and fill one tile per chair (called on the GUI thread)."""
        self.views = views
        stale = [v.chair for v in views if v.stale]
        self.banner.setText(f"{len(views)} chairs, updated {time_text(time.time())}"
                            + (f"   no data from: {', '.join(stale)}" if stale else ""))
        self.banner.setStyleSheet(f"color: {theme.DIM};")
        for i, view in enumerate(views):
            tile = self.tiles.get(view.chair)
            if tile is None:
                tile = self.tiles[view.chair] = ChairTile()
                tile.sigOpen.connect(self.sigOpenSession)
                self.grid.addWidget(tile, i // COLUMNS, i % COLUMNS)
            tile.show_view(view)

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
    window.resize(1320, 820)
    window.show()
    return app.exec()


def open_in_review(station: StationWindow, url: str, ref: str) -> None:
    """Open a chair's session ('chair:id') in a review window over the central store (read-only)."""
    from ui.review.window import ReviewWindow

    review = getattr(station, "review", None)
    if review is None or not review.isVisible():
        review = station.review = ReviewWindow.for_central(url)
        review.resize(1500, 900)
    review.show()
    review.raise_()
    review.open_session(ref)
