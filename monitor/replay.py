"""Replay of a session's captured device bytes through today's parsers into a new session.

For support ("what did the device really send?") and for regression tests: a
capture taken at a clinic becomes a reproducible input. Each captured chunk is
fed with its capture time, so replayed values keep the original times to
within one recorder flush (0.5 s).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from devices import registry
from monitor.recorder import Recorder
from monitor.store import Store


@dataclass
class ReplayReport:
    """What a replay produced, per device role."""

    session_id: int
    bytes: dict[str, int] = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)
    errors: dict[str, dict[str, int]] = field(default_factory=dict)


def replay(store: Store, session_id: int) -> ReplayReport:
    """Parse the raw bytes of session_id again and store the result as a new, closed session."""
    original = store.session(session_id)
    devices = list(store.query("SELECT role, protocol, port, baudrate FROM devices WHERE session_id = ? ORDER BY id",
                               [session_id]))
    if not devices:
        raise ValueError(f"session {session_id} has no devices to replay")
    new_id = store.create_session(patient_id=original.get("patient_id"), weight_kg=original.get("weight_kg"),
                                  dose_mg_per_kg=original.get("dose_mg_per_kg"),
                                  infusion_min=original.get("infusion_min"), profile=original.get("profile"),
                                  started_utc=original["started_utc"], tz=original["tz"])
    report = ReplayReport(new_id)
    recorder = Recorder(store, new_id, capture_raw=False)
    recorder.start()
    try:
        for role, protocol, port, baud in devices:
            store.write_batch({"devices": [{"session_id": new_id, "role": role, "protocol": protocol,
                                            "port": f"replay of session {session_id} ({port})", "baudrate": baud}]})
            parser = registry.get(protocol).parser(role)
            chunks = store.query("SELECT t, data FROM raw_bytes WHERE session_id = ? AND source = ? "
                                 "AND direction = 'rx' ORDER BY t, rowid", [session_id, role])
            count = size = 0
            for t, data in chunks:
                size += len(data)
                for item in parser.feed(bytes(data), t):
                    recorder.put(item)
                    count += 1
            report.bytes[role], report.items[role], report.errors[role] = size, count, dict(parser.errors)
    finally:
        recorder.stop()
    store.update_session(new_id, state="closed", ended_utc=original.get("ended_utc"),
                         end_reason=f"replay of session {session_id}")
    return report
