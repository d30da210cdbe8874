"""CMS50D+ parser from hand-made bytes (DEVICES.md), split frames, garbage, round trip."""

from hypothesis import given, strategies as st

from devices.cms50dplus import CONFIRM_FRAMES, LOCK_FRAMES, Cms50dPlusParser, Frame, decode, encode
from devices.values import Condition, Sample, StatusChange
from items import values

GOOD = bytes.fromhex("8540064861")


def locked() -> Cms50dPlusParser:
    """Return a parser that has seen all but one of the frames in a row it needs to trust the stream."""
    p = Cms50dPlusParser()
    assert p.feed(GOOD * (LOCK_FRAMES - 1), 0.0) == []
    return p


def held(frame: bytes) -> bytes:
    """Return a frame repeated as the device repeats it: its values count once CONFIRM_FRAMES carry them."""
    return frame * CONFIRM_FRAMES


def test_example_frame_from_devices_md():
    items = locked().feed(held(bytes.fromhex("8540064861")), t=100.0)
    assert values(items, "spo2") == [97.0]
    assert values(items, "pulse_rate") == [72.0]
    assert values(items, "pleth") == [64.0] * CONFIRM_FRAMES
    assert all(i.t == 100.0 and i.source == "pulseox" for i in items)
    f = decode(bytes.fromhex("8540064861"))
    assert (f.signal, f.bar) == (5, 6)


def test_pulse_rate_bit_7_comes_from_byte_3():
    items = locked().feed(held(bytes.fromhex("8000400000")), t=0.0)
    assert values(items, "pulse_rate") == [128.0]


def test_finger_out_is_a_condition_never_a_number():
    p = locked()
    items = p.feed(held(bytes.fromhex("9000407F7F")), t=1.0)
    assert values(items, "spo2") == [None]
    assert values(items, "pulse_rate") == [None]
    changes = [i for i in items if isinstance(i, StatusChange)]
    assert [(c.condition, c.active) for c in changes] == [(Condition.PROBE_OFF, True)]
    items = p.feed(held(GOOD), t=2.0)
    changes = [i for i in items if isinstance(i, StatusChange)]
    assert [(c.condition, c.active) for c in changes] == [(Condition.PROBE_OFF, False)]


def test_frames_split_at_every_offset_give_the_same_values():
    stream = GOOD * (LOCK_FRAMES - 1) + held(GOOD) + held(bytes.fromhex("8000400000")) + held(GOOD)
    whole = values(Cms50dPlusParser().feed(stream, 0.0), "pulse_rate")
    for cut in range(len(stream) + 1):
        p = Cms50dPlusParser()
        items = p.feed(stream[:cut], 0.0) + p.feed(stream[cut:], 0.0)
        assert values(items, "pulse_rate") == whole == [72.0, 128.0, 72.0]


def test_resyncs_after_garbage_and_a_cut_frame():
    p = Cms50dPlusParser()
    stream = b"\x00\x13\x7f" + bytes.fromhex("854006") + GOOD * (LOCK_FRAMES + CONFIRM_FRAMES - 1)
    items = p.feed(stream, 0.0)
    assert values(items, "spo2") == [97.0]
    assert p.errors["garbage byte"] == 3
    assert p.errors["short frame"] == 1


def test_values_wait_for_frames_in_a_row_after_any_stray_byte():
    """No checksum: random bytes make single frames, never six in a row, so single frames are not trusted."""
    p = locked()
    assert values(p.feed(held(GOOD), 0.0), "spo2") == [97.0]
    assert p.feed(b"\x13" + GOOD * (LOCK_FRAMES - 1), 0.0) == []  # a stray byte: the stream proves itself again
    assert values(p.feed(held(GOOD), 0.0), "spo2") == [97.0]
    assert p.feed(bytes.fromhex("854006") + GOOD * (LOCK_FRAMES - 1), 0.0) == []  # a cut frame, likewise
    assert values(p.feed(held(GOOD), 0.0), "spo2") == [97.0]


def test_random_bytes_give_no_value_at_all():
    import random

    rng = random.Random(7)
    p = Cms50dPlusParser()
    items = p.feed(bytes(rng.getrandbits(8) for _ in range(200_000)), 0.0)  # 100 s of a wrong port at 19200 baud
    assert [i for i in items if isinstance(i, Sample) and i.value is not None] == []
    assert p.errors["short frame"] > 1000


@given(st.binary(max_size=400))
def test_never_raises_on_any_bytes(data):
    p = Cms50dPlusParser()
    for item in p.feed(data, 0.0):
        if isinstance(item, Sample) and item.value is not None:
            assert 0 <= item.value <= 255


frames = st.builds(
    Frame,
    signal=st.integers(0, 15),
    pleth=st.integers(0, 127),
    bar=st.integers(0, 15),
    pulse_rate=st.integers(0, 255),
    spo2=st.integers(0, 127),
    beep=st.booleans(),
    spo2_dropping=st.booleans(),
    finger_out=st.booleans(),
    searching=st.booleans(),
    probe_error=st.booleans(),
)


@given(frames)
def test_encoder_and_decoder_round_trip(frame):
    assert decode(encode(frame)) == frame
