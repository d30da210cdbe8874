"""GE S/5 / CARESCAPE DRI: framing vectors, record layouts, markers, NIBP rule, requests, simulator."""

import math
import struct

import pytest
from hypothesis import given, strategies as st

from devices import registry
from devices.carescape.driver import (
    DISPLAYED_VALUES, PLETH_WAVE, REQUEST_AGAIN_S, STOP_DISPLAYED_VALUES, VALUES_ONCE, CarescapeDriver,
)
from devices.carescape.framing import SETTINGS, FrameDecoder, checksum, encode_frame
from devices.carescape.header import HEADER, INVALID, MARKERS, MT_PHDB, MT_WAVE, decode_header, encode_record
from devices.carescape.parser import AGE_UNKNOWN, NO_READING, CarescapeParser
from devices.carescape.phdb import (
    CLASS_BASIC, CLASS_EXT1, CLASS_LEN, NIBP_MEASURING, NIBP_OLD, SUBRECORD_LEN, Basic, encode_basic,
    encode_subrecord,
)
from devices.carescape.requests import PH_DISPL, PhdbRequest, WaveRequest
from devices.carescape.simulator import MEASURE_S, NIBP_INTERVAL_S, CarescapeSimulator
from devices.carescape.waves import encode_wave
from devices.reader import Link
from devices.sim.physiology import Patient
from devices.values import Condition, DeviceInfo, DeviceNotice, NibpResult, Sample, StatusChange, WaveSegment
from scripted import ScriptedPort

T0 = 1_700_000_000
GOOD = Basic(ecg_hr=71, ecg_imp_rr=13, nibp_sys=12150, nibp_dia=7800, nibp_mean=9250, nibp_hr=70, spo2=9750,
             spo2_pr=72, co2_et=500, co2_rr=14, co2_amb_press=7600)


def hexbytes(text):
    return bytes.fromhex(text)


def phdb_frame(basic=GOOD, r_time=T0, classes=(CLASS_BASIC,), level=0x0A):
    blocks = [encode_basic(basic) if c == CLASS_BASIC else bytes(CLASS_LEN) for c in classes]
    subs = [(PH_DISPL, encode_subrecord(r_time, block, c)) for c, block in zip(classes, blocks)]
    return encode_frame(encode_record(MT_PHDB, subs, r_time=r_time, dri_level=level))


def wave_frame(samples, r_time=T0):
    return encode_frame(encode_record(MT_WAVE, [(8, encode_wave(samples))], r_time=r_time))


def of(items, kind):
    return [i for i in items if isinstance(i, kind)]


def values(items, param):
    return [i.value for i in of(items, Sample) if i.param == param]


def by_param(items):
    return {i.param: i for i in of(items, Sample)}


# --- requests: built byte by byte from the layout in MONITORS.md / VSCapture / pycollect -----------------------

HEADER_ZEROS = "00 00 00 00 00 00 00 00 00 00 00 00"  # r_nbr, level, plug_id, r_time, reserved (12 bytes)
DESCRIPTORS = "00 00 00  00 00 FF" + "  00 00 00" * 6  # {0, type 0}, {0, end of list}, 6 unused


def test_displayed_values_request_is_the_layout_byte_by_byte():
    record = f"31 00 {HEADER_ZEROS} 00 00 {DESCRIPTORS}  01  01 00  0E 00 00 00  00 00"
    assert sum(hexbytes(record)) & 0xFF == 0x40
    assert DISPLAYED_VALUES == hexbytes(f"7E {record} 40 7E")
    assert len(hexbytes(record)) == 49


def test_pleth_request_is_the_layout_byte_by_byte():
    record = f"48 00 {HEADER_ZEROS} 01 00 {DESCRIPTORS}  00 00  00 00  08 FF 00 00 00 00 00 00" + " 00" * 20
    assert len(hexbytes(record)) == 72
    assert PLETH_WAVE == hexbytes(f"7E {record} 4F 7E")


