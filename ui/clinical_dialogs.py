"""Dialogs of the clinical panel: scales, marker edit (backdate, change, delete), discharge.

Scores are built with monitor.scales (which checks ranges); these dialogs only
collect them. Discharge: the Discharge button is enabled when every criterion
is met, or when an override reason is typed; the override and its reason are
recorded with the assessment (a clinician may discharge against the score, but
never silently).
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QDateTimeEdit, QDialog, QDialogButtonBox,
                               QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QRadioButton, QSpinBox, QVBoxLayout)

from monitor.clinical_config import MarkerDef
from monitor.markers import MarkerRevision
from monitor.scales import ALDRETE_ANCHORS, CADSS_ANCHORS, MOAAS_ANCHORS, Aldrete, Cadss, Moaas, Rating
from ui import theme
from ui.start_dialog import DIALOG_STYLE

#: CADSS short form (6 items, 0-4) as used in ketamine trials; wording per the clinic's form.
CADSS6_ITEMS = ("Things seem to move in slow motion", "Things seem unreal, as if in a dream",
                "Feel disconnected from own body", "Sense of time changed",
                "Objects look different than expected (size, shape)", "Sounds seem far away or changed")

#: Discharge checklist: key stored -> what the nurse ticks.
DISCHARGE_CHECKLIST = {"adult_present": "Responsible adult present, will drive the patient home",
                       "oriented_walking": "Oriented and walking steadily",
                       "instructions_given": "Written after-care instructions given (no driving until tomorrow)"}


def _title(text: str) -> QLabel:
    label = QLabel(text)
    label.setFont(theme.font(22, bold=True))
    return label


class ScalesDialog(QDialog):
    """Enter MOAA/S, CADSS (short form), nausea and anxiety; tick which ones to record."""

    def __init__(self, wanted: tuple[str, ...] = ("moaas", "cadss", "nausea", "anxiety"), prompt: str = "") -> None:
        super().__init__()
        self.setWindowTitle("Scales")
        self.setStyleSheet(DIALOG_STYLE)
        self.groups: dict[str, QGroupBox] = {}

        self.moaas = QButtonGroup(self)
        mbox = QVBoxLayout()
        for score in sorted(MOAAS_ANCHORS, reverse=True):
            b = QRadioButton(f"{score}  {MOAAS_ANCHORS[score]}")
            self.moaas.addButton(b, score)
            mbox.addWidget(b)
        self.moaas.button(5).setChecked(True)
        self._group("moaas", "MOAA/S sedation", mbox)

        self.cadss: list[QSpinBox] = []
        cbox = QGridLayout()
        for i, text in enumerate(CADSS6_ITEMS):
            spin = QSpinBox()
            spin.setRange(0, 4)
            spin.valueChanged.connect(self._cadss_total)
            self.cadss.append(spin)
            cbox.addWidget(QLabel(f"{i + 1}. {text}"), i, 0)
            cbox.addWidget(spin, i, 1)
        self.cadss_total = QLabel("")
        legend = QLabel(", ".join(f"{k} {v}" for k, v in CADSS_ANCHORS.items()))
        legend.setStyleSheet(f"color: {theme.DIM};")
        cbox.addWidget(legend, 6, 0, 1, 2)
        self.cadss_total.setFont(theme.font(18, bold=True))
        cbox.addWidget(self.cadss_total, 7, 0, 1, 2)
        self._group("cadss", "CADSS dissociation (short form, each 0-4)", cbox)

        self.ratings: dict[str, QSpinBox] = {}
        for code, words in (("nausea", "Nausea 0 (none) - 10 (worst)"), ("anxiety", "Anxiety 0 (none) - 10 (worst)")):
            spin = QSpinBox()
            spin.setRange(0, 10)
            spin.setMinimumWidth(90)
            row = QHBoxLayout()
            row.addWidget(spin)
            row.addStretch(1)
            self.ratings[code] = spin
            self._group(code, words, row)
        for code, group in self.groups.items():
            group.setChecked(code in wanted)

        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("Record")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        left = QVBoxLayout()
        left.addWidget(self.groups["moaas"])
        left.addWidget(self.groups["nausea"])
        left.addWidget(self.groups["anxiety"])
        cols = QHBoxLayout()
        cols.addLayout(left)
        cols.addWidget(self.groups["cadss"])
        root = QVBoxLayout(self)
        if prompt:
            root.addWidget(_title(prompt))
        root.addLayout(cols)
        root.addWidget(buttons)
        self._cadss_total()

    def _group(self, code: str, title: str, layout) -> None:
        g = QGroupBox(title)
        g.setCheckable(True)
        g.setLayout(layout)
        self.groups[code] = g

    def _cadss_total(self) -> None:
        self.cadss_total.setText(f"total {sum(s.value() for s in self.cadss)} / {4 * len(self.cadss)}")

    def scores(self) -> list[Moaas | Cadss | Rating]:
        """Return the ticked scales' scores."""
        out: list[Moaas | Cadss | Rating] = []
        if self.groups["moaas"].isChecked():
            out.append(Moaas(self.moaas.checkedId()))
        if self.groups["cadss"].isChecked():
            out.append(Cadss(tuple(s.value() for s in self.cadss)))
        for code, spin in self.ratings.items():
            if self.groups[code].isChecked():
                out.append(Rating(code, spin.value()))
        return out


