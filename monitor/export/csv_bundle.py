"""CSV: the numerics in the long format of ARCHITECTURE.md, and a bundle of one CSV per kind of record.

numerics.csv keeps the contract (`time_utc,source,parameter,value,unit`, an empty
value = the device sent no value). The bundle adds session.csv (one row: who, with
both patient identifiers, when, the plan), events.csv (every revision of
every marker: the audit trail), alarms.csv (every line of the alarm log),
nibp.csv, infusion.csv, scales.csv and outcomes.csv. Times are UTC ISO 8601 with Z.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO, TextIO

from monitor.export.common import Progress, format_value, tick
from monitor.export.content import infusion_events, marker_revisions, scales
from monitor.storage.outcomes import record_outcomes
from monitor.storage.sessions import SessionMeta, SessionRecord, SessionSource
from monitor.timefmt import iso_utc

CSV_HEADER = ("time_utc", "source", "parameter", "value", "unit")
STEPS = 1000  # progress resolution of the numerics, by recorded time


def write_numerics(source: SessionSource, meta: SessionMeta, out: TextIO, progress: Progress | None = None) -> int:
    """Write the session's numerics in time order; returns the number of rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    span = max(1e-9, (meta.ended_utc or meta.started_utc) - meta.started_utc)
    count = 0
    for row in source.numerics(meta):
        writer.writerow((iso_utc(row.t), row.source, row.parameter, format_value(row.value), row.unit))
        count += 1
        if count % 2000 == 0:
            tick(progress, min(STEPS - 1, int(STEPS * (row.t - meta.started_utc) / span)), STEPS)
    tick(progress, STEPS, STEPS)
    return count


def _table(out: TextIO, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)


def _value(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return format_value(v)
    if isinstance(v, (tuple, list)):
        return " ".join(str(x) for x in v)
    return str(v)


def tables(record: SessionRecord) -> dict[str, tuple[tuple[str, ...], list[tuple[str, ...]]]]:
    """Return file name -> (header, rows) of the bundle's tables other than numerics."""
    def rows(items: Iterable[Sequence[object]]) -> list[tuple[str, ...]]:
        return [tuple(_value(v) for v in item) for item in items]

    marks = [(iso_utc(r.t), r.id, r.revision, r.code, r.label, r.note, r.user, iso_utc(r.recorded_at), r.reason,
              r.deleted) for _, r in marker_revisions(record)]
    alarms = [(iso_utc(a.t), a.kind.value, a.alarm_id, a.condition, a.alarm_kind.value if a.alarm_kind else "",
               a.priority.label if a.priority else "", a.message, a.source, a.param, a.value, a.limit, a.user)
              for a in record.alarms]
    nibp = [(iso_utc(r.t), r.source, r.sbp, r.dbp, r.map, r.pulse_rate, r.error_code or "", r.error,
             sorted(r.flags)) for r in record.nibp]
    infusion = [(iso_utc(e.t), e.kind, e.rate_ml_per_h, round(e.delivered_mg, 3), e.reason, e.user)
                for e in infusion_events(record)]
    scale_rows = [(iso_utc(s.t), s.scale, s.total, s.max_total, s.items, s.form, s.anchor, s.time_points, s.phase,
                   entry.user) for entry, s in scales(record)]
    result = record_outcomes(record)
    outcome_rows = [(iso_utc(s.t), s.instrument, s.total, s.definition.max_total, s.band, s.items, s.flag,
                     "; ".join(r.text for r in result.reviews if r.outcome_id == s.id), s.mode, s.user)
                    for s in result.scores]
    m = record.meta
    session = [(m.uid, m.ref, m.patient_id, m.patient_name, m.birth_date, m.second_id, m.second_id_label,
                iso_utc(m.started_utc), iso_utc(m.ended_utc) if m.ended_utc is not None else None, m.tz, m.state,
                m.end_reason, m.weight_kg, m.dose_mg_per_kg, m.infusion_min, m.bag_ml)]
    return {
        "session.csv": (("session_uid", "session", "patient_id", "patient_name", "birth_date", "second_id",
                         "second_id_label", "started_utc", "ended_utc", "tz", "state", "end_reason", "weight_kg",
                         "dose_mg_per_kg", "infusion_min", "bag_ml"), rows(session)),
        "events.csv": (("time_utc", "marker_id", "revision", "code", "label", "note", "user", "recorded_utc",
                        "reason", "deleted"), rows(marks)),
        "alarms.csv": (("time_utc", "event", "alarm_id", "condition", "alarm_kind", "priority", "message", "source",
                        "parameter", "value", "limit", "user"), rows(alarms)),
        "nibp.csv": (("time_utc", "source", "sbp", "dbp", "map", "pulse_rate", "error_code", "error", "flags"),
                     rows(nibp)),
        "infusion.csv": (("time_utc", "event", "rate_ml_per_h", "delivered_mg", "reason", "user"), rows(infusion)),
        "scales.csv": (("time_utc", "scale", "total", "max_total", "items", "form", "anchor", "time_points", "phase",
                        "user"), rows(scale_rows)),
        "outcomes.csv": (("time_utc", "instrument", "total", "max_total", "band", "items", "flag", "reviews", "mode",
                          "user"), rows(outcome_rows)),
    }


def write_bundle(source: SessionSource, meta: SessionMeta, folder: Path, progress: Progress | None = None) -> list[str]:
    """Write numerics.csv and the other tables into a folder; returns the file names."""
    record = source.record(meta)
    with open(folder / "numerics.csv", "w", newline="", encoding="utf-8") as out:
        write_numerics(source, meta, out, progress)
    others = tables(record)
    for name, (header, rows) in others.items():
        with open(folder / name, "w", newline="", encoding="utf-8") as out:
            _table(out, header, rows)
    return ["numerics.csv", *others]


def write_zip(source: SessionSource, meta: SessionMeta, out: BinaryIO, progress: Progress | None = None) -> None:
    """Write the bundle as one zip archive into a binary file."""
    record = source.record(meta)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("numerics.csv", "w") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
            write_numerics(source, meta, text, progress)
        for name, (header, rows) in tables(record).items():
            buffer = io.StringIO()
            _table(buffer, header, rows)
            archive.writestr(name, buffer.getvalue())
