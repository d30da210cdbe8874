"""Smoke run of the central replication benchmark (tiny sizes): end to end, BENCHMARKS.md format."""

from __future__ import annotations

import re

import pytest

from bench import central
from pg import require_postgres

pytestmark = pytest.mark.slow  # the benchmark runs against a throwaway PostgreSQL

FIGURES = [
    re.compile(r"^# postgresql: 1\d\.\d+.* \(throwaway local server, fsync on\)$"),
    re.compile(r"^central lag p50 \(2 chairs at real rate, 4 s, [\d,]+ commits, [\d,]+ rows/s shipped\): [\d.]+ s "
               r"\(target 2 s, ratio x[\d.]+\)$"),
    re.compile(r"^central lag p99 \(2 chairs at real rate\): [\d.]+ s \(target 2 s, ratio x[\d.]+\)$"),
    re.compile(r"^central size: [\d.]+ MB per chair-hour with 75 Hz pleth and raw bytes "
               r"\(baseline [\d.]+ MB/h the chair's SQLite file, ratio x[\d.]+\)$"),
    re.compile(r"^central shipping \(catch-up of [\d,]+ rows, [\d.]+ chair-h\): [\d,]+ rows/s "
               r"\(baseline [\d,]+ rows/s per-row INSERT\+COMMIT, ratio x\d+\)$"),
]


def test_central_bench_smoke_prints_one_line_per_figure():
    require_postgres()
    lines = central.run(**central.QUICK)
    assert len(lines) == len(FIGURES), lines
    for line, figure in zip(lines, FIGURES):
        assert figure.match(line), line