class MarkerEditDialog(QDialog):
    """Change a marker's time, type or note, or delete it; a reason is always required."""

    def __init__(self, marker: MarkerRevision, markers: tuple[MarkerDef, ...], session_start: float) -> None:
        super().__init__()
        self.setWindowTitle("Edit event")
        self.setStyleSheet(DIALOG_STYLE)
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
        first = datetime.fromtimestamp(marker.recorded_at).strftime("%H:%M:%S")
        info = QLabel(f"Revision {marker.revision}, entered {first} by {marker.user}. The original stays in the record.")
        info.setStyleSheet(f"color: {theme.DIM};")
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
    """Modified Aldrete, vitals, checklist and who: Discharge when criteria are met or an override reason is given.

    preview(aldrete, vitals_ok, adult, checklist) -> unmet criteria (the
    session's own rule), so the dialog and the record never disagree.
    """

    def __init__(self, preview, sbp: float | None, baseline_sbp: float | None, spo2: float | None,
                 user: str = "nurse") -> None:
        super().__init__()
        self.setWindowTitle("Discharge")
        self.setStyleSheet(DIALOG_STYLE)
        self._preview = preview
        self.items: dict[str, QComboBox] = {}
        form = QFormLayout()
        for name, anchors in ALDRETE_ANCHORS.items():
            combo = QComboBox()
            for score in sorted(anchors, reverse=True):
                combo.addItem(f"{score}  {anchors[score]}", score)
            combo.currentIndexChanged.connect(self.update_view)
            self.items[name] = combo
            form.addRow(name.capitalize(), combo)
        self.sbp = self._spin(sbp, 300, " mmHg")
        self.baseline = self._spin(baseline_sbp, 300, " mmHg")
        self.spo2 = self._spin(spo2, 100, " %")
        self.oxygen = QCheckBox("on oxygen")
        self.circulation = QLabel("")
        self.oxygenation = QLabel("")
        for label in (self.circulation, self.oxygenation):
            label.setStyleSheet(f"color: {theme.SPO2};")
        bp_row = QHBoxLayout()
        bp_row.addWidget(QLabel("now"))
        bp_row.addWidget(self.sbp)
        bp_row.addWidget(QLabel("baseline"))
        bp_row.addWidget(self.baseline)
        form.addRow("Systolic BP", bp_row)
        form.addRow("Circulation", self.circulation)
        o2_row = QHBoxLayout()
        o2_row.addWidget(self.spo2)
        o2_row.addWidget(self.oxygen)
        form.addRow("SpO₂", o2_row)
        form.addRow("Oxygenation", self.oxygenation)
        self.total = QLabel("")
        self.total.setFont(theme.font(24, bold=True))
        form.addRow("Modified Aldrete", self.total)
        self.vitals_ok = QCheckBox("Vital signs near baseline")
        self.adult = QLineEdit()
        self.adult.setPlaceholderText("name of the adult driving home")
        self.checks = {k: QCheckBox(text) for k, text in DISCHARGE_CHECKLIST.items()}
        self.who = QLineEdit(user)
        self.override = QLineEdit()
        self.override.setPlaceholderText("only to discharge although a criterion is not met")
        right = QFormLayout()
        right.addRow(self.vitals_ok)
        right.addRow("Driven home by", self.adult)
        for box in self.checks.values():
            right.addRow(box)
        right.addRow("Assessed by", self.who)
        right.addRow("Override reason", self.override)
        self.unmet = QLabel("")
        self.unmet.setWordWrap(True)
        self.unmet.setFont(theme.font(17, bold=True))
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
        root.addLayout(cols)
        root.addWidget(self.unmet)
        root.addWidget(self.buttons)
        for w in (self.sbp, self.baseline, self.spo2):
            w.valueChanged.connect(self.update_view)
        for w in (self.oxygen, self.vitals_ok, *self.checks.values()):
            w.toggled.connect(self.update_view)
        for w in (self.adult, self.who, self.override):
            w.textChanged.connect(self.update_view)
        self.resize(1180, 560)
        self.update_view()

    @staticmethod
    def _spin(value: float | None, top: int, suffix: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(0, top)
        spin.setSpecialValueText("—")  # 0 = not measured
        spin.setSuffix(suffix)
        spin.setValue(int(round(value)) if value is not None else 0)
        return spin

    def aldrete(self) -> Aldrete | None:
        """Return the score, None while SBP, baseline or SpO2 is missing (0, shown as —) or out of range."""
        if 0 in (self.sbp.value(), self.baseline.value(), self.spo2.value()):
            return None
        try:
            return Aldrete(*(c.currentData() for c in self.items.values()), sbp_mmhg=self.sbp.value(),
                           baseline_sbp_mmhg=self.baseline.value(), spo2_pct=self.spo2.value(),
                           on_oxygen=self.oxygen.isChecked())
        except ValueError:
            return None

    def checklist(self) -> dict[str, bool]:
        return {k: b.isChecked() for k, b in self.checks.items()}

    def unmet_criteria(self) -> list[str]:
        a = self.aldrete()
        if a is None:
            return ["enter SBP now, baseline SBP and SpO₂ to compute the score"]
        return list(self._preview(a, self.vitals_ok.isChecked(), self.adult.text(), self.checklist()))

    def update_view(self) -> None:
        a = self.aldrete()
        self.circulation.setText("—" if a is None else
                                 f"{a.circulation}  (SBP differs by {abs(self.sbp.value() - self.baseline.value())} mmHg)")
        self.oxygenation.setText("—" if a is None else f"{a.oxygenation}")
        self.total.setText("— / 10" if a is None else f"{a.total} / 10")
        unmet = self.unmet_criteria()
        if unmet:
            self.unmet.setText("Not met: " + "; ".join(unmet) + ".")
            self.unmet.setStyleSheet("color: #f5c400;")
        else:
            self.unmet.setText("All discharge criteria met.")
            self.unmet.setStyleSheet(f"color: {theme.PULSE};")
        overridden = bool(self.override.text().strip())
        self.ok.setEnabled(a is not None and bool(self.who.text().strip()) and (not unmet or overridden))
        self.ok.setText("Discharge (override)" if unmet and overridden else "Discharge")
