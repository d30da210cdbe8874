"""live: (face written after the move)."""
