"""Smoke run of the review benchmark on a short session: it runs and prints its figures in the agreed format."""

from __future__ import annotations

import re

from bench.review import run


def test_review_benchmark_prints_load_and_zoom_against_a_baseline(qapp):
    lines = run(hours=0.05)
    pattern = r"review {}: [\d.]+ ms.*\(baseline [\d.]+ ms, ratio x\d+\)"
    assert any(re.match(pattern.format("load"), line) for line in lines), lines
    assert any(re.match(pattern.format("zoom"), line) for line in lines), lines
