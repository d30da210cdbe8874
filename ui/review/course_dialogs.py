"""What a clinician enters from the course window: the patient's planned course and questionnaires answered
between visits (the course document is ui.review.course_pdf's).

Each is written to the chair's file (never the central store, which only holds what chairs send) through the
core: the plan by Store.add_course_plan, a questionnaire into the session monitor.storage.outcomes.
between_visits_place names, at noon of its day. The rules and the words are the core's; this module only asks.
"""

from __future__ import annotations

import time
from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from monitor.clinical.config import ConfigError, load_clinical_config
from monitor.clinical.plan import MAX_BOOSTERS, MAX_INDUCTION, MAX_WEEKS, CoursePlan, PlanError
from monitor.record.instruments import INSTRUMENTS, OutcomeError
from monitor.record.outcomes import OutcomeScore
from monitor.storage.outcomes import between_visits_place, patient_instruments
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store, StoreError
from ui.dialogs import tell
from ui.monitor.outcome_dialog import OutcomeDialog


class PlanDialog(QDialog):
    """Ask the planned course: induction infusions and weeks, booster interval and count, who and why.

    A weeks or count box at 0 reads "not said", "when needed" or "open-ended", which the plan stores as none."""

    def __init__(self, patient_id: str, current: CoursePlan | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Planned course of patient {patient_id}")
        self.induction = QSpinBox()
        self.induction.setRange(1, MAX_INDUCTION)
        self.induction.setSuffix(" infusions")
        self.weeks = self._weeks("not said")
        self.every = self._weeks("when needed")
        self.boosters = QSpinBox()
        self.boosters.setRange(-1, MAX_BOOSTERS)
        self.boosters.setSpecialValueText("open-ended")
        self.by = QLineEdit()
        self.by.setPlaceholderText("clinician's name (required)")
        self.note = QLineEdit()
        self.note.setPlaceholderText("why this plan (optional)")
        # the plan in force, else a usual one (6 over 3 weeks, a booster every 4): the clinician changes what differs
        induction, weeks, every, boosters = (6, 3.0, 4.0, None) if current is None else \
            (current.induction, current.induction_weeks, current.booster_weeks, current.boosters)
        self.induction.setValue(induction)
        self.weeks.setValue(weeks or 0.0)
        self.every.setValue(every or 0.0)
        self.boosters.setValue(-1 if boosters is None else boosters)
        form = QFormLayout()
        for words, field in (("Induction", self.induction), ("over", self.weeks), ("then a booster every", self.every),
                             ("boosters planned", self.boosters), ("Planned by", self.by), ("Note", self.note)):
            form.addRow(words, field)
        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        root = QVBoxLayout(self)
        if current is not None:
            root.addWidget(QLabel(f"In force: {current.text} ({current.by}). A new plan replaces it; the old one is "
                                  "kept in the record."))
        root.addLayout(form)
        root.addWidget(self.problem)
        root.addWidget(self.buttons)
        self.by.textChanged.connect(self._check)
        self._check()

    @staticmethod
    def _weeks(none: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(0.0, MAX_WEEKS)
        box.setDecimals(1)
        box.setSingleStep(1.0)
        box.setSuffix(" weeks")
        box.setSpecialValueText(none)
        return box

    def plan(self, t: float) -> CoursePlan:
        """Return the plan as entered, made at t (UTC epoch s); PlanError in words."""
        return CoursePlan(self.induction.value(), self.weeks.value() or None, self.every.value() or None,
                          None if self.boosters.value() < 0 else self.boosters.value(), self.by.text().strip(), t,
                          self.note.text().strip())

    def _check(self) -> None:
        try:
            self.plan(time.time())
            self.problem.setText("")
            ok = True
        except PlanError as exc:
            self.problem.setText(str(exc))
            ok = False
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(ok)


def enter_plan(parent: QWidget, db: str, patient_id: str, current: CoursePlan | None) -> CoursePlan | None:
    """Ask the patient's planned course and record it in the chair's file; None if cancelled or refused (said)."""
    dialog = PlanDialog(patient_id, current, parent)
    if not dialog.exec():
        return None
    try:
        plan = dialog.plan(time.time())
        store = Store(db)
        try:
            store.add_course_plan(patient_id, plan)
        finally:
            store.close()
    except (PlanError, StoreError) as exc:
        tell(parent, "Planned course", str(exc), warning=True)
        return None
    return plan


class BetweenVisitsDialog(QDialog):
    """Ask the day a questionnaire was answered between visits, who enters it, and which questionnaires."""

    def __init__(self, patient_id: str, asked: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Questionnaires between visits: patient {patient_id}")
        self.day = QDateEdit(QDate.currentDate())
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.day.setMaximumDate(QDate.currentDate())
        self.user = QLineEdit()
        self.user.setPlaceholderText("your name (required)")
        self.codes = {code: QCheckBox(INSTRUMENTS[code].name) for code in INSTRUMENTS}
        for code, box in self.codes.items():
            box.setChecked(code in asked)
            box.toggled.connect(self._check)
        which = QHBoxLayout()
        for box in self.codes.values():
            which.addWidget(box)
        form = QFormLayout()
        form.addRow("Answered on", self.day)
        form.addRow("Entered by", self.user)
        form.addRow("Questionnaires", which)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Enter the answers…")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        root = QVBoxLayout(self)
        root.addWidget(QLabel("Kept at 12:00 that day in the patient's last session before it; it counts for the "
                              "next infusion and for relapse."))
        root.addLayout(form)
        root.addWidget(self.buttons)
        self.user.textChanged.connect(self._check)
        self._check()

    def chosen(self) -> list[str]:
        """Return the codes of the questionnaires ticked, in the clinic's order."""
        return [code for code, box in self.codes.items() if box.isChecked()]

    def answered_on(self) -> date:
        return self.day.date().toPython()

    def _check(self) -> None:
        ok = bool(self.user.text().strip() and self.chosen())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)


def enter_between_visits(parent: QWidget, db: str, patient_id: str) -> list[OutcomeScore]:
    """Ask questionnaires answered between visits and keep them in the chair's file; [] if cancelled or refused."""
    try:
        store = Store(db)
    except StoreError as exc:
        tell(parent, "Questionnaires between visits", str(exc), warning=True)
        return []
    try:
        cutoffs = load_clinical_config().outcomes.cutoffs
        asked = patient_instruments(store, patient_id, ("phq9", "gad7"))
        ask = BetweenVisitsDialog(patient_id, asked, parent)
        if not ask.exec():
            return []
        sessions = SqliteSessions(db)
        try:
            meta, t = between_visits_place(sessions, patient_id, ask.answered_on(), time.time())
        finally:
            sessions.close()
        form = OutcomeDialog(ask.chosen(), user=ask.user.text().strip(), mode="nurse", cutoffs=cutoffs,
                             clock=lambda: t, parent=parent)
        form.setWindowTitle(f"Questionnaires answered on {ask.answered_on().isoformat()} (kept in session "
                            f"{meta.ref})")
        if not form.exec():
            return []
        for score in form.scores():
            store.append_journal(meta.id, score, score.user, score.t)
        return form.scores()
    except (ConfigError, OutcomeError, StoreError) as exc:
        tell(parent, "Questionnaires between visits", str(exc), warning=True)
        return []
    finally:
        store.close()
