"""Sessions written for tests the way the monitor writes them: through Store and Recorder, then closed."""

from __future__ import annotations

import hashlib
from pathlib import Path

from devices.values import sample
from monitor.storage.recorder import Recorder
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store
from monitor.review.summary import summarize

T0 = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC


class Session:
    """A session written through Store and Recorder: devices, then whatever the test puts, then closed."""

    def __init__(self, tmp_path: Path, plan: bool = True, devices: tuple[str, ...] = ("pulseox", "nibp"),
                 start: float = T0, patient: str = "P1") -> None:
        self.db = tmp_path / "s.db"
        self.t0 = start
        self.store = Store(self.db)
        fields = dict(weight_kg=70.0, dose_mg_per_kg=0.5, infusion_min=40.0, bag_ml=100.0) if plan else {}
        self.sid = self.store.create_session(patient_id=patient, started_utc=start, tz="UTC", **fields)
        self.store.write_batch({"devices": [{"session_id": self.sid, "role": s.split("-")[0], "source": s,
                                             "protocol": "nonin", "port": f"/dev/tty{i}"}
                                            for i, s in enumerate(devices)]})
        self.rec = Recorder(self.store, self.sid)
        self.rec.start()

    def spo2(self, t0: float, values: list[float | None], source: str = "pulseox", flags=frozenset()) -> None:
        """Store SpO2 values 1 s apart from t0 s after the session's start."""
        for k, v in enumerate(values):
            self.rec.put(sample(self.t0 + t0 + k, source, "spo2", v, flags=flags))

    def close(self, at: float | None, state: str = "closed") -> SqliteSessions:
        """Stop recording; end the session `at` s after its start (None: leave it running); open it for reading."""
        self.rec.stop()
        if at is not None:
            self.store.update_session(self.sid, state=state, ended_utc=self.t0 + at, end_reason=state)
        return SqliteSessions(self.db)

    def summary(self, at: float | None = None, now: float | None = None):
        """Close (see close) and return the session's summary."""
        sessions = self.close(at)
        return summarize(sessions, sessions.resolve(str(self.sid)), now=now)


def digest(path: str | Path) -> str:
    """Return a file's SHA-256, to show that reading it changed nothing."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
