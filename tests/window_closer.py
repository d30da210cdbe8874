"""Run the monitor window (`infusion-monitor demo`) and close it after a while, as a nurse would.

Usage: python window_closer.py DB SECONDS. Run by test_ui_close_fault.py in a child process, because
a window's whole life (app.exec() returning, the stop, the exit code) is what is tested. Message boxes
print their text instead of waiting for a click, the nurse's initials are given when asked, and the
recorder's retry and busy wait are shortened.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

import monitor.storage.recorder
import monitor.storage.store
from ui import launcher
from ui.dialogs import UserDialog
from ui.monitor.main_window import MainWindow


def close_windows() -> None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, MainWindow) and widget.isVisible():
            widget.close()


def main(db: str, seconds: float) -> int:
    monitor.storage.store.BUSY_TIMEOUT_S = 0.5
    monitor.storage.recorder.STOP_RETRY_S = 1.0
    for kind in ("warning", "information", "critical"):
        setattr(QMessageBox, kind, staticmethod(lambda parent, title, text, *a, kind=kind: print(
            f"{kind}: {text}", flush=True)))
    MainWindow._confirm_close = lambda self: True
    UserDialog.exec = lambda self: (self.field.setText("TC"), 1)[1]  # the demo asks who is at the monitor
    app = QApplication([])
    QTimer.singleShot(int(seconds * 1000), close_windows)
    return launcher.main(["demo", "--db", db, "--protocol", "cms50dplus"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2])))
