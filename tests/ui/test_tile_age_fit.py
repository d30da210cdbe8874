"""A value's age on its tile is never cut: "last 97 · 12 min ago" whole on the narrow tiles of a 1024 px screen.

Cut at its start it read "…t 97 · 12 min ago" there (SpO2 and pulse tiles side by side, about 215 px each).
"""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFontMetrics

from monitor.live.view import TileView
from ui import theme
from ui.monitor.tiles import Tile

AGE = "last 97 · 12 min ago"


@pytest.mark.parametrize("width", [200, 215, 330])
def test_the_age_of_the_last_value_is_whole_and_fits_its_badge(qtbot, qapp, width):
    theme.apply(qapp)
    tile = Tile("spo2")
    qtbot.addWidget(tile)
    tile.resize(width, 150)
    tile.show()
    tile.show_view(TileView(param="spo2", title="SpO₂", unit="%", value="---", note="Probe off", look="blocked",
                            age=AGE, limits=("▼ 94 !!  90 !!!",)))
    age = tile.age

    def fits() -> bool:  # the font is fitted after the layout gives the badge its width
        return QFontMetrics(age.font()).horizontalAdvance(age.text()) <= age.contentsRect().width()

    qtbot.waitUntil(fits, timeout=5000)
    assert age.text() == AGE
    assert age.font().pixelSize() >= age.MIN_PX
    if width >= 330:  # room for it at its full size
        assert age.font().pixelSize() == age.property("base_px")
