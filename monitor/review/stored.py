"""Stored review summaries: each ended session's summary computed once, kept in its file, read back by every reader.

A patient's course, the session browser, the PDF's course page and the alarm burden read a summary per
session; computing one reads every stored SpO2 and pulse value of the session. So the summary of a session
that has ended is computed once, when it closes (refresh_summary, called where a session is closed and after
a correction), and kept in the `summaries` table (monitor.storage.summaries) with the session browser's
line beside it. Decisions, stated once:

- A stored summary counts only while its mark matches: the version of the code that computes it (a hash of
  its modules' source, so any change to how a summary is computed makes every stored one stale), the
  session's row as the summary reads it (plan, start, end, state) and the session's row facts (its journal,
  BP results, alarm log and devices, its last numeric; see monitor.storage.summaries). A stale, missing or
  unreadable one is computed again, and kept again when the file can take it (a read-only file, an older
  one, the central store keep nothing and are read by computing).
- A running session's summary is never stored: it grows every second. An ended one (closed, discharged,
  interrupted) is; one made offline (import, replay) is kept when first read.
- What is stored is the summary exactly as computed (every figure, alarm, event, scale, the infusion fold),
  without the session's row (read fresh) or the outcomes section (it reads the patient's whole course; see
  monitor.review.session_outcomes). A stored summary equals a fresh computation: the tests hold it so.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

from monitor.clinical.infusion import InfusionState
from monitor.clinical.outcomes import SessionOutcomes
from monitor.record.base import Record, RecordError
from monitor.review.summary import SessionSummary, summarize
from monitor.storage.outcomes import record_outcomes
from monitor.storage.sessions import SessionMeta, SessionSource, SqliteSessions
from monitor.storage.store import Store, StoreError
from monitor.storage.summaries import Kept, summary_row

log = logging.getLogger(__name__)

#: The modules whose code decides what a stored summary holds: their source is its version.
_CODE = ("devices.plausibility", "monitor.alarms.lives", "monitor.clinical.dosing", "monitor.clinical.infusion",
         "monitor.clinical.markers", "monitor.review.series", "monitor.review.stored", "monitor.review.summary",
         "monitor.storage.sessions", "monitor.storage.summaries")
#: The fields of SessionSummary not stored: the session's row (read fresh), the outcomes section (the course's).
_NOT_STORED = ("meta", "outcomes")


@dataclass(frozen=True)
class LineFigures:
    """What the session browser lists of a session (monitor.review.sessions_list), read from its summary.

    delivered_mg (mg), peak_sbp (mmHg), min_spo2 (%) and alarm counts are the summary's; stop_reason is None
    unless the infusion was stopped early; own holds the questionnaires and flag reviews of its own journal.
    """

    delivered_mg: float | None
    peak_sbp: float | None
    min_spo2: float | None
    alarms: dict[str, int]
    stop_reason: str | None
    own: SessionOutcomes

    @classmethod
    def of(cls, summary: SessionSummary, own: SessionOutcomes) -> LineFigures:
        """Return the line's figures of a summary and the session's own outcome records."""
        inf, spo2 = summary.infusion, summary.spo2
        return cls(summary.delivered_mg, None if summary.peak_sbp is None else summary.peak_sbp.value,
                   None if spo2 is None or spo2.low is None else spo2.low.value, summary.alarm_counts(),
                   inf.stop_reason if inf is not None and inf.state is InfusionState.STOPPED else None, own)


@cache
def code_version() -> str:
    """Return the version of the code that computes a summary: a hash of its modules' source."""
    import importlib

    digest = hashlib.sha256()
    for name in _CODE:
        digest.update(Path(importlib.import_module(name).__file__ or name).read_bytes())
    return digest.hexdigest()[:16]


def mark_of(meta: SessionMeta, facts: str) -> str:
    """Return the mark of a session's summary: code version, the row fields it reads, and its row facts."""
    row = [meta.started_utc, meta.ended_utc, meta.state, meta.end_reason, meta.weight_kg, meta.dose_mg_per_kg,
           meta.infusion_min, meta.bag_ml, meta.tz]
    return json.dumps([code_version(), row, facts])


def summaries(source: SessionSource, metas: Sequence[SessionMeta], now: float | None = None) -> list[SessionSummary]:
    """Return each session's review summary in the order given (a running one up to now, UTC epoch s): the stored
    one while it is current, else computed (and kept when the store can take it)."""
    return [s for s, _ in _read(source, metas, now, with_summary=True)]


def line_figures(source: SessionSource, metas: Sequence[SessionMeta], now: float | None = None) -> list[LineFigures]:
    """Return each session's browser figures in the order given: the stored line while current, else computed."""
    return [f for _, f in _read(source, metas, now, with_summary=False)]


def store_summary(store: Store, session_id: int) -> SessionSummary | None:
    """Compute an ended session's summary and keep it in the store's file (after its close, or a correction).

    Returns the summary, None for a session still running (its summary grows: nothing is kept); StoreError
    or ValueError in words when it cannot be read or kept (readers then compute it).
    """
    source = SqliteSessions(store.path)
    try:
        meta = source.resolve(str(session_id))
        if meta.ended_utc is None:
            return None
        [kept] = source.kept_summaries([meta], with_summary=False).values()
        summary, own = _compute(source, meta, None)
    finally:
        source.close()
    store.write_batch({"summaries": [_row(meta, mark_of(meta, kept.facts), summary, own)]})
    return summary


