"""Start is a checkpoint: ClinicalSession.start_unmet names each pre-infusion item still unmet, the core adds the
high alarms active now, and the answer is journaled with who gave it (an unreviewed flag confirmed with it)."""

from __future__ import annotations

import pytest
from clocks import FakeClock
from stored import journal

from devices.values import NibpResult
from monitor.alarms import Priority
from monitor.alarms.keys import AppAlarm
from monitor.clinical.config import load_clinical_config
from monitor.clinical.dosing import DosePlan
from monitor.clinical.infusion import InfusionEngine, InfusionError, InfusionState
from monitor.clinical.outcomes import entered
from monitor.clinical.scales import Cadss, Moaas, Rating
from monitor.clinical.session import ClinicalSession, SessionError
from monitor.live.core import MonitorCore, SessionInfo
from monitor.storage.store import Store

CFG = load_clinical_config()
T0 = 1_700_000_000.0
CHECKLIST = {"fasting": True, "driver_arranged": True, "consent": True}
EVERYTHING_DUE = (
    "no baseline BP: the rise alarms stay off for this infusion",
    "Baseline scales not recorded: MOAA/S, CADSS, nausea 0-10, anxiety 0-10",
    "questionnaires due before the infusion not entered: PHQ-9, GAD-7",
)


def session(checklist: dict[str, bool] | None = CHECKLIST) -> tuple[ClinicalSession, list[tuple[str, dict, str]]]:
    clock = FakeClock(1000.0, wall_at_start=T0)
    kept: list[tuple[str, dict, str]] = []
    start = {} if checklist is None else {"checklist": checklist, "checklist_by": "AB"}
    s = ClinicalSession.opened(CFG, start=start, patient_id="P1", session_number=1,
                               infusion=InfusionEngine(DosePlan(70, 0.5, 40), clock=clock, wallclock=clock.wall),
                               journal=lambda rec, u: kept.append((rec.KIND, rec.to_data(), u)),
                               clock=clock, wallclock=clock.wall)
    return s, kept


def all_done(s: ClinicalSession) -> None:
    s.on_item(NibpResult(T0, "nibp", 128, 82, 97, 70))
    for score in (Moaas(5), Cadss((0,) * 6), Rating("nausea", 0), Rating("anxiety", 2)):
        s.record_scale(score, "AB")
    for code, items in (("phq9", [1] * 8 + [0]), ("gad7", [1] * 7)):
        s.record_outcome(entered(code, items, user="AB", mode="nurse", cutoffs={}, t=T0))


def test_each_unmet_item_is_named_and_goes_when_done():
    s, _ = session()
    assert s.start_unmet(instruments=("phq9", "gad7")) == EVERYTHING_DUE
    s.on_item(NibpResult(T0, "nibp", 128, 82, 97, 70))
    s.record_scale(Moaas(5), "AB")
    s.record_outcome(entered("phq9", [1] * 8 + [0], user="AB", mode="nurse", cutoffs={}, t=T0))
    assert s.start_unmet(instruments=("phq9", "gad7")) == (
        "Baseline scales not recorded: CADSS, nausea 0-10, anxiety 0-10",
        "questionnaires due before the infusion not entered: GAD-7")
    all_done(s)
    assert s.start_unmet(instruments=("phq9", "gad7")) == ()
    assert s.start_unmet(["SpO₂ 84 < 90"], ("phq9",)) == ("high alarm: SpO₂ 84 < 90",)


@pytest.mark.parametrize("checklist, words", [
    ({**CHECKLIST, "driver_arranged": False}, ("pre-infusion checklist: driver arranged not ticked",)),
    (None, ("pre-infusion checklist not recorded",)),
])
def test_the_checklist_from_the_start_dialog_is_an_item(checklist, words):
    s, _ = session(checklist)
    all_done(s)
    assert s.start_unmet(instruments=("phq9", "gad7")) == words


def test_an_unreviewed_flag_is_an_item_and_starting_anyway_confirms_it_once():
    s, kept = session()
    all_done(s)
    flagged = entered("phq9", [0] * 8 + [2], user="AB", mode="patient", cutoffs={}, t=T0)
    s.record_outcome(flagged)
    (item,) = s.start_unmet(instruments=("phq9", "gad7"))
    assert item.startswith("PHQ-9 item 9 = 2") and item.endswith(", not reviewed")
    assert s.start_refusal()
    s.record_start_check((item,), "AB", started=False)  # waited: still refused, still named
    assert s.start_refusal() and s.start_unmet(instruments=("phq9",)) == (item,)
    s.record_start_check((item,), "AB", started=True)
    assert s.start_refusal() == "" and s.start_unmet(instruments=("phq9",)) == ()
    checks = [(d["unmet"], d["started"], u) for k, d, u in kept if k == "start_check"]
    assert checks == [([item], False, "AB"), ([item], True, "AB")]
    ((override, by),) = [(d, u) for k, d, u in kept if k == "outcome_flag_override"]
    assert (override["outcome_ids"], override["stage"], by) == ([flagged.id], "infusion", "AB")


def test_an_answer_needs_a_user():
    s, kept = session()
    with pytest.raises(SessionError, match="user"):
        s.record_start_check(("no baseline BP",), " ", started=True)
    assert not [k for k, _, _ in kept if k == "start_check"]


def test_the_core_adds_the_high_alarms_active_now_and_the_patients_questionnaires(tmp_path, clock):
    core = MonitorCore(Store(tmp_path / "s.db"), [], clock=clock, wallclock=lambda: T0)
    core.start(SessionInfo(patient_id="P1", weight_kg=70, dose_mg_per_kg=0.5, infusion_min=40,
                           extra={"checklist": CHECKLIST}), operator="AB")
    try:
        assert core.start_unmet() == EVERYTHING_DUE
        all_done(core.clinical)
        assert core.start_unmet() == ()
        core.raise_technical(AppAlarm.RECORDING, Priority.HIGH, "Recording failed: the database refuses rows")
        core.raise_technical(AppAlarm.NIBP_OVERDUE, Priority.MEDIUM, "NIBP overdue")  # not high: not an item
        (item,) = core.start_unmet()
        assert item == "high alarm: Recording failed: the database refuses rows"
        core.clinical.record_start_check((item,), "AB", started=True)
        core.infusion_action("start", user="AB")
        assert core.infusion.state is InfusionState.RUNNING
    finally:
        core.stop()
    ((check, user),) = journal(core.store.path, core.session_id, "start_check")
    assert (check["unmet"], check["started"], user) == ([item], True, "AB")


def test_the_flag_still_refuses_a_start_nobody_confirmed(tmp_path, clock):
    core = MonitorCore(Store(tmp_path / "s.db"), [], clock=clock, wallclock=lambda: T0)
    core.start(SessionInfo(patient_id="P1", weight_kg=70, dose_mg_per_kg=0.5, infusion_min=40), operator="AB")
    try:
        core.clinical.record_outcome(entered("phq9", [0] * 8 + [1], user="AB", mode="patient", cutoffs={}, t=T0))
        with pytest.raises(InfusionError, match="not reviewed"):
            core.infusion_action("start", user="AB")
    finally:
        core.stop()
