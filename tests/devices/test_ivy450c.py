"""Ivy 450C ANSAR-B parser from the lines seen in DEVICES.md, split messages, garbage, round trip, simulator."""

from dataclasses import replace

import pytest
from hypothesis import given, strategies as st

from devices import registry
from devices.ivy450c import (AGE_UNKNOWN, MAX_TEXT, PAD, WAVE_BYTES, Ivy450cParser, Ivy450cSimulator, Nibp, encode_message, hr_line,
                             nibp_line, pleth_bytes, rr_line, spo2_line)
from devices.sim.physiology import Patient, Vitals
from devices.values import Condition, NibpResult, Sample, StatusChange
from items import values
from devices.values import WaveSegment

SEEN = ["HR=1;80;ECG-II-DIAG;", "SPO2=1;100;PR=80 ;", "NIBP=4;121;75;92;80;;"]
MSG = encode_message(SEEN, pleth=[86, 136, 186, PAD])




def numerics(items):
    return {p: values(items, p) for p in ("spo2", "pulse_rate", "resp_rate", "sbp", "dbp", "map", "nibp_pulse_rate")}


def results(items):
    return [(r.source, r.sbp, r.dbp, r.map, r.pulse_rate) for r in items if isinstance(r, NibpResult)]


def changes(items):
    return [(i.source, i.condition, i.active, i.detail) for i in items if isinstance(i, StatusChange)]


def test_seen_lines_decode_under_the_one_source_of_the_monitor():
    p = Ivy450cParser("pulseox")
    assert results(p.feed(MSG, t=9.0)) == []  # a BP line counts once a second message repeats it
    items = p.feed(MSG, t=10.0)
    assert numerics(items) == {"spo2": [100.0], "pulse_rate": [80.0], "resp_rate": [], "sbp": [121.0], "dbp": [75.0],
                               "map": [92.0], "nibp_pulse_rate": [80.0]}
    assert values(items, "heart_rate") == [80.0]  # the ECG HR line
    assert {i.source for i in items} == {"pulseox"}
    assert results(items) == [("pulseox", 121.0, 75.0, 92.0, 80.0)]
    assert changes(items) == [] and not p.errors
    assert {i.flags for i in items if isinstance(i, Sample) and i.param in ("sbp", "dbp")} == {AGE_UNKNOWN}


def test_pleth_is_byte_minus_86_padding_none_timed_over_the_second():
    items = Ivy450cParser().feed(MSG, t=10.0)
    [segment] = [i for i in items if isinstance(i, WaveSegment)]
    assert values(items, "pleth") == [0.0, 50.0, 100.0] + [None] * 47
    assert segment.t == 10.0 and segment.rate == 50.0  # the last sample at receive time, 1/50 s apart
    assert Ivy450cParser().waveform_rate == 50.0


def test_nibp_role_gets_every_parameter_under_its_source():
    p = Ivy450cParser("nibp")
    items = p.feed(MSG + MSG, 0.0)
    assert {i.param for i in items if isinstance(i, Sample)} >= {"spo2", "pulse_rate", "sbp", "dbp", "map"}
    assert len(values(items, "pleth")) == 100 and {i.source for i in items} == {"nibp"}
    assert results(items) == [("nibp", 121.0, 75.0, 92.0, 80.0)]


def test_nibp_reported_only_when_counter_or_values_change():
    p = Ivy450cParser()
    assert len(results(p.feed(MSG + MSG, 0.0))) == 1
    same = encode_message(["NIBP=4;121;75;92;80;ADULT;"])
    assert results(p.feed(same, 1.0)) == []  # label alone is no new measurement
    items = p.feed(encode_message(["NIBP=5;121;75;92;80;;"]) * 2, 2.0)
    assert results(items) == [("pulseox", 121.0, 75.0, 92.0, 80.0)]
    assert {i.flags for i in items if isinstance(i, Sample)} == {frozenset()}  # a new one is not of unknown age
    assert results(p.feed(encode_message(["NIBP=5;130;75;92;80;;"]), 3.0)) == []  # one message: a corrupted digit?
    assert results(p.feed(encode_message(["NIBP=5;121;75;92;80;;"]), 4.0)) == []  # it was: the same again
    assert results(p.feed(encode_message(["NIBP=5;130;75;92;80;;"]) * 2, 5.0)) == [("pulseox", 130.0, 75.0, 92.0, 80.0)]


