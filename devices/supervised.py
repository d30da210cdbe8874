"""Threads that never die silently: one supervision mechanism for every worker of the chair.

A worker's body runs under its supervisor loop: an exception is logged with
its traceback, reported as a ThreadFault to the fault sink (the core turns it
into a HIGH technical alarm in words; `record` and `import` into a non-zero
exit), and the body is started again only when the worker says its state is
intact (`may_restart`) and it has not failed RESTART_LIMIT times in a row.
Lives in devices/ because the reader threads are workers too and imports
run ui -> monitor -> devices only.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

log = logging.getLogger(__name__)

#: Restarts of a worker after which a further fault stops it for good (a fault that recurs is not transient).
RESTART_LIMIT = 3
#: Pause (s) before a body is started again, so a fault that recurs at once does not spin.
RESTART_PAUSE_S = 0.5


@dataclass(frozen=True)
class ThreadFault:
    """An exception that ended a worker's body: which thread, what (type: message), whether it runs again."""

    thread: str
    error: str
    restarted: bool
    t: float  # UTC epoch s

    def words(self) -> str:
        """Return one line for people: what stopped and whether it runs again."""
        return f"{self.thread} thread failed ({self.error}); " + ("restarted" if self.restarted else "stopped")


FaultSink = Callable[[ThreadFault], None]


def describe(exc: BaseException) -> str:
    """Return 'Type: message' of an exception on one short line."""
    text = str(exc).split("\n")[0][:160]
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__


class SupervisedThread(threading.Thread):
    """A daemon thread whose body (`work()`, or the target given) runs under supervision.

    Subclasses override work() (which ends when `_halt` is set) and, when
    only some faults leave their state intact, may_restart(). `faults` keeps
    every fault, for a command that must end non-zero; on_fault is called on
    this thread (a failing sink is logged and never stops the supervision).
    A fault after `_halt` is set is reported, never restarted.
    """

    def __init__(self, name: str, on_fault: FaultSink | None = None, target: Callable[[], None] | None = None,
                 restart: bool = False) -> None:
        super().__init__(name=name, daemon=True)
        self.on_fault = on_fault
        self._body = target
        self._restart = restart
        self._halt = threading.Event()
        self.faults: list[ThreadFault] = []

    def work(self) -> None:
        """Run the worker's body once; returning ends the thread normally."""
        if self._body is not None:
            self._body()

    def may_restart(self, exc: Exception) -> bool:
        """Tell whether the body may run again after exc (its state is intact); the target's restart flag."""
        return self._restart

    def run(self) -> None:
        restarts = 0
        while True:
            try:
                self.work()
                return
            except Exception as exc:
                again = restarts < RESTART_LIMIT and not self._halt.is_set() and self.may_restart(exc)
                self.report(exc, again)
                if not again:
                    return
                restarts += 1
                time.sleep(RESTART_PAUSE_S)

    def report(self, exc: Exception, again: bool) -> None:
        """Log a fault of the work with its traceback, keep it in `faults` and tell the fault sink.

        `again` says whether the work goes on. Also for a worker that does its
        work in the caller's thread for a while (Recorder.take_here).
        """
        log.error("the %s thread failed", self.name, exc_info=exc)
        fault = ThreadFault(self.name, describe(exc), again, time.time())
        self.faults.append(fault)
        if self.on_fault is not None:
            try:
                self.on_fault(fault)
            except Exception:  # the sink's own bug must not end the supervision
                log.exception("reporting a fault of the %s thread failed", self.name)
