"""Rows of one table as tuples under one list of columns: the recorder's form for the tables it fills fastest.

A dict per row cost an 8 h import more than the database's own work:
building it for every reading, then taking it apart again into a tuple to
insert it. Tuples in a fixed column order go to executemany as they are
(Store.write_batch takes either form). Recovery files keep rows as dicts
(`dicts()`), readable by people and by older versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Tuples:
    """Rows as tuples, each value at the place of its column in `columns`."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def dicts(self) -> list[dict[str, Any]]:
        """Return the rows as dicts of column -> value."""
        return [dict(zip(self.columns, row)) for row in self.rows]