def test_stop_and_once_requests():
    stop = f"31 00 {HEADER_ZEROS} 00 00 {DESCRIPTORS}  01  00 00  00 00 00 00  00 00"
    assert STOP_DISPLAYED_VALUES == hexbytes(f"7E {stop} 31 7E")
    once = f"31 00 {HEADER_ZEROS} 00 00 {DESCRIPTORS}  01  FF FF  0E 00 00 00  00 00"
    assert VALUES_ONCE == hexbytes(f"7E {once} 3D 7E")


def test_serial_settings_are_19200_8e1_rtscts():
    assert (SETTINGS.baudrate, SETTINGS.bytesize, SETTINGS.parity, SETTINGS.stopbits, SETTINGS.rtscts) == \
        (19200, 8, "E", 1, True)
    assert registry.get("carescape").settings is SETTINGS


# --- framing -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("record, wire", [
    ("01 02", "7E 01 02 03 7E"),
    ("7E", "7E 7D 5E 7D 5E 7E"),  # the checksum 7E is escaped too
    ("7D 01", "7E 7D 5D 01 7D 5E 7E"),  # checksum over the unescaped 7D 01 = 7E, escaped
    ("7D 7E 00", "7E 7D 5D 7D 5E 00 FB 7E"),  # 0x7D + 0x7E = 0xFB, not the sum of the escaped bytes
    ("FF FF", "7E FF FF FE 7E"),
])
def test_frame_vectors(record, wire):
    assert encode_frame(hexbytes(record)) == hexbytes(wire)
    decoder = FrameDecoder(min_record=0)
    assert decoder.feed(hexbytes(wire)) == [hexbytes(record)]
    assert not decoder.errors


def test_checksum_is_the_sum_of_unescaped_bytes_mod_256():
    assert checksum(bytes([0x7E, 0x7D, 0x90])) == (0x7E + 0x7D + 0x90) & 0xFF


def test_bad_checksum_is_counted_and_the_next_frame_still_decodes():
    good = encode_frame(b"\x10\x20\x30")
    bad = bytearray(good)
    bad[2] ^= 0x01
    decoder = FrameDecoder(min_record=0)
    assert decoder.feed(bytes(bad) + good) == [b"\x10\x20\x30"]
    assert decoder.errors == {"checksum": 1}


def test_a_stream_starting_mid_frame_loses_one_partial_frame():
    stream = phdb_frame() + wave_frame([1, 2, 3]) + phdb_frame()
    first_len = len(phdb_frame())
    for cut in range(1, first_len - 1):  # cut inside the first frame, before its end flag
        p = CarescapeParser()
        items = p.feed(stream[cut:], 1.0)
        assert len(of(items, WaveSegment)) == 1, cut
        assert values(items, "spo2") == [97.5], cut
        assert sum(p.errors.values()) == 1 and p.frames == 2, (cut, p.errors)


def test_overlong_frame_is_dropped_and_the_next_one_decodes():
    p = CarescapeParser()
    items = p.feed(b"\x7e" + b"\x01" * 3000 + phdb_frame(), 1.0)
    assert values(items, "spo2") == [97.5]
    assert p.errors["overlong frame"] == 1


def test_escape_before_a_flag_is_a_bad_escape():
    decoder = FrameDecoder(min_record=0)
    assert decoder.feed(hexbytes("7E 01 7D 7E") + encode_frame(b"\x05")) == [b"\x05"]
    assert decoder.errors == {"bad escape": 1}


def test_split_at_every_offset_gives_the_same_items():
    stream = phdb_frame() + wave_frame(list(range(100))) + phdb_frame(GOOD, T0 + 1, (CLASS_BASIC, CLASS_EXT1))
    whole = CarescapeParser().feed(stream, 5.0)
    assert len(whole) > 10
    for cut in range(len(stream) + 1):
        p = CarescapeParser()
        assert p.feed(stream[:cut], 5.0) + p.feed(stream[cut:], 5.0) == whole, cut
        assert not p.errors


@given(st.binary(max_size=3000))
def test_random_garbage_never_raises(garbage):
    p = CarescapeParser()
    p.feed(garbage, 0.0)
    p.feed(garbage[::-1], 0.0)


@given(st.binary(max_size=400), st.binary(max_size=400))
def test_a_good_frame_survives_any_garbage_around_it(before, after):
    p = CarescapeParser()
    items = p.feed(before + phdb_frame() + after, 0.0)
    assert 97.5 in values(items, "spo2")


