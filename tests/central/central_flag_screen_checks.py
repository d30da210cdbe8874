"""The Start dialog at chair 5 for a patient flagged at chair 2, on a real display at 1366 x 768, driven by clicks:
while the central store is asked it says so and Start waits; the flag from the other chair then stands beside this
chair's, NOT REVIEWED, and Start needs the tick that it was read; a store not reached is one line, never a block.

Run by tests/central/test_central_flags_screens.py on Xvfb with QT_QPA_PLATFORM=xcb; pictures go to
$SCREEN_SHOTS_DIR when set.
"""

from __future__ import annotations

import time

import truth_screen_checks as truth
from flag_screen_checks import click, fits, flagged, typed_start_dialog  # noqa: F401
from PySide6.QtWidgets import QDialog

from monitor.central.flags import NOT_REACHED
from monitor.clinical.outcomes import OutcomeFlag
from monitor.record.outcomes import CentralFlagCheck, OutcomeScore
from monitor.storage.known_flags import seen_centrally
from monitor.storage.outcomes import FlagsElsewhere
from monitor.storage.store import Store
from ui import gallery

app, shots = truth.app, truth.shots  # the fixtures: the dark desktop, where the pictures go


class Lookup:
    """The central store's answer as the test sets it (None: still being asked)."""

    def __init__(self) -> None:
        self.result: FlagsElsewhere | None = None

    def answer(self, patient_id: str, wait_s: float = 0.0) -> FlagsElsewhere | None:
        return self.result


def other_chairs_flag() -> OutcomeFlag:
    score = OutcomeScore("phq9", (3, 2, 2, 2, 1, 2, 1, 1, 2), time.time() - 86400, "nurse", "nurse")
    return OutcomeFlag(score, (), 9, "chair-02")


def test_a_flag_from_another_chair_joins_this_chairs_and_start_waits_for_the_store(app, qtbot, flagged, shots):
    store, local = flagged
    lookup = Lookup()
    dlg = typed_start_dialog(qtbot, store, "P-KET-07", "12.03.1980", lookup)
    assert dlg.elsewhere_text.isVisible() and dlg.elsewhere_text.text() == "Checking flags at other chairs…"
    assert not dlg.ok.isEnabled() and "the check of flags at other chairs" in dlg.why_not.text()
    gallery.grab(dlg, shots / "central-flag-start-checking.png")
    remote = other_chairs_flag()
    lookup.result = FlagsElsewhere((remote,))
    qtbot.waitUntil(lambda: len(dlg.flags) == 2, timeout=5000)
    gallery.settle(200)
    lines = dlg.flag_text.text().splitlines()
    assert lines[0].startswith("Session 1, ") and lines[1].startswith("Session 9 at chair-02, ")
    assert "NOT REVIEWED" in lines[1] and not dlg.elsewhere_text.isVisible()
    assert dlg.why_not.text() == "Still needed: your confirmation that you read the unreviewed questionnaire flag."
    gallery.grab(dlg, shots / "central-flag-start-dialog.png")
    failures = fits("start dialog with a flag from another chair", dlg)
    click(qtbot, dlg.flag_seen)
    assert dlg.ok.isEnabled()
    click(qtbot, dlg.ok)
    assert dlg.result() == QDialog.DialogCode.Accepted
    assert dlg.session_info().extra["flags_seen"] == [local.id, remote.score.id]
    assert not failures, "\n".join(failures)


def test_a_store_not_reached_is_one_line_and_start_goes_on(app, qtbot, tmp_path, shots):
    store = Store(tmp_path / "chair.db")
    lookup = Lookup()
    lookup.result = FlagsElsewhere(notice=NOT_REACHED)
    dlg = typed_start_dialog(qtbot, store, "P-KET-07", "12.03.1980", lookup)
    assert dlg.elsewhere_text.isVisible() and dlg.elsewhere_text.text() == NOT_REACHED
    assert dlg.ok.isEnabled() and not dlg.flag_group.isVisible()
    gallery.grab(dlg, shots / "central-flag-not-reached.png")
    failures = fits("start dialog, central store not reached", dlg)
    store.close()
    assert not failures, "\n".join(failures)


def test_a_flag_seen_centrally_at_an_earlier_visit_stands_when_the_store_is_not_reached(app, qtbot, tmp_path, shots):
    store = Store(tmp_path / "chair.db")
    remote = other_chairs_flag()
    store.ensure_patient("P-KET-07", "Jordan Avery")
    earlier = store.create_session(patient_id="P-KET-07")  # the store answered at this earlier visit
    store.append_journal(earlier, CentralFlagCheck((), "", seen_centrally(FlagsElsewhere((remote,)))), "app",
                         time.time() - 3600)
    store.close_session(earlier)
    lookup = Lookup()
    lookup.result = FlagsElsewhere(notice=NOT_REACHED)
    dlg = typed_start_dialog(qtbot, store, "P-KET-07", "12.03.1980", lookup)
    assert dlg.elsewhere_text.isVisible()
    assert dlg.elsewhere_text.text().startswith(NOT_REACHED + "; showing those as last seen centrally on ")
    assert dlg.flag_group.isVisible() and dlg.flag_text.text().startswith("Session 9 at chair-02, ")
    assert not dlg.ok.isEnabled() and "read the unreviewed questionnaire flag" in dlg.why_not.text()
    gallery.grab(dlg, shots / "central-flag-as-last-seen.png")
    failures = fits("start dialog, flag as last seen centrally", dlg)
    click(qtbot, dlg.flag_seen)
    assert dlg.ok.isEnabled()
    store.close()
    assert not failures, "\n".join(failures)
