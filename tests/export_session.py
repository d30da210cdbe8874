"""A stored session with every kind of record, written through the real store and recorder, for export tests.

The session (patient P-7, 70 kg, 0.5 mg/kg over 40 min planned) runs `minutes`
minutes from T0 with 1 Hz SpO2/pulse/PI, a 75 Hz pleth, a BP every 5 minutes
(one failed, one typed in), an infusion with a pause and a rate change, markers
(one edited, one deleted), scales, PHQ-9 (item-9 flag, reviewed) and GAD-7,
a high SpO2 alarm acknowledged by AB, a technical alarm, and a discharge.
"""

from __future__ import annotations

import math
from pathlib import Path

from devices.values import DeviceInfo, NibpResult, WaveSegment, sample
from monitor.alarms.model import AlarmEvent, AlarmKind, EventKind, Priority
from monitor.record.journal import InfusionEvent
from monitor.record.journal import MarkerRevision
from monitor.record.outcomes import OutcomeReview, OutcomeScore
from monitor.storage.recorder import Recorder
from monitor.record.journal import AldreteScore, Baseline, Discharge, PhaseChange, ScaleEntry, SessionStart
from monitor.storage.store import Store

T0 = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
DESAT = (8 * 60, 9 * 60)  # SpO2 88 % between these seconds
BP_EVERY_S = 300
LATENCY_S = 0.3  # a block monitor's usual delay from taking a block's last sample to its arrival


