"""What the parsers make of the streams real devices send (REAL-STREAMS.md): noisy lines, invalid stretches.

The devices here have no checksum (CMS50D+, Contec live, Masimo ASCII): about
one byte in 300 corrupted makes plausible but false values (SpO2 16, 54, 9, 0
and pulse 200 amid 97 / 72). Every stream below is the device's true course
written with the protocol's own encoder, one second at a time, so the true
value of every second is known; corruption replaces single random bytes
100 to 500 bytes apart (1 in ~300 on average) at random, as a worn cable
does. Hypothesis draws the seed of that randomness, not the bytes: chosen
adversarially it would corrupt the same digit identically in two lines in a
row, which the consistency check takes for a real step (about once in 10^10
line pairs on such a line, see devices.plausibility.Consistency).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from hypothesis import given, settings, strategies as st

from devices import registry
from devices.base import Parser, Repeats
from devices.carescape.framing import encode_frame
from devices.carescape.header import INVALID, MT_PHDB, encode_record
from devices.carescape.parser import CarescapeParser
from devices.carescape.phdb import CLASS_BASIC, Basic, encode_basic, encode_subrecord
from devices.carescape.requests import PH_DISPL
from devices.cms50dplus import Cms50dPlusParser, Frame, encode
from devices.contec import ContecParser, LiveData, encode_live
from devices.intellivue.parser import IntellivueParser
from devices.masimo import EXC_SET_MODE, MasimoParser, encode_line, radical7_fields
from devices.nonin import NoninParser, Perfusion, Status, encode_packet
from devices.plausibility import JUMPS, QUESTIONABLE, Consistency
from devices.sim.capture import device_bytes
from devices.values import Condition, Sample, StatusChange, sample
from items import values
from real_streams import ProbeOffUntil, corrupt

SECONDS = 120
STEADY, FALL, LOW, RISE = 30, 15, 15, 15  # s: 97 %, a desaturation to 80 %, 80 %, back to 96 %


def course(k: int) -> tuple[int, int]:
    """Return the device's true (SpO2 %, pulse /min) in second k: steady, a real desaturation, recovery."""
    if k < STEADY:
        return 97, 72
    if k < STEADY + FALL:  # 97 -> 80 in 15 s: about 1.1 %/s, which must never be flagged
        x = (k - STEADY) / FALL
        return round(97 - 17 * x), round(72 + 18 * x)
    if k < STEADY + FALL + LOW:
        return 80, 90
    if k < STEADY + FALL + LOW + RISE:
        x = (k - STEADY - FALL - LOW) / RISE
        return round(80 + 16 * x), round(90 - 16 * x)
    return 96, 74


def pleth(i: int) -> int:
    """Return a pulse-like pleth value for frame i (0..100)."""
    return round(50 + 50 * math.sin(2 * math.pi * i / 50))


def cms50dplus_second(k: int) -> bytes:
    spo2, pulse = course(k)
    return b"".join(encode(Frame(signal=8, pleth=pleth(i), bar=6, pulse_rate=pulse, spo2=spo2)) for i in range(60))


def contec_second(k: int) -> bytes:
    spo2, pulse = course(k)
    return b"".join(encode_live(LiveData(signal=8, pleth=pleth(i), bar=6, pi_invalid=False, pulse_rate=pulse,
                                         spo2=spo2, pi=360)) for i in range(60))


def masimo_second(k: int) -> bytes:
    spo2, pulse = course(k)
    when = datetime(2026, 1, 2, 3, 4, 5) + timedelta(seconds=k)
    return encode_line(when, radical7_fields(spo2, pulse, 3.6, serial="0000056661", exc=EXC_SET_MODE))


STREAMS = {"cms50dplus": (Cms50dPlusParser, cms50dplus_second), "contec": (ContecParser, contec_second),
           "masimo-ascii": (MasimoParser, masimo_second)}


def allowance(param: str) -> float:
    """Return the largest error a value can carry unflagged on a line that carries digits as text (Masimo).

    A digit turned into another digit within what physiology can do in one
    reading is indistinguishable from a real change; larger errors are flagged.
    """
    return JUMPS[param].points + JUMPS[param].per_s * 1.0


def parse_seconds(parser: Parser, seconds: list[bytes]) -> list:
    """Feed each second's bytes at t = its second: a value reported at t = k is what the device said in second k."""
    items: list = []
    for k, data in enumerate(seconds):
        items += parser.feed(data, float(k))
    return items


def readings(items, param):
    return [i for i in items if isinstance(i, Sample) and i.param == param and i.value is not None]


# --- noise: no unflagged false value -----------------------------------------------------------------------------

