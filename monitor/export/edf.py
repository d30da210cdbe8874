"""EDF+ file of a session for signal tools (EDFbrowser, MNE, pyedflib), written with pyedflib.

Signals: each waveform track (the pleth) at its device rate, its samples
placed by their count within continuous stretches (monitor.export.stretches:
a monitor that sends blocks with arrival jitter leaves no hole and loses no
sample; "no value" only where the device really sent nothing), and each
continuous numeric (SpO2, pulse rate, PI, respiration, heart rate, EtCO2) per
source at 1 Hz, a value held for at most HOLD_S seconds. EDF has no "no value":
a signal's physical minimum is set one step below the parameter's possible
range and means "no value" (e.g. SpO2 -1 %); the signal's prefilter field says
so. BP readings are sporadic, not a signal: they are annotations (a failed one
with its reason), with the infusion log, events, alarms (one per episode, as
long as it lasted), scales, outcome scores and the discharge. The
start time is the session's local time in the zone it was recorded in
(EDF keeps local time); the header names the app and carries the patient code.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from monitor import __version__
from monitor.clinical.scales import SCALE_NAMES
from monitor.export.codes import BP_PARAMETERS, PARAMETERS
from monitor.export.common import ExportError, Progress, tick
from monitor.export.content import (
    alarm_lives,
    bp_readings,
    current_markers,
    discharges,
    failed_bps,
    failure_text,
    infusion_events,
    require_content,
    scales,
)
from monitor.export.files import export_path
from monitor.export.stretches import Stretch, stretches
from monitor.storage.outcomes import record_outcomes
from monitor.storage.sessions import SessionMeta, SessionRecord, SessionSource, Track

HOLD_S = 5  # a 1 Hz numeric keeps its value this long when no newer one comes
NUMERIC_RATE = 1.0
_MAX_ANNOTATION_SIGNALS = 64  # EDFlib's limit
_ANNOTATION_BYTES = 40  # EDFlib keeps this many bytes of an annotation's text
_MORE = "…"  # ends a piece of a text that goes on in the next annotation
_DIGITAL = (-32768, 32767)


def _label(text: str) -> str:
    return text[:16]


def _header(label: str, unit: str, rate: float, lo: float, hi: float, transducer: str) -> dict:
    return {"label": _label(label), "dimension": unit[:8], "sample_frequency": rate, "physical_min": lo,
            "physical_max": hi, "digital_min": _DIGITAL[0], "digital_max": _DIGITAL[1],
            "transducer": transducer[:80], "prefilter": f"{lo:g}=no value"[:80]}


def _no_value_floor(lo: float, hi: float) -> float:
    """Return the physical value that stands for "no value": one resolution step below the range, at least 1."""
    return lo - max(1.0, (hi - lo) / 1000)


def annotations(record: SessionRecord) -> list[tuple[float, float, str]]:
    """Return (UTC epoch s, duration s, text) of everything the EDF marks in time, in time order."""
    out: list[tuple[float, float, str]] = []
    for ev in infusion_events(record):
        out.append((ev.t, 0.0, f"Infusion {ev.kind.replace('_', ' ')} {ev.rate_ml_per_h:g} mL/h"
                                + (f": {ev.reason}" if ev.reason else "")))
    for m in current_markers(record):
        out.append((m.t, 0.0, m.label + (f": {m.note}" if m.note else "")))
    for bp in bp_readings(record):
        mean = f" ({bp.map:g})" if bp.map is not None else ""
        out.append((bp.t, 0.0, f"BP {bp.sbp:g}/{bp.dbp:g}{mean} mmHg" + (" manual" if "manual" in bp.flags else "")))
    for bp in failed_bps(record):
        out.append((bp.t, 0.0, f"BP failed: {failure_text(bp)}"))
    for life in alarm_lives(record):
        priority = life.priority.label if life.priority else ""
        out.append((life.raised_t, life.present_s, f"Alarm {priority}: {life.message}"))
    for _, s in scales(record):
        out.append((s.t, 0.0, f"{SCALE_NAMES.get(s.scale, s.scale)} {s.total}" + (f"/{s.max_total}" if s.max_total else "")))
    for s in record_outcomes(record).scores:
        out.append((s.t, 0.0, s.summary + (" FLAG item 9" if s.flag else "")))
    for d in discharges(record):
        out.append((d.t, 0.0, f"Discharge Aldrete {d.aldrete.total} by {d.checked_by}"))
    return sorted(out, key=lambda a: a[0])


def _pieces(text: str) -> list[str]:
    """Split an annotation's text into the pieces EDFlib keeps whole (at most 40 UTF-8 bytes each).

    EDFlib cuts a longer text at byte 40, even inside a character; a long text
    is written as several annotations at the same time and of the same
    length, each but the last ending in "…", so no word is lost.
    """
    out: list[str] = []
    while len(text.encode()) > _ANNOTATION_BYTES:
        room = _ANNOTATION_BYTES - len(_MORE.encode())
        head = text.encode()[:room].decode(errors="ignore")
        cut = head.rfind(" ") if " " in head[1:] else len(head)
        out.append(head[:cut].rstrip() + _MORE)
        text = text[cut:].lstrip()
    return [*out, text]


def _wave_signal(track: Track, pieces: list[Stretch], t0: float, seconds: int) -> tuple[dict, np.ndarray]:
    """Return the track's header and samples: each stretch placed by count from its start, "no value" between."""
    values = np.concatenate([p.values for p in pieces]) if pieces else np.zeros(0)
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1.0
    floor = _no_value_floor(lo, hi)
    data = np.full(int(round(seconds * track.rate)), floor)
    for first, piece in _grid(pieces, t0, track.rate):
        data[first:first + len(piece.values)] = np.where(np.isfinite(piece.values), piece.values, floor)
    code = PARAMETERS.get(track.parameter)
    name = code.short if code else track.parameter
    return _header(f"{name} {track.source}", track.unit if track.unit != "1" else "", track.rate, floor, hi,
                   f"{track.source} {code.mdc_ref if code else ''}".strip()), data


