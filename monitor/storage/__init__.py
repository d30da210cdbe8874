"""storage: (face written after the move)."""
