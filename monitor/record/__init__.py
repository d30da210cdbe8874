"""What a session is, as data: the journal's typed, versioned records and the outcome instruments.

Importing this package defines every record kind, so `from_row` knows them all
wherever it is called from. It imports nothing of the code that reads or writes
the records (in the style of bluesky's event-model documents).
"""

from monitor.record.base import KINDS, JournalEntry, Record, RecordError, from_row, to_row
from monitor.record.journal import (
                                    AldreteScore,
                                    Baseline,
                                    BpRequest,
                                    DeviceIdentity,
                                    Discharge,
                                    InfusionEvent,
                                    LimitChange,
                                    ManualBp,
                                    MarkerRevision,
                                    ObservationComplete,
                                    OperatorChange,
                                    PhaseChange,
                                    RecoveryImport,
                                    ScaleEntry,
                                    SessionStart,
                                    SimulatedDevice,
)
from monitor.record.outcomes import MODES, CentralFlagCheck, FlagOverride, OutcomeReview, OutcomeScore
from monitor.record.signing import Signature, SigningMode

__all__ = [
    # the journal's machinery
    "KINDS", "JournalEntry", "Record", "RecordError", "from_row", "to_row",
    # session records
    "AldreteScore", "Baseline", "BpRequest", "DeviceIdentity", "Discharge", "InfusionEvent", "LimitChange",
    "ManualBp", "MarkerRevision", "ObservationComplete", "OperatorChange", "PhaseChange", "RecoveryImport",
    "ScaleEntry", "SessionStart", "SimulatedDevice",
    # outcomes
    "MODES", "CentralFlagCheck", "FlagOverride", "OutcomeReview", "OutcomeScore",
    # who signed
    "Signature", "SigningMode",
]