def _grid(pieces: list[Stretch], t0: float, rate: float) -> list[tuple[int, Stretch]]:
    """Return each stretch with the index of its first sample on the file's grid (t0, rate), none overlapping."""
    out: list[tuple[int, Stretch]] = []
    after = 0
    for piece in pieces:
        first = max(after, int(round((piece.start - t0) * rate)))
        out.append((first, piece))
        after = first + len(piece.values)
    return out


def _grid_end(pieces: list[Stretch], t0: float, rate: float) -> int:
    """Return the index on the file's grid just after the track's last sample (0 for a track with none)."""
    placed = _grid(pieces, t0, rate)
    return placed[-1][0] + len(placed[-1][1].values) if placed else 0


def _numeric_signals(source: SessionSource, meta: SessionMeta, t0: float, seconds: int
                     ) -> list[tuple[dict, np.ndarray]]:
    out = []
    seen = sorted({(r.source, r.parameter) for r in source.numerics(meta) if r.parameter not in BP_PARAMETERS})
    for src_name, parameter in seen:
        code = PARAMETERS.get(parameter)
        lo, hi = code.physical_range if code else (0.0, 1000.0)
        floor = _no_value_floor(lo, hi)
        data = np.full(seconds, floor)
        for series in source.series(meta, parameter):
            if series.source != src_name:
                continue
            index = np.floor(series.t - t0).astype(int)
            for i, value in zip(index, series.v):
                if 0 <= i < seconds:
                    fill = floor if math.isnan(value) else min(hi, max(lo, value))
                    data[i:min(seconds, i + HOLD_S)] = fill
        unit = code.unit.text if code else ""
        out.append((_header(f"{code.short if code else parameter} {src_name}", unit, NUMERIC_RATE, floor, hi,
                            f"{src_name} {code.mdc_ref if code else ''}".strip()), data))
    return out


def write_edf(source: SessionSource, meta: SessionMeta, path: Path, progress: Progress | None = None) -> int:
    """Write the session as EDF+ to `path` (atomically, 0600); return the number of signals.

    The file starts at the whole second at or before the earliest of the session's start, its first
    waveform sample and its first annotation, and lasts until the latest of the session's end, its last
    sample and the end of its last annotation, so every sample and every annotation's whole duration is
    inside it.
    """
    import pyedflib

    record = source.record(meta)
    require_content(source, record)
    marks = [(t, d, piece) for t, d, text in annotations(record) for piece in _pieces(text)]
    waves = [(track, stretches(*source.wave(meta, track), track.rate))
             for track in record.tracks if track.rate > 0]
    starts = [meta.started_utc, *(t for t, _, _ in marks), *(p[0].start for _, p in waves if p)]
    ends = [meta.end(), *(t + d for t, d, _ in marks),
            *(p[-1].end(track.rate) for track, p in waves if p)]
    t0 = math.floor(min(starts))
    seconds = max(1, math.ceil(max(ends) - t0), math.ceil(len(marks) / _MAX_ANNOTATION_SIGNALS),
                  *(math.ceil(_grid_end(p, t0, track.rate) / track.rate) for track, p in waves))
    steps = len(waves) + 2
    signals = []
    for n, (track, pieces) in enumerate(waves, start=1):
        signals.append(_wave_signal(track, pieces, t0, seconds))
        tick(progress, n, steps)
    signals += _numeric_signals(source, meta, t0, seconds)
    tick(progress, steps - 1, steps)
    if not signals:
        raise ExportError(f"session {meta.ref} has no signal to write as EDF (no waveform and no numerics)")
    try:
        zone = ZoneInfo(meta.tz)
    except Exception:  # an unknown zone name from another machine: UTC, said in the header
        zone = timezone.utc
    start = datetime.fromtimestamp(t0, zone).replace(tzinfo=None)
    try:
        born = date.fromisoformat(meta.birth_date) if meta.birth_date else None
    except ValueError:
        raise ExportError(f"session {meta.ref}: its stored date of birth is not a date; the EDF+ patient field "
                          "cannot hold it") from None
    with export_path(Path(path)) as tmp:
        writer = pyedflib.EdfWriter(str(tmp), len(signals), file_type=pyedflib.FILETYPE_EDFPLUS)
        try:
            writer.setSignalHeaders([h for h, _ in signals])
            # EDFlib keeps one annotation per data record (1 s) and annotation signal: enough signals for all
            writer.set_number_of_annotation_signals(max(1, math.ceil(len(marks) / seconds)))
            writer.setStartdatetime(start)
            writer.setPatientCode((meta.patient_id or "X").replace(" ", "_")[:80])
            if born is not None:  # EDF+ writes it dd-MMM-yyyy in the patient field
                writer.setBirthdate(born)
            writer.setEquipment(f"infusion-monitor_{__version__}")
            writer.setRecordingAdditional("not_a_certified_medical_device")
            writer.writeSamples([np.clip(d, h["physical_min"], h["physical_max"]) for h, d in signals])
            for t, duration, text in marks:
                writer.writeAnnotation(t - t0, duration if duration > 0 else -1, text)
        finally:
            writer.close()
    tick(progress, steps, steps)
    return len(signals)
