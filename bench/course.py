"""Course: the BP forecast shown to the nurse before an infusion, and the whole course for the review station.

A patient with 12 ended sessions of 3 h each (SpO2, pulse and perfusion index stored at 1 Hz, a BP every
10 min). The forecast reads only what it needs (plan, infusion log, baseline, BP readings); the baseline
is the same forecast built from full review summaries (every numeric read), as the course does.
"""

from __future__ import annotations

import tempfile
import time

from monitor.clinical.config import load_clinical_config
from monitor.clinical.forecast import forecast_peak_sbp
from monitor.record.journal import Baseline, InfusionEvent
from monitor.review.course import build_course, earlier_infusion, next_infusion_forecast
from monitor.review.summary import summarize
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store

SESSIONS = 12
HOURS = 3.0
T0 = 1.8e9


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


#: The arguments of a `--quick` smoke run (bench/__main__.py).
QUICK = {"count": 3, "hours": 0.25}


def run(count: int = SESSIONS, hours: float = HOURS) -> list[str]:
    prior = load_clinical_config().bp_forecast
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"{tmp}/course.db")
        patient(store, count, hours)
        store.close()
        sessions = SqliteSessions(f"{tmp}/course.db")
        start = time.perf_counter()
        quick = next_infusion_forecast(sessions, "P-B", 0.5, 125.0, prior)
        forecast_s = time.perf_counter() - start
        start = time.perf_counter()
        earlier = [earlier_infusion(summarize(sessions, m)) for m in sessions.sessions(patient_id="P-B")]
        naive = forecast_peak_sbp([e for e in earlier if e is not None], 0.5, 125.0, prior)
        naive_s = time.perf_counter() - start
        assert naive.expected_peak == quick.expected_peak
        start = time.perf_counter()
        build_course(sessions, "P-B", prior)
        course_s = time.perf_counter() - start
        sessions.close()
    return [f"forecast before an infusion ({count} earlier sessions of {hours:g} h): {forecast_s * 1000:.0f} ms "
            f"(baseline {naive_s * 1000:.0f} ms from full summaries, ratio x{naive_s / forecast_s:.0f})",
            f"course of {count} sessions for the review station: {course_s * 1000:.0f} ms "
            f"(baseline {naive_s * 1000:.0f} ms for their summaries alone, ratio x{naive_s / course_s:.1f})"]


if __name__ == "__main__":
    print("\n".join(run()))
