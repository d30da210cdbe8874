"""The course view: read on its own thread, every infusion in the table, flags never hidden, the small plots;
opened from the command; drawn on a real X server (a throwaway Xvfb) when one can be started."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage

from course_sessions import make_course
from monitor.alarms import Priority
from monitor.storage.sessions import SqliteSessions
from test_course import VISITS
from ui import launcher, theme
from ui.review.course_view import REVIEWED_BG, CourseChartWidget, CourseView

FLAG_BG = QColor(theme.ALARM_BG[Priority.MEDIUM])


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("course_ui") / "s.db"
    make_course(path, VISITS)
    return path


def shown(qtbot, db, patient="P-1") -> CourseView:
    view = CourseView(SqliteSessions(db), patient)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.sigShown, timeout=20000):
        pass
    return view


def test_the_view_reads_the_course_off_the_window_thread_and_shows_every_infusion(qtbot, db):
    view = shown(qtbot, db)
    assert view.title.text() == "Course of patient P-1 (Grace Hopper): 5 sessions, 2023-11-15 to 2023-11-24"
    assert view.table.rowCount() == 5
    assert [view.cell(r, "given") for r in range(5)] == ["35 mg", "35 mg", "17.5 mg\nstopped", "35 mg",
                                                                   "not started"]
    assert view.cell(0, "SBP mmHg base/peak (rise)") == "128/150 (+22)"
    assert view.cell(2, "SBP mmHg base/peak (rise)") == "132/150 (+18)"
    assert view.cell(0, "CADSS\nhigh") == "12/24" and view.cell(0, "MOAA/S\nlow") == "3"
    assert view.cell(0, "rescue drugs given") == "antiemetic 2" and view.cell(0, "alarms\nH/M/L") == "1/1/0"
    assert view.cell(0, "side effects") == "nausea 1" and view.cell(1, "side effects") == "none"
    assert view.cell(2, "PHQ-9") == "11 moderate\nresponse"
    assert view.cell(3, "PHQ-9") == "4 minimal\nresponse remission"
    assert view.cell(1, "GAD-7") == "12 moderate" and view.cell(2, "GAD-7") == "-"
    f = view.course.rows[0].forecast
    assert view.cell(0, "BP forecast peak (range)") == f"{f.expected_peak:.0f} ({f.peak_low:.0f}-{f.peak_high:.0f})"
    assert view.total.text() == "Total given: 122.5 mg over 4 infusions (1 stopped early)"


def item(view: CourseView, row: int, column: str):
    return view.table.item(row, [view.table.horizontalHeaderItem(c).text()
                                 for c in range(view.table.columnCount())].index(column))


def test_flags_are_shown_with_their_reviews_and_an_unreviewed_one_in_the_alarm_colour(qtbot, db):
    view = shown(qtbot, db)
    flagged, reviewed = item(view, 4, "PHQ-9"), item(view, 0, "PHQ-9")
    assert flagged.text() == "6 mild\nresponse\nFLAG item 9\nNOT REVIEWED" and flagged.background().color() == FLAG_BG
    assert reviewed.text() == "22 severe\nFLAG item 9 reviewed"
    assert reviewed.background().color() == QColor(REVIEWED_BG) != FLAG_BG
    assert item(view, 1, "PHQ-9").background().style() == Qt.BrushStyle.NoBrush  # no flag: a plain cell
    words = [view.words.itemAt(i).widget() for i in range(view.words.count())]
    texts = [w.text() for w in words]
    assert any("reviewed by Dr Lee" in t and "Session 1" in t for t in texts)
    [unreviewed] = [w for w in words if "NOT REVIEWED" in w.text()]
    assert unreviewed.property("role") == "flag" and "Session 5" in unreviewed.text()
    assert any(t.startswith("BP forecast for session 5 (infusion not started yet): expected peak about")
               for t in texts)
    assert any("response yes (first met at infusion 3" in t for t in texts)


def test_the_small_plots_are_the_courses(qtbot, db):
    view = shown(qtbot, db)
    charts = [view.plots.itemAt(i).widget() for i in range(view.plots.count())]
    assert all(isinstance(c, CourseChartWidget) for c in charts)
    assert [c.chart.title for c in charts] == ["Outcome totals by date", "SBP rise per infusion", "Dose per infusion",
                                               "Dissociation per infusion"]
    outcome = charts[0]
    assert [line for _, line in outcome.chart.lines] == ["PHQ-9 response \u2264 11", "remission < 5"]
    assert "PHQ-9" in outcome.getPlotItem().titleLabel.text and "remission &lt; 5" in outcome.getPlotItem() \
        .titleLabel.text
    rise = charts[1].chart
    assert rise.series[0].values == (22.0, 32.0, 18.0, 22.0, None)  # no rise for the infusion not started


def test_an_unknown_patient_says_so_in_the_view(qtbot, db):
    view = CourseView(SqliteSessions(db), "P-404")
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.sigFailed, timeout=20000) as blocker:
        pass
    assert "no sessions of patient 'P-404'" in blocker.args[0]
    assert "cannot be read" in view.title.text()


def test_a_fault_while_reading_is_said_in_one_line_not_left_reading(qtbot, db, monkeypatch, caplog):
    def broken(*_args):
        raise ZeroDivisionError("P-1 somewhere in the words")

    monkeypatch.setattr("ui.review.course_view.build_course", broken)
    view = CourseView(SqliteSessions(db), "P-1")
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.sigFailed, timeout=20000) as blocker:
        pass
    assert blocker.args[0] == ("an internal error (ZeroDivisionError) stopped reading the course; "
                               "the log has the details")
    assert "cannot be read" in view.title.text()
    assert all("P-1" not in r.getMessage() for r in caplog.records)  # the traceback's words are not the message


def test_course_window_from_the_command(db, monkeypatch, capsys):
    opened = []
    monkeypatch.setattr("ui.review.course_view.run_course",
                        lambda source, patient: opened.append((source.path, patient)) or source.close() or 0)
    assert launcher.main(["course", "--db", str(db), "--patient", "P-1", "--window"]) == 0
    assert opened == [(str(db), "P-1")]
    assert launcher.main(["course", "--db", str(db), "--patient", "P-404", "--window"]) == 2
    assert capsys.readouterr().err.strip() == ("infusion-monitor: error: there are no sessions of patient 'P-404' in "
                                               "this database")
    assert opened == [(str(db), "P-1")]


SHOT = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from monitor.storage.sessions import SqliteSessions
from ui.review.course_view import CourseWindow
app = QApplication(sys.argv)
window = CourseWindow(SqliteSessions(sys.argv[1]), "P-1")
window.resize(1500, 950)
window.show()
window.view.sigShown.connect(lambda c: QTimer.singleShot(500, lambda: (window.grab().save(sys.argv[2]), app.quit())))
QTimer.singleShot(30000, app.quit)
app.exec()
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed: no real X server to draw on")
def test_the_course_window_draws_on_a_real_x_server(db, tmp_path, monkeypatch):
    from ui.preflight import display_problem

    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    if display_problem():
        pytest.skip(display_problem())
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        number = os.read(read, 16).decode().strip()
        assert number, "Xvfb did not start"
        env = {**os.environ, "DISPLAY": f":{number}", "QT_QPA_PLATFORM": "xcb"}
        out = tmp_path / "course.png"
        subprocess.run([sys.executable, "-c", SHOT, str(db), str(out)], env=env, timeout=60, check=True,
                       cwd=Path(__file__).parent.parent.parent)
        image = QImage(str(out))
        assert (image.width(), image.height()) == (1500, 950)
        colours = {image.pixelColor(x, y).name() for x in range(0, 1500, 3) for y in range(0, 950, 3)}
        assert FLAG_BG.name() in colours  # the unreviewed flag
        assert "#e67e22" in colours and "#e74c3c" in colours  # PHQ-9 line, SBP rise bars
    finally:
        os.close(read)
        xvfb.terminate()
        xvfb.wait(10)


@pytest.mark.slow
@pytest.mark.parametrize("visits", ["TEN", "VISITS"])
@pytest.mark.parametrize("screen", [(1366, 768), (1280, 720)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_ten_infusion_course_fits_a_laptop_with_nothing_cut(tmp_path, visits, screen):
    """The window opened at the review's 1400 x 900 keeps to the screen; every column, the forecast with its
    OUTSIDE among them, shows without sideways scrolling; the flags and words stay; the plots scroll into view.
    With 10 infusions and PHQ-9 only, and with 5 and two questionnaires (PHQ-9, GAD-7). At 1280 px the
    questionnaires and side effects were off the right edge until the headings took three lines."""
    import json

    import course_sessions
    from xserver import xvfb

    db = tmp_path / "course.db"
    make_course(db, course_sessions.TEN if visits == "TEN" else VISITS)
    if visits == "TEN":  # with a planned course: each date says where its infusion stands in it
        from monitor.clinical.plan import CoursePlan
        from monitor.storage.store import Store

        store = Store(db)
        store.add_course_plan("P-1", CoursePlan(6, 3.0, 4.0, None, "Dr Lee", course_sessions.T0))
        store.close()
    with xvfb(*screen) as display:
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
        out = os.path.join(os.environ.get("COURSE_SHOTS", str(tmp_path)), f"course-{visits.lower()}-{screen[0]}")
        run = subprocess.run([sys.executable, str(Path(__file__).parent.parent / "course_screen.py"), str(db), "P-1",
                              out], env=env, timeout=120, capture_output=True, text=True,
                             cwd=Path(__file__).parent.parent.parent)
    assert run.returncode == 0, run.stderr
    fit = json.loads(run.stdout.strip().splitlines()[-1])
    assert fit["window"][0] <= screen[0] and fit["window"][1] <= screen[1]
    assert fit["minimum"][1] <= 700  # it can be made smaller still (a taskbar, a title bar)
    assert fit["cut"] == []
    assert not fit["table_scrolls_sideways"] and all(fit["cells_visible"].values()), fit["cells_visible"]
    assert "BP forecast peak (range)" in fit["cells_visible"] and "side effects" in fit["cells_visible"]
    assert fit["plots"] == 4 and fit["last_plot_visible_scrolled"]
    top = QImage(f"{out}-top.png")
    colours = {top.pixelColor(x, y).name() for x in range(0, top.width(), 3) for y in range(0, top.height(), 3)}
    assert FLAG_BG.name() in colours and QColor(REVIEWED_BG).name() in colours
