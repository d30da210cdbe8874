"""The dirty world end to end: every registered protocol through what real devices and lines send.

design/REAL-STREAMS.md lists it: invalid stretches from the first second, a
whole session of invalid SpO2 beside a valid ECG, invalid EtCO2 beside a valid
SpO2, blocks that arrive with jitter, captures cut inside a frame or glued
together with a repeating clock, noisy lines, flapping cables, another
device's bytes. The simulators render each in the protocol's real bytes and
keep the truth of what they sent (devices.sim.faults.TruthLog); the product
runs its real chain on them and these invariants hold:

- nothing dies: no exception, no reader/recorder thread gone, no "internal
  error" or "Recording stopped" technical alarm, nothing logged as an error;
- nothing false: every stored value without a "questionable"/"artifact" flag
  is one the device sent as valid (same parameter, equal at the device's
  resolution; live, also read within a second of when it was stored);
- no alarm from a single reading: where every value sent lies inside the
  alarm limits, no physiological alarm is raised;
- nothing lost: on a line that delivers every byte, every reading of a device
  that reports once a second is stored once, and a device that repeats its
  numerics 3-75 times a second has at least every change stored and never
  more rows than readings; every NIBP result is stored once;
- the session ends with the truth: closed, its counts those in the file, no
  row outside its span.

Two paths: `import` of a capture (scenario time, no I/O: minutes of device
time in a moment) and `record`'s chain (a reader thread on a simulated port
-> MonitorCore -> recorder -> SQLite) at a few times real speed.
"""

from __future__ import annotations

import logging
import math
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from devices import registry
from devices.sim.capture import device_capture
from devices.sim.faults import FAULTS, Sent, SimulatedLine, TruthLog, parse_scenario
from devices.sim.port import SimulatedPort
from devices.spec import DeviceSpec
from devices.values import LIVE_ONLY
from monitor.alarms import load_profile
from monitor.live.core import MonitorCore
from monitor.ingest.capture import Capture, import_capture
from monitor.storage.store import Store
from stored import rows

pytestmark = pytest.mark.slow  # real-stream replays in real time

PROTOCOLS = registry.protocol_names()
CAPTURE_END = 1_760_000_000.0  # the capture file's time (UTC epoch s)
DOUBTFUL = frozenset({"questionable", "artifact"})  # flags that say "do not trust this value"
LOSSY = frozenset({"noisy", "foreign", "flapping"})  # faults after which not every reading can arrive
NIBP_PARAMS = frozenset({"sbp", "dbp", "map", "nibp_pulse_rate"})

IMPORT_SCENARIOS = ["baseline", "invalid-stretches", "spo2-invalid", "etco2-invalid", "probe-off", "desat+jitter+cut",
                    "baseline+repeat", "baseline+noisy", "baseline+foreign", "baseline+flapping"]
LIVE_SCENARIOS = ["invalid-stretches", "spo2-invalid", "baseline+noisy+flapping"]


def role_of(protocol: str) -> str:
    return "pulseox" if "pulseox" in registry.get(protocol).roles else "nibp"


def capture_seconds(protocol: str) -> float:
    """Return how long a capture runs: two NIBP measurements for a cuff, four minutes of an oximeter or monitor."""
    return 330.0 if role_of(protocol) == "nibp" else 240.0


# --- reading back ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stored:
    """What a session holds, read straight from the file."""

    state: str
    started: float
    ended: float | None
    numerics: list[tuple[float, str, float | None, frozenset[str]]]  # t, parameter, value, flags
    nibp: int
    alarms: list[tuple[str, str, str, str]]  # event, kind, condition, message

    @classmethod
    def read(cls, db: Path, session_id: int) -> "Stored":
        [(state, started, ended)] = rows(db, "SELECT state, started_utc, ended_utc FROM sessions WHERE id = ?",
                                         [session_id])
        numerics = [(t, p, v, frozenset(f.split(",")) - {""} if f else frozenset()) for t, p, v, f in rows(
            db, "SELECT t, parameter, value, flags FROM numerics WHERE session_id = ? ORDER BY rowid", [session_id])]
        [(nibp,)] = rows(db, "SELECT COUNT(*) FROM nibp WHERE session_id = ? AND sbp IS NOT NULL", [session_id])
        alarms = rows(db, "SELECT event, kind, condition, message FROM alarms WHERE session_id = ?", [session_id])
        return cls(state, started, ended, numerics, nibp, alarms)

    def valid(self, param: str) -> list[float]:
        """Return the stored values of a parameter that are not 'no value', in storage order."""
        return [v for _, p, v, _ in self.numerics if p == param and v is not None]


