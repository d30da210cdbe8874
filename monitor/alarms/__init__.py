"""Alarm system core (no Qt): limit profiles, the alarm engine, alarm tones.

    profile = load_profile("ketamine")
    engine = AlarmEngine(profile, clock=time.monotonic, wallclock=time.time)
    events = engine.on_item(item) + engine.tick()
"""

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

__all__ = [
    "ActiveAlarm", "Advisory", "AlarmEngine", "AlarmEvent", "AlarmKind", "EventKind", "LimitChange", "PATTERNS",
    "ParamLimits", "Priority", "Profile", "ProfileError", "REPEAT_S", "TechnicalRule", "bundled_profiles",
    "load_profile", "profile_from_dict", "profile_to_dict", "save_profile", "tone_wav", "validate_profile",
]
