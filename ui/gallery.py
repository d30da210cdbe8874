"""Every screen and dialog of the monitor in realistic states, for screenshots and for the screen tests.

Each scene runs a real MonitorCore on a throwaway database. The pulse oximeter
is a protocol simulator (real wire bytes through the real parser and reader,
so the pleth, PI and device states are what a clinic sees) whose vitals the
scene sets; BP results and cuff pressures are fed to the core as the NIBP
module would deliver them; time is moved on with the core's clock (pauses,
planned end, observation).

    python -m ui.gallery DIR [--sizes 1366x768,1920x1080] [--desktop light,dark] [--only NAME,...]

writes DIR/<desktop>-<size>-<name>.png for every screen and dialog (make
screenshots DIR=... runs it, on a throwaway X server when there is no display).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox, QStyleFactory, QWidget

from devices.sim.physiology import Vitals
from devices.sim.port import SimulatedPort
from devices.spec import DeviceSpec
from devices.values import Condition, NibpResult, StatusChange, mean_arterial, sample
from monitor.alarms import Priority
from monitor.alarms.keys import AppAlarm
from monitor.clinical.outcomes import OutcomeFlag, entered
from monitor.live.core import MonitorCore, SessionInfo
from monitor.storage.chair_patients import ChairPatients
from monitor.storage.store import Store
from ui import theme

#: Screen sizes shots are taken at: the whole screen (the window fills what a taskbar leaves).
SIZES = {"1366x768": (1366, 700), "1920x1080": (1920, 1040), "1280x720": (1280, 690), "1024x600": (1024, 570)}
PATIENT = SessionInfo(patient_id="P-0412", patient_name="Jordan Avery", birth_date="1980-03-12",
                      weight_kg=72.0, dose_mg_per_kg=0.5,
                      infusion_min=40.0, bag_ml=100.0, extra={"course_length": 6})


# --- a simulated patient the scene controls, behind a real protocol simulator --------------------------------

@dataclass
class ScenePatient:
    """The vitals a scene sets; a SimulatedPort renders them with the device's simulator."""

    spo2: float | None = 97.0
    pulse_rate: float | None = 72.0
    perfusion_index: float | None = 3.4
    probe_off: bool = False
    artifact: bool = False
    silent: bool = False  # the device hangs: sends and answers nothing

    def step(self, t: float) -> Vitals:
        """Return the vitals at device time t (s), with a pleth pulse shaped from the pulse rate."""
        phase = (t * (self.pulse_rate or 70.0) / 60.0) % 1.0
        systolic = math.exp(-((phase - 0.18) / 0.09) ** 2)
        pleth = min(1.0, 0.08 + 0.9 * systolic + 0.35 * math.exp(-((phase - 0.45) / 0.08) ** 2))
        if self.artifact:
            pleth = min(1.0, max(0.0, pleth + 0.4 * math.sin(t * 37.0)))
        off = self.probe_off
        return Vitals(t, None if off else self.spo2, None if off else self.pulse_rate,
                      None if off else self.perfusion_index, 0.0 if off else pleth, 122.0, 78.0, 14.0,
                      probe_off=off, artifact=self.artifact, silent=self.silent)


class DeviceTime:
    """A device's clock that stands still while held: no values while a scene writes the trend's history, yet the
    device answers the app's commands. One tuple holds the state, so the reader thread never sees half a change."""

    def __init__(self, held: bool) -> None:
        self._state = (time.monotonic() if held else None, 0.0)  # (held since, seconds held before)

    def __call__(self) -> float:
        held_at, held_s = self._state
        return (time.monotonic() if held_at is None else held_at) - held_s

    def release(self) -> None:
        held_at, held_s = self._state
        if held_at is not None:
            self._state = (None, held_s + time.monotonic() - held_at)


