"""Simulated oximeters hold their numbers for their update period, as real ones do (devices.sim.held).

A CMS50D+ or Contec sends 60 packets a second but updates SpO2, pulse and PI
about once a second; their parsers count a change only at its second packet
in a row, so a simulator that rendered new numbers in every packet would make
clean streams look corrupted.
"""

from __future__ import annotations

from devices.cms50dplus import Cms50dPlusSimulator, decode
from devices.contec import START_LIVE, ContecSimulator, decode_live, decode_packet
from devices.sim.held import HeldNumerics
from devices.sim.physiology import Patient

PACKETS_PER_S = 60


def runs(values: list) -> list[int]:
    """Return the lengths of the runs of equal values, in order."""
    out: list[int] = []
    for i, v in enumerate(values):
        if i and v == values[i - 1]:
            out[-1] += 1
        else:
            out.append(1)
    return out


def test_numbers_are_taken_once_a_period_and_the_rest_of_the_vitals_every_packet():
    patient, held = Patient("artifact", seed=2), HeldNumerics(PACKETS_PER_S)
    shown = [held.hold(patient.step(20.0 + n / PACKETS_PER_S)) for n in range(3 * PACKETS_PER_S)]  # in motion
    assert runs([(v.spo2, v.pulse_rate, v.perfusion_index) for v in shown]) == [PACKETS_PER_S] * 3
    assert len(set(v.pleth for v in shown)) > 100 and all(v.artifact for v in shown)


def test_a_change_of_validity_shows_at_once_and_starts_a_new_period():
    patient, held = Patient("probe-off", seed=2), HeldNumerics(PACKETS_PER_S)
    shown = [held.hold(patient.step(39.5 + n / PACKETS_PER_S)) for n in range(2 * PACKETS_PER_S)]
    off = [v.spo2 is None for v in shown]
    assert off == [v.probe_off for v in shown] and off.index(True) == PACKETS_PER_S // 2  # at 40 s, not 40.5 s


def test_the_cms50dplus_simulator_changes_its_numbers_once_a_second_and_its_pleth_in_every_frame():
    sim, patient = Cms50dPlusSimulator(), Patient("artifact", seed=4)
    frames = [decode(sim.frame(patient.step(20.0 + n / PACKETS_PER_S))) for n in range(10 * PACKETS_PER_S)]
    assert runs([(f.spo2, f.pulse_rate) for f in frames])[:-1] == [PACKETS_PER_S] * 9  # the last may run on
    assert len(runs([f.pleth for f in frames])) > 5 * PACKETS_PER_S


def test_the_contec_simulator_changes_its_numbers_once_a_second_and_its_pleth_in_every_packet():
    sim, patient = ContecSimulator(), Patient("artifact", seed=4)
    sim.receive(START_LIVE, patient.step(20.0))
    packets = [decode_live(decode_packet(sim.frame(patient.step(20.0 + n / PACKETS_PER_S)))[1])
               for n in range(1, 10 * PACKETS_PER_S)]
    assert all(r % PACKETS_PER_S == 0 for r in runs([(p.spo2, p.pulse_rate, p.pi) for p in packets])[1:-1])
    assert len(runs([p.pleth for p in packets])) > 5 * PACKETS_PER_S
