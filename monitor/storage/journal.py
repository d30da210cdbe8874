"""Reading a session's journal rows: the one rule of the chair's writer (Store) and every reader (SqlSessions).

A row that does not read (unknown kind, newer version, damaged data, a value its record refuses) is never
dropped unseen: it is kept, in words, beside the records that did read, so the review and the exports show it
and a caller that must decide on the journal (is this file already imported?) knows its view is incomplete.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from monitor.record.base import JournalEntry, from_row

#: The journal columns read_journal takes, in order (the SQL of the Store and of SqlSessions).
JOURNAL_COLUMNS = 't, kind, v, data, "user"'


@dataclass(frozen=True)
class JournalRead:
    """A journal as read: its records in row order, and each row that did not read, in words."""

    entries: tuple[JournalEntry, ...]
    unreadable: tuple[str, ...]


def read_journal(rows: Iterable[tuple]) -> JournalRead:
    """Read journal rows (JOURNAL_COLUMNS) into records; a row that does not read is named in unreadable."""
    entries, unreadable = [], []
    for t, kind, version, data, user in rows:
        try:
            entries.append(JournalEntry(t, user or "", from_row(kind, version, data)))
        except ValueError as exc:  # RecordError, or a record's own validation of its values
            unreadable.append(f"journal row of {t:.3f} (UTC epoch s): {exc}")
    return JournalRead(tuple(entries), tuple(unreadable))
