"""clinical: (face written after the move)."""
