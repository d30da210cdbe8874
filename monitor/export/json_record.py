"""JSON: the whole typed session record, for programs (metadata, devices, tracks, every journal record with
its kind and version, the alarm log, BP results, device conditions, and the numerics).

Journal records are written as their kind, version and data, exactly as the
journal holds them, so `monitor.record.base.from_row` reads them back into the same
typed records. Waveforms are in the EDF export.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, TextIO

from monitor import __version__
from monitor.export.common import Progress, tick
from monitor.record.base import to_row
from monitor.storage.sessions import SessionMeta, SessionSource
from monitor.timefmt import iso_utc

FORMAT = "infusion-monitor session record"
FORMAT_VERSION = 1
NOTICE = "infusion-monitor is not a certified medical device."


def session_json(source: SessionSource, meta: SessionMeta, progress: Progress | None = None) -> dict[str, Any]:
    """Return the session record as JSON-ready data."""
    record = source.record(meta)
    tick(progress, 0, 2)
    journal = []
    for entry in record.journal:
        kind, version, data = to_row(entry.record)
        journal.append({"t": entry.t, "time_utc": iso_utc(entry.t), "user": entry.user, "kind": kind,
                        "version": version, "data": json.loads(data)})
    numerics = [[r.t, r.t_dev, r.source, r.parameter, r.value, r.unit, sorted(r.flags)]
                for r in source.numerics(meta)]
    tick(progress, 1, 2)
    out = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "exported_by": f"infusion-monitor {__version__}",
        "notice": NOTICE,
        "session": {**dataclasses.asdict(meta), "ref": meta.ref},
        "devices": [dataclasses.asdict(d) for d in record.devices],
        "tracks": [dataclasses.asdict(t) for t in record.tracks],
        "journal": journal,
        "unreadable_journal_rows": list(record.unreadable),
        "alarms": [a.to_dict() for a in record.alarms],
        "nibp": [{**{f.name: getattr(n, f.name) for f in dataclasses.fields(n)}, "flags": sorted(n.flags)}
                 for n in record.nibp],
        "device_status": [dataclasses.asdict(s) for s in record.device_status],
        "numerics_columns": ["t", "t_dev", "source", "parameter", "value", "unit", "flags"],
        "numerics": numerics,
    }
    tick(progress, 2, 2)
    return out


def write_json(source: SessionSource, meta: SessionMeta, out: TextIO, progress: Progress | None = None) -> None:
    """Write the session record as one JSON document (UTF-8, times UTC epoch s plus ISO text)."""
    json.dump(session_json(source, meta, progress), out, ensure_ascii=False, indent=1, allow_nan=False)
    out.write("\n")
