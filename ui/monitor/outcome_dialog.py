"""Enter outcome questionnaires (PHQ-9, GAD-7, PCL-5) and review the item-9 flag.

OutcomeDialog has two modes. Nurse mode is one compact form (a tab per
questionnaire, a row of answers per item) with totals, bands and the flag shown
as they are entered. Patient mode is for the patient to fill in at arm's
length: one question a page, large answer buttons, Back and Next, then a page
to check every answer (tap one to change it) before saving. Totals, bands and
the flag are not shown to the patient; they go to the clinician.

Nothing is pre-filled and Save stays disabled until every item of every
questionnaire has an answer. Scoring, bands and the flag come from
monitor.clinical.outcomes (never computed here). Both modes fit a 1024 x 600 screen.

Use: dlg = OutcomeDialog(codes, user=..., mode="patient", cutoffs=config.outcomes.cutoffs);
if dlg.exec(): record each of dlg.scores() with ClinicalSession.record_outcome.
FlagReviewDialog collects a clinician's review of a flagged entry (who and a
note) for ClinicalSession.review_outcome_flag.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from monitor.alarms import Priority
from monitor.clinical.config import load_clinical_config
from monitor.clinical.outcomes import OutcomeFlag, entered
from monitor.record.instruments import Instrument, instrument
from monitor.record.outcomes import OutcomeScore
from monitor.timefmt import Zone, date_time_text
from ui import theme

#: This module's looks on top of the app's theme (ui.theme): large answer and navigation buttons for patient mode.
STYLE = (
    "QPushButton[choice='true'] { font-size: 24px; min-height: 44px; padding: 3px 24px; text-align: left; }"
    f"QPushButton[choice='true']:checked {{ background: {theme.SPO2}; color: #000000; border: 3px solid #ffffff; }}"
    "QPushButton[nav='true'] { font-size: 24px; min-height: 54px; min-width: 170px; }"
    "QPushButton[answer='true'] { text-align: left; font-size: 18px; }"
    "QRadioButton::indicator { width: 22px; height: 22px; }"
    f"QScrollArea, QScrollArea > QWidget > QWidget {{ background: {theme.PANEL}; border: none; }}"
    "QLabel[role='item'] { font-size: 26px; font-weight: bold; }"
    "QLabel[role='title'] { font-size: 28px; font-weight: bold; }"
    f"QLabel[role='stem'] {{ font-size: 20px; color: {theme.DIM}; }}"
    "QLabel[role='row'] { font-size: 16px; }"
    f"QLabel[role='head'] {{ font-size: 14px; color: {theme.DIM}; }}"
    f"QLabel[role='dim'] {{ font-size: 16px; color: {theme.DIM}; }}"
    "QLabel[role='strong'] { font-size: 18px; font-weight: bold; }"
    f"QLabel[role='flag'] {{ font-size: 18px; font-weight: bold; background: {theme.ALARM_BG[Priority.MEDIUM]};"
    " color: #000000; padding: 6px; }"
)
MODES = ("nurse", "patient")


def _label(text: str, role: str) -> QLabel:
    """Return a word-wrapped label whose look is its role in STYLE (item, title, stem, row, head, dim, strong, flag)."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setProperty("role", role)
    return label