def test_empty_fields_are_none_never_numbers():
    p = Ivy450cParser()
    items = p.feed(encode_message(["SPO2=1;;PR= ;", "RR=1;;;", "NIBP=6;;;;;;"]), 0.0)
    assert values(items, "spo2") == [None] and values(items, "pulse_rate") == [None]
    assert values(items, "resp_rate") == [None]
    assert results(items) == [] and values(items, "sbp") == []  # no measurement yet
    items = p.feed(encode_message(["NIBP=7;118;;;;;"]) * 2, 1.0)
    assert results(items) == [("pulseox", 118.0, None, None, None)]
    assert not p.errors


def test_hr_line_is_ignored_and_rr_is_read():
    items = Ivy450cParser().feed(encode_message(["HR=1;80;ECG-II-DIAG;", "RR=1;14;IMP;"]), 0.0)
    assert numerics(items)["pulse_rate"] == [] and values(items, "resp_rate") == [14.0]


@pytest.mark.parametrize("line, error", [
    ("SPO2=1;9x;PR=80 ;", "bad SPO2"),
    ("SPO2=1;101;PR=80 ;", "implausible spo2"),
    ("SPO2=1;-5;PR=80 ;", "bad SPO2"),
    ("SPO2=1;1e2;PR=80 ;", "bad SPO2"),
])
def test_garbage_numbers_are_none_and_counted(line, error):
    p = Ivy450cParser()
    items = p.feed(encode_message([line]), 0.0)
    assert values(items, "spo2") == [None] and values(items, "pulse_rate") == [80.0]
    assert p.errors == {error: 1}


def test_pulse_rate_without_pr_label_is_none_and_counted():
    p = Ivy450cParser()
    assert values(p.feed(encode_message(["SPO2=1;97;80;"]), 0.0), "pulse_rate") == [None]
    assert p.errors == {"bad SPO2": 1}


def test_device_alarm_texts_of_every_line_become_one_condition():
    p = Ivy450cParser()
    items = p.feed(encode_message(["SPO2=1;85;PR=80 ;SPO2 LOW", "NIBP=4;190;110;137;80;;SYS HIGH"]), 0.0)
    assert changes(items) == [("pulseox", Condition.DEVICE_ALARM, True, "SPO2: SPO2 LOW; NIBP: SYS HIGH")]
    assert values(items, "spo2") == [85.0]
    items = p.feed(encode_message(["SPO2=1;95;PR=80 ;", "NIBP=4;190;110;137;80;;"]), 1.0)
    assert changes(items) == [("pulseox", Condition.DEVICE_ALARM, False, "")]


def test_messages_split_at_every_offset_give_the_same_values():
    second = encode_message(["SPO2=1;97;PR=72 ;", "RR=1;16;;", "NIBP=5;118;76;90;71;;"])
    stream = MSG * 2 + second * 2
    for cut in range(len(stream) + 1):
        p = Ivy450cParser()
        items = p.feed(stream[:cut], 0.0) + p.feed(stream[cut:], 0.0)
        assert values(items, "spo2") == [100.0, 100.0, 97.0, 97.0]
        assert results(items) == [("pulseox", 121.0, 75.0, 92.0, 80.0), ("pulseox", 118.0, 76.0, 90.0, 71.0)]
        assert len(values(items, "pleth")) == 200 and not p.errors


def test_garbage_a_bad_header_and_a_cut_message_are_skipped_and_counted():
    p = Ivy450cParser()
    stream = b"\x00\x13xyz" + b"\xffANSAR-X" + MSG[:300] + MSG + b"\xffANSAR-B " + bytes(500) + b"\x01" * 1200 + MSG
    items = p.feed(stream, 0.0)
    assert values(items, "spo2") == [100.0, 100.0]
    after_overlong = 500 + 1200 - (WAVE_BYTES + MAX_TEXT + 1)
    assert p.errors == {"garbage byte": 5 + after_overlong, "bad header": 1, "short message": 1, "overlong message": 1}


def test_overlong_and_unterminated_lines_are_dropped_and_counted():
    p = Ivy450cParser()
    msg = encode_message(["SPO2=1;" + "9" * 200 + ";PR=80 ;", "RR=1;12;;"])[:-1] + b"SPO2=1;90;PR=60 ;\xfe"
    items = p.feed(msg, 0.0)
    assert values(items, "spo2") == [] and values(items, "resp_rate") == [12.0]
    assert p.errors == {"overlong line": 1, "unterminated line": 1}


