"""A clinic-year: the session browser, `sessions --patient` and a month's alarm burden on a year of a clinic's sessions.

The clinic has 6 chairs, each with 2 sessions of 2 h a day, for 250 days: 3,000 sessions, each with SpO2,
pulse rate and perfusion index at 1 Hz (realistic: a wandering baseline, noise, and now and then a dip
that raises an SpO2 alarm the nurse acknowledges), a BP every 5 min during the 40 min infusion and every
15 min otherwise, the journal of the infusion (baseline, phases, infusion events, CADSS, a PHQ-9 before it)
and the devices. Each patient comes to one chair and slot for 20 days. Sessions are written through the
real store (its bulk write for the values, a Recorder for the rest, closed as the chair closes them) and
summarized when closed, as the chair does. The database is built once and kept under the temporary
folder, named for the generator's version, the schema version and its size, so a rerun starts at once;
summaries made stale by a change of code are brought up to date (as the chair's next read would) before
anything is timed.

Figures, each at a tenth of the year and at the whole year, with how it grew: the browser's data (every
session's line, as the review station's list reads it), the `sessions --patient` command's work (in the
process: its query and lines), the alarm burden of a month, each against the 1 s target.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

import numpy as np

from bench.timing import best_s
from devices.values import NibpResult
from monitor.alarms.model import AlarmEvent, AlarmKind, EventKind, Priority
from monitor.clinical.outcomes import entered
from monitor.record.journal import Baseline, InfusionEvent, PhaseChange, ScaleEntry
from monitor.review import stored
from monitor.review.burden import range_burden
from monitor.review.sessions_list import session_lines
from monitor.storage.recorder import Recorder
from monitor.storage.schema import SCHEMA_VERSION
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import SessionEnd, Store

#: Bump when what the generator writes changes: a cached database of another version is not used.
GENERATOR_VERSION = 1
CHAIRS = 6
PER_DAY = 2
SESSION_S = 7200
DAYS_PER_PATIENT = 20
T0 = 1_767_247_200.0  # 2026-01-01 06:00 UTC
DAY = 86400.0
TARGET_S = 1.0
#: The arguments of a `--quick` smoke run (bench/__main__.py).
QUICK = {"sessions": 300}


def cache_path(sessions: int) -> Path:
    """Return where the clinic of this many sessions is kept between runs."""
    folder = Path(tempfile.gettempdir()) / "infusion-monitor-bench"
    return folder / f"clinic-g{GENERATOR_VERSION}-s{SCHEMA_VERSION}-{sessions}.db"


def clinic(sessions: int) -> Path:
    """Return the clinic database of `sessions` sessions, built (once) if it is not kept yet."""
    path = cache_path(sessions)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_suffix(f".{os.getpid()}.building")
    store = Store(building)
    try:
        for i in range(sessions):
            _session(store, i)
    finally:
        store.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    building.rename(path)  # whole or not at all: an interrupted build is never taken for a clinic
    return path


def _session(store: Store, i: int, chairs: int = CHAIRS, step: int = 1, running: bool = False) -> int:
    """Write session i of a clinic of `chairs` chairs (chair i % chairs, then slot, then day) and return its id:
    its values every `step` s in one bulk write, the rest through a Recorder, closed and summarized (unless
    `running`: then it is left open, as a chair's current session)."""
    chair, slot, day = i % chairs, (i // chairs) % PER_DAY, i // (chairs * PER_DAY)
    start = T0 + day * DAY + slot * 5 * 3600.0
    patient = f"P-{chair}{slot}-{day // DAYS_PER_PATIENT:02d}"
    if day % DAYS_PER_PATIENT == 0:
        store.ensure_patient(patient, f"Patient {chair}{slot}{day // DAYS_PER_PATIENT:02d}")
    sid = store.create_session(patient_id=patient, started_utc=start, tz="Europe/London", weight_kg=70.0,
                               dose_mg_per_kg=0.5, infusion_min=40.0, bag_ml=100.0, profile="ketamine")
    rng = np.random.default_rng(i)
    t = start + np.arange(SESSION_S, dtype=float)
    walk = np.cumsum(rng.normal(0.0, 0.05, SESSION_S))
    spo2 = np.clip(np.round(97.0 + walk - walk.mean() + rng.normal(0.0, 0.6, SESSION_S)), 88, 100)
    dip = rng.integers(1800, SESSION_S - 600) if rng.random() < 0.3 else None
    if dip is not None:  # a dip below 90 % for about a minute
        spo2[dip:dip + 60] = np.minimum(spo2[dip:dip + 60], 88.0)
    pulse = np.round(72.0 + 8.0 * np.sin(np.arange(SESSION_S) / 900.0) + rng.normal(0.0, 1.5, SESSION_S))
    pi = np.round(2.0 + 0.3 * np.sin(np.arange(SESSION_S) / 300.0) + rng.normal(0.0, 0.1, SESSION_S), 1)
    rows = [{"session_id": sid, "t": tt, "source": "pulseox", "parameter": p, "value": v, "unit": u}
            for p, u, values in (("spo2", "%", spo2), ("pulse_rate", "/min", pulse), ("perfusion_index", "%", pi))
            for tt, v in zip(t[::step].tolist(), values[::step].tolist())]
    rows.sort(key=lambda r: r["t"])
    store.write_batch({"numerics": rows, "devices": [
        {"session_id": sid, "role": role, "source": role, "protocol": protocol, "port": port, "t": start}
        for role, protocol, port in (("pulseox", "nonin", "/dev/ttyUSB0"), ("nibp", "carescape", "/dev/ttyUSB1"))]})
    rec = Recorder(store, sid, capture_raw=False)
    rec.start()
    t_inf = start + 1200
    rec.journal(entered("phq9", (2, 2, 1, 2, 1, 1, 1, 1, 0), user="AB", mode="patient", cutoffs={}, t=start + 300),
                "AB", start + 300)
    rec.journal(Baseline(sbp=126.0, dbp=80.0, spo2=97.0, pulse_rate=72.0, why="before the infusion"), "", start + 900)
    rec.journal(PhaseChange("infusion"), "AB", t_inf)
    rec.journal(InfusionEvent(t_inf, "started", 150.0, 0.0, "", "AB"), "AB", t_inf)
    rec.journal(InfusionEvent(t_inf + 2400, "completed", 150.0, 35.0, "", "AB"), "AB", t_inf + 2400)
    rec.journal(PhaseChange("observation"), "AB", t_inf + 2400)
    cadss = int(rng.integers(2, 14))
    rec.journal(ScaleEntry("cadss", cadss, t_inf + 1500, (cadss, 0, 0, 0, 0, 0), "short", 24), "AB", t_inf + 1500)
    for k, at in enumerate([*range(600, 1200, 900), *range(1200, 3600, 300), *range(3600, SESSION_S, 900)]):
        sbp = 126.0 + (18.0 if 1200 <= at < 3600 else 4.0) + float(rng.normal(0.0, 5.0))
        rec.put(NibpResult(start + at, "nibp", round(sbp), 82.0, 97.0, 74.0))
    if dip is not None:
        raised = start + dip + 10
        for kind, at, user in ((EventKind.RAISED, raised, ""), (EventKind.ACKNOWLEDGED, raised + 15, "AB"),
                               (EventKind.CLEARED, raised + 50, "")):
            rec.put(AlarmEvent(at, kind, f"a{i}", "spo2_low", AlarmKind.PHYSIOLOGICAL, Priority.HIGH,
                               "SpO2 low", "pulseox", "spo2", 88.0, 90.0, user))
    if running:
        rec.stop()
        return sid
    rec.stop(SessionEnd(start + SESSION_S, "closed"))
    stored.store_summary(store, sid)  # as the chair does at the close
    return sid


def measure(path: Path) -> dict[str, float]:
    """Return the seconds each figure takes on the clinic at path (its summaries brought up to date first)."""
    source = SqliteSessions(path)
    try:
        stored.summaries(source, source.sessions())  # a change of code made them stale: as the next read would
        metas = source.sessions()
        patient = metas[len(metas) // 2].patient_id
        theirs = sum(1 for m in metas if m.patient_id == patient)
        month = metas[-1].started_utc - 30 * DAY

        def browser() -> None:  # what the review station's list reads (ui/review/worker.py _list)
            listed = sorted(source.sessions(), key=lambda m: m.started_utc, reverse=True)
            assert sum(1 for _ in session_lines(source, listed)) == len(metas)

        def patient_sessions() -> None:  # the `sessions --patient` command after its start-up
            from monitor.cli.dispatch import main

            with contextlib.redirect_stdout(io.StringIO()) as out:
                assert main(["sessions", "--db", str(path), "--patient", patient]) == 0
            assert out.getvalue().count("closed") == theirs

        def burden() -> None:
            assert range_burden(source, since=month).sessions

        return {"browser": best_s(browser), "patient": best_s(patient_sessions), "burden": best_s(burden)}
    finally:
        source.close()


def run(sessions: int = CHAIRS * PER_DAY * 250) -> list[str]:
    sizes = (sessions // 10, sessions)
    took = {n: measure(clinic(n)) for n in sizes}
    small, big = took[sizes[0]], took[sizes[1]]
    names = {"browser": "session browser's data", "patient": "sessions --patient (in process)",
             "burden": "alarm burden of a month"}
    lines = [f"# clinic-year: {CHAIRS} chairs, {PER_DAY} sessions of {SESSION_S // 3600} h a day; "
             f"{sizes[0]:,} and {sizes[1]:,} sessions"]
    for key, name in names.items():
        lines.append(f"{name} ({sizes[1]:,} sessions): {big[key] * 1000:.0f} ms (target {TARGET_S * 1000:.0f} ms, "
                     f"ratio x{TARGET_S / big[key]:.1f})")
    lines.append("# grew from " + f"{sizes[0]:,} to {sizes[1]:,} sessions: " + ", ".join(
        f"{name} {small[key] * 1000:.0f} -> {big[key] * 1000:.0f} ms (x{big[key] / small[key]:.1f})"
        for key, name in names.items()))
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
