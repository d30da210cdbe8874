"""The screen on a flapping and on a silent pulse oximeter, checked on rendered pixels (issue 18).

A real core reads a real protocol simulator through the real reader: a cable
that gives 2.5 s of data per connection and then vanishes (the reader
reconnects after 0.5 s, as with the worn adapter of the issue), and an
oximeter that goes quiet with its port open. Each state is painted from one
view (the window's timer stopped, so the picture is the view checked) at
1366 x 768 and at the smallest the window can be (1024 wide), saved as PNG
(to $SCREEN_SHOTS_DIR when set) and checked as tests/screen_checks.py checks
every screen: text contrast of at least 4.5:1 from the pixels, no text cut
that does not say so. On top: the footer never says ✓ for the oximeter, says
what is wrong in words and stands out from the dim ✓ of the NIBP; the SpO2
tile says the age of its value, whole, in legible pixels.

Run by test_screens.py on a real X server (Xvfb, QT_QPA_PLATFORM=xcb); run
directly it uses whatever platform is set.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication

from devices.sim.physiology import Vitals
from devices.sim.port import SimulatedPort
from devices.spec import DeviceSpec
from monitor.live.core import MonitorCore
from monitor.live.view import ScreenView
from monitor.storage.store import Store
from screen_checks import MIN_CONTRAST, clipping_failures, legibility_failures, text_contrast
from ui import gallery
from ui.widgets import ElidedLabel

#: Window sizes: a 1366 x 768 laptop less its taskbar, and the narrowest the window can be (its minimum height).
SIZES = {"1366x768": (1366, 700), "1024-wide": (1024, 600)}
UP_S = 2.5  # seconds of data per connection of the flapping cable


@dataclasses.dataclass
class FlappingCable:
    """Vitals of a calm patient through a cable that vanishes UP_S after each connection (scenario time restarts
    with each port the reader opens)."""

    patient: gallery.ScenePatient

    def step(self, t: float) -> Vitals:
        return dataclasses.replace(self.patient.step(t), port_closed=t >= UP_S)


@contextmanager
def chair(folder: Path, flapping: bool) -> Iterator[gallery.Scene]:
    """Run a core with a Contec oximeter (on a flapping cable, or steady) and a SunTech NIBP module."""
    patient = gallery.ScenePatient(spo2=94.0)

    def open_port(spec: DeviceSpec) -> SimulatedPort:
        if spec.role == "pulseox":
            return SimulatedPort(spec.protocol, patient=FlappingCable(patient) if flapping else patient)
        return SimulatedPort(spec.protocol, patient=gallery.ScenePatient())

    clock = gallery.SceneClock()
    db = Path(tempfile.mkdtemp(dir=folder)) / "truth.db"
    core = MonitorCore(Store(db), [DeviceSpec("pulseox", "contec", "/dev/ttyUSB0"),
                                   DeviceSpec("nibp", "suntech", "/dev/ttyUSB1")],
                       open_port=open_port, clock=clock, capture_raw=False)
    core.start(gallery.PATIENT, operator="AB")
    scene = gallery.Scene(core, clock, patient)
    try:
        scene.history(10)
        scene.feed_bp(124, 79)
        yield scene
    finally:
        core.stop()


def view_when(core: MonitorCore, wanted: Callable[[ScreenView], bool], timeout_s: float = 90.0) -> ScreenView:
    """Return the first view of the core that shows what is wanted (generous deadline: the machine may be busy)."""
    end = time.monotonic() + timeout_s
    while True:
        view = core.view(trends=True)
        if wanted(view):
            return view
        if time.monotonic() > end:
            raise TimeoutError(f"the screen never showed it; last devices: {[d.text for d in view.devices]}")
        gallery.settle(20)


def shoot(window, view: ScreenView, name: str, folder: Path) -> list[str]:
    """Paint one view at every size, save it, and return every failure of the checks.

    At 1366 x 768 the whole window is checked; at 1024 wide its text contrast, and the clipping of what this
    issue is about (tiles, NIBP, footer): other panels do not fit 1024 yet (the screen checks ask 1280).
    """
    failures = []
    for size, (w, h) in SIZES.items():
        gallery.shown(window, (w, h))
        window._paint(view)
        gallery.settle(150)
        gallery.grab(window, folder / f"{name}-{size}.png")
        shot = f"{name}-{size}"
        failures += legibility_failures(shot, window) + said_whole(window, shot)
        parts = [window] if w >= 1280 else [*window.tiles.values(), window.nibp, window.devices]
        failures += [f for part in parts for f in clipping_failures(shot, part)]
    return failures


def statuses(window) -> list[ElidedLabel]:
    """Return the footer's device statuses as shown, in order."""
    return [label for label in window.devices.findChildren(ElidedLabel) if not label.isHidden()]


