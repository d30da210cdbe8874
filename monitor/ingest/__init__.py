"""ingest: (face written after the move)."""