class SceneClock:
    """The core's monotonic clock, which a scene can move on (minutes of infusion in a moment)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset


@dataclass
class Scene:
    """A running core in a state, with what set it up."""

    core: MonitorCore
    clock: SceneClock
    patient: ScenePatient

    def feed_bp(self, sbp: float | None, dbp: float | None, error: str = "", t: float | None = None,
                source: str = "nibp") -> None:
        """Deliver a BP result as the NIBP module's parser does: the result, its condition, its numerics."""
        t = time.time() if t is None else t
        mean = None if sbp is None or dbp is None else mean_arterial(sbp, dbp)
        self.core.feed(NibpResult(t, source, sbp, dbp, mean, 74.0, 1 if error else 0, error))
        self.core.feed(StatusChange(t, source, Condition.NIBP_FAILED, bool(error), error))
        if not error:
            for param, value in (("sbp", sbp), ("dbp", dbp), ("map", mean), ("nibp_pulse_rate", 74.0)):
                self.core.feed(sample(t, source, param, value))

    def history(self, minutes: float, spo2: float = 97.0, pulse: float = 72.0) -> None:
        """Give the trends the last minutes of a calm patient (one point every 5 s) and a BP every 10 min."""
        now = time.time()
        for i in range(int(minutes * 12), 0, -1):
            t = now - 5 * i
            self.core.feed(sample(t, "pulseox", "spo2", round(spo2 + 0.8 * math.sin(i / 9), 0)))
            self.core.feed(sample(t, "pulseox", "pulse_rate", round(pulse + 3 * math.sin(i / 7), 0)))
            if i % 120 == 0:
                self.core.feed(sample(t, "nibp", "sbp", 120.0 + i % 7))
                self.core.feed(sample(t, "nibp", "dbp", 77.0 + i % 3))

    def cuff(self, mmhg: float) -> None:
        self.core.feed(sample(time.time(), "nibp", "cuff_pressure", mmhg))

    def advance(self, seconds: float, step: float | None = None) -> None:
        """Move the core's clock on and let it catch up (phases, timers, alarms); in steps of `step` s, so values
        keep coming within an alarm's delay."""
        for _ in range(int(seconds / step) if step else 0):
            self.clock.offset += step
            settle(80)
        self.clock.offset += seconds - (step * int(seconds / step) if step else 0)
        settle(300)


