"""Masimo ASCII parser from the lines seen in DEVICES.md, line splitting, noise, round trip, simulator."""

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from devices.masimo import MasimoParser, MasimoSimulator, encode_line, format_number, radical7_fields
from devices.sim.physiology import Patient, Vitals
from devices.values import Condition, DeviceInfo, Sample, StatusChange
from items import values

UTC = timezone.utc
RAD7 = b"02/22/16 22:47:45 SN=0000056661 SPO2=098% BPM=097 PI=03.60% SPCO=--.-% SPMET=--.-% DESAT=-- PIDELTA=+-- ALARM=0000 EXC=000800\r\n"
DASHES = b"05/15/07 08:12:21 SN=0000070986 SPO2=---% BPM=--- PI=--.--% SPCO=--.-% SPMET=--.-% DESAT=-- PIDELTA=+-- PVI=--- ALARM=0000 EXC=000000\r\n"
RAD97 = (b"03/17/16 19:19:36 SN=---------- SPO2=098% BPM=123 PI=00.55 SPCO=--% SPMET=--.-% SPHB=--.- SPOC=-- RESVD=--- "
         b"DESAT=-- PIDELTA=+-- PVI=--- ALARM=000000 EXC=0000C00 EXC1=00000000\r\n")


def parser() -> MasimoParser:
    return MasimoParser(tz=UTC)


def confirmed(raw: bytes, t: float) -> list:
    """Return the items of a line read after the same line a second earlier: its values are confirmed.

    The first reading of a stream is questionable until a second one agrees
    (devices.plausibility.Consistency); these tests are about what one line says.
    """
    p = parser()
    p.feed(raw, t - 1.0)
    return p.feed(raw, t)




def vitals(items):
    return [(values(items, p)) for p in ("spo2", "pulse_rate", "perfusion_index")]


def changes(items):
    return [(i.condition, i.active, i.detail) for i in items if isinstance(i, StatusChange)]


def infos(items):
    return [(i.model, i.serial_number) for i in items if isinstance(i, DeviceInfo)]


def line(spo2="098%", exc="000000", alarm="0000", when=datetime(2024, 5, 6, 7, 8, 9)) -> bytes:
    return encode_line(when, {"SN": "0000056661", "SPO2": spo2, "BPM": "097", "PI": "03.60%", "ALARM": alarm, "EXC": exc})


def test_radical7_line_from_devices_md():
    assert infos(parser().feed(RAD7, t=99.0)) == [("Masimo", "0000056661")]
    items = confirmed(RAD7, t=100.0)
    assert vitals(items) == [[98.0], [97.0], [3.6]]
    assert changes(items) == []  # 0x800 SET mode is informational
    samples = [i for i in items if isinstance(i, Sample)]
    assert [s.unit for s in samples] == ["%", "/min", "%"]
    assert all(s.t == 100.0 and s.source == "pulseox" and s.flags == frozenset() for s in samples)
    assert all(s.t_dev == datetime(2016, 2, 22, 22, 47, 45, tzinfo=UTC).timestamp() for s in samples)


def test_dash_values_are_none_never_numbers():
    items = parser().feed(DASHES, t=1.0)
    assert vitals(items) == [[None], [None], [None]]
    assert infos(items) == [("Masimo", "0000070986")]
    assert values(items, "spo2") == [None]
    assert [i.t_dev for i in items if isinstance(i, Sample)] == [datetime(2007, 5, 15, 8, 12, 21, tzinfo=UTC).timestamp()] * 3


def test_rad97_line_with_seven_digit_exc_and_unknown_serial():
    items = parser().feed(RAD97, t=2.0)
    assert vitals(items) == [[98.0], [123.0], [0.55]]
    assert infos(items) == [("Masimo", "")]
    assert changes(items) == [(Condition.LOW_PERFUSION, True, "low signal IQ")]
    items = confirmed(RAD97, t=2.0)
    assert all(i.flags == {"low_perfusion"} for i in items if isinstance(i, Sample))


def test_device_clock_is_read_in_the_given_zone():
    plus2 = timezone(timedelta(hours=2))
    [s, *_] = MasimoParser(tz=plus2).feed(RAD7, 0.0)[1:]
    assert s.t_dev == datetime(2016, 2, 22, 20, 47, 45, tzinfo=UTC).timestamp()
    local = [i for i in MasimoParser().feed(RAD7, 0.0) if isinstance(i, Sample)][0]
    assert local.t_dev == datetime(2016, 2, 22, 22, 47, 45).timestamp()


def test_serial_number_reported_only_when_first_seen_or_changed():
    p = parser()
    assert infos(p.feed(RAD7 + RAD7, 0.0)) == [("Masimo", "0000056661")]
    assert infos(p.feed(DASHES + DASHES + RAD7, 0.0)) == [("Masimo", "0000070986"), ("Masimo", "0000056661")]


