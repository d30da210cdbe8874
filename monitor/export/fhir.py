"""FHIR R4 Bundle of a session, built and validated with fhir.resources (its R4B models, FHIR 4.3.0).

Why R4B: fhir.resources ships FHIR 4.0.1 (R4) only up to 6.4, which needs
pydantic 1; its current line (7.x, 8.x) ships R5 by default and R4B as
`fhir.resources.R4B`. R4B is R4 with a few resources added from R5 (medicinal
product definitions, subscriptions); Patient, Encounter, Device, Observation,
MedicationAdministration and Flag are the same, so an R4 server reads this
Bundle. The Bundle is a `collection` (a document to file) or a `transaction`
(to POST to a server's base URL: conditional creates keyed on identifiers, so
sending it twice adds nothing).

Contents: Patient, Encounter, one Device per device with its identity, vital
signs as Observations (category vital-signs, LOINC + MDC codes, UCUM units, the
FHIR vital-signs profiles; BP as one 85354-9 panel per measurement, a failed one
cancelled with its dataAbsentReason and the device's reason), thinned to
one value per minute plus extremes and the value at each alarm (the full data
is in CSV and EDF), scale scores and outcome questionnaires as Observations (the total under its LOINC
code, each item as a component, LOINC-coded for PHQ-9 and GAD-7; a flagged item 9 also as a Flag), the
ketamine infusion as one MedicationAdministration per running period (pauses are the gaps).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any, TextIO

from devices.values import NibpResult
from monitor import __version__
from monitor.export.codes import (
    BP_PANEL,
    ITEM_CODES,
    KETAMINE,
    LOCAL,
    LOINC,
    MDC,
    OUTCOME_CODES,
    PARAMETERS,
    UCUM,
    VITALS_PROFILE,
    ParamCode,
    ScoreCode,
    scale_code,
)
from monitor.export.common import ExportError, Progress, tick
from monitor.export.content import (
    bp_readings,
    devices,
    failed_bps,
    failure_text,
    infusion_events,
    require_content,
    scales,
    thinned_numerics,
    weight_plan_text,
)
from monitor.record.outcomes import OutcomeScore
from monitor.storage.outcomes import record_outcomes
from monitor.storage.sessions import NumericRow, SessionMeta, SessionRecord, SessionSource
from monitor.timefmt import iso_utc

BUNDLE_TYPES = ("collection", "transaction")
SYSTEM = "urn:infusion-monitor"
_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
_ENDED = {"completed", "planned_end_reached", "stopped"}
_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"


class _Builder:
    """Collects the Bundle's entries; ids are stable (derived from the session uid), so a resend is idempotent."""

    def __init__(self, record: SessionRecord, bundle_type: str) -> None:
        self.record = record
        self.meta = record.meta
        self.bundle_type = bundle_type
        self.entries: list[dict[str, Any]] = []

    def url(self, key: str) -> str:
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{SYSTEM}:{self.meta.uid}:{key}')}"

    def add(self, key: str, resource: dict[str, Any], identifier: dict[str, str] | None = None) -> str:
        """Add a resource under a stable key; return its reference."""
        full = self.url(key)
        if identifier:
            resource["identifier"] = [identifier]
        entry: dict[str, Any] = {"fullUrl": full, "resource": resource}
        if self.bundle_type == "transaction":
            entry["request"] = {"method": "POST", "url": resource["resourceType"]}
            if identifier:
                entry["request"]["ifNoneExist"] = f"identifier={identifier['system']}|{identifier['value']}"
        self.entries.append(entry)
        return full

    def own_id(self, kind: str, key: str) -> dict[str, str]:
        return {"system": f"{SYSTEM}:{kind}", "value": f"{self.meta.uid}/{key}"}


def _coding(system: str, code: str, display: str = "") -> dict[str, str]:
    return {"system": system, "code": code, **({"display": display} if display else {})}


def _concept(p: ParamCode) -> dict[str, Any]:
    codings = [_coding("http://loinc.org", c, d) for c, d in p.loinc]
    codings.append(_coding(MDC, str(p.mdc), p.mdc_ref))
    return {"coding": codings, "text": p.label}


def _score_concept(code: ScoreCode) -> dict[str, Any]:
    return {"coding": [_coding(code.system, code.code, code.display)], "text": code.display}


def _quantity(value: float, p: ParamCode) -> dict[str, Any]:
    return {"value": value, "unit": p.unit.text or p.unit.ucum, "system": UCUM, "code": p.unit.ucum}


def _category(code: str, display: str) -> list[dict[str, Any]]:
    return [{"coding": [_coding(_CATEGORY, code, display)], "text": display}]