# --- record layout -------------------------------------------------------------------------------------------------

def test_header_is_40_packed_little_endian_bytes():
    assert HEADER.size == 40
    record = encode_record(MT_WAVE, [(8, b"\x00" * 6), (9, b"\x00" * 10)], r_time=0x01020304, dri_level=0x0B, r_nbr=7)
    assert struct.unpack_from("<h", record, 0)[0] == len(record) == 40 + 16
    assert record[2] == 7 and record[3] == 0x0B
    assert record[6:10] == bytes([4, 3, 2, 1])
    assert struct.unpack_from("<h", record, 14)[0] == MT_WAVE
    assert record[16:22] == bytes([0, 0, 8, 6, 0, 9]) and record[24] == 0xFF
    h = decode_header(record)
    assert (h.maintype, h.r_time, h.dri_level, h.subrecords) == (MT_WAVE, 0x01020304, 0x0B, ((0, 8), (6, 9)))


def test_basic_class_offsets():
    block = encode_basic(GOOD)
    assert len(block) == CLASS_LEN

    def at(offset):
        return struct.unpack_from("<h", block, offset)[0]

    assert (at(6), at(14)) == (71, 13)
    assert (at(78), at(80), at(82), at(84)) == (12150, 7800, 9250, 70)
    assert (at(124), at(126)) == (9750, 72)
    assert (at(138), at(142), at(144)) == (500, 14, 7600)


def test_physiological_subrecord_is_278_bytes_with_the_class_in_bits_8_to_11():
    sub = encode_subrecord(T0, bytes(CLASS_LEN), CLASS_EXT1)
    assert len(sub) == SUBRECORD_LEN
    assert struct.unpack_from("<I", sub, 0)[0] == T0
    assert struct.unpack_from("<H", sub, 276)[0] == 0x0100


# --- values --------------------------------------------------------------------------------------------------------

def test_displayed_values_in_their_units_with_device_time():
    items = CarescapeParser().feed(phdb_frame(), 123.0)
    s = by_param(items)
    assert {p: s[p].value for p in ("heart_rate", "spo2", "pulse_rate", "etco2", "resp_rate")} == \
        {"heart_rate": 71, "spo2": 97.5, "pulse_rate": 72, "etco2": 38.0, "resp_rate": 14}
    assert s["etco2"].unit == "mm[Hg]" and s["spo2"].unit == "%"
    assert all(i.t == 123.0 and i.t_dev == T0 for i in of(items, Sample))
    [info] = of(items, DeviceInfo)
    assert info.model.startswith("GE") and info.firmware == "DRI level 2009"


def test_etco2_uses_the_ambient_pressure():
    items = CarescapeParser().feed(phdb_frame(Basic(co2_et=600, co2_amb_press=7000)), 0.0)
    assert values(items, "etco2") == [pytest.approx(600 * 7000 * 1e-5)]


@pytest.mark.parametrize("raw, flag", [*MARKERS.items(), (-32001, "marker"), (-32768, "marker")])
def test_a_marker_is_never_a_value(raw, flag):
    p = CarescapeParser()
    p.feed(phdb_frame(), 0.0)  # every optional parameter has been seen
    b = Basic(ecg_hr=raw, ecg_imp_rr=raw, spo2=raw, spo2_pr=raw, co2_et=raw, co2_rr=raw, co2_amb_press=7600)
    s = by_param(p.feed(phdb_frame(b), 1.0))
    for param in ("heart_rate", "spo2", "pulse_rate", "etco2", "resp_rate"):
        assert s[param].value is None and s[param].flags == {flag}, param


def test_markers_in_the_pleth_are_nan():
    [seg] = of(CarescapeParser().feed(wave_frame([5, INVALID, -32763, 7]), 9.0), WaveSegment)
    assert (seg.param, seg.rate, seg.t, seg.source) == ("pleth", 100.0, 9.0, "pulseox")
    assert seg.values[0] == 5 and math.isnan(seg.values[1]) and math.isnan(seg.values[2]) and seg.values[3] == 7