@pytest.mark.parametrize("exc, cond, detail", [
    ("000001", Condition.PROBE_OFF, "no sensor"),
    ("000020", Condition.PROBE_OFF, "sensor off"),
    ("000021", Condition.PROBE_OFF, "no sensor, sensor off"),
    ("000002", Condition.SENSOR_FAULT, "defective sensor"),
    ("000080", Condition.SENSOR_FAULT, "unrecognised sensor"),
    ("000008", Condition.SEARCHING, "pulse search"),
])
def test_value_blocking_exc_bits_blank_the_numbers(exc, cond, detail):
    p = parser()
    items = p.feed(line(exc=exc), 0.0)
    assert changes(items) == [(cond, True, detail)]
    assert vitals(items) == [[None], [None], [None]]
    items = p.feed(line(exc="000800"), 1.0)
    assert changes(items) == [(cond, False, "")]
    assert vitals(items) == [[98.0], [97.0], [3.6]]


@pytest.mark.parametrize("exc, cond, detail, flags", [
    ("000010", Condition.ARTIFACT, "interference", {"questionable", "artifact"}),
    ("000050", Condition.ARTIFACT, "interference, ambient light", {"questionable", "artifact"}),
    ("000004", Condition.LOW_PERFUSION, "low perfusion", {"low_perfusion"}),  # still able to alarm
    ("000404", Condition.LOW_PERFUSION, "low perfusion, low signal IQ", {"low_perfusion"}),
])
def test_artifact_flags_values_questionable_and_low_perfusion_only_marks_them(exc, cond, detail, flags):
    assert changes(parser().feed(line(exc=exc), 0.0)) == [(cond, True, detail)]
    items = confirmed(line(exc=exc), 1.0)
    assert vitals(items) == [[98.0], [97.0], [3.6]]
    assert all(i.flags == flags for i in items if isinstance(i, Sample))


def test_device_alarm_on_off_and_detail():
    p = parser()
    assert changes(p.feed(line(alarm="00C0"), 0.0)) == [(Condition.DEVICE_ALARM, True, "device alarm 0xC0")]
    assert changes(p.feed(line(alarm="00C0"), 1.0)) == []
    assert changes(p.feed(line(alarm="0000"), 2.0)) == [(Condition.DEVICE_ALARM, False, "")]


def test_a_line_with_an_unreadable_field_is_not_used_at_all():
    """No checksum: a line whose EXC is unreadable may have other bytes corrupted too, and its values cannot be qualified."""
    p = parser()
    p.feed(line(exc="000020"), 0.0)
    items = p.feed(line(exc="0x0!20"), 1.0)
    assert items == [] and p.errors == {"bad EXC": 1, "malformed line": 1}
    assert changes(p.feed(line(), 2.0)) == [(Condition.PROBE_OFF, False, "")]  # the conditions stood meanwhile


@pytest.mark.parametrize("spo2", ["9x8%", "98.%", "-98%", "1e2"])
def test_a_corrupt_value_drops_its_line_and_is_counted(spo2):
    p = parser()
    assert p.feed(line(spo2=spo2), 0.0) == []
    assert p.errors["malformed line"] == 1


@pytest.mark.parametrize("raw", [RAD7.replace(b"BPM=097", b"BPM=0 97"), RAD7.replace(b"PI=", b"P\x00I="),
                                 RAD7.replace(b"SPCO=--.-%", b"SPCO=--\x9f-%"), RAD7.replace(b"SN=", b"SN\x3b")])
def test_a_byte_that_breaks_a_token_drops_the_line(raw):
    p = parser()
    assert p.feed(raw, 0.0) == []
    assert p.errors == {"malformed line": 1}


def test_an_impossible_value_is_none_and_counted():
    p = parser()
    assert values(p.feed(line(spo2="101%"), 0.0), "spo2") == [None]
    assert p.errors == {"SPO2 out of range": 1}


def test_lines_split_at_every_offset_give_the_same_values():
    stream = RAD7 + DASHES + RAD97
    for cut in range(len(stream) + 1):
        p = parser()
        items = p.feed(stream[:cut], 0.0) + p.feed(stream[cut:], 0.0)
        assert vitals(items) == [[98.0, None, 98.0], [97.0, None, 123.0], [3.6, None, 0.55]]
        assert not p.errors


@pytest.mark.parametrize("end", [b"\r\n", b"\n", b"\r", b"\n\r"])
def test_any_line_end_is_accepted(end):
    p = parser()
    items = p.feed(RAD7.replace(b"\r\n", end) + RAD97.replace(b"\r\n", end), 0.0)
    assert values(items, "pulse_rate") == [97.0, 123.0]
    assert not p.errors


