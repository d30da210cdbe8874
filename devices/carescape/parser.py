"""Parser of GE S/5 / CARESCAPE DRI records: displayed values once a second, the pleth wave.

One monitor fills both roles: whatever role it is given, every parameter is
emitted under its one source. Values: heart_rate (the monitor's
HR, ECG or its chosen source), spo2, pulse_rate (SpO2 pulse), etco2 (mmHg
= et (0.01 %) x ambient pressure (0.1 mmHg) x 1e-5), resp_rate (from CO2,
else ECG impedance), each with the record's r_time as t_dev, and one
WaveSegment of pleth (100 Hz, device units) per waveform record. A field at
or below -32001 is a marker: the Sample's value is None and its flags name
the marker ("invalid", "not_updated", "over_range"...). heart_rate, etco2 and
resp_rate are reported only once they had a value since the connection
started, so a monitor without capnography stores no empty EtCO2 rows.

NIBP: the displayed NIBP values are the last measurement, repeated every second. A
measurement is reported (NibpResult plus sbp/dbp/map/nibp_pulse_rate
samples) when the monitor finishes one, that is when the NIBP label's
"measuring" bit falls (even if the numbers equal the previous reading), or
when the numbers change without that bit having been seen (a monitor that
does not set it, a measurement finished while the link was down). The same
reading repeated is never reported again. A measurement that ends without
numbers is a failed NibpResult and raises NIBP_FAILED; the next good one ends
it. The reading shown when the link starts is reported as a result if the
monitor says it is at most 60 s old; if older its samples are flagged
questionable / age_unknown and it is no NibpResult (it neither resets the BP
schedule nor becomes a baseline). The parser never asks for a measurement.
"""

from __future__ import annotations

import math

from devices.base import Parser
from devices.carescape.framing import FrameDecoder
from devices.carescape.header import (
    DRI_LEVELS,
    HEADER_LEN,
    MARKER_MAX,
    MT_PHDB,
    MT_WAVE,
    decode_header,
    marker_flag,
)
from devices.carescape.phdb import (
    CLASS_BASIC,
    NIBP_MEASURING,
    NIBP_OLD,
    SUBRECORD_LEN,
    Basic,
    decode_basic,
    subrecord_class,
)
from devices.carescape.requests import PH_DISPL, WAVE_PLETH
from devices.carescape.waves import PLETH_RATE, decode_wave
from devices.values import Condition, DeviceInfo, DeviceItem, DeviceNotice, NibpResult, Param, WaveSegment, sample

MODEL = "GE Datex-Ohmeda S/5 / CARESCAPE"
#: Flags of a BP reading of unknown age: the monitor showed it when the link started.
AGE_UNKNOWN = frozenset({"questionable", "age_unknown"})
NO_READING = "the monitor ended a BP measurement without a reading"
_NIBP_SCOPE = frozenset({Condition.NIBP_FAILED})

Number = tuple[float | None, frozenset[str]]


def number(raw: int, divisor: float = 1.0) -> Number:
    """Return (value in units, flags) of a wire field: (None, {marker name}) for a marker."""
    if raw <= MARKER_MAX:
        return None, frozenset({marker_flag(raw)})
    return raw / divisor, frozenset()


