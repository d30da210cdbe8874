"""Replay of a session's captured device bytes through today's parsers into a new session.

For support ("what did the device really send?") and for regression tests: a
capture taken at a clinic becomes a reproducible input. Each captured chunk is
fed with its capture time, so replayed values keep the original times to
within one recorder flush (0.5 s).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from devices import registry
from monitor.offline import OfflineSession, ParseReport, parse_chunks
from monitor.store import Store


@dataclass
class ReplayReport:
    """What a replay produced, per device role."""

    session_id: int
    devices: dict[str, ParseReport] = field(default_factory=dict)


def replay(store: Store, session_id: int) -> ReplayReport:
    """Parse the raw bytes of session_id again and store the result as a new, closed session."""
    original = store.session(session_id)
    devices = list(store.query("SELECT role, protocol, port, baudrate FROM devices WHERE session_id = ? ORDER BY id",
                               [session_id]))
    if not devices:
        raise ValueError(f"session {session_id} has no devices to replay")
    session = OfflineSession(store, patient_id=original.get("patient_id"), weight_kg=original.get("weight_kg"),
                             dose_mg_per_kg=original.get("dose_mg_per_kg"), infusion_min=original.get("infusion_min"),
                             profile=original.get("profile"), started_utc=original["started_utc"], tz=original["tz"])
    report = ReplayReport(session.session_id)
    try:
        for role, protocol, port, baud in devices:
            session.add_device(role, protocol, f"replay of session {session_id} ({port})", baud)
            chunks = ((t, bytes(data)) for t, data in store.query(
                "SELECT t, data FROM raw_bytes WHERE session_id = ? AND source = ? AND direction = 'rx' "
                "ORDER BY t, rowid", [session_id, role]))
            report.devices[role] = parse_chunks(registry.get(protocol).parser(role), chunks, session.record)
    finally:
        session.close(original.get("ended_utc"), f"replay of session {session_id}")
    return report
