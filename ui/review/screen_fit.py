"""Review windows sized to the screen they open on: a 1500 x 900 wish on a 1366 x 768 laptop becomes the laptop's
free area, so no column, button or plot is cut off below or beside the screen."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

#: Height (px) kept free for the window manager's title bar, which is not known before the window is shown.
TITLE_BAR_PX = 32


def fit_to_screen(window: QWidget, width: int | None = None, height: int | None = None) -> None:
    """Size a top-level window to width x height px (default: its size now), no larger than its screen's free
    area (less a title bar), and move it inside that area."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:  # no screen to fit (a headless test): keep the size asked for
        if width and height:
            window.resize(width, height)
        return
    area = screen.availableGeometry()
    w = min(width or window.width(), area.width())
    h = min(height or window.height(), area.height() - TITLE_BAR_PX)
    window.resize(w, h)
    # move() places the frame: its left and top inside the area, its bottom too (the content plus a title bar)
    x = min(max(window.x(), area.left()), area.right() + 1 - window.width())
    y = min(max(window.y(), area.top()), area.bottom() + 1 - window.height() - TITLE_BAR_PX)
    window.move(x, y)
