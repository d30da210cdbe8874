"""IntelliVue parser: association answers, MDS create, numerics with their states, NIBP, EtCO2 units, pleth."""

import math
from datetime import timezone

import pytest
from hypothesis import given, strategies as st

from devices import registry
from devices.intellivue import association, codes, pdu
from devices.intellivue.framing import encode_frame
from devices.intellivue.mder import (
    SaSpec, Scale, counted, encode_abs_time, encode_nu_obs, encode_prod_spec, encode_sa_obs,
    encode_sa_spec, encode_scale, encode_string, encode_variable_label, encode_system_model, ProdSpecEntry, u16, u32,
)
from devices.intellivue.parser import AGE_UNKNOWN, OLD_READING, IntellivueParser, MdsCreated
from devices.values import Condition, DeviceInfo, DeviceNotice, NibpResult, Sample, StatusChange, WaveSegment
from monitor.alarms import AlarmEngine, AlarmKind, Priority, load_profile

UTC = timezone.utc
T0 = 1_700_000_000.0  # the monitor's clock at relative time REL0
REL0 = 8_000_000  # ticks (1000 s after the monitor started)
NU_REQUEST = pdu.PollRequest(7, True, 2, (codes.PART_OBJ, codes.MOC_VMO_METRIC_NU), 0)
WAVE_REQUEST = pdu.PollRequest(8, True, 3, (codes.PART_OBJ, codes.MOC_VMO_METRIC_SA_RT), 0)
MDS_REQUEST = pdu.PollRequest(9, False, 4, (codes.PART_OBJ, codes.MOC_VMS_MDS), codes.ATTR_GRP_SYS_PROD)


def of(items, kind):
    return [i for i in items if isinstance(i, kind)]


def values(items, param):
    return [i.value for i in of(items, Sample) if i.param == param]


def notices(items):
    return [i.code for i in of(items, DeviceNotice)]


def mds_create(invoke_id=0x1234, event_time=0xABCDEF, abs_time=T0, rel=REL0):
    attributes = [(codes.ATTR_ID_MODEL, encode_system_model("Philips", "M8007A")),
                  (codes.ATTR_SYS_ID, encode_variable_label(bytes.fromhex("0009FB0977BD"))),
                  (codes.ATTR_TIME_ABS, encode_abs_time(abs_time, UTC)), (codes.ATTR_TIME_REL, u32(rel))]
    return encode_frame(pdu.mds_create_event(invoke_id, event_time, attributes))


def numeric(physio, value, state=0, unit=codes.DIM_PERCENT, label=None, handle=None, extra=()):
    attrs = [(codes.ATTR_NU_VAL_OBS, encode_nu_obs(physio, state, unit, value))]
    if label is not None:
        attrs.insert(0, (codes.ATTR_ID_LABEL_STRING, encode_string(label)))
    return handle or physio, attrs + list(extra)


def nibp(sbp=120, dbp=80, mean=93, state=0, measured=T0 - 30, unit=codes.DIM_MMHG):
    compound = counted([encode_nu_obs(p, state, unit, v) for p, v in (
        (codes.PRESS_BLD_NONINV_SYS, sbp), (codes.PRESS_BLD_NONINV_DIA, dbp), (codes.PRESS_BLD_NONINV_MEAN, mean))])
    attrs = [(codes.ATTR_NU_CMPD_VAL_OBS, compound)]
    if measured is not None:
        attrs.append((codes.ATTR_TIME_STAMP_ABS, encode_abs_time(measured, UTC)))
    return 0x50, attrs


def numerics(*observations, at=T0, rel=REL0, linked=(codes.RORLS_FIRST, 1)):
    abs_time = encode_abs_time(at, UTC) if at is not None else b"\xff" * 8
    return encode_frame(pdu.poll_reply(NU_REQUEST, rel, abs_time, list(observations), 1, linked))


def parse(*frames, parser=None, t=100.0):
    p = parser or IntellivueParser(tz=UTC)
    return p, p.feed(b"".join(frames), t)


# --- association and MDS create -----------------------------------------------------------------------------------
@pytest.mark.parametrize("message, code", [
    (association.association_response(association.PollProfile(max_mtu_tx=996)), "association_accepted"),
    (association.REFUSE, "association_refused"), (association.ABORT, "association_aborted"),
    (association.RELEASE_RESPONSE, "association_released"), (association.RELEASE_REQUEST, "release_requested"),
])
def test_session_messages_are_notices_for_the_driver(message, code):
    p, items = parse(encode_frame(message))
    assert notices(items) == [code]
    assert not p.errors
    if code == "association_accepted":
        assert "MTU 996 bytes" in items[0].detail and "500 ms" in items[0].detail


