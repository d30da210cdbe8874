"""The clinical panel: phase and observation timer, BP due, scales and questionnaires due, the item-9 flag,
event markers (with a few seconds to undo a stray key) and discharge.

It paints a ClinicalView (monitor.live.screen) and turns the nurse's clicks and
number keys into session calls recorded under the user at the monitor; the
session journals everything. Nothing clinical is decided here.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from monitor.clinical.markers import MarkerError
from monitor.clinical.session import SessionError
from monitor.clinical.signing import Action
from monitor.live.core import MonitorCore
from monitor.live.view import ClinicalView, MarkerLine
from ui import theme
from ui.dialogs import ask_text, confirm, tell
from ui.monitor.clinical_dialogs import DischargeDialog, MarkerEditDialog, ScalesDialog
from ui.monitor.outcome_dialog import FlagReviewDialog, OutcomeDialog
from ui.signing import signed_by
from ui.widgets import ElidedLabel, ShrinkElidedLabel, button, fit_together

BP_ROLES = {"normal": "", "todo": "todo", "overdue": "warning"}
HINT = "Events: keys 1–9 or the buttons, 0 a note; click an event to change it"


class ClinicalPanel(QFrame):
    """Compact panel under the trends; needs a core with a ClinicalSession. patient() names the patient."""

    def __init__(self, core: MonitorCore, patient: Callable[[], str] = lambda: "") -> None:
        super().__init__()
        assert core.clinical is not None
        self.core = core
        self.session = core.clinical
        self.patient = patient
        self.setObjectName("panel")
        self.phase = ElidedLabel()
        theme.set_font(self.phase, 17, bold=True)
        self.timer_label = ElidedLabel()
        theme.set_font(self.timer_label, 17, bold=True)
        self.bp = ElidedLabel()
        self.scales = ShrinkElidedLabel()
        self.outcomes = ShrinkElidedLabel()
        for label in (self.bp, self.scales, self.outcomes):
            theme.set_font(label, 16, bold=True)
        self.discharge_button = button("Discharge…", self.open_discharge, 15, 30)
        self.scales_button = button("Scales…", self.open_scales, 15, 30)
        self.outcome_button = button("Questionnaires…", self.open_outcomes, 15, 30)
        self.review_button = button("Review flag…", self.review_flag, 15, 30)
        self.marker_buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        grid.setSpacing(4)
        for i, m in enumerate(self.session.markers.markers):
            b = button(f"{m.key} {m.button}", lambda _=False, k=m.key: self.mark_key(k), 15, 32, fits=True)
            b.setToolTip(f"{m.label} (key {m.key})")
            self.marker_buttons[m.key] = b
            grid.addWidget(b, i // 5, i % 5)
        fit_together(list(self.marker_buttons.values()))
        self.undo_text = ShrinkElidedLabel(HINT)
        theme.set_font(self.undo_text, 15)
        self.undo_button = button("Undo", self.undo, 15, 30)
        self.undo_button.setEnabled(False)
        self.list = QListWidget()
        self.list.setMinimumHeight(56)
        theme.set_font(self.list, 15)
        self.list.itemClicked.connect(self.edit_marker)
        self.list.itemActivated.connect(self.edit_marker)

        self.bp.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        box = QVBoxLayout(self)
        box.setContentsMargins(10, 4, 10, 6)
        box.setSpacing(3)
        for row_widgets in ((self.phase, self.timer_label, self.bp), (self.scales, self.scales_button,
                                                                      self.discharge_button),
                            (self.outcomes, self.review_button, self.outcome_button)):
            row = QHBoxLayout()
            for w in row_widgets:
                row.addWidget(w, 0 if isinstance(w, QPushButton) else 2 if w is self.bp else 1)
            box.addLayout(row)
        box.addLayout(grid)
        self.undo_row = QHBoxLayout()  # the window adds its page switch here in the compact layout
        self.undo_row.addWidget(self.undo_text, 1)
        self.undo_row.addWidget(self.undo_button)
        box.addLayout(self.undo_row)
        box.addWidget(self.list, 1)
        self.view: ClinicalView | None = None
        self._shown_markers: tuple | None = None  # None: nothing painted yet, so "No events yet" shows at once

    def set_compact(self, compact: bool) -> None:
        """Use the compact layout's lower marker buttons and shorter event list (at least two events shown)."""
        for b in self.marker_buttons.values():  # narrow padding: "4 Dissociation" whole on a 1024 px screen
            b.setMinimumHeight(30 if compact else 32)
            b.setStyleSheet("QPushButton { padding: 2px 4px; }" if compact else "")
            b.PADDING = 12 if compact else type(b).PADDING
        self.list.setMinimumHeight(44 if compact else 56)

    @property
    def user(self) -> str:
        return self.core.operator

    # --- painting ---------------------------------------------------------------------

    def show_view(self, v: ClinicalView) -> None:
        """Paint a ClinicalView."""
        self.view = v
        self.phase.setText(v.phase)
        self.timer_label.setText(v.timer)
        theme.restyle(self.timer_label, "role", "todo" if v.timer_done else "")
        self.bp.setText(v.bp_due)
        theme.restyle(self.bp, "role", BP_ROLES[v.bp_role])
        self.scales.setText(v.scales)
        theme.restyle(self.scales, "role", "todo" if v.scales_due or v.scales_missed else "dim")
        if v.flags:
            self.outcomes.setText("⚑ " + v.flags[0][1] + (f" (+{len(v.flags) - 1} more)" if len(v.flags) > 1 else ""))
            theme.restyle(self.outcomes, "role", "warning")
        else:
            self.outcomes.setText(v.outcomes + v.flags_reviewed)
            theme.restyle(self.outcomes, "role", "todo" if v.outcomes_due else "dim")
        self.review_button.setEnabled(bool(v.flags))
        self.discharge_button.setEnabled(v.discharge_allowed and not v.closed)
        for b in (*self.marker_buttons.values(), self.scales_button, self.outcome_button):
            b.setEnabled(not v.closed)
        undo = _undoable(v)
        if undo is not None:
            self.undo_text.setText(f"Marked {undo.text}")
            self.undo_button.setText(f"Undo ({undo.undo_s:.0f} s)")
        else:
            self.undo_text.setText(HINT)
            self.undo_button.setText("Undo")
        self.undo_button.setEnabled(undo is not None)
        theme.restyle(self.undo_text, "role", "todo" if undo is not None else "dim")
        shown = tuple((m.marker_id, m.text) for m in v.markers)
        if shown != self._shown_markers:
            self._shown_markers = shown
            self.list.clear()
            if not shown:
                item = QListWidgetItem("No events yet")
                item.setFlags(Qt.NoItemFlags)
                self.list.addItem(item)
            for marker_id, text in shown:
                item = QListWidgetItem(text)
                item.setData(Qt.UserRole, marker_id)
                if not marker_id:  # an infusion step: its correction is the infusion's own (Rate, Stop early)
                    item.setFlags(Qt.ItemIsEnabled)
                self.list.addItem(item)

    # --- commands ---------------------------------------------------------------------------

    def mark_key(self, key: str) -> None:
        """Mark the event of a key now; the free-text key asks for its note first."""
        try:
            definition = self.session.markers.definition(key)
        except MarkerError:
            return
        note = ""
        if definition.free_text:
            note = ask_text(self, definition.label, "Note for the record:", "e.g. asks for water", ok="Add note")
            if not note:
                return
        try:
            self.session.mark(key, self.user, note=note)
        except MarkerError as exc:
            tell(self, "Event", str(exc), warning=True)

    def undo(self) -> None:
        """Take back the event just marked (a stray key), within the session's undo time."""
        marker = _undoable(self.view) if self.view else None
        if marker is None:
            return
        try:
            self.session.undo_mark(marker.marker_id, self.user)
        except (SessionError, MarkerError) as exc:
            tell(self, "Event", str(exc), warning=True)

    def edit_marker(self, item: QListWidgetItem) -> None:
        marker_id = item.data(Qt.UserRole)
        latest = next((m for m in self.session.status().markers if m.id == marker_id), None)
        if latest is None:
            return
        dialog = MarkerEditDialog(latest, self.session.markers.markers, self.session.markers.session_start, self)
        if not dialog.exec():
            return
        try:
            if dialog.deleted:
                self.session.delete_marker(marker_id, user=self.user, reason=dialog.reason.text())
            else:
                self.session.edit_marker(marker_id, user=self.user, reason=dialog.reason.text(), **dialog.changes())
        except MarkerError as exc:
            tell(self, "Event", str(exc), warning=True)

    def open_scales(self) -> None:
        v = self.view
        wanted = (v.scales_due if v and v.scales_due else ("moaas", "cadss", "nausea", "anxiety"))
        title = f"Scales due: {v.scales_title}" if v and v.scales_title else "Scales (at will)"
        dialog = ScalesDialog(wanted, title, self.patient(), self)
        dialog.adjustSize()
        top = self.window().geometry()  # from the window's left edge: the tiles' numerals on the right stay in sight
        dialog.move(top.left(), max(top.top(), top.top() + (top.height() - dialog.height()) // 2))
        if dialog.exec():
            for score in dialog.scores():
                self.session.record_scale(score, self.user)

    def open_outcomes(self, mode: str = "") -> None:
        """Enter the patient's questionnaires, by the nurse or handed to the patient."""
        if not mode:
            mode = "patient" if confirm(self, "Questionnaires", "Who fills in the questionnaires?",
                                        "The patient, on this screen", "I enter the answers") else "nurse"
        dialog = OutcomeDialog(self.core.outcome_instruments(), user=self.user, mode=mode,
                               cutoffs=self.session.config.outcomes.cutoffs, parent=self)
        if dialog.exec():
            for score in dialog.scores():
                self.session.record_outcome(score)

    def review_flag(self) -> None:
        """Record a clinician's review of the first unreviewed item-9 flag."""
        flag = next(iter(self.session.status().unreviewed_flags), None)
        if flag is None:
            return
        dialog = FlagReviewDialog(flag, user="", parent=self, tz=self.core.tz)  # the reviewer names themselves
        if dialog.exec():
            reviewer, note = dialog.review()
            signer = signed_by(self, self.core, Action.FLAG_REVIEW, reviewer)  # a clinician's PIN with a staff list
            if signer is None:
                return
            try:
                self.session.review_outcome_flag(flag.score.id, signer.full, note)
            except ValueError as exc:
                tell(self, "Questionnaire flag", str(exc), warning=True)

    def open_discharge(self) -> None:
        assert self.view is not None
        dialog = DischargeDialog(self.session.discharge_unmet, self.view.discharge, self.user, self.patient(), self)
        if not dialog.exec():
            return
        aldrete = dialog.aldrete()
        if aldrete is None:
            return
        signer = signed_by(self, self.core, Action.DISCHARGE)  # the current user's PIN with a staff list
        if signer is None:
            return
        try:
            result = self.session.discharge(aldrete, vitals_near_baseline=dialog.vitals_ok.isChecked(),
                                            responsible_adult=dialog.adult.text(),
                                            checked_by=signer.initials if signer.signed else dialog.who.text(),
                                            checklist=dialog.checklist(), override_reason=dialog.override.text())
        except (SessionError, ValueError) as exc:
            tell(self, "Discharge", str(exc), warning=True)
            return
        if not result.closed:
            tell(self, "Discharge", "Not discharged: " + "; ".join(result.unmet))
            return
        tell(self, "Discharge", "Patient discharged. The session is closed and saved; the monitor window closes now.")
        self.window().close()


def install_marker_keys(window: QWidget, panel: ClinicalPanel) -> list[QShortcut]:
    """Make the number keys of the configured markers mark events at once on `window`."""
    return [QShortcut(QKeySequence(m.key), window, activated=lambda k=m.key: panel.mark_key(k))
            for m in panel.session.markers.markers]


def _undoable(v: ClinicalView) -> MarkerLine | None:
    """Return the marker just marked while it can still be undone (the newest marker, not an infusion step)."""
    newest = next((m for m in v.markers if m.marker_id), None)
    return newest if newest is not None and newest.undo_s > 0 else None
