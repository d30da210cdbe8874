"""Where the app keeps its database and logs (per-user data directory, overridable)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

DB_ENV = "INFUSION_MONITOR_DB"
CONFIG_ENV = "INFUSION_MONITOR_CONFIG"
APP = "infusion-monitor"


def default_db() -> Path:
    """Return $INFUSION_MONITOR_DB, else sessions.db in the user data directory."""
    env = os.environ.get(DB_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP, appauthor=False)) / "sessions.db"


def log_dir() -> Path:
    """Return the directory for the app's error log (created on demand)."""
    path = Path(platformdirs.user_log_dir(APP, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_file() -> Path:
    """Return $INFUSION_MONITOR_CONFIG, else config.json in the user config directory (it may not exist)."""
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_config_dir(APP, appauthor=False)) / "config.json"
