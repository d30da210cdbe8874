"""record: (face written after the move)."""
