"""Smoke run of the alarm latency benchmark (tiny sizes): it runs end to end and prints the BENCHMARKS.md format."""

from __future__ import annotations

import re

import pytest

from bench import alarm_latency
from bench.__main__ import machine

FIGURE = re.compile(r"^alarm latency p(50|99) \(frame to (alarm event|alarm bar shown), 3 alarms\): [\d.]+ ms "
                    r"\(baseline [\d,]+ ms, ratio x\d+\)$")


@pytest.mark.slow
def test_alarm_latency_smoke_prints_one_line_per_figure(qapp):
    lines = alarm_latency.run(rounds=3, naive_rounds=1)
    assert len(lines) == 4
    for line in lines:
        assert FIGURE.match(line), line


def test_machine_facts_come_first():
    facts = machine()
    assert facts[0].startswith("machine: ") and " cores" in facts[0]
    assert facts[1].startswith("python: 3.") and facts[2].startswith("qt: 6.")
