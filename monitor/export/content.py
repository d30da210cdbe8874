"""What the exports take from a session record: markers with their audit trail, infusion log, scales,
discharge, BP readings, alarm lives, and numerics thinned for a chart.

Every format reads the session through these functions, so a marker deleted
in the app is absent from every format's current list and present in every
audit list, and the thinning a chart receives is the same in FHIR and HL7.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from devices.plausibility import reliable
from devices.values import NibpResult
from monitor.alarms import lives
from monitor.alarms.lives import AlarmLife
from monitor.clinical import markers
from monitor.clinical.dosing import DoseError, DosePlan
from monitor.export.codes import BP_PARAMETERS
from monitor.export.common import EmptySession, Progress, format_value, tick
from monitor.record.base import JournalEntry
from monitor.record.journal import (
    DeviceIdentity,
    Discharge,
    InfusionEvent,
    MarkerRevision,
    ObservationComplete,
    OperatorChange,
    PhaseChange,
    ScaleEntry,
    SessionStart,
    SimulatedDevice,
)
from monitor.record.outcomes import CentralFlagCheck
from monitor.record.signing import SigningMode
from monitor.storage.sessions import NumericRow, SessionMeta, SessionRecord, SessionSource

#: Journal records that every session has and that alone do not make it worth exporting (whether actions
#: are signed and whether the central store was asked for flags are written as every session opens).
_BOOKKEEPING = (SessionStart, PhaseChange, OperatorChange, ObservationComplete, SimulatedDevice, SigningMode,
                CentralFlagCheck)


def require_content(source: SessionSource, record: SessionRecord) -> None:
    """Raise EmptySession if the session holds nothing to export (no value, BP, wave, alarm or clinical entry)."""
    meta = record.meta
    clinical = [e for e in record.journal if not isinstance(e.record, _BOOKKEEPING)]
    if record.nibp or record.tracks or record.alarms or clinical:
        return
    if next(iter(source.numerics(meta)), None) is None:
        raise EmptySession(f"session {meta.ref} is empty: nothing was recorded in it")


@dataclass(frozen=True)
class DeviceIdentityText:
    """A device as the exports name it: its row joined with what it reported about itself."""

    source: str
    role: str
    protocol: str
    port: str
    model: str
    serial_number: str
    firmware: str
    simulated: bool = False  # a simulator (SessionRecord.simulated_sources): its values are marked SIMULATED


def marked(source: str, record: SessionRecord) -> str:
    """Name a source for a report, with SIMULATED after it when its device was a simulator."""
    return f"{source} SIMULATED" if source in record.simulated_sources else source


def devices(record: SessionRecord) -> list[DeviceIdentityText]:
    """Return the session's devices with the identity each reported (the latest report fills blank fields)."""
    told = {ident.source: ident for _, ident in record.entries(DeviceIdentity)}
    out = []
    for d in record.devices:
        ident = told.get(d.source)
        out.append(DeviceIdentityText(d.source, d.role, d.protocol, d.port,
                                      d.model or (ident.model if ident else ""),
                                      d.serial_number or (ident.serial_number if ident else ""),
                                      d.firmware or (ident.firmware if ident else ""),
                                      d.source in record.simulated_sources))
    return out


def marker_revisions(record: SessionRecord) -> list[tuple[JournalEntry, MarkerRevision]]:
    """Return every revision of every marker (the audit trail), in the order they were entered."""
    return record.entries(MarkerRevision)


def current_markers(record: SessionRecord) -> list[MarkerRevision]:
    """Return each marker's latest revision, deleted ones left out, in order of event time (monitor.clinical.markers' rule)."""
    return list(markers.current_markers(rev for _, rev in marker_revisions(record)))


def infusion_events(record: SessionRecord) -> list[InfusionEvent]:
    """Return the infusion log (start, pauses, rate changes, end) in time order."""
    return sorted((r for _, r in record.entries(InfusionEvent)), key=lambda e: e.t)


def scales(record: SessionRecord) -> list[tuple[JournalEntry, ScaleEntry]]:
    """Return scale scores (MOAA/S, CADSS, ratings) with who entered them, in order of assessment time."""
    return sorted(record.entries(ScaleEntry), key=lambda pair: pair[1].t)


def discharges(record: SessionRecord) -> list[Discharge]:
    """Return the discharge assessments in time order (the last one closed the session, if any did)."""
    return sorted((r for _, r in record.entries(Discharge)), key=lambda d: d.t)