class OutcomeDialog(QDialog):
    """Collect every item of the given questionnaires; scores() returns them (OutcomeScore) once saved."""

    def __init__(self, instruments: Sequence[str], *, user: str, mode: str = "nurse",
                 cutoffs: Mapping[str, int] | None = None, clock: Callable[[], float] = time.time,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if mode not in MODES:
            raise ValueError(f"mode must be 'nurse' or 'patient', got {mode!r}")
        if not instruments:
            raise ValueError("no questionnaire to ask")
        if cutoffs is None:
            cutoffs = load_clinical_config().outcomes.cutoffs
        self.instruments: list[Instrument] = [instrument(code) for code in instruments]
        self.user, self.mode, self._cutoffs, self._clock = user, mode, dict(cutoffs), clock
        self.answers: dict[str, list[int | None]] = {i.code: [None] * i.n_items for i in self.instruments}
        self.groups: dict[str, list[QButtonGroup]] = {i.code: [] for i in self.instruments}
        self._scores: list[OutcomeScore] = []
        self.setWindowTitle("Questionnaires")
        self.setStyleSheet(STYLE)
        self.save = QPushButton("Save answers")
        self.save.setProperty("nav", mode == "patient")
        self.save.clicked.connect(self.accept)
        self.cancel = QPushButton("Cancel")
        self.cancel.clicked.connect(self.reject)
        if mode == "nurse":
            self._build_nurse()
        else:
            self._build_patient()
        self.resize(1024, 600)
        self._refresh()

    # --- answers ------------------------------------------------------------------------------------

    def choose(self, code: str, item: int, score: int) -> None:
        """Set the answer of item (0-based) of a questionnaire, as a click does."""
        self.groups[code][item].button(score).click()

    def _answered(self, code: str, item: int, score: int) -> None:
        self.answers[code][item] = score
        self._refresh()

    def complete(self) -> bool:
        """Tell whether every item of every questionnaire has an answer."""
        return all(None not in answers for answers in self.answers.values())

    def _score(self, inst: Instrument, t: float, partial: bool = False) -> OutcomeScore | None:
        """Return the questionnaire scored at t; None while an item is unanswered, unless partial (counted as 0)."""
        items = self.answers[inst.code]
        if None in items and not partial:
            return None
        return entered(inst.code, [a or 0 for a in items], user=self.user, mode=self.mode, cutoffs=self._cutoffs, t=t)

    def accept(self) -> None:
        """Score every questionnaire at this moment (UTC epoch) and close; refused while an item is unanswered."""
        if not self.complete():
            return
        t = self._clock()
        self._scores = [self._score(i, t) for i in self.instruments]  # type: ignore[misc]
        super().accept()

    def scores(self) -> list[OutcomeScore]:
        """Return the saved questionnaires (empty unless the dialog was accepted)."""
        return list(self._scores)

    def _refresh(self) -> None:
        self.save.setEnabled(self.complete())
        if self.mode == "nurse":
            self._refresh_nurse()
        else:
            self._refresh_patient()

    def _group(self, inst: Instrument, buttons: list[QAbstractButton]) -> QButtonGroup:
        """Make the exclusive answer group of the next item of inst: button i scores options[i]."""
        item = len(self.groups[inst.code])
        group = QButtonGroup(self)
        for option, button in zip(inst.options, buttons):
            button.setCheckable(True)
            group.addButton(button, option.score)
        group.idClicked.connect(lambda score, c=inst.code, i=item: self._answered(c, i, score))
        self.groups[inst.code].append(group)
        return group

    # --- nurse mode ------------------------------------------------------------------------------------

    def _build_nurse(self) -> None:
        self.tabs = QTabWidget()
        for inst in self.instruments:
            self.tabs.addTab(self._nurse_form(inst), inst.name)
        self.totals = _label("", "strong")
        self.flag = _label("", "flag")
        buttons = QHBoxLayout()
        buttons.addWidget(self.totals, 1)
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.save)
        root = QVBoxLayout(self)
        root.addWidget(_label(f"Questionnaires asked by {self.user}: choose one answer for every item", "strong"))
        root.addWidget(self.tabs, 1)
        root.addWidget(self.flag)
        root.addLayout(buttons)

    def _nurse_form(self, inst: Instrument) -> QWidget:
        grid = QGridLayout()
        grid.setColumnStretch(0, 1)
        grid.addWidget(_label(f"{inst.name} ({inst.measures}). {inst.stem}", "dim"), 0, 0)
        for col, option in enumerate(inst.options, start=1):
            head = _label(f"{option.score}\n{option.text}", "head")
            head.setAlignment(Qt.AlignCenter)
            head.setFixedWidth(104)
            grid.addWidget(head, 0, col)
        for row, text in enumerate(inst.items, start=1):
            grid.addWidget(_label(f"{row}. {text}", "row"), row, 0)
            radios = [QRadioButton() for _ in inst.options]
            self._group(inst, radios)  # type: ignore[arg-type]
            for col, radio in enumerate(radios, start=1):
                grid.addWidget(radio, row, col, Qt.AlignCenter)
        grid.addWidget(_label(inst.source, "head"), len(inst.items) + 1, 0, 1, len(inst.options) + 1)
        body = QWidget()
        body.setLayout(grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        return scroll

    def _refresh_nurse(self) -> None:
        t = self._clock()
        parts, flags = [], []
        for index, inst in enumerate(self.instruments):
            answered = sum(a is not None for a in self.answers[inst.code])
            self.tabs.setTabText(index, f"{inst.name} {answered}/{inst.n_items}")
            score = self._score(inst, t)
            parts.append(score.summary if score else f"{inst.name} {answered} of {inst.n_items} answered")
            so_far = self._score(inst, t, partial=True)  # the flag shows as soon as its item is answered
            if so_far is not None and so_far.flag:
                flags.append(f"{so_far.flag_text}: a clinician must assess the patient before the infusion")
        self.totals.setText("; ".join(parts))
        self.flag.setText("\n".join(flags))
        self.flag.setVisible(bool(flags))

    # --- patient mode ---------------------------------------------------------------------------------------

    def _build_patient(self) -> None:
        self.pages = QStackedWidget()
        self.page_items: list[tuple[Instrument, int]] = []
        for inst in self.instruments:
            for item in range(inst.n_items):
                self.pages.addWidget(self._patient_page(inst, item))
                self.page_items.append((inst, item))
        self.summary_note = _label("", "strong")
        self.pages.addWidget(self._summary_page())
        self.back = QPushButton("\u2190 Back")
        self.next = QPushButton("Next \u2192")
        for b in (self.back, self.next):
            b.setProperty("nav", True)
        self.back.clicked.connect(lambda: self.go(self.pages.currentIndex() - 1))
        self.next.clicked.connect(lambda: self.go(self.pages.currentIndex() + 1))
        self.progress = _label("", "dim")
        self.progress.setAlignment(Qt.AlignCenter)
        nav = QHBoxLayout()
        nav.addWidget(self.cancel)
        nav.addSpacing(40)
        nav.addWidget(self.back)
        nav.addWidget(self.progress, 1)
        nav.addWidget(self.next)
        nav.addWidget(self.save)
        root = QVBoxLayout(self)
        root.setContentsMargins(24, 16, 24, 16)
        root.addWidget(self.pages, 1)
        root.addLayout(nav)
        self.pages.currentChanged.connect(lambda _i: self._refresh())

    def _patient_page(self, inst: Instrument, item: int) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(_label(inst.stem, "stem"))
        box.addWidget(_label(inst.items[item], "item"))
        box.addSpacing(8)
        buttons = [QPushButton(option.text) for option in inst.options]
        for b in buttons:
            b.setProperty("choice", True)
            box.addWidget(b)
        self._group(inst, buttons)  # type: ignore[arg-type]
        box.addStretch(1)
        return page

    def _summary_page(self) -> QWidget:
        """Build the check page: every item with its answer on a button that goes back to that item."""
        grid = QGridLayout()
        grid.setColumnStretch(0, 1)
        self.summary_answers: list[QPushButton] = []
        row = 0
        for inst in self.instruments:
            grid.addWidget(_label(inst.name, "strong"), row, 0, 1, 2)
            row += 1
            for item, text in enumerate(inst.items):
                grid.addWidget(_label(f"{item + 1}. {text}", "row"), row, 0)
                answer = QPushButton()
                answer.setProperty("answer", True)
                answer.setFixedWidth(280)
                answer.clicked.connect(lambda _c=False, p=len(self.summary_answers): self.go(p))
                self.summary_answers.append(answer)
                grid.addWidget(answer, row, 1)
                row += 1
        body = QWidget()
        body.setLayout(grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        page = QWidget()
        box = QVBoxLayout(page)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(_label("Please check your answers", "title"))
        box.addWidget(_label("Tap an answer to change it. When all is right, tap Save answers.", "stem"))
        box.addWidget(scroll, 1)
        box.addWidget(self.summary_note)
        return page

    def go(self, page: int) -> None:
        """Show a page (0-based; the last is the summary); Next only past an answered item."""
        current = self.pages.currentIndex()
        if page > current and current < len(self.page_items):
            inst, item = self.page_items[current]
            if self.answers[inst.code][item] is None:
                return
        if 0 <= page < self.pages.count():
            self.pages.setCurrentIndex(page)

    def _refresh_patient(self) -> None:
        index = self.pages.currentIndex()
        on_summary = index == len(self.page_items)
        self.back.setEnabled(index > 0)
        self.next.setVisible(not on_summary)
        self.save.setVisible(on_summary)
        if on_summary:
            self.progress.setText("")
            self._fill_summary()
            return
        inst, item = self.page_items[index]
        self.next.setEnabled(self.answers[inst.code][item] is not None)
        self.progress.setText(f"{inst.name}: question {item + 1} of {inst.n_items}")

    def _fill_summary(self) -> None:
        for (inst, item), button in zip(self.page_items, self.summary_answers):
            answer = self.answers[inst.code][item]
            button.setText("not answered" if answer is None else f"{inst.option_text(answer)}  ✎")
        t = self._clock()
        flagged = any(s is not None and s.flag for s in (self._score(i, t, partial=True) for i in self.instruments))
        self.summary_note.setText("Please tell the nurse how you are feeling today: someone will talk with you "
                                  "before the infusion." if flagged else "")
        self.summary_note.setVisible(flagged)


class FlagReviewDialog(QDialog):
    """A clinician's review of a flagged questionnaire: who reviewed it and a note; both are required.

    tz is the session's zone: the entry's time is read in it, whatever this computer's zone.
    """

    def __init__(self, flag: OutcomeFlag, user: str = "", parent: QWidget | None = None, *, tz: Zone) -> None:
        super().__init__(parent)
        self.setWindowTitle("Review the questionnaire flag")
        self.setStyleSheet(STYLE)
        s = flag.score
        when = date_time_text(s.t, tz)
        self.reviewer = QLineEdit(user)
        self.reviewer.setPlaceholderText("clinician's name (required)")
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText("assessment and decision (required), e.g. passive thoughts, no plan; "
                                     "safety plan reviewed; infusion may proceed")
        self.ok = QPushButton("Record review")
        cancel = QPushButton("Cancel")
        self.ok.clicked.connect(self.accept)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.ok)
        root = QVBoxLayout(self)
        root.addWidget(_label(s.flag_text, "flag"))
        where = f" in session {flag.session_id}" if flag.session_id is not None else ""
        root.addWidget(_label(f"{s.summary}; entered {when}{where} by {s.user} ({s.mode} mode)", "row"))
        for review in flag.reviews:
            root.addWidget(_label(review.text, "dim"))
        root.addWidget(QLabel("Reviewed by"))
        root.addWidget(self.reviewer)
        root.addWidget(QLabel("Note"))
        root.addWidget(self.note, 1)
        root.addWidget(_label("The flag stays in the record and the report; the review is added to it.", "dim"))
        root.addLayout(buttons)
        self.reviewer.textChanged.connect(self._enable)
        self.note.textChanged.connect(self._enable)
        self.resize(760, 480)
        self._enable()

    def _enable(self) -> None:
        self.ok.setEnabled(bool(self.reviewer.text().strip() and self.note.toPlainText().strip()))

    def review(self) -> tuple[str, str]:
        """Return (reviewer, note) as typed, stripped."""
        return self.reviewer.text().strip(), self.note.toPlainText().strip()
