"""The review station on a real screen (issue 23): a patient of 10 infusions, infusion 9 stopped early with an
unreviewed item-9 flag, infusion 1's flag reviewed, events and scales seconds apart.

Checked on the screen size in $REVIEW_SCREEN (default 1366x768): the window and its dialogs fit the screen's
free area when opened, every column of the list and every button shows, the list tells the PHQ-9, the flag and
"stopped early", the Summary tab starts with the outcomes, no two timeline labels are written over each other,
and the text is legible and not cut (tests/screen_checks.py). PNGs go to $SCREEN_SHOTS_DIR when set.

Run by test_review_screens.py on Xvfb with QT_QPA_PLATFORM=xcb; run directly it uses whatever platform is set.
"""

from __future__ import annotations

import os

import pytest
from course_sessions import Visit, make_course, phq9
from PySide6.QtCore import QPoint, QRect
from screen_checks import clipping_failures, legibility_failures
from truth_screen_checks import app, shots  # noqa: F401 (fixtures: a dark desktop, where PNGs go)

from ui.review import timeline_view

SCREEN = tuple(int(x) for x in os.environ.get("REVIEW_SCREEN", "1366x768").split("x"))
DAYS = (0, 3, 5, 8, 12, 15, 19, 26, 31, 34)
RUSH = ("antihypertensive", "anxiety", "benzodiazepine")  # 30 s apart: their labels used to print over each other


def _visits() -> list[Visit]:
    visits = []
    for k, day in enumerate(DAYS):
        total, item9 = (22, 1) if k == 0 else (16, 2) if k == 8 else (max(4, 20 - 2 * k), 0)
        visits.append(Visit(day, outcomes=(("phq9", phq9(total, item9), 2), ("gad7", (1,) * 7, 3)),
                            reviews=((0, "Dr Lee", 5),) if k == 0 else (),
                            infusion="stopped" if k == 8 else "completed",
                            sbps=(172.0, 190.0) if k == 8 else (140.0, 150.0, 146.0),
                            markers=RUSH if k == 8 else (), cadss=(8, 12), moaas=(4,)))
    return visits


@pytest.fixture
def window(app, qtbot, tmp_path):
    from ui.review.window import ReviewWindow

    make_course(tmp_path / "s.db", _visits(), patient="P-KET-07")
    w = ReviewWindow.for_database(tmp_path / "s.db")
    qtbot.addWidget(w)
    w.resize(1500, 900)  # what every opener asks for
    w.show()
    table = w.browser.table  # every cell filled by the worker: a cell changing under the check reads as unlegible
    qtbot.waitUntil(lambda: table.rowCount() == 10 and all(table.item(r, c).text() != "…" for r in range(10)
                                                          for c in range(table.columnCount())), timeout=30000)
    return w


def _inside(w, top) -> bool:
    return top.rect().contains(QRect(w.mapTo(top, QPoint(0, 0)), w.size()))


def test_the_screen_is_the_one_asked_for(app):
    area = app.primaryScreen().availableGeometry()
    assert (area.width(), area.height()) == SCREEN


def test_the_list_fits_and_tells_the_outcome_the_flag_and_the_early_stop(qtbot, window, shots, app):
    area = app.primaryScreen().availableGeometry()
    assert area.contains(window.frameGeometry()), (window.frameGeometry(), area)
    b = window.browser
    for button in b.findChildren(type(window.page.buttons["back"])):
        if button.isVisible():
            assert _inside(button, window), button.text()
    table = b.table
    header = table.horizontalHeader()
    last = table.columnCount() - 1
    assert header.sectionViewportPosition(last) + 10 < table.viewport().width()  # every column shows
    rows = {table.item(r, 11).text(): r for r in range(table.rowCount())}
    nine, one, two = rows["9"], rows["1"], rows["2"]
    assert table.item(nine, 8).text() == "PHQ-9 16" and table.item(nine, 9).text() == "!! NOT REVIEWED"
    assert table.item(nine, 10).text() == "closed, stopped early"
    assert table.item(one, 9).text() == "flag reviewed" and table.item(two, 9).text() == ""
    window.grab().save(str(shots / f"review-list-{SCREEN[0]}x{SCREEN[1]}.png"))
    failures = legibility_failures("list", window)
    if failures:  # once seen under a loaded full run only: a cell measured mid-relayout; a real fault stays
        qtbot.wait(1000)
        failures = legibility_failures("list", window)
    assert failures == []
    assert clipping_failures("list", window) == []


