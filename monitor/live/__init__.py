"""The running monitor: the core loop, what it knows now, and what the screen shows.

- core: MonitorCore, readers + recorder + alarm engine + clinical session, and the commands people give
- state: LiveState, the latest values, sweeps and trends, read as a Snapshot
- view: the immutable values the window paints (ScreenView and its parts)
- screen: compose(CoreState) -> ScreenView, every display rule (stale, questionable, blocked, ages, words)
- forecast: the BP forecast line of the running infusion
- playback: a stored session played through a core, for review

The window imports this room only (and the clinical rules' types); it never reaches storage.
"""
