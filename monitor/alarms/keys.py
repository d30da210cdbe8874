"""The technical alarms the application itself raises, by key (the alarm's condition under the app's source).

One enum for the clinical session (BP overdue, pause reminder, observation done, outcome flag), the core
(planned end, recording, central store, internal fault, thread faults) and the sound output (audio). The
screen lists what the nurse does about each (monitor.live.screen.APP_ALARMS, keyed by AppAlarm), and a
test finds every raise in the code, so a new alarm without a way to end it fails there.
"""

from __future__ import annotations

from enum import Enum


class AppAlarm(str, Enum):
    """A technical alarm of the application; its value is the condition recorded in the alarm log."""

    INFUSION_END = "infusion_end"  # the planned infusion time is reached
    INFUSION_PAUSED = "infusion_paused"  # a pause has lasted the reminder time
    NIBP_OVERDUE = "nibp_overdue"  # a BP of the schedule is overdue
    OBSERVATION_DONE = "observation_done"  # the observation time is over: the discharge assessment is due
    OUTCOME_FLAG = "outcome_flag"  # a questionnaire's item 9 (or cutoff) flag awaits a clinician's review
    AUDIO = "audio"  # the alarm sound cannot be played
    RECORDING = "recording"  # the database refuses the recording
    CENTRAL = "central"  # the central store has been failing too long
    INTERNAL = "internal"  # the alarm monitoring itself failed
    THREAD_FAULT = "thread_fault"  # a thread was restarted after a fault
    THREAD_STOPPED = "thread_stopped"  # a thread faulted too often and was stopped
    STAFF_LIST = "staff_list"  # the staff list cannot be read: actions are not signed

    # The plain text everywhere (log, f-strings, the database), as Python 3.11's StrEnum would.
    __str__ = str.__str__
    __format__ = str.__format__
