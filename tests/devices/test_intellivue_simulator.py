"""The simulated IntelliVue monitor, driven by the real driver and read by the real parser (no pty)."""

import math
from collections import Counter
from datetime import timezone

from devices.intellivue import IntellivueDriver, IntellivueParser, IntellivueSimulator, association, codes, pdu
from devices.intellivue.framing import FrameDecoder, MAX_USER_DATA, encode_frame
from devices.intellivue.simulator import HOST_TIMEOUT_S, MTU
from devices.reader import Link
from devices.sim.physiology import Patient
from devices.values import Condition, DeviceInfo, DeviceNotice, NibpResult, Sample, StatusChange, WaveSegment
from scripted import SimPort

START = 1_750_000_000.0
UTC = timezone.utc


def run(seconds, scenario="baseline", dt=0.064):
    """Run monitor, driver and parser together for seconds of scenario time; return items, driver, sim, port."""
    sim = IntellivueSimulator(start=START, tz=UTC)
    patient, port, driver, items = Patient(scenario), SimPort(sim), IntellivueDriver(), []
    link = Link(IntellivueParser(tz=UTC), driver, items.append, wallclock=lambda: START + port.v.t)
    port.v = patient.step(0.0)
    link.opened(port, 0.0)
    every = round(sim.frame_interval / dt)
    for i in range(int(seconds / dt) + 1):
        port.v = patient.step(i * dt)
        if i % every == 0:
            port.give(sim.frame(port.v))
        data = port.read(port.in_waiting)
        if data:
            link.received(port, data, port.v.t)
        link.idle(port, port.v.t)
    assert not link.parser.errors and not sim.errors, (link.parser.errors, sim.errors)
    return items, driver, sim, port


def of(items, kind):
    return [i for i in items if isinstance(i, kind)]


def values(items, param):
    return [i.value for i in of(items, Sample) if i.param == param]


def test_round_trip_gives_the_simulated_patient_for_more_than_one_poll_period():
    items, driver, sim, port = run(130.0)
    assert driver.state == "polling" and sim.created
    spo2 = values(items, "spo2")
    assert len(spo2) >= 125 and all(90 <= v <= 100 for v in spo2)  # one a second, past the 60 s poll period
    assert all(55 <= v <= 95 for v in values(items, "pulse_rate") + values(items, "heart_rate"))
    assert set(values(items, "etco2")) == {36.8}  # 4.9 kPa in mmHg
    assert set(values(items, "resp_rate")) == {14.0}
    assert [(r.sbp, r.dbp, r.map) for r in of(items, NibpResult)] == [(122.0, 78.0, 93.0)]
    t_dev = [s.t_dev - s.t for s in of(items, Sample) if s.param == "spo2"]
    assert all(abs(d) < 0.02 for d in t_dev)  # the monitor's clock, to its 1/100 s
    info = of(items, DeviceInfo)[-1]
    assert (info.model, info.serial_number, info.firmware) == ("Philips M8000", "DE00000000", "M.00.03")
    segments = of(items, WaveSegment)
    assert len(segments) >= 500 and {len(s.values) for s in segments} == {32} and {s.rate for s in segments} == {125.0}
    pleth = [v for s in segments for v in s.values]
    assert 0 <= min(pleth) < 20 and 80 < max(pleth) <= 100
    assert driver.state == "polling" and "reassociating" not in [i.code for i in of(items, DeviceNotice)]


def test_monitor_frames_fit_its_mtu_and_extended_results_are_linked():
    _, _, _, port = run(3.0)
    replies = [pdu.decode(u) for u in FrameDecoder().feed(bytes(port.sent_to_host), Counter())]
    assert all(len(u) <= MTU for u in FrameDecoder().feed(bytes(port.sent_to_host), Counter()))
    linked = [r for r in replies if isinstance(r, pdu.PollReply) and r.linked]
    assert {r.linked for r in linked} == {codes.RORLS_FIRST, codes.RORLS_MIDDLE}
    assert MTU < MAX_USER_DATA


