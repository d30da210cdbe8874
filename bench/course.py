"""Course: the BP forecast shown to the nurse before an infusion, and the whole course for the review station.

A patient's ended sessions of 1 h each (SpO2, pulse and perfusion index stored at 1 Hz, a BP every 10 min),
each summarized when it closed, as the chair does (monitor.review.stored). The forecast reads only what it
needs (plan, infusion log, baseline, BP readings); its baseline is the same forecast built from full review
summaries computed afresh (every numeric read). The course of 40 sessions is measured against the course of
4 (the target: under 10 ms per added infusion, 0.4 s in all), and against itself with every summary
computed afresh (as before summaries were stored).
"""

from __future__ import annotations

import tempfile
import time

from bench.timing import best_s
from monitor.clinical.config import load_clinical_config
from monitor.clinical.forecast import forecast_peak_sbp
from monitor.record.journal import Baseline, InfusionEvent
from monitor.review import course as course_module
from monitor.review import stored
from monitor.review.course import build_course, earlier_infusion, next_infusion_forecast
from monitor.review.summary import summarize
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store

SESSIONS = 40
SMALL = 4
HOURS = 1.0
T0 = 1.8e9
#: Per added infusion, what the course may cost at most (ms), and the times each course is read (the best counts).
TARGET_MS = 10.0


def patient(store: Store, sessions: int, hours: float) -> None:
    """Store the patient's `sessions` sessions of `hours`, one every 3 days."""
    store.ensure_patient("P-B", "Bench")
    for k in range(sessions):
        start = T0 + k * 3 * 86400
        sid = store.create_session(patient_id="P-B", started_utc=start, tz="UTC", weight_kg=70.0,
                                   dose_mg_per_kg=0.5, infusion_min=40.0, bag_ml=100.0)
        n = int(hours * 3600)
        numerics = [{"session_id": sid, "t": start + s, "source": "pulseox", "parameter": p, "value": v, "unit": u}
                    for s in range(n) for p, v, u in (("spo2", 97.0, "%"), ("pulse_rate", 70.0, "/min"),
                                                      ("perfusion_index", 2.0, "%"))]
        nibp = [{"session_id": sid, "t": start + s, "source": "nibp", "sbp": 125.0 + (s // 600) % 5 * 4, "dbp": 80.0,
                 "map": 95.0, "pulse_rate": 70.0, "error_code": 0} for s in range(0, n, 600)]
        journal = [Baseline(sbp=125.0, dbp=80.0), InfusionEvent(start + 600, "started", 150.0, 0.0),
                   InfusionEvent(start + 3000, "completed", 150.0, 35.0)]
        store.write_batch({"numerics": numerics, "nibp": nibp})
        for t, record in zip((start + 300, start + 600, start + 3000), journal):
            store.append_journal(sid, record, "bench", t)
        store.update_session(sid, state="closed", ended_utc=start + n)
        stored.store_summary(store, sid)  # as the chair does when it closes a session


#: The arguments of a `--quick` smoke run (bench/__main__.py).
QUICK = {"count": 6, "small": 2, "hours": 0.25}


def _course_s(path: str, prior) -> float:
    sessions = SqliteSessions(path)
    try:
        return best_s(lambda: build_course(sessions, "P-B", prior))
    finally:
        sessions.close()


def run(count: int = SESSIONS, small: int = SMALL, hours: float = HOURS) -> list[str]:
    prior = load_clinical_config().bp_forecast
    with tempfile.TemporaryDirectory() as tmp:
        for n in (small, count):
            store = Store(f"{tmp}/course{n}.db")
            patient(store, n, hours)
            store.close()
        small_s, course_s = _course_s(f"{tmp}/course{small}.db", prior), _course_s(f"{tmp}/course{count}.db", prior)
        sessions = SqliteSessions(f"{tmp}/course{count}.db")
        start = time.perf_counter()
        quick = next_infusion_forecast(sessions, "P-B", 0.5, 125.0, prior)
        forecast_s = time.perf_counter() - start
        start = time.perf_counter()
        earlier = [earlier_infusion(summarize(sessions, m)) for m in sessions.sessions(patient_id="P-B")]
        naive = forecast_peak_sbp([e for e in earlier if e is not None], 0.5, 125.0, prior)
        naive_s = time.perf_counter() - start
        assert naive.expected_peak == quick.expected_peak
        real = course_module.stored_summaries
        course_module.stored_summaries = lambda source, metas, now=None: [summarize(source, m, now) for m in metas]
        try:  # the course as it was before summaries were stored: every one computed afresh
            fresh_s = best_s(lambda: build_course(sessions, "P-B", prior))
        finally:
            course_module.stored_summaries = real
        sessions.close()
    per_ms = (course_s - small_s) * 1000 / (count - small)
    return [f"forecast before an infusion ({count} earlier sessions of {hours:g} h): {forecast_s * 1000:.0f} ms "
            f"(baseline {naive_s * 1000:.0f} ms from full summaries, ratio x{naive_s / forecast_s:.0f})",
            f"course of {count} sessions of {hours:g} h for the review station: {course_s * 1000:.0f} ms "
            f"(floor {small_s * 1000:.0f} ms for a course of {small}, ratio x{course_s / small_s:.1f})",
            f"course, per added infusion: {per_ms:.1f} ms (target {TARGET_MS:.0f} ms, "
            f"ratio x{TARGET_MS / max(per_ms, 0.01):.1f})",
            f"course of {count} sessions from stored summaries: {course_s * 1000:.0f} ms "
            f"(baseline {fresh_s * 1000:.0f} ms computing every summary, ratio x{fresh_s / course_s:.1f})"]


if __name__ == "__main__":
    print("\n".join(run()))
