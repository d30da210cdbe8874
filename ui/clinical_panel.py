"""The clinical panel: phase and observation timer, BP due, scale prompts, event markers, discharge.

It reads the core's ClinicalSession twice a second and turns the nurse's clicks
and number keys into session calls (markers, scales, discharge); the session
journals everything. Nothing clinical is decided here.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QFrame, QGridLayout, QHBoxLayout, QInputDialog, QLabel, QListWidget, QListWidgetItem,
                               QMessageBox, QPushButton, QVBoxLayout, QWidget)

from monitor.core import MonitorCore
from monitor.markers import MarkerError
from monitor.schedule import Phase
from monitor.session import SessionError, SessionStatus
from ui import theme
from ui.clinical_dialogs import DischargeDialog, MarkerEditDialog, ScalesDialog
from ui.infusion_panel import mmss

PHASE_WORDS = {Phase.PRE_INFUSION: "Pre-infusion", Phase.INFUSION: "Infusion", Phase.OBSERVATION: "Observation",
               Phase.CLOSED: "Discharged — session closed"}


def bp_text(st: SessionStatus) -> tuple[str, str]:
    """Return the BP schedule line and its colour: due in M:SS, due now, overdue, measuring."""
    if st.bp_due_in_s is None:
        return "", theme.DIM
    if st.bp_pending:
        return "BP: measuring…", theme.TEXT
    if st.bp_overdue_s > 0:
        return f"BP overdue {mmss(st.bp_overdue_s)}" + ("" if st.bp_auto else ": press start on the NIBP"), "#f5c400"
    if st.bp_due_in_s <= 0:
        return "BP due now" + ("" if st.bp_auto else ": press start on the NIBP"), "#f5c400"
    return f"BP due in {mmss(st.bp_due_in_s)}", theme.TEXT


class ClinicalPanel(QFrame):
    """Compact panel under the infusion panel; needs a core with a ClinicalSession."""

    def __init__(self, core: MonitorCore, user: str = "nurse") -> None:
        super().__init__()
        assert core.clinical is not None
        self.core = core
        self.session = core.clinical
        self.user = user
        self.setObjectName("clinical")
        self.setStyleSheet(f"QFrame#clinical {{ background: {theme.PANEL}; border-radius: 6px; }}"
                           f"QLabel {{ color: {theme.TEXT}; }}"
                           "QListWidget { background: #0d0f12; color: #e8e8e8; border: 1px solid #333;"
                           " font-size: 15px; }")
        self.phase = QLabel("")
        self.phase.setFont(theme.font(20, bold=True))
        self.timer_label = QLabel("")
        self.timer_label.setFont(theme.font(20, bold=True))
        self.timer_label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.bp = QLabel("")
        self.bp.setFont(theme.font(18, bold=True))
        self.scales_prompt = QLabel("")
        self.scales_prompt.setFont(theme.font(16))
        self.scales_prompt.setWordWrap(True)
        self.scales_button = self._button("Scales…", self.open_scales)
        self.discharge_button = self._button("Discharge…", self.open_discharge)
        self.marker_buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        grid.setSpacing(4)
        for i, m in enumerate(self.session.markers.markers):
            b = QPushButton(f"{m.key} {m.label.split(' / ')[0].replace(' given', '')}")
            b.setToolTip(f"{m.label} (key {m.key})")
            b.setFont(theme.font(14))
            b.setMinimumHeight(30)
            b.clicked.connect(lambda _=False, k=m.key: self.mark_key(k))
            self.marker_buttons[m.key] = b
            grid.addWidget(b, i // 5, i % 5)
        self.list = QListWidget()
        self.list.setMaximumHeight(84)
        self.list.itemActivated.connect(self.edit_marker)
        self.list.itemClicked.connect(self.edit_marker)

        top = QHBoxLayout()
        top.addWidget(self.phase, 1)
        top.addWidget(self.timer_label)
        bp_row = QHBoxLayout()
        bp_row.addWidget(self.bp, 1)
        bp_row.addWidget(self.discharge_button)
        sc_row = QHBoxLayout()
        sc_row.addWidget(self.scales_prompt, 1)
        sc_row.addWidget(self.scales_button)
        box = QVBoxLayout(self)
        box.setContentsMargins(12, 6, 12, 6)
        box.setSpacing(4)
        box.addLayout(top)
        box.addLayout(bp_row)
        box.addLayout(sc_row)
        box.addLayout(grid)
        box.addWidget(self.list)
        self._shown_markers: tuple = ()
        self.refresh_timer = QTimer(self)
        self.refresh_timer.timeout.connect(self.refresh)
        self.refresh_timer.start(500)
        self.refresh()

    def _button(self, text: str, slot) -> QPushButton:
        b = QPushButton(text)
        b.setFont(theme.font(16, bold=True))
        b.setMinimumHeight(34)
        b.clicked.connect(slot)
        return b

    # --- painting ---------------------------------------------------------------------

    def refresh(self) -> None:
        st = self.session.status()
        course = f"  ·  {st.course_text}" if st.course_text else ""
        self.phase.setText(PHASE_WORDS[st.phase] + course)
        if st.observation_remaining_s is not None:
            self.timer_label.setText("observation done" if st.observation_done
                                     else f"obs. {mmss(st.observation_remaining_s)} left")
            self.timer_label.setStyleSheet(f"color: {theme.PULSE if st.observation_done else theme.TEXT};")
        else:
            self.timer_label.setText("")
        text, colour = bp_text(st)
        self.bp.setText(text)
        self.bp.setStyleSheet(f"color: {colour};")
        if st.scales_due:
            self.scales_prompt.setText("Due: " + "; ".join(d.prompt for d in st.scales_due))
            self.scales_prompt.setStyleSheet("color: #f5c400;")
        else:
            self.scales_prompt.setText("Scales: none due")
            self.scales_prompt.setStyleSheet(f"color: {theme.DIM};")
        closed = st.phase is Phase.CLOSED
        self.discharge_button.setEnabled(not closed and st.phase is not Phase.INFUSION)
        for b in self.marker_buttons.values():
            b.setEnabled(not closed)
        if st.markers != self._shown_markers:
            self._shown_markers = st.markers
            self.list.clear()
            for m in reversed(st.markers):
                when = datetime.fromtimestamp(m.t).strftime("%H:%M")
                edited = "  (edited)" if m.revision > 1 else ""
                item = QListWidgetItem(f"{when}  {m.label}{': ' + m.note if m.note else ''}{edited}")
                item.setData(Qt.UserRole, m.id)
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
            note, ok = QInputDialog.getText(self, definition.label, "Note:")
            if not ok or not note.strip():
                return
        try:
            self.session.mark(key, self.user, note=note)
        except MarkerError as exc:
            QMessageBox.warning(self, "Event", str(exc))
        self.refresh()

    def edit_marker(self, item: QListWidgetItem) -> None:
        marker_id = item.data(Qt.UserRole)
        latest = next((m for m in self.session.status().markers if m.id == marker_id), None)
        if latest is None:
            return
        dialog = MarkerEditDialog(latest, self.session.markers.markers, self.session.markers.session_start)
        if not dialog.exec():
            return
        try:
            if dialog.deleted:
                self.session.delete_marker(marker_id, user=self.user, reason=dialog.reason.text())
            else:
                self.session.edit_marker(marker_id, user=self.user, reason=dialog.reason.text(), **dialog.changes())
        except MarkerError as exc:
            QMessageBox.warning(self, "Event", str(exc))
        self.refresh()

    def open_scales(self) -> None:
        due = self.session.status().scales_due
        wanted = tuple(dict.fromkeys(s for d in due for s in d.scales if s != "aldrete")) or \
            ("moaas", "cadss", "nausea", "anxiety")
        dialog = ScalesDialog(wanted, due[0].prompt if due else "Scales (at will)")
        if dialog.exec():
            for score in dialog.scores():
                self.session.record_scale(score, self.user)
        self.refresh()

    def open_discharge(self) -> None:
        snap = self.core.snapshot(trends=False)
        bp = snap.latest_nibp()
        sbp = bp.valid.sbp if bp is not None and bp.valid is not None else None
        latest_spo2 = snap.primary("spo2")
        spo2 = latest_spo2.value if latest_spo2 is not None else None
        dialog = DischargeDialog(self.session.discharge_unmet, sbp, self.session.baseline("sbp"), spo2, self.user)
        if not dialog.exec():
            return
        aldrete = dialog.aldrete()
        if aldrete is None:
            return
        try:
            result = self.session.discharge(aldrete, vitals_near_baseline=dialog.vitals_ok.isChecked(),
                                            responsible_adult=dialog.adult.text(), checked_by=dialog.who.text(),
                                            checklist=dialog.checklist(), override_reason=dialog.override.text())
        except (SessionError, ValueError) as exc:
            QMessageBox.warning(self, "Discharge", str(exc))
            return
        if not result.closed:
            QMessageBox.information(self, "Discharge", "Not discharged: " + "; ".join(result.unmet))
            self.refresh()
            return
        QMessageBox.information(self, "Discharge", "Patient discharged. The session is closed and saved; "
                                                   "the monitor window closes now.")
        self.window().close()


def install_marker_keys(window: QWidget, panel: ClinicalPanel) -> list[QShortcut]:
    """Make the number keys of the configured markers mark events at once on `window`."""
    shortcuts = []
    for m in panel.session.markers.markers:
        shortcuts.append(QShortcut(QKeySequence(m.key), window, activated=lambda k=m.key: panel.mark_key(k)))
    return shortcuts
