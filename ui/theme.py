"""The one look of the whole app: a dark monitor theme set on the QApplication, colours and scalable fonts.

apply(app) sets the Fusion style, a dark palette and one style sheet on the
application, so every window, dialog, message box, input dialog, menu,
combo-box popup, table and scroll bar looks the same whatever the desktop
theme (light or dark). Widgets never set general colours on themselves (a
parent's style sheet leaks into dialogs opened on it); they pick a look by
property (role="dim") or style only their own frame.

Fonts are in pixels so they read the same on any DPI setting. set_font()
remembers a widget's base size so the monitor window can scale every font
with its size (rescale()): big numerals at 1920x1080, everything fits 1280x720.
Text colours against their backgrounds are at least 4.5:1 (WCAG AA); the
screen tests measure it on rendered pixels.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory, QWidget

from monitor.alarms import Priority

BACKGROUND = "#000000"
PANEL = "#15181c"
FIELD = "#0d0f12"
BUTTON = "#2d333b"
BUTTON_HOVER = "#3b434d"
BUTTON_OFF = "#1e2329"
BORDER = "#555b63"
TEXT = "#e8e8e8"
DIM = "#9aa0a6"
DISABLED = "#8a8f96"
#: Base font size (px) of dialogs, menus and tables.
BASE_PX = 16

#: Parameter colours, as bedside monitors use them; the oximeter's pulse rate takes the SpO2 colour.
SPO2 = "#3fd0ff"
PULSE = SPO2
ECG = "#4cff6a"
CO2 = "#d9c2ff"
NIBP = "#ffffff"
#: Questionable values: the parameter colour dimmed (still 4.5:1 on the panel).
DIMMED = {SPO2: "#2f9fc4", ECG: "#34b54a", CO2: "#9c8cbf", NIBP: DIM}
INFUSION = "#ffb347"
PAUSED_BG = "#3b3f8f"  # a paused infusion: white on blue-violet, no alarm colour
DONE = "#7ddc7d"
#: A warning that is not an alarm (rise alarms off without a baseline): white on dark red-brown.
WARN_BG = "#5a1a1a"
#: Something to do now (BP due, scales due): white bold, never an alarm colour (IEC 60601-1-8 reserves those).
TODO = "#ffffff"
#: Error text in dialogs (a refused setting).
ERROR = "#ff8080"

#: Alarm colours (ALARMS.md): high red, medium yellow, low cyan; text colour on each.
ALARM_BG = {Priority.HIGH: "#d0021b", Priority.MEDIUM: "#f5c400", Priority.LOW: "#00b8d4"}
ALARM_FG = {Priority.HIGH: "#ffffff", Priority.MEDIUM: "#000000", Priority.LOW: "#000000"}
#: The "off" half of a flashing field: dark tint of the alarm colour, light text.
ALARM_DIM_BG = {Priority.HIGH: "#3a1015", Priority.MEDIUM: "#3a3410", Priority.LOW: "#0b3238"}
#: Symbols so colour is never the only cue: !!! high, !! medium, ! low.
ALARM_MARK = {p: p.mark for p in Priority}
#: Flash half-periods in ms: high 2 Hz, medium 0.6 Hz, low steady (0).
FLASH_MS = {Priority.HIGH: 250, Priority.MEDIUM: 830, Priority.LOW: 0}

#: The drop-down arrow of combo boxes (a style sheet that styles a combo box must draw its arrow too).
ARROW = (Path(__file__).with_name("arrow-down.svg")).as_posix()
#: The tick of a ticked box: a filled square alone said "ticked" only by its colour.
CHECK = (Path(__file__).with_name("check.svg")).as_posix()

STYLE = f"""
* {{ color: {TEXT}; }}
QWidget {{ background: {PANEL}; }}
QMainWindow, QWidget#central {{ background: {BACKGROUND}; }}
QLabel, QCheckBox, QRadioButton {{ background: transparent; }}
QLabel[role="dim"] {{ color: {DIM}; }}
QLabel[role="error"] {{ color: {ERROR}; }}
QLabel[role="todo"] {{ color: {TODO}; font-weight: bold; }}
QLabel[role="warning"] {{ color: #ffffff; background: {WARN_BG}; border-radius: 4px; padding: 0 6px; }}
QToolTip {{ color: {TEXT}; background: {FIELD}; border: 1px solid {BORDER}; }}
QFrame#panel {{ background: {PANEL}; border-radius: 6px; }}
QGroupBox {{ border: 1px solid #3a4048; border-radius: 6px; margin-top: 14px; padding-top: 8px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; padding: 0 4px; }}
QLineEdit, QSpinBox, QDoubleSpinBox, QComboBox, QDateTimeEdit, QPlainTextEdit, QTextEdit {{
    background: {FIELD}; color: #f0f0f0; border: 1px solid {BORDER}; border-radius: 4px; padding: 4px;
    selection-background-color: #2f6fa0; selection-color: #ffffff; }}
QLineEdit:disabled, QSpinBox:disabled, QComboBox:disabled {{ color: {DISABLED}; border-color: #333a42; }}
QLineEdit[invalid="true"], QComboBox[invalid="true"] {{ border: 2px solid {ERROR}; }}
QComboBox::drop-down {{ border: 0; width: 26px; }}
QComboBox::down-arrow {{ image: url({ARROW}); width: 14px; height: 10px; }}
QComboBox QAbstractItemView {{ background: {FIELD}; color: {TEXT}; border: 1px solid {BORDER};
    selection-background-color: #2f6fa0; selection-color: #ffffff; outline: 0; }}
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button {{ width: 26px; }}
QPushButton, QToolButton {{ background: {BUTTON}; color: #f0f0f0; border: 1px solid {BORDER}; border-radius: 4px;
    padding: 4px 10px; }}
QPushButton:hover, QToolButton:hover {{ background: {BUTTON_HOVER}; }}
QPushButton:pressed, QToolButton:pressed {{ background: #4a5360; }}
QPushButton:checked {{ background: {SPO2}; color: #000000; border: 2px solid #ffffff; }}
QPushButton:disabled, QToolButton:disabled {{ background: {BUTTON_OFF}; color: {DISABLED}; border-color: #333a42; }}
QPushButton:default {{ border: 2px solid {SPO2}; }}
QToolButton::menu-indicator {{ image: none; width: 0; }}
QCheckBox::indicator, QRadioButton::indicator {{ width: 22px; height: 22px; background: {FIELD};
    border: 2px solid {DIM}; }}
QCheckBox::indicator {{ border-radius: 3px; }}
QRadioButton::indicator {{ border-radius: 12px; }}
QCheckBox::indicator:checked, QRadioButton::indicator:checked {{ background: {SPO2}; border: 2px solid #ffffff; }}
QCheckBox::indicator:checked {{ image: url({CHECK}); }}
QGroupBox::indicator {{ width: 20px; height: 20px; background: {FIELD}; border: 2px solid {DIM}; border-radius: 3px; }}
QGroupBox::indicator:checked {{ background: {SPO2}; border: 2px solid #ffffff; image: url({CHECK}); }}
QMenuBar, QMenu {{ background: {PANEL}; color: {TEXT}; }}
QMenu {{ border: 1px solid {BORDER}; padding: 4px; }}
QMenu::item {{ padding: 8px 28px 8px 16px; }}
QMenu::item:selected, QMenuBar::item:selected {{ background: #2f6fa0; color: #ffffff; }}
QMenu::item:disabled {{ color: {DISABLED}; }}
QTableView, QTableWidget, QListView, QListWidget, QTreeView {{ background: {FIELD}; color: {TEXT};
    alternate-background-color: #14181d; gridline-color: #333a42; border: 1px solid #333a42;
    selection-background-color: #2f6fa0; selection-color: #ffffff; }}
QHeaderView::section {{ background: {BUTTON}; color: #f0f0f0; padding: 4px 6px; border: 0;
    border-right: 1px solid {PANEL}; font-weight: bold; }}
QTableCornerButton::section {{ background: {BUTTON}; border: 0; }}
QScrollBar:vertical {{ background: {FIELD}; width: 16px; margin: 0; }}
QScrollBar:horizontal {{ background: {FIELD}; height: 16px; margin: 0; }}
QScrollBar::handle {{ background: #4a5360; border-radius: 6px; min-height: 30px; min-width: 30px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: none; }}
QTabWidget::pane {{ border: 1px solid #3a4048; }}
QTabBar::tab {{ background: {BUTTON}; color: #f0f0f0; padding: 8px 16px; border: 1px solid #3a4048; }}
QTabBar::tab:selected {{ background: {PANEL}; border-bottom-color: {PANEL}; font-weight: bold; }}
QProgressBar {{ background: #2a2e33; border: 0; }}
QProgressBar::chunk {{ background: {INFUSION}; }}
QDialogButtonBox {{ dialogbuttonbox-buttons-have-icons: 0; }}
QPushButton[choice="true"] {{ padding: 2px; min-width: 34px; }}
QMessageBox QLabel {{ min-width: 360px; }}
QScrollArea {{ border: none; }}
"""


def palette() -> QPalette:
    """Return the dark palette behind the style sheet (for anything the sheet does not reach)."""
    p = QPalette()
    for role, colour in ((QPalette.Window, PANEL), (QPalette.WindowText, TEXT), (QPalette.Base, FIELD),
                         (QPalette.AlternateBase, "#14181d"), (QPalette.Text, TEXT), (QPalette.Button, BUTTON),
                         (QPalette.ButtonText, "#f0f0f0"), (QPalette.ToolTipBase, FIELD),
                         (QPalette.ToolTipText, TEXT), (QPalette.Highlight, "#2f6fa0"),
                         (QPalette.HighlightedText, "#ffffff"), (QPalette.PlaceholderText, DISABLED),
                         (QPalette.BrightText, "#ffffff"), (QPalette.Link, SPO2)):
        p.setColor(role, QColor(colour))
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        p.setColor(QPalette.Disabled, role, QColor(DISABLED))
    return p


def apply(app: QApplication) -> None:
    """Give the whole application the monitor look, overriding the desktop's style, palette and font."""
    app.setStyle(QStyleFactory.create("Fusion"))
    app.setPalette(palette())
    f = QFont("DejaVu Sans")
    f.setPixelSize(BASE_PX)
    app.setFont(f)
    app.setStyleSheet(STYLE)


def font(size: int, bold: bool = False) -> QFont:
    """Return the UI font at a pixel size."""
    f = QFont()
    f.setPixelSize(max(1, int(size)))
    f.setBold(bold)
    return f


def set_font(widget: QWidget, size: int, bold: bool = False) -> None:
    """Give a widget a font of base pixel size `size`, remembered so that rescale() can scale it."""
    widget.setProperty("base_px", size)
    widget.setProperty("base_bold", bold)
    scale = widget.window().property("font_scale") if widget.window() is not None else None
    _give_font(widget, font(size * float(scale or 1.0), bold))


def rescale(root: QWidget, factor: float) -> None:
    """Scale every font set with set_font() below root to base size x factor."""
    root.setProperty("font_scale", factor)
    for w in root.findChildren(QWidget):
        base = w.property("base_px")
        if base:
            _give_font(w, font(base * factor, bool(w.property("base_bold"))))


#: Where Qt's style sheet keeps a widget's own font: saved at its first polish (QStyleSheetStyle::saveWidgetFont),
#: put back at every unpolish, and never updated by a later setFont under an application-wide sheet.
_SHEET_FONT = "_q_styleSheetWidgetFont"


def _give_font(widget: QWidget, f: QFont) -> None:
    """Give a widget its own font f, the one the style sheet puts back when the widget's role changes.

    Without this, restyle() (unpolish, polish) brought back the font of the widget's first polish: a label
    scaled for 1920x1080 fell to its design size when its role flipped (todo to dim), and a rescale while
    a role's rule applied (todo's bold) dropped that rule's weight. A widget the sheet has polished is
    polished again, so the rules of its role apply over the new font.
    """
    widget.setProperty(_SHEET_FONT, f)
    widget.setFont(f)
    if widget.testAttribute(Qt.WA_StyleSheet):
        widget.style().unpolish(widget)
        widget.style().polish(widget)


def restyle(widget: QWidget, prop: str, value: str) -> None:
    """Set a style property (role, look...) and re-polish the widget only when it changes."""
    if widget.property(prop) == value:
        return
    widget.setProperty(prop, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