def test_probe_off_makes_spo2_no_value_flagged_invalid():
    items, *_ = run(75.0, "probe-off")  # finger out from 40 to 70 s
    off = [s for s in of(items, Sample) if s.param == "spo2" and 42 <= s.t - START <= 68]
    assert off and all(s.value is None and "invalid" in s.flags for s in off)
    assert all(math.isnan(v) for s in of(items, WaveSegment) if 42 <= s.t - START <= 68 for v in s.values)
    assert values([s for s in of(items, Sample) if s.t - START > 71], "spo2")[-1] is not None


def test_demo_mode_scenario_raises_and_clears_the_demo_condition():
    items, *_ = run(65.0, "demo-mode")  # demo from 20 to 60 s
    changes = [(c.t - START, c.active) for c in of(items, StatusChange) if c.condition is Condition.DEMO_DATA]
    assert [active for _, active in changes] == [True, False]
    assert 20 <= changes[0][0] <= 21.1 and 60 <= changes[1][0] <= 61.1
    assert all(s.value is None for s in of(items, Sample) if 21.1 < s.t - START < 60)


def test_monitor_drops_a_silent_host():
    sim, v = IntellivueSimulator(start=START, tz=UTC), Patient().step(0.0)
    reply = sim.receive(encode_frame(association.association_request()), v)
    created = [m for m in map(pdu.decode, FrameDecoder().feed(reply, Counter())) if isinstance(m, pdu.EventReport)]
    [event] = created
    sim.receive(encode_frame(pdu.event_report_result(event.invoke_id, pdu.MDS, event.event_time,
                                                     codes.NOTI_MDS_CREAT)), v)
    assert sim.created
    patient, out = Patient(), b""
    t = 0.0
    while t <= HOST_TIMEOUT_S + 0.3:
        out = sim.frame(patient.step(t))
        t += sim.frame_interval
    assert out == encode_frame(association.ABORT) and not sim.associated
    parser = IntellivueParser(tz=UTC)
    assert [n.code for n in parser.feed(out, 0.0)] == ["association_aborted"]


def test_a_wrong_mds_create_answer_gets_no_data():
    sim, patient = IntellivueSimulator(start=START, tz=UTC), Patient()
    v = patient.step(0.0)
    sim.receive(encode_frame(association.association_request()), v)
    sim.receive(encode_frame(pdu.event_report_result(1, pdu.MDS, 0x000ABD00, codes.NOTI_MDS_CREAT)), v)  # fixed
    sim.receive(encode_frame(pdu.poll_request(2, 1, codes.MOC_VMO_METRIC_NU, period_ticks=8000 * 60)), v)
    assert not sim.created and sim.errors["wrong MDS create answer"] == 1
    assert sim.frame(patient.step(1.0)) == b""


def test_wave_priority_list_without_pleth_stops_the_pleth():
    sim, patient = IntellivueSimulator(start=START, tz=UTC), Patient()
    v = patient.step(0.0)
    [_, event] = map(pdu.decode, FrameDecoder().feed(sim.receive(encode_frame(association.association_request()), v),
                                                      Counter()))
    sim.receive(encode_frame(pdu.event_report_result(event.invoke_id, pdu.MDS, event.event_time,
                                                     codes.NOTI_MDS_CREAT)), v)
    answer = sim.receive(encode_frame(pdu.set_priority_list(3, codes.ATTR_POLL_RTSA_PRIO_LIST, [0x00020102])), v)
    assert isinstance(pdu.decode(FrameDecoder().feed(answer, Counter())[0]), pdu.OtherOperation)
    sim.receive(encode_frame(pdu.poll_request(4, 1, codes.MOC_VMO_METRIC_SA_RT, period_ticks=8000 * 60)), v)
    assert sim.frame(patient.step(0.256)) == b""
