"""Smoke run of the import benchmark (a few minutes of capture): it runs end to end in the figure format."""

import re

from bench import import_capture

FIGURE = re.compile(r"^import of an [\d.]+ h capture \(\d+ MB, [\d,]+ values, [\d,]+ pleth samples\): [\d.]+ s "
                    r"\(floor [\d.]+ s parsing alone, ratio x[\d.]+\)$")


def test_import_benchmark_smoke_prints_its_figure():
    [line] = import_capture.run(**import_capture.QUICK)
    assert FIGURE.match(line), line
