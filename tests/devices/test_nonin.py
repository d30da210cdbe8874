"""Nonin OEM III Data Format 2 from hand-made bytes (DEVICES.md), packets, conditions, garbage, round trip."""

from hypothesis import given, strategies as st

from devices import registry
from devices.nonin import (
    Frame, NoninParser, NoninSimulator, Perfusion, Status, decode, encode_frame, encode_packet, is_valid,
)
from devices.sim.physiology import Vitals
from devices.values import Condition, DeviceInfo, Sample, StatusChange
from items import same_stream, values

SYNC = bytes.fromhex("0181010083")
HR_LSB_72 = bytes.fromhex("01800148CA")
SPO2_97 = bytes.fromhex("01800161E3")
FIRMWARE_60 = bytes.fromhex("0180013CBE")
PLAIN = bytes.fromhex("0180010082")  # STATUS 0x80, pleth 1, FLOAT 0
BAD_CHECKSUM = bytes.fromhex("0181020000")
BIT7_CLEAR = bytes.fromhex("017F020082")
PACKET_72_97 = SYNC + HR_LSB_72 + SPO2_97 + FIRMWARE_60 + PLAIN * 21
FLAT = [100] * 25




def changes(items):
    return [(i.condition, i.active) for i in items if isinstance(i, StatusChange)]


def packet(hr=72, spo2=97, status=Status(), firmware=60):
    return encode_packet(FLAT, pulse_rate=hr, spo2=spo2, firmware=firmware, status=status)


def beat_statuses(beat: Status, frames=range(5, 17)):
    """Statuses of a packet with one beat indication on `frames`, nothing on the others."""
    return [beat if i in frames else Status() for i in range(25)]


def test_examples_from_devices_md_decode():
    assert all(is_valid(f) for f in (SYNC, HR_LSB_72, SPO2_97))
    assert decode(SYNC) == Frame(Status(sync=True), pleth=1, float_byte=0)
    assert decode(HR_LSB_72) == Frame(Status(), pleth=1, float_byte=72)
    assert decode(SPO2_97).float_byte == 97
    assert encode_frame(decode(SYNC)) == SYNC
    assert not is_valid(BAD_CHECKSUM)
    assert not is_valid(BIT7_CLEAR)


def test_single_frames_give_pleth_only():
    p = NoninParser()
    items = p.feed(SYNC + HR_LSB_72 + SPO2_97, t=5.0)
    assert values(items, "pleth") == [1.0, 1.0, 1.0]
    assert values(items, "pulse_rate") == values(items, "spo2") == []
    assert all(i.t == 5.0 and i.source == "pulseox" for i in items)
    assert not p.errors


def test_bad_checksum_is_counted_and_skipped():
    p = NoninParser()
    items = p.feed(BAD_CHECKSUM + HR_LSB_72, t=0.0)
    assert values(items, "pleth") == [1.0]
    assert p.errors["checksum"] == 1
    assert p.errors["garbage byte"] == 4


def test_status_bit_7_clear_is_rejected():
    p = NoninParser()
    items = p.feed(BIT7_CLEAR + HR_LSB_72, t=0.0)
    assert values(items, "pleth") == [1.0]
    assert p.errors["bad status"] == 1
    assert p.errors["garbage byte"] == 4


def test_hand_built_packet_gives_hr_72_spo2_97_when_complete():
    p = NoninParser()
    first = p.feed(PACKET_72_97[:-5], t=1.0)
    assert values(first, "pulse_rate") == values(first, "spo2") == []
    assert [i for i in first if isinstance(i, DeviceInfo)] == [DeviceInfo(1.0, "pulseox", "Nonin OEM III", "", "60")]
    last = p.feed(PACKET_72_97[-5:], t=1.3)
    assert values(last, "pulse_rate") == [72.0]
    assert values(last, "spo2") == [97.0]
    assert values(first + last, "pleth") == [1.0] * 25
    assert changes(first + last) == []
    assert not p.errors


