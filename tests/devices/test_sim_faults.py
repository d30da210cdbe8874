"""The simulators produce the dirty world of design/REAL-STREAMS.md, and say the truth of what they sent."""

from __future__ import annotations

import math

import pytest
import serial

from commands import cli
from devices.contec import SPO2_INVALID, PULSE_INVALID, decode_live, decode_packet, LIVE_DATA
from devices.intellivue.parser import IntellivueParser
from devices.masimo import MasimoParser
from devices.sim.capture import device_bytes, device_capture
from devices.sim.faults import DOWN_S, GONE, JITTER_S, SILENT, UP_S, SimulatedLine, parse_scenario
from devices.sim.port import SimulatedPort, open_simulated, sim_scenario
from devices.spec import DeviceSpec
from devices.values import Sample
from test_sim_port import FakeClock


def test_a_scenario_carries_line_faults_after_plus_signs():
    assert parse_scenario("desat+noisy+flapping") == ("desat", ("noisy", "flapping"))
    assert parse_scenario("baseline") == ("baseline", ())
    assert sim_scenario("sim:invalid-stretches+noisy") == "invalid-stretches+noisy"
    with pytest.raises(ValueError, match="line fault 'bogus'.*noisy, flapping"):
        parse_scenario("baseline+bogus")
    with pytest.raises(ValueError, match="unknown scenario 'nosuch'.*invalid-stretches"):
        parse_scenario("nosuch+noisy")
    with pytest.raises(ValueError, match="simulator port 'sim:desat\\+bogus'"):
        DeviceSpec.parse("pulseox=nonin:sim:desat+bogus")


def test_noise_corrupts_about_one_byte_in_300_and_the_truth_lists_each():
    clean = device_bytes("nonin", 120.0, "baseline")
    noisy, truth = device_capture("nonin", 120.0, "baseline+noisy")
    assert len(noisy) == len(clean)
    changed = [i for i, (a, b) in enumerate(zip(clean, noisy)) if a != b]
    assert changed == [offset for _, offset in truth.corrupted]
    assert 1 / 450 < len(changed) / len(clean) < 1 / 200


def test_the_truth_is_what_the_clean_bytes_carry_even_where_the_line_corrupted_them():
    _, clean = device_capture("masimo-ascii", 60.0, "baseline")
    _, noisy = device_capture("masimo-ascii", 60.0, "baseline+noisy")
    assert noisy.corrupted and [(s.param, s.value) for s in noisy.sent] == [(s.param, s.value) for s in clean.sent]


def test_a_flapping_line_drops_out_after_2_to_4_s_of_data_vanishing_or_going_silent():
    line = SimulatedLine("masimo-ascii", "baseline+flapping", seed=2, truth=True)
    for step in range(1, 1201):
        line.advance(step * 0.1)
    drops = line.truth.stretches
    assert {state for state, _, _ in drops} == {GONE, SILENT}
    for state, start, end in drops:
        assert DOWN_S[0] - 1.01 <= end - start <= DOWN_S[1] + 1.01  # whole 1 s frames of a Masimo
    ups = [b[1] - a[2] for a, b in zip(drops, drops[1:])]
    assert ups and all(UP_S[0] - 1.01 <= up <= UP_S[1] + 1.01 for up in ups)


def test_a_port_on_a_flapping_line_vanishes_and_the_device_runs_on_while_it_is_gone():
    clock = FakeClock()
    line = SimulatedLine("nonin", "baseline+flapping", seed=2, truth=True)
    port = SimulatedPort.reopen(line, origin=0.0, clock=clock, timeout=0.0)
    gone_at = None
    for step in range(1, 400):
        clock.t = step * 0.05
        try:
            port.read(4096)
        except serial.SerialException:
            gone_at = clock.t
            break
    assert gone_at is not None and 2.0 <= gone_at <= 4.1
    with pytest.raises(serial.SerialException):
        SimulatedPort.reopen(line, origin=0.0, clock=clock, timeout=0.0)  # still unplugged
    clock.t = 30.0
    while True:
        try:
            port = SimulatedPort.reopen(line, origin=0.0, clock=clock, timeout=0.0)
            break
        except serial.SerialException:
            clock.t += 0.5
    assert line.elapsed == pytest.approx(clock.t)  # the scenario ran on while no port was open
    assert line.truth.sent and line.truth.sent[-1].t < gone_at  # what was sent while gone was never counted


def test_a_reader_opening_a_sim_port_again_finds_the_same_device():
    first = open_simulated("nonin", "sim:baseline+flapping", "pulseox-test")
    again = open_simulated("nonin", "sim:baseline+flapping", "pulseox-test")
    other = open_simulated("nonin", "sim:baseline+flapping", "pulseox-test-2")
    assert first.line is again.line and other.line is not first.line


