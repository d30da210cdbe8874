"""The course document (PDF) written off the window's thread: laying out and painting a ten-infusion course
takes the better part of a second, which froze the course window while it wrote.

ask_course_pdf_path() asks where, on the window's thread (a dialog); CoursePdfWriter then reads the course
and paints the PDF (0600, all or nothing: ui.review.report.write_course_pdf) on a thread of its own, and
says how it went by one signal: what was written, or why not, in one line. QPainter on a QPdfWriter is one
of the paint devices Qt lets a worker thread draw on.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from monitor.clinical.config import ConfigError
from monitor.export import ExportError
from monitor.review.course import CourseError
from monitor.storage.sessions import SessionSource
from monitor.storage.store import StoreError

log = logging.getLogger(__name__)
#: Writers still running (a QThread must not be destroyed while it runs, even if its window is).
_WRITING: set[QThread] = set()


def ask_course_pdf_path(parent: QWidget) -> str | None:
    """Ask where to write the course document; return the path, None if the question was cancelled."""
    path, _ = QFileDialog.getSaveFileName(parent, "Save the course document", str(Path.home() / "course.pdf"),
                                          "PDF (*.pdf)")
    return path or None


class CoursePdfWriter(QThread):
    """Writes one patient's course document; sigDone(written, failure) says how it went (one of them is '')."""

    sigDone = Signal(str, str)  # what was written in words, or ""; why nothing was, in one line, or ""

    def __init__(self, source: SessionSource, patient_id: str, path: str) -> None:
        """Write to path from source, which no other thread may use until sigDone (the writer reads it)."""
        super().__init__()
        self.source, self.patient_id, self.path = source, patient_id, path
        _WRITING.add(self)
        self.finished.connect(lambda: _WRITING.discard(self))

    def run(self) -> None:
        from ui.review.report import write_course_pdf

        try:
            pages = write_course_pdf(self.source, self.patient_id, Path(self.path))
        except (ConfigError, CourseError, ExportError, StoreError) as exc:
            log.warning("course document not written (%s)", type(exc).__name__)  # its words may name the patient
            self.sigDone.emit("", str(exc))
        except Exception as exc:  # a fault of ours: said in one line here, the traceback in the log
            log.exception("course document not written")
            self.sigDone.emit("", f"an internal error ({exc.__class__.__name__}) stopped it; the log has the details")
        else:
            self.sigDone.emit(f"Wrote the course document of patient {self.patient_id} ({pages} pages) to "
                              f"{self.path}", "")
