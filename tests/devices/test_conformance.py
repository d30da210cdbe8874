"""One conformance suite over every registered protocol (STYLE.md, Seams).

A protocol takes part as soon as it is registered in devices/registry.py. It
provides, in its module's SPEC:
- `simulator` (required anyway): devices.sim.capture.device_bytes drives it
  with its driver to make the sample byte stream (an NIBP device is asked for
  a measurement every second it is idle); it must send numbers within 60 s of
  scenario time in the baseline scenario;
- `encoder` (devices.base.Encoder, optional but expected where the protocol
  has an encoder): the wire ranges of its numbers and a function writing one
  complete unit of chosen values, for the round trip and plausibility checks.

Checks: a stream split at every offset gives the same values; a parser reset
after a cut at any offset reads the rest exactly as a new parser does, and a
parser starting anywhere in the stream reads only values the device sent;
garbage, alone or inserted into a stream, never raises and yields only
plausible values; values written with the encoder read back as written when
plausible, and never as numbers (but counted as device errors) when not.
And the streams real devices send (REAL-STREAMS.md): a capture that starts
and ends inside a frame, a session whose first seconds hold no valid
oximetry value at all (probe off), and a noisy line (one byte in ~300
corrupted): no exception, and no unflagged value the device did not send.
"""

from __future__ import annotations

import math
from functools import cache

import pytest
from hypothesis import assume, given, strategies as st

from devices import registry
from devices.plausibility import IMPLAUSIBLE, JUMPS, NIBP_PARAMS, QUESTIONABLE, nibp_problem, plausible
from devices.sim.capture import device_bytes
from devices.values import PARAMS, NibpResult, Sample, WaveSegment
from items import same_stream
from real_streams import ProbeOffUntil, corrupt

PROTOCOLS = registry.protocol_names()
WITH_ENCODER = [name for name in PROTOCOLS if registry.get(name).encoder is not None]
STREAM_S = 60.0
HALF_WINDOW = 600  # bytes: the step by which the checked stretch of stream reaches back before its first value


def numbers(items) -> set[tuple[str, str, float]]:
    """Return the (source, parameter, value) of every numeric sample with a value."""
    return {(i.source, i.param, i.value) for i in items if isinstance(i, Sample) and i.value is not None}


def parse(protocol: str, data: bytes, cuts=()) -> list:
    """Parse data with a new parser, fed in pieces cut at the given offsets."""
    parser = registry.get(protocol).parser("dev")
    out, start = [], 0
    for cut in [*cuts, len(data)]:
        out += parser.feed(data[start:cut], 1.0)
        start = cut
    return out


@cache
def stream(protocol: str) -> bytes:
    data = device_bytes(protocol, STREAM_S, nibp_every_s=1.0)
    assert numbers(parse(protocol, data)), f"{protocol}: the simulated stream carries no number in {STREAM_S:g} s"
    return data


@cache
def window(protocol: str) -> bytes:
    """Return the shortest stretch of the stream, in steps of 600 bytes, before its first value and 64 after.

    Every check below parses it once per byte offset, so it is kept short; it
    reaches back far enough to hold the whole frame of that value and usually more.
    """
    data, parser = stream(protocol), registry.get(protocol).parser("dev")
    end = next(k for k in range(8, len(data) + 8, 8) if numbers(parser.feed(data[k - 8:k], 1.0)))
    for back in range(HALF_WINDOW, end + HALF_WINDOW, HALF_WINDOW):
        part = data[max(0, end - back):end + 64]
        if numbers(parse(protocol, part)):
            return part
    raise AssertionError(f"{protocol}: no value in the stream up to its first value")