def test_session_9_summary_starts_with_its_outcomes_and_the_timeline_labels_do_not_overlap(qtbot, window, shots,
                                                                                           app):
    window.open_session("9")
    qtbot.waitUntil(lambda: window.summary is not None and window.summary.outcomes is not None, timeout=30000)
    qtbot.wait(300)  # the labels are written once the view settles
    page = window.page
    area = app.primaryScreen().availableGeometry()
    assert area.contains(window.frameGeometry())
    for button in page.buttons.values():
        assert _inside(button, window), button.text()
    assert _inside(page.tabs, window) and page.tabs.width() >= 300
    bar = page.tabs.tabBar()
    assert bar.tabRect(bar.count() - 1).right() <= bar.width()  # every tab's name whole, no scroll arrows
    text = page.summary.toPlainText()
    assert text.index("Outcomes") < text.index("Infusion")
    for words in ("PHQ-9 16/27", "NOT REVIEWED", "OUTSIDE the range", "stopped early: BP 190/105"):
        assert words in text, words
    labels = [(lb, item.sceneBoundingRect()) for lb, item in page.timeline.shown_labels.items()
              if lb.end is None and lb.plot == "lanes"]
    assert any("Antihypertensive given · Anxiety given" in lb.text for lb, _ in labels), [lb.text for lb, _ in labels]
    for i, (a, ra) in enumerate(labels):
        for b, rb in labels[i + 1:]:
            assert a.y != b.y or not ra.intersects(rb), (a.text, b.text)
    lanes = page.timeline.plots["lanes"].getViewBox().sceneBoundingRect()
    for lb, r in labels:  # whole within the lanes' height, never cut at an edge (the text item's margins may be)
        margin = timeline_view.TEXT_MARGIN_PX + 1
        assert lanes.top() <= r.top() + margin and r.bottom() - margin <= lanes.bottom(), (lb.text, r, lanes)
    window.grab().save(str(shots / f"review-session9-{SCREEN[0]}x{SCREEN[1]}.png"))
    page.summary.verticalScrollBar().setValue(0)
    page.tabs.grab().save(str(shots / f"review-session9-summary-{SCREEN[0]}x{SCREEN[1]}.png"))
    assert legibility_failures("session", window) == []
    window.open_session("1")  # the reviewed flag: who, when, what; no NOT REVIEWED
    qtbot.waitUntil(lambda: window.summary is not None and window.summary.meta.ref == "1"
                    and window.summary.outcomes is not None, timeout=30000)
    text = page.summary.toPlainText()
    assert "reviewed by Dr Lee 2023-11-15 09:05: no plan or intent; safety plan agreed" in text
    assert "NOT REVIEWED" not in text and "within the range" in text
    page.tabs.grab().save(str(shots / f"review-session1-summary-{SCREEN[0]}x{SCREEN[1]}.png"))


def test_the_dialogs_and_windows_it_opens_fit_the_screen(qtbot, window, app):
    from monitor.clinical.markers import current_markers
    from monitor.record.journal import MarkerRevision
    from ui.review.corrections_view import CorrectionDialog
    from ui.review.screen_fit import fit_to_screen

    window.open_session("9")
    qtbot.waitUntil(lambda: window.timeline_data is not None, timeout=30000)
    area = app.primaryScreen().availableGeometry()
    record = window.timeline_data.record
    dialog = CorrectionDialog(record, current_markers(r for _, r in record.entries(MarkerRevision)),
                              window.timeline_data.start, "", "edit", "", window)
    qtbot.addWidget(dialog)
    dialog.show()
    assert area.contains(dialog.frameGeometry()), (dialog.frameGeometry(), area)
    course = window.open_course()
    qtbot.addWidget(course)
    assert course.width() <= area.width() and course.height() <= area.height()
    from PySide6.QtWidgets import QWidget
    other = QWidget()
    qtbot.addWidget(other)
    fit_to_screen(other, 1280, 800)  # the playback window's wish
    assert other.width() <= area.width() and other.height() <= area.height()