def test_pulse_rate_above_127_uses_the_msb_frame():
    raw = packet(hr=300)
    assert (raw[3], raw[8]) == (0x02, 0x2C)  # FLOAT of frames 0 and 1
    assert values(NoninParser().feed(raw, 0.0), "pulse_rate") == [300.0]
    by_hand = bytes.fromhex("0181010184") + bytes.fromhex("0180010082") + SPO2_97 + PLAIN * 22
    assert values(NoninParser().feed(by_hand, 0.0), "pulse_rate") == [128.0]


def test_missing_values_511_127_are_none():
    items = NoninParser().feed(packet(hr=511, spo2=127), 0.0)
    assert values(items, "pulse_rate") == [None]
    assert values(items, "spo2") == [None]


def test_spo2_above_100_is_none_and_counted():
    p = NoninParser()
    assert values(p.feed(packet(spo2=120), 0.0), "spo2") == [None]
    assert p.errors["out of range"] == 1


def test_firmware_reported_once_and_again_when_changed():
    p = NoninParser()
    items = p.feed(packet() * 3 + packet(firmware=61), 0.0)
    assert [i.firmware for i in items if isinstance(i, DeviceInfo)] == ["60", "61"]


def test_sensor_disconnect_blocks_values_until_a_clean_packet():
    p = NoninParser()
    off = p.feed(packet(hr=511, spo2=127, status=Status(sensor_disconnect=True)), 1.0)
    assert changes(off) == [(Condition.PROBE_OFF, True)]
    assert set(values(off, "pleth")) == {None}
    assert values(off, "pulse_rate") == values(off, "spo2") == [None]
    # values the device sent in a packet with a disconnect frame are not trusted either
    mixed = p.feed(packet(status=[Status(sensor_disconnect=i == 24) for i in range(25)]), 2.0)
    assert values(mixed, "pulse_rate") == []  # still no value: nothing new to report
    on = p.feed(packet(), 3.0)
    assert changes(on) == [(Condition.PROBE_OFF, False)]
    assert values(on, "pulse_rate") == [72.0]


def test_out_of_track_and_sensor_alarm_are_conditions_that_block_values():
    p = NoninParser()
    items = p.feed(packet(status=[Status(out_of_track=i == 7, sensor_alarm=i == 9) for i in range(25)]), 0.0)
    assert sorted(changes(items)) == sorted([(Condition.SEARCHING, True), (Condition.SENSOR_FAULT, True)])
    assert values(items, "spo2") == [None]
    assert sorted(changes(p.feed(packet(), 1.0))) == sorted([(Condition.SEARCHING, False), (Condition.SENSOR_FAULT, False)])


def test_artifact_holds_between_beats_until_a_clean_beat():
    p = NoninParser()
    first = p.feed(packet(status=beat_statuses(Status(artifact=True, perfusion=Perfusion.GREEN))), 0.0)
    assert changes(first) == [(Condition.ARTIFACT, True)]
    assert values(first, "spo2") == [97.0]  # artifact flags a value, it does not block it
    assert all("artifact" in i.flags for i in first if isinstance(i, Sample) and i.param == "spo2")
    between = p.feed(packet(), 0.3)  # no beat in this packet: no news
    assert changes(between) == []
    assert values(between, "pulse_rate") == []  # the same value with the same flags: nothing new to report
    clean = p.feed(packet(status=beat_statuses(Status(perfusion=Perfusion.GREEN))), 0.6)
    assert changes(clean) == [(Condition.ARTIFACT, False)]
    assert ["artifact" in i.flags for i in clean if isinstance(i, Sample) and i.param == "pulse_rate"] == [False]


def test_red_perfusion_is_low_perfusion_yellow_is_not():
    p = NoninParser()
    red = p.feed(packet(status=beat_statuses(Status(perfusion=Perfusion.RED))), 0.0)
    assert changes(red) == [(Condition.LOW_PERFUSION, True)]
    assert ["low_perfusion" in i.flags for i in red if isinstance(i, Sample) and i.param == "spo2"] == [True]
    yellow = p.feed(packet(status=beat_statuses(Status(perfusion=Perfusion.YELLOW))), 1.0)
    assert changes(yellow) == [(Condition.LOW_PERFUSION, False)]