@pytest.mark.parametrize("invoke_id, event_time", [(0x1234, 0xABCDEF), (1, 0), (0xFFFF, 0xFFFFFFFF)])
def test_mds_create_gives_identity_and_what_the_answer_must_carry(invoke_id, event_time):
    _, items = parse(mds_create(invoke_id, event_time))
    [info] = of(items, DeviceInfo)
    assert (info.model, info.serial_number) == ("Philips M8007A", "00:09:FB:09:77:BD")  # MAC until a serial comes
    [created] = of(items, MdsCreated)
    assert (created.invoke_id, created.event_time, created.obj, created.confirmed) == (invoke_id, event_time,
                                                                                       pdu.MDS, True)
    assert created.code == "mds_create" and str(invoke_id) in created.detail


def test_production_specification_gives_serial_number_and_software_revision_once():
    spec = encode_prod_spec([ProdSpecEntry(codes.PROD_SPEC_SW_REVISION, 0x58, "G.01.78"),
                             ProdSpecEntry(codes.PROD_SPEC_SERIAL_NUMBER, codes.COMP_PRODUCT, "DE22713007\x00\t"),
                             ProdSpecEntry(codes.PROD_SPEC_SW_REVISION, codes.COMP_PRODUCT, " B.00.05")])
    reply = encode_frame(pdu.poll_reply(MDS_REQUEST, REL0, b"\xff" * 8, [(0, [(codes.ATTR_ID_PROD_SPECN, spec)])]))
    p, items = parse(mds_create(), reply)
    info = of(items, DeviceInfo)[-1]
    assert (info.model, info.serial_number, info.firmware) == ("Philips M8007A", "DE22713007", "B.00.05")
    assert of(p.feed(reply, 101.0), DeviceInfo) == []  # unchanged identity is not reported again


# --- numerics and their measurement state ----------------------------------------------------------------------------
def test_numerics_in_their_contract_units_with_device_time():
    p, items = parse(numerics(numeric(codes.PULS_OXIM_SAT_O2, 97.0),
                              numeric(codes.PLETH_PULS_RATE, 72.0, unit=codes.DIM_BEAT_PER_MIN),
                              numeric(codes.ECG_CARD_BEAT_RATE, 75.0, unit=codes.DIM_BEAT_PER_MIN),
                              numeric(codes.PULS_OXIM_PERF_REL, 3.4, unit=codes.DIM_DIMLESS),
                              numeric(codes.RESP_RATE, 14.0, unit=codes.DIM_RESP_PER_MIN),
                              numeric(codes.AWAY_CO2_ET, 38.0, unit=codes.DIM_MMHG)))
    got = {s.param: (s.value, s.unit, s.source, s.t, s.t_dev) for s in of(items, Sample)}
    assert got == {
        "spo2": (97.0, "%", "pulseox", 100.0, T0), "pulse_rate": (72.0, "/min", "pulseox", 100.0, T0),
        "heart_rate": (75.0, "/min", "pulseox", 100.0, T0), "perfusion_index": (3.4, "%", "pulseox", 100.0, T0),
        "resp_rate": (14.0, "/min", "pulseox", 100.0, T0), "etco2": (38.0, "mm[Hg]", "pulseox", 100.0, T0)}
    assert not p.errors and of(items, StatusChange) == []


@pytest.mark.parametrize("state, flag", [(codes.MS_INVALID, "invalid"), (codes.MS_QUESTIONABLE, "questionable"),
                                         (codes.MS_UNAVAILABLE, "unavailable"),
                                         (codes.MS_CALIBRATION_ONGOING, "calibrating"),
                                         (codes.MS_DEMO_DATA, "demo_data"), (codes.MS_TEST_DATA, "test_data"),
                                         (codes.MS_INVALID | codes.MS_VALIDATED, "invalid"),
                                         (0x0100, "invalid")])  # a first-octet bit without a name
def test_a_value_whose_state_has_a_first_octet_bit_is_never_a_number(state, flag):
    _, items = parse(numerics(numeric(codes.PULS_OXIM_SAT_O2, 97.0, state=state)))
    [s] = of(items, Sample)
    assert s.value is None and flag in s.flags


@pytest.mark.parametrize("state", [codes.MS_VALIDATED, codes.MS_EARLY_INDICATION, codes.MS_MSMT_ONGOING,
                                   codes.MS_IN_ALARM, codes.MS_ALARM_INHIBITED])
