"""A simulated IntelliVue monitor: the monitor's side of the MIB port, answering what a host writes.

It accepts an association request with an AARE (MTU 996, as a real monitor
answered), announces its MDS (model "Philips M8000", a Philips MAC address as
system id, its clocks) and waits for the MDS create answer, which must carry
the invoke id and event time it sent. Then it answers:
- single polls at once (the MDS production group: serial number and software
  revision; any other object: an empty list);
- extended polls of numerics with an update every second and of waves with
  32 pleth samples every 256 ms (125 Hz), as linked results split to the MTU,
  and a final result when the poll's period ends; the wave's sample, scale and
  period specifications come with the first update of a poll only;
- a set of the wave priority list with its result (pleth is sent only while
  listed, as a monitor sends only the listed waves);
- a release request with the release response.
If the host sends nothing for 30 s the monitor drops the association (abort).

Numerics follow the simulated patient: SpO2, pleth pulse, ECG heart rate
(the pulse), perfusion index, respiration, EtCO2 (4.9 kPa, about 37 mmHg, in
kPa as some monitors are set), NIBP every 5 minutes (compound systolic,
diastolic, mean with the time it was measured) with its pulse rate, and a
temperature the application does not use. Probe off makes the SpO2 values
invalid (the last value still in the field); an oximeter with no valid
reading (as a real session did for hours while ECG HR was valid) sends
SpO2, pulse and PI as INVALID NaN and every pleth block flat and invalid.
Artifact makes them questionable, the demo-mode scenario marks everything
demo data.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo

from devices.base import Encoder
from devices.intellivue import association, codes, pdu
from devices.intellivue.framing import SETTINGS, FrameDecoder, encode_frame
from devices.intellivue.mder import (
    DecodeError,
    ProdSpecEntry,
    SaSpec,
    Scale,
    counted,
    decode_text_id_list,
    decode_u32,
    encode_abs_time,
    encode_attributes,
    encode_nu_obs,
    encode_prod_spec,
    encode_sa_obs,
    encode_sa_spec,
    encode_scale,
    encode_string,
    encode_system_model,
    encode_variable_label,
    s_to_ticks,
    ticks_to_s,
    u16,
    u32,
)
from devices.sim.device import DeviceSimulator
from devices.sim.physiology import Vitals, pleth_shape

WAVE_INTERVAL = 0.256  # s between wave updates
PLETH_SAMPLES = 32  # per update: 125 Hz
NUMERICS_INTERVAL = 1.0  # s
NIBP_INTERVAL = 300.0  # s between simulated NIBP measurements
HOST_TIMEOUT_S = 30.0  # no host message this long: the association is dropped
MTU = 996
MODEL = ("Philips", "M8000")
MAC = bytes.fromhex("0009FB0977BD")
SERIAL = "DE00000000"
SOFTWARE = "M.00.03"
UP_FOR_S = 15_432.0  # how long the monitor has been running at scenario time 0 (its relative clock)
PLETH_SPEC = SaSpec(PLETH_SAMPLES, 16, 12)
PLETH_SCALE = Scale(0.0, 100.0, 0, 4095)  # 12-bit samples over 0..100 (dimensionless)
ETCO2_KPA = 4.9
TEMP_C = 36.8
NAN = float("nan")

# object handles of the simulated monitor
H_SPO2, H_PULSE, H_HR, H_PERF, H_RR, H_CO2, H_NIBP, H_NIBP_PULSE, H_TEMP, H_PLETH = range(0x0101, 0x010B)


@dataclass
class _Poll:
    """An extended poll the host started: what it asked for, until when, and how far it is."""

    request: pdu.PollRequest
    until: float  # scenario s
    sequence: int = 0


class IntellivueSimulator(DeviceSimulator):
    """The monitor: association, MDS create, single and extended polls, release, dropping a silent host.

    `start` is the monitor's clock at scenario time 0 (UTC epoch s, default now),
    shown as the wall clock of `tz` (None: this machine's zone).
    """

    settings = SETTINGS
    frame_interval = WAVE_INTERVAL

    def __init__(self, start: float | None = None, tz: tzinfo | None = None) -> None:
        self._start = time.time() if start is None else start
        self._tz = tz
        self._frames = FrameDecoder()
        self.errors: Counter[str] = Counter()
        self.associated = False  # AARE sent
        self.created = False  # the host answered MDS create correctly
        self._create: tuple[int, int] = (0, 0)  # invoke id, event time of the MDS create event
        self._invoke_id = 0x2F00
        self._polls: dict[int, _Poll] = {}  # object class -> running extended poll
        self._waves: list[int] = [codes.LABEL_PLETH]  # the wave priority list
        self._last_host = 0.0
        self._next_numerics = 0.0
        self._phase = 0.0
        self._nibp: tuple[float, float, float, float, float | None] | None = None  # measured at, sys, dia, mean, pr
        self._spo2 = (97.0, 72.0, 3.5)  # last valid SpO2, pulse, PI: sent with an invalid state when the probe is off

    # --- the host's messages --------------------------------------------------------------------------------------
    def receive(self, data: bytes, v: Vitals) -> bytes:
        out = bytearray()
        for user_data in self._frames.feed(data, self.errors):
            try:
                message = pdu.decode(user_data)
            except DecodeError:
                self.errors["bad message"] += 1
                continue
            self._last_host = v.t
            out += self._answer(message, v)
        return bytes(out)

    def _answer(self, m: pdu.Pdu, v: Vitals) -> bytes:
        if isinstance(m, pdu.Association):
            return self._session(m, v)
        if not self.associated:
            self.errors["data export without association"] += 1
            return b""
        if isinstance(m, pdu.EventReportResult):
            if (m.invoke_id, m.current_time, m.event_type) == (*self._create, codes.NOTI_MDS_CREAT):
                self.created = True
            else:
                self.errors["wrong MDS create answer"] += 1
            return b""
        if not self.created:
            self.errors["request before MDS create was answered"] += 1
            return b""
        if isinstance(m, pdu.PollRequest):
            return self._poll(m, v)
        if isinstance(m, pdu.SetRequest):
            return self._set(m)
        self.errors["unexpected message"] += 1
        return b""

    def _session(self, m: pdu.Association, v: Vitals) -> bytes:
        if m.spdu == codes.CN_SPDU:
            self._drop()
            self.associated = True
            self._invoke_id = (self._invoke_id + 1) & 0xFFFF
            self._create = (self._invoke_id, self._rel_time(v))
            aare = association.association_response(association.PollProfile(max_mtu_rx=MTU, max_mtu_tx=MTU))
            return encode_frame(aare) + encode_frame(pdu.mds_create_event(*self._create, self._mds_attributes(v)))
        if m.spdu == codes.FN_SPDU:
            self._drop()
            return encode_frame(association.RELEASE_RESPONSE)
        if m.spdu == codes.AB_SPDU:
            self._drop()
        return b""

    def _drop(self) -> None:
        self.associated = self.created = False
        self._polls.clear()

    def _poll(self, m: pdu.PollRequest, v: Vitals) -> bytes:
        if m.extended:
            period = m.attributes.get(codes.ATTR_TIME_PD_POLL)
            seconds = ticks_to_s(decode_u32(period)) if period else 60.0
            self._polls[m.obj_type[1]] = _Poll(m, v.t + seconds)
            if m.obj_type[1] == codes.MOC_VMO_METRIC_NU:
                self._next_numerics = v.t
            return b""
        observations: list[tuple[int, list[tuple[int, bytes]]]] = []
        if m.obj_type == (codes.PART_OBJ, codes.MOC_VMS_MDS):
            spec = [ProdSpecEntry(codes.PROD_SPEC_SERIAL_NUMBER, codes.COMP_PRODUCT, SERIAL),
                    ProdSpecEntry(codes.PROD_SPEC_PART_NUMBER, codes.COMP_PRODUCT, MODEL[1]),
                    ProdSpecEntry(codes.PROD_SPEC_SW_REVISION, codes.COMP_PRODUCT, SOFTWARE)]
            observations = [(0, [(codes.ATTR_ID_PROD_SPECN, encode_prod_spec(spec))])]
        return encode_frame(pdu.poll_reply(m, self._rel_time(v), self._abs_time(v.t), observations))

    def _set(self, m: pdu.SetRequest) -> bytes:
        for _op, attr_id, value in m.modifications:
            if attr_id == codes.ATTR_POLL_RTSA_PRIO_LIST:
                self._waves = decode_text_id_list(value)
        if not m.confirmed:
            return b""
        res = pdu.MDS.encode() + encode_attributes([(attr_id, value) for _op, attr_id, value in m.modifications])
        return encode_frame(pdu.result(m.invoke_id, codes.CMD_CONFIRMED_SET, res))

    # --- what the monitor sends by itself ---------------------------------------------------------------------------
    def frame(self, v: Vitals) -> bytes:
        pleth = self._pleth(v)
        if self.associated and v.t - self._last_host > HOST_TIMEOUT_S:
            self._drop()
            return encode_frame(association.ABORT)
        if not self.created:
            return b""
        out = bytearray()
        wave = self._polls.get(codes.MOC_VMO_METRIC_SA_RT)
        if wave is not None:
            first = wave.sequence == 0
            out += self._update(wave, v, [(H_PLETH, self._wave_attributes(pleth, v, first))]
                                if codes.LABEL_PLETH in self._waves else [])
        numerics = self._polls.get(codes.MOC_VMO_METRIC_NU)
        if numerics is not None and v.t >= self._next_numerics:
            self._next_numerics += NUMERICS_INTERVAL
            out += self._update(numerics, v, self._numerics(v))
        return bytes(out)

    def _update(self, poll: _Poll, v: Vitals, observations: list[tuple[int, list[tuple[int, bytes]]]]) -> bytes:
        """Return one update of an extended poll as linked results within the MTU; end the poll when due."""
        if v.t >= poll.until:
            del self._polls[poll.request.obj_type[1]]
            return encode_frame(pdu.poll_reply(poll.request, self._rel_time(v), self._abs_time(v.t), [],
                                               poll.sequence))
        out = bytearray()
        chunk: list[tuple[int, list[tuple[int, bytes]]]] = []
        for obs in observations:
            if chunk and len(self._linked(poll, v, chunk + [obs])) > MTU:
                out += self._send(poll, v, chunk)
                chunk = []
            chunk.append(obs)
        if chunk:
            out += self._send(poll, v, chunk)
        return bytes(out)

    def _linked(self, poll: _Poll, v: Vitals, observations: list[tuple[int, list[tuple[int, bytes]]]]) -> bytes:
        state = codes.RORLS_FIRST if poll.sequence == 0 else codes.RORLS_MIDDLE
        return pdu.poll_reply(poll.request, self._rel_time(v), self._abs_time(v.t), observations, poll.sequence,
                              linked=(state, poll.sequence & 0xFF))

    def _send(self, poll: _Poll, v: Vitals, observations: list[tuple[int, list[tuple[int, bytes]]]]) -> bytes:
        frame = encode_frame(self._linked(poll, v, observations))
        poll.sequence = (poll.sequence + 1) & 0xFFFF
        return frame

    def _rel_time(self, v: Vitals) -> int:
        return s_to_ticks(UP_FOR_S + v.t)

    def _abs_time(self, t: float) -> bytes:
        return encode_abs_time(self._start + t, self._tz)

    def _mds_attributes(self, v: Vitals) -> list[tuple[int, bytes]]:
        return [
            (codes.ATTR_SYS_TYPE, u16(codes.PART_OBJ) + u16(codes.DEV_MON_PHYSIO_MULTI_PARAM_MDS)),
            (codes.ATTR_ID_MODEL, encode_system_model(*MODEL)),
            (codes.ATTR_SYS_ID, encode_variable_label(MAC)),
            (codes.ATTR_TIME_ABS, self._abs_time(v.t)),
            (codes.ATTR_TIME_REL, u32(self._rel_time(v))),
        ]

    def _pleth(self, v: Vitals) -> list[int]:
        """Advance the pulse wave by one update; return its 12-bit scaled samples."""
        beats_per_s = (v.pulse_rate or 0.0) / 60.0
        out = []
        for _ in range(PLETH_SAMPLES):
            self._phase = (self._phase + beats_per_s / (PLETH_SAMPLES / WAVE_INTERVAL)) % 1.0
            out.append(0 if v.probe_off or v.spo2 is None else round(pleth_shape(self._phase) * 4095))
        return out

    def _wave_attributes(self, pleth: list[int], v: Vitals, static: bool) -> list[tuple[int, bytes]]:
        state = self._demo(v) | (codes.MS_INVALID if v.probe_off or v.spo2 is None else 0)
        samples = b"".join(u16(s) for s in pleth)
        observed = [(codes.ATTR_SA_VAL_OBS, encode_sa_obs(codes.PLETH, state, samples))]
        if not static:
            return observed
        return [(codes.ATTR_ID_LABEL, u32(codes.LABEL_PLETH)), (codes.ATTR_ID_LABEL_STRING, encode_string("Pleth")),
                (codes.ATTR_SA_SPECN, encode_sa_spec(PLETH_SPEC)), (codes.ATTR_SCALE_SPECN_I16,
                                                                     encode_scale(PLETH_SCALE)),
                (codes.ATTR_TIME_PD_SAMP, u32(s_to_ticks(WAVE_INTERVAL / PLETH_SAMPLES))), *observed]

    def _demo(self, v: Vitals) -> int:
        return codes.MS_DEMO_DATA if v.demo else 0

    def _numerics(self, v: Vitals) -> list[tuple[int, list[tuple[int, bytes]]]]:
        demo = self._demo(v)
        if v.spo2 is not None and v.pulse_rate is not None and v.perfusion_index is not None:
            self._spo2 = (v.spo2, v.pulse_rate, v.perfusion_index)
        spo2, pulse, pi = self._spo2
        if v.spo2 is None and not v.probe_off:
            spo2 = pulse = pi = NAN  # no reading at all: the monitor sends INVALID NaN
        invalid = v.probe_off or v.spo2 is None
        pulse_ox = demo | (codes.MS_INVALID if invalid else codes.MS_QUESTIONABLE if v.artifact else 0)
        heart_rate = v.ecg_rate if v.ecg_rate is not None else pulse
        slot = v.t // NIBP_INTERVAL
        if self._nibp is None or slot > self._nibp[0] // NIBP_INTERVAL:
            self._nibp = (v.t, round(v.sbp), round(v.dbp), round(v.map),
                          None if "nibp_pulse_rate" in v.invalid else round(heart_rate))
        measured, sbp, dbp, mean, nibp_pulse = self._nibp

        rr = v.resp_rate
        observations = [
            numeric(H_SPO2, "SpO2", codes.PULS_OXIM_SAT_O2, pulse_ox, codes.DIM_PERCENT, _whole(spo2), 0),
            numeric(H_PULSE, "Pulse", codes.PLETH_PULS_RATE, pulse_ox, codes.DIM_BEAT_PER_MIN, _whole(pulse), 0),
            numeric(H_HR, "HR", codes.ECG_CARD_BEAT_RATE, demo, codes.DIM_BEAT_PER_MIN, _whole(heart_rate), 0),
            numeric(H_PERF, "Perf", codes.PULS_OXIM_PERF_REL, pulse_ox, codes.DIM_DIMLESS, pi, 2),
            numeric(H_RR, "RR", codes.RESP_RATE, demo | (codes.MS_UNAVAILABLE if rr is None else 0),
                    codes.DIM_RESP_PER_MIN, rr or 0.0, 0),
            numeric(H_CO2, "etCO2", codes.AWAY_CO2_ET, demo | (codes.MS_INVALID if "etco2" in v.invalid else 0),
                    codes.DIM_KILO_PASCAL, NAN if "etco2" in v.invalid else ETCO2_KPA),
            numeric(H_NIBP_PULSE, "Pulse (NBP)", codes.PRESS_BLD_NONINV_PULS_RATE,
                    demo | (codes.MS_INVALID if nibp_pulse is None else 0), codes.DIM_BEAT_PER_MIN,
                    NAN if nibp_pulse is None else nibp_pulse, 0),
            numeric(H_TEMP, "Temp", codes.TEMP, demo, codes.DIM_DEGC, TEMP_C),
        ]
        observations.append(nibp(demo, sbp, dbp, mean, self._abs_time(measured), 0))
        return observations


def _whole(value: float) -> float:
    """Return value rounded to a whole number (NaN stays NaN: no value)."""
    return value if math.isnan(value) else round(value)


Observed = tuple[int, list[tuple[int, bytes]]]  # (object handle, attributes) of one object in a poll reply


def numeric(handle: int, label: str, physio: int, state: int, unit: int, value: float, decimals: int = 1) -> Observed:
    """Return a numeric object as a poll reply carries it: its label, label text and observed value."""
    return handle, [(codes.ATTR_ID_LABEL, u32(codes.PART_SCADA << 16 | physio)),
                    (codes.ATTR_ID_LABEL_STRING, encode_string(label)),
                    (codes.ATTR_NU_VAL_OBS, encode_nu_obs(physio, state, unit, value, decimals))]


def nibp(state: int, sbp: float, dbp: float, mean: float, measured: bytes, decimals: int) -> Observed:
    """Return the compound NIBP object (mmHg) with the absolute time it was measured."""
    compound = counted([encode_nu_obs(physio, state, codes.DIM_MMHG, value, decimals) for physio, value in (
        (codes.PRESS_BLD_NONINV_SYS, sbp), (codes.PRESS_BLD_NONINV_DIA, dbp), (codes.PRESS_BLD_NONINV_MEAN, mean))])
    return H_NIBP, [(codes.ATTR_ID_LABEL, u32(codes.PART_SCADA << 16 | codes.PRESS_BLD_NONINV)),
                    (codes.ATTR_ID_LABEL_STRING, encode_string("NBP")),
                    (codes.ATTR_NU_CMPD_VAL_OBS, compound),
                    (codes.ATTR_TIME_STAMP_ABS, measured)]


ENCODER_TIME = 1_700_000_000.0


def encode_values(v: Mapping[str, float]) -> bytes:
    """Return one numerics poll result carrying values in contract units (the conformance suite's encoder).

    The NIBP reading is stamped with the result's own time, so a new parser takes it as just measured.
    """
    now = encode_abs_time(ENCODER_TIME)
    request = pdu.PollRequest(1, False, 1, (codes.PART_OBJ, codes.MOC_VMO_METRIC_NU), codes.ATTR_GRP_ALL)
    observations = [
        numeric(H_SPO2, "SpO2", codes.PULS_OXIM_SAT_O2, 0, codes.DIM_PERCENT, v["spo2"], 2),
        numeric(H_PULSE, "Pulse", codes.PLETH_PULS_RATE, 0, codes.DIM_BEAT_PER_MIN, v["pulse_rate"], 2),
        numeric(H_HR, "HR", codes.ECG_CARD_BEAT_RATE, 0, codes.DIM_BEAT_PER_MIN, v["heart_rate"], 2),
        numeric(H_PERF, "Perf", codes.PULS_OXIM_PERF_REL, 0, codes.DIM_DIMLESS, v["perfusion_index"], 2),
        numeric(H_RR, "RR", codes.RESP_RATE, 0, codes.DIM_RESP_PER_MIN, v["resp_rate"], 2),
        numeric(H_CO2, "etCO2", codes.AWAY_CO2_ET, 0, codes.DIM_MMHG, v["etco2"], 2),
        numeric(H_NIBP_PULSE, "Pulse (NBP)", codes.PRESS_BLD_NONINV_PULS_RATE, 0, codes.DIM_BEAT_PER_MIN,
                v["nibp_pulse_rate"], 2),
        nibp(0, v["sbp"], v["dbp"], v["map"], now, 2),
    ]
    return encode_frame(pdu.poll_reply(request, s_to_ticks(UP_FOR_S), now, observations))


#: FLOAT values (24-bit mantissa) in the units the parser converts nothing from, to 0.01.
ENCODER = Encoder(
    ranges={"spo2": (0, 150, 0.01), "pulse_rate": (0, 400, 0.01), "heart_rate": (0, 400, 0.01),
            "perfusion_index": (0, 50, 0.01), "resp_rate": (0, 200, 0.01), "etco2": (0, 200, 0.01),
            "sbp": (0, 400, 0.01), "dbp": (0, 400, 0.01), "map": (0, 400, 0.01), "nibp_pulse_rate": (0, 400, 0.01)},
    encode=encode_values,
)
