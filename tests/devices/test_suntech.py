"""SunTech NIBP: DEVICES.md bytes, framing and checksums, the measurement exchange, simulator end to end."""

import pytest
from hypothesis import given, strategies as st

from devices import registry
from devices.reader import Link
from devices.sim.physiology import Patient
from devices.suntech import (
    ABORT, GET_CUFF_PRESSURE, GET_RESULT, RESET, START_ADULT, RawResult, SuntechDriver, SuntechParser,
    SuntechSimulator, checksum, decode_result, encode_cuff, encode_reply, encode_result, encode_status,
)
from devices.values import Condition, DeviceNotice, NibpResult, Sample, StatusChange
from scripted import ScriptedPort, SimPort
from items import values

RESULT_SEEN = bytes.fromhex("3E 18 73 00 4A 00 1E 01 00 00 00 00 00 00 31 07 55 00 58 00 00 00 00 E9")
OK, K, A, B = (encode_status(c) for c in "OKAB")


def of(items, kind):
    return [i for i in items if isinstance(i, kind)]




def notices(items):
    return [i.code for i in of(items, DeviceNotice)]


def test_commands_are_the_bytes_in_devices_md():
    assert START_ADULT == bytes.fromhex("3A 20 A6")
    assert ABORT == bytes.fromhex("3A 79 01 00 4C")
    assert GET_CUFF_PRESSURE == bytes.fromhex("3A 79 05 00 48")
    assert GET_RESULT == bytes.fromhex("3A 79 03 00 4A")
    assert RESET == bytes.fromhex("3A 8A 3C")
    assert checksum(bytes.fromhex("3E 04 4B")) == 0x73


def test_encoders_give_the_replies_in_devices_md():
    assert encode_status("K") == bytes.fromhex("3E 04 4B 73")
    assert encode_cuff(258) == bytes.fromhex("3E 05 02 01 BA")
    seen = decode_result(RESULT_SEEN)
    assert encode_result(seen) == RESULT_SEEN


def test_status_complete_is_a_notice():
    items = SuntechParser().feed(bytes.fromhex("3E 04 4B 73"), t=5.0)
    assert items == [DeviceNotice(5.0, "nibp", "nibp_complete", "measurement complete")]


def test_cuff_pressure_is_258_mmhg():
    items = SuntechParser().feed(bytes.fromhex("3E 05 02 01 BA"), t=1.0)
    assert values(items, "cuff_pressure") == [258.0]
    assert items[0].unit == "mm[Hg]"


def test_bad_checksum_is_counted_and_the_next_packet_still_parses():
    p = SuntechParser()
    items = p.feed(bytes.fromhex("3E 05 02 01 B1") + bytes.fromhex("3E 05 02 01 BA"), t=0.0)
    assert values(items, "cuff_pressure") == [258.0]
    assert p.errors["checksum"] == 1


def test_seen_result_is_115_over_74_pulse_85_map_88():
    p = SuntechParser()
    items = p.feed(RESULT_SEEN, t=9.0)
    assert of(items, NibpResult) == [NibpResult(9.0, "nibp", 115.0, 74.0, 88.0, 85.0, 0, "")]
    assert (values(items, "sbp"), values(items, "dbp"), values(items, "map")) == ([115.0], [74.0], [88.0])
    assert values(items, "nibp_pulse_rate") == [85.0]
    assert not p.errors


@pytest.mark.parametrize("code, words", [(0x87, "cuff loose"), (0x02, "motion"), (0x85, "blockage"),
                                         (0x99, "EEPROM"), (0x42, "error 0x42")])
def test_error_result_has_no_values_and_raises_nibp_failed_in_words(code, words):
    p = SuntechParser()
    items = p.feed(encode_result(RawResult(sbp=120, dbp=80, map=93, pulse_rate=70, error_code=code)), t=3.0)
    [result] = of(items, NibpResult)
    assert (result.sbp, result.dbp, result.map, result.pulse_rate) == (None, None, None, None)
    assert result.error_code == code and words in result.error
    assert [(c.condition, c.active, c.detail) for c in of(items, StatusChange)] == [
        (Condition.NIBP_FAILED, True, result.error)]
    assert of(items, Sample) == []  # a failed attempt is not a reading
    items = p.feed(RESULT_SEEN, t=4.0)
    assert [(c.condition, c.active) for c in of(items, StatusChange)] == [(Condition.NIBP_FAILED, False)]


