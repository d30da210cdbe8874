"""The monitor's side of the DRI link: silent until asked, then records every second.

It answers the host's requests as a monitor does: displayed values every
N seconds (or once, for -1) until asked to stop, the requested waves (only
the pleth is rendered) continuously. Requests are forgotten when the monitor
"restarts", which the simulator takes to be any gap of more than 3 s in the
scenario (the 'disconnect' scenario's silence), so a host must ask again.
NIBP: the monitor holds a reading taken at the scenario's start and measures
again every NIBP_INTERVAL_S, the label's measuring bit set for MEASURE_S.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from devices.base import Encoder
from devices.carescape.framing import SETTINGS, FrameDecoder, encode_frame
from devices.carescape.header import HEADER_LEN, INVALID, MT_PHDB, MT_WAVE, decode_header, encode_record
from devices.carescape.phdb import (
    CLASS_BASIC,
    CLASS_EXT1,
    CLASS_EXT2,
    CLASS_EXT3,
    CLASS_LEN,
    NIBP_MEASURING,
    NIBP_OLD,
    Basic,
    encode_basic,
    encode_subrecord,
)
from devices.carescape.requests import (
    PH_DISPL,
    SEND_ONCE,
    WAVE_PLETH,
    WF_START,
    PhdbRequest,
    WaveRequest,
    decode_request,
)
from devices.carescape.waves import PLETH_RATE, encode_wave
from devices.sim.device import DeviceSimulator
from devices.sim.physiology import Vitals, pleth_shape

DRI_LEVEL = 0x0B  # "2015"
RESTART_GAP_S = 3.0
NIBP_INTERVAL_S = 300.0
MEASURE_S = 30.0
OLD_AFTER_S = 60.0
PLETH_SCALE = 1000  # device units (0.01 %) at the top of a beat
#: class -> phdb_class_bf bit that asks for it (basic is sent unless 0x01 denies it)
CLASS_BITS = {CLASS_EXT1: 0x02, CLASS_EXT2: 0x04, CLASS_EXT3: 0x08}


def _raw(value: float | None, scale: float = 1.0) -> int:
    """Return a wire field for value x scale, INVALID for None."""
    return INVALID if value is None else int(round(value * scale))


class CarescapeSimulator(DeviceSimulator):
    """A CARESCAPE B650 on its computer interface port; epoch is its clock at scenario time 0 (UTC s)."""

    settings = SETTINGS
    frame_interval = 1.0

    def __init__(self, epoch: int = 1_700_000_000) -> None:
        self.epoch = epoch
        self._decoder = FrameDecoder(min_record=HEADER_LEN)
        self.requests: list[PhdbRequest | WaveRequest] = []  # what the host asked, for tests
        self._phdb: PhdbRequest | None = None
        self._waves: tuple[int, ...] = ()
        self._last_t: float | None = None
        self._next_phdb = 0.0
        self._nbr = 0
        self._phase = 0.0
        self._reading: tuple[float, float, float, float | None] | None = None  # sys, dia, mean, pulse
        self._measured_at = 0.0

    def receive(self, data: bytes, v: Vitals) -> bytes:
        out = b""
        for record in self._decoder.feed(data):
            request = decode_request(decode_header(record), record)
            if request is None:
                continue
            self.requests.append(request)
            if isinstance(request, WaveRequest):
                self._waves = request.codes if request.req_type == WF_START else ()
            elif request.record_type == PH_DISPL and request.interval == SEND_ONCE:
                out += self._phdb_record(v, request.classes)
            elif request.record_type == PH_DISPL:
                self._phdb = request if request.interval > 0 else None
                self._next_phdb = v.t
        self._decoder.errors.clear()
        return out

    def frame(self, v: Vitals) -> bytes:
        if self._last_t is not None and v.t - self._last_t > RESTART_GAP_S:
            self._phdb, self._waves = None, ()  # the monitor restarted: it forgot what it was asked
        self._last_t = v.t
        out = b""
        if self._phdb is not None and v.t >= self._next_phdb:
            self._next_phdb = v.t + self._phdb.interval
            out += self._phdb_record(v, self._phdb.classes)
        if WAVE_PLETH in self._waves:
            out += self._wave_record(v)
        return out

    def _record(self, maintype: int, subrecords: list[tuple[int, bytes]], v: Vitals) -> bytes:
        self._nbr = (self._nbr + 1) & 0xFF
        return encode_frame(encode_record(maintype, subrecords, r_time=self.epoch + int(v.t), dri_level=DRI_LEVEL,
                                          r_nbr=self._nbr))

    def _phdb_record(self, v: Vitals, classes: int) -> bytes:
        r_time = self.epoch + int(v.t)
        blocks = [] if classes & 0x01 else [(CLASS_BASIC, encode_basic(self._basic(v)))]
        blocks += [(cls, bytes(CLASS_LEN)) for cls, bit in CLASS_BITS.items() if classes & bit]
        return self._record(MT_PHDB, [(PH_DISPL, encode_subrecord(r_time, block, cls)) for cls, block in blocks], v)

    def _basic(self, v: Vitals) -> Basic:
        blank = v.probe_off or v.searching
        label = self._nibp(v)
        sys_, dia, mean, pulse = self._reading if self._reading else (None, None, None, None)
        return Basic(
            ecg_hr=_raw(v.ecg_rate), ecg_imp_rr=_raw(v.resp_rate),
            nibp_label=label, nibp_sys=_raw(sys_, 100), nibp_dia=_raw(dia, 100), nibp_mean=_raw(mean, 100),
            nibp_hr=_raw(pulse),
            spo2=_raw(None if blank else v.spo2, 100), spo2_pr=_raw(None if blank else v.pulse_rate),
            co2_et=INVALID if "etco2" in v.invalid else 500,  # 5.00 % at 760.0 mmHg: 38 mmHg
            co2_rr=_raw(v.resp_rate), co2_amb_press=7600,
        )

    def _nibp(self, v: Vitals) -> int:
        """Advance the NIBP cycle to v.t; return the NIBP label bits."""
        cycle_start = (v.t // NIBP_INTERVAL_S) * NIBP_INTERVAL_S
        if cycle_start > 0 and v.t - cycle_start < MEASURE_S:
            return NIBP_MEASURING
        if self._reading is None or cycle_start > self._measured_at:
            self._reading = (round(v.sbp), round(v.dbp), round(v.map),
                             None if v.ecg_rate is None or "nibp_pulse_rate" in v.invalid else round(v.ecg_rate))
            self._measured_at = v.t
        return NIBP_OLD if v.t - self._measured_at > OLD_AFTER_S else 0

    def _wave_record(self, v: Vitals) -> bytes:
        count = int(PLETH_RATE * self.frame_interval)
        if v.probe_off or v.searching or not v.pulse_rate:
            samples = [INVALID] * count
        else:
            step = v.pulse_rate / 60.0 / PLETH_RATE
            samples = []
            for _ in range(count):
                self._phase = (self._phase + step) % 1.0
                samples.append(int(round(PLETH_SCALE * pleth_shape(self._phase))))
        return self._record(MT_WAVE, [(WAVE_PLETH, encode_wave(samples))], v)


def simulator() -> CarescapeSimulator:
    """Return a simulated monitor whose clock is this computer's (for `simulate` and demos)."""
    return CarescapeSimulator(epoch=int(time.time()))


