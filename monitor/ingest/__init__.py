"""Device bytes after the fact into a new, closed session, through the live path's parsers and recorder.

- capture: a capture file of one device (import)
- replay: a stored session's raw bytes parsed again (replay)
- offline: what both share: parsing with receive times, the recorder, the counts read back
"""
