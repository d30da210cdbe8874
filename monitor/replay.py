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
from monitor.session_record import SessionSource
from monitor.store import Store


@dataclass
class ReplayReport:
    """What a replay produced, per device source."""

    session_id: int
    bytes: dict[str, int] = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)
    errors: dict[str, dict[str, int]] = field(default_factory=dict)


def replay(store: Store, sessions: SessionSource, ref: str) -> ReplayReport:
    """Parse the raw bytes of session `ref` again and store the result as a new, closed session."""
    meta = sessions.resolve(ref)
    record = sessions.record(meta)
    if not record.devices:
        raise ValueError(f"session {meta.ref} has no devices to replay")
    new_id = store.create_session(patient_id=meta.patient_id, weight_kg=meta.weight_kg,
                                  dose_mg_per_kg=meta.dose_mg_per_kg, infusion_min=meta.infusion_min,
                                  profile=meta.profile, started_utc=meta.started_utc, tz=meta.tz)
    report = ReplayReport(new_id)
    recorder = Recorder(store, new_id, capture_raw=False)
    recorder.start()
    try:
        for device in record.devices:
            store.write_batch({"devices": [{"session_id": new_id, "role": device.role, "source": device.source,
                                            "protocol": device.protocol, "baudrate": device.baudrate,
                                            "port": f"replay of session {meta.ref} ({device.port})"}]})
            parser = registry.get(device.protocol).parser(device.source)
            count = size = 0
            for t, data in sessions.raw(meta, device.source):
                size += len(data)
                for item in parser.feed(data, t):
                    recorder.put(item)
                    count += 1
            report.bytes[device.source] = size
            report.items[device.source] = count
            report.errors[device.source] = dict(parser.errors)
    finally:
        recorder.stop()
    store.update_session(new_id, state="closed", ended_utc=meta.ended_utc, end_reason=f"replay of session {meta.ref}")
    return report
