"""Start a session: patient, dose plan with live arithmetic and limits, pre-infusion checklist.

The dose figures and the limit verdict come from monitor.clinical.dosing (never computed
here). A plan outside a hard limit disables Start and says why; one outside a
soft limit needs the confirmation box ticked, which is recorded in the session
(SessionInfo.extra) and passed to the infusion start.

A patient's unreviewed item-9 flags from earlier sessions are listed in red
above everything else; Start waits until the user ticks that they read them
(recorded in SessionInfo.extra as flags_seen / flags_seen_by and journaled).
That does not allow the infusion: the monitor still asks for a review or a
recorded confirmation before the infusion's Start. With a central store, flags
raised at other chairs join them: the store is asked in the background when a
patient is named, Start waits for its answer (a few seconds at most), and a
store not reached is one line under the patient, never a block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
)

from monitor.clinical.config import ClinicalConfig, load_clinical_config
from monitor.clinical.dosing import DoseError, DosePlan, PlanCheck, check_plan
from monitor.live.session_info import SessionInfo
from monitor.patient_id import PatientIdError, clean_patient_id, identity_warning
from ui import theme

if TYPE_CHECKING:  # flags come from the directory once a patient is named: the dialog opens without their module
    from monitor.clinical.outcomes import OutcomeFlag

#: Pre-infusion checklist: key stored in the session -> what the nurse ticks.
CHECKLIST = {"fasting": "Fasting as instructed (no food 6 h, clear fluids 2 h)",
             "driver_arranged": "Responsible adult arranged to drive the patient home",
             "consent": "Informed consent signed for this infusion"}

#: When to ask the outcome questionnaires: choice shown -> OutcomeDialog mode ('' = later, from the monitor).
OUTCOMES_NOW = {"Questionnaires later (from the monitor)": "", "I enter the questionnaires now": "nurse",
                "The patient fills them in now": "patient"}


def parse_number(text: str) -> float | None:
    """Return the number typed (a comma is a decimal point), None when the field is empty or not a number."""
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        return None


class PatientDirectory(Protocol):
    """What the dialog reads of the clinic's patients (the chair's Store answers it; the dialog runs no SQL)."""

    def patients(self) -> Iterable[tuple[str, str]]:
        """Every known patient as (ID, name)."""

    def session_count(self, patient_id: str) -> int:
        """How many sessions the patient already has."""

    def unreviewed_flags(self, patient_id: str) -> Sequence[OutcomeFlag]:
        """The patient's item-9 flags from earlier sessions that no clinician has reviewed yet (at any chair)."""

    def flags_elsewhere(self, patient_id: str) -> str | None:
        """Where the check of the patient's flags at other chairs stands: None while it runs, "" when done (or not
        configured), else the one-line notice that it could not be made."""

    def second_ids(self, patient_id: str, birth_date: bool) -> Sequence[str]:
        """The dates of birth (ISO; or the clinic's second IDs) the patient's earlier sessions were started with."""

    def plan_hint(self, patient_id: str) -> str:
        """Where the patient's next infusion stands in their planned course ("" without a plan)."""


