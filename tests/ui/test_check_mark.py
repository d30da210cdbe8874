"""A ticked box shows a tick, not only another colour: the Start dialog's checklist is read at a glance."""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox, QStyle, QStyleOptionButton

from ui import theme


def dark_pixels_in_the_box(qtbot, checked: bool) -> int:
    box = QCheckBox("Informed consent signed for this infusion")
    qtbot.addWidget(box)
    box.setChecked(checked)
    box.show()
    qtbot.waitExposed(box)
    option = QStyleOptionButton()
    box.initStyleOption(option)
    square = box.style().subElementRect(QStyle.SE_CheckBoxIndicator, option, box).adjusted(4, 4, -4, -4)
    image = box.grab().toImage()
    return sum(QColor(image.pixel(x, y)).lightness() < 60
               for x in range(square.left(), square.right() + 1) for y in range(square.top(), square.bottom() + 1))


def test_a_ticked_box_draws_a_dark_tick_on_its_colour(qtbot, qapp):
    theme.apply(qapp)
    assert dark_pixels_in_the_box(qtbot, checked=True) >= 10
