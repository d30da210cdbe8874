"""Smoke run of the import benchmark (a few minutes of capture): it runs end to end in the BENCHMARKS.md format."""

import re

from bench import import_capture

FIGURE = re.compile(r"^import of an [\d.]+ h capture \(\d+ MB, [\d,]+ values\): [\d.]+ s "
                    r"\(baseline \d+ s estimated, ratio x[\d.]+\)$")


def test_import_benchmark_smoke_prints_its_figure():
    [line] = import_capture.run(hours=0.05, naive_seconds=0.2)
    assert FIGURE.match(line), line
