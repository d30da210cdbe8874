"""Words with a value in them are never cut on a tile; their print shrinks instead.

A value's age read "…t 97 · 12 min ago" on the narrow tiles of a 1024 px screen (SpO2 and pulse side by
side, about 215 px each); an expired BP read "last 138/86 at 17:20, 3…" even at 1366 px, its "take a new
BP" cut off, and a failed measurement "17:52 failed: motion ar…".
"""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFontMetrics

from monitor.live.view import NibpView, TileView
from ui import theme
from ui.monitor.tiles import NibpTile, Tile

AGE = "last 97 · 12 min ago"


def shown(qtbot, qapp, widget, width: int, height: int):
    """Show the widget alone at this size in the app's theme; return it."""
    theme.apply(qapp)
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    return widget


def whole(label) -> bool:
    """Tell whether each line of the label's text fits its width at its font (fitted after the layout gives it a
    width)."""
    fm = QFontMetrics(label.font())
    return max(fm.horizontalAdvance(line) for line in label.text().split("\n")) <= label.contentsRect().width()


@pytest.mark.parametrize("width", [200, 215, 330])
def test_the_age_of_the_last_value_is_whole_and_fits_its_badge(qtbot, qapp, width):
    tile = shown(qtbot, qapp, Tile("spo2"), width, 150)
    tile.show_view(TileView(param="spo2", title="SpO₂", unit="%", value="---", note="Probe off", look="blocked",
                            age=AGE, limits=("▼ 94 !!  90 !!!",)))
    qtbot.waitUntil(lambda: whole(tile.age), timeout=5000)
    assert tile.age.text() == AGE
    assert tile.age.font().pixelSize() >= tile.age.MIN_PX
    if width >= 330:  # room for it at its full size
        assert tile.age.font().pixelSize() == tile.age.property("base_px")


@pytest.mark.parametrize("width", [440, 600])  # the NIBP field at 1024x600 and at 1366x768
def test_an_expired_bp_says_take_a_new_bp_and_the_old_reading_whole(qtbot, qapp, width):
    tile = shown(qtbot, qapp, NibpTile(), width, 145)
    failure = "17:52 failed: motion artefact"  # the cause, the reason's first clause (tests/live/test_display.py)
    tile.show_view(NibpView(value="---/---", mean="take a new BP", when="last 138/86 · 32 min ago", look="expired",
                            failure=failure, limits=("SYS ▲ 160 !!  180 !!!", "DIA ▲ 100 !!  110 !!!")))
    qtbot.waitUntil(lambda: all(whole(w) for w in (tile.mean, tile.when, tile.failure)), timeout=5000)
    assert (tile.mean.text(), tile.when.text(), tile.failure.full_text()) == (
        "take a new BP", "last 138/86 · 32 min ago", failure)
    # its cause in print a nurse reads from the foot of the chair: on two lines rather than shrunk to 10 px
    assert tile.failure.font().pixelSize() == tile.failure.property("base_px")
    assert tile.failure.text().replace("\n", " ") == failure
    assert tile.failure.height() >= 2 * QFontMetrics(tile.failure.font()).height()  # both lines shown whole


@pytest.mark.parametrize("width", [545, 690])  # the infusion panel at 1024x600 and at 1366x768
def test_the_infusion_advice_keeps_its_limits_whole(qtbot, qapp, width):
    from monitor.live.view import InfusionView
    from ui.monitor.infusion_panel import InfusionPanel

    panel = shown(qtbot, qapp, InfusionPanel(), width, 180)
    advice = "Consider holding the infusion: SBP 192 ≥ 180, DBP 114 ≥ 100"
    panel.show_view(InfusionView(state="▶ RUNNING", role="running", elapsed="12:18", remaining="27:42 left",
                                 rate="Rate 150.0 mL/h", delivered="Delivered 11.1 of 36.0 mg", plan="", progress=0.3,
                                 reminder="", advice=advice, actions={"pause": True}))
    qtbot.waitUntil(lambda: whole(panel.notice), timeout=5000)
    assert panel.notice.text() == advice


@pytest.mark.parametrize("width", [230, 320])  # the clinical panel's scales line at 1024x600 and at 1366x768
def test_a_panel_line_shrinks_to_stay_whole_and_is_cut_only_below_its_least_print(qtbot, qapp, width):
    from ui.widgets import ShrinkElidedLabel

    label = ShrinkElidedLabel()
    theme.set_font(label, 16, bold=True)
    shown(qtbot, qapp, label, width, 30)
    missed = "Scales not recorded: Baseline"
    label.setText(missed)
    qtbot.waitUntil(lambda: whole(label) and label.text() == missed, timeout=5000)
    assert label.font().pixelSize() >= label.MIN_PX
    if width >= 320:
        assert label.font().pixelSize() == 16  # room for it at its full size
    long = "Scales due (Post-infusion): MOAA/S, CADSS, nausea 0-10, anxiety 0-10 · not recorded: Baseline"
    label.setText(long)
    qtbot.waitUntil(lambda: label.text().endswith("…"), timeout=5000)
    assert label.font().pixelSize() == label.MIN_PX and label.toolTip() == long and whole(label)
    label.setText(missed)  # short again: back to the largest print that fits
    qtbot.waitUntil(lambda: label.text() == missed, timeout=5000)
    assert label.font().pixelSize() > label.MIN_PX
