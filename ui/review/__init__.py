"""The review station: session browser, whole-session timeline, summary, alarm burden, corrections, playback."""