# --- the invariants ----------------------------------------------------------------------------------------------------

def false_values(stored: Stored, truth: TruthLog, window_s: float | None = None,
                 near: float = 0.0) -> list[tuple[float, str, float]]:
    """Return stored values, not flagged as doubtful, that the device never sent as valid.

    near: a value within this much of one the device sent counts as sent. Only for a noisy line, where two
    corrupted bytes of one frame can keep an additive checksum (Nonin: the sum of four bytes) and change a
    number by a unit, inside the change any reading may make: no parser can tell it (a known limit, README).

    window_s: a value must also have been read by the host within this many
    seconds of its stored time (live, where both are the computer's clock);
    an NIBP reading, which a parser reports once though the device repeats
    it, must have been read by then (a corrupted first copy is taken from a
    later one).
    """
    sent: dict[str, list[Sent]] = {}
    for s in truth.sent:
        sent.setdefault(s.param, []).append(s)

    def when(s: Sent, t: float, param: str) -> bool:
        if window_s is None or s.host_t is None:
            return True
        return s.host_t <= t + window_s if param in NIBP_PARAMS else abs(s.host_t - t) <= window_s

    bad = []
    for t, param, value, flags in stored.numerics:
        if value is None or flags & DOUBTFUL or param in LIVE_ONLY:
            continue
        if not any(math.isclose(value, s.value, rel_tol=1e-9, abs_tol=max(near, 1e-6)) and when(s, t, param)
                   for s in sent.get(param, ())):
            bad.append((t, param, value))
    return bad


def nothing_false(stored: Stored, truth: TruthLog, window_s: float | None = None, near: float = 0.0) -> list[str]:
    bad = false_values(stored, truth, window_s, near)
    return [f"nothing false: {len(bad)} stored values the device never sent valid, e.g. {bad[:4]}"] if bad else []


def every_reading_stored(stored: Stored, truth: TruthLog, cut: bool) -> list[str]:
    """Each reading stored once: exactly for 1 Hz reports, every change (and no extra row) for repeating streams."""
    broken = []
    for param in sorted(truth.params() - LIVE_ONLY):
        sent = truth.values(param)
        got = stored.valid(param)
        gaps = [b.t - a.t for a, b in zip(sent, sent[1:]) if not b.replayed]
        if len(sent) < 2 or statistics.median(gaps) >= 0.9:
            if not len(sent) - int(cut) <= len(got) <= len(sent):
                broken.append(f"every reading stored: {param} {len(got)} stored of {len(sent)} reported")
        else:
            changes = 1 + sum(1 for a, b in zip(sent, sent[1:]) if a.value != b.value)
            if not changes - int(cut) <= len(got) <= len(sent):
                broken.append(f"every reading stored: {param} {len(got)} stored, {changes} changes in "
                              f"{len(sent)} readings")
    if stored.nibp != len(truth.nibp):
        broken.append(f"every reading stored: {stored.nibp} NIBP results stored of {len(truth.nibp)} sent")
    return broken


def closed_with_the_truth(stored: Stored) -> list[str]:
    if stored.state != "closed" or stored.ended is None:
        return [f"closed: the session is {stored.state}"]
    outside = [(t, p) for t, p, _, _ in stored.numerics if not stored.started - 1e-6 <= t <= stored.ended + 1e-6]
    return [f"closed: {len(outside)} rows outside the session, e.g. {outside[:3]}"] if outside else []


def inside_limits(truth: TruthLog, profile: str = "ketamine") -> bool:
    """Tell whether every value sent lies strictly inside the profile's alarm limits (so no alarm is right)."""
    limits = load_profile(profile).limits
    for s in truth.sent:
        lim = limits.get(s.param)
        if lim is None:
            continue
        lows = [x for x in (lim.medium_low, lim.high_low) if x is not None]
        highs = [x for x in (lim.medium_high, lim.high_high) if x is not None]
        if any(s.value <= x for x in lows) or any(s.value >= x for x in highs):
            return False
    return True


