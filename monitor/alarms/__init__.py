"""Alarm system core (no Qt): limit profiles, the alarm engine, alarm tones.

    profile = load_profile("ketamine")
    engine = AlarmEngine(profile, clock=time.monotonic, wallclock=time.time)
    events = engine.on_item(item) + engine.tick()

The names below are loaded from their modules when first used (PEP 562): a
reader of the alarm log (monitor.alarms.model, for `sessions`) must not load
the engine and the profiles, which cost a windowless command half its start.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.alarms.engine import AlarmEngine
    from monitor.alarms.model import ActiveAlarm, AlarmEvent, AlarmKind, EventKind, Priority
    from monitor.alarms.profile import (
        Advisory,
        ParamLimits,
        Profile,
        ProfileError,
        TechnicalRule,
        bundled_profiles,
        load_profile,
        profile_from_dict,
        profile_to_dict,
        save_profile,
        validate_profile,
    )
    from monitor.alarms.tones import PATTERNS, REPEAT_S, tone_wav
    from monitor.record.journal import LimitChange

#: name -> the module that holds it
_HOMES = {
    "AlarmEngine": "monitor.alarms.engine",
    **dict.fromkeys(("ActiveAlarm", "AlarmEvent", "AlarmKind", "EventKind", "Priority"), "monitor.alarms.model"),
    **dict.fromkeys(("Advisory", "ParamLimits", "Profile", "ProfileError", "TechnicalRule", "bundled_profiles",
                     "load_profile", "profile_from_dict", "profile_to_dict", "save_profile", "validate_profile"),
                    "monitor.alarms.profile"),
    **dict.fromkeys(("PATTERNS", "REPEAT_S", "tone_wav"), "monitor.alarms.tones"),
    "LimitChange": "monitor.record.journal",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    """Load a name of the room from its module on first use."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'monitor.alarms' has no attribute '{name}'")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value