def test_conditions_do_not_flicker_with_frame_by_frame_bits():
    p = NoninParser()
    flicker = [Status(artifact=i % 2 == 0, perfusion=Perfusion.GREEN) for i in range(25)]
    items = p.feed(packet(status=flicker) * 6, 0.0)
    assert changes(items) == [(Condition.ARTIFACT, True)]


def test_floats_before_the_first_sync_are_not_interpreted():
    p = NoninParser()
    items = p.feed(PACKET_72_97[5:] + packet(hr=80, spo2=95), 0.0)  # starts at frame 1: HR LSB, SpO2 unread
    assert values(items, "pulse_rate") == [80.0]
    assert values(items, "spo2") == [95.0]
    assert len(values(items, "pleth")) == 24 + 25
    mid = NoninParser().feed(PACKET_72_97[7:] + packet(hr=80, spo2=95), 0.0)  # starts mid-frame 1
    assert values(mid, "pulse_rate") == [80.0]
    assert len(values(mid, "pleth")) == 23 + 25


def test_a_corrupt_frame_makes_the_index_unknown_until_the_next_sync():
    corrupt = bytearray(packet(hr=72, spo2=97))
    corrupt[9] ^= 0xFF  # checksum of frame 1 (HR LSB)
    p = NoninParser()
    items = p.feed(bytes(corrupt) + packet(hr=80, spo2=95), 0.0)
    assert values(items, "pulse_rate") == [80.0]  # never an MSB from one packet with another's LSB
    assert values(items, "spo2") == [95.0]
    assert p.errors["checksum"] == 1


def test_a_corrupt_frame_late_in_the_packet_keeps_its_values():
    corrupt = bytearray(packet(hr=72, spo2=97))
    corrupt[5 * 20 + 4] ^= 0x01
    items = NoninParser().feed(bytes(corrupt) + packet(hr=80, spo2=95), 0.0)
    assert values(items, "pulse_rate") == [72.0, 80.0]


def test_a_lost_sync_frame_loses_that_packets_values_only():
    stream = packet(hr=70) + packet(hr=71)[5:] + packet(hr=72)
    items = NoninParser().feed(stream, 0.0)
    assert values(items, "pulse_rate") == [70.0, 72.0]
    assert len(values(items, "pleth")) == 74


def test_packets_split_at_every_offset_give_the_same_values():
    stream = b"\x55\x01" + packet(hr=72, spo2=97) + packet(hr=300, spo2=88, status=Status(artifact=True))
    whole = NoninParser().feed(stream, 0.0)
    assert values(whole, "pulse_rate") == [72.0, 300.0]
    for cut in range(len(stream) + 1):
        p = NoninParser()
        items = p.feed(stream[:cut], 0.0) + p.feed(stream[cut:], 0.0)
        assert same_stream(items, whole)


def check_in_range(items):
    for item in items:
        if isinstance(item, Sample) and item.value is not None:
            limit = {"pleth": 255, "pulse_rate": 510, "spo2": 100}[item.param]
            assert 0 <= item.value <= limit


@given(st.binary(max_size=600))
def test_never_raises_on_any_bytes(data):
    check_in_range(NoninParser().feed(data, 0.0))