def _profiles(p: ParamCode) -> dict[str, Any]:
    return {"profile": [VITALS_PROFILE, *([p.profile] if p.profile else [])]}


def bundle_data(source: SessionSource, meta: SessionMeta, bundle_type: str = "collection",
                progress: Progress | None = None) -> dict[str, Any]:
    """Return the Bundle as JSON-ready data (not yet validated)."""
    if bundle_type not in BUNDLE_TYPES:
        raise ExportError(f"a FHIR bundle is a {' or a '.join(BUNDLE_TYPES)}, not '{bundle_type}'")
    record = source.record(meta)
    require_content(source, record)
    b = _Builder(record, bundle_type)
    steps = 5
    patient = _patient(b)
    encounter = _encounter(b, patient)
    devices = _devices(b, patient)
    tick(progress, 1, steps)
    ctx = {"subject": {"reference": patient}, "encounter": {"reference": encounter}}
    for row in thinned_numerics(source, record, progress=None):
        _vital(b, ctx, row, devices.get(row.source))
    tick(progress, 2, steps)
    for n, bp in enumerate(bp_readings(record)):
        _bp(b, ctx, n, bp, devices.get(bp.source))
    for n, bp in enumerate(failed_bps(record)):
        _failed_bp(b, ctx, n, bp, devices.get(bp.source))
    tick(progress, 3, steps)
    _scores(b, ctx, patient, encounter)
    _infusion(b, patient, encounter)
    tick(progress, 4, steps)
    return {"resourceType": "Bundle", "type": bundle_type, "identifier": {"system": f"{SYSTEM}:session",
                                                                          "value": meta.uid},
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "meta": {"tag": [_coding(LOCAL, "not-a-medical-device",
                                     f"exported by infusion-monitor {__version__}, not a certified medical device")]},
            "entry": b.entries}


def _patient(b: _Builder) -> str:
    meta = b.meta
    resource: dict[str, Any] = {"resourceType": "Patient"}
    if meta.patient_name:
        resource["name"] = [{"text": meta.patient_name}]
    if meta.birth_date:
        resource["birthDate"] = meta.birth_date
    ident = {"system": f"{SYSTEM}:patient", "value": meta.patient_id} if meta.patient_id else None
    ref = b.add("patient", resource, ident)
    if meta.second_id:  # the clinic's own second identifier, under its label, beside the patient ID
        resource.setdefault("identifier", []).append({"system": f"{SYSTEM}:second-id", "value": meta.second_id,
                                                      "type": {"text": meta.second_id_label or "second ID"}})
    return ref


def _encounter(b: _Builder, patient: str) -> str:
    meta = b.meta
    period = {"start": iso_utc(meta.started_utc), **({"end": iso_utc(meta.ended_utc)} if meta.ended_utc else {})}
    resource = {"resourceType": "Encounter", "status": "in-progress" if meta.state == "running" else "finished",
                "class": _coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB", "ambulatory"),
                "type": [{"text": "IV ketamine infusion with monitoring"}],
                "subject": {"reference": patient}, "period": period}
    if meta.end_reason:
        resource["reasonCode"] = [{"text": f"session ended: {meta.end_reason}"}]
    return b.add("encounter", resource, {"system": f"{SYSTEM}:session", "value": meta.uid})


def _devices(b: _Builder, patient: str) -> dict[str, str]:
    refs = {}
    for d in devices(b.record):
        resource: dict[str, Any] = {
            "resourceType": "Device", "status": "active",
            "deviceName": [{"name": d.model or d.protocol, "type": "model-name" if d.model else "other"}],
            "type": {"text": f"{d.role} ({d.protocol} protocol)"}, "patient": {"reference": patient},
            "note": [{"text": f"source '{d.source}' on port {d.port}"}]}
        if d.serial_number:
            resource["serialNumber"] = d.serial_number
        if d.model:
            resource["modelNumber"] = d.model
        if d.firmware:
            resource["version"] = [{"value": d.firmware, "type": {"text": "firmware"}}]
        refs[d.source] = b.add(f"device/{d.source}", resource, b.own_id("device", d.source))
    return refs


def _vital(b: _Builder, ctx: dict[str, Any], row: NumericRow, device: str | None) -> None:
    p = PARAMETERS.get(row.parameter)
    if p is None or row.value is None:
        return
    resource: dict[str, Any] = {"resourceType": "Observation", "meta": _profiles(p), "status": "final",
                                "category": _category("vital-signs", "Vital Signs"), "code": _concept(p), **ctx,
                                "effectiveDateTime": iso_utc(row.t), "valueQuantity": _quantity(row.value, p)}
    if device:
        resource["device"] = {"reference": device}
    if row.flags:
        resource["note"] = [{"text": "device flags: " + ", ".join(sorted(row.flags))}]
    key = f"{row.source}/{row.parameter}/{row.t!r}"
    b.add(f"obs/{key}", resource, b.own_id("observation", key))


