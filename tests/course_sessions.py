"""A patient's course written through the real store and recorder, with known answers, for course tests.

Each Visit is one session on its own day (T0 + day days, 09:00 Europe/London): a baseline BP, BP readings
during the infusion, the infusion itself (completed, stopped early, never started, or still running), SpO2
at 1 Hz for a few minutes, scales, markers, alarms, and questionnaires entered at given minutes from the
session's start (negative or after the infusion on purpose in some tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from devices.values import NibpResult, sample
from monitor.alarms.model import AlarmEvent, AlarmKind, EventKind, Priority
from monitor.record.journal import InfusionEvent
from monitor.record.journal import MarkerRevision
from monitor.record.outcomes import OutcomeReview
from monitor.clinical.outcomes import entered
from monitor.storage.recorder import Recorder
from monitor.record.journal import Baseline, PhaseChange, ScaleEntry
from monitor.storage.store import Store

T0 = 1_700_038_800.0  # 2023-11-15 09:00 UTC (09:00 in London)
DAY = 86400.0
WEIGHT = 70.0
INFUSION_MIN = 40.0


def phq9(total: int, item9: int = 0) -> tuple[int, ...]:
    """Return PHQ-9 items (form order) with the given total and item 9."""
    items, left = [0] * 9, total - item9
    for i in range(8):
        items[i] = min(3, left)
        left -= items[i]
    assert left == 0, "total too high for the item 9 given"
    items[8] = item9
    return tuple(items)


def gad7(total: int) -> tuple[int, ...]:
    items, left = [0] * 7, total
    for i in range(7):
        items[i] = min(3, left)
        left -= items[i]
    return tuple(items)


@dataclass(frozen=True)
class Visit:
    """One session of the course; minutes are from the session's start, the infusion starts at minute 10."""

    day: float
    dose: float | None = 0.5
    baseline_sbp: float | None = 128.0
    sbps: tuple[float, ...] = (140.0, 150.0, 146.0)  # during the infusion, 10 min apart from minute 15
    infusion: str = "completed"  # completed, stopped, not_started, running
    outcomes: tuple[tuple[str, tuple[int, ...], float], ...] = ()  # (instrument, items, minute)
    reviews: tuple[tuple[int, str, float], ...] = ()  # (index into outcomes, reviewer, minute)
    spo2_low: float = 95.0
    cadss: tuple[int, ...] = (4,)
    moaas: tuple[int, ...] = (4,)
    markers: tuple[str, ...] = ()  # marker codes
    alarms: tuple[Priority, ...] = ()
    open_session: bool = False  # leave it running (this process, so it reads as running)
    extra: dict = field(default_factory=dict)


def make_course(db: Path, visits: list[Visit], patient: str = "P-1", name: str = "Grace Hopper") -> list[int]:
    """Write the visits as sessions of one patient; return their ids."""
    store = Store(db)
    store.ensure_patient(patient, name)
    ids = [_visit(store, patient, v) for v in visits]
    store.close()
    return ids


