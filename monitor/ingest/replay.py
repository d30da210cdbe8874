"""Replay of a session's captured device bytes through today's parsers into a new session.

For support ("what did the device really send?") and for regression tests: a
capture taken at a clinic becomes a reproducible input. Each captured chunk is
fed with its capture time, so replayed values keep the original times to
within one recorder flush (0.5 s).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from devices import registry
from devices.supervised import ThreadFault
from monitor.ingest.offline import OfflineSession, ParseReport, StoredCounts, collector_paused, parse_chunks
from monitor.storage.sessions import SessionSource
from monitor.storage.store import Store


@dataclass
class ReplayReport:
    """What a replay produced, per device source."""

    session_id: int
    devices: dict[str, ParseReport] = field(default_factory=dict)
    stored: StoredCounts | None = None  # read back after the session closed
    faults: tuple[ThreadFault, ...] = ()


def replay(store: Store, sessions: SessionSource, ref: str) -> ReplayReport:
    """Parse the raw bytes of session `ref` again and store the result as a new, closed session."""
    meta = sessions.resolve(ref)
    record = sessions.record(meta)
    if not record.devices:
        raise ValueError(f"session {meta.ref} has no devices to replay")
    session = OfflineSession(store, patient_id=meta.patient_id, weight_kg=meta.weight_kg,
                             dose_mg_per_kg=meta.dose_mg_per_kg, infusion_min=meta.infusion_min,
                             profile=meta.profile, started_utc=meta.started_utc, tz=meta.tz)
    report = ReplayReport(session.session_id)
    with collector_paused():
        try:
            for device in record.devices:
                session.add_device(device.role, device.source, device.protocol,
                                   f"replay of session {meta.ref} ({device.port})", device.baudrate)
                parser = registry.get(device.protocol).parser(device.source)
                report.devices[device.source] = parse_chunks(parser, sessions.raw(meta, device.source),
                                                             session.record)
        finally:
            report.stored = session.close(meta.ended_utc, f"replay of session {meta.ref}")
    report.faults = tuple(session.recorder.faults)
    return report