def _bp(b: _Builder, ctx: dict[str, Any], n: int, bp: NibpResult, device: str | None) -> None:
    components = []
    for param, value in (("sbp", bp.sbp), ("dbp", bp.dbp), ("map", bp.map)):
        if value is not None:
            p = PARAMETERS[param]
            components.append({"code": _concept(p), "valueQuantity": _quantity(value, p)})
    resource: dict[str, Any] = {"resourceType": "Observation", "meta": _profiles(BP_PANEL), "status": "final",
                                "category": _category("vital-signs", "Vital Signs"), "code": _concept(BP_PANEL),
                                **ctx, "effectiveDateTime": iso_utc(bp.t), "component": components}
    if "manual" in bp.flags:
        resource["method"] = {"text": "typed in by the nurse from a device that is not connected"}
    elif device:
        resource["device"] = {"reference": device}
    b.add(f"bp/{n}", resource, b.own_id("observation", f"bp/{bp.t!r}"))
    if bp.pulse_rate is not None:
        p = PARAMETERS["nibp_pulse_rate"]
        pulse = {"resourceType": "Observation", "meta": _profiles(p), "status": "final",
                 "category": _category("vital-signs", "Vital Signs"), "code": _concept(p), **ctx,
                 "effectiveDateTime": iso_utc(bp.t), "valueQuantity": _quantity(bp.pulse_rate, p)}
        if device and "manual" not in bp.flags:
            pulse["device"] = {"reference": device}
        b.add(f"bp-pulse/{n}", pulse, b.own_id("observation", f"bp-pulse/{bp.t!r}"))


def _failed_bp(b: _Builder, ctx: dict[str, Any], n: int, bp: NibpResult, device: str | None) -> None:
    """Add a BP measurement that gave no value: status cancelled, dataAbsentReason error, the device's reason.

    FHIR R4 ObservationStatus "cancelled" is "unavailable because the measurement was not started or not
    completed (also sometimes called 'aborted')", which is what a cuff leak or a timeout is; "final" would
    say a result exists. DataAbsentReason "error" is "some system or workflow process error means that the
    information is not available". The systolic and diastolic components the bp profile requires carry
    the same reason.
    """
    why = failure_text(bp)
    absent = {"coding": [_coding(_ABSENT, "error", "Error")], "text": why}
    resource: dict[str, Any] = {
        "resourceType": "Observation", "meta": _profiles(BP_PANEL), "status": "cancelled",
        "category": _category("vital-signs", "Vital Signs"), "code": _concept(BP_PANEL), **ctx,
        "effectiveDateTime": iso_utc(bp.t), "dataAbsentReason": absent,
        "component": [{"code": _concept(PARAMETERS[p]), "dataAbsentReason": absent} for p in ("sbp", "dbp")],
        "note": [{"text": f"BP measurement failed: {why}"}]}
    if device:
        resource["device"] = {"reference": device}
    b.add(f"bp-failed/{n}", resource, b.own_id("observation", f"bp/{bp.t!r}"))


def _scores(b: _Builder, ctx: dict[str, Any], patient: str, encounter: str) -> None:
    for entry, s in scales(b.record):
        resource: dict[str, Any] = {"resourceType": "Observation", "status": "final",
                                    "category": _category("survey", "Survey"),
                                    "code": _score_concept(scale_code(s.scale)), **ctx,
                                    "effectiveDateTime": iso_utc(s.t), "valueInteger": s.total}
        if entry.user:
            resource["performer"] = [{"display": entry.user}]
        words = [w for w in (s.anchor, f"items {' '.join(map(str, s.items))}" if s.items else "",
                             f"of {s.max_total}" if s.max_total else "", ", ".join(s.time_points)) if w]
        if words:
            resource["note"] = [{"text": "; ".join(words)}]
        b.add(f"scale/{s.scale}/{s.t!r}", resource, b.own_id("observation", f"scale/{s.scale}/{s.t!r}"))
    result = record_outcomes(b.record)
    for s in result.scores:
        code = OUTCOME_CODES.get(s.instrument)
        concept = _score_concept(code) if code else {"text": s.definition.name}
        resource = {"resourceType": "Observation", "status": "final", "category": _category("survey", "Survey"),
                    "code": concept, **ctx, "effectiveDateTime": iso_utc(s.t), "valueInteger": s.total,
                    "performer": [{"display": s.user}], "interpretation": [{"text": s.band}],
                    "note": [{"text": f"{s.summary}; items {' '.join(map(str, s.items))}; entered by {s.mode}"}]}
        resource["component"] = _items(s)
        obs = b.add(f"outcome/{s.id}", resource, b.own_id("observation", f"outcome/{s.id}"))
        if s.flag:
            reviews = [r for r in result.reviews if r.outcome_id == s.id]
            flag = {"resourceType": "Flag", "status": "inactive" if reviews else "active",
                    "category": [{"text": "safety"}], "code": {"text": s.flag_text}, "subject": {"reference": patient},
                    "encounter": {"reference": encounter}, "period": {"start": iso_utc(s.t)},
                    "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/flag-detail",
                                   "valueReference": {"reference": obs}}]}
            if reviews:
                flag["period"]["end"] = iso_utc(reviews[0].t)
                flag["author"] = {"display": reviews[0].reviewer}
            b.add(f"flag/{s.id}", flag, b.own_id("flag", s.id))


