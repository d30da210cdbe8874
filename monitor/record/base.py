"""Typed, versioned records of everything a session journals.

A journal row is (t, kind, v, data, user): `kind` names a record class, `v` the
version of its data shape, `data` its JSON. Review, reports, exports and the
central store read records through `from_row`, never raw JSON, so they share
one schema; a reader of an older row gets today's record (each class upgrades
its own old versions in `_upgrade`). Writing goes the other way through
`Record.to_data`. A record's fields are plain values (str, float, int, bool,
None, tuples of those, nested records), so the JSON round trip is exact.

Records that the clinical modules already define (InfusionEvent, MarkerRevision,
LimitChange) subclass Record where they live; the rest live here.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Any, ClassVar, TypeVar

R = TypeVar("R", bound="Record")

#: kind -> record class; filled by Record.__init_subclass__.
KINDS: dict[str, type[Record]] = {}


class RecordError(ValueError):
    """A journal row that cannot be read as a record (unknown kind, newer version, damaged data)."""


class Record:
    """Base of journal records: a frozen dataclass with a KIND and a VERSION of its data shape."""

    KIND: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.KIND:
            if cls.KIND in KINDS and KINDS[cls.KIND].__qualname__ != cls.__qualname__:
                raise TypeError(f"record kind '{cls.KIND}' is defined twice")
            KINDS[cls.KIND] = cls

    def to_data(self) -> dict[str, Any]:
        """Return the JSON-ready data of this record (the journal's `data` column)."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_data(cls: type[R], data: dict[str, Any], version: int | None = None) -> R:
        """Build the record from stored data of `version` (default: the current one), upgrading old shapes."""
        version = cls.VERSION if version is None else version
        if version > cls.VERSION:
            raise RecordError(f"'{cls.KIND}' record version {version} is newer than this app knows ({cls.VERSION})")
        if version < cls.VERSION:
            data = cls._upgrade(dict(data), version)
        hints = _hints(cls)
        values = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name in data:
                values[f.name] = _typed(data[f.name], hints[f.name])
        try:
            return cls(**values)
        except TypeError as exc:
            raise RecordError(f"'{cls.KIND}' record lacks a field: {exc}") from None

    @classmethod
    def _upgrade(cls, data: dict[str, Any], version: int) -> dict[str, Any]:
        """Return data of an older version in the current shape (classes with VERSION > 1 override)."""
        return data


@dataclass(frozen=True)
class JournalEntry:
    """One journal row read back: when it was written (UTC epoch s), by whom, and the record."""

    t: float
    user: str
    record: Record

    @property
    def kind(self) -> str:
        """Return the record's kind."""
        return self.record.KIND


def to_row(record: Record) -> tuple[str, int, str]:
    """Return (kind, version, JSON data) for a journal row."""
    if not record.KIND:
        raise RecordError(f"{type(record).__name__} has no KIND and cannot be journaled")
    return record.KIND, record.VERSION, json.dumps(record.to_data(), separators=(",", ":"))


def from_row(kind: str, version: int | None, data: str | None) -> Record:
    """Read a journal row's record; RecordError if the kind is unknown or the data damaged.

    Rows written before versions were stored (schema 1) have version 1.
    """
    cls = KINDS.get(kind)
    if cls is None:
        raise RecordError(f"unknown journal record kind '{kind}'")
    try:
        parsed = json.loads(data or "{}")
    except ValueError as exc:
        raise RecordError(f"'{kind}' record is damaged: {exc}") from None
    if not isinstance(parsed, dict):
        raise RecordError(f"'{kind}' record is not an object")
    version = 1 if version is None else int(version)
    if version > cls.VERSION:  # here, not only in from_data: a kind with its own from_data must refuse it too
        raise RecordError(f"'{kind}' record version {version} is newer than this app knows ({cls.VERSION})")
    return cls.from_data(parsed, version)


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_data()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _typed(value: Any, hint: Any) -> Any:
    """Turn a JSON value back into the annotated type (tuples, nested records, enums)."""
    if value is None:
        return None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _typed(value, arg)
            except (TypeError, ValueError):
                continue
        return value
    if origin is tuple:
        inner = args[0] if args else Any
        return tuple(_typed(v, inner) for v in value)
    if origin is dict:
        vt = args[1] if len(args) == 2 else Any
        return {k: _typed(v, vt) for k, v in value.items()}
    if isinstance(hint, type):
        if issubclass(hint, Record) and isinstance(value, dict):
            return hint.from_data(value)
        if issubclass(hint, Enum):
            return hint(value)
        if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if hint is int and isinstance(value, float) and value.is_integer():
            return int(value)
    return value


# --- records that belong to no clinical module ---------------------------------------------------
