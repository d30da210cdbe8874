"""Sound an alarm of one priority through ui.sound.AlarmSound for a while (run by test_sound_heard.py).

Usage: python sound_player.py DB PRIORITY SECONDS. Prints "playing" once the
sound is set up (or "silent: ..." when it has no output), then plays until
SECONDS have passed. A child process, so that QtMultimedia meets the test's
sound server (PULSE_SERVER) the first time it looks for one.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from monitor.alarms import Priority
from monitor.live.core import MonitorCore
from monitor.storage.store import Store
from ui.sound import AlarmSound


def main(db: str, priority: str, seconds: float) -> int:
    app = QApplication([])
    core = MonitorCore(Store(db), [])
    core.start()
    sound = AlarmSound(core)
    if not sound.available:
        print(f"silent: {[a.message for a in core.alarm_view().active]}", flush=True)
        return 1
    print("playing", flush=True)
    core.raise_technical("sound_check", Priority[priority], "sound check")
    QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec()
    sound.stop()
    core.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