def test_optional_parameters_appear_once_measured():
    p = CarescapeParser()
    first = by_param(p.feed(phdb_frame(Basic(spo2=9600, spo2_pr=70)), 0.0))
    assert set(first) == {"spo2", "pulse_rate"}
    assert first["spo2"].value == 96
    p.feed(phdb_frame(GOOD), 1.0)
    later = by_param(p.feed(phdb_frame(Basic(spo2=9600, spo2_pr=70)), 2.0))
    assert later["etco2"].value is None and later["heart_rate"].value is None


def test_resp_rate_falls_back_to_ecg_impedance():
    items = CarescapeParser().feed(phdb_frame(Basic(ecg_imp_rr=18)), 0.0)
    assert values(items, "resp_rate") == [18]


def test_the_basic_block_is_found_by_its_class_bits_not_its_position():
    ext_first = [(PH_DISPL, encode_subrecord(T0, b"\x55" * CLASS_LEN, CLASS_EXT1)),
                 (PH_DISPL, encode_subrecord(T0, encode_basic(GOOD), CLASS_BASIC))]
    items = CarescapeParser().feed(encode_frame(encode_record(MT_PHDB, ext_first, r_time=T0)), 0.0)
    assert values(items, "spo2") == [97.5]


def test_a_subrecord_outside_the_record_is_counted():
    record = bytearray(encode_record(MT_PHDB, [(PH_DISPL, encode_subrecord(T0, encode_basic(GOOD), CLASS_BASIC))]))
    p = CarescapeParser()
    assert of(p.feed(encode_frame(bytes(record[:-10])), 0.0), Sample) == []
    assert p.errors["bad subrecord"] == 1


def test_an_impossible_value_is_gated():
    items = CarescapeParser().feed(phdb_frame(Basic(spo2=15000)), 0.0)
    [s] = [i for i in of(items, Sample) if i.param == "spo2"]
    assert s.value is None and "implausible" in s.flags


@given(st.integers(7000, 10000), st.integers(30, 200), st.integers(0, 1500), st.integers(6000, 8000))
def test_values_round_trip(spo2, pr, et, amb):
    items = CarescapeParser().feed(phdb_frame(Basic(spo2=spo2, spo2_pr=pr, co2_et=et, co2_amb_press=amb)), 0.0)
    assert values(items, "spo2") == [spo2 / 100] and values(items, "pulse_rate") == [pr]
    if et:
        assert values(items, "etco2") == [pytest.approx(et * amb * 1e-5, abs=0.01)]


# --- NIBP: one report per measurement -----------------------------------------------------------------------------

def nibp(sys_=12100, dia=7900, mean=9300, hr=70, label=0):
    return Basic(nibp_sys=sys_, nibp_dia=dia, nibp_mean=mean, nibp_hr=hr, nibp_label=label)


def test_nibp_is_reported_once_per_measurement():
    p = CarescapeParser()
    feed = [p.feed(phdb_frame(b), float(i)) for i, b in enumerate([
        nibp(),  # 0: a fresh reading when the link starts
        nibp(),  # 1: the same reading a second later
        nibp(label=NIBP_MEASURING),  # 2: the monitor measures
        nibp(label=NIBP_MEASURING),  # 3
        nibp(),  # 4: done, by chance the same numbers: a new measurement
        nibp(),  # 5
        nibp(13000, 8500, 10000, 75),  # 6: new numbers without the measuring bit: also a new one
        nibp(13000, 8500, 10000, 75, NIBP_OLD),  # 7: the same reading, now older than 60 s
    ])]
    results = [(i, r.sbp, r.dbp, r.map, r.pulse_rate) for i, items in enumerate(feed) for r in of(items, NibpResult)]
    assert results == [(0, 121, 79, 93, 70), (4, 121, 79, 93, 70), (6, 130, 85, 100, 75)]
    assert [i for i, items in enumerate(feed) if values(items, "sbp")] == [0, 4, 6]
    assert [(i, n.code) for i, items in enumerate(feed) for n in of(items, DeviceNotice)] == [(2, "nibp_started")]
    assert all(r.source == "pulseox" for items in feed for r in of(items, NibpResult))


