"""Dialogs of the clinical panel: scales, marker edit (backdate, change, delete), discharge.

Nothing is pre-filled: every item starts unchosen and Record / Discharge stay
disabled until each item of what is being recorded has a choice, so one click
can never chart an assessment that did not happen. Scores are built with
monitor.clinical.scales (which checks ranges); the Aldrete circulation and SpO2 items
come from measured values with their age (monitor.live.view.DischargeFacts),
never typed over. Discharge is enabled when every criterion is met, or when an
override reason is typed; the override and its reason are recorded with the
assessment. Every dialog names the patient and fits a 1024 x 600 screen.
"""

from __future__ import annotations

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from monitor.clinical.config import MarkerDef
from monitor.clinical.scales import ALDRETE_ANCHORS, CADSS_ANCHORS, MOAAS_ANCHORS, Aldrete, Cadss, Moaas, Rating
from monitor.live.view import DischargeFacts
from monitor.record.journal import MarkerRevision
from monitor.timefmt import clock_text
from ui import theme

#: CADSS short form (6 items, 0-4) as used in ketamine trials; wording per the clinic's form.
CADSS6_ITEMS = ("Things seem to move in slow motion", "Things seem unreal, as if in a dream",
                "Feel disconnected from own body", "Sense of time changed",
                "Objects look different than expected", "Sounds seem far away or changed")

#: Discharge checklist: key stored -> what the nurse ticks.
DISCHARGE_CHECKLIST = {"adult_present": "Responsible adult present to drive home",
                       "oriented_walking": "Oriented and walking steadily",
                       "instructions_given": "After-care instructions given"}


