"""The one form of a benchmark's figure line (bench/__main__.py), shared by the benchmarks' smoke tests."""

from __future__ import annotations

import re

#: `name: value unit (floor|baseline|target value ..., ratio xN)`: what was measured, and against what in the same run.
FIGURE = re.compile(r"^(?P<name>[^:]+): (?P<value>[\d.,]+) (?P<unit>[^()]*?) ?"
                    r"\((?P<kind>floor|baseline|target) [\d.,]+ [^()]*?, ratio x(?P<ratio>[\d.,]+)\)$")


def is_context(line: str) -> bool:
    """Tell a context line (the machine, a benchmark skipped, what a benchmark measures on): not a figure."""
    return line.startswith("# ")
