"""Immutable values that cross threads: samples, technical conditions, device identity.

Parsers in devices/ produce them; the core consumes them. They are frozen so that a
reader thread can hand them to the core without copies or locks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Param(str, Enum):
    """Parameter names used in storage, export and alarms (ARCHITECTURE.md contract)."""

    SPO2 = "spo2"
    PULSE_RATE = "pulse_rate"
    PERFUSION_INDEX = "perfusion_index"
    SBP = "sbp"
    DBP = "dbp"
    MAP = "map"
    NIBP_PULSE_RATE = "nibp_pulse_rate"
    RESP_RATE = "resp_rate"
    HEART_RATE = "heart_rate"
    ETCO2 = "etco2"
    CUFF_PRESSURE = "cuff_pressure"
    PLETH = "pleth"


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """Everything that names or bounds one parameter, declared once (VitalDB's track table).

    Two spellings of a unit, one per reader: ucum for exports and storage (the
    contract unit, "mm[Hg]"), unit for people ("mmHg"). Three names: label, the
    short word people read in alarm text, limit settings and the probe line,
    with its typography ("SpO₂": one spelling on every screen and report; ascii
    gives it for EDF signal labels, "SpO2"); title, the tile heading, which may
    say the source ("HR (ECG)"); name, the words FHIR and HL7 give the code.
    plausible bounds what a living patient and the device can produce (values
    outside it are never valid: devices.plausibility.gate); limits bounds what
    an alarm limit may be set to (monitor.alarms.profile), None where no limit
    exists. Both are inclusive, in the contract unit.
    """

    ucum: str
    unit: str
    label: str
    name: str
    plausible: tuple[float, float] | None
    limits: tuple[float, float] | None
    title: str = ""  # "" means the label

    @property
    def ascii(self) -> str:
        """Return the label in ASCII, for formats that hold nothing else (EDF signal labels: "SpO2")."""
        return self.label.translate(_SUBSCRIPTS)

    @property
    def heading(self) -> str:
        """Return the tile title: title, else the label."""
        return self.title or self.label


_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_RATE = (20.0, 300.0)
_RATE_LIMITS = (20.0, 250.0)

#: One row per parameter, the only place a parameter's unit, names and ranges are written.
#: sbp_rise and dbp_rise are no device's values: the alarm engine computes them (mmHg above the session
#: baseline), and they are here because limits are set on them and alarm text names them.
PARAMS: dict[str, ParamSpec] = {
    "spo2": ParamSpec("%", "%", "SpO₂", "SpO2", (0.0, 100.0), (50.0, 100.0)),
    "pulse_rate": ParamSpec("/min", "/min", "Pulse", "Pulse rate", _RATE, _RATE_LIMITS),
    "heart_rate": ParamSpec("/min", "/min", "HR", "Heart rate", _RATE, _RATE_LIMITS, title="HR (ECG)"),
    "etco2": ParamSpec("mm[Hg]", "mmHg", "EtCO₂", "EtCO2", (0.0, 150.0), (5.0, 100.0)),
    "resp_rate": ParamSpec("/min", "/min", "Resp", "Respiratory rate", (0.0, 150.0), (4.0, 60.0)),
    "sbp": ParamSpec("mm[Hg]", "mmHg", "SBP", "Systolic BP", (40.0, 300.0), (40.0, 260.0)),
    "dbp": ParamSpec("mm[Hg]", "mmHg", "DBP", "Diastolic BP", (15.0, 250.0), (20.0, 200.0)),
    "map": ParamSpec("mm[Hg]", "mmHg", "MAP", "Mean BP", (20.0, 260.0), (30.0, 220.0)),
    "nibp_pulse_rate": ParamSpec("/min", "/min", "NIBP pulse", "Pulse rate (NIBP)", _RATE, _RATE_LIMITS),
    "perfusion_index": ParamSpec("%", "%", "PI", "Perfusion index", (0.0, 30.0), None),
    "cuff_pressure": ParamSpec("mm[Hg]", "mmHg", "Cuff", "Cuff pressure", (0.0, 320.0), None),
    "pleth": ParamSpec("1", "", "Pleth", "Pleth", None, None),
    "sbp_rise": ParamSpec("mm[Hg]", "mmHg", "SBP rise", "Systolic BP rise over baseline", None, (5.0, 150.0)),
    "dbp_rise": ParamSpec("mm[Hg]", "mmHg", "DBP rise", "Diastolic BP rise over baseline", None, (5.0, 100.0)),
}


def spec_of(param: str) -> ParamSpec:
    """Return param's row of PARAMS; for a name PARAMS does not hold, a row that shows the name and no unit."""
    return PARAMS.get(param) or ParamSpec("", "", param, param, None, None)


def mean_arterial(sbp: float, dbp: float) -> float:
    """Return the mean arterial pressure estimated from SBP and DBP (mmHg): DBP + one third of the pulse pressure.

    Rounded to whole mmHg: every BP device reports whole mmHg, so a MAP computed
    here (a BP typed in by the nurse, a simulated monitor) is stored, shown and
    alarmed like a measured one, and the one-third estimate is not good to a
    tenth of a mmHg (it is off by several mmHg from an oscillometric MAP).
    """
    return float(round(dbp + (sbp - dbp) / 3.0))


#: Parameters sampled as a waveform (stored in chunks, not as numerics).
WAVEFORMS = frozenset({"pleth"})

#: Parameters shown live but not stored (the raw capture keeps them for support).
LIVE_ONLY = frozenset({"cuff_pressure"})


class Condition(str, Enum):
    """Technical conditions a device or its connection can be in.

    A condition is never shown as a number: while one of the value-blocking
    conditions is active the tile shows '---' or the last value greyed.
    """

    PROBE_OFF = "probe_off"  # no finger / sensor off / sensor disconnected
    SEARCHING = "searching"  # pulse search, searching too long
    SENSOR_FAULT = "sensor_fault"  # defective / unrecognised sensor, probe error
    ARTIFACT = "artifact"  # motion, interference, out of track
    LOW_PERFUSION = "low_perfusion"  # low perfusion or low signal quality
    DEVICE_ALARM = "device_alarm"  # the device reports an alarm of its own
    NO_DATA = "no_data"  # port open but silent
    PORT_LOST = "port_lost"  # port cannot be opened or vanished
    NIBP_FAILED = "nibp_failed"  # a BP measurement ended with an error code
    DEMO_DATA = "demo_data"  # a monitor in demo (or test) mode: its numbers are not the patient's


#: Conditions during which the device's numbers must not be shown as valid.
VALUE_BLOCKING = frozenset(
    {Condition.PROBE_OFF, Condition.SEARCHING, Condition.SENSOR_FAULT, Condition.NO_DATA, Condition.PORT_LOST,
     Condition.DEMO_DATA}
)


@dataclass(frozen=True, slots=True)
class Sample:
    """One value of one parameter from one device.

    t is the receive time in UTC epoch seconds; t_dev the device's own clock
    (UTC epoch seconds) where the protocol carries one. value None means the
    device sent "no value" (a dash, a sentinel), which is stored as such.
    flags are short words such as "questionable", "artifact", "low_perfusion".
    """

    t: float
    source: str
    param: str
    value: float | None
    unit: str
    flags: frozenset[str] = field(default_factory=frozenset)
    t_dev: float | None = None


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A technical condition of a device turning on (active) or off."""

    t: float
    source: str
    condition: Condition
    active: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """Identity a device reported about itself (any field may be empty)."""

    t: float
    source: str
    model: str = ""
    serial_number: str = ""
    firmware: str = ""


@dataclass(frozen=True, slots=True)
class NibpResult:
    """One finished non-invasive BP measurement.

    Values are mmHg and /min; on failure they are None and error says why in words.
    """

    t: float
    source: str
    sbp: float | None
    dbp: float | None
    map: float | None
    pulse_rate: float | None
    error_code: int = 0
    error: str = ""
    flags: frozenset[str] = frozenset()  # e.g. "manual" (typed in by the nurse), "age_unknown"


@dataclass(frozen=True, slots=True)
class DeviceNotice:
    """Something a device said that is neither a value nor a condition.

    Examples: code "nibp_started", "nibp_complete", "nibp_aborted", "nibp_busy",
    "command_ack". Drivers react to them; the log keeps them for support.
    """

    t: float
    source: str
    code: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class WaveSegment:
    """Consecutive samples of one waveform, as one read of the port delivered them.

    Carrying a read's samples as one value (not one Sample each) keeps the
    path from parser to recorder cheap at 75-125 Hz. t is the receive time of
    the last sample (UTC epoch s); samples are 1/rate s apart, so sample i
    was taken about t - (len(values) - 1 - i) / rate. NaN means no value
    (probe off, a lost frame). Values are in the device's own units.
    """

    t: float
    source: str
    param: str
    values: tuple[float, ...]
    rate: float


DeviceItem = Sample | WaveSegment | StatusChange | DeviceInfo | NibpResult | DeviceNotice


#: (name, unit) by Param member and by name: sample() runs for every value of every frame, so one lookup.
_NAME_UNIT: dict[Param | str, tuple[str, str]] = {
    **{p: (p.value, PARAMS[p.value].ucum) for p in Param},
    **{p.value: (p.value, PARAMS[p.value].ucum) for p in Param},
}


def sample(t: float, source: str, param: Param | str, value: float | None, flags: frozenset[str] = frozenset(),
           t_dev: float | None = None) -> Sample:
    """Build a Sample with the contract unit for param."""
    name, unit = _NAME_UNIT.get(param) or (str(param), spec_of(str(param)).ucum)
    return Sample(t, source, name, value, unit, flags, t_dev)