def _items(s: OutcomeScore) -> list[dict[str, Any]]:
    """Return one component per item (form order): its LOINC code where one is known, its wording, its score."""
    codes = ITEM_CODES.get(s.instrument, ())
    return [{"code": {**({"coding": [_coding(LOINC, codes[n])]} if codes else {}),
                      "text": f"{s.definition.name} item {n + 1}: {wording}"},
             "valueInteger": score} for n, (wording, score) in enumerate(zip(s.definition.items, s.items))]


def _infusion(b: _Builder, patient: str, encounter: str) -> None:
    """Add one MedicationAdministration per running period of the infusion (pauses are the gaps)."""
    events = infusion_events(b.record)
    plan = weight_plan_text(b.meta)
    start: Any = None
    for ev in events:
        if ev.kind in ("started", "resumed") and start is None:
            start = ev
        elif ev.kind == "rate_changed" and start is not None:
            _administration(b, patient, encounter, start, ev, "completed", plan)
            start = ev
        elif ev.kind in ("paused", *_ENDED) and start is not None:
            _administration(b, patient, encounter, start, ev, "stopped" if ev.kind == "stopped" else "completed",
                            plan)
            start = None
    if start is not None:
        _administration(b, patient, encounter, start, None, "in-progress", plan)


def _administration(b: _Builder, patient: str, encounter: str, start: Any, end: Any, status: str, plan: str) -> None:
    period = {"start": iso_utc(start.t), **({"end": iso_utc(end.t)} if end is not None else {})}
    dose_mg = None if end is None else round(end.delivered_mg - start.delivered_mg, 3)
    dosage: dict[str, Any] = {
        "text": plan or "ketamine infusion",
        "route": {"coding": [_coding("http://snomed.info/sct", "47625008", "Intravenous route")]},
        "rateQuantity": {"value": start.rate_ml_per_h, "unit": "mL/h", "system": UCUM, "code": "mL/h"}}
    if dose_mg is not None:
        dosage["dose"] = {"value": dose_mg, "unit": "mg", "system": UCUM, "code": "mg"}
    notes = [f"{start.kind} by {start.user or 'the app'}" + (f": {start.reason}" if start.reason else "")]
    if end is not None:
        notes.append(f"{end.kind.replace('_', ' ')} by {end.user or 'the app'}" +
                     (f": {end.reason}" if end.reason else "") + f"; delivered in total {end.delivered_mg:.2f} mg")
    resource = {"resourceType": "MedicationAdministration", "status": status,
                "medicationCodeableConcept": _score_concept(KETAMINE), "subject": {"reference": patient},
                "context": {"reference": encounter}, "effectivePeriod": period,
                "performer": [{"actor": {"display": start.user or "infusion-monitor"}}],
                "note": [{"text": n} for n in notes], "dosage": dosage}
    b.add(f"infusion/{start.t!r}", resource, b.own_id("infusion", f"{start.t!r}"))


def validated_bundle(source: SessionSource, meta: SessionMeta, bundle_type: str = "collection",
                     progress: Progress | None = None):
    """Return the Bundle as a validated fhir.resources model (R4B); ExportError if it does not validate."""
    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError

    data = bundle_data(source, meta, bundle_type, progress)
    try:
        bundle = Bundle.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ExportError(f"the FHIR bundle does not validate: {'.'.join(map(str, first['loc']))}: "
                          f"{first['msg']}") from None
    tick(progress, 5, 5)
    return bundle


def write_fhir(source: SessionSource, meta: SessionMeta, out: TextIO, bundle_type: str = "collection",
               progress: Progress | None = None) -> None:
    """Write the validated Bundle as FHIR JSON."""
    bundle = validated_bundle(source, meta, bundle_type, progress)
    out.write(json.dumps(json.loads(bundle.model_dump_json(exclude_none=True)), indent=1, ensure_ascii=False))
    out.write("\n")