def _title(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    theme.set_font(label, 19, bold=True)
    return label


def _choice_row(group: QButtonGroup, scores: range, width: int = 40) -> QHBoxLayout:
    """Return a row of toggle buttons, one per score, in an exclusive group with none chosen."""
    row = QHBoxLayout()
    row.setSpacing(3)
    for score in scores:
        b = QPushButton(str(score))
        b.setCheckable(True)
        b.setProperty("choice", True)
        b.setFixedSize(width, 34)
        group.addButton(b, score)
        row.addWidget(b)
    row.addStretch(1)
    return row


class ScalesDialog(QDialog):
    """Enter MOAA/S, CADSS (short form), nausea and anxiety; tick which ones to record, choose every item."""

    def __init__(self, wanted: tuple[str, ...] = ("moaas", "cadss", "nausea", "anxiety"), prompt: str = "",
                 patient: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Scales — {patient}" if patient else "Scales")
        self.groups: dict[str, QGroupBox] = {}

        self.moaas = QButtonGroup(self)
        mbox = QVBoxLayout()
        mbox.setSpacing(2)
        for score in sorted(MOAAS_ANCHORS, reverse=True):
            b = QRadioButton(f"{score}  {MOAAS_ANCHORS[score]}")
            self.moaas.addButton(b, score)
            mbox.addWidget(b)
        self._group("moaas", "MOAA/S sedation", mbox)

        self.cadss: list[QButtonGroup] = []
        cbox = QVBoxLayout()  # each item's words on one line of their own, its 0-4 below: the column is as wide as
        cbox.setSpacing(0)    # the longest item, never an item cut to fit a column (wrapped labels were squeezed)
        self.cadss_items: list[QLabel] = []
        for i, text in enumerate(CADSS6_ITEMS):
            group = QButtonGroup(self)
            self.cadss.append(group)
            label = QLabel(f"{i + 1}. {text}")
            self.cadss_items.append(label)
            cbox.addWidget(label)
            cbox.addLayout(_choice_row(group, range(5), 36))
            cbox.addSpacing(4)
        anchors = [f"{k} {v}" for k, v in CADSS_ANCHORS.items()]
        half = (len(anchors) + 1) // 2
        legend = QLabel(", ".join(anchors[:half]) + ",\n" + ", ".join(anchors[half:]))
        legend.setProperty("role", "dim")
        cbox.addWidget(legend)
        self.cadss_total = QLabel("")
        theme.set_font(self.cadss_total, 17, bold=True)
        cbox.addWidget(self.cadss_total)
        self._group("cadss", "CADSS dissociation, each 0-4", cbox)

        self.ratings: dict[str, QButtonGroup] = {}
        for code, words in (("nausea", "Nausea 0 (none) to 10 (worst)"), ("anxiety", "Anxiety 0 (none) to 10 (worst)")):
            group = QButtonGroup(self)
            self.ratings[code] = group
            self._group(code, words, _choice_row(group, range(11), 38))
        for code, group in self.groups.items():
            group.setChecked(code in wanted)
            group.toggled.connect(self._update)
        for group in (self.moaas, *self.cadss, *self.ratings.values()):
            group.buttonToggled.connect(self._update)

        self.missing = QLabel("")
        self.missing.setProperty("role", "todo")
        self.missing.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.Ok)
        self.ok.setText("Record")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        left = QVBoxLayout()
        left.addWidget(self.groups["moaas"])
        left.addWidget(self.groups["nausea"])
        left.addWidget(self.groups["anxiety"])
        left.addStretch(1)
        cols = QHBoxLayout()
        cols.addLayout(left, 1)
        cols.addWidget(self.groups["cadss"], 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.missing, 1)
        bottom.addWidget(self.buttons)
        root = QVBoxLayout(self)
        root.addWidget(_title(" — ".join(x for x in (prompt, patient) if x) or "Scales"))
        root.addLayout(cols)
        root.addLayout(bottom)
        self._update()

    def _group(self, code: str, title: str, layout) -> None:
        g = QGroupBox(title)
        g.setCheckable(True)
        g.setLayout(layout)
        self.groups[code] = g

    def unchosen(self) -> list[str]:
        """Return what still needs a choice in the ticked scales (empty when all can be recorded)."""
        out = []
        if self.groups["moaas"].isChecked() and self.moaas.checkedId() < 0:
            out.append("MOAA/S")
        if self.groups["cadss"].isChecked():
            items = [str(i + 1) for i, g in enumerate(self.cadss) if g.checkedId() < 0]
            if items:
                out.append(f"CADSS item{'s' if len(items) > 1 else ''} {', '.join(items)}")
        out += [code for code, g in self.ratings.items() if self.groups[code].isChecked() and g.checkedId() < 0]
        return out

    def _update(self, *_args) -> None:
        chosen = [g.checkedId() for g in self.cadss]
        self.cadss_total.setText(f"total {sum(chosen)} / 24" if min(chosen) >= 0 else "total — / 24")
        missing = self.unchosen()
        ticked = any(g.isChecked() for g in self.groups.values())
        self.ok.setEnabled(ticked and not missing)
        self.missing.setText("Choose: " + "; ".join(missing) if missing else
                             ("" if ticked else "Tick the scales to record"))

    def choose(self, code: str, score: int, item: int = 0) -> None:
        """Choose a score as a click does (code moaas, cadss with its item index, nausea, anxiety)."""
        group = self.moaas if code == "moaas" else self.cadss[item] if code == "cadss" else self.ratings[code]
        group.button(score).click()

    def scores(self) -> list[Moaas | Cadss | Rating]:
        """Return the ticked scales' scores (call only when unchosen() is empty)."""
        out: list[Moaas | Cadss | Rating] = []
        if self.groups["moaas"].isChecked():
            out.append(Moaas(self.moaas.checkedId()))
        if self.groups["cadss"].isChecked():
            out.append(Cadss(tuple(g.checkedId() for g in self.cadss)))
        for code, group in self.ratings.items():
            if self.groups[code].isChecked():
                out.append(Rating(code, group.checkedId()))
        return out


class MarkerEditDialog(QDialog):
    """Change a marker's time, type or note, or delete it; a reason is always required."""

    def __init__(self, marker: MarkerRevision, markers: tuple[MarkerDef, ...], session_start: float,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit event")
        self.marker = marker
        self.deleted = False
        self.when = QDateTimeEdit(QDateTime.fromSecsSinceEpoch(int(marker.t)))
        self.when.setDisplayFormat("HH:mm:ss")
        self.when.setMinimumDateTime(QDateTime.fromSecsSinceEpoch(int(session_start)))
        self.when.setMaximumDateTime(QDateTime.currentDateTime())
        self.kind = QComboBox()
        for m in markers:
            self.kind.addItem(f"{m.key}  {m.label}", m.code)
        self.kind.setCurrentIndex(max(0, self.kind.findData(marker.code)))
        self.note = QLineEdit(marker.note)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("required, e.g. entered late")
        form = QFormLayout()
        form.addRow("Happened at", self.when)
        form.addRow("Event", self.kind)
        form.addRow("Note", self.note)
        form.addRow("Reason for the change", self.reason)
        info = QLabel(f"Revision {marker.revision}, entered {clock_text(marker.recorded_at)} by {marker.user}. "
                      "The original stays in the record.")
        info.setWordWrap(True)
        info.setProperty("role", "dim")
        self.save = QPushButton("Save change")
        self.delete = QPushButton("Delete event")
        cancel = QPushButton("Cancel")
        self.save.clicked.connect(self.accept)
        self.delete.clicked.connect(self._delete)
        cancel.clicked.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.delete)
        row.addStretch(1)
        row.addWidget(cancel)
        row.addWidget(self.save)
        root = QVBoxLayout(self)
        root.addWidget(_title(marker.label))
        root.addLayout(form)
        root.addWidget(info)
        root.addLayout(row)
        self.reason.textChanged.connect(self._enable)
        self._enable()
        self.setMinimumWidth(560)

    def _enable(self) -> None:
        has = bool(self.reason.text().strip())
        self.save.setEnabled(has)
        self.delete.setEnabled(has)

    def _delete(self) -> None:
        self.deleted = True
        self.accept()

    def changes(self) -> dict[str, object]:
        """Return the fields that differ from the marker (t as UTC epoch s)."""
        out: dict[str, object] = {}
        t = float(self.when.dateTime().toSecsSinceEpoch())
        if int(t) != int(self.marker.t):
            out["t"] = t
        if self.kind.currentData() != self.marker.code:
            out["code"] = self.kind.currentData()
        if self.note.text().strip() != self.marker.note:
            out["note"] = self.note.text().strip()
        return out


class DischargeDialog(QDialog):
    """Modified Aldrete from choices and measured values, the criteria, who assessed: Discharge when met or overridden.

    preview(aldrete, vitals_ok, adult, checklist) -> unmet criteria (the
    session's own rule), so the dialog and the record never disagree.
    """

    def __init__(self, preview, facts: DischargeFacts, user: str, patient: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Discharge — {patient}" if patient else "Discharge")
        self._preview = preview
        self.facts = facts
        self.items: dict[str, QComboBox] = {}
        form = QFormLayout()
        form.setVerticalSpacing(6)
        for name, anchors in ALDRETE_ANCHORS.items():
            combo = QComboBox()
            for score in sorted(anchors, reverse=True):
                combo.addItem(f"{score}  {anchors[score]}", score)
            combo.setPlaceholderText("choose…")
            combo.setCurrentIndex(-1)
            combo.currentIndexChanged.connect(self.update_view)
            self.items[name] = combo
            form.addRow(name.capitalize(), combo)
        self.circulation = QLabel("")
        self.circulation.setWordWrap(True)
        self.baseline = QSpinBox()  # only when the session has no baseline: typed from the chart, recorded
        self.baseline.setRange(0, 300)
        self.baseline.setSpecialValueText("enter baseline SBP")
        self.baseline.setSuffix(" mmHg")
        self.baseline.setVisible(facts.baseline_sbp is None)
        self.oxygen = QCheckBox("on oxygen")
        self.oxygenation = QLabel("")
        self.oxygenation.setWordWrap(True)
        circ = QVBoxLayout()
        circ.addWidget(self.circulation)
        circ.addWidget(self.baseline)
        form.addRow("Circulation", circ)
        o2 = QVBoxLayout()
        o2.addWidget(self.oxygenation)
        o2.addWidget(self.oxygen)
        form.addRow("SpO₂", o2)
        self.total = QLabel("")
        theme.set_font(self.total, 22, bold=True)
        form.addRow("Aldrete", self.total)
        self.vitals_ok = QCheckBox("Vital signs near baseline")
        vitals = QLabel(f"{facts.sbp_text}; {facts.spo2_text}; {facts.pulse_text}")
        vitals.setWordWrap(True)
        vitals.setProperty("role", "dim")
        self.adult = QLineEdit()
        self.adult.setPlaceholderText("adult driving home")
        self.checks = {k: QCheckBox(text) for k, text in DISCHARGE_CHECKLIST.items()}
        self.who = QLineEdit(user)
        self.override = QLineEdit()
        self.override.setPlaceholderText("only if a criterion is not met")
        right = QFormLayout()
        right.setVerticalSpacing(6)
        right.addRow(self.vitals_ok)
        right.addRow(vitals)
        right.addRow("Driven home by", self.adult)
        for box in self.checks.values():
            right.addRow(box)
        right.addRow("Assessed by", self.who)
        right.addRow("Override reason", self.override)
        self.unmet = QLabel("")
        self.unmet.setWordWrap(True)
        theme.set_font(self.unmet, 16, bold=True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.Ok)
        self.ok.setText("Discharge")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        g1, g2 = QGroupBox("Modified Aldrete"), QGroupBox("Discharge criteria")
        g1.setLayout(form)
        g2.setLayout(right)
        cols = QHBoxLayout()
        cols.addWidget(g1, 1)
        cols.addWidget(g2, 1)
        root = QVBoxLayout(self)
        if patient:
            root.addWidget(_title(f"Discharge of {patient}"))
        root.addLayout(cols)
        root.addWidget(self.unmet)
        root.addWidget(self.buttons)
        self.baseline.valueChanged.connect(self.update_view)
        for w in (self.oxygen, self.vitals_ok, *self.checks.values()):
            w.toggled.connect(self.update_view)
        for w in (self.adult, self.who, self.override):
            w.textChanged.connect(self.update_view)
        self.update_view()

    def baseline_sbp(self) -> float | None:
        return self.facts.baseline_sbp if self.facts.baseline_sbp is not None else (self.baseline.value() or None)

    def aldrete(self) -> Aldrete | None:
        """Return the score, None while an item is unchosen or a measured value is missing."""
        choices = [c.currentData() for c in self.items.values()]
        baseline = self.baseline_sbp()
        if None in choices or self.facts.sbp is None or baseline is None or self.facts.spo2 is None:
            return None
        try:
            return Aldrete(*choices, sbp_mmhg=self.facts.sbp, baseline_sbp_mmhg=baseline, spo2_pct=self.facts.spo2,
                           on_oxygen=self.oxygen.isChecked())
        except ValueError:
            return None

    def checklist(self) -> dict[str, bool]:
        return {k: b.isChecked() for k, b in self.checks.items()}

    def missing(self) -> list[str]:
        """Return what must be chosen or measured before a score exists."""
        out = [f"choose {name}" for name, c in self.items.items() if c.currentIndex() < 0]
        if self.facts.sbp is None:
            out.append("take a BP")
        if self.baseline_sbp() is None:
            out.append("enter the baseline SBP")
        if self.facts.spo2 is None:
            out.append("a live SpO₂ value")
        return out

    def update_view(self, *_args) -> None:
        a = self.aldrete()
        baseline = self.baseline_sbp()
        diff = f", {abs(self.facts.sbp - baseline):.0f} mmHg from baseline {baseline:.0f}" \
            if self.facts.sbp is not None and baseline is not None else ""
        self.circulation.setText((f"{a.circulation}: " if a else "") + self.facts.sbp_text + diff)
        self.oxygenation.setText((f"{a.oxygenation}: " if a else "") + self.facts.spo2_text)
        self.total.setText("— / 10" if a is None else f"{a.total} / 10")
        missing = self.missing()
        unmet = missing or list(self._preview(a, self.vitals_ok.isChecked(), self.adult.text(), self.checklist()))
        if unmet:
            self.unmet.setText(("To score: " if missing else "Not met: ") + "; ".join(unmet) + ".")
            theme.restyle(self.unmet, "role", "todo")
        else:
            self.unmet.setText("All discharge criteria met.")
            theme.restyle(self.unmet, "role", "")
        overridden = bool(self.override.text().strip())
        self.ok.setEnabled(a is not None and bool(self.who.text().strip()) and (not unmet or overridden))
        self.ok.setText("Discharge (override)" if unmet and overridden else "Discharge")
