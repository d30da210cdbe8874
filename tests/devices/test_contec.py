"""Contec V7.0: packet codec, parser on DEVICES.md bytes, driver script, simulator."""

from hypothesis import given, strategies as st

from devices import registry
from devices.contec import (
    CONFIRM_PACKETS, DEVICE_ID_REQUEST, KEEP_ALIVE, LOCK_PACKETS, PI_NONE, SIM_DEVICE_ID, START_LIVE, STOP_LIVE, ContecDriver, ContecParser,
    ContecSimulator, LiveData, decode_live, decode_packet, encode_live, encode_packet,
)
from devices.reader import Link
from devices.sim.physiology import Patient, Vitals
from devices.values import Condition, DeviceInfo, DeviceNotice, Sample, StatusChange
from scripted import ScriptedPort
from items import same_stream, values

SEEN = bytes.fromhex("01E085B396C1E1FFFF")  # signal 5, pleth 51, bar 6, PI invalid, PR 65, SpO2 97
SEEN_ID = bytes.fromhex("0480F5F3E5F2A0A0A0")  # device ID "user" (public capture)
DISCONNECT = bytes.fromhex("0D8080")  # built: reason 0




def conditions(items):
    return [(i.condition, i.active) for i in items if isinstance(i, StatusChange)]


def live(**fields) -> bytes:
    base = dict(signal=5, pleth=40, bar=6, pi_invalid=False, pulse_rate=72, spo2=97, pi=350)
    return encode_live(LiveData(**(base | fields)))


def locked() -> ContecParser:
    """Return a parser that has seen LOCK_PACKETS - 1 whole packets in a row: the next live packets are trusted."""
    p = ContecParser()
    assert p.feed(live() * (LOCK_PACKETS - 1), 0.0) == []  # random bytes rarely form several packets in a row
    return p


def held(raw: bytes) -> bytes:
    """Return a live packet repeated as a device repeats it: its values count once CONFIRM_PACKETS carry them."""
    return raw * CONFIRM_PACKETS


def test_random_bytes_forming_one_packet_give_no_value():
    p = ContecParser()
    assert p.feed(b"\x13\x80" + SEEN, 0.0) == []  # one packet after stray bytes proves nothing
    assert p.feed(SEEN * (LOCK_PACKETS - 2), 0.0) == []
    assert values(p.feed(SEEN * CONFIRM_PACKETS, 1.0), "spo2") == [97.0]
    p.feed(b"\x85", 2.0)  # a stray byte: the stream proves itself again
    assert p.feed(SEEN * (LOCK_PACKETS - 1), 3.0) == []


def test_commands_are_type_0x7d_packets_as_in_devices_md():
    for op, command in ((0xA1, START_LIVE), (0xA2, STOP_LIVE), (0xAF, KEEP_ALIVE), (0xAA, DEVICE_ID_REQUEST)):
        assert encode_packet(0x7D, bytes((op, 0, 0, 0, 0, 0, 0))) == command
    assert START_LIVE.hex() == "7d81a1808080808080"


def test_seen_live_packet():
    items = locked().feed(held(SEEN), t=100.0)
    assert values(items, "pleth") == [51.0] * CONFIRM_PACKETS
    assert values(items, "pulse_rate") == [65.0]
    assert values(items, "spo2") == [97.0]
    assert values(items, "perfusion_index") == [None]
    assert conditions(items) == []
    assert all(i.t == 100.0 and i.source == "pulseox" for i in items)
    f = decode_live(decode_packet(SEEN)[1])
    assert (f.signal, f.bar, f.pi_invalid, f.pi) == (5, 6, True, PI_NONE)
    assert encode_live(f) == SEEN


def test_perfusion_index_is_hundredths_of_a_percent_and_high_bits_come_from_high_byte():
    raw = live(pi=0x0180)  # 384 -> 3.84 %; both PI bytes need HIGH bits
    assert raw[1] & 0x60 == 0x20
    assert values(locked().feed(held(raw), 0.0), "perfusion_index") == [3.84]
    assert values(locked().feed(held(live(pulse_rate=200)), 0.0), "pulse_rate") == [200.0]


def test_invalid_values_are_none_never_numbers():
    p = locked()
    items = p.feed(held(live(spo2=127, pulse_rate=255, pi=0)), 0.0)
    assert values(items, "spo2") == values(items, "pulse_rate") == values(items, "perfusion_index") == [None]
    assert values(p.feed(held(live(spo2=100, pulse_rate=72, pi=20000)), 0.0), "perfusion_index") == [None]
    assert p.errors["implausible pi"] == CONFIRM_PACKETS  # counted in every packet that carries it
    assert values(p.feed(held(live(pi_invalid=True)), 0.0), "perfusion_index") == [None]


