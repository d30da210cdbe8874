"""HL7 v2.6 ORU^R01 messages of a session, shaped like IHE PCD-01 (device observations to a record system).

One message per session (vitals thinned as for FHIR, every BP, scales,
outcome totals, the infusion and the alarms as notes) or one per event (each
BP measurement, each physiological alarm with the value that raised it).
OBX-3 carries the MDC code with the LOINC code as its alternate
("150456^MDC_PULS_OXIM_SAT_O2^MDC^59408-5^...^LN"), OBX-6 the MDC unit with
UCUM as alternate, OBX-14 the observation time, OBX-18 the device; MSH-21 names
the IHE PCD-01 profile. Text is UTF-8 (MSH-18 "UNICODE UTF-8"), only the
delimiters escaped; tests parse every message back with python-hl7.
Times are UTC (`+0000`).

A BP measurement that gave no value is an OBX of the NIBP panel with no value
and result status X ("results cannot be obtained for this observation", HL7
table 0085), followed by an NTE with the device's reason. Not an abnormal flag:
OBX-8 (table 0078) grades a value against its normal range, and there is no
value to grade.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TextIO

from devices.values import NibpResult
from monitor import __version__
from monitor.export.codes import BP_PANEL, OUTCOME_CODES, PARAMETERS, ParamCode, ScoreCode, scale_code
from monitor.export.common import Progress, format_value, tick
from monitor.export.content import (
    alarm_lives,
    current_markers,
    devices,
    failure_text,
    infusion_events,
    require_content,
    scales,
    thinned_numerics,
    weight_plan_text,
)
from monitor.storage.outcomes import record_outcomes
from monitor.storage.sessions import SessionMeta, SessionRecord, SessionSource

SPLITS = ("session", "event")
APP = "INFUSION-MONITOR"
_MONITORING = "182777000^monitoring of patient^SCT"
#: MSH-21: the IHE PCD-01 message profile (Communicate PCD Data), by its OID.
PCD_01 = "IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO"


def hl7_time(t: float) -> str:
    """Format UTC epoch seconds as an HL7 DTM with milliseconds and the UTC offset."""
    d = datetime.fromtimestamp(t, tz=timezone.utc)
    return d.strftime("%Y%m%d%H%M%S") + f".{d.microsecond // 1000:03d}+0000"


#: HL7 v2 escapes for the delimiters MSH-1/MSH-2 declare (the escape character first, so it is not escaped twice).
_ESCAPES = (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\"))
#: Control characters (C0 and DEL): a field's text is one line, and FS/VT would break the MLLP frame.
_CONTROLS = dict.fromkeys([*range(0x20), 0x7F], " ")


def escape(value: object) -> str:
    """Return a field's text: the delimiters escaped (\\F\\ \\S\\ \\T\\ \\R\\ \\E\\), all else as it is.

    Text other than the delimiters is sent as itself, in UTF-8 as MSH-18 says
    (a curly quote is a curly quote, never a \\X201C\\ hex escape, which
    receivers read as the bytes 0x20 0x1C: a space and FS). Line breaks and
    other control characters become spaces: one field is one line.
    """
    text = format_value(value) if isinstance(value, float) else "" if value is None else str(value)
    text = " ".join(text.translate(_CONTROLS).split())
    for char, escaped in _ESCAPES:
        text = text.replace(char, escaped)
    return text


def _observation_id(p: ParamCode) -> str:
    loinc = f"^{p.loinc[0][0]}^{p.loinc[0][1]}^LN" if p.loinc else ""
    return f"{p.mdc}^{p.mdc_ref}^MDC{loinc}"


def _unit(p: ParamCode) -> str:
    return f"{p.unit.mdc}^{p.unit.mdc_ref}^MDC^{p.unit.ucum}^{p.unit.ucum}^UCUM"


class _Message:
    """Segments of one ORU^R01 being built; fields are escaped as they are added."""

    def __init__(self, meta: SessionMeta, control_id: str, facility: str) -> None:
        self.meta = meta
        self.n_obx = 0
        self.n_nte = 0
        e = escape
        now = hl7_time(datetime.now(timezone.utc).timestamp())
        given, _, family = (meta.patient_name or "").rpartition(" ")  # XPN: family^given
        self.segments = [
            ["MSH", "^~\\&", APP, e(facility), "", "", now, "", "ORU^R01^ORU_R01", e(control_id), "P", "2.6", "", "",
             "AL", "NE", "", "UNICODE UTF-8", "", "", PCD_01],
            ["PID", "", "", f"{e(meta.patient_id or '')}^^^{APP}^PI"
             + (f"~{e(meta.second_id)}^^^{e(meta.second_id_label or 'second ID')}^PI" if meta.second_id else ""),
             "", f"{e(family)}^{e(given)}", "", (meta.birth_date or "").replace("-", "")],
            ["PV1", "", "O", *[""] * 16, f"{e(meta.uid)}^^^{APP}^VN"],
        ]

    def obr(self, code: str, t0: float, t1: float | None) -> None:
        n = sum(1 for s in self.segments if s[0] == "OBR") + 1
        self.segments.append(["OBR", str(n), f"{escape(self.meta.uid)}^{APP}", f"{escape(self.meta.uid)}^{APP}",
                              code, "", "", hl7_time(t0), "" if t1 is None else hl7_time(t1)])
        self.note("infusion-monitor " + __version__ + ": not a certified medical device")

    def obx(self, kind: str, ident: str, sub: str, value: object, unit: str, t: float, *, flag: str = "",
            method: str = "", equipment: str = "", status: str = "F") -> None:
        """Add an OBX; status is OBX-11 (F final, X no result could be obtained: then no kind, value or unit)."""
        self.n_obx += 1
        self.segments.append(["OBX", str(self.n_obx), kind, ident, sub, escape(value), unit, "", flag, "", "",
                              status, "", "", hl7_time(t), "", "", method, equipment])

    def note(self, text: str) -> None:
        self.n_nte += 1
        self.segments.append(["NTE", str(self.n_nte), "", escape(text)])

    def text(self) -> str:
        return "\r".join("|".join(s).rstrip("|") if s[0] != "MSH" else "|".join([s[0] + "|" + s[1], *s[2:]])
                         for s in self.segments) + "\r"


def _sub_id(record: SessionRecord, source: str, p: ParamCode) -> str:
    """Return a PCD-01 style sub-id "device.1.1.metric" (device = its place in the session's device list)."""
    number = next((i for i, d in enumerate(record.devices, start=1) if d.source == source), 0)
    return f"{number}.1.1.{p.mdc}"


def _equipment(record: SessionRecord, source: str) -> str:
    device = next((d for d in devices(record) if d.source == source), None)
    serial = device.serial_number if device else ""
    return f"{escape(serial or source)}^{escape(source)}"


def _score(code: ScoreCode) -> str:
    return f"{code.code}^{code.display}^{'LN' if code.system.endswith('loinc.org') else 'L'}"


def _local(code: str, text: str) -> str:
    return f"{code}^{text}^L"


def messages(source: SessionSource, meta: SessionMeta, split: str = "session", facility: str = "",
             progress: Progress | None = None) -> list[str]:
    """Return the session's ORU^R01 messages (one, or one per BP and physiological alarm), each ending in CR."""
    if split not in SPLITS:
        raise ValueError(f"HL7 messages are one per {' or one per '.join(SPLITS)}, not '{split}'")
    record = source.record(meta)
    require_content(source, record)
    out = [_session_message(source, record, facility, progress)] if split == "session" else \
        _event_messages(record, facility)
    tick(progress, 1, 1)
    return out


def _bp(msg: _Message, record: SessionRecord, bp: NibpResult) -> None:
    """Add a BP measurement: an OBX per value, or for one that failed an empty X-status OBX and the reason."""
    manual = "manual" in bp.flags
    equipment = "" if manual else _equipment(record, bp.source)
    method = "MANUAL^typed in by the nurse^L" if manual else ""
    if bp.sbp is None or bp.dbp is None:
        msg.obx("", _observation_id(BP_PANEL), _sub_id(record, bp.source, BP_PANEL), None, "", bp.t,
                equipment=equipment, status="X")
        msg.note(f"BP measurement failed: {failure_text(bp)}")
        return
    for param, value in (("sbp", bp.sbp), ("dbp", bp.dbp), ("map", bp.map), ("nibp_pulse_rate", bp.pulse_rate)):
        if value is not None:
            p = PARAMETERS[param]
            msg.obx("NM", _observation_id(p), _sub_id(record, bp.source, p), value, _unit(p), bp.t, method=method,
                    equipment=equipment)


def _session_message(source: SessionSource, record: SessionRecord, facility: str,
                     progress: Progress | None) -> str:
    meta = record.meta
    msg = _Message(meta, f"{meta.uid}-S", facility)
    msg.obr(_MONITORING, meta.started_utc, meta.ended_utc)
    plan = weight_plan_text(meta)
    if plan:
        msg.note(f"Plan: {plan}")
    for row in thinned_numerics(source, record, progress=progress):
        p = PARAMETERS.get(row.parameter)
        if p is not None:
            msg.obx("NM", _observation_id(p), _sub_id(record, row.source, p), row.value, _unit(p), row.t,
                    equipment=_equipment(record, row.source))
    for bp in record.nibp:
        _bp(msg, record, bp)
    events = infusion_events(record)
    for ev in events:
        msg.obx("NM", _local("ketamine-delivered", "ketamine delivered"), f"3.{ev.kind}", round(ev.delivered_mg, 3),
                "mg^mg^UCUM", ev.t)
        msg.note(f"Infusion {ev.kind.replace('_', ' ')} at {ev.rate_ml_per_h:g} mL/h by {ev.user or 'the app'}"
                 + (f": {ev.reason}" if ev.reason else ""))
    for entry, s in scales(record):
        code = scale_code(s.scale)
        msg.obx("NM", _local(code.code, code.display), "4", s.total, "{score}^score^UCUM", s.t)
    for s in record_outcomes(record).scores:
        code = OUTCOME_CODES.get(s.instrument)
        ident = _score(code) if code else _local(s.instrument, s.definition.name)
        msg.obx("NM", ident, "5", s.total, "{score}^score^UCUM", s.t, flag="A" if s.flag else "")
        if s.flag:
            msg.note(f"FLAG: {s.flag_text}")
    for m in current_markers(record):
        msg.note(f"Event {m.label}{': ' + m.note if m.note else ''} by {m.user}")
    for life in alarm_lives(record):
        ack = f", acknowledged by {life.acknowledged_by}" if life.acknowledgements else ""
        msg.note(f"Alarm ({life.priority.label if life.priority else ''}) {life.message}{ack}")
    return msg.text()


def _event_messages(record: SessionRecord, facility: str) -> list[str]:
    meta = record.meta
    out = []
    for n, bp in enumerate(record.nibp, start=1):
        msg = _Message(meta, f"{meta.uid}-B{n}", facility)
        msg.obr(f"{BP_PANEL.mdc}^{BP_PANEL.mdc_ref}^MDC^{BP_PANEL.loinc[0][0]}^{BP_PANEL.loinc[0][1]}^LN", bp.t, bp.t)
        _bp(msg, record, bp)
        out.append((bp.t, msg.text()))
    for n, life in enumerate(alarm_lives(record), start=1):
        p = PARAMETERS.get(life.param)
        if p is None or life.value is None:
            continue  # technical alarms carry no observation
        msg = _Message(meta, f"{meta.uid}-A{n}", facility)
        msg.obr(_MONITORING, life.raised_t, life.ended_t or life.cleared_t)
        flag = "" if life.limit is None else ("L" if life.value < life.limit else "H")
        msg.obx("NM", _observation_id(p), _sub_id(record, life.source, p), life.value, _unit(p), life.raised_t,
                flag=flag, equipment=_equipment(record, life.source))
        ack = f"; acknowledged by {life.acknowledged_by}" if life.acknowledgements else ""
        msg.note(f"Alarm ({life.priority.label if life.priority else ''}) {life.message}{ack}")
        out.append((life.raised_t, msg.text()))
    return [text for _, text in sorted(out, key=lambda pair: pair[0])]


def write_hl7(source: SessionSource, meta: SessionMeta, out: TextIO, split: str = "session", facility: str = "",
              progress: Progress | None = None) -> int:
    """Write the messages to a text file, one message after another (CR between segments, LF after each); count."""
    texts = messages(source, meta, split, facility, progress)
    for text in texts:
        out.write(text + "\n")
    return len(texts)
