"""monitor: (face written after the move)."""
