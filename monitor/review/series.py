"""A stored session's numerics as arrays for review figures: one pass, NaN where a reading does not count."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from devices.plausibility import reliable
from monitor.storage.levels import Key
from monitor.storage.sessions import SessionMeta, SessionSource


def valid_series(source: SessionSource, meta: SessionMeta,
                 params: Iterable[str] | None = None) -> dict[Key, tuple[np.ndarray, np.ndarray]]:
    """Read a session's numerics as (t, value) arrays per (source, parameter), NaN where not valid.

    params limits the parameters read (None: all). One pass over the numerics, in time order.
    """
    wanted = None if params is None else set(params)
    rows: dict[Key, tuple[list[float], list[float]]] = {}
    for row in source.numerics(meta):
        if wanted is not None and row.parameter not in wanted:
            continue
        ts, vs = rows.setdefault((row.source, row.parameter), ([], []))
        ts.append(row.t)
        vs.append(float(row.value) if reliable(row.value, row.flags) else math.nan)  # type: ignore[arg-type]
    return {key: (np.asarray(ts, dtype=float), np.asarray(vs, dtype=float)) for key, (ts, vs) in rows.items()}