@given(st.binary(max_size=200), st.binary(max_size=40), st.integers(0, 510), st.integers(0, 100))
def test_garbage_before_and_within_the_stream(before, within, hr, spo2):
    p = NoninParser()
    stream = before + packet(72, 97) + within + packet(hr, spo2) * 3
    items = p.feed(stream[: len(stream) // 2], 0.0) + p.feed(stream[len(stream) // 2:], 0.0)
    check_in_range(items)
    gated_hr = float(hr) if 20 <= hr <= 300 else None  # the plausibility gate turns 0-19 and 301-510 into no value
    assert values(items, "pulse_rate")[-1] == gated_hr  # repeated packets: reported once
    assert values(items, "spo2")[-1] == float(spo2)


statuses = st.builds(
    Status,
    sensor_disconnect=st.booleans(),
    artifact=st.booleans(),
    out_of_track=st.booleans(),
    sensor_alarm=st.booleans(),
    perfusion=st.sampled_from(Perfusion),
    sync=st.booleans(),
)


@given(st.builds(Frame, status=statuses, pleth=st.integers(0, 255), float_byte=st.integers(0, 255)))
def test_frame_encoder_and_decoder_round_trip(frame):
    raw = encode_frame(frame)
    assert is_valid(raw)
    assert decode(raw) == frame


@given(
    st.lists(st.integers(0, 255), min_size=25, max_size=25),
    st.integers(0, 511),
    st.integers(0, 127),
    st.integers(0, 255),
    st.lists(statuses, min_size=25, max_size=25),
)
def test_packet_encoder_and_parser_round_trip(pleth, hr, spo2, firmware, status):
    p = NoninParser()
    items = p.parse(encode_packet(pleth, hr, spo2, firmware, status), 0.0)  # the codec, before the gate
    disconnect = any(s.sensor_disconnect for s in status)
    blocked = disconnect or any(s.out_of_track or s.sensor_alarm for s in status)
    no_pulse = [s.sensor_disconnect or s.out_of_track or s.sensor_alarm for s in status]  # no pulse signal: no pleth
    assert values(items, "pleth") == [None if off else float(v) for off, v in zip(no_pulse, pleth)]
    assert values(items, "pulse_rate") == [None if blocked or hr == 511 else float(hr)]
    assert values(items, "spo2") == [None if blocked or spo2 > 100 else float(spo2)]
    assert [i.firmware for i in items if isinstance(i, DeviceInfo)] == [str(firmware)]
    active = {c for c, on in changes(items) if on}
    assert (Condition.PROBE_OFF in active) == disconnect
    beat = not disconnect and any(s.artifact or s.perfusion != Perfusion.NONE for s in status)
    assert (Condition.ARTIFACT in active) == (beat and any(s.artifact for s in status))


def vitals(t=0.0, **kw):
    base = dict(spo2=96.4, pulse_rate=131.6, perfusion_index=3.5, pleth=0.5, sbp=120.0, dbp=80.0, resp_rate=14.0)
    return Vitals(t=t, **(base | kw))


def run(sim, p, n, **kw):
    items = []
    for k in range(n):
        raw = sim.frame(vitals(k * sim.frame_interval, **kw))
        assert len(raw) == 5 and is_valid(raw)
        items += p.feed(raw, k * sim.frame_interval)
    return items


def test_simulator_output_parses_to_the_simulated_vitals():
    sim, p = NoninSimulator(), NoninParser()
    items = run(sim, p, 75)
    assert values(items, "pulse_rate") == [132.0]  # three packets of the same numbers: reported once
    assert values(items, "spo2") == [96.0]
    assert values(items, "pleth") == [128.0] * 75
    assert changes(items) == []
    assert [i.firmware for i in items if isinstance(i, DeviceInfo)] == ["60"]
    off = run(sim, p, 25, probe_off=True, spo2=None, pulse_rate=None)
    assert changes(off) == [(Condition.PROBE_OFF, True)]
    assert values(off, "pulse_rate") == values(off, "spo2") == [None]
    moving = run(sim, p, 25, artifact=True)
    assert changes(moving) == [(Condition.PROBE_OFF, False), (Condition.ARTIFACT, True)]
    assert values(moving, "pulse_rate") == [132.0]
    assert not p.errors


def test_spec_is_registered():
    spec = registry.get("nonin")
    assert spec.settings.baudrate == 9600
    assert spec.parser("spo2dev").waveform_rate == 75.0
    assert isinstance(spec.simulator(), NoninSimulator)