def spo2_at(s: int) -> float:
    return 88.0 if DESAT[0] <= s < DESAT[1] else 97.0 - (s // 120) % 2


def pulse_at(s: int) -> float:
    return 70.0 + round(10 * math.sin(s / 200.0))


def make_session(db: Path, minutes: int = 20, patient: str = "P-7", name: str = "Ada Lovelace",
                 birth_date: str | None = "1980-03-12") -> int:
    """Write the session and return its id; it is closed by a discharge at the end."""
    store = Store(db)
    store.ensure_patient(patient, name)
    end = T0 + minutes * 60
    sid = store.create_session(patient_id=patient, started_utc=T0, tz="Europe/Paris", weight_kg=70.0,
                               dose_mg_per_kg=0.5, infusion_min=40.0, bag_ml=100.0, profile="ketamine",
                               birth_date=birth_date)
    store.write_batch({"devices": [
        {"session_id": sid, "source": "pulseox", "role": "pulseox", "protocol": "nonin", "port": "/dev/ttyUSB0",
         "baudrate": 9600, "model": "", "serial_number": "", "firmware": "", "t": T0},
        {"session_id": sid, "source": "nibp", "role": "nibp", "protocol": "suntech", "port": "/dev/ttyUSB1",
         "baudrate": 9600, "model": "Advantage", "serial_number": "SN-4411", "firmware": "3.2", "t": T0}]})
    rec = Recorder(store, sid)
    rec.start()
    rec.put(DeviceInfo(T0 + 1, "pulseox", "Nonin OEM III", "N-123", "60"))
    j = rec.journal
    j(SessionStart(patient, 3, 6, {"fasting": True, "driver": True}, "AB"), "AB", T0)
    j(Baseline(sbp=128.0, dbp=82.0, spo2=97.0, pulse_rate=70.0, why="first BP before the infusion"), "", T0 + 30)
    j(PhaseChange("infusion"), "", T0 + 60)
    infusion = [
        InfusionEvent(T0 + 60, "started", 150.0, 0.0, "", "AB"),
        InfusionEvent(T0 + 300, "paused", 150.0, 5.25, "nausea", "AB"),
        InfusionEvent(T0 + 360, "resumed", 150.0, 5.25, "", "AB"),
        InfusionEvent(T0 + 420, "rate_changed", 120.0, 6.56, "BP rising", "CD"),
        InfusionEvent(end - 120, "stopped", 120.0, 25.4, "end of test session", "CD"),
    ]
    for ev in infusion:
        j(ev, ev.user, ev.t)
    nausea = MarkerRevision("m1", 1, T0 + 290, "nausea", "Nausea", "", "AB", T0 + 291)
    j(nausea, "AB", nausea.recorded_at)
    j(MarkerRevision("m1", 2, T0 + 280, "nausea", "Nausea", "mild", "CD", T0 + 400, "time corrected"), "CD", T0 + 400)
    j(MarkerRevision("m2", 1, T0 + 500, "vomiting", "Vomiting", "", "AB", T0 + 501), "AB", T0 + 501)
    j(MarkerRevision("m2", 2, T0 + 500, "vomiting", "Vomiting", "", "AB", T0 + 510, "wrong key", True), "AB", T0 + 510)
    j(MarkerRevision("m3", 1, T0 + 600, "note", "Note", "patient asleep, calm", "AB", T0 + 601), "AB", T0 + 601)
    j(ScaleEntry("moaas", 4, T0 + 610, anchor="lethargic response to name", time_points=("40 min",),
                 phase="infusion"), "AB", T0 + 611)
    j(ScaleEntry("cadss", 5, T0 + 620, (1, 0, 2, 1, 0, 1), "short", 24, time_points=("40 min",), phase="infusion"),
      "AB", T0 + 621)
    phq = OutcomeScore("phq9", (2, 2, 1, 1, 2, 1, 1, 0, 1), T0 + 10, "AB", "nurse", id="o1")
    gad = OutcomeScore("gad7", (1, 1, 2, 1, 0, 1, 1), T0 + 12, "AB", "nurse", id="o2")
    j(phq, "AB", phq.t)
    j(gad, "AB", gad.t)
    j(OutcomeReview("o1", "Dr Lee", "no plan or intent; safety plan discussed", T0 + 20), "Dr Lee", T0 + 20)
    alarms = [
        AlarmEvent(T0 + DESAT[0] + 10, EventKind.RAISED, "a1", "spo2_low", AlarmKind.PHYSIOLOGICAL, Priority.HIGH,
                   "SpO2 88 < 90", "pulseox", "spo2", 88.0, 90.0),
        AlarmEvent(T0 + DESAT[0] + 25, EventKind.ACKNOWLEDGED, "a1", "spo2_low", AlarmKind.PHYSIOLOGICAL,
                   Priority.HIGH, "SpO2 88 < 90", "pulseox", "spo2", 88.0, 90.0, "AB"),
        AlarmEvent(T0 + DESAT[1] + 3, EventKind.CLEARED, "a1", "spo2_low", AlarmKind.PHYSIOLOGICAL, Priority.HIGH,
                   "SpO2 88 < 90", "pulseox", "spo2", 97.0, 90.0),
        AlarmEvent(T0 + 700, EventKind.RAISED, "a2", "no_data", AlarmKind.TECHNICAL, Priority.MEDIUM,
                   "Pulse oximeter: no data", "pulseox", ""),
        AlarmEvent(T0 + 712, EventKind.CLEARED, "a2", "no_data", AlarmKind.TECHNICAL, Priority.MEDIUM,
                   "Pulse oximeter: no data", "pulseox", ""),
    ]
    k = 0
    for s in range(minutes * 60):
        t = T0 + s
        spo2 = None if 700 <= s < 712 else spo2_at(s)  # the technical alarm's gap: no value
        rec.put(sample(t, "pulseox", "spo2", spo2))
        rec.put(sample(t, "pulseox", "pulse_rate", None if spo2 is None else pulse_at(s)))
        rec.put(sample(t, "pulseox", "perfusion_index", 2.0 + (s % 7) / 10))
        rec.put(WaveSegment(t, "pulseox", "pleth", tuple(float(round(50 + 40 * math.sin(2 * math.pi * (s + i / 75)
                                                                                  * 1.2))) for i in range(75)),
                            75.0))
        while k < len(alarms) and alarms[k].t <= t:
            rec.put(alarms[k])
            k += 1
        if s % BP_EVERY_S == 30:
            n = s // BP_EVERY_S
            if n == 2:
                rec.put(NibpResult(t, "nibp", None, None, None, None, 3, "cuff leak"))
            else:
                sbp, dbp = 128.0 + 4 * n, 82.0 + 2 * n
                mean = round((sbp + 2 * dbp) / 3, 1)
                rec.put(NibpResult(t, "nibp", sbp, dbp, mean, 72.0))
                for param, value in (("sbp", sbp), ("dbp", dbp), ("map", mean), ("nibp_pulse_rate", 72.0)):
                    rec.put(sample(t, "nibp", param, value))
    rec.put(NibpResult(end - 90, "manual", 140.0, 88.0, 105.3, None, flags=frozenset({"manual"})))
    j(Discharge(AldreteScore(2, 2, 2, 2, 2, 10, 140.0, 128.0, 97.0, False), True, "spouse", "CD", end - 30, 9, True,
                closed=True), "CD", end - 30)
    j(PhaseChange("closed"), "", end)
    rec.stop()
    store.update_session(sid, state="closed", ended_utc=end, end_reason="discharged")
    store.close()
    return sid


def make_empty_session(db: Path) -> int:
    """Write a session that was started and closed with nothing recorded."""
    store = Store(db)
    sid = store.create_session(patient_id="P-0", started_utc=T0)
    store.close_session(sid)
    store.close()
    return sid


def make_block_session(db: Path, rate: float, block: int, seconds: float, jitter: tuple[float, float],
                       gaps: tuple[tuple[float, float], ...] = (), seed: int = 18) -> list[tuple[float, float]]:
    """Write a session whose monitor sends the pleth in blocks (a CARESCAPE's 100 samples once a second, an
    IntelliVue's 32 every 256 ms) that arrive with jitter (s, uniform); return (when taken, value) of each
    sample sent, in order (UTC epoch s).

    The monitor sends nothing while a gap (start, end in s from T0) lasts. Sample k's value is k mod 1000,
    so a reader can tell every sample from its neighbours and see one lost, doubled or out of place.
    """
    import random

    rng = random.Random(seed)
    store = Store(db)
    sid = store.create_session(patient_id="P-9", started_utc=T0, tz="UTC")
    rec = Recorder(store, sid)
    rec.start()
    sent: list[tuple[float, float]] = []
    k, arrived = 0, T0
    while (k + block) / rate <= seconds:
        taken = (k + block) / rate  # when the block's last sample was taken, s from T0
        if not any(g0 <= taken < g1 for g0, g1 in gaps):
            values = tuple(float((k + i) % 1000) for i in range(block))
            arrived = max(arrived, T0 + taken + LATENCY_S + rng.uniform(*jitter))  # bytes come in order
            rec.put(WaveSegment(arrived, "monitor", "pleth", values, rate))
            sent += [(T0 + (k + i) / rate, value) for i, value in enumerate(values)]
        k += block
    rec.stop()
    store.update_session(sid, state="closed", ended_utc=T0 + seconds, end_reason="stopped")
    store.close()
    return sent


#: Three separate SpO2 desaturations (start, end in s from T0, value): three alarm episodes, each its own alarm_id.
EPISODES = ((120, 150, 88.0), (300, 330, 87.0), (480, 510, 86.0))


def make_episodes_session(db: Path, minutes: int = 10, late_end_s: float = 0.0, notes: int = 0) -> int:
    """Write a session with three SpO2 alarm episodes, each raised 5 s into its desaturation, ended with it and
    cleared 3 s later; and a "no data" technical alarm raised 20 s before the end that is still present when
    the session closes. late_end_s > 0: the last episode's condition lasts that long past the session's end
    (its end and clear come as the session closes). notes: that many event markers, four a second.
    """
    store = Store(db)
    end = T0 + minutes * 60
    sid = store.create_session(patient_id="P-3", started_utc=T0, tz="UTC")
    rec = Recorder(store, sid)
    rec.start()
    events = []
    for n, (e0, e1, value) in enumerate(EPISODES, start=1):
        common = (f"e{n}", "spo2_low", AlarmKind.PHYSIOLOGICAL, Priority.HIGH, f"SpO2 {value:g} < 90", "pulseox",
                  "spo2", value, 90.0)
        ended = end + late_end_s if n == len(EPISODES) and late_end_s else T0 + e1
        events += [AlarmEvent(T0 + e0 + 5, EventKind.RAISED, *common),
                   AlarmEvent(ended, EventKind.ENDED, *common), AlarmEvent(ended + 3, EventKind.CLEARED, *common)]
    events.append(AlarmEvent(end - 20, EventKind.RAISED, "t1", "no_data", AlarmKind.TECHNICAL, Priority.MEDIUM,
                             "Pulse oximeter: no data", "pulseox", ""))
    for n in range(notes):
        t = T0 + 1 + n / 4
        rec.journal(MarkerRevision(f"n{n}", 1, t, "note", "Note", f"note {n}", "AB", t), "AB", t)
    for s in range(minutes * 60):
        value = next((v for e0, e1, v in EPISODES if e0 <= s < e1), 97.0)
        rec.put(sample(T0 + s, "pulseox", "spo2", value))
    for event in sorted(events, key=lambda e: e.t):
        rec.put(event)
    rec.stop()
    store.update_session(sid, state="closed", ended_utc=end, end_reason="stopped")
    store.close()
    return sid