#: Ambient pressure (0.1 mmHg) of the encoder's records: 500.0 mmHg (a high city), where one EtCO2 step
#: (0.01 %) is exactly 0.05 mmHg, so any EtCO2 on that grid reads back exactly.
ENCODER_AMBIENT = 5000
ENCODER_TIME = 1_700_000_000


def encode_values(v: Mapping[str, float]) -> bytes:
    """Return one displayed-values record carrying values in contract units (the conformance suite's encoder)."""
    basic = Basic(ecg_hr=round(v["heart_rate"]), spo2=round(v["spo2"] * 100), spo2_pr=round(v["pulse_rate"]),
                  co2_et=round(v["etco2"] * 1e5 / ENCODER_AMBIENT), co2_rr=round(v["resp_rate"]),
                  co2_amb_press=ENCODER_AMBIENT, nibp_sys=round(v["sbp"] * 100), nibp_dia=round(v["dbp"] * 100),
                  nibp_mean=round(v["map"] * 100), nibp_hr=round(v["nibp_pulse_rate"]))
    block = encode_subrecord(ENCODER_TIME, encode_basic(basic), CLASS_BASIC)
    return encode_frame(encode_record(MT_PHDB, [(PH_DISPL, block)], r_time=ENCODER_TIME, dri_level=DRI_LEVEL))


#: 16-bit wire fields: rates in /min, SpO2 and BP in 0.01 units, EtCO2 on the grid of ENCODER_AMBIENT.
ENCODER = Encoder(
    ranges={"spo2": (0, 150, 0.01), "pulse_rate": (0, 400, 1), "heart_rate": (0, 400, 1), "resp_rate": (0, 200, 1),
            "etco2": (0, 200, 0.05), "sbp": (0, 320, 0.01), "dbp": (0, 320, 0.01), "map": (0, 320, 0.01),
            "nibp_pulse_rate": (0, 400, 1)},
    encode=encode_values,
)