def _visit(store: Store, patient: str, v: Visit) -> int:
    start = T0 + v.day * DAY
    end = start + 130 * 60
    sid = store.create_session(patient_id=patient, started_utc=start, tz="Europe/London", weight_kg=WEIGHT,
                               dose_mg_per_kg=v.dose, infusion_min=INFUSION_MIN if v.dose else None,
                               bag_ml=100.0 if v.dose else None, profile="ketamine")
    rec = Recorder(store, sid)
    rec.start()
    j = rec.journal
    if v.baseline_sbp is not None:
        rec.put(NibpResult(start + 120, "nibp", v.baseline_sbp, 80.0, 96.0, 70.0))
        j(Baseline(sbp=v.baseline_sbp, dbp=80.0, spo2=97.0, pulse_rate=70.0, why="before the infusion"), "",
          start + 121)
    scores = []
    for code, items, minute in v.outcomes:
        s = entered(code, items, user="AB", mode="nurse", cutoffs={"pcl5": 33}, t=start + minute * 60)
        scores.append(s)
        j(s, "AB", s.t)
    for index, reviewer, minute in v.reviews:
        j(OutcomeReview(scores[index].id, reviewer, "no plan or intent; safety plan agreed", start + minute * 60),
          reviewer, start + minute * 60)
    total = WEIGHT * (v.dose or 0)
    t_inf = start + 600
    if v.infusion != "not_started" and v.dose:
        j(PhaseChange("infusion"), "", t_inf)
        j(InfusionEvent(t_inf, "started", 150.0, 0.0, "", "AB"), "AB", t_inf)
        if v.infusion == "completed":
            t_end = t_inf + INFUSION_MIN * 60
            j(InfusionEvent(t_end, "completed", 150.0, total, "", "AB"), "AB", t_end)
        elif v.infusion == "stopped":
            t_end = t_inf + INFUSION_MIN * 30
            j(InfusionEvent(t_end, "stopped", 150.0, total / 2, "BP 190/105", "AB"), "AB", t_end)
        if v.infusion != "running":
            j(PhaseChange("observation"), "", t_end)
    for k, sbp in enumerate(v.sbps if v.infusion != "not_started" else ()):
        t = t_inf + 300 + 600 * k
        rec.put(NibpResult(t, "nibp", sbp, 85.0, 105.0, 75.0))
    for s in range(300):  # SpO2 from minute 12, lowest for 30 s
        t = t_inf + 120 + s
        rec.put(sample(t, "pulseox", "spo2", v.spo2_low if 100 <= s < 130 else 97.0))
    for n, value in enumerate(v.cadss):
        j(ScaleEntry("cadss", value, t_inf + 1200 + 60 * n, (value, 0, 0, 0, 0, 0), "short", 24), "AB",
          t_inf + 1200 + 60 * n)
    for n, value in enumerate(v.moaas):
        j(ScaleEntry("moaas", value, t_inf + 1300 + 60 * n), "AB", t_inf + 1300 + 60 * n)
    for n, code in enumerate(v.markers):
        t = t_inf + 900 + 30 * n
        j(MarkerRevision(f"m{n}", 1, t, code, code.capitalize() + " given", "", "AB", t), "AB", t)
    for n, priority in enumerate(v.alarms):
        t = t_inf + 1000 + 60 * n
        for kind in (EventKind.RAISED, EventKind.CLEARED):
            rec.put(AlarmEvent(t + (20 if kind is EventKind.CLEARED else 0), kind, f"a{n}", "sbp_high",
                               AlarmKind.PHYSIOLOGICAL, priority, "SBP high", "nibp", "sbp", 170.0, 160.0))
    rec.stop()
    if not v.open_session:
        store.update_session(sid, state="closed", ended_utc=end, end_reason="closed")
    return sid


#: The clinician review's patient: 10 infusions over 5 weeks, PHQ-9 22 -> 3 (response at 4, remission at 6), then
#: remission lost at 8 and response lost at 9 (a relapse to 16); item 9 positive at 1 (reviewed at once) and 9
#: (never reviewed); dose raised to 0.75 mg/kg from infusion 5; infusion 9 stopped early at SBP 190.
TEN = [
    Visit(0, outcomes=(("phq9", phq9(22, 1), 2),), reviews=((0, "Dr Lee", 5),), markers=("nausea",)),
    Visit(2, outcomes=(("phq9", phq9(18), 2),), markers=("nausea", "antiemetic")),
    Visit(4, outcomes=(("phq9", phq9(14), 2),)),
    Visit(7, outcomes=(("phq9", phq9(10), 2),)),
    Visit(9, dose=0.75, outcomes=(("phq9", phq9(8), 2),), sbps=(150.0, 160.0), markers=("headache",)),
    Visit(11, dose=0.75, outcomes=(("phq9", phq9(4), 2),), sbps=(150.0, 162.0)),
    Visit(18, dose=0.75, outcomes=(("phq9", phq9(3), 2),), sbps=(155.0, 165.0)),
    Visit(25, dose=0.75, outcomes=(("phq9", phq9(7), 2),), sbps=(158.0, 168.0), markers=("dizziness",)),
    Visit(32, dose=0.75, baseline_sbp=140.0, outcomes=(("phq9", phq9(12, 2), 2),), sbps=(160.0, 190.0),
          infusion="stopped",
          markers=("vomiting", "antihypertensive"), alarms=(Priority.HIGH,)),
    Visit(35, dose=0.75, outcomes=(("phq9", phq9(16), 2),), sbps=(150.0, 160.0)),
]