def test_a_measurement_without_numbers_fails_until_the_next_good_one():
    p = CarescapeParser()
    p.feed(phdb_frame(nibp(label=NIBP_MEASURING)), 0.0)
    failed = p.feed(phdb_frame(nibp(INVALID, INVALID, INVALID, INVALID)), 1.0)
    [r] = of(failed, NibpResult)
    assert r.sbp is None and r.error == NO_READING
    assert [(c.condition, c.active) for c in of(failed, StatusChange)] == [(Condition.NIBP_FAILED, True)]
    assert of(p.feed(phdb_frame(nibp(INVALID, INVALID, INVALID, INVALID)), 2.0), NibpResult) == []
    p.feed(phdb_frame(nibp(label=NIBP_MEASURING)), 3.0)
    ok = p.feed(phdb_frame(nibp()), 4.0)
    assert of(ok, NibpResult)[0].sbp == 121
    assert [(c.source, c.condition, c.active) for c in of(ok, StatusChange)] == [("pulseox", Condition.NIBP_FAILED, False)]
    assert [(c.source, c.active) for c in p.reset(5.0)] == []


def test_an_old_reading_at_the_start_is_flagged_and_is_no_result():
    p = CarescapeParser()
    items = p.feed(phdb_frame(nibp(label=NIBP_OLD)), 0.0)
    assert of(items, NibpResult) == []
    sbp = [i for i in of(items, Sample) if i.param == "sbp"][0]
    assert sbp.value == 121 and sbp.flags == AGE_UNKNOWN
    assert values(p.feed(phdb_frame(nibp(label=NIBP_OLD)), 1.0), "sbp") == []


def test_reset_ends_a_failed_nibp_and_starts_clean():
    p = CarescapeParser()
    p.feed(phdb_frame(nibp(label=NIBP_MEASURING)), 0.0)
    p.feed(phdb_frame(nibp(INVALID, INVALID, INVALID, INVALID)), 1.0)
    ended = p.reset(2.0)
    assert [(c.source, c.condition, c.active) for c in ended] == [("pulseox", Condition.NIBP_FAILED, False)]
    assert of(p.feed(phdb_frame(nibp()), 3.0), NibpResult)  # the first reading of the new link


def test_whatever_the_role_every_parameter_comes_under_its_one_source():
    p = registry.get("carescape").parser("nibp")
    items = p.feed(phdb_frame(GOOD) + wave_frame([1, 2, 3]), 0.0)
    assert {i.param for i in of(items, Sample)} == {"heart_rate", "spo2", "pulse_rate", "etco2", "resp_rate", "sbp",
                                                    "dbp", "map", "nibp_pulse_rate"}
    assert {i.source for i in items} == {"nibp"} and of(items, WaveSegment)
    assert p.waveform_rate == 100.0


# --- driver: requests on a scripted port --------------------------------------------------------------------------

def link_with(port_pairs):
    items = []
    port = ScriptedPort(port_pairs)
    link = Link(registry.get("carescape").parser("pulseox"), CarescapeDriver(), items.append, wallclock=lambda: 50.0)
    return link, port, items


def test_open_requests_values_and_pleth_then_again_after_silence():
    replies = phdb_frame() + wave_frame([10] * 100)
    link, port, items = link_with([(DISPLAYED_VALUES + PLETH_WAVE, replies), (DISPLAYED_VALUES + PLETH_WAVE, b"")])
    link.opened(port, now=0.0)
    link.received(port, port.read(10_000), now=0.5)
    assert values(items, "spo2") == [97.5] and of(items, WaveSegment)
    for now in (1.0, 2.0, 3.0, 4.0, 5.0):
        link.idle(port, now)  # data 0.5 s ago: nothing to send yet
    assert len(port.written) == 1
    link.idle(port, 0.5 + REQUEST_AGAIN_S)  # silent for 5 s: ask again
    link.idle(port, 0.5 + REQUEST_AGAIN_S + 1.0)  # and not again at once
    port.assert_done()