def settle(ms: int) -> None:
    """Run the Qt event loop for ms milliseconds (threads keep running meanwhile)."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_for(done: Callable[[], bool], timeout_s: float = 10.0) -> None:
    end = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > end:
            raise TimeoutError("the scene did not reach its state")
        settle(50)


@contextmanager
def scene(folder: Path, oximeter: str = "contec", nibp_port: bool = True, info: SessionInfo = PATIENT,
          history_min: float = 0.0) -> Iterator[Scene]:
    """Run a core with a simulated pulse oximeter and an NIBP module (port failing unless nibp_port), whose
    trends start history_min minutes ago."""
    patient, oximeter_time = ScenePatient(), DeviceTime(held=True)

    def open_port(spec: DeviceSpec) -> SimulatedPort:
        if spec.role == "nibp" and not nibp_port:
            raise OSError(2, "No such file or directory")
        if spec.role == "pulseox":
            return SimulatedPort(spec.protocol, patient=patient, clock=oximeter_time)
        return SimulatedPort(spec.protocol, patient=ScenePatient())

    clock = SceneClock()
    folder.mkdir(parents=True, exist_ok=True)
    db = Path(tempfile.mkdtemp(dir=folder)) / "gallery.db"
    core = MonitorCore(Store(db), [DeviceSpec("pulseox", oximeter, "/dev/ttyUSB0"),
                                   DeviceSpec("nibp", "suntech", "/dev/ttyUSB1")],
                       open_port=open_port, clock=clock, capture_raw=False)
    core.start(info, operator="AB")
    s = Scene(core, clock, patient)
    s.history(history_min)  # before the device's first values, so the trend takes them
    oximeter_time.release()
    try:
        wait_for(lambda: core.snapshot(trends=False).primary("spo2") is not None)
        yield s
    finally:
        core.stop()


# --- the scenes ------------------------------------------------------------------------------------------------

def baseline(s: Scene) -> None:
    s.feed_bp(124, 79)


def bp_measuring(s: Scene) -> None:
    s.feed_bp(124, 79, t=time.time() - 600)
    s.clock.offset += 600  # the reading is 10 min old
    s.core.infusion_action("start", user="AB")
    settle(400)
    s.cuff(128)


def infusion_running(s: Scene) -> None:
    s.feed_bp(124, 79, t=time.time() - 60)
    s.core.infusion_action("start", user="AB")
    s.advance(12 * 60)
    s.feed_bp(138, 86)


def desaturation(s: Scene) -> None:
    infusion_running(s)
    s.patient.spo2, s.patient.pulse_rate = 84.0, 58.0
    settle(1500)
    s.advance(12, step=1.0)  # the SpO2 alarm delay
    wait_for(lambda: any(a.param == "spo2" for a in s.core.alarm_view().active))


def latched(s: Scene) -> None:
    desaturation(s)
    s.patient.spo2 = 83.0
    settle(2000)
    s.advance(60)
    s.patient.spo2, s.patient.pulse_rate = 97.0, 74.0
    wait_for(lambda: any(a.latched for a in s.core.alarm_view().active))


def hypertension(s: Scene) -> None:
    infusion_running(s)
    s.feed_bp(186, 108)


def acknowledged(s: Scene) -> None:
    hypertension(s)
    s.core.acknowledge("AB")


def failed_bp(s: Scene) -> None:
    infusion_running(s)
    s.advance(60)
    s.feed_bp(None, None, error="motion artefact, measurement abandoned")


def manual_bp(s: Scene) -> None:
    infusion_running(s)
    s.core.enter_bp(132, 84, 76, user="AB")
    settle(300)


def no_data(s: Scene) -> None:
    infusion_running(s)
    s.patient.silent = True
    wait_for(lambda: any(d.state == "no data" for d in s.core.device_views()), 12)
    settle(1200)


def reconnecting(s: Scene) -> None:
    s.feed_bp(124, 79, source="manual")
    wait_for(lambda: any(d.state == "reconnecting" for d in s.core.device_views()))


def probe_off(s: Scene) -> None:
    infusion_running(s)
    s.patient.probe_off = True
    settle(1500)


def artifact(s: Scene) -> None:
    infusion_running(s)
    s.patient.artifact = True
    settle(1500)


def paused(s: Scene) -> None:
    infusion_running(s)
    s.core.infusion_action("pause", user="AB", reason="nausea, vomited once")
    s.advance(12 * 60)


def planned_end(s: Scene) -> None:
    infusion_running(s)
    s.advance(29 * 60)


def observation(s: Scene) -> None:
    planned_end(s)
    s.core.infusion_action("complete", user="AB")
    s.advance(40 * 60)
    s.feed_bp(128, 80)
    s.core.clinical.mark("1", "AB")


def no_baseline(s: Scene) -> None:
    s.core.infusion_action("start", user="AB")
    s.advance(5 * 60)


def many_alarms(s: Scene) -> None:
    desaturation(s)
    s.feed_bp(192, 114)
    s.core.raise_technical(AppAlarm.AUDIO, Priority.MEDIUM, "No alarm sound: alarms are silent")
    score = entered("phq9", [2, 2, 1, 2, 1, 1, 1, 0, 1], user="AB", mode="patient", cutoffs={"pcl5": 33},
                    t=time.time())
    s.core.clinical.record_outcome(score)
    for key in "1348":
        s.core.clinical.mark(key, "AB")
    settle(800)


def events_on_trend(s: Scene) -> None:
    s.feed_bp(124, 79)
    s.advance(4 * 60)
    s.core.infusion_action("start", user="AB")
    for key, minutes in (("1", 3), ("4", 1), ("7", 1), ("0", 2)):
        s.advance(minutes * 60)
        s.core.clinical.mark(key, "AB", note="asks for water" if key == "0" else "")
        s.feed_bp(150 + 5 * minutes, 90)


SCENES: dict[str, Callable[[Scene], None]] = {
    "01_baseline": baseline, "02_bp_measuring_cuff": bp_measuring, "03_desaturation": desaturation,
    "04_latched_ended_alarm": latched, "05_hypertension": hypertension, "06_acknowledged": acknowledged,
    "07_failed_bp_after_valid": failed_bp, "08_manual_bp": manual_bp, "09_no_data": no_data,
    "10_nibp_reconnecting": reconnecting, "11_probe_off": probe_off, "12_artifact_questionable": artifact,
    "13_paused_infusion": paused, "14_planned_end": planned_end, "15_observation": observation,
    "16_no_baseline": no_baseline, "17_many_alarms": many_alarms, "18_events_on_trend": events_on_trend,
}
#: Scenes whose pulse oximeter is another device (nonin reports motion artefact).
OXIMETER = {"12_artifact_questionable": "nonin"}
#: Minutes of trend before the scene starts (default 14).
HISTORY = {"01_baseline": 6, "02_bp_measuring_cuff": 8, "10_nibp_reconnecting": 3, "16_no_baseline": 4}


# --- dialogs ---------------------------------------------------------------------------------------------------

def dialogs(window, folder: Path) -> Iterator[tuple[str, QWidget]]:
    """Yield (name, shown top-level) for every dialog, in a realistic state, opened on the monitor window."""
    from ui.dialogs import RateDialog, TextDialog, UserDialog, question_box
    from ui.monitor.alarm_history import AlarmHistory
    from ui.monitor.bp_entry import BpEntryDialog
    from ui.monitor.clinical_dialogs import DischargeDialog, MarkerEditDialog, ScalesDialog
    from ui.monitor.devices_panel import DevicesPanel
    from ui.monitor.limits_dialog import LimitsDialog
    from ui.monitor.main_window import NOTICE
    from ui.monitor.outcome_dialog import FlagReviewDialog, OutcomeDialog
    from ui.monitor.start_dialog import StartSessionDialog

    core = window.core
    session = core.clinical
    view = window.view
    patient = view.header.patient
    store = Store(folder / "start.db")
    store.ensure_patient("P-0412", "Jordan Avery")
    start = StartSessionDialog(ChairPatients(store))
    yield "40_start_dialog_empty", start
    start.user.setText("AB")
    start.patient.setCurrentText("P-0412")
    start.second.setText("12.03.1980")
    for field, text in ((start.weight, "72"), (start.dose, "0.8"), (start.duration, "40"), (start.bag, "100")):
        field.setText(text)
    list(start.checks.values())[0].setChecked(True)
    yield "41_start_dialog_soft_limit", start
    start.dose.setText("1.5")
    yield "42_start_dialog_refused", start
    yield "43_user_switch", UserDialog("AB", window)
    scales = ScalesDialog(view.clinical.scales_due or ("moaas", "cadss", "nausea", "anxiety"),
                          "Scales due: Baseline", patient, window)
    yield "44_scales_empty", scales
    scales.choose("moaas", 5)
    scales.choose("cadss", 1, 0)
    scales.choose("nausea", 2)
    yield "45_scales_partly_chosen", scales
    yield "46_discharge_empty", DischargeDialog(session.discharge_unmet, view.clinical.discharge, "AB", patient,
                                                window)
    marker = session.mark("3", "AB")
    yield "47_marker_edit", MarkerEditDialog(marker, session.markers.markers, session.markers.session_start, window)
    yield "48_manual_bp", BpEntryDialog(window)
    yield "49_pause_reason", TextDialog("Reason", "Why pause the infusion?", window, "required, e.g. nausea",
                                        "patient nauseous after 12 minutes, vomited once", ok="Pause")
    yield "50_rate_change", RateDialog(150.0, core.rate_preview, core.tz, window)
    yield "51_note_key0", TextDialog("Note", "Note for the record:", window, "e.g. asks for water",
                                     "patient asks for water and a blanket", ok="Add note")
    box, _ = question_box(window, "Close the monitor?", "The infusion is still running. Closing stops monitoring "
                          "and alarms for this patient and closes the session.", "Close monitoring", "Keep monitoring")
    yield "52_close_confirmation", box
    about = QMessageBox(QMessageBox.Information, "About infusion-monitor", f"infusion-monitor\n\n{NOTICE}",
                        QMessageBox.Ok, window)
    yield "53_about", about
    limits = LimitsDialog(core, "spo2", window)
    yield "54_alarm_limits", limits
    limits.selector.showPopup()
    yield "55_alarm_limits_selector_open", limits.selector.view().window()
    limits.selector.hidePopup()
    yield "56_alarm_history", AlarmHistory(window.alarm_log, window)
    yield "57_devices_panel", DevicesPanel(core, window)
    nurse = OutcomeDialog(("phq9", "gad7"), user="AB", mode="nurse", cutoffs={"pcl5": 33}, parent=window)
    nurse.choose("phq9", 0, 1)
    yield "58_questionnaires_nurse", nurse
    yield "59_questionnaires_patient", OutcomeDialog(("phq9",), user="AB", mode="patient", cutoffs={"pcl5": 33},
                                                     parent=window)
    flagged = entered("phq9", [1] * 9, user="AB", mode="patient", cutoffs={"pcl5": 33}, t=time.time())
    yield "60_flag_review", FlagReviewDialog(OutcomeFlag(flagged, ()), "", window, tz=core.tz)
    store.close()


# --- running it ---------------------------------------------------------------------------------------------------

def desktop(app: QApplication, kind: str) -> None:
    """Imitate a light or a dark desktop theme, then put the app's own theme over it (as run_app does)."""
    app.setStyleSheet("")
    app.setStyle(QStyleFactory.create("Windows" if kind == "light" else "Fusion"))
    p = QPalette()
    base, text = ("#f0f0f0", "#000000") if kind == "light" else ("#2b2b2b", "#f0f0f0")
    for role in (QPalette.Window, QPalette.Base, QPalette.Button):
        p.setColor(role, QColor(base))
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        p.setColor(role, QColor(text))
    app.setPalette(p)
    theme.apply(app)


