"""IntelliVue codecs on public vectors: frame FCS and stuffing, FLOAT, times, the open implementations' templates."""

from collections import Counter
from datetime import timedelta, timezone

import math
import pytest
from hypothesis import given, strategies as st

from devices.intellivue import association, codes, pdu
from devices.intellivue.framing import (
    BOF, EOF, ESC, GOOD_RESIDUE, FrameDecoder, encode_frame, escape, fcs16, frame_check, wrap,
)
from devices.intellivue.mder import (
    FLOAT_NAN, FLOAT_NEG_INF, FLOAT_NRES, FLOAT_POS_INF, DecodeError, SaSpec, Scale, decode_abs_time, decode_float,
    decode_nu_obs, decode_scale, decode_string, encode_abs_time, encode_float, encode_nu_obs, encode_scale,
    encode_string,
)

# VSCaptureMP `aarq_msg_wave_ext_poll2` (byte-identical header in OpenICE): the 300-byte association request.
AARQ_TEMPLATE = bytes.fromhex(
    "0D FF 01 28 05 08 13 01 00 16 01 02 80 00 14 02 00 02 C1 FF 01 16 31 80 A0 80 80 01 01 00 00 A2"
    "80 A0 03 00 00 01 A4 80 30 80 02 01 01 06 04 52 01 00 01 30 80 06 02 51 01 00 00 00 00 30 80 02"
    "01 02 06 0C 2A 86 48 CE 14 02 01 00 00 00 01 01 30 80 06 0C 2A 86 48 CE 14 02 01 00 00 00 02 01"
    "00 00 00 00 00 00 61 80 30 80 02 01 01 A0 80 60 80 A1 80 06 0C 2A 86 48 CE 14 02 01 00 00 00 03"
    "01 00 00 BE 80 28 80 06 0C 2A 86 48 CE 14 02 01 00 00 00 01 01 02 01 02 81 82 00 80 80 00 00 00"
    "40 00 00 00 00 00 00 00 80 00 00 00 20 00 00 00 00 00 00 00 00 02 00 64 00 01 00 28 80 00 00 00"
    "00 00 0F A0 00 00 05 B0 00 00 05 B0 FF FF FF FF 60 00 00 00 00 01 00 0C F0 01 00 08 8E 00 00 00"
    "00 00 00 00 01 02 00 34 00 06 00 30 00 01 00 21 00 00 00 01 00 01 00 06 00 00 00 C9 00 01 00 09"
    "00 00 00 3C 00 01 00 05 00 00 00 10 00 01 00 2A 00 00 00 01 00 01 00 36 00 00 00 01 00 00 00 00"
    "00 00 00 00 00 00 00 00 00 00 00 00")


# --- frames ------------------------------------------------------------------------------------------------------
def test_fcs_and_stuffing_give_the_public_vectors():
    assert wrap(bytes.fromhex("3A 71")) == bytes.fromhex("C0 3A 71 9B 26 C1")
    assert wrap(bytes.fromhex("3A 91")) == bytes.fromhex("C0 3A 91 95 7D E1 C1")  # FCS high byte C1 is stuffed
    assert frame_check(bytes.fromhex("3A 71")) == bytes.fromhex("9B 26")
    assert fcs16(bytes.fromhex("3A 71 9B 26")) == GOOD_RESIDUE


def test_escape_sends_flags_and_escape_as_7d_and_xor_20():
    assert escape(bytes.fromhex("01 C0 C1 7D 02")) == bytes.fromhex("01 7D E0 7D E1 7D 5D 02")


def _inner(frame: bytes) -> bytes:
    assert frame[0] == BOF and frame[-1] == EOF
    return frame[1:-1]


def test_header_and_fcs_are_stuffed_too():
    user = bytes(0xC0)  # 192 bytes: the length field of the header is 00 C0
    frame = encode_frame(user)
    assert _inner(frame)[:5] == bytes.fromhex("11 01 00 7D E0")
    # a PDU whose FCS holds a flag byte: found among keep-alive polls by their poll number
    for number in range(1, 2000):
        user = pdu.poll_request(1, number, codes.MOC_VMS_MDS, codes.ATTR_GRP_SYS_PROD)
        header = bytes((0x11, 0x01)) + len(user).to_bytes(2, "big")
        if set(frame_check(header + user)) & {BOF, EOF, ESC}:
            break
    else:
        pytest.fail("no FCS with a flag byte found")
    frame = encode_frame(user)
    assert not set(_inner(frame)) & {BOF, EOF}
    assert FrameDecoder().feed(frame, Counter()) == [user]