def no_alarm_from_nothing(stored: Stored, truth: TruthLog) -> list[str]:
    if not inside_limits(truth):
        return []
    raised = [a for a in stored.alarms if a[0] == "raised" and a[1] == "physiological"]
    return [f"no alarm from a single reading: {len(raised)} raised, e.g. {raised[:2]}"] if raised else []


def nothing_died(stored: Stored, errors: list[str]) -> list[str]:
    dead = [a[3] for a in stored.alarms if a[0] == "raised" and a[2] in ("internal", "recording")]
    return [f"nothing died: {m}" for m in dead + errors]


def holds(broken: list[str]) -> None:
    """Fail with every broken invariant named, one a line (not only the first)."""
    assert not broken, "\n".join(broken)


def test_the_invariants_catch_what_they_are_for():
    """The checks themselves: a value never sent, a lost reading, an extra row, a running session each break one."""
    truth = TruthLog(sent=[Sent(float(i), "spo2", 97.0, host_t=100.0 + i) for i in range(5)])
    good = Stored("closed", 100.0, 105.0, [(100.0 + i, "spo2", 97.0, frozenset()) for i in range(5)], 0, [])
    assert nothing_false(good, truth, 1.5) == [] and every_reading_stored(good, truth, cut=False) == []
    assert closed_with_the_truth(good) == [] and no_alarm_from_nothing(good, truth) == []
    false = Stored("closed", 100.0, 105.0, good.numerics + [(102.5, "spo2", 16.0, frozenset())], 0, [])
    assert nothing_false(false, truth) and every_reading_stored(false, truth, cut=False)
    doubted = Stored("closed", 100.0, 105.0, good.numerics + [(102.5, "spo2", 16.0, frozenset({"questionable"}))],
                     0, [])
    assert nothing_false(doubted, truth) == []
    late = Stored("closed", 100.0, 105.0, [(104.0, "spo2", 97.0, frozenset())], 0, [])
    assert nothing_false(late, TruthLog(sent=[Sent(0.0, "spo2", 97.0, host_t=100.0)]), 1.5)  # sent, but not then
    off_by_one = Stored("closed", 100.0, 105.0, good.numerics + [(102.5, "spo2", 96.0, frozenset())], 0, [])
    assert nothing_false(off_by_one, truth) and nothing_false(off_by_one, truth, near=1.0) == []  # a noisy line's
    assert nothing_false(false, truth, near=1.0)  # ...but never a value further from any the device sent
    assert every_reading_stored(Stored("closed", 100.0, 105.0, good.numerics[:4], 0, []), truth, cut=False)
    assert closed_with_the_truth(Stored("running", 100.0, None, [], 0, []))
    assert closed_with_the_truth(Stored("closed", 100.0, 105.0, [(99.0, "spo2", 97.0, frozenset())], 0, []))
    alarmed = Stored("closed", 100.0, 105.0, good.numerics, 0, [("raised", "physiological", "spo2_low", "SpO2 16")])
    assert no_alarm_from_nothing(alarmed, truth)


# --- the import path ---------------------------------------------------------------------------------------------------

def imported(tmp_path: Path, protocol: str, data: bytes) -> tuple[Stored, object]:
    path = tmp_path / f"{protocol}.bin"
    path.write_bytes(data)
    os.utime(path, (CAPTURE_END, CAPTURE_END))
    db = tmp_path / "s.db"
    report = import_capture(Store(db), Capture.open(protocol, path))
    return Stored.read(db, report.session_id), report


def mostly_foreign(truth: TruthLog) -> bool:
    """Tell whether another device's bytes come near the device's own (40 % of the file or more): an import may
    then refuse the file, since noise and cuts also take some of the device's own bytes out of its frames."""
    return 5 * truth.foreign_taken >= 2 * truth.bytes_taken


def import_or_refuse(tmp_path: Path, protocol: str, data: bytes, truth: TruthLog, scenario: str):
    """Import a capture: (Stored, report), or None where it was refused as another protocol and may be.

    A file the device's own bytes do not outnumber may be refused ("is it another protocol?"), or imported
    when its frames prove the protocol (long checksummed ones); any other file must import.
    """
    try:
        return imported(tmp_path, protocol, data)
    except ValueError as exc:
        if (mostly_foreign(truth) or not truth.sent) and "is it another protocol" in str(exc):
            return None
        pytest.fail(f"nothing died: the import of the {protocol} capture ({scenario}) was refused: {exc}")


