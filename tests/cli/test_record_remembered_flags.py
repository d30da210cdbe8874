"""`record --central` before the session: with the store not reached, a flag it gave at an earlier visit still
refuses the infusion, and stderr says the flags are as last seen centrally (monitor.storage.known_flags)."""

from __future__ import annotations

import pytest

from monitor.app import UserError
from monitor.cli.record import _refuse_unreviewed_flags
from monitor.clinical.outcomes import OutcomeFlag
from monitor.record.outcomes import CentralFlagCheck, OutcomeScore
from monitor.storage.known_flags import seen_centrally
from monitor.storage.outcomes import FlagsElsewhere
from monitor.storage.store import Store

NOT_REACHED = "Central store not reached: flags from other chairs not checked"


class NotReached:
    def answer(self, patient_id: str, wait_s: float = 0.0) -> FlagsElsewhere:
        return FlagsElsewhere(notice=NOT_REACHED)


def test_a_flag_remembered_from_the_store_refuses_the_infusion_when_the_store_is_down(tmp_path, capsys):
    store = Store(tmp_path / "chair-b.db")
    remote = OutcomeFlag(OutcomeScore("phq9", (2, 2, 1, 1, 0, 1, 0, 0, 2), 1.7e9, "nurse", "nurse"), (), 4, "chair-a")
    sid = store.create_session(patient_id="P1")
    store.append_journal(sid, CentralFlagCheck((), "", seen_centrally(FlagsElsewhere((remote,)))), "app", 1.7e9 + 60)
    store.close_session(sid)
    with pytest.raises(UserError, match=r"unreviewed flag \(PHQ-9 item 9 = 2, session 4 at chair-a\)"):
        _refuse_unreviewed_flags(store, "P1", NotReached())
    assert capsys.readouterr().err.startswith(NOT_REACHED + "; showing those as last seen centrally on ")
    _refuse_unreviewed_flags(store, "P2", NotReached())  # nothing remembered: the notice alone, no refusal
    assert capsys.readouterr().err == NOT_REACHED + "\n"
