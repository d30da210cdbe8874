"""What a person sees, checked on rendered pixels: every screen and dialog legible, nothing clipped, sizes that fit.

These tests walk every scene and dialog of ui/gallery.py (a real core, a
protocol simulator behind a real reader), render each (QWidget.grab) and:
- measure, for every visible label, button, field, combo box, spin box and
  item-view row, the contrast of its text against its real background from
  the pixels (the two dominant colours of its rect): at least 4.5:1 (WCAG AA),
  under a light and a dark desktop theme;
- check that no text needs more room than it has (elided fields excepted,
  which say so), that no widget lies outside its window, that the monitor
  window fits 1280 x 720 and 1366 x 700 and every dialog 1024 x 600.

They run on a real X server (test_screens.py starts Xvfb and runs this file
with QT_QPA_PLATFORM=xcb); run directly they use whatever platform is set.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QModelIndex, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QFontMetrics, QImage, QTextDocument
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QAbstractSpinBox, QApplication, QCheckBox,
                               QComboBox, QLabel, QLineEdit, QListView, QPushButton, QRadioButton, QStyle,
                               QStyleOptionButton, QToolButton, QWidget)

from ui import gallery

MIN_CONTRAST = 4.5
#: The monitor window must fit these client areas (a 1280 x 720 screen, a 1366 x 768 laptop with a taskbar).
WINDOW_FITS = ((1280, 690), (1366, 700))
DIALOG_FITS = (1024, 570)  # a 1024 x 600 screen less a title bar


def luminance(rgb: np.ndarray) -> float:
    c = rgb.astype(float) / 255.0
    c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2])


def contrast(a: np.ndarray, b: np.ndarray) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def pixels(image: QImage, rect: QRect) -> np.ndarray:
    """Return the RGB pixels of rect in image, as an (n, 3) uint8 array."""
    img = image.copy(rect).convertToFormat(QImage.Format_RGB32)
    w, h = img.width(), img.height()
    data = np.frombuffer(img.constBits(), np.uint8, count=img.sizeInBytes()).reshape(h, img.bytesPerLine() // 4, 4)
    return data[:, :w, 2::-1].reshape(-1, 3)


def text_contrast(image: QImage, rect: QRect) -> tuple[float, np.ndarray, np.ndarray] | None:
    """Return (contrast, text colour, background) of the text in rect, from its two dominant colours.

    The background is the commonest colour; the text colour is, among the other colours drawn on many pixels
    (at least a fifth as many as the commonest of them: the glyphs' solid parts, not the anti-aliasing
    fringes), the one that stands out most. A rect of one colour has invisible text (1:1). None for a rect
    too small to judge.
    """
    px = pixels(image, rect)
    if len(px) < 20:
        return None
    colours, counts = np.unique(px, axis=0, return_counts=True)
    bg_index = int(np.argmax(counts))
    bg = colours[bg_index]
    others = [(c, n) for i, (c, n) in enumerate(zip(colours, counts)) if i != bg_index]
    if not others:
        return 1.0, bg, bg
    most = max(n for _c, n in others)
    # a short text in small print (a cell's "9") may have no colour on 3 pixels: then every colour drawn counts
    ratios = [(contrast(c, bg), c) for c, n in others if n >= max(3, most / 5)] or [(contrast(c, bg), c)
                                                                                  for c, _n in others]
    best, fg = max(ratios, key=lambda r: r[0])
    return best, fg, bg


def text_of(w: QWidget) -> str:
    if isinstance(w, QLabel):
        return w.text() if w.pixmap() is None or w.pixmap().isNull() else ""
    if isinstance(w, (QAbstractButton, QLineEdit)):
        return w.text() or (w.placeholderText() if isinstance(w, QLineEdit) else "")
    if isinstance(w, QComboBox):
        return w.currentText() or w.placeholderText()
    if isinstance(w, QAbstractSpinBox):
        return w.text()
    return ""


def text_rect(w: QWidget) -> QRect:
    """Return the part of w that holds its text (w's coordinates): without indicators, arrows and spin buttons."""
    r = w.rect()
    style = w.style()
    if isinstance(w, QCheckBox):
        return style.subElementRect(QStyle.SE_CheckBoxContents, _option(w), w)
    if isinstance(w, QRadioButton):
        return style.subElementRect(QStyle.SE_RadioButtonContents, _option(w), w)
    if isinstance(w, QPushButton):  # inside the border and padding, where the text is drawn
        return style.subElementRect(QStyle.SE_PushButtonContents, _option(w), w)
    if isinstance(w, (QComboBox, QAbstractSpinBox)):
        return r.adjusted(2, 2, -30, -2)
    return r.adjusted(1, 1, -1, -1)


def _option(w: QAbstractButton) -> QStyleOptionButton:
    opt = QStyleOptionButton()
    opt.initFrom(w)
    opt.text = w.text()
    return opt


def visible_widgets(top: QWidget) -> list[QWidget]:
    return [w for w in top.findChildren(QWidget) if w.isVisibleTo(top) and w.isVisible() and w.width() > 0]


def legibility_failures(name: str, top: QWidget) -> list[str]:
    """Return every text in top whose contrast against its background is below MIN_CONTRAST."""
    image = top.grab().toImage()
    failures = []
    for w in visible_widgets(top):
        if not isinstance(w, (QLabel, QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox)):
            continue
        if isinstance(w, QLineEdit) and isinstance(w.parent(), (QComboBox, QAbstractSpinBox)):
            continue  # measured as the combo or spin box
        if not text_of(w).strip():
            continue
        rect = text_rect(w).translated(w.mapTo(top, QPoint(0, 0)))
        found = text_contrast(image, rect.intersected(top.rect()))
        if found is not None and found[0] < MIN_CONTRAST:
            failures.append(f"{name}: {type(w).__name__} {text_of(w)[:40]!r} contrast {found[0]:.2f} "
                            f"(text {tuple(found[1])} on {tuple(found[2])})")
    for view in (w for w in visible_widgets(top) if isinstance(w, QAbstractItemView)):
        failures += _rows(name, top, view, image)
    return failures


def _rows(name: str, top: QWidget, view: QAbstractItemView, image: QImage) -> list[str]:
    out = []
    model = view.model()
    offset = view.viewport().mapTo(top, QPoint(0, 0))
    root = QModelIndex()
    columns = 1 if isinstance(view, QListView) else model.columnCount(root)
    for row in range(model.rowCount(root)):
        for col in range(columns):
            index = model.index(row, col)
            text = str(index.data() or "")
            rect = view.visualRect(index)
            if not text.strip() or not rect.intersects(view.viewport().rect()):
                continue
            found = text_contrast(image, rect.intersected(view.viewport().rect()).translated(offset))
            if found is not None and found[0] < MIN_CONTRAST:
                out.append(f"{name}: row {text[:40]!r} contrast {found[0]:.2f}")
    return out


def clipping_failures(name: str, top: QWidget) -> list[str]:
    """Return every widget outside its window and every text that needs more room than its widget gives it."""
    out = []
    bounds = top.rect()
    for w in visible_widgets(top):
        where = QRect(w.mapTo(top, QPoint(0, 0)), w.size())
        if not bounds.contains(where) and isinstance(w, (QLabel, QAbstractButton, QLineEdit, QComboBox)):
            out.append(f"{name}: {type(w).__name__} {text_of(w)[:30]!r} lies outside the window ({where})")
        text = text_of(w)
        if not text:
            continue
        fm = QFontMetrics(w.font())
        room = w.contentsRect()
        if isinstance(w, QLabel):
            if w.property("elides"):
                need_w, need_h = 0, fm.height()
            elif w.textFormat() == Qt.RichText or "<span" in text:
                doc = QTextDocument()
                doc.setDefaultFont(w.font())
                doc.setHtml(text)
                need_w, need_h = int(doc.idealWidth()) - 8, fm.height()
            elif w.wordWrap():
                need_w, need_h = 0, w.heightForWidth(w.width()) - (w.height() - room.height())
            else:
                box = fm.boundingRect(QRect(0, 0, 10000, 10000), int(w.alignment()), text)
                need_w, need_h = box.width(), box.height()
        elif isinstance(w, (QPushButton, QToolButton)):
            lines = text.split("\n")
            need_w = max(fm.horizontalAdvance(line) for line in lines) + (14 if isinstance(w, QToolButton) else 0)
            need_h = fm.height() * len(lines)
            if isinstance(w, QPushButton):  # the room inside the style's padding and border
                opt = _option(w)
                room = w.style().subElementRect(QStyle.SE_PushButtonContents, opt, w)
        elif isinstance(w, (QCheckBox, QRadioButton)):
            need_w, need_h = fm.horizontalAdvance(text) + 28, fm.height()
        else:
            need_w, need_h = 0, fm.height()
        if need_w > room.width() + 2 or need_h > room.height() + 2:
            out.append(f"{name}: {type(w).__name__} {text[:40]!r} needs {need_w}x{need_h}, has "
                       f"{room.width()}x{room.height()}")
    return out


def size_failures(name: str, top: QWidget) -> list[str]:
    """Return how the window (at font scale 1) or a dialog needs more room than the screens it must fit."""
    from ui.monitor.main_window import MINIMUM, MainWindow

    if isinstance(top, MainWindow):
        if top.property("font_scale") not in (None, 1.0):
            return []  # scaled up for a big screen; made smaller, it scales down again
        hint = top.centralWidget().layout().totalMinimumSize().expandedTo(QSize(*MINIMUM))
        fits = WINDOW_FITS
    else:
        hint = top.minimumSizeHint().expandedTo(top.minimumSize())
        fits = (DIALOG_FITS,)
    return [f"{name}: needs at least {hint.width()}x{hint.height()}, more than {w}x{h}"
            for w, h in fits if hint.width() > w or hint.height() > h]


# --- the tests -----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def app():
    return QApplication.instance() or QApplication([])


def check_all(name: str, widget: QWidget, failures: list[str]) -> None:
    failures += legibility_failures(name, widget) + clipping_failures(name, widget) + size_failures(name, widget)


def test_every_screen_and_dialog_on_a_dark_desktop(app, tmp_path):
    failures: list[str] = []
    written = gallery.run(tmp_path, ["1366x768", "1280x720"], ["dark"],
                          visit=lambda name, w: check_all(name, w, failures))
    assert len(written) >= 2 * len(gallery.SCENES) + 20
    assert not failures, "\n".join(failures)


def test_the_apps_theme_wins_over_a_light_desktop(app, tmp_path):
    failures: list[str] = []
    only = {"04_latched_ended_alarm", "13_paused_infusion", "17_many_alarms", "dialogs"}
    gallery.run(tmp_path, ["1920x1080"], ["light"], only, visit=lambda name, w: check_all(name, w, failures))
    assert not failures, "\n".join(failures)


def test_a_window_that_grows_is_caught(app):
    """The checks can fail: a label that needs more room than it has, light text on a light background."""
    from PySide6.QtWidgets import QVBoxLayout

    w = QWidget()
    w.setStyleSheet("background: #efefef;")
    label = QLabel("near-white text on light grey: unreadable")
    label.setStyleSheet("color: #e8e8e8;")
    narrow = QLabel("a text much longer than its label is wide")
    narrow.setFixedWidth(60)
    box = QVBoxLayout(w)
    box.addWidget(label)
    box.addWidget(narrow)
    w.resize(500, 120)
    w.show()
    gallery.settle(200)
    found = legibility_failures("probe", w)
    assert any("near-white text" in f and "contrast 1.07" in f for f in found), found
    assert any("much longer" in f for f in clipping_failures("probe", w))
    w.close()