def assert_plausible(items) -> None:
    for item in items:
        if isinstance(item, Sample) and item.value is not None:
            assert plausible(item.param, item.value), item
        elif isinstance(item, NibpResult) and not item.error:
            assert all(v is None or plausible(p, v) for p, v in (("sbp", item.sbp), ("dbp", item.dbp),
                                                                   ("map", item.map),
                                                                   ("nibp_pulse_rate", item.pulse_rate))), item
            assert item.sbp is None or item.dbp is None or item.sbp > item.dbp, item


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_split_at_every_offset_gives_the_same_values(protocol):
    data = window(protocol)
    whole = parse(protocol, data)
    assert numbers(whole)
    for cut in range(1, len(data)):
        assert same_stream(parse(protocol, data, [cut]), whole), f"{protocol}: split at {cut}"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_reset_after_a_cut_at_every_offset_reads_the_rest_as_a_new_parser(protocol):
    """A reconnect mid-frame: what came before the cut can never complete a frame of the new connection."""
    data = window(protocol)
    true = numbers(parse(protocol, stream(protocol)))
    for cut in range(1, len(data)):
        parser = registry.get(protocol).parser("dev")
        parser.feed(data[:cut], 1.0)
        parser.reset(2.0)
        resumed = parser.feed(data[cut:], 3.0)
        fresh = registry.get(protocol).parser("dev").feed(data[cut:], 3.0)
        assert same_stream(resumed, fresh), f"{protocol}: reset after {cut} bytes"
        assert numbers(resumed) <= true, f"{protocol}: a value the device never sent, resuming at {cut}"


@pytest.mark.parametrize("protocol", PROTOCOLS)
@given(garbage=st.binary(max_size=1500))
def test_garbage_never_raises_and_yields_only_plausible_values(protocol, garbage):
    assert_plausible(parse(protocol, garbage))


@pytest.mark.parametrize("protocol", PROTOCOLS)
@given(inserts=st.lists(st.tuples(st.floats(0, 1), st.binary(min_size=1, max_size=12)), max_size=6))
def test_garbage_inside_a_stream_never_raises_and_yields_only_plausible_values(protocol, inserts):
    data = bytearray(window(protocol))
    for at, junk in sorted(inserts, reverse=True):
        data[int(at * len(data)):int(at * len(data))] = junk
    assert_plausible(parse(protocol, bytes(data)))


def _values(protocol: str, draw, within_plausible: bool) -> dict[str, float]:
    encoder = registry.get(protocol).encoder
    values = {}
    for param, (lo, hi, step) in encoder.ranges.items():
        if within_plausible:
            low, high = PARAMS[param].plausible or (lo, hi)
            lo, hi = max(lo, low), min(hi, high)
        steps = int(round((hi - lo) / step))
        k = draw(st.integers(0, steps))
        values[param] = round(lo + k * step, 6)
    return values


def bp_valid(values: dict[str, float]) -> bool:
    """Tell whether the BP numbers among values make a reading that can be true (True if there are none)."""
    return not nibp_problem(NibpResult(0.0, "", *(values.get(p) for p in ("sbp", "dbp", "map", "nibp_pulse_rate"))))


def _read(protocol: str, values: dict[str, float]):
    parser = registry.get(protocol).parser("dev")
    items = parser.feed(registry.get(protocol).encoder.encode(values), 1.0)
    got = {}
    for item in items:
        if isinstance(item, Sample) and item.param in values:
            got[item.param] = item
    return items, got, parser


@pytest.mark.parametrize("protocol", WITH_ENCODER)
@given(data=st.data())
def test_plausible_values_read_back_as_written(protocol, data):
    values = _values(protocol, data.draw, within_plausible=True)
    assume(bp_valid(values))
    items, got, parser = _read(protocol, values)
    for param, value in values.items():
        assert param in got and got[param].value is not None, (param, values, items)
        assert math.isclose(got[param].value, value, abs_tol=1e-9), (param, value, got[param])
    assert not parser.errors


@pytest.mark.parametrize("protocol", WITH_ENCODER)
@given(data=st.data())
def test_framed_values_no_patient_can_have_are_never_numbers_and_count_as_errors(protocol, data):
    """E.g. CMS50D+ SpO2 101-126 or pulse 1-19, Nonin pulse 510, SunTech SBP 979, Ivy 450C BP 350/350."""
    values = _values(protocol, data.draw, within_plausible=False)
    wrong = {p for p, v in values.items() if not plausible(p, v)}
    if not bp_valid(values):
        wrong |= NIBP_PARAMS & values.keys()  # a BP reading is valid as a whole or not at all
    assume(wrong)
    items, got, parser = _read(protocol, values)
    assert_plausible(items)
    for param, value in values.items():
        sample = got.get(param)
        if param in wrong:
            assert sample is None or sample.value is None, (param, value, sample)
        else:  # the others of the frame are still read
            assert sample is not None and math.isclose(sample.value, value, abs_tol=1e-9), (param, value, sample)
    assert sum(parser.errors.values()) >= 1, (values, parser.errors)
    flagged = {i.param for i in items if isinstance(i, Sample) and IMPLAUSIBLE in i.flags}
    failed_bp = any(isinstance(i, NibpResult) and i.error for i in items)
    assert flagged or failed_bp or parser.errors, values


