"""The review station's reader: every database access on one worker thread, results back as Qt signals.

The window never waits for the database: it asks (a list, a session, a window
of the timeline, a burden, a correction) and paints what comes back. Requests
for timeline windows are coalesced, so a fast zoom only reads the last view.
The session source is opened and used on the worker's thread only; a running
session is read again every few seconds, so it is shown growing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from monitor.review.burden import range_burden, session_burden
from monitor.review.corrections import CorrectionError, Corrector
from monitor.review.session_outcomes import CourseCache, with_outcomes
from monitor.review.sessions_list import session_lines
from monitor.review.timeline import SessionTimeline
from monitor.storage.sessions import SessionSource
from monitor.storage.store import Store, StoreError

#: Seconds between re-reads of a running session.
REFRESH_S = 5.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SessionFilter:
    """Which sessions the browser lists: a patient ID fragment, and a start range (UTC epoch s, None = open)."""

    patient: str = ""
    since: float | None = None
    until: float | None = None


class ReviewWorker(QObject):
    """Reads sessions for the review window; lives on its own QThread (see start_worker)."""

    sigSessions = Signal(object)  # list[SessionMeta], as soon as they are known
    sigLine = Signal(object)  # SessionLine, one per listed session, as they are computed
    sigOpened = Signal(object, object)  # SessionTimeline, traces of the whole session
    sigTraces = Signal(object, object)  # (t0, t1), traces
    sigSummary = Signal(object, object)  # SessionTimeline, SessionSummary (values read: readout works)
    sigBurden = Signal(object, object)  # "session" or "range", AlarmBurden
    sigCorrected = Signal(str)  # '' when stored, else why not
    sigProgress = Signal(float, str)
    sigError = Signal(str)
    _sigKick = Signal()

    def __init__(self, open_source: Callable[[], SessionSource], store_path: str | None) -> None:
        super().__init__()
        self._open_source = open_source
        self.store_path = store_path
        self._source: SessionSource | None = None
        self._timeline: SessionTimeline | None = None
        self._filter = SessionFilter()
        self._want: tuple[float, float, int] | None = None
        self._want_lock = threading.Lock()
        self._pixels = 1200
        self._timer: QTimer | None = None
        self._courses = CourseCache()  # a running session's refresh reads the patient's course again only on change

    # --- the thread ------------------------------------------------------------------------

    @property
    def source(self) -> SessionSource:
        if self._source is None:
            self._source = self._open_source()
        return self._source

    @Slot()
    def begin(self) -> None:
        """Start the refresh timer on the worker's thread."""
        self._sigKick.connect(self._traces)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._refresh)
        self._timer.start(int(REFRESH_S * 1000))

    @Slot()
    def end(self) -> None:
        """Stop the timer and close the source (on the worker's thread)."""
        if self._timer is not None:
            self._timer.stop()
        if self._source is not None:
            self._source.close()
            self._source = None

    def _guard(self, work: Callable[[], None]) -> None:
        """Run a request; say what went wrong in words instead of losing the reader thread."""
        try:
            work()
        except (StoreError, ValueError) as exc:
            self.sigError.emit(str(exc))
        except Exception as exc:  # a bug must not stop the reader: say so, keep the details in the log
            log.exception("review reader failed")
            self.sigError.emit(f"internal error ({exc.__class__.__name__}); details in the log file")
        finally:
            self.sigProgress.emit(1.0, "")

    # --- requests (queued from the window) ---------------------------------------------------

    @Slot(object)
    def list_sessions(self, wanted: SessionFilter) -> None:
        """List the sessions of the filter, then compute each one's line."""
        self._filter = wanted
        self._guard(self._list)

    def _list(self) -> None:
        metas = [m for m in self.source.sessions(since=self._filter.since, until=self._filter.until)
                 if self._filter.patient.lower() in (m.patient_id or "").lower()]
        metas.sort(key=lambda m: m.started_utc, reverse=True)
        self.sigSessions.emit(metas)
        for k, line in enumerate(session_lines(self.source, metas)):
            self.sigLine.emit(line)
            self.sigProgress.emit((k + 1) / max(1, len(metas)), f"read session {line.meta.ref}")

    @Slot(str, int)
    def open_session(self, ref: str, pixels: int) -> None:
        """Read a session: its whole timeline first, then its values, summary and alarm burden."""
        self._pixels = max(100, pixels)
        self._guard(lambda: self._open(ref, first=True))

    def _open(self, ref: str, first: bool) -> None:
        self.sigProgress.emit(0.0, "reading the session")
        meta = self.source.resolve(ref)
        timeline = SessionTimeline(self.source, meta, progress=self.sigProgress.emit)
        self._timeline = timeline
        self.sigOpened.emit(timeline, timeline.traces(timeline.start, timeline.end, self._pixels) if first else None)
        summary = timeline.summary()  # reads the values: from now on the cursor readout works
        self.sigSummary.emit(timeline, with_outcomes(self.source, summary, timeline.record, cache=self._courses))
        self.sigBurden.emit("session", session_burden(self.source, meta))
        self._traces()

    def want_traces(self, t0: float, t1: float, pixels: int) -> None:
        """Ask for a window of the timeline (any thread); only the latest wish is read."""
        with self._want_lock:
            self._want = (t0, t1, pixels)
        self._sigKick.emit()

    @Slot()
    def _traces(self) -> None:
        with self._want_lock:
            want, self._want = self._want, None
        if want is None or self._timeline is None:
            return
        t0, t1, pixels = want
        self._guard(lambda: self.sigTraces.emit((t0, t1), self._timeline.traces(t0, t1, pixels)))

    @Slot(object)
    def burden_range(self, wanted: SessionFilter) -> None:
        """Work out the alarm burden over the sessions of a date range (and patient)."""
        def work() -> None:
            self.sigProgress.emit(0.0, "counting alarms")
            self.sigBurden.emit("range", range_burden(self.source, wanted.since, wanted.until,
                                                      wanted.patient or None))
        self._guard(work)

    @Slot(object)
    def correct(self, change: Callable[[Corrector], object]) -> None:
        """Apply one correction to the open session, then read it again."""
        timeline = self._timeline
        if timeline is None:
            return
        if self.store_path is None:
            self.sigCorrected.emit("corrections are made on the chair's own database, not on the central store")
            return
        try:
            store = Store(self.store_path)
            try:
                change(Corrector(store, self.source.record(timeline.meta)))
            finally:
                store.close()
        except (CorrectionError, StoreError, ValueError) as exc:
            self.sigCorrected.emit(str(exc))
            return
        self.sigCorrected.emit("")
        self._guard(lambda: self._open(timeline.meta.ref, first=False))

    @Slot()
    def _refresh(self) -> None:
        """Read the open session again while it runs, so it is shown growing."""
        timeline = self._timeline
        if timeline is not None and timeline.meta.state == "running":
            self._guard(lambda: self._open(timeline.meta.ref, first=False))


def start_worker(worker: ReviewWorker) -> QThread:
    """Move the worker to a new thread and start it; the caller stops it with stop_worker."""
    thread = QThread()
    thread.setObjectName("review-reader")
    worker.moveToThread(thread)
    thread.started.connect(worker.begin)
    thread.start()
    return thread


def stop_worker(worker: ReviewWorker, thread: QThread) -> None:
    """Close the worker's source on its thread and end the thread."""
    from PySide6.QtCore import QMetaObject, Qt

    QMetaObject.invokeMethod(worker, "end", Qt.BlockingQueuedConnection)
    thread.quit()
    thread.wait(5000)