def test_start_mid_line_garbage_and_bad_dates_are_skipped_and_counted():
    p = parser()
    stream = RAD7[40:] + b"\x00\xff\x13junk" + RAD97 + b"13/45/16 25:00:00 SPO2=090%\r\n" + b"x" * 2000 + b"\r\n" + RAD7
    items = p.feed(stream, 0.0)
    assert values(items, "pulse_rate") == [123.0, 97.0]
    assert p.errors == {"no date": 1, "garbage before date": 1, "bad date": 1, "overlong line": 1}


def test_a_lost_line_end_still_splits_records_at_each_date():
    p = parser()
    items = p.feed(RAD7.rstrip() + RAD97, 0.0)
    assert values(items, "pulse_rate") == [97.0, 123.0]
    assert [i.t_dev for i in items if isinstance(i, Sample) and i.param == "pulse_rate"] == [
        datetime(2016, 2, 22, 22, 47, 45, tzinfo=UTC).timestamp(), datetime(2016, 3, 17, 19, 19, 36, tzinfo=UTC).timestamp()]


def test_fields_are_read_by_name_in_any_order():
    head, *tokens = RAD7.decode().split(" ", 2)[2].split()
    shuffled = b"02/22/16 22:47:45 " + " ".join(reversed([head, *tokens])).encode() + b"\r\n"
    assert vitals(parser().feed(shuffled, 0.0)) == [[98.0], [97.0], [3.6]]
    assert vitals(parser().feed(b"02/22/16 22:47:45 pi=01.00% NEW=7 BPM=060\r\n", 0.0)) == [[], [60.0], [1.0]]


@given(st.lists(st.binary(max_size=80), max_size=6))
def test_never_raises_on_noise_between_good_lines(noises):
    p = parser()
    stream = b"".join(noise + RAD7 for noise in noises)
    items = p.feed(stream, 0.0)
    assert vitals(items) == [[98.0] * len(noises), [97.0] * len(noises), [3.6] * len(noises)]


@given(st.binary(max_size=600))
def test_never_raises_on_any_bytes(data):
    p = parser()
    p.feed(data, 0.0)
    p.feed(b"\r\n" + RAD7, 0.0)


def test_format_number_widths_seen_on_the_wire():
    assert format_number(98, 3, percent=True) == "098%"
    assert format_number(97, 3) == "097"
    assert format_number(3.6, 2, 2, percent=True) == "03.60%"
    assert format_number(None, 2, 2, percent=True) == "--.--%"
    assert format_number(None, 3) == "---"
    with pytest.raises(ValueError):
        format_number(1000, 3)
    with pytest.raises(ValueError):
        format_number(-1, 3)


def test_radical7_fields_reproduce_the_seen_line():
    fields = radical7_fields(98, 97, 3.6, serial="0000056661", exc=0x800)
    assert encode_line(datetime(2016, 2, 22, 22, 47, 45), fields) == RAD7


@given(spo2=st.none() | st.integers(0, 100), pulse=st.none() | st.integers(0, 400),
       pi=st.none() | st.integers(0, 9999).map(lambda n: n / 100),
       when=st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31)))
def test_encoder_and_parser_round_trip(spo2, pulse, pi, when):
    items = parser().parse(encode_line(when.replace(tzinfo=UTC), radical7_fields(spo2, pulse, pi)), 0.0)  # codec only
    assert vitals(items) == [[spo2], [pulse], [pi]]
    assert {i.t_dev for i in items if isinstance(i, Sample)} == {when.replace(microsecond=0, tzinfo=UTC).timestamp()}


def test_simulator_output_parses_back_to_the_vitals():
    start = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
    sim, p, patient = MasimoSimulator(start), parser(), Patient("baseline")
    for t in range(5):
        v = patient.step(float(t))
        items = p.feed(sim.frame(v), float(t))
        assert vitals(items) == [[round(v.spo2)], [round(v.pulse_rate)], [v.perfusion_index]]
        assert {i.t_dev for i in items if isinstance(i, Sample)} == {start.timestamp() + t}
        assert not [i for i in items if isinstance(i, StatusChange)]


def test_simulator_probe_off_and_artifact_become_conditions():
    sim, p = MasimoSimulator(datetime(2024, 3, 1, tzinfo=UTC)), parser()
    base = Vitals(t=0.0, spo2=96.0, pulse_rate=70.0, perfusion_index=2.5, pleth=0.5, sbp=120, dbp=80, resp_rate=14)
    assert infos(p.feed(sim.frame(base), 0.0)) == [("Masimo", MasimoSimulator.serial_number)]
    off = p.feed(sim.frame(replace(base, t=1.0, probe_off=True)), 1.0)
    assert changes(off) == [(Condition.PROBE_OFF, True, "sensor off")]
    assert vitals(off) == [[None], [None], [None]]
    moving = p.feed(sim.frame(replace(base, t=2.0, artifact=True)), 2.0)
    assert changes(moving) == [(Condition.PROBE_OFF, False, ""), (Condition.ARTIFACT, True, "interference")]
    assert vitals(moving) == [[96.0], [70.0], [2.5]]