def test_decoder_checks_fcs_header_and_length():
    errors: Counter[str] = Counter()
    good = encode_frame(b"\x01\x02\x03")
    bad_fcs = good[:-3] + bytes((good[-3] ^ 1,)) + good[-2:]
    assert FrameDecoder().feed(bad_fcs + good, errors) == [b"\x01\x02\x03"]
    assert errors["checksum"] == 1
    assert FrameDecoder().feed(wrap(bytes.fromhex("12 01 00 01 AA")), errors) == []
    assert FrameDecoder().feed(wrap(bytes.fromhex("11 01 00 05 AA")), errors) == []
    assert errors["bad frame header"] == 1 and errors["bad frame length"] == 1


def test_7d_c1_aborts_the_frame_and_garbage_is_skipped():
    errors: Counter[str] = Counter()
    good = encode_frame(b"\xe1\x00")
    stream = b"\x00\x55" + good[:5] + bytes((ESC, EOF)) + b"\x33" + good
    assert FrameDecoder().feed(stream, errors) == [b"\xe1\x00"]
    assert errors["aborted frame"] == 1 and errors["garbage byte"] == 3


def test_a_frame_cut_by_a_new_bof_is_dropped():
    errors: Counter[str] = Counter()
    good = encode_frame(b"\x0a\x0b")
    assert FrameDecoder().feed(good[:4] + good, errors) == [b"\x0a\x0b"]
    assert errors["cut frame"] == 1


@given(st.lists(st.binary(max_size=300), max_size=4), st.data())
def test_frames_split_anywhere_decode_to_the_same_user_data(users, data):
    stream = b"".join(encode_frame(u) for u in users)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=5)))
    decoder, got = FrameDecoder(), []
    for a, b in zip([0, *cuts], [*cuts, len(stream)]):
        got += decoder.feed(stream[a:b], Counter())
    assert got == users


@given(st.binary(max_size=600))
def test_decoder_never_raises_and_recovers_after_garbage(garbage):
    errors: Counter[str] = Counter()
    decoder = FrameDecoder()
    decoder.feed(garbage, errors)
    assert decoder.feed(encode_frame(b"\x09\x18"), errors)[-1:] == [b"\x09\x18"]


# --- FLOAT ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, value", [(0xFD007D00, 32.0), (0xFF000140, 32.0), (0x01000140, 3200.0),
                                        (0x02000020, 3200.0), (0xFF00000F, 1.5), (0x00FFFF9C, -100.0)])
def test_float_vectors(raw, value):
    assert decode_float(raw) == value


def test_float_specials_are_never_numbers():
    assert math.isnan(decode_float(FLOAT_NAN)) and math.isnan(decode_float(FLOAT_NRES))
    assert decode_float(FLOAT_POS_INF) == math.inf and decode_float(FLOAT_NEG_INF) == -math.inf
    assert math.isnan(decode_float(0xFE7FFFFF))  # the exponent does not matter for a special


@given(st.floats(-80000, 80000, allow_nan=False), st.integers(0, 3))
def test_float_round_trips_to_the_decimals_asked(value, decimals):
    """Exact to `decimals` places while the 24-bit mantissa holds them, else to its 7 significant digits."""
    tolerance = max(10 ** -decimals, abs(value) * 1e-6)
    assert decode_float(encode_float(value, decimals)) == pytest.approx(value, abs=tolerance)


# --- times, strings, observed values -------------------------------------------------------------------------------
def test_absolute_time_is_bcd_wall_clock_of_the_zone():
    cet = timezone(timedelta(hours=1))
    raw = bytes.fromhex("20 24 03 15 14 30 05 50")
    assert decode_abs_time(raw, cet) == 1710509405.5  # 2024-03-15 14:30:05.50 +01:00
    assert decode_abs_time(raw, timezone.utc) == 1710509405.5 + 3600
    assert encode_abs_time(1710509405.5, cet) == raw
    assert decode_abs_time(b"\xff" * 8) is None
    with pytest.raises(DecodeError):
        decode_abs_time(bytes.fromhex("20 24 13 15 14 30 05 00"))  # month 13
    with pytest.raises(DecodeError):
        decode_abs_time(bytes.fromhex("20 24 0A 15 14 30 05 00"))  # not BCD


def test_string_is_utf16_with_padding_removed():
    assert decode_string(encode_string("SpO₂")) == "SpO₂"
    assert decode_string(bytes.fromhex("00 06 00 52 00 52 FE FF")) == "RR"


def test_numeric_observed_value_and_scale():
    nu = decode_nu_obs(encode_nu_obs(codes.PULS_OXIM_SAT_O2, codes.MS_VALIDATED, codes.DIM_PERCENT, 97.0))
    assert (nu.physio_id, nu.state, nu.unit, nu.value) == (codes.PULS_OXIM_SAT_O2, codes.MS_VALIDATED,
                                                            codes.DIM_PERCENT, 97.0)
    scale = decode_scale(encode_scale(Scale(-1.0, 1.0, 0, 4000)))
    assert (scale.apply(0), scale.apply(2000), scale.apply(4000)) == (-1.0, 0.0, 1.0)
    calibration = encode_scale(Scale(0.0, 10.0, 100, 200)) + bytes.fromhex("00 0A 00 01")
    assert decode_scale(calibration).apply(150) == 5.0
    assert SaSpec(2, 16, 12).values(bytes.fromhex("F1 23 00 FF")) == [0x123, 0xFF]