def test_second_octet_bits_leave_the_value_valid(state):
    _, items = parse(numerics(numeric(codes.PULS_OXIM_SAT_O2, 88.0, state=state)))
    assert values(items, "spo2") == [88.0]


def test_float_specials_are_no_value():
    nan = numeric(codes.PULS_OXIM_SAT_O2, math.nan)
    _, items = parse(numerics(nan))
    assert values(items, "spo2") == [None]


def test_demo_and_test_data_raise_the_demo_condition_until_real_data_comes():
    p = IntellivueParser(tz=UTC)
    items = p.feed(numerics(numeric(codes.PULS_OXIM_SAT_O2, 97.0, state=codes.MS_DEMO_DATA)), 1.0)
    assert [(c.condition, c.active, c.detail) for c in of(items, StatusChange)] == [(Condition.DEMO_DATA, True, "")]
    assert values(items, "spo2") == [None]
    assert of(p.feed(numerics(), 2.0), StatusChange) == []  # an empty result says nothing about the mode
    items = p.feed(numerics(numeric(codes.PULS_OXIM_SAT_O2, 97.0, state=codes.MS_TEST_DATA)), 3.0)
    assert [(c.active, c.detail) for c in of(items, StatusChange)] == [(True, "test data")]
    items = p.feed(numerics(numeric(codes.PULS_OXIM_SAT_O2, 97.0)), 4.0)
    assert [(c.condition, c.active) for c in of(items, StatusChange)] == [(Condition.DEMO_DATA, False)]
    assert values(items, "spo2") == [97.0]


def test_demo_condition_is_a_technical_alarm_saying_monitor_in_demo_mode():
    engine = AlarmEngine(load_profile("ketamine"), clock=lambda: 0.0, wallclock=lambda: T0)
    _, items = parse(numerics(numeric(codes.PULS_OXIM_SAT_O2, 97.0, state=codes.MS_DEMO_DATA)))
    events = [e for item in items for e in engine.on_item(item)]
    [raised] = [e for e in events if e.kind.value == "raised"]
    assert raised.alarm_kind is AlarmKind.TECHNICAL and raised.priority is Priority.MEDIUM
    assert raised.message == "Pulse oximeter: monitor in demo mode"
    assert engine.blocking_condition("pulseox") is Condition.DEMO_DATA


def test_unknown_ids_are_kept_with_their_label_and_never_forwarded():
    temp = numeric(codes.TEMP, 36.8, unit=codes.DIM_DEGC, label="Temp")
    pulse = numeric(codes.PULS_RATE, 70.0, unit=codes.DIM_BEAT_PER_MIN,
                    extra=[(codes.ATTR_ID_LABEL, u32(0x0002480A))])
    p, items = parse(numerics(temp, pulse))
    assert of(items, Sample) == []
    assert p.unused == {codes.TEMP: "Temp", codes.PULS_RATE: "label 0x0002480a"}
    later = numeric(codes.TEMP, 36.9, unit=codes.DIM_DEGC)  # label sent once, remembered by handle
    p.unused.clear()
    p.feed(numerics(later), 101.0)
    assert p.unused == {codes.TEMP: "Temp"}


def test_unexpected_unit_is_no_value_and_counted():
    p, items = parse(numerics(numeric(codes.PULS_OXIM_SAT_O2, 97.0, unit=codes.DIM_MMHG)))
    [s] = of(items, Sample)
    assert s.value is None and "unknown_unit" in s.flags
    assert p.errors["unexpected unit 0x0f20 for spo2"] == 1


@pytest.mark.parametrize("value, unit, extra, mmhg", [
    (4.9, codes.DIM_KILO_PASCAL, [], 36.8),
    (5.0, codes.DIM_PERCENT, [], 38.0),  # % of standard pressure when no ambient pressure is sent
    (5.0, codes.DIM_PERCENT, [numeric(codes.PRESS_AIR_AMBIENT, 700.0, unit=codes.DIM_MMHG)], 35.0),
    (5.0, codes.DIM_PERCENT, [numeric(codes.PRESS_AIR_AMBIENT, 93.3, unit=codes.DIM_KILO_PASCAL)], 35.0),
])
def test_etco2_is_converted_to_mmhg(value, unit, extra, mmhg):
    _, items = parse(numerics(numeric(codes.AWAY_CO2_ET, value, unit=unit), *extra))
    assert values(items, "etco2") == [mmhg]