@pytest.mark.parametrize("protocol, values", [
    ("cms50dplus", {"spo2": 115, "pulse_rate": 72}), ("cms50dplus", {"spo2": 97, "pulse_rate": 9}),
    ("nonin", {"spo2": 96, "pulse_rate": 510}),
    ("suntech", {"sbp": 979, "dbp": 80, "map": 100, "nibp_pulse_rate": 70}),
    ("ivy450c", {"spo2": 97, "pulse_rate": 70, "heart_rate": 70, "resp_rate": 14, "sbp": 350, "dbp": 350,
                 "map": 350, "nibp_pulse_rate": 70}),
    ("contec", {"spo2": 97, "pulse_rate": 70, "perfusion_index": 45.0}),
    ("masimo-ascii", {"spo2": 97, "pulse_rate": 350, "perfusion_index": 3.6}),
])
def test_the_out_of_range_values_of_the_issue_are_not_numbers(protocol, values):
    items, got, parser = _read(protocol, values)
    assert_plausible(items)
    assert sum(parser.errors.values()) >= 1


# --- the streams real devices send ---------------------------------------------------------------------------

FRAME_CUTS = (1, 2, 3, 4, 5, 7, 9, 13)  # bytes: inside the frame of any protocol (a CMS50E capture: 4)


@pytest.mark.slow
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_capture_that_starts_and_ends_inside_a_frame_reads_only_values_the_device_sent(protocol):
    data = stream(protocol)
    true = numbers(parse(protocol, data))
    for start in FRAME_CUTS:
        for end in FRAME_CUTS:
            got = numbers(parse(protocol, data[start:len(data) - end]))
            assert got and got <= true, f"{protocol}: cut {start} bytes at the start, {end} at the end"


OXIMETRY = ("spo2", "pulse_rate", "perfusion_index")
INVALID_S = 10.0


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_session_whose_first_seconds_hold_no_valid_reading_gives_no_value_and_a_pleth_gap(protocol):
    """As the CMS60C and IntelliVue captures: invalid from the first byte; numbers of other parameters may be valid."""
    device = ProbeOffUntil(registry.get(protocol).simulator(), INVALID_S)
    data = device_bytes(protocol, 3 * INVALID_S, nibp_every_s=1.0, device=device)
    assert device.boundary
    start = parse(protocol, data[:device.boundary])
    assert [i for i in start if isinstance(i, Sample) and i.param in OXIMETRY and i.value is not None] == []
    pleth = [v for i in start if isinstance(i, WaveSegment) for v in i.values]
    assert all(math.isnan(v) for v in pleth), f"{protocol}: a number in the pleth while the probe is off"
    whole = parse(protocol, data)
    if "pulseox" in registry.get(protocol).roles:
        assert {p for _, p, _ in numbers(whole)} >= {"spo2"}, f"{protocol}: no value once the probe is on"


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("seed", range(3))
def test_a_noisy_line_never_raises_and_gives_no_unflagged_false_value(protocol, seed):
    """Checksums drop damaged frames; the others' values face their frame checks and the consistency check.

    A value of a parameter with a consistency check must lie within the
    change physiology allows in one second of a value the device sent (a
    digit turned into another digit within that is indistinguishable from a
    real change); a BP reading must be one the device sent. Perfusion index
    is not checked: no alarm or figure uses it as a value.
    """
    data = stream(protocol)
    sent: dict[str, set[float]] = {}
    for _, param, value in numbers(parse(protocol, data)):
        sent.setdefault(param, set()).add(value)
    rate = registry.get(protocol).nominal_byte_rate
    parser = registry.get(protocol).parser("dev")
    items = []
    bad = corrupt(data, seed)
    for at in range(0, len(bad), 64):
        items += parser.feed(bad[at:at + 64], at / rate)
    assert_plausible(items)
    for item in items:
        if not isinstance(item, Sample) or item.value is None or item.flags & {QUESTIONABLE, "age_unknown"}:
            continue
        if item.param in JUMPS:
            allowed = JUMPS[item.param].points + JUMPS[item.param].per_s
            assert min(abs(item.value - v) for v in sent[item.param]) <= allowed, (protocol, item)
        elif item.param != "perfusion_index":
            assert item.value in sent.get(item.param, ()), (protocol, item)