def test_an_empty_result_without_error_code_is_a_failure():
    items = SuntechParser().feed(encode_result(RawResult(sbp=0, dbp=0, map=0, pulse_rate=70)), t=0.0)
    [result] = of(items, NibpResult)
    assert result.sbp is None and result.error == "the BP module returned no reading"
    assert of(items, StatusChange)[0].condition == Condition.NIBP_FAILED


@pytest.mark.parametrize("sbp, dbp, map_", [(80, 120, 93), (120, 80, 130), (120, 0, 40), (979, 80, 100)])
def test_implausible_result_without_error_code_is_failed_by_the_gate_and_counted(sbp, dbp, map_):
    parser = SuntechParser()
    items = parser.feed(encode_result(RawResult(sbp=sbp, dbp=dbp, map=map_, pulse_rate=70)), t=0.0)
    [result] = of(items, NibpResult)
    assert result.sbp is None and result.error.startswith("implausible")
    assert of(items, Sample) == [] or all(s.value is None for s in of(items, Sample))
    assert parser.errors["implausible nibp"] == 1


def test_error_or_timeout_status_fails_the_measurement():
    p = SuntechParser()
    items = p.feed(encode_status("E") + encode_status("T"), t=0.0)
    assert notices(items) == ["nibp_error", "nibp_timeout"]
    changes = of(items, StatusChange)
    assert [(c.condition, c.active) for c in changes] == [(Condition.NIBP_FAILED, True)] * 2
    assert "error" in changes[0].detail and "timed out" in changes[1].detail


def test_packets_split_at_every_offset_give_the_same_items():
    stream = OK + encode_cuff(140) + K + RESULT_SEEN + A
    whole = SuntechParser().feed(stream, 0.0)
    assert notices(whole) == ["nibp_started", "nibp_complete", "nibp_aborted"]
    for cut in range(len(stream) + 1):
        p = SuntechParser()
        assert p.feed(stream[:cut], 0.0) + p.feed(stream[cut:], 0.0) == whole


def test_resyncs_after_garbage_a_bad_length_and_a_cut_packet():
    p = SuntechParser()
    stream = b"\x00\x13" + b"\x3e\x63" + encode_cuff(200)[:3] + K
    items = p.feed(stream, 0.0)
    assert notices(items) == ["nibp_complete"]
    assert p.errors["garbage byte"] > 0 and p.errors["bad length"] >= 1


def test_unknown_status_is_counted_not_reported():
    p = SuntechParser()
    assert p.feed(encode_status("Z"), 0.0) == []
    assert p.errors["unknown status"] == 1


@given(st.binary(max_size=400))
def test_never_raises_on_any_bytes(data):
    p = SuntechParser()
    for item in p.feed(data, 0.0):
        if isinstance(item, Sample) and item.value is not None:
            assert 0 <= item.value <= 0xFFFF


results = st.builds(
    RawResult,
    sbp=st.integers(0, 0xFFFF), dbp=st.integers(0, 0xFFFF), map=st.integers(0, 0xFFFF),
    pulse_rate=st.integers(0, 255), error_code=st.integers(0, 255), beats=st.integers(0, 255),
    status=st.integers(0, 255), test_codes=st.binary(min_size=8, max_size=8),
)


@given(results)
def test_result_encoder_and_decoder_round_trip(r):
    assert decode_result(encode_result(r)) == r


@given(results, st.integers(0, 0xFFFF), st.sampled_from("OKABENST"))
def test_encoded_replies_parse_back(r, cuff, status):
    p = SuntechParser()
    items = p.parse(encode_cuff(cuff) + encode_status(status) + encode_result(r), 0.0)  # the codec, before the gate
    assert not p.errors
    assert values(items, "cuff_pressure") == [float(cuff)]
    assert len(notices(items)) == 1
    [result] = of(items, NibpResult)
    good = r.error_code == 0 and not r.sbp == r.dbp == r.map == 0  # values are judged by the gate, after parse()
    assert (result.sbp, result.dbp, result.map) == ((r.sbp, r.dbp, r.map) if good else (None, None, None))
    assert result.error_code == r.error_code


def test_encode_reply_counts_start_length_and_checksum():
    packet = encode_reply(b"\x01\x02")
    assert packet[:2] == b"\x3e\x05" and sum(packet) & 0xFF == 0


# --- the driver, through Link, against a scripted module ------------------------------------------------