# --- NIBP ---------------------------------------------------------------------------------------------------------
def test_nibp_compound_is_one_reading_with_its_measurement_time():
    p = IntellivueParser(tz=UTC)
    pulse = numeric(codes.PRESS_BLD_NONINV_PULS_RATE, 70.0, unit=codes.DIM_BEAT_PER_MIN)
    items = p.feed(numerics(nibp(), pulse), 100.0)
    assert of(items, NibpResult) == [NibpResult(100.0, "pulseox", 120.0, 80.0, 93.0, 70.0)]
    assert {s.param: (s.value, s.source, s.t_dev, s.flags) for s in of(items, Sample)} == {
        "sbp": (120.0, "pulseox", T0 - 30, frozenset()), "dbp": (80.0, "pulseox", T0 - 30, frozenset()),
        "map": (93.0, "pulseox", T0 - 30, frozenset()), "nibp_pulse_rate": (70.0, "pulseox", T0 - 30, frozenset())}
    assert p.feed(numerics(nibp(), pulse, at=T0 + 1), 101.0) == []  # the same measurement, polled again
    items = p.feed(numerics(nibp(131, 85, 100, measured=T0 + 200), at=T0 + 201), 301.0)
    assert [(r.sbp, r.dbp, r.map) for r in of(items, NibpResult)] == [(131.0, 85.0, 100.0)]


@pytest.mark.parametrize("measured, flags", [(T0 - 3600, OLD_READING), (None, AGE_UNKNOWN), (T0 - 5, frozenset())])
def test_first_reading_after_connecting_is_questionable_unless_just_measured(measured, flags):
    _, items = parse(numerics(nibp(measured=measured)))
    assert {s.flags for s in of(items, Sample) if s.value is not None} == {flags}
    assert [r.flags for r in of(items, NibpResult)] == [flags]


def test_nibp_in_kpa_is_converted_and_an_invalid_compound_is_no_reading():
    _, items = parse(numerics(nibp(16.0, 10.7, 12.4, unit=codes.DIM_KILO_PASCAL)))
    assert [(r.sbp, r.dbp, r.map) for r in of(items, NibpResult)] == [(120.0, 80.3, 93.0)]
    for state in (codes.MS_INVALID, codes.MS_UNAVAILABLE, codes.MS_DEMO_DATA):
        _, items = parse(numerics(nibp(state=state)))
        assert of(items, NibpResult) == [] and of(items, Sample) == []


def test_any_role_gets_every_parameter_under_its_one_source():
    p = IntellivueParser("nibp", tz=UTC)
    items = p.feed(numerics(nibp(), numeric(codes.PULS_OXIM_SAT_O2, 97.0)), 1.0) + p.feed(wave([1, 2]), 1.0)
    assert {i.param for i in items if isinstance(i, (Sample, WaveSegment))} == {
        "spo2", "sbp", "dbp", "map", "nibp_pulse_rate", "pleth"}
    assert {i.source for i in items} == {"nibp"} and p.waveform_rate == 125.0


# --- device time -----------------------------------------------------------------------------------------------------
def test_relative_time_is_placed_on_the_monitor_clock_when_absolute_time_is_unset():
    p = IntellivueParser(tz=UTC)
    p.feed(mds_create(abs_time=T0, rel=REL0), 1.0)
    items = p.feed(numerics(numeric(codes.PULS_OXIM_SAT_O2, 97.0), at=None, rel=REL0 + 8000 * 12), 2.0)
    assert [s.t_dev for s in of(items, Sample)] == [T0 + 12]
    across_wrap = IntellivueParser(tz=UTC)
    across_wrap.feed(mds_create(abs_time=T0, rel=0xFFFFFF00), 1.0)
    items = across_wrap.feed(numerics(numeric(codes.PULS_OXIM_SAT_O2, 97.0), at=None, rel=0x100), 2.0)
    assert [s.t_dev for s in of(items, Sample)] == [T0 + 0x200 / 8000]


def test_without_any_monitor_time_t_dev_is_none():
    _, items = parse(numerics(numeric(codes.PULS_OXIM_SAT_O2, 97.0), at=None))
    assert [s.t_dev for s in of(items, Sample)] == [None]


# --- pleth ------------------------------------------------------------------------------------------------------------
def wave(samples, state=0, static=True, handle=0x60, physio=codes.PLETH):
    attrs = [(codes.ATTR_SA_VAL_OBS, encode_sa_obs(physio, state, b"".join(u16(s) for s in samples)))]
    if static:
        attrs = [(codes.ATTR_SA_SPECN, encode_sa_spec(SaSpec(len(samples), 16, 12))),
                 (codes.ATTR_SCALE_SPECN_I16, encode_scale(Scale(0.0, 100.0, 0, 4000))),
                 (codes.ATTR_TIME_PD_SAMP, u32(64))] + attrs
    return encode_frame(pdu.poll_reply(WAVE_REQUEST, REL0, b"\xff" * 8, [(handle, attrs)], 1,
                                       (codes.RORLS_MIDDLE, 1)))


