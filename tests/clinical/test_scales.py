"""Scale scores: ranges, CADSS forms, modified Aldrete edges, discharge check."""

import math

import pytest
from hypothesis import given, strategies as st

from monitor.clinical.scales import Aldrete, Cadss, DischargeCheck, Moaas, Rating


def test_moaas_range_and_anchors():
    assert Moaas(5).anchor == "responds readily to name spoken in normal tone"
    assert Moaas(0).to_dict() == {"scale": "moaas", "total": 0, "anchor": "no response after painful trapezius squeeze"}
    for bad in (6, -1, 2.5, True, "3", None):
        with pytest.raises(ValueError, match="MOAA/S score must be a whole number from 0 to 5"):
            Moaas(bad)


def test_cadss_full_and_short_forms():
    full = Cadss(tuple([1] * 23))
    assert (full.form, full.total, full.max_total) == ("cadss-23", 23, 92)
    short = Cadss((0, 1, 2, 3, 4, 0))
    assert (short.form, short.total, short.max_total) == ("cadss-6", 10, 24)
    assert short.to_dict()["items"] == [0, 1, 2, 3, 4, 0]
    with pytest.raises(ValueError, match="CADSS item 3 must be a whole number from 0 to 4, got 5"):
        Cadss((0, 0, 5, 0, 0, 0))
    with pytest.raises(ValueError, match="23 items .full form. or 6 items .short form., got 7"):
        Cadss((0,) * 7)
    with pytest.raises(ValueError, match="got 6"):
        Cadss([0] * 6)  # a list would let the record change later


def test_ratings_0_to_10():
    assert Rating("nausea", 10).to_dict() == {"scale": "nausea", "total": 10}
    with pytest.raises(ValueError, match="anxiety rating must be a whole number from 0 to 10, got 11"):
        Rating("anxiety", 11)
    with pytest.raises(ValueError, match="'nausea' or 'anxiety'"):
        Rating("pain", 3)


def aldrete(sbp=120.0, base=120.0, spo2=97.0, o2=False, a=2, r=2, c=2):
    return Aldrete(activity=a, respiration=r, consciousness=c, sbp_mmhg=sbp, baseline_sbp_mmhg=base,
                   spo2_pct=spo2, on_oxygen=o2)


@pytest.mark.parametrize("sbp, score", [(140, 2), (100, 2), (140.5, 1), (99, 1), (170, 1), (70, 1), (170.1, 0), (69, 0)])
def test_aldrete_circulation_edges(sbp, score):
    assert aldrete(sbp=sbp).circulation == score


@pytest.mark.parametrize("spo2, o2, score", [(93, False, 2), (92.5, False, 2), (92, False, 1), (91, False, 1),
                                             (90, False, 0), (99, True, 1), (90.5, True, 1), (90, True, 0),
                                             (85, True, 0)])
def test_aldrete_oxygenation_edges(spo2, o2, score):
    assert aldrete(spo2=spo2, o2=o2).oxygenation == score


def test_aldrete_total_and_bad_items():
    assert aldrete().total == 10
    a = aldrete(sbp=150, spo2=95, o2=True, c=1)
    assert (a.circulation, a.oxygenation, a.total) == (1, 1, 7)
    assert a.to_dict()["total"] == 7
    with pytest.raises(ValueError, match="Aldrete activity must be a whole number from 0 to 2, got 3"):
        aldrete(a=3)
    with pytest.raises(ValueError, match="SpO₂ .%. must be a number from 0 to 100, got nan"):
        aldrete(spo2=math.nan)
    with pytest.raises(ValueError, match="baseline SBP .mmHg. must be a number from 30 to 300"):
        aldrete(base=0)
    with pytest.raises(ValueError, match="on_oxygen must be true or false"):
        aldrete(o2=1)


@given(st.integers(0, 2), st.integers(0, 2), st.integers(0, 2), st.floats(30, 300), st.floats(30, 300),
       st.floats(0, 100), st.booleans())
def test_aldrete_total_is_the_sum_of_five_items_0_to_10(a, r, c, sbp, base, spo2, o2):
    s = Aldrete(a, r, c, sbp, base, spo2, o2)
    assert 0 <= s.total <= 10
    assert s.total == a + r + c + s.circulation + s.oxygenation


def test_discharge_needs_aldrete_9_vitals_and_a_driver():
    ok = DischargeCheck(aldrete(c=1), True, "spouse", "RN A", 1_700_000_000.0, aldrete_min=9)
    assert ok.aldrete.total == 9 and ok.ready and ok.unmet == ()
    assert ok.to_dict()["ready"] is True and ok.to_dict()["aldrete"]["total"] == 9
    no = DischargeCheck(aldrete(c=1, a=1), False, " ", "RN A", 1_700_000_000.0, aldrete_min=9)
    assert not no.ready
    assert no.unmet == ("Aldrete score 8 is below 9", "vital signs are not near baseline",
                        "no responsible adult to drive home is recorded")
    with pytest.raises(ValueError, match="must name who checked"):
        DischargeCheck(aldrete(), True, "spouse", "", 1.0, aldrete_min=9)
    with pytest.raises(ValueError, match="finite UTC epoch"):
        DischargeCheck(aldrete(), True, "spouse", "RN A", math.inf, aldrete_min=9)
