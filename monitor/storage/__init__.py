"""The chair's SQLite file: what is written, how it is read back, and how a fault keeps every row.

- schema: the migrations (the file's history) and the layout each version has
- integrity: checks a file is whole and ours before anything writes to it
- store: Store, the writer (sessions, patients, journal), shared under a lock; interrupted sessions
- recorder: the Recorder thread that batches device items into the store, under supervision
- levels: the min/max/mean buckets the recorder keeps for review at any zoom
- recovery: rows the database refused at stop, kept in a 0600 file and imported at the next start
- sessions: the readers, SessionSource over a file (SqliteSessions) with the SQL both stores share
- journal: the one rule reading journal rows (records, and the rows that do not read, in words)
- outcomes: a session's outcome entries and a patient's instruments, as stored
- summaries: the rows of kept review summaries, and each session's row facts that tell a stale one

Imports monitor.clinical, monitor.alarms and monitor.record, never a room above.
"""
