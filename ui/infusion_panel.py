"""The infusion panel: what to set on the pump, the timer, the dose delivered, the controls.

The core's InfusionEngine does all arithmetic; this panel shows its status and
asks for the reason the engine requires (pause, rate change, early stop).
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFrame, QGridLayout, QHBoxLayout, QLabel, QProgressBar, QPushButton,
                               QVBoxLayout)

from monitor.infusion import InfusionState, InfusionStatus
from monitor.dosing import DosePlan
from ui import theme


def mmss(seconds: float) -> str:
    """Format a duration as M:SS (minutes may exceed 59)."""
    s = int(max(0.0, seconds) + 0.5)
    return f"{s // 60}:{s % 60:02d}"


class InfusionPanel(QFrame):
    """Shows an InfusionStatus; emits the nurse's commands as signals carrying the action name."""

    sigAction = Signal(str)  # "start", "pause", "resume", "rate", "stop", "complete"

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("infusion")
        self.setStyleSheet(f"QFrame#infusion {{ background: {theme.PANEL}; border-radius: 6px; }}"
                           f"QLabel {{ color: {theme.TEXT}; }}")
        title = QLabel("Ketamine infusion")
        title.setFont(theme.font(22, bold=True))
        title.setStyleSheet(f"color: {theme.INFUSION};")
        self.state = QLabel("Not started")
        self.state.setFont(theme.font(22, bold=True))
        self.state.setAlignment(Qt.AlignRight)
        self.plan = QLabel("")
        self.plan.setFont(theme.font(16))
        self.plan.setWordWrap(True)
        self.elapsed = QLabel("0:00")
        self.elapsed.setFont(theme.font(48, bold=True))
        self.elapsed.setStyleSheet(f"color: {theme.INFUSION};")
        self.remaining = QLabel("")
        self.remaining.setFont(theme.font(22, bold=True))
        self.remaining.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.dose = QLabel("")
        self.dose.setFont(theme.font(18))
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(14)
        self.progress.setStyleSheet(f"QProgressBar {{ background: #2a2e33; border: 0; }}"
                                    f"QProgressBar::chunk {{ background: {theme.INFUSION}; }}")
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for action, label in (("start", "Start"), ("pause", "Pause"), ("resume", "Resume"),
                              ("rate", "Rate…"), ("stop", "Stop early…"), ("complete", "Complete")):
            b = QPushButton(label)
            b.setFont(theme.font(16, bold=True))
            b.setMinimumHeight(40)
            b.clicked.connect(lambda _=False, a=action: self.sigAction.emit(a))
            self.buttons[action] = b
            row.addWidget(b)
        grid = QGridLayout()
        grid.addWidget(title, 0, 0)
        grid.addWidget(self.state, 0, 1)
        grid.addWidget(self.elapsed, 1, 0)
        grid.addWidget(self.remaining, 1, 1)
        box = QVBoxLayout(self)
        box.setContentsMargins(12, 8, 12, 8)
        box.addLayout(grid)
        box.addWidget(self.progress)
        box.addWidget(self.dose)
        box.addWidget(self.plan)
        box.addLayout(row)

    def show_plan(self, plan: DosePlan) -> None:
        self.plan.setText(
            f"{plan.weight_kg:g} kg × {plan.dose_mg_per_kg:g} mg/kg = {plan.total_mg:.1f} mg in {plan.bag_volume_ml:g} mL "
            f"({plan.concentration_mg_per_ml:.3g} mg/mL) over {plan.duration_min:g} min\n"
            f"Set pump to {plan.pump_rate_ml_per_h:.1f} mL/h ({plan.dose_rate_mg_per_kg_per_h:.2f} mg/kg/h)")

    def show_status(self, st: InfusionStatus, weight_kg: float) -> None:
        words = {InfusionState.NOT_STARTED: "Not started", InfusionState.RUNNING: "▶ Running",
                 InfusionState.PAUSED: "❚❚ Paused", InfusionState.STOPPED: "■ Stopped early",
                 InfusionState.COMPLETED: "✔ Completed"}
        self.state.setText(words[st.state])
        self.elapsed.setText(mmss(st.elapsed_running_s))
        if st.state in (InfusionState.RUNNING, InfusionState.PAUSED):
            end = datetime.fromtimestamp(st.projected_end).strftime("%H:%M")
            self.remaining.setText(f"{mmss(st.remaining_s)} left\nends {end}")
        else:
            self.remaining.setText("")
        self.progress.setValue(int(round(st.progress * 1000)))
        self.dose.setText(f"Delivered {st.delivered_mg:.1f} mg ({st.delivered_mg_per_kg:.2f} mg/kg), "
                          f"{st.delivered_ml:.0f} mL at {st.current_rate_ml_per_h:.1f} mL/h")
        enabled = {
            "start": st.state == InfusionState.NOT_STARTED,
            "pause": st.state == InfusionState.RUNNING,
            "resume": st.state == InfusionState.PAUSED,
            "rate": st.state in (InfusionState.RUNNING, InfusionState.PAUSED),
            "stop": st.state in (InfusionState.RUNNING, InfusionState.PAUSED),
            "complete": st.state in (InfusionState.RUNNING, InfusionState.PAUSED),
        }
        for action, button in self.buttons.items():
            button.setEnabled(enabled[action])
