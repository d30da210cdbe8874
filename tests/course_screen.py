"""Open the course window on the X server as the review station does, report how it fits the screen (JSON on
stdout) and save what it shows: <out>-top.png as opened, <out>-bottom.png scrolled to the last plot.

Run by tests/ui/test_ui_course.py on a throwaway Xvfb: python course_screen.py DB PATIENT OUT
"""

from __future__ import annotations

import json
import sys

from PySide6.QtCore import QPoint, QRect, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from monitor.storage.sessions import SqliteSessions
from ui.review.course_view import CourseWindow

app = QApplication(sys.argv)
db, patient, out = sys.argv[1:4]
window = CourseWindow(SqliteSessions(db), patient)
window.resize(1400, 900)  # what the review station asks for
window.show()


def report() -> None:
    view, table = window.view, window.view.table
    heads = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    cells = {name: [table.viewport().rect().contains(table.visualRect(table.model().index(r, heads.index(name))))
                    for r in range(table.rowCount())] for name in heads}
    # every widget outside the scroll area lies inside the window; the scroll area's own content may scroll
    cut = [f"{type(w).__name__} {getattr(w, 'text', lambda: '')()[:40]!r}" for w in view.findChildren(QWidget)
           if w.isVisible() and not view.scroll.isAncestorOf(w)
           and not window.rect().contains(QRect(w.mapTo(window, QPoint(0, 0)), w.size()))]
    window.grab().save(f"{out}-top.png")
    bar = view.scroll.verticalScrollBar()
    bar.setValue(bar.maximum())
    app.processEvents()
    window.grab().save(f"{out}-bottom.png")
    last = view.plots.itemAt(view.plots.count() - 1).widget()
    room = window.screen().availableGeometry()
    print(json.dumps({
        "window": [window.width(), window.height()], "screen": [room.width(), room.height()],
        "minimum": [window.minimumSizeHint().width(), window.minimumSizeHint().height()],
        "cells_visible": {name.replace("\n", " "): all(v) for name, v in cells.items()},
        "table_scrolls_sideways": table.horizontalScrollBar().isVisible(), "cut": cut,
        "last_plot_visible_scrolled": view.scroll.viewport().rect().contains(
            QRect(last.mapTo(view.scroll.viewport(), QPoint(0, 0)), last.size())),
        "plots": view.plots.count()}))
    app.quit()


window.view.sigShown.connect(lambda course: QTimer.singleShot(800, report))
window.view.sigFailed.connect(lambda message: (print(json.dumps({"failed": message})), app.quit()))
QTimer.singleShot(60000, app.quit)
app.exec()
