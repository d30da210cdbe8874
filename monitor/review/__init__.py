"""review: (face written after the move)."""
