"""Timeline labels of marks seconds apart are merged, never written over each other; BP labels too close are left out."""

from __future__ import annotations

from ui.review.timeline_view import LABEL_GAP_PX, Label, packed


def _mark(t: float, text: str, y: float = 1.2, colour: str = "#ffffff") -> Label:
    return Label("lanes", t, y, text, colour, (0, 1.0), offset_px=4.0)


def width(lb: Label) -> float:
    return 10.0 * len(lb.text)  # 10 px a character


def test_marks_a_few_seconds_apart_are_merged_into_one_label():
    marks = [_mark(0, "Antihypertensive given"), _mark(30, "Anxiety given"), _mark(60, "Benzodiazepine given")]
    (one,) = packed(marks, per_px=1.0, width_px=width)  # 1 s a pixel: 30 s is 30 px, less than one name
    assert one.text == "Antihypertensive given · Anxiety given · Benzodiazepine given" and one.t == 0


def test_marks_far_enough_apart_keep_their_own_labels_and_rows_are_packed_apart():
    first, second = _mark(0, "Nausea"), _mark(60 + 4 + LABEL_GAP_PX, "Vomiting")  # 60 px of text, then the gap
    scale = _mark(10, "CADSS 8/24", y=0.45, colour="#b18cff")
    assert packed([second, scale, first], per_px=1.0, width_px=width) == [first, scale, second]
    zoomed_out = packed([first, second, scale], per_px=10.0, width_px=width)
    assert [lb.text for lb in zoomed_out] == ["Nausea · Vomiting", "CADSS 8/24"]


def test_a_mixed_group_takes_the_words_colour_and_bp_labels_too_close_are_left_out():
    merged = packed([_mark(0, "phase: infusion", colour="#b18cff"), _mark(5, "Nausea")], 1.0, width)
    assert merged[0].colour != "#b18cff"
    bps = [Label("bp", t, 150, "150/90", "#ffffff", (0.5, 1.2)) for t in (0, 20, 200)]
    assert [lb.t for lb in packed(bps, 1.0, width)] == [0, 200]


def test_bp_readings_at_the_view_edges_and_near_its_top_are_written_whole(qtbot, qapp):
    """A reading at the view's left edge read "28/80" (for 128/80), one near the plot's top was cut at its edge."""
    from types import SimpleNamespace

    from ui.review.timeline_view import TimelineView

    t0 = 1_800_000_000.0
    view = TimelineView()
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    qtbot.waitExposed(view)
    readings = [SimpleNamespace(t=t0, sbp=128.0, dbp=80.0, map=96.0),
                SimpleNamespace(t=t0 + 900, sbp=200.0, dbp=85.0, map=123.0),
                SimpleNamespace(t=t0 + 1800, sbp=172.0, dbp=85.0, map=114.0)]
    view._show_bp(SimpleNamespace(nibp=readings))
    view.plots["spo2"].setXRange(t0, t0 + 1800, padding=0)
    view._range_settled()
    box = view.plots["bp"].getViewBox()

    def words() -> dict[str, object]:
        return {item.textItem.toPlainText(): item.sceneBoundingRect() for lb, item in view.shown_labels.items()
                if lb.plot == "bp"}

    qtbot.waitUntil(lambda: len(words()) == 3 and all(box.sceneBoundingRect().contains(r) for r in words().values()),
                    timeout=5000)
    assert sorted(words()) == ["128/80", "172/85", "200/85"]