class CarescapeParser(Parser):
    """Decoder of DRI records from a GE monitor (see the module docstring for what it reports)."""

    checksummed = True
    waveform_rate = PLETH_RATE

    def __init__(self, source: str = "pulseox") -> None:
        super().__init__(source)
        self._decoder = FrameDecoder(min_record=HEADER_LEN)
        self._level: int | None = None
        self._seen: set[Param] = set()  # optional parameters that had a value since the start
        self._nibp_started = False  # a record with NIBP fields was seen since the start
        self._nibp_measuring = False
        self._nibp_reading: tuple[float | None, ...] | None = None

    def parse(self, data: bytes, t: float) -> list[DeviceItem]:
        records = self._decoder.feed(data)
        if self._decoder.errors:
            self.errors.update(self._decoder.errors)
            self._decoder.errors.clear()
        out: list[DeviceItem] = []
        for record in records:
            self._framed(len(record) + 3)  # and checksum, flags (escapes not counted)
            out.extend(self._record(record, t))
        return out

    def _record(self, record: bytes, t: float) -> list[DeviceItem]:
        h = decode_header(record)  # the decoder passes only records at least a header long
        out: list[DeviceItem] = []
        if h.dri_level != self._level:
            self._level = h.dri_level
            level = DRI_LEVELS.get(h.dri_level, f"0x{h.dri_level:02X}")
            out.append(DeviceInfo(t, self.source, model=MODEL, firmware=f"DRI level {level}"))
        t_dev = float(h.r_time) if h.r_time else None
        for offset, sr_type in h.subrecords:
            at = HEADER_LEN + offset
            if h.maintype == MT_PHDB and sr_type == PH_DISPL:
                if offset < 0 or at + SUBRECORD_LEN > len(record):
                    self.errors["bad subrecord"] += 1
                elif subrecord_class(record, at) == CLASS_BASIC:
                    out.extend(self._basic(decode_basic(record, at + 4), t, t_dev))
                    break  # one basic block per record: a second one would be another class mislabelled
            elif h.maintype == MT_WAVE and sr_type == WAVE_PLETH:
                try:
                    samples = decode_wave(record, at) if offset >= 0 else None
                except ValueError:
                    samples = None
                if samples is None:
                    self.errors["bad subrecord"] += 1
                    continue
                if samples:
                    values = tuple(map(float, samples)) if min(samples) > MARKER_MAX else \
                        tuple(float(s) if s > MARKER_MAX else math.nan for s in samples)
                    out.append(WaveSegment(t, self.source, Param.PLETH.value, values, PLETH_RATE))
        return out

    def _basic(self, b: Basic, t: float, t_dev: float | None) -> list[DeviceItem]:
        resp = number(b.co2_rr)
        if resp[0] is None and b.ecg_imp_rr > MARKER_MAX:
            resp = number(b.ecg_imp_rr)
        values: list[tuple[Param, Number, bool]] = [
            (Param.HEART_RATE, number(b.ecg_hr), True),
            (Param.SPO2, number(b.spo2, 100.0), False),
            (Param.PULSE_RATE, number(b.spo2_pr), False),
            (Param.ETCO2, self._etco2(b), True),
            (Param.RESP_RATE, resp, True),
        ]
        out: list[DeviceItem] = []
        for param, (value, flags), optional in values:
            if optional and param not in self._seen:
                if value is None:
                    continue
                self._seen.add(param)
            out.append(sample(t, self.source, param, value, flags, t_dev))
        out.extend(self._nibp(b, t, t_dev))
        return out

    @staticmethod
    def _etco2(b: Basic) -> Number:
        et, flags = number(b.co2_et)
        amb, amb_flags = number(b.co2_amb_press)
        if et is None or amb is None:
            return None, flags or amb_flags
        if amb <= 0:
            return None, frozenset({"invalid"})
        return round(et * amb * 1e-5, 2), frozenset()

    def _nibp(self, b: Basic, t: float, t_dev: float | None) -> list[DeviceItem]:
        """Report a measurement once, when it ends or its numbers change (module docstring)."""
        measuring = bool(b.nibp_label & NIBP_MEASURING)
        fields = (number(b.nibp_sys, 100.0), number(b.nibp_dia, 100.0), number(b.nibp_mean, 100.0), number(b.nibp_hr))
        reading = tuple(v for v, _ in fields)
        first, finished = not self._nibp_started, self._nibp_measuring and not measuring
        started = measuring and not self._nibp_measuring
        previous = self._nibp_reading
        self._nibp_started, self._nibp_measuring = True, measuring
        if measuring:
            return [DeviceNotice(t, self.source, "nibp_started", "the monitor is measuring BP")] if started else []
        self._nibp_reading = reading
        has_numbers = any(v is not None for v in reading[:3])
        if not has_numbers:
            if not finished:
                return []
            failed = NibpResult(t, self.source, None, None, None, None, error=NO_READING)
            return [failed, *self.conditions.update(t, {Condition.NIBP_FAILED: NO_READING}, _NIBP_SCOPE)]
        if reading == previous and not finished:
            return []
        out: list[DeviceItem] = []
        stale = first and bool(b.nibp_label & NIBP_OLD)
        if not stale:
            sbp, dbp, mean, pulse = reading
            out.append(NibpResult(t, self.source, sbp, dbp, mean, pulse))
            out.extend(self.conditions.update(t, {}, _NIBP_SCOPE))
        for param, (value, flags) in zip((Param.SBP, Param.DBP, Param.MAP, Param.NIBP_PULSE_RATE), fields):
            flagged = (flags | AGE_UNKNOWN) if stale and value is not None else flags
            out.append(sample(t, self.source, param, value, flagged, t_dev))
        return out