@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(protocol=st.sampled_from(sorted(STREAMS)), seed=st.integers(0, 2**32))
def test_a_noisy_line_never_gives_an_unflagged_false_spo2_or_pulse(protocol, seed):
    make, second = STREAMS[protocol]
    clean = [second(k) for k in range(SECONDS)]
    lengths = [len(c) for c in clean]
    noisy = corrupt(b"".join(clean), seed)
    seconds, at = [], 0
    for n in lengths:
        seconds.append(noisy[at:at + n])
        at += n
    items = parse_seconds(make("pulseox"), seconds)
    for param, index in (("spo2", 0), ("pulse_rate", 1)):
        # CMS50D+ and Contec repeat each value in 60 packets: a change counts only once two in a row carry it,
        # so every unflagged value is the true one; Masimo sends digits once a second: a digit error within
        # physiology passes
        tolerance = allowance(param) if protocol == "masimo-ascii" else 0
        for r in readings(items, param):
            if QUESTIONABLE in r.flags:
                continue
            k = int(r.t)
            true = [course(j)[index] for j in (k - 1, k) if j >= 0]  # a glued Masimo line ends in the next second
            assert min(abs(r.value - v) for v in true) <= tolerance, (protocol, param, r, true)
        assert len([r for r in readings(items, param) if QUESTIONABLE not in r.flags]) > SECONDS // 3  # still read


@given(protocol=st.sampled_from(sorted(STREAMS)))
@settings(max_examples=3, deadline=None, derandomize=True, database=None)
def test_clean_bytes_never_give_a_flagged_reading_after_the_first(protocol):
    """The real desaturation (1.1 %/s) and recovery pass unflagged; only a stream's first reading waits for a second."""
    make, second = STREAMS[protocol]
    items = parse_seconds(make("pulseox"), [second(k) for k in range(SECONDS)])
    for param in ("spo2", "pulse_rate"):
        flagged = [r for r in readings(items, param) if QUESTIONABLE in r.flags]
        assert [r.t for r in flagged] == [0.0], (protocol, param, flagged)
        sent = {float(course(k)[param == "pulse_rate"]) for k in range(SECONDS)}
        assert {r.value for r in readings(items, param)} >= sent  # every value the device sent


def test_the_readings_of_the_issue_are_flagged_and_the_true_ones_after_them_are_not():
    """SpO2 97 -> 16 -> 97 and pulse 72 -> 200 -> 72, one Masimo line each, one second apart."""
    p = MasimoParser()
    lines = [masimo_second(k) for k in range(6)]
    bad = encode_line(datetime(2026, 1, 2, 3, 4, 11), radical7_fields(16, 200, 3.6, exc=EXC_SET_MODE))
    items = parse_seconds(p, lines + [bad] + lines)
    got = [(r.t, r.value, QUESTIONABLE in r.flags) for r in readings(items, "spo2")]
    assert got[5:8] == [(5.0, 97.0, False), (6.0, 16.0, True), (7.0, 97.0, False)]
    assert [QUESTIONABLE in r.flags for r in readings(items, "pulse_rate")][5:8] == [False, True, False]


# --- the consistency check itself ----------------------------------------------------------------------------

def checked(series, param="spo2", step=1.0):
    """Return (value, flagged) of a series of readings `step` s apart through one Consistency."""
    c = Consistency()
    out = []
    for k, v in enumerate(series):
        [s] = c.check([sample(k * step, "pulseox", param, v)])
        out.append((v, QUESTIONABLE in s.flags))
    return out


def test_a_single_reading_out_of_line_is_flagged_and_the_first_reading_waits_for_a_second():
    assert checked([97, 97, 16, 97, 54, 97, 0, 96]) == [
        (97, True), (97, False), (16, True), (97, False), (54, True), (97, False), (0, True), (96, False)]
    assert [f for _, f in checked([72, 72, 200, 72], "pulse_rate")] == [True, False, True, False]


def test_a_real_step_that_persists_is_accepted_at_its_second_reading():
    assert checked([97, 97, 85, 85, 85]) == [(97, True), (97, False), (85, True), (85, False), (85, False)]


def test_a_genuine_desaturation_is_never_flagged_at_one_reading_a_second_or_sixty():
    fall = [round(97 - 17 * k / 10) for k in range(11)]  # 97 -> 80 in 10 s
    assert [f for _, f in checked(fall)][1:] == [False] * 10
    fine = [round(97 - 17 * k / 600) for k in range(601)]  # the same fall, reported 60 times a second
    assert not any(f for _, f in checked(fine, step=1 / 60)[1:])