def test_probe_error_and_searching_are_conditions_that_block_values():
    p = locked()
    items = p.feed(held(live(probe_error=True)), 1.0)
    assert conditions(items) == [(Condition.PROBE_OFF, True)]
    assert values(items, "spo2") == values(items, "perfusion_index") == [None]
    assert values(items, "pleth") == [None] * CONFIRM_PACKETS
    items = p.feed(held(live(searching=True)), 2.0)
    assert conditions(items) == [(Condition.PROBE_OFF, False), (Condition.SEARCHING, True)]
    assert values(items, "pulse_rate") == [None]
    items = p.feed(held(live(searching=True, searching_too_long=True)), 3.0)
    assert [(i.condition, i.detail) for i in items if isinstance(i, StatusChange)] == [
        (Condition.SEARCHING, "searching too long")]
    items = p.feed(held(live(low_spo2=True, spo2=85)), 4.0)
    assert conditions(items) == [(Condition.SEARCHING, False)]  # low-SpO2 bit: no condition
    assert values(items, "spo2") == [85.0]


def test_device_id_feedback_and_disconnect_notices():
    items = ContecParser().feed(SEEN_ID + bytes.fromhex("0B81A180") + bytes.fromhex("0C80") + DISCONNECT, 5.0)
    assert items == [
        DeviceInfo(5.0, "pulseox", model="user"),
        DeviceNotice(5.0, "pulseox", "command_ack", "command 0xa1: completed"),
        DeviceNotice(5.0, "pulseox", "command_ack", "device free"),
        DeviceNotice(5.0, "pulseox", "device_disconnect", "reason 0x00"),
    ]


def test_packets_split_at_every_offset_give_the_same_items():
    stream = held(SEEN) + SEEN_ID + held(live(pi=0x1FF)) + DISCONNECT + held(SEEN)
    whole = locked().feed(stream, 0.0)
    assert values(whole, "pulse_rate") == [65.0, 72.0, 65.0]
    for cut in range(len(stream) + 1):
        p = locked()
        assert same_stream(p.feed(stream[:cut], 0.0) + p.feed(stream[cut:], 0.0), whole)
        assert not p.errors


def test_resyncs_on_garbage_cut_packets_and_unknown_types():
    p = locked()
    stream = b"\xff\xe0" + SEEN[:5] + bytes.fromhex("0E8081") + SEEN[:3] + SEEN * (LOCK_PACKETS + CONFIRM_PACKETS)
    items = p.feed(stream, 0.0)
    assert values(items, "spo2") == [97.0]  # once the stream proved itself again after the faults
    assert p.errors == {"garbage byte": 2, "framing": 2, "unknown type": 1}
    p.feed(bytes.fromhex("0C81"), 0.0)  # HIGH bit for a data byte that "device free" has not
    assert p.errors["framing"] == 3


@given(st.binary(max_size=400))
def test_never_raises_and_finds_a_packet_after_any_garbage(garbage):
    p = ContecParser()
    for item in p.feed(garbage, 0.0):
        if isinstance(item, Sample) and item.value is not None:
            assert 0 <= item.value <= 255
    assert values(p.feed(SEEN * (LOCK_PACKETS + CONFIRM_PACKETS - 1), 0.0), "spo2") == [97.0]


@given(st.integers(0, 0x7F), st.binary(max_size=7))
def test_packet_codec_round_trip(ptype, data):
    raw = encode_packet(ptype, data)
    assert len(raw) == 2 + len(data)
    assert all(b & 0x80 for b in raw[1:])
    assert decode_packet(raw) == (ptype, data)


frames = st.builds(
    LiveData,
    signal=st.integers(0, 15), searching_too_long=st.booleans(), low_spo2=st.booleans(), beep=st.booleans(),
    probe_error=st.booleans(), pleth=st.integers(0, 127), searching=st.booleans(), bar=st.integers(0, 15),
    pi_invalid=st.booleans(), pulse_rate=st.integers(0, 255), spo2=st.integers(0, 255), pi=st.integers(0, 0xFFFF),
)


@given(frames)
def test_live_data_round_trip(frame):
    assert decode_live(decode_packet(encode_live(frame))[1]) == frame


def test_driver_script_start_id_keep_alive_and_restart():
    sent_id = bytes.fromhex("0480D3C9CDDFD6B7A0")  # "SIM_V7"
    port = ScriptedPort([
        (START_LIVE + DEVICE_ID_REQUEST, sent_id + SEEN * (LOCK_PACKETS - 1)),
        (KEEP_ALIVE, b""),
        (START_LIVE, SEEN),  # no live data for 5 s: ask again
        (START_LIVE, SEEN),  # after the device said it disconnects
        (KEEP_ALIVE, b""),
    ])
    items = []
    link = Link(ContecParser(), ContecDriver(), items.append, wallclock=lambda: 1000.0)
    link.opened(port, 0.0)
    link.received(port, port.read(port.in_waiting), 0.1)
    assert [i.model for i in items if isinstance(i, DeviceInfo)] == ["SIM_V7"]
    for now in (1.0, 4.9):
        link.idle(port, now)
    link.idle(port, 5.0)  # keep-alive
    link.idle(port, 9.9)
    link.idle(port, 10.0)  # silent since 5.0: start
    link.received(port, port.read(port.in_waiting), 10.1)
    port.feed(DISCONNECT)
    link.received(port, port.read(port.in_waiting), 12.0)  # start again at once
    link.received(port, port.read(port.in_waiting), 12.1)
    link.idle(port, 16.9)
    link.idle(port, 17.0)  # keep-alive 5 s after the restart
    port.assert_done()
    assert values(items, "spo2") == [97.0]  # the same numbers, repeated by the device, are reported once


