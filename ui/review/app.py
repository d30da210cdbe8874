"""Starts the review station on its own (`infusion-monitor review`)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox

from monitor.session_record import SqliteSessions
from monitor.store import StoreError
from ui.review.window import ReviewWindow


def run_review(db: Path) -> int:
    """Run the review window over a session database until it is closed; return the exit code."""
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("infusion-monitor review")
    try:
        SqliteSessions(db).close()  # a missing, damaged or foreign file: say so before any window opens
    except StoreError as exc:
        QMessageBox.critical(None, "infusion-monitor review", f"The session database cannot be read.\n\n{exc}")
        return 2
    window = ReviewWindow.for_database(db)
    window.resize(1500, 900)
    window.show()
    return app.exec()