def bp_readings(record: SessionRecord) -> list[NibpResult]:
    """Return the BP measurements that gave a value (failed ones: failed_bps)."""
    return [r for r in record.nibp if r.sbp is not None and r.dbp is not None]


def failed_bps(record: SessionRecord) -> list[NibpResult]:
    """Return the BP measurements that gave no value (a cuff leak, motion, a timeout), in time order."""
    return [r for r in record.nibp if r.sbp is None or r.dbp is None]


def failure_text(bp: NibpResult) -> str:
    """Say why a BP measurement gave no value: the device's words and code ("cuff leak (error 3)")."""
    code = f"error {bp.error_code}" if bp.error_code else ""
    if bp.error:
        return f"{bp.error} ({code})" if code else bp.error
    return code or "no value, no reason given by the device"


def alarm_lives(record: SessionRecord) -> list[AlarmLife]:
    """Return one life per alarm of the session, in order of raising (counted up to its end, or now if running)."""
    end = record.meta.end()
    return lives.alarm_lives(record.alarms, end)


def thinned_numerics(source: SessionSource, record: SessionRecord, every_s: float = 60.0,
                     progress: Progress | None = None) -> list[NumericRow]:
    """Return the numerics a chart needs: per source and parameter one value per `every_s` seconds, the
    lowest and highest value, and the value at each alarm's raise (each episode, as alarm_lives reads the
    log); BP parameters come from the BP readings instead.

    Values a device marked as "no value", and readings flagged questionable, artifact or implausible, are
    left out; the full data stays in CSV and JSON.
    """
    meta = record.meta
    start = meta.started_utc
    kept: dict[tuple[str, str, int], NumericRow] = {}
    lowest: dict[tuple[str, str], NumericRow] = {}
    highest: dict[tuple[str, str], NumericRow] = {}
    before_alarm: dict[int, NumericRow] = {}
    by_param: dict[str, list[tuple[int, AlarmLife]]] = {}
    for i, life in enumerate(alarm_lives(record)):
        if life.param and life.param not in BP_PARAMETERS:
            by_param.setdefault(life.param, []).append((i, life))
    rows = _valued(source.numerics(meta))
    for n, row in enumerate(rows):
        key = (row.source, row.parameter)
        kept.setdefault((*key, int((row.t - start) // every_s)), row)
        if key not in lowest or row.value < lowest[key].value:  # type: ignore[operator]
            lowest[key] = row
        if key not in highest or row.value > highest[key].value:  # type: ignore[operator]
            highest[key] = row
        for i, alarm in by_param.get(row.parameter, ()):
            if alarm.source in ("", row.source) and row.t <= alarm.raised_t:
                before_alarm[i] = row
        if n % 5000 == 0:
            tick(progress, 0, 1)
    chosen = {id(r): r for r in (*kept.values(), *lowest.values(), *highest.values(), *before_alarm.values())}
    return sorted(chosen.values(), key=lambda r: (r.t, r.source, r.parameter))


def _valued(rows: Iterable[NumericRow]) -> Iterable[NumericRow]:
    """Keep the valid values (devices.plausibility.reliable: no questionable byte becomes a chart's lowest), BP aside."""
    return (r for r in rows if reliable(r.value, r.flags) and r.parameter not in BP_PARAMETERS)


def weight_plan_text(meta: SessionMeta) -> str:
    """Return the plan in one line ("70 kg x 0.5 mg/kg = 35 mg in 100 mL over 40 min, pump 150 mL/h"), "" if none."""
    f = format_value
    if None in (meta.weight_kg, meta.dose_mg_per_kg, meta.infusion_min):
        return ""
    plan = DosePlan(meta.weight_kg, meta.dose_mg_per_kg, meta.infusion_min, meta.bag_ml or DosePlan.bag_volume_ml)
    try:
        return (f"{f(plan.weight_kg)} kg x {f(plan.dose_mg_per_kg)} mg/kg = {f(plan.total_mg)} mg in "
                f"{f(plan.bag_volume_ml)} mL ({plan.concentration_mg_per_ml:.3g} mg/mL) over "
                f"{f(plan.duration_min)} min: pump {plan.pump_rate_ml_per_h:.1f} mL/h, "
                f"{plan.dose_rate_mg_per_kg_per_h:.3g} mg/kg/h")
    except DoseError:
        return ""