def test_values_without_pleth_ask_for_the_pleth_alone():
    link, port, items = link_with([(DISPLAYED_VALUES + PLETH_WAVE, b""), (PLETH_WAVE, b"")])
    link.opened(port, now=0.0)
    for now in (1.0, 2.0, 3.0, 4.0, 5.0):
        link.received(port, phdb_frame(), now)
        link.idle(port, now)
    port.assert_done()


def test_the_driver_never_starts_a_measurement():
    d = CarescapeDriver()
    assert not d.supports("nibp_start")
    with pytest.raises(ValueError):
        d.command("nibp_start", 0.0)
    assert (d.probe_query(), d.probe_restore()) == (VALUES_ONCE, STOP_DISPLAYED_VALUES)


# --- simulator ------------------------------------------------------------------------------------------------------

def run(sim, seconds, host=b"", start=0.0, patient=None):
    patient = patient or Patient("baseline")
    out = sim.receive(host, patient.step(start)) if host else b""
    t = start
    while t < start + seconds:
        out += sim.frame(patient.step(t))
        t += sim.frame_interval
    return out


def test_the_simulator_is_silent_until_asked_then_streams():
    sim = CarescapeSimulator(epoch=T0)
    assert run(sim, 3) == b""
    out = run(sim, 3, DISPLAYED_VALUES + PLETH_WAVE, start=3.0)
    assert sim.requests == [PhdbRequest(PH_DISPL, 1, 0x0E), WaveRequest(0, (8,))]
    p = CarescapeParser()
    items = p.feed(out, 0.0)
    assert len(values(items, "spo2")) == 3 and len(of(items, WaveSegment)) == 3
    assert {i.t_dev for i in of(items, Sample)} == {T0 + 3, T0 + 4, T0 + 5}
    assert p.frames == 6 and not p.errors
    assert all(len(s.values) == 100 for s in of(items, WaveSegment))


def test_the_simulator_stops_when_told_and_answers_a_single_request():
    sim = CarescapeSimulator(epoch=T0)
    run(sim, 2, DISPLAYED_VALUES)
    assert run(sim, 3, STOP_DISPLAYED_VALUES, start=2.0) == b""
    once = sim.receive(VALUES_ONCE, Patient("baseline").step(5.0))
    assert values(CarescapeParser().feed(once, 0.0), "spo2")
    assert run(sim, 3, start=6.0) == b""


def test_a_restarted_simulator_forgets_the_requests():
    sim = CarescapeSimulator(epoch=T0)
    assert run(sim, 3, DISPLAYED_VALUES)
    assert run(sim, 3, start=20.0) == b""  # 17 s without a frame: it restarted


def test_the_simulated_monitor_measures_nibp_every_five_minutes():
    sim = CarescapeSimulator(epoch=T0)
    p = CarescapeParser()
    patient = Patient("hypertension")
    items = p.feed(run(sim, NIBP_INTERVAL_S + MEASURE_S + 5, DISPLAYED_VALUES, patient=patient), 0.0)
    results = of(items, NibpResult)
    assert len(results) == 2 and results[1].sbp > results[0].sbp + 30
    assert [n.code for n in of(items, DeviceNotice)] == ["nibp_started"]


def test_simulator_to_parser_through_the_driver_recovers_from_a_restart():
    sim, drv, p = CarescapeSimulator(epoch=T0), CarescapeDriver(), CarescapeParser()
    drv.source = "pulseox"
    patient = Patient("baseline")
    got: list[float] = []
    out = sim.receive(drv.on_open(0.0), patient.step(0.0))
    t = 0.0
    while t < 40.0:
        if 10.0 <= t < 15.0:
            t += 1.0  # the monitor is off for 5 s and restarts
            continue
        v = patient.step(t)
        out += sim.frame(v)
        if out:  # as the link: the driver hears of every read
            items = p.feed(out, t)
            got += [i.t_dev - T0 for i in of(items, Sample) if i.param == "spo2"]
            drv.on_items(items, t)
        request = drv.poll(t)
        out = sim.receive(request, v) if request else b""
        t += 1.0
    assert max(got) >= 35 and any(0 <= g < 10 for g in got)
    assert len([r for r in sim.requests if isinstance(r, PhdbRequest)]) == 2