def vitals(t, **kw):
    base = dict(spo2=96.0, pulse_rate=70.0, perfusion_index=2.5, pleth=0.5, sbp=120.0, dbp=80.0, resp_rate=14.0)
    return Vitals(t=t, **(base | kw))


def test_simulator_silent_until_started_and_answers_commands():
    sim = ContecSimulator()
    assert [sim.frame(vitals(i / 60)) for i in range(60)] == [b""] * 60
    p = ContecParser()
    items = p.feed(sim.receive(DEVICE_ID_REQUEST, vitals(1.0)) + sim.receive(START_LIVE, vitals(1.0)), 0.0)
    assert items == [DeviceInfo(0.0, "pulseox", model=SIM_DEVICE_ID.decode().strip()),
                     DeviceNotice(0.0, "pulseox", "command_ack", "command 0xa1: completed")]
    items = p.feed(sim.frame(vitals(1.1)) + sim.frame(vitals(1.1)), 0.0)
    assert (values(items, "spo2"), values(items, "pulse_rate"), values(items, "perfusion_index")) == (
        [96.0], [70.0], [2.5])
    assert sim.receive(STOP_LIVE, vitals(1.2)) == bytes.fromhex("0C80")
    assert sim.frame(vitals(1.3)) == b""


def test_simulator_stops_without_keep_alive_and_notices_the_host():
    sim = ContecSimulator()
    sim.receive(START_LIVE, vitals(0.0))
    for t in range(1, 31):
        assert len(sim.frame(vitals(float(t)))) == 9
        if t % 5 == 0:
            assert sim.receive(KEEP_ALIVE, vitals(float(t))) == b""
    assert len(sim.frame(vitals(44.0))) == len(sim.frame(vitals(45.0))) == 9  # 15 s after the last keep-alive
    assert sim.frame(vitals(45.1)) == DISCONNECT
    assert sim.frame(vitals(45.2)) == b""
    assert sim.receive(START_LIVE, vitals(50.0)) != b""
    assert len(sim.frame(vitals(50.1))) == 9


def test_simulator_driver_and_parser_together_follow_the_patient():
    """Two minutes of the probe-off scenario through driver -> simulator -> parser, with a fake clock."""
    patient, sim, driver, parser = Patient("probe-off", seed=3), ContecSimulator(), ContecDriver(), ContecParser()
    items = []
    v = patient.step(0.0)
    items += parser.feed(sim.receive(driver.on_open(0.0), v), 0.0)
    truth: list[tuple] = [(None, None, None)]  # the patient's numbers at each packet, at the device's resolution
    for n in range(1, 120 * 60):
        t = n / 60
        v = patient.step(t)
        truth.append((None, None, None) if v.probe_off or v.spo2 is None else (
            float(round(v.spo2)), float(round(v.pulse_rate)), v.perfusion_index))
        got = parser.feed(sim.frame(v), t)
        items += got
        items += parser.feed(sim.receive(driver.on_items(got, t) + driver.poll(t), v), t)
    reported = [(i.t, i.param, i.value) for i in items if isinstance(i, Sample)]
    for t, param, value in reported:  # each value is the patient's within the device's update period (1 s)
        n, k = round(t * 60), ("spo2", "pulse_rate", "perfusion_index").index(param)
        assert value in {truth[m][k] for m in range(max(0, n - 59), n + 1)}, (t, param, value)
    spo2_times = [t for t, param, _ in reported if param == "spo2"]
    assert max(b - a for a, b in zip(spo2_times, spo2_times[1:])) <= 1.0 + 1e-9  # at least once a second
    assert {None} < {value for _, param, value in reported if param == "spo2"}  # probe off: no value
    assert sim.streaming
    assert conditions(items) == [(Condition.PROBE_OFF, True), (Condition.PROBE_OFF, False)]
    assert len(values(items, "pleth")) == 120 * 60 - 1
    assert not parser.errors


def test_registered_as_contec():
    spec = registry.get("contec")
    assert (spec.settings.baudrate, spec.parser, spec.driver) == (115200, ContecParser, ContecDriver)
    assert spec.simulator().frame_interval == 1 / 60
