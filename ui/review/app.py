"""Starts the review station on its own (`infusion-monitor review`)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from ui.review.window import ReviewWindow


def run_review(db: Path | None = None, central: str | None = None) -> int:
    """Run the review window over a session database (or the central store's URL) until closed; return the exit code.

    The caller has checked that the file or the store can be read (ui.launcher).
    """
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("infusion-monitor review")
    window = ReviewWindow.for_central(central) if central else ReviewWindow.for_database(db)
    window.show()
    return app.exec()