@pytest.mark.parametrize("protocol, scenario", [(p, s) for p in PROTOCOLS for s in IMPORT_SCENARIOS],
                         ids=[f"{p}-{s}" for p in PROTOCOLS for s in IMPORT_SCENARIOS])
def test_import_of_a_dirty_capture_stores_the_truth(tmp_path, protocol, scenario):
    data, truth = device_capture(protocol, capture_seconds(protocol), scenario, seed=3)
    got = import_or_refuse(tmp_path, protocol, data, truth, scenario)  # a NIBP module's few bytes may drown
    if got is None:
        return
    stored, report = got
    faults = set(parse_scenario(scenario)[1])
    broken = closed_with_the_truth(stored) + nothing_false(stored, truth)
    if report.stored.numerics != len(stored.numerics):
        broken.append(f"closed: the import says {report.stored.numerics} numerics, the file holds "
                      f"{len(stored.numerics)}")
    if not faults & LOSSY:
        broken += every_reading_stored(stored, truth, cut="cut" in faults)
    holds(broken)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@settings(max_examples=6, deadline=None, derandomize=True, database=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(faults=st.sets(st.sampled_from(sorted(FAULTS)), min_size=1), seed=st.integers(1, 10_000))
def test_any_fault_mix_in_a_capture_stores_nothing_false(tmp_path_factory, protocol, faults, seed):
    """Fault mixes drawn by Hypothesis (derandomized, not shrunk: the same six mixes on every run)."""
    scenario = "+".join(["invalid-stretches", *sorted(faults)])
    data, truth = device_capture(protocol, 120.0, scenario, seed=seed)
    got = import_or_refuse(tmp_path_factory.mktemp("mix"), protocol, data, truth, scenario)
    if got is None:
        return
    stored, _ = got
    holds(closed_with_the_truth(stored) + nothing_false(stored, truth, near=1.0 if "noisy" in faults else 0.0))


# --- the live chain ----------------------------------------------------------------------------------------------------

#: Scenario time per wall second, per protocol: within what its driver's timers (keep-alive, poll periods, the
#: device's own timeouts, all on the computer's clock) allow, so speed never breaks a link that works at x1.
LIVE_SPEED = {"contec": 2.5, "intellivue": 4.0, "carescape": 4.0}
LIVE_SCENARIO_S = 24.0  # invalid-stretches: 22 s with no valid value from the first second, then valid ones

@pytest.mark.parametrize("protocol, scenario", [(p, s) for p in PROTOCOLS for s in LIVE_SCENARIOS],
                         ids=[f"{p}-{s}" for p in PROTOCOLS for s in LIVE_SCENARIOS])
def test_recording_a_dirty_device_keeps_the_truth(tmp_path, caplog, protocol, scenario):
    caplog.set_level(logging.ERROR)
    speed = LIVE_SPEED.get(protocol, 6.0)
    line = SimulatedLine(protocol, scenario, seed=5, truth=True)
    origin = time.monotonic()
    db = tmp_path / "s.db"
    spec = DeviceSpec(role_of(protocol), protocol, f"sim:{scenario}")
    core = MonitorCore(Store(db), [spec], open_port=lambda _spec: SimulatedPort.reopen(line, origin, speed))
    sid = core.start()
    died = []
    try:
        deadline = time.monotonic() + LIVE_SCENARIO_S / speed * 4 + 30  # generous: a loaded machine reads late
        while line.elapsed < LIVE_SCENARIO_S and time.monotonic() < deadline:
            time.sleep(0.05)
        assert line.elapsed >= LIVE_SCENARIO_S, "the simulated device was never read to the end"
        died += [f"reader {name} died" for name, r in core.readers.items() if not r.is_alive()]
        died += [] if core.recorder is not None and core.recorder.is_alive() else ["the recorder thread died"]
    finally:
        core.stop()
    stored = Stored.read(db, sid)
    died += [f"logged: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]
    holds(nothing_died(stored, died) + closed_with_the_truth(stored) + nothing_false(stored, line.truth, 1.5)
          + no_alarm_from_nothing(stored, line.truth))
