"""The clinic's central store: PostgreSQL fed by every chair's replicator, read by the station and review.

A chair records to its own SQLite file whatever the network does; the
replicator (replicator.py) ships the file's rows to PostgreSQL. The central
schema is derived from the local one (schema.py), so a local migration is
followed by `central init`. reader.py reads it back as a SessionSource
(for sessions, summary, export, review), station.py for the central station.

psycopg is an optional dependency (`pip install infusion-monitor[central]`):
these modules import it only inside functions, so a chair without --central
never loads it.
"""