def test_after_a_gap_the_new_level_must_be_confirmed_again():
    c = Consistency()
    first = [c.check([sample(t, "pulseox", "spo2", 97.0)])[0] for t in (0.0, 1.0)]
    later = c.check([sample(20.0, "pulseox", "spo2", 96.0)])[0]  # after 19 s of probe off
    assert [QUESTIONABLE in s.flags for s in [*first, later]] == [True, False, True]


def test_readings_the_device_flagged_are_neither_judged_nor_a_reference():
    c = Consistency()
    c.check([sample(0.0, "pulseox", "spo2", 97.0), sample(1.0, "pulseox", "spo2", 97.0)])
    moving = sample(2.0, "pulseox", "spo2", 60.0, frozenset({"artifact"}))
    assert c.check([moving]) == [moving]
    assert QUESTIONABLE not in c.check([sample(3.0, "pulseox", "spo2", 96.0)])[0].flags


def test_parameters_apart_and_sources_apart():
    c = Consistency()
    items = [sample(0.0, "a", "spo2", 97.0), sample(0.0, "b", "spo2", 80.0), sample(1.0, "a", "spo2", 97.0),
             sample(1.0, "b", "spo2", 80.0), sample(1.0, "a", "sbp", 300.0)]
    assert [QUESTIONABLE in s.flags for s in c.check(items)] == [True, True, False, False, False]


# --- every reading kept, thinned only by the device's own period ---------------------------------------------

def test_a_minute_of_cms50dplus_gives_a_value_a_second_and_every_change():
    steps = {10: (95, 75), 20: (93, 80), 21: (92, 80), 40: (97, 72)}
    now, seconds = (97, 72), []
    for k in range(60):
        now = steps.get(k, now)
        seconds.append(b"".join(encode(Frame(signal=8, pleth=pleth(i), pulse_rate=now[1], spo2=now[0]))
                                for i in range(60)))
    items = parse_seconds(Cms50dPlusParser(), seconds)
    spo2 = values(items, "spo2")
    assert 60 <= len(spo2) <= 60 + len(steps)  # 3,600 frames: once per 60 and on every change
    changes = [v for i, v in enumerate(spo2) if i == 0 or v != spo2[i - 1]]
    assert changes == [97.0, 95.0, 93.0, 92.0, 97.0]
    times = [r.t for r in readings(items, "spo2")]
    assert max(b - a for a, b in zip(times, times[1:])) <= 1.0


def test_a_second_of_buffered_frames_thins_by_frames_not_by_arrival():
    data = b"".join(encode(Frame(signal=8, pleth=pleth(i), pulse_rate=72, spo2=97)) for i in range(600))
    assert len(values(Cms50dPlusParser().feed(data, 5.0), "spo2")) == 10  # ten seconds of frames in one read


def test_nonin_reports_its_numbers_once_a_second_of_packets_and_on_change():
    green = Status(perfusion=Perfusion.GREEN)
    data = b"".join(encode_packet([128] * 25, 72 if k < 15 else 75, 97, status=green) for k in range(30))
    hr = values(NoninParser().feed(data, 0.0), "pulse_rate")
    assert hr == [72.0] * 5 + [75.0] * 5  # 30 packets (10 s): every third one, and the change at once


def test_repeats_confirms_a_change_and_reports_a_single_packet_as_unconfirmed():
    r: Repeats[int] = Repeats(period=4, confirm=2)
    got = [r.packet(state, float(t)) for t, state in enumerate([1, 1, 1, 1, 1, 1, 7, 1, 1, 2, 2])]
    assert got == [[], [(1, 1.0, True)], [], [], [], [(1, 5.0, True)], [], [(7, 6.0, False)], [(1, 8.0, True)],
                   [], [(2, 10.0, True)]]


# --- invalid is not a value ----------------------------------------------------------------------------------

def test_a_contec_session_that_starts_in_a_long_invalid_stretch_stores_no_value_and_no_flat_pleth():
    """The CMS60C capture: 893 of 1,177 packets PR 255 / SpO2 127, 159 of them with the probe-error bit, flat pleth."""
    invalid = [LiveData(signal=0, pleth=0, probe_error=k % 5 == 0, pulse_rate=255, spo2=127) for k in range(893)]
    valid = [LiveData(signal=8, pleth=pleth(k), bar=6, pulse_rate=82, spo2=97) for k in range(284)]
    p = ContecParser()
    start = p.feed(b"".join(map(encode_live, invalid)), 0.0)
    assert [i for i in start if isinstance(i, Sample) and i.value is not None] == []
    assert set(values(start, "pleth")) == {None}  # a gap, never a flat line of numbers
    assert {i.condition for i in start if isinstance(i, StatusChange) and i.active} >= {Condition.SEARCHING}
    after = p.feed(b"".join(map(encode_live, valid)), 15.0)
    assert 97.0 in values(after, "spo2") and None not in values(after, "pleth")[1:]
    assert [(i.condition, i.active) for i in after if isinstance(i, StatusChange)][-1][1] is False