class Rig:
    """A Link on a scripted port with a fake clock; step() reads replies and lets the driver poll."""

    def __init__(self, pairs, driver=None):
        self.port = ScriptedPort(pairs)
        self.driver = driver or SuntechDriver(heartbeat_s=None)
        self.items = []
        self.link = Link(SuntechParser(), self.driver, self.items.append, wallclock=lambda: 0.0)

    def step(self, now):
        data = self.port.read(self.port.in_waiting)
        if data:
            self.link.received(self.port, data, now)
        self.link.idle(self.port, now)

    def run(self, start, end, dt=0.25):
        now = start
        while now <= end + 1e-9:
            self.step(now)
            now += dt


def test_full_measurement_start_ack_cuff_polls_complete_result():
    rig = Rig([(START_ADULT, OK), (GET_CUFF_PRESSURE, encode_cuff(80)), (GET_CUFF_PRESSURE, encode_cuff(150)),
               (GET_CUFF_PRESSURE, encode_cuff(120)), (GET_RESULT, RESULT_SEEN)])
    assert rig.driver.supports("nibp_start") and rig.driver.supports("nibp_abort")
    rig.link.command(rig.port, "nibp_start", 0.0)
    assert rig.driver.phase == "starting"
    rig.step(0.1)
    assert rig.driver.phase == "measuring"
    with pytest.raises(ValueError, match="already running"):
        rig.link.command(rig.port, "nibp_start", 0.2)
    rig.run(0.25, 3.5)  # polls at 1.1, 2.1, 3.1 s
    assert values(rig.items, "cuff_pressure") == [80.0, 150.0, 120.0]
    rig.port.feed(K)
    rig.step(3.6)
    assert rig.driver.phase == "fetching result"
    rig.step(3.7)
    assert of(rig.items, NibpResult)[0].sbp == 115.0
    assert not rig.driver.measuring and not rig.driver.timed_out
    rig.run(3.8, 10.0)  # nothing more is sent when idle
    rig.port.assert_done()


def test_abort_ends_the_measurement_and_stops_the_polls():
    rig = Rig([(START_ADULT, OK), (GET_CUFF_PRESSURE, encode_cuff(60)), (ABORT, A)])
    rig.link.command(rig.port, "nibp_start", 0.0)
    rig.run(0.0, 1.5)
    rig.link.command(rig.port, "nibp_abort", 1.6)
    rig.run(1.75, 5.0)
    assert "nibp_aborted" in notices(rig.items)
    assert rig.driver.phase == "idle" and not rig.driver.timed_out
    rig.port.assert_done()


def test_busy_module_means_not_measuring_and_a_new_start_is_allowed():
    rig = Rig([(START_ADULT, B), (START_ADULT, OK)])
    rig.link.command(rig.port, "nibp_start", 0.0)
    rig.step(0.1)
    assert not rig.driver.measuring
    rig.link.command(rig.port, "nibp_start", 0.2)
    rig.step(0.3)
    assert rig.driver.phase == "measuring"
    rig.port.assert_done()


def test_no_complete_within_150_s_sends_abort_and_marks_a_timeout():
    rig = Rig([(START_ADULT, OK)] + [(GET_CUFF_PRESSURE, b"")] * 149 + [(ABORT, A)])
    rig.link.command(rig.port, "nibp_start", 0.0)
    rig.run(0.0, 149.5, dt=0.5)
    assert rig.driver.measuring
    rig.run(150.0, 160.0, dt=0.5)
    assert not rig.driver.measuring and rig.driver.timed_out
    rig.port.assert_done()


def test_no_ack_within_5_s_sends_abort_and_marks_a_timeout():
    rig = Rig([(START_ADULT, b""), (ABORT, b"")])
    rig.link.command(rig.port, "nibp_start", 0.0)
    rig.run(0.0, 4.9, dt=0.1)
    assert rig.driver.phase == "starting"
    rig.run(5.0, 8.0, dt=0.5)
    assert rig.driver.timed_out and not rig.driver.measuring
    assert "nibp_timeout" in notices(rig.items)
    failed = [c for c in of(rig.items, StatusChange) if c.condition is Condition.NIBP_FAILED]
    assert failed and failed[-1].active and "did not acknowledge" in failed[-1].detail
    rig.port.assert_done()


def test_idle_module_is_asked_for_cuff_pressure_every_2_s_so_a_dead_link_is_noticed():
    rig = Rig([(GET_CUFF_PRESSURE, encode_cuff(0))] * 3, driver=SuntechDriver())
    rig.run(0.0, 4.5, dt=0.5)  # queries at 0, 2 and 4 s
    assert values(rig.items, "cuff_pressure") == [0.0, 0.0, 0.0]
    rig.port.assert_done()


