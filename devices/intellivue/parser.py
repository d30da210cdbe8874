"""Parser of what an IntelliVue monitor sends: association answers, MDS create, poll results.

Frames (framing.py) carry PDUs (pdu.py) whose attributes (mder.py) hold the
values. What the host must answer or know is passed to the driver as notices:
association accepted/refused/aborted/released, a release the monitor asks for,
a remote error, and MdsCreated, which carries the received invoke id and event
time the answer must repeat.

Values: a numeric is used only when the first octet of its measurement state
is 0. Otherwise its value is None with words for the state as flags
("invalid", "questionable", "unavailable", "calibrating", "test_data",
"demo_data"); demo and test data also raise DEMO_DATA (a technical alarm,
"monitor in demo mode"), because such numbers are not the patient's. Only the
physiological ids below become parameters, in the units below (kPa and % CO2
are converted to mmHg); any other id is remembered in `unused` with its label
and logged once, never forwarded. Waves: only the pleth, one WaveSegment per
poll result, scaled with the object's scale (or calibration) specification
when the monitor has sent one.

One monitor fills both roles: whatever role it is given, every parameter it
sends is reported under its one source (as for the Ivy 450C), so a second
oximeter or NIBP next to it keeps its own values.

Device time: a numeric's own time stamp, else the poll result's absolute time,
else its relative time placed on the monitor's clock by the absolute and
relative times of MDS create (absolute times are the monitor's wall clock in
`tz`, None meaning this machine's zone). An NIBP reading carries the time it
was measured (its own time stamp) as t_dev and is reported once per
measurement; the first one seen after connecting is marked questionable unless
its time stamp shows it was taken within the last minute.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import TypeVar

from devices.base import Parser
from devices.intellivue import codes
from devices.intellivue.association import poll_profile
from devices.intellivue.framing import FrameDecoder
from devices.intellivue.mder import (
    Attributes,
    DecodeError,
    NuObs,
    ProdSpecEntry,
    SaSpec,
    Scale,
    decode_abs_time,
    decode_nu_cmpd,
    decode_nu_obs,
    decode_prod_spec,
    decode_sa_cmpd,
    decode_sa_obs,
    decode_sa_spec,
    decode_scale,
    decode_string,
    decode_system_id,
    decode_system_model,
    decode_u32,
    ticks_to_s,
)
from devices.intellivue.pdu import (
    MDS,
    Association,
    EventReport,
    ObjectId,
    OtherOperation,
    Pdu,
    PollReply,
    RemoteError,
    decode,
)
from devices.values import Condition, DeviceInfo, DeviceItem, DeviceNotice, NibpResult, Param, WaveSegment, sample

log = logging.getLogger(__name__)
T = TypeVar("T")

PLETH_RATE = 125.0  # Hz: 32 samples every 256 ms
NIBP_FRESH_S = 60.0  # a first reading measured longer ago than this is an earlier one, not a new one
MMHG_PER_KPA = 7.50062
STANDARD_PRESSURE_MMHG = 760.0  # turns CO2 % into mmHg when the monitor sends no ambient pressure

# Notice codes the driver reacts to.
ACCEPTED = "association_accepted"
REFUSED = "association_refused"
ABORTED = "association_aborted"
RELEASED = "association_released"
RELEASE_REQUESTED = "release_requested"
REMOTE_ERROR = "remote_error"
MDS_CREATE = "mds_create"

_SESSION_NOTICES = {codes.AC_SPDU: ACCEPTED, codes.RF_SPDU: REFUSED, codes.AB_SPDU: ABORTED,
                    codes.DN_SPDU: RELEASED, codes.FN_SPDU: RELEASE_REQUESTED}


@dataclass(frozen=True, slots=True)
class MdsCreated(DeviceNotice):
    """The monitor announced its MDS: the host must answer with this invoke id and event time (ticks)."""

    invoke_id: int = 0
    event_time: int = 0
    obj: ObjectId = MDS
    confirmed: bool = True


#: physio id -> parameter.
NUMERICS: dict[int, Param] = {
    codes.PULS_OXIM_SAT_O2: Param.SPO2,
    codes.PLETH_PULS_RATE: Param.PULSE_RATE,
    codes.ECG_CARD_BEAT_RATE: Param.HEART_RATE,
    codes.PULS_OXIM_PERF_REL: Param.PERFUSION_INDEX,
    codes.AWAY_CO2_ET: Param.ETCO2,
    codes.RESP_RATE: Param.RESP_RATE,
}
NIBP_PARTS = {codes.PRESS_BLD_NONINV_SYS: Param.SBP, codes.PRESS_BLD_NONINV_DIA: Param.DBP,
              codes.PRESS_BLD_NONINV_MEAN: Param.MAP}
_RATE = {codes.DIM_BEAT_PER_MIN: 1.0, codes.DIM_PULS_PER_MIN: 1.0, codes.DIM_PER_MIN: 1.0}
_PRESSURE = {codes.DIM_MMHG: 1.0, codes.DIM_KILO_PASCAL: MMHG_PER_KPA}
#: parameter -> unit code -> factor to the contract unit (devices.values.PARAMS); CO2 % is handled apart.
UNIT_FACTORS: dict[Param, dict[int, float]] = {
    Param.SPO2: {codes.DIM_PERCENT: 1.0},
    Param.PULSE_RATE: _RATE,
    Param.HEART_RATE: _RATE,
    Param.NIBP_PULSE_RATE: _RATE,
    Param.RESP_RATE: {codes.DIM_RESP_PER_MIN: 1.0, codes.DIM_PER_MIN: 1.0},
    Param.PERFUSION_INDEX: {codes.DIM_PERCENT: 1.0, codes.DIM_DIMLESS: 1.0},
    Param.ETCO2: _PRESSURE,
    Param.SBP: _PRESSURE,
    Param.DBP: _PRESSURE,
    Param.MAP: _PRESSURE,
}
#: measurement state bits (first octet) -> the flag word a value carries
STATE_FLAGS = {codes.MS_INVALID: "invalid", codes.MS_QUESTIONABLE: "questionable",
               codes.MS_UNAVAILABLE: "unavailable", codes.MS_CALIBRATION_ONGOING: "calibrating",
               codes.MS_TEST_DATA: "test_data", codes.MS_DEMO_DATA: "demo_data"}
AGE_UNKNOWN = frozenset({"questionable", "age_unknown"})
OLD_READING = frozenset({"questionable", "old_reading"})
_DEMO_SCOPE = frozenset({Condition.DEMO_DATA})


def state_flags(state: int) -> frozenset[str]:
    """Return the flag words of the invalidating bits (first octet) of a measurement state, empty if valid.

    A first-octet bit without a name also invalidates; it is flagged "invalid".
    """
    words = frozenset(word for bit, word in STATE_FLAGS.items() if state & bit)
    return words or (frozenset({"invalid"}) if state & codes.MS_INVALIDATING else words)


@dataclass
class _Wave:
    """What the monitor said about one wave object (sent once, used for every later array)."""

    label: str = ""
    spec: SaSpec | None = None
    scale: Scale | None = None
    calibration: Scale | None = None
    period: int = 0  # RelativeTime ticks between samples


class IntellivueParser(Parser):
    """Parser of the monitor's side of a Data Export association over the MIB RS232 port."""

    checksummed = True
    waveform_rate = PLETH_RATE

    def __init__(self, source: str = "pulseox", tz: tzinfo | None = None) -> None:
        super().__init__(source)
        self.tz = tz
        self.unused: dict[int, str] = {}  # physio id -> label of what the monitor sends and this app ignores
        self._frames = FrameDecoder()
        self._clock: tuple[float, int] | None = None  # (UTC epoch s, relative ticks) at MDS create
        self._labels: dict[int, str] = {}  # object handle -> label
        self._waves: dict[int, _Wave] = {}  # object handle -> wave description
        self._model = self._serial = self._firmware = self._system_id = ""
        self._reported = ("", "", "")  # model, serial number, firmware last reported
        self._nibp_key: tuple[float | None, ...] | None = None

    def _restart(self) -> None:
        self.__init__(self.source, self.tz)  # type: ignore[misc]

    def parse(self, data: bytes, t: float) -> list[DeviceItem]:
        out: list[DeviceItem] = []
        for user_data in self._frames.feed(data, self.errors):
            self._framed(len(user_data) + 8)  # BOF, 4 header bytes, 2 FCS bytes, EOF (escapes not counted)
            try:
                out.extend(self._message(decode(user_data), t))
            except DecodeError as exc:
                self.errors["bad message"] += 1
                log.debug("IntelliVue message not understood: %s", exc)
        return out

    def _message(self, m: Pdu, t: float) -> list[DeviceItem]:
        if isinstance(m, Association):
            return self._association(m, t)
        if isinstance(m, EventReport):
            return self._mds_create(m, t) if m.event_type == codes.NOTI_MDS_CREAT else []
        if isinstance(m, PollReply):
            return self._poll_reply(m, t)
        if isinstance(m, RemoteError):
            self.errors["remote error"] += 1
            return [DeviceNotice(t, self.source, REMOTE_ERROR, f"invoke {m.invoke_id}: error {m.error_value}")]
        if not isinstance(m, OtherOperation):  # a host's message: not what a monitor sends
            self.errors["unexpected message"] += 1
        return []

    def _association(self, m: Association, t: float) -> list[DeviceItem]:
        code = _SESSION_NOTICES.get(m.spdu)
        if code is None:
            self.errors["unexpected message"] += 1
            return []
        detail = ""
        if m.spdu == codes.AC_SPDU:
            try:
                p = poll_profile(m.user_data)
                period_ms = ticks_to_s(p.min_poll_period) * 1000
                detail = f"MTU {p.max_mtu_tx} bytes, minimum poll period {period_ms:g} ms"
            except DecodeError:
                detail = "poll profile not given"
        return [DeviceNotice(t, self.source, code, detail)]

    def _mds_create(self, m: EventReport, t: float) -> list[DeviceItem]:
        obj, attrs = m.created()
        manufacturer, model = self._attr(attrs, codes.ATTR_ID_MODEL, decode_system_model) or ("", "")
        self._system_id = self._attr(attrs, codes.ATTR_SYS_ID, decode_system_id) or self._system_id
        abs_time = self._device_time(attrs.get(codes.ATTR_TIME_ABS), None)
        rel_time = self._attr(attrs, codes.ATTR_TIME_REL, decode_u32)
        if abs_time is not None and rel_time is not None:
            self._clock = (abs_time, rel_time)
        out = self._identify(t, model=" ".join(part for part in (manufacturer, model) if part))
        detail = f"invoke {m.invoke_id}, event time {m.event_time}"
        out.append(MdsCreated(t, self.source, MDS_CREATE, detail, m.invoke_id, m.event_time, obj, m.confirmed))
        return out

    def _identify(self, t: float, model: str = "", serial: str = "", firmware: str = "") -> list[DeviceItem]:
        """Take the fields given; return a DeviceInfo if what is known changed.

        Until the production specification gives the serial number, the system
        id (the monitor's MAC address) stands in for it.
        """
        self._model = model or self._model
        self._serial = serial or self._serial
        self._firmware = firmware or self._firmware
        known = (self._model, self._serial or self._system_id, self._firmware)
        if known == self._reported:
            return []
        self._reported = known
        return [DeviceInfo(t, self.source, *known)]

    def _attr(self, attrs: Attributes, attr_id: int, decoder: Callable[[bytes], T]) -> T | None:
        """Return decoder(raw value) of an attribute; None if absent or malformed (counted)."""
        raw = attrs.get(attr_id)
        if raw is None:
            return None
        try:
            return decoder(raw)
        except DecodeError:
            self.errors[f"bad attribute {attr_id:#06x}"] += 1
            return None

    def _device_time(self, abs_raw: bytes | None, rel: int | None) -> float | None:
        """Return the monitor's time (UTC epoch s) of an absolute time, else of a relative one, else None."""
        if abs_raw is not None:
            try:
                when = decode_abs_time(abs_raw, self.tz)
            except DecodeError:
                self.errors["bad time"] += 1
                when = None
            if when is not None:
                return when
        if rel is None or self._clock is None:
            return None
        at, ticks = self._clock
        delta = (rel - ticks + 0x80000000) % 0x100000000 - 0x80000000  # signed, across the u32 wrap
        return at + ticks_to_s(delta)

    def _poll_reply(self, m: PollReply, t: float) -> list[DeviceItem]:
        if m.obj_type == (codes.PART_OBJ, codes.MOC_VMO_METRIC_NU):
            return self._numerics(m, t)
        if m.obj_type == (codes.PART_OBJ, codes.MOC_VMO_METRIC_SA_RT):
            return self._waves_of(m, t)
        if m.obj_type == (codes.PART_OBJ, codes.MOC_VMS_MDS):
            return self._production(m, t)
        return []

    def _label(self, handle: int, attrs: Attributes) -> str:
        text = self._attr(attrs, codes.ATTR_ID_LABEL_STRING, decode_string)
        if not text:
            text_id = self._attr(attrs, codes.ATTR_ID_LABEL, decode_u32)
            text = f"label {text_id:#010x}" if text_id is not None else ""
        if text:
            self._labels[handle] = text
        return self._labels.get(handle, "")

    def _unused(self, physio_id: int, label: str) -> None:
        if physio_id not in self.unused:
            self.unused[physio_id] = label
            log.info("IntelliVue sends %#06x (%s); not used by this application", physio_id, label or "no label")

    # --- numerics ---------------------------------------------------------------------------------------------
    def _numerics(self, m: PollReply, t: float) -> list[DeviceItem]:
        now_dev = self._device_time(m.abs_time, m.rel_time)
        found: list[tuple[Param, NuObs, float | None]] = []
        nibp: dict[int, NuObs] = {}
        measured: float | None = None
        nibp_pulse: NuObs | None = None
        ambient: NuObs | None = None
        demo: set[str] = set()
        for obs in m.observations:
            attrs = obs.attributes
            label = self._label(obs.handle, attrs)
            rel = self._attr(attrs, codes.ATTR_TIME_STAMP_REL, decode_u32)
            stamped = self._device_time(attrs.get(codes.ATTR_TIME_STAMP_ABS), rel)
            for nu in self._observed(attrs):
                demo |= state_flags(nu.state) & {"demo_data", "test_data"}
                if nu.physio_id in NIBP_PARTS:
                    nibp[nu.physio_id], measured = nu, stamped
                elif nu.physio_id == codes.PRESS_BLD_NONINV_PULS_RATE:
                    nibp_pulse = nu
                elif nu.physio_id == codes.PRESS_AIR_AMBIENT:
                    ambient = nu
                elif nu.physio_id in NUMERICS:
                    found.append((NUMERICS[nu.physio_id], nu, stamped if stamped is not None else now_dev))
                elif nu.physio_id != codes.PRESS_BLD_NONINV:
                    self._unused(nu.physio_id, label)
        out: list[DeviceItem] = []
        if m.observations:  # an empty result says nothing about the mode
            now = {Condition.DEMO_DATA: "test data" if demo == {"test_data"} else ""} if demo else {}
            out.extend(self.conditions.update(t, now, _DEMO_SCOPE))
        pressure = self._ambient_mmhg(ambient)
        for param, nu, t_dev in found:
            value, flags = self._value(param, nu, pressure)
            out.append(sample(t, self.source, param, value, flags, t_dev))
        out.extend(self._nibp(nibp, nibp_pulse, measured, now_dev, t))
        return out

    def _observed(self, attrs: Attributes) -> list[NuObs]:
        single = self._attr(attrs, codes.ATTR_NU_VAL_OBS, decode_nu_obs)
        compound = self._attr(attrs, codes.ATTR_NU_CMPD_VAL_OBS, decode_nu_cmpd) or []
        return ([single] if single else []) + compound

    def _ambient_mmhg(self, nu: NuObs | None) -> float:
        if nu is not None and not state_flags(nu.state) and math.isfinite(nu.value) and nu.unit in _PRESSURE:
            value = nu.value * _PRESSURE[nu.unit]
            if 300.0 <= value <= 1100.0:
                return value
        return STANDARD_PRESSURE_MMHG

    def _value(self, param: Param, nu: NuObs, ambient_mmhg: float = STANDARD_PRESSURE_MMHG,
               ) -> tuple[float | None, frozenset[str]]:
        """Return (value in the contract unit or None, flags) of one observed value."""
        flags = state_flags(nu.state)
        if flags or not math.isfinite(nu.value):
            return None, flags
        if param is Param.ETCO2 and nu.unit == codes.DIM_PERCENT:
            return round(nu.value * ambient_mmhg / 100.0, 1), flags
        factor = UNIT_FACTORS[param].get(nu.unit)
        if factor is None:
            self.errors[f"unexpected unit {nu.unit:#06x} for {param.value}"] += 1
            return None, flags | {"unknown_unit"}
        return (nu.value if factor == 1.0 else round(nu.value * factor, 1)), flags

    def _nibp(self, parts: dict[int, NuObs], pulse: NuObs | None, measured: float | None,
              now_dev: float | None, t: float) -> list[DeviceItem]:
        """Report an NIBP reading once, when its values or measurement time change."""
        if len(parts) < len(NIBP_PARTS):
            return []
        values = {param: self._value(param, parts[code])[0] for code, param in NIBP_PARTS.items()}
        if None in values.values():
            return []  # no valid reading (not measured yet, failed, demo): nothing new to report
        key = (measured, values[Param.SBP], values[Param.DBP], values[Param.MAP])
        if key == self._nibp_key:
            return []
        first, self._nibp_key = self._nibp_key is None, key
        flags: frozenset[str] = frozenset()
        if first and (measured is None or now_dev is None):
            flags = AGE_UNKNOWN
        elif first and now_dev is not None and measured is not None and now_dev - measured > NIBP_FRESH_S:
            flags = OLD_READING
        rate = self._value(Param.NIBP_PULSE_RATE, pulse)[0] if pulse is not None else None
        out: list[DeviceItem] = [NibpResult(t, self.source, values[Param.SBP], values[Param.DBP], values[Param.MAP],
                                            rate, flags=flags)]
        for param, value in (*values.items(), (Param.NIBP_PULSE_RATE, rate)):
            out.append(sample(t, self.source, param, value, flags if value is not None else frozenset(), measured))
        return out

    # --- waves ---------------------------------------------------------------------------------------------------
    def _waves_of(self, m: PollReply, t: float) -> list[DeviceItem]:
        values: list[float] = []
        rate = PLETH_RATE
        for obs in m.observations:
            wave = self._wave(obs.handle, obs.attributes)
            arrays = ([self._attr(obs.attributes, codes.ATTR_SA_VAL_OBS, decode_sa_obs)]
                      + (self._attr(obs.attributes, codes.ATTR_SA_CMPD_VAL_OBS, decode_sa_cmpd) or []))
            for sa in arrays:
                if sa is None:
                    continue
                if sa.physio_id != codes.PLETH:
                    self._unused(sa.physio_id, wave.label)
                    continue
                spec = wave.spec or SaSpec(len(sa.samples) // 2, 16, 16)
                try:
                    scaled = spec.values(sa.samples)
                except DecodeError:
                    self.errors["bad wave samples"] += 1
                    continue
                scale = wave.scale or wave.calibration
                if state_flags(sa.state):
                    values += [math.nan] * len(scaled)
                else:
                    values += [scale.apply(v) if scale else float(v) for v in scaled]
                if wave.period:
                    rate = 1.0 / ticks_to_s(wave.period)
        if not values:
            return []
        return [WaveSegment(t, self.source, Param.PLETH.value, tuple(values), rate)]

    def _wave(self, handle: int, attrs: Attributes) -> _Wave:
        """Return the description of a wave object, updated with what these attributes say."""
        wave = self._waves.setdefault(handle, _Wave())
        wave.label = self._label(handle, attrs)
        wave.spec = self._attr(attrs, codes.ATTR_SA_SPECN, decode_sa_spec) or wave.spec
        wave.scale = self._attr(attrs, codes.ATTR_SCALE_SPECN_I16, decode_scale) or wave.scale
        wave.calibration = self._attr(attrs, codes.ATTR_SA_CALIB_I16, decode_scale) or wave.calibration
        wave.period = self._attr(attrs, codes.ATTR_TIME_PD_SAMP, decode_u32) or wave.period
        return wave

    # --- identity --------------------------------------------------------------------------------------------------
    def _production(self, m: PollReply, t: float) -> list[DeviceItem]:
        out: list[DeviceItem] = []
        for obs in m.observations:
            entries = self._attr(obs.attributes, codes.ATTR_ID_PROD_SPECN, decode_prod_spec) or []
            serial = _spec_text(entries, codes.PROD_SPEC_SERIAL_NUMBER)
            firmware = _spec_text(entries, codes.PROD_SPEC_SW_REVISION)
            out.extend(self._identify(t, serial=serial, firmware=firmware))
        return out


def _spec_text(entries: list[ProdSpecEntry], spec_type: int) -> str:
    """Return the text of a production specification entry of a type, the product's own first."""
    matching = sorted((e for e in entries if e.spec_type == spec_type and e.text),
                      key=lambda e: e.component != codes.COMP_PRODUCT)
    return matching[0].text if matching else ""