@given(st.lists(st.binary(max_size=120), max_size=5))
def test_never_raises_on_noise_between_good_messages(noises):
    p = Ivy450cParser()
    items = p.feed(b"".join(noise + MSG for noise in noises), 0.0)
    assert len(values(items, "spo2")) <= len(noises)
    assert set(values(items, "spo2")) <= {100.0}


@given(st.binary(max_size=1500))
def test_never_raises_on_any_bytes(data):
    p = Ivy450cParser()
    p.feed(data, 0.0)
    p.feed(b"\xffANSAR-B " + bytes(data[:450]), 0.0)
    assert values(p.feed(MSG, 1.0), "spo2") == [100.0]


opt = st.none() | st.integers(0, 100)
bp = st.none() | st.integers(0, 350)


@given(spo2=opt, pr=st.none() | st.integers(0, 400), rr=st.none() | st.integers(0, 200),
       nibp=st.builds(Nibp, counter=st.integers(0, 999).map(str), sbp=st.integers(0, 350), dbp=bp, map=bp,
                      pulse_rate=st.none() | st.integers(0, 400)),
       pleth=st.lists(st.none() | st.integers(-86, 164), max_size=50))
def test_encoder_and_parser_round_trip(spo2, pr, rr, nibp, pleth):
    msg = encode_message([hr_line(70), spo2_line(spo2, pr), rr_line(rr), nibp_line(nibp)], pleth=pleth_bytes(pleth))
    p = Ivy450cParser()
    p.parse(msg, 0.0)
    items = p.parse(msg, 0.0)  # the codec, before the gate; a BP line counts once a second message repeats it
    assert (values(items, "spo2"), values(items, "pulse_rate"), values(items, "resp_rate")) == ([spo2], [pr], [rr])
    assert results(items) == [("pulseox", nibp.sbp, nibp.dbp, nibp.map, nibp.pulse_rate)]
    assert values(items, "pleth") == [None if v is None else float(v) for v in pleth] + [None] * (50 - len(pleth))
    assert not p.errors


def test_encoder_refuses_what_the_device_cannot_send():
    with pytest.raises(ValueError):
        encode_message([], pleth=[0] * 51)
    with pytest.raises(ValueError):
        encode_message([], ecg=[0xFE])
    with pytest.raises(ValueError):
        encode_message(["SPO2=1\r;"])


def test_simulator_output_parses_back_to_the_vitals():
    sim, p, patient = Ivy450cSimulator(), Ivy450cParser(), Patient("baseline")
    for t in range(4):
        v = patient.step(float(t))
        v0 = v if t == 0 else v0
        items = p.feed(sim.frame(v), float(t))
        assert values(items, "spo2") == [round(v.spo2)] and values(items, "pulse_rate") == [round(v.pulse_rate)]
        assert values(items, "resp_rate") == [v.resp_rate]
        pleth = values(items, "pleth")
        assert len(pleth) == 50 and all(x is not None and 0 <= x <= 164 for x in pleth) and max(pleth) > 50
        assert results(items) == ([("pulseox", round(v0.sbp), round(v0.dbp), round(v0.map), round(v0.pulse_rate))]
                                  if t == 1 else [])  # measured at t = 0, repeated at t = 1
        assert not p.errors


def test_simulator_takes_a_new_nibp_every_five_minutes_and_blanks_spo2_on_probe_off():
    sim, p = Ivy450cSimulator(), Ivy450cParser()
    base = Vitals(t=0.0, spo2=96.0, pulse_rate=70.0, perfusion_index=2.5, pleth=0.5, sbp=120, dbp=80, resp_rate=14)
    p.feed(sim.frame(base), 0.0)
    assert results(p.feed(sim.frame(replace(base, t=299.0, sbp=150)), 299.0)) == [("pulseox", 120.0, 80.0, 93.0, 70.0)]
    off = replace(base, sbp=150, probe_off=True, spo2=None, pulse_rate=None)
    assert results(p.feed(sim.frame(replace(off, t=300.0)), 300.0)) == []  # a new measurement, in one message yet
    items = p.feed(sim.frame(replace(off, t=301.0)), 301.0)
    assert results(items) == [("pulseox", 150.0, 80.0, round(80 + 70 / 3), None)]
    assert values(items, "spo2") == [None] and values(items, "pulse_rate") == [None]
    assert set(values(items, "pleth")) == {None}


def test_registered_for_both_roles():
    spec = registry.get("ivy450c")
    assert spec.roles == {"pulseox", "nibp"} and spec.settings.baudrate == 9600
    assert not spec.driver().supports("nibp_start")