def shown(widget: QWidget, size: tuple[int, int] | None = None) -> QWidget:
    """Show a top-level at a size (or its own), let it lay out and paint."""
    if size is not None:
        widget.resize(*size)
    widget.show()
    widget.raise_()
    settle(350)
    return widget


def bright(window) -> None:
    """Wait (at most a flash period) for the "on" half of flashing alarm fields, so shots show alarm colours."""
    fields = (window.alarm_bar.physio, window.alarm_bar.technical)
    end = time.monotonic() + 2.0
    while time.monotonic() < end and any(f._style and f._style[0] in theme.ALARM_DIM_BG.values() for f in fields):
        settle(40)


def grab(widget: QWidget, path: Path) -> None:
    """Save a top-level (with any open popup drawn over it) as PNG."""
    popup = QApplication.activePopupWidget()
    if popup is not None and popup.parentWidget() is not None and QApplication.platformName() == "xcb":
        g = popup.parentWidget().window().frameGeometry().united(popup.geometry())
        QApplication.primaryScreen().grabWindow(0, g.x(), g.y(), g.width(), g.height()).save(str(path))
    else:
        widget.grab().save(str(path))


def run(folder: Path, sizes: list[str], desktops: list[str], only: set[str] | None = None,
        visit: Callable[[str, QWidget], None] | None = None) -> list[Path]:
    """Write every scene at every size and desktop, and every dialog, to folder; visit(name, widget) each."""
    from ui.monitor.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    folder.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="gallery-"))
    written: list[Path] = []
    for kind in desktops:
        desktop(app, kind)
        for name, setup in SCENES.items():
            if only and name not in only:
                continue
            with scene(work / name, OXIMETER.get(name, "contec"), nibp_port=name != "10_nibp_reconnecting",
                       history_min=HISTORY.get(name, 14)) as s:
                window = MainWindow(s.core)
                setup(s)
                for size in sizes:
                    shown(window, SIZES[size])
                    window.refresh()
                    settle(1100)  # a trend frame
                    bright(window)
                    path = folder / f"{kind}-{size}-{name}.png"
                    grab(window, path)
                    written.append(path)
                    if visit:
                        visit(f"{kind}-{size}-{name}", window)
                if name == "17_many_alarms" and (not only or "dialogs" in only):
                    for dname, dialog in dialogs(window, work):
                        shown(dialog)
                        path = folder / f"{kind}-{dname}.png"
                        grab(dialog, path)
                        written.append(path)
                        if visit:
                            visit(f"{kind}-{dname}", dialog)
                        dialog.close()
                window.timer.stop()
                window.hide()  # not close(): that asks whether to stop monitoring a running infusion
                window.deleteLater()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ui.gallery", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--sizes", default="1366x768,1920x1080")
    parser.add_argument("--desktop", default="light,dark")
    parser.add_argument("--only", default="", help="scene names (and 'dialogs') to write, comma-separated")
    args = parser.parse_args(argv)
    only = {x for x in args.only.split(",") if x} or None
    written = run(args.folder, args.sizes.split(","), args.desktop.split(","), only)
    print(f"{len(written)} screenshots in {args.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