def test_lost_result_is_asked_again_then_given_up_without_abort():
    rig = Rig([(START_ADULT, OK), (GET_RESULT, RESULT_SEEN[:-1] + b"\x00"), (GET_RESULT, b""), (GET_RESULT, b""),
               (GET_RESULT, b""), (GET_RESULT, b"")])
    rig.link.command(rig.port, "nibp_start", 0.0)
    rig.step(0.1)
    rig.port.feed(K)
    rig.step(0.5)  # 'K' -> result asked for; it comes back corrupt
    rig.run(0.75, 10.25)  # asked again every 2 s
    assert rig.driver.phase == "fetching result"
    rig.run(10.5, 20.0)
    assert rig.driver.timed_out and not rig.driver.measuring
    assert rig.link.parser.errors["checksum"] >= 1
    rig.port.assert_done()


def test_unsupported_command_is_refused():
    with pytest.raises(ValueError):
        SuntechDriver().command("start_live_data", 0.0)
    assert not SuntechDriver().supports("start_live_data")


def test_spec_is_registered():
    spec = registry.get("suntech")
    assert spec.settings.baudrate == 9600 and spec.roles == {"nibp"}
    assert isinstance(spec.parser("nibp"), SuntechParser) and isinstance(spec.driver(), SuntechDriver)


# --- the simulator as the module, driven by the real driver ---------------------------------------------


def simulate(sim, seconds, scenario="baseline", start_at=(1.0,)):
    patient, port, driver, items = Patient(scenario), SimPort(sim), SuntechDriver(), []
    link = Link(SuntechParser(), driver, items.append, wallclock=lambda: port.v.t)
    starts = list(start_at)
    for i in range(int(seconds / sim.frame_interval) + 1):
        port.v = patient.step(i * sim.frame_interval)
        if starts and port.v.t >= starts[0]:
            starts.pop(0)
            link.command(port, "nibp_start", port.v.t)
        port.rx += sim.frame(port.v)
        data = port.read(port.in_waiting)
        if data:
            link.received(port, data, port.v.t)
        link.idle(port, port.v.t)
    return items, driver, port.v


def test_simulated_measurement_end_to_end():
    items, driver, v = simulate(SuntechSimulator(seed=3, failure_rate=0.0), 60.0)
    [result] = of(items, NibpResult)
    assert result.error == "" and result.sbp == round(v.sbp) and result.dbp == round(v.dbp)
    assert result.map == round(v.map) and result.pulse_rate is not None and 40 < result.pulse_rate < 120
    assert 1.0 + 20.0 <= result.t <= 1.0 + 45.0 + 1.0
    cuff = values(items, "cuff_pressure")
    peak = cuff.index(max(cuff))
    assert max(cuff) >= v.sbp + 20  # inflated above systolic
    assert all(a <= b for a, b in zip(cuff[:peak], cuff[1:peak + 1]))  # inflating
    assert all(a >= b for a, b in zip(cuff[peak:], cuff[peak + 1:]))  # deflating in steps
    assert notices(items) == ["nibp_started", "nibp_complete"]
    assert not driver.measuring and not driver.timed_out


def test_simulated_failure_gives_an_error_result():
    items, driver, _ = simulate(SuntechSimulator(seed=3, failure_rate=1.0), 60.0)
    [result] = of(items, NibpResult)
    assert result.sbp is None and result.error_code != 0 and result.error
    assert of(items, StatusChange)[0].condition == Condition.NIBP_FAILED
    assert not driver.measuring


def test_simulator_answers_start_while_measuring_with_busy_and_abort_with_a():
    sim, v = SuntechSimulator(), Patient().step(0.0)
    assert sim.frame(v) == b""
    assert sim.receive(START_ADULT, v) == OK
    assert sim.receive(START_ADULT[:1], v) == b""  # a command split across writes
    assert sim.receive(START_ADULT[1:], v) == B
    assert sim.receive(ABORT, v) == A
    assert sim.receive(GET_CUFF_PRESSURE, v) == encode_cuff(0)


@pytest.mark.parametrize("seed", range(8))
def test_simulated_durations_are_20_to_45_s(seed):
    sim, patient = SuntechSimulator(seed=seed, failure_rate=0.0), Patient()
    sim.receive(START_ADULT, patient.step(0.0))
    t = 0.0
    while sim.frame(patient.step(t)) != K:
        t += sim.frame_interval
        assert t < 46.0
    assert t >= 20.0
