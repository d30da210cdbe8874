"""Core of infusion-monitor: session, storage, alarms, infusion arithmetic, export, CLI.

Nothing in this package imports Qt, so every clinical rule runs and is tested headless.
"""

__version__ = "0.1.0"