def test_pleth_is_one_scaled_segment_per_poll_result_and_later_results_use_the_first_specification():
    p = IntellivueParser(tz=UTC)
    [segment] = p.feed(wave([0, 2000, 4000, 0xF000 | 1000]), 5.0)  # high bits beyond the 12 significant ones
    assert segment == WaveSegment(5.0, "pulseox", "pleth", (0.0, 50.0, 100.0, 25.0), 125.0)
    [segment] = p.feed(wave([1000, 3000], static=False), 5.3)
    assert segment.values == (25.0, 75.0)
    [segment] = p.feed(wave([1000, 3000], state=codes.MS_INVALID, static=False), 5.6)
    assert all(math.isnan(v) for v in segment.values)


def test_other_waves_are_not_forwarded():
    p = IntellivueParser(tz=UTC)
    assert p.feed(wave([1, 2], physio=0x0102), 1.0) == []
    assert 0x0102 in p.unused


# --- robustness --------------------------------------------------------------------------------------------------
STREAM = b"".join([encode_frame(association.association_response(association.PollProfile())), mds_create(),
                   numerics(numeric(codes.PULS_OXIM_SAT_O2, 97.0), nibp()), wave([100, 200, 300])])


def test_a_stream_split_at_every_offset_gives_the_same_items():
    whole = IntellivueParser(tz=UTC).feed(STREAM, 1.0)
    assert len(whole) > 8
    for cut in range(len(STREAM) + 1):
        p = IntellivueParser(tz=UTC)
        assert p.feed(STREAM[:cut], 1.0) + p.feed(STREAM[cut:], 1.0) == whole


@given(st.binary(max_size=500))
def test_never_raises_and_a_good_stream_still_parses_after_garbage(garbage):
    p = IntellivueParser(tz=UTC)
    p.feed(garbage, 1.0)
    items = p.feed(STREAM, 1.0)
    assert values(items, "spo2") == [97.0]


@given(st.integers(0, 0xFFFF), st.floats(0, 100, allow_nan=False), st.sampled_from([codes.DIM_PERCENT, 0x0F20]))
def test_a_value_is_reported_only_when_its_state_and_unit_allow(state, value, unit):
    p, items = parse(numerics(numeric(codes.PULS_OXIM_SAT_O2, value, state=state, unit=unit)))
    [s] = of(items, Sample)
    usable = not state & 0xFF00 and unit == codes.DIM_PERCENT
    expected = round(value, 2) if usable else None
    assert s.value == (pytest.approx(expected) if usable else None)


def test_reset_drops_a_partial_frame_and_ends_the_demo_condition():
    p = IntellivueParser(tz=UTC)
    p.feed(numerics(numeric(codes.PULS_OXIM_SAT_O2, 97.0, state=codes.MS_DEMO_DATA)), 1.0)
    frame = numerics(numeric(codes.PULS_OXIM_SAT_O2, 96.0))
    p.feed(frame[:10], 2.0)
    ended = p.reset(3.0)
    assert [(c.condition, c.active) for c in ended] == [(Condition.DEMO_DATA, False)]
    assert values(p.feed(frame[10:] + frame, 4.0), "spo2") == [96.0]
    assert p.errors["garbage byte"] > 0


def test_host_messages_on_the_line_are_counted_not_parsed():
    p, items = parse(encode_frame(association.association_request()),
                     encode_frame(pdu.poll_request(1, 1, codes.MOC_VMO_METRIC_NU, period_ticks=100)))
    assert items == [] and p.errors["unexpected message"] == 2


def test_remote_error_is_a_notice():
    error = codes.DATA_EXPORT + u16(codes.ROER) + u16(6) + u16(5) + u16(3) + u16(0)
    p, items = parse(encode_frame(error))
    assert notices(items) == ["remote_error"] and "error 3" in items[0].detail


def test_spec_is_registered_for_both_roles_at_115200():
    spec = registry.get("intellivue")
    assert spec.settings.baudrate == 115200 and spec.roles == {"pulseox", "nibp"}
    assert isinstance(spec.parser("pulseox"), IntellivueParser)
    assert not spec.driver().supports("nibp_start")
    assert "intellivue" in registry.protocol_names()