def refresh_summary(store: Store, session_id: int) -> None:
    """Store a session's summary after its close or a correction; a failure is logged, never the close's or the
    correction's (readers compute the summary when they find none)."""
    if store.path == ":memory:":  # a test's store: no file to read the session back from
        return
    try:
        store_summary(store, session_id)
    except (StoreError, ValueError) as exc:
        log.warning("the review summary of session %s was not stored (%s); review computes it when read",
                    session_id, exc)
    except Exception:  # a bug must not turn a closed session into a failed close: loud in the log
        log.exception("the review summary of session %s was not stored; review computes it when read", session_id)


# --- reading and computing ----------------------------------------------------------------------


def _read(source: SessionSource, metas: Sequence[SessionMeta], now: float | None,
          with_summary: bool) -> list[tuple[SessionSummary | None, LineFigures]]:
    """Return (summary, line figures) of each session; summary None when only the stored line was read."""
    kept = source.kept_summaries([m for m in metas if m.ended_utc is not None], with_summary)
    out: list[tuple[SessionSummary | None, LineFigures]] = []
    keep = []
    for meta in metas:
        found = kept.get(meta.id)
        mark = None if found is None else mark_of(meta, found.facts)
        stored = _stored(meta, found, mark, with_summary)
        if stored is not None:
            out.append(stored)
            continue
        summary, own = _compute(source, meta, now)
        if mark is not None:
            keep.append(_row(meta, mark, summary, own))
        out.append((summary, LineFigures.of(summary, own)))
    if keep:
        source.keep_summaries(keep)
    return out


def _stored(meta: SessionMeta, found: Kept | None, mark: str | None,
            with_summary: bool) -> tuple[SessionSummary | None, LineFigures] | None:
    """Return a session's stored summary and line when current and readable, else None (compute them)."""
    if found is None or found.mark != mark:
        return None
    try:
        line = decode(json.loads(found.line), LineFigures)
        if not with_summary:
            return None, line
        data = json.loads(found.summary)
        return SessionSummary(meta=meta, outcomes=None, **{f.name: decode(data[f.name], hint)
                                                           for f, hint in _stored_fields()}), line
    except (ValueError, TypeError, KeyError, RecordError) as exc:  # written by a damaged file, or a bug: recompute
        log.warning("session %s: its stored review summary does not read (%s); computed again", meta.ref, exc)
        return None


def _compute(source: SessionSource, meta: SessionMeta, now: float | None) -> tuple[SessionSummary, SessionOutcomes]:
    record = source.record(meta)
    return summarize(source, meta, now, record=record), record_outcomes(record)


def _row(meta: SessionMeta, mark: str, summary: SessionSummary, own: SessionOutcomes) -> dict[str, object]:
    data = {f.name: encode(getattr(summary, f.name)) for f, _ in _stored_fields()}
    return summary_row(meta.id, mark, json.dumps(encode(LineFigures.of(summary, own)), separators=(",", ":")),
                       json.dumps(data, separators=(",", ":")))


@cache
def _stored_fields() -> tuple[tuple[dataclasses.Field, Any], ...]:
    hints = typing.get_type_hints(SessionSummary)
    return tuple((f, hints[f.name]) for f in dataclasses.fields(SessionSummary) if f.name not in _NOT_STORED)


# --- the JSON of frozen dataclasses ----------------------------------------------------------------


def encode(value: Any) -> Any:
    """Return a value of a summary as JSON-ready data: dataclasses as objects, enums by value, sets as lists."""
    if isinstance(value, Record):
        return value.to_data()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (tuple, list)):
        return [encode(v) for v in value]
    if isinstance(value, frozenset):
        return sorted(encode(v) for v in value)
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    return value


def decode(data: Any, hint: Any) -> Any:
    """Return JSON data as the annotated type (the inverse of encode); TypeError or ValueError when it does not fit."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if data is None:
        return None
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        kinds = [a for a in args if a is not type(None)]
        if len(kinds) != 1:
            raise TypeError(f"cannot decode a value of {hint}")
        return decode(data, kinds[0])
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode(v, args[0]) for v in data)
        return tuple(decode(v, a) for v, a in zip(data, args, strict=True))
    if origin is frozenset:
        return frozenset(decode(v, args[0]) for v in data)
    if origin is dict:
        return {k: decode(v, args[1]) for k, v in data.items()}
    if isinstance(hint, type):
        if issubclass(hint, Record):
            return hint.from_data(data)
        if dataclasses.is_dataclass(hint):
            hints = _hints(hint)
            return hint(**{f.name: decode(data[f.name], hints[f.name]) for f in dataclasses.fields(hint)
                           if f.name in data})
        if issubclass(hint, Enum):
            return hint(data)
        if hint is float:
            return float(data)
    return data


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)