def test_cms50dplus_invalid_values_without_a_status_bit_are_searching_with_no_pleth():
    p = Cms50dPlusParser()
    items = p.feed(encode(Frame(signal=0, pleth=0, pulse_rate=255, spo2=127)) * 120, 0.0)
    assert set(values(items, "spo2")) == set(values(items, "pulse_rate")) == set(values(items, "pleth")) == {None}
    assert [(i.condition, i.detail) for i in items if isinstance(i, StatusChange)] == [
        (Condition.SEARCHING, "no valid reading (SpO₂ and pulse missing)")]


def test_nonin_out_of_track_gives_no_pleth():
    items = NoninParser().feed(encode_packet([200] * 25, 72, 97, status=Status(out_of_track=True)), 0.0)
    assert set(values(items, "pleth")) == {None}
    assert values(items, "spo2") == [None]


def test_an_intellivue_session_with_valid_ecg_and_invalid_oximetry_throughout():
    """The real capture: ECG HR valid at every poll; SpO2, PR, PI and the pleth flat and invalid all session."""
    data = device_bytes("intellivue", 20.0, device=ProbeOffUntil(registry.get("intellivue").simulator(), math.inf))
    items = IntellivueParser().feed(data, 0.0)
    assert len(readings(items, "heart_rate")) >= 15
    for param in ("spo2", "pulse_rate", "perfusion_index"):
        got = [i for i in items if isinstance(i, Sample) and i.param == param]
        assert got and all(i.value is None and "invalid" in i.flags for i in got), param
    pleth = values(items, "pleth")
    assert len(pleth) >= 15 * 125 and set(pleth) == {None}  # every block a gap, never a flat line


def test_a_carescape_record_with_invalid_etco2_and_nibp_pulse_keeps_the_valid_spo2():
    basic = Basic(ecg_hr=72, spo2=9700, spo2_pr=72, co2_et=INVALID, co2_rr=INVALID, co2_amb_press=7600,
                  nibp_sys=12000, nibp_dia=8000, nibp_mean=9300, nibp_hr=INVALID)
    record = encode_record(MT_PHDB, [(PH_DISPL, encode_subrecord(1_700_000_000, encode_basic(basic), CLASS_BASIC))])
    items = CarescapeParser().feed(encode_frame(record) * 2, 0.0)
    assert values(items, "spo2") == [97.0, 97.0] and values(items, "nibp_pulse_rate") == [None]
    assert values(items, "etco2") == [] and values(items, "sbp") == [120.0]  # no EtCO2 row before a first value


def flagged(items: list, param: str) -> list[tuple[float, bool]]:
    """Return the readings of a parameter as (value, flagged questionable), in order."""
    return [(r.value, QUESTIONABLE in r.flags) for r in readings(items, param)]


def test_cms50dplus_every_change_needs_a_second_frame_even_one_step():
    """A corrupted byte may land one step away (SpO2 96 amid 97): flagged; a 96 the device holds counts at once
    its second frame arrives."""
    frames = [encode(Frame(signal=8, pleth=64, pulse_rate=72, spo2=s)) for s in (97,) * 8 + (96, 97, 97, 96, 96)]
    assert flagged(Cms50dPlusParser().feed(b"".join(frames), 0.0), "spo2")[1:] == [  # the first waits for a second
        (96.0, True), (97.0, False), (96.0, False)]


def test_contec_every_change_needs_a_second_packet_even_one_step_or_the_perfusion_index_alone():
    """SpO2 96 amid 97, or PI 26.68 amid 3.5, for one packet: flagged, never stored as true."""
    steps = [(97, 350)] * 5 + [(96, 350)] + [(97, 350)] * 2 + [(97, 2668)] + [(97, 350)] * 2 + [(96, 350)] * 2
    items = ContecParser().feed(b"".join(encode_live(LiveData(signal=8, pleth=64, bar=6, pi_invalid=False,
                                                              pulse_rate=72, spo2=s, pi=pi)) for s, pi in steps), 0.0)
    assert flagged(items, "spo2")[1:] == [(96.0, True), (97.0, False), (97.0, True), (97.0, False), (96.0, False)]
    assert flagged(items, "perfusion_index")[1:] == [(3.5, True), (3.5, False), (26.68, True), (3.5, False),
                                                     (3.5, False)]