class StartSessionDialog(QDialog):
    """Ask who the patient is and what is planned; session_info() returns it once accepted."""

    def __init__(self, directory: PatientDirectory, config: ClinicalConfig | None = None,
                 today: Callable[[], date] = date.today) -> None:
        super().__init__()
        self.directory = directory  # the clinic's patients, read through the protocol: no SQL here
        self.config = config or load_clinical_config()
        self.ident = self.config.second_identifier
        self.today = today  # the chair's local day, against which a date of birth is checked
        self.setWindowTitle("Start a session")
        self.patients = dict(directory.patients())
        self.user = QLineEdit()
        self.user.setPlaceholderText("your initials or name (required)")
        self.outcomes = QComboBox()
        self.outcomes.addItems(list(OUTCOMES_NOW))

        self.patient = QComboBox()
        self.patient.setEditable(True)
        self.patient.addItems(list(self.patients))
        self.patient.setCurrentIndex(-1)
        self.patient.lineEdit().setPlaceholderText("patient ID (required)")
        self.name = QLineEdit()
        self.name.setPlaceholderText("optional")
        self.second = QLineEdit()  # the date of birth (or the clinic's second identifier): never pre-filled
        self.second.setPlaceholderText(f"{self.ident.format if self.ident.is_birth_date else 'as on the record'} "
                                       "(required)")
        self.second.setAccessibleName(self.ident.label)
        # styles are given as properties while the dialog is built: its first showing polishes them; restyle
        # re-polishes, and PySide building the Qt namespace's enums for that would delay the dialog (~20 ms)
        self.second.setProperty("invalid", "false")
        self.second_problem = QLabel("")  # what is wrong with the identifier typed, in one line
        self.second_problem.setWordWrap(True)
        self.second_problem.setProperty("role", "error")
        self.identity_text = QLabel("")  # the same patient ID recorded with another date of birth
        self.identity_text.setWordWrap(True)
        theme.set_font(self.identity_text, 16, bold=True)
        self.identity_text.setProperty("role", "error")
        self.identity_checked = QCheckBox("Identity checked with the patient")
        identity_row = QHBoxLayout()  # across the dialog, above both columns: one line on a 1024 px screen
        identity_row.addWidget(self.identity_text, 1)
        identity_row.addWidget(self.identity_checked)
        self.course = QSpinBox()
        self.course.setRange(1, 30)
        self.course.setValue(6)
        self.course.setSuffix(" infusions")
        self.number = QLabel("")
        theme.set_font(self.number, 18, bold=True)
        self.plan_hint = QLabel("")  # the clinician's planned course, read-only: "... the next infusion is booster 1"
        self.plan_hint.setWordWrap(True)
        self.plan_hint.setVisible(False)
        self.flags: tuple[OutcomeFlag, ...] = ()
        self.flag_text = QLabel("")
        self.flag_text.setWordWrap(True)
        theme.set_font(self.flag_text, 17, bold=True)
        self.flag_text.setProperty("role", "error")
        self.flag_seen = QCheckBox("I have read the flag: a clinician will assess the patient before the infusion")
        flag_box = QVBoxLayout()
        flag_box.addWidget(self.flag_text)
        flag_box.addWidget(self.flag_seen)
        self.flag_group = QGroupBox("Questionnaire flag NOT REVIEWED")
        self.flag_group.setLayout(flag_box)
        self.flag_group.setVisible(False)
        self.flags_pending = False  # the central store is being asked for the patient's flags at other chairs
        self.elsewhere_text = QLabel("")  # that check running, or the one line saying it could not be made
        self.elsewhere_text.setWordWrap(True)
        self.elsewhere_text.setProperty("role", "todo")
        self.elsewhere_text.setVisible(False)
        self.flag_poll = QTimer(self)  # reads the background check's answer as soon as it is in
        self.flag_poll.setInterval(150)
        self.flag_poll.timeout.connect(self._read_flags)
        # two forms with the wrapped line about the date typed between them: a wrapped label inside a form row
        # was given too little height (cut) when the dialog stood at its smallest; the labels keep one width
        who, plan = QFormLayout(), QFormLayout()
        names = [QLabel(t) for t in ("You", "Patient ID", self.ident.label, "Name", "Planned course")]
        width = max(n.sizeHint().width() for n in names)
        for name, field, form in zip(names, (self.user, self.patient, self.second, self.name, self.course),
                                     (who, who, who, plan, plan)):
            name.setMinimumWidth(width)
            form.addRow(name, field)
        plan.addRow("", self.number)
        pbox = QVBoxLayout()
        pbox.addLayout(who)
        pbox.addWidget(self.second_problem)
        pbox.addLayout(plan)
        patient_group = QGroupBox("Patient")
        patient_group.setLayout(pbox)

        self.weight = QLineEdit()
        self.dose = QLineEdit("0.5")
        self.duration = QLineEdit("40")
        self.bag = QLineEdit("100")
        for field, unit, hint in ((self.weight, "kg", "e.g. 70"), (self.dose, "mg/kg", ""), (self.duration, "min", ""),
                                  (self.bag, "mL", "")):
            field.setPlaceholderText(hint)
            field.setProperty("unit", unit)
            field.setProperty("invalid", "false")
        dbox = QFormLayout()
        for label, field in (("Weight (kg)", self.weight), ("Dose (mg/kg)", self.dose),
                             ("Duration (min)", self.duration), ("Bag volume (mL NaCl 0.9 %)", self.bag)):
            dbox.addRow(label, field)
        self.total = QLabel("")
        theme.set_font(self.total, 17)
        self.draw = QLabel("")
        self.draw.setWordWrap(True)  # the dialog must fit 1024 px wide
        theme.set_font(self.draw, 17)
        self.rate = QLabel("")
        theme.set_font(self.rate, 24, bold=True)
        self.rate.setStyleSheet(f"color: {theme.INFUSION};")
        self.problems = QLabel("")
        self.problems.setWordWrap(True)
        theme.set_font(self.problems, 16, bold=True)
        self.confirm = QCheckBox("I confirm the plan outside the usual range")
        dbox.addRow(self.total)
        dbox.addRow(self.draw)
        dbox.addRow(self.rate)
        dbox.addRow(self.problems)
        dbox.addRow(self.confirm)
        dose_group = QGroupBox("Ketamine plan")
        dose_group.setLayout(dbox)

        self.checks = {key: QCheckBox(text) for key, text in CHECKLIST.items()}
        cbox = QVBoxLayout()
        for box in self.checks.values():
            cbox.addWidget(box)
        cbox.addWidget(self.outcomes)
        check_group = QGroupBox("Before the infusion")
        check_group.setLayout(cbox)

        self.buttons = QDialogButtonBox()  # buttons given after: QDialogButtonBox(buttons) builds Qt's ~90 enums first
        self.buttons.setStandardButtons(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.Ok)
        self.ok.setText("Start session")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.why_not = QLabel("")
        self.why_not.setProperty("role", "todo")
        self.why_not.setWordWrap(True)

        cols = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(patient_group)
        left.addWidget(check_group)
        left.addStretch(1)
        cols.addLayout(left, 1)
        cols.addWidget(dose_group, 1)
        root = QVBoxLayout(self)
        root.addWidget(self.flag_group)
        root.addLayout(identity_row)
        root.addWidget(self.elsewhere_text)
        root.addWidget(self.plan_hint)  # across the dialog: one line, never squeezed into the form's column
        root.addLayout(cols)
        root.addWidget(self.why_not)
        root.addWidget(self.buttons)
        for w in (self.weight, self.dose, self.duration, self.bag, self.user, self.second):
            w.textChanged.connect(self.update_view)
        self.identity_checked.toggled.connect(self.update_view)
        self.patient.currentTextChanged.connect(self._patient_changed)
        self.course.valueChanged.connect(self.update_view)
        self.confirm.toggled.connect(self.update_view)
        self.flag_seen.toggled.connect(self.update_view)
        for box in self.checks.values():
            box.toggled.connect(self.update_view)
        self.resize(1000, 560)
        self.update_view()

    # --- state ---------------------------------------------------------------------------

    def _patient_changed(self, text: str) -> None:
        pid = text.strip()
        if pid in self.patients and self.patients[pid]:
            self.name.setText(self.patients[pid])
        clean = self.patient_id()
        hint = self.directory.plan_hint(clean) if clean in self.patients else ""  # a new patient has no plan
        self.plan_hint.setText(hint)
        self.plan_hint.setVisible(bool(hint))
        self._read_flags()

    def _read_flags(self) -> None:
        """Show the patient's unreviewed flags, this chair's and, once the central store answered, other chairs'."""
        clean = self.patient_id()
        state = self.directory.flags_elsewhere(clean) if clean else ""
        self.flags_pending = state is None
        if self.flags_pending:
            self.flag_poll.start()
        else:
            self.flag_poll.stop()
        words = "Checking flags at other chairs…" if state is None else state
        self.elsewhere_text.setText(words)
        theme.restyle(self.elsewhere_text, "role", "todo" if state is None else "warning")  # a notice stands out
        self.elsewhere_text.setVisible(bool(words))
        flags = tuple(self.directory.unreviewed_flags(clean)) if clean else ()
        if flags != self.flags:
            from monitor.timefmt import date_time_text  # zoneinfo, loaded with the first patient typed

            self.flags = flags
            self.flag_seen.setChecked(False)  # a confirmation is for the flags shown, not another patient's
            self.flag_text.setText("\n".join(
                f"{f.where[:1].upper()}{f.where[1:]}, {date_time_text(f.score.t)}: {f.score.flag_text}. "
                "NOT REVIEWED: a clinician must assess the patient before the infusion." for f in flags))
            self.flag_group.setVisible(bool(flags))
            if flags:  # grow to hold the flag rather than squeeze the fields
                self.resize(self.width(), max(self.height(), self.sizeHint().height()))
        self.update_view()

    def patient_id(self) -> str:
        """Return the patient ID as it will be stored ('' while the field is empty or holds no valid ID)."""
        try:
            return clean_patient_id(self.patient.currentText())
        except PatientIdError:
            return ""

    def second_id(self) -> tuple[str, str]:
        """Return the second identifier as it will be stored and what is wrong with it ('' for each that is not)."""
        if not self.second.text().strip():
            return "", ""
        try:
            return self.ident.clean(self.second.text(), self.today()), ""
        except PatientIdError as exc:
            return "", str(exc)

    def identity_warning(self) -> str:
        """Return the warning when this patient's earlier sessions were started with another second identifier."""
        pid, (value, _) = self.patient_id(), self.second_id()
        if not pid or not value:
            return ""
        return identity_warning(pid, value, self.ident, list(self.directory.second_ids(pid, self.ident.is_birth_date)))

    def session_number(self) -> int | None:
        """Return which infusion of the course this will be (the patient's stored sessions + 1)."""
        pid = self.patient_id()
        if not pid:
            return None
        return self.directory.session_count(pid) + 1

    def plan(self) -> DosePlan | None:
        """Return the plan typed, None while a field is empty or not a number."""
        values = [parse_number(w.text()) for w in (self.weight, self.dose, self.duration, self.bag)]
        if any(v is None for v in values):
            return None
        return DosePlan(*values)  # type: ignore[arg-type]

    def check(self) -> PlanCheck | None:
        plan = self.plan()
        return None if plan is None else check_plan(plan, self.config.dose_limits)

    def blockers(self) -> list[str]:
        """Return why Start is disabled, one phrase each (empty when the session can start)."""
        out = []
        if not self.user.text().strip():
            out.append("your initials or name")
        try:
            clean_patient_id(self.patient.currentText())
        except PatientIdError as exc:
            out.append(f"another patient ID ({exc})" if self.patient.currentText().strip() else "the patient ID")
        value, problem = self.second_id()
        if not value:  # the line under the field says what is wrong with one typed
            out.append(f"a valid {self.ident.label.lower()}" if problem else f"the {self.ident.label.lower()}")
        elif self.identity_warning() and not self.identity_checked.isChecked():
            out.append("your check of the patient's identity")
        check = self.check()
        if check is None:
            missing = [name for name, field in (("weight", self.weight), ("dose", self.dose),
                                                ("duration", self.duration), ("bag volume", self.bag))
                       if parse_number(field.text()) is None]
            out.append(" and ".join(", ".join(missing).rsplit(", ", 1)) + " as a number" + ("s" if len(missing) > 1
                                                                                             else ""))
        elif check.refused:
            out.append("a plan inside the hard limits")
        elif check.soft and not self.confirm.isChecked():
            out.append("your confirmation of the plan outside the usual range")
        if self.flags_pending:
            out.append("the check of flags at other chairs (a few seconds)")
        if self.flags and not self.flag_seen.isChecked():
            out.append("your confirmation that you read the unreviewed questionnaire flag")
        unticked = [str(i + 1) for i, b in enumerate(self.checks.values()) if not b.isChecked()]
        if unticked:
            out.append(f"checklist item{'s' if len(unticked) > 1 else ''} {', '.join(unticked)} ticked")
        return out

    def update_view(self) -> None:
        _, problem = self.second_id()
        self.second_problem.setText(problem[:1].upper() + problem[1:] + "." if problem else "")
        self.second_problem.setVisible(bool(problem))
        theme.restyle(self.second, "invalid", "true" if problem else "false")
        warning = self.identity_warning()
        self.identity_text.setText(warning[:1].upper() + warning[1:] + "." if warning else "")
        if bool(warning) != self.identity_text.isVisibleTo(self):
            self.identity_text.setVisible(bool(warning))
            self.identity_checked.setVisible(bool(warning))
            if warning:  # grow to hold the warning rather than squeeze the fields, within the screen
                room = self.screen().availableGeometry().height() - 40
                self.resize(self.width(), max(self.height(), min(room, self.sizeHint().height())))
        if not warning:
            self.identity_checked.setChecked(False)  # a check is for the dates shown, not another patient's
        n = self.session_number()
        of = "" if self.plan_hint.text() else f" of {self.course.value()}"  # a recorded plan says where it stands
        self.number.setText("" if n is None else f"This will be infusion {n}{of}")
        plan, check = self.plan(), self.check()
        self.total.setText("Total — mg")
        self.rate.setText("Set pump to — mL/h")
        stock = self.config.stock_mg_per_ml
        self.draw.setText(f"Draw up — mL of ketamine {stock:g} mg/mL")
        if plan is not None and check is not None and not check.refused:
            try:
                self.total.setText(f"Total {plan.total_mg:.1f} mg in {plan.bag_volume_ml:g} mL = "
                                   f"{plan.concentration_mg_per_ml:.3g} mg/mL ({plan.dose_rate_mg_per_kg_per_h:.2f} "
                                   "mg/kg/h)")
                self.draw.setText(f"Draw up {plan.draw_up_ml(stock):.2f} mL of ketamine {stock:g} mg/mL into the bag")
                self.rate.setText(f"Set pump to {plan.pump_rate_ml_per_h:.1f} mL/h")
            except DoseError:
                pass
        if check is not None and check.refused:
            self.problems.setText("Refused: " + "; ".join(check.hard) + ".")
            theme.restyle(self.problems, "role", "error")
        elif check is not None and check.soft:
            self.problems.setText("Outside the usual range: " + "; ".join(check.soft) + ".")
            theme.restyle(self.problems, "role", "todo")
        else:
            self.problems.setText("")
        flagged = set(check.fields) if check is not None and (check.refused or check.soft) else set()
        for name, field in (("weight_kg", self.weight), ("dose_mg_per_kg", self.dose),
                            ("duration_min", self.duration), ("bag_volume_ml", self.bag)):
            theme.restyle(field, "invalid", "true" if name in flagged or parse_number(field.text()) is None
                          and field.text().strip() else "false")
        self.confirm.setVisible(check is not None and not check.refused and bool(check.soft))
        blockers = self.blockers()
        self.ok.setEnabled(not blockers)
        self.why_not.setText("Still needed: " + "; ".join(blockers) + "." if blockers else "")

    @property
    def soft_limits_confirmed(self) -> bool:
        """Tell whether the nurse confirmed a plan outside the soft limits (False when none was needed)."""
        check = self.check()
        return bool(check and check.soft and not check.refused and self.confirm.isChecked())

    def session_info(self) -> SessionInfo:
        """Return the session to start; call after the dialog was accepted."""
        plan = self.plan()
        check = self.check()
        assert plan is not None and check is not None and not self.blockers()
        return SessionInfo(
            patient_id=self.patient_id(), patient_name=self.name.text().strip() or None,
            **self._second_fields(), weight_kg=plan.weight_kg,
            dose_mg_per_kg=plan.dose_mg_per_kg, infusion_min=plan.duration_min, bag_ml=plan.bag_volume_ml,
            extra={"course_length": self.course.value(), "checklist": {k: b.isChecked() for k, b in self.checks.items()},
                   "checklist_by": self.operator(), "soft_limits_confirmed": self.soft_limits_confirmed,
                   "soft_limits": list(check.soft), "confirmed_by": self.operator() if self.soft_limits_confirmed
                   else "", "flags_seen": [f.score.id for f in self.flags],
                   "flags_seen_by": self.operator() if self.flags else ""})

    def _second_fields(self) -> dict[str, str | None]:
        value, _ = self.second_id()
        if self.ident.is_birth_date:
            return {"birth_date": value}
        return {"second_id": value, "second_id_label": self.ident.label}

    def operator(self) -> str:
        """Return who starts the session (the user at the monitor from now on)."""
        return self.user.text().strip()

    def outcomes_mode(self) -> str:
        """Return how the questionnaires are entered right after the start: "nurse", "patient" or "" (later)."""
        return OUTCOMES_NOW[self.outcomes.currentText()]

