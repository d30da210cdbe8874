"""A label keeps the font the window scaled it to when its role flips (todo, dim, warning), and keeps its role's
weight when the window scales it: the style sheet puts back the font the theme last gave, not its first one."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from monitor.live.core import MonitorCore
from monitor.storage.store import Store
from ui import theme
from ui.monitor.main_window import DESIGN, MAX_SCALE, MainWindow


def test_a_label_of_the_chairs_window_at_1920x1080_keeps_its_scaled_size_when_its_role_flips(qtbot, qapp, tmp_path):
    theme.apply(qapp)
    core = MonitorCore(Store(tmp_path / "s.db"), [])
    core.start()
    try:
        window = MainWindow(core)
        qtbot.addWidget(window)
        window.resize(*DESIGN)
        window.show()
        qtbot.waitExposed(window)
        label = window.header.baseline  # the baseline BP: "todo" when due, "warning" without one
        theme.restyle(label, "role", "todo")  # polished once at the design size, as the first frame does
        base = label.property("base_px")
        assert label.font().pixelSize() == base
        window.resize(1920, 1080)
        factor = min(MAX_SCALE, 1920 / DESIGN[0], 1080 / DESIGN[1])
        scaled = int(base * factor)
        qtbot.waitUntil(lambda: label.font().pixelSize() == scaled, timeout=5000)
        assert scaled > base and label.font().bold()  # scaled while "todo": its weight stays
        for role in ("dim", "todo", "", "warning", "dim"):
            theme.restyle(label, "role", role)
            assert label.font().pixelSize() == scaled, role  # was the design size again after the first flip
            assert label.font().bold() == (role == "todo" or bool(label.property("base_bold"))), role
    finally:
        core.stop()


def test_a_bare_label_keeps_its_scale_and_its_roles_weight(qtbot, qapp):
    theme.apply(qapp)
    window = QWidget()
    qtbot.addWidget(window)
    label = QLabel("BP due")
    QVBoxLayout(window).addWidget(label)
    theme.set_font(label, 16)
    window.show()
    qtbot.waitExposed(window)
    theme.rescale(window, 1.5)
    theme.restyle(label, "role", "todo")
    assert (label.font().pixelSize(), label.font().bold()) == (24, True)
    theme.rescale(window, 1.25)
    assert (label.font().pixelSize(), label.font().bold()) == (20, True)
    theme.restyle(label, "role", "dim")
    assert (label.font().pixelSize(), label.font().bold()) == (20, False)
    theme.set_font(label, 18)  # a new base size (the header's fit) is scaled too, and stays so
    theme.restyle(label, "role", "todo")
    assert (label.font().pixelSize(), label.font().bold()) == (22, True)