def test_jitter_delays_each_block_by_up_to_054_s_in_order():
    line = SimulatedLine("masimo-ascii", "baseline+jitter", seed=4)
    arrivals = []
    for step in range(1, 6001):
        t = step * 0.01
        line.advance(t)
        if line.take(t):
            arrivals.append(t)
    late = [a - round(a - JITTER_S / 2) for a in arrivals]  # each line's lateness after its whole second
    assert len(arrivals) == 60 and arrivals == sorted(arrivals)
    assert all(-0.3 <= x <= 0.55 for x in late) and max(late) - min(late) > 0.3


def test_contec_invalid_stretches_are_the_cms60c_capture():
    """PR 255 / SpO2 127 with a flat pleth from the first second, some with the probe-error bit, short valid spells."""
    data, truth = device_capture("contec", 120.0, "invalid-stretches")
    live = []
    i = 0
    while i < len(data):
        if data[i] == LIVE_DATA and i + 9 <= len(data):
            live.append(decode_live(decode_packet(data[i:i + 9])[1]))
            i += 9
        else:
            i += 1
    invalid = [f for f in live if f.pulse_rate == PULSE_INVALID and f.spo2 == SPO2_INVALID]
    assert 0.65 < len(invalid) / len(live) < 0.85
    assert all(f.pleth == 0 for f in invalid)
    assert 0.1 < sum(f.probe_error for f in invalid) / len(invalid) < 0.35
    assert min(s.t for s in truth.sent) >= 22.0  # nothing valid in the first 22 s
    assert {s.value for s in truth.values("spo2")} <= set(range(94, 100))


def test_intellivue_spo2_invalid_for_a_whole_session_beside_a_valid_ecg():
    data, truth = device_capture("intellivue", 30.0, "spo2-invalid")
    assert "heart_rate" in truth.params() and not {"spo2", "pulse_rate", "perfusion_index"} & truth.params()
    assert truth.pleth_valid == 0
    items = IntellivueParser().feed(data, 0.0)
    spo2 = [i for i in items if isinstance(i, Sample) and i.param == "spo2"]
    assert spo2 and all(s.value is None for s in spo2)  # sent: INVALID NaN every poll


def test_carescape_etco2_and_nibp_pulse_invalid_while_spo2_is_valid():
    _, truth = device_capture("carescape", 30.0, "etco2-invalid")
    assert {"spo2", "pulse_rate", "sbp"} <= truth.params()
    assert not {"etco2", "nibp_pulse_rate"} & truth.params()


def test_repeat_sends_the_last_10_s_again_with_the_same_device_clock():
    data, truth = device_capture("masimo-ascii", 60.0, "baseline+repeat")
    stamps = [i.t_dev for i in MasimoParser().feed(data, 0.0) if isinstance(i, Sample) and i.param == "spo2"]
    back = [b - a for a, b in zip(stamps, stamps[1:]) if b <= a]
    assert back == [pytest.approx(-10.0, abs=1.0)]  # one jump back: the glued-on capture
    assert sum(s.replayed for s in truth.values("spo2")) == 10


def test_a_cut_capture_starts_and_ends_inside_a_frame():
    whole = device_bytes("cms50dplus", 10.0, "baseline")
    cut = device_bytes("cms50dplus", 10.0, "baseline+cut")
    assert not cut[0] & 0x80  # the first byte is not a frame's sync byte
    assert whole.find(cut[:20]) in range(1, 5) and len(cut) % 5 != 0


def test_another_device_on_the_port_sends_its_own_protocol():
    data, truth = device_capture("cms50dplus", 60.0, "baseline+foreign", seed=1)  # the other device: a Masimo
    assert b"SPO2=" in data and truth.foreign_taken > 0
    [(start, end)] = [(a, b) for s, a, b in truth.stretches if s == "foreign"]  # unplugged 40-41 s, back at 50 s
    assert (start, end) == (pytest.approx(41.0, abs=0.05), pytest.approx(49.0, abs=0.05))


@pytest.mark.slow
def test_simulate_and_record_take_the_same_scenario_syntax(tmp_path):
    helped = cli("simulate", "--help")
    assert "+FAULT" in helped.stdout and "flapping" in helped.stdout
    wrong = cli("simulate", "--protocol", "nonin", "--scenario", "baseline+bogus")
    assert wrong.returncode == 2 and len(wrong.stderr.strip().splitlines()) == 1 and "noisy" in wrong.stderr
    out = cli("record", "--db", str(tmp_path / "s.db"), "--device", "pulseox=nonin:sim:baseline+noisy+jitter",
              "--duration", "2")
    assert out.returncode == 0, out.stderr


def test_every_value_is_finite_in_the_truth():
    _, truth = device_capture("intellivue", 20.0, "spo2-invalid+noisy")
    assert all(math.isfinite(s.value) for s in truth.sent)