# --- templates of the open implementations ---------------------------------------------------------------------
def test_association_request_is_the_300_byte_template():
    assert association.association_request() == AARQ_TEMPLATE
    profile = association.poll_profile(AARQ_TEMPLATE)
    assert (profile.min_poll_period, profile.max_mtu_rx, profile.ext_options) == (4000, 1456, 0x8E000000)


def test_association_response_carries_the_granted_profile():
    aare = association.association_response(association.PollProfile(max_mtu_rx=996, max_mtu_tx=996))
    assert aare[0] == codes.AC_SPDU
    assert association.poll_profile(aare).max_mtu_tx == 996


def test_host_requests_are_the_open_implementations_bytes():
    # VSCaptureMP ext_poll_request_msg5, keep_alive_msg, mds_create_resp_msg, set_rtsa_prio_msg
    assert pdu.poll_request(1, 1, codes.MOC_VMO_METRIC_NU, period_ticks=0x3A980) == bytes.fromhex(
        "E1 00 00 02 00 01 00 28 00 01 00 07 00 22 00 21 00 00 00 00 00 00 00 00 F1 3B 00 14 00 01 00 01 00 06"
        "00 00 00 01 00 08 F1 3E 00 04 00 03 A9 80")
    assert pdu.poll_request(1, 1, codes.MOC_VMS_MDS, codes.ATTR_GRP_SYS_PROD) == bytes.fromhex(
        "E1 00 00 02 00 01 00 1C 00 01 00 07 00 16 00 21 00 00 00 00 00 00 00 00 0C 16 00 08 00 01 00 01 00 21 08 0C")
    assert pdu.event_report_result(1, pdu.MDS, 0x000ABD00, codes.NOTI_MDS_CREAT) == bytes.fromhex(
        "E1 00 00 02 00 02 00 14 00 01 00 01 00 0E 00 21 00 00 00 00 00 0A BD 00 0D 06 00 00")
    assert pdu.set_priority_list(0, codes.ATTR_POLL_RTSA_PRIO_LIST, [0x00020102]) == bytes.fromhex(
        "E1 00 00 02 00 01 00 22 00 00 00 05 00 1C 00 21 00 00 00 00 00 00 00 00 00 01 00 0E 00 00 F2 3A 00 08"
        "00 01 00 04 00 02 01 02")
    assert association.RELEASE_REQUEST == bytes.fromhex(
        "09 18 C1 16 61 80 30 80 02 01 01 A0 80 62 80 80 01 00 00 00 00 00 00 00 00 00")


def test_requests_decode_back():
    request = pdu.decode(pdu.poll_request(9, 4, codes.MOC_VMO_METRIC_SA_RT, period_ticks=480000))
    assert request == pdu.PollRequest(9, True, 4, (codes.PART_OBJ, codes.MOC_VMO_METRIC_SA_RT), 0,
                                      {codes.ATTR_TIME_PD_POLL: (480000).to_bytes(4, "big")})
    answer = pdu.decode(pdu.event_report_result(0x1234, pdu.MDS, 0xDEADBEEF, codes.NOTI_MDS_CREAT))
    assert answer == pdu.EventReportResult(0x1234, pdu.MDS, 0xDEADBEEF, codes.NOTI_MDS_CREAT)
    assert pdu.decode(association.RELEASE_REQUEST) == pdu.Association(codes.FN_SPDU, association.RELEASE_REQUEST)


def test_poll_reply_round_trip_as_linked_result():
    request = pdu.PollRequest(5, True, 3, (codes.PART_OBJ, codes.MOC_VMO_METRIC_NU), 0)
    attrs = [(codes.ATTR_NU_VAL_OBS, encode_nu_obs(codes.RESP_RATE, 0, codes.DIM_RESP_PER_MIN, 14.0))]
    raw = pdu.poll_reply(request, 1000, b"\xff" * 8, [(0x21, attrs)], sequence=7, linked=(codes.RORLS_MIDDLE, 7))
    reply = pdu.decode(raw)
    assert isinstance(reply, pdu.PollReply)
    assert (reply.invoke_id, reply.extended, reply.sequence, reply.linked, reply.rel_time) == (5, True, 7, 2, 1000)
    assert reply.observations == (pdu.Observation(0, 0x21, dict(attrs)),)


@given(st.binary(max_size=200))
def test_pdu_decoder_raises_only_decode_error(data):
    try:
        pdu.decode(codes.DATA_EXPORT + data)
    except DecodeError:
        pass