def said_whole(window, name: str) -> list[str]:
    """Return how the footer's statuses and the SpO2 tile's age fail to be shown whole and legible in the window."""
    labels = statuses(window)
    age = window.tiles["spo2"].age
    image = window.grab().toImage()
    out = []
    for label in [*labels, *([age] if age.full_text() else [])]:
        where = QRect(label.mapTo(window, QPoint(0, 0)), label.size())
        if label.text() != label.full_text():
            out.append(f"{name}: {label.full_text()!r} is cut to {label.text()!r}")
        if not window.rect().contains(where):
            out.append(f"{name}: {label.full_text()!r} lies outside the window ({where})")
        found = text_contrast(image, where.intersected(window.rect()))
        if found is None or found[0] < MIN_CONTRAST:
            out.append(f"{name}: {label.full_text()!r} is not legible ({found and round(found[0], 2)})")
    return out


@pytest.fixture(scope="module")
def app():
    app = QApplication.instance() or QApplication([])
    gallery.desktop(app, "dark")
    return app


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREEN_SHOTS_DIR") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def window_on(tmp_path):
    from ui.monitor.main_window import MainWindow

    made = []

    def start(scene: gallery.Scene):
        window = MainWindow(scene.core)
        window.timer.stop()  # the picture is the one view checked
        made.append(window)
        return window

    yield start
    for window in made:
        window.hide()  # not close(): that asks whether to stop monitoring
        window.deleteLater()


def test_a_flapping_oximeter_says_so_in_the_footer_and_its_tile_says_the_age(app, shots, tmp_path, window_on):
    with chair(tmp_path, flapping=True) as scene:
        window = window_on(scene)
        failures = []
        down = view_when(scene.core, lambda v: "drop-outs in 1 min" in v.devices[0].text
                         and v.tile("spo2").look == "blocked" and v.devices[1].ok)
        failures += shoot(window, down, "flapping-down", shots)
        assert down.devices[0].text.startswith("Pulse oximeter: reconnecting")
        assert down.tile("spo2").age.startswith("last 94 · ")
        up = view_when(scene.core, lambda v: v.devices[0].text.startswith("Pulse oximeter: unstable, ")
                       and v.tile("spo2").look == "live")
        failures += shoot(window, up, "flapping-between-drop-outs", shots)
        assert not up.devices[0].ok
        assert [label.property("role") for label in statuses(window)] == ["warning", "dim"]
        assert not failures, "\n".join(failures)


def test_a_silent_oximeter_greys_its_value_with_the_age(app, shots, tmp_path, window_on):
    with chair(tmp_path, flapping=False) as scene:
        window = window_on(scene)
        view_when(scene.core, lambda v: v.devices[0].ok and v.devices[1].ok)
        scene.patient.silent = True
        failures = []
        quiet = view_when(scene.core, lambda v: v.tile("spo2").look == "stale")  # before the reader's "no data"
        failures += shoot(window, quiet, "silent-stale-value", shots)
        assert quiet.tile("spo2").value == "94" and quiet.tile("spo2").age.endswith(" s ago")
        gone = view_when(scene.core, lambda v: v.tile("spo2").look == "blocked"  # the reader's "no data", after 5 s
                         and scene.core.snapshot(trends=False).flows["pulseox"].last < scene.clock() - 8)
        failures += shoot(window, gone, "silent-no-data", shots)
        assert gone.tile("spo2").note == "No data" and re.fullmatch(r"last 94 · \d+ s ago", gone.tile("spo2").age)
        assert re.fullmatch(r"Pulse oximeter: no data \d+ s", gone.devices[0].text)
        assert not failures, "\n".join(failures)
