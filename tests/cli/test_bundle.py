"""The self-contained app folder (issue 22), as a clinic's laptop without Python runs it: the program PyInstaller
builds from packaging/infusion-monitor.spec starts from a clean environment (`env -i PATH=/usr/bin:/bin HOME=...`:
no venv, no PYTHONPATH, nothing of the checkout) and gives `--version`, `record` on simulated devices, every
export format (the exporters' libraries, imported only when used, are shipped), `config --check` (the packaged
profiles found frozen through importlib.resources); on an X server `demo` draws its monitor with its sound,
and `run` and `review` open their windows.

CI builds the bundle once (`make bundle`, .ci/run) and names its program in $INFUSION_MONITOR_BUNDLE; a missing
one fails here, loudly. Without the variable the bundle is built here, into a temporary folder (one to two
minutes), when PyInstaller is installed (`pip install -e ".[bundle]"`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from xserver import xvfb

from monitor import __version__

ROOT = Path(__file__).parent.parent.parent
SPEC = ROOT / "packaging" / "infusion-monitor.spec"
BUNDLE_ENV = "INFUSION_MONITOR_BUNDLE"

pytestmark = [pytest.mark.slow,  # builds and starts the bundled program
              pytest.mark.skipif(sys.platform == "win32", reason="the clean environment here is a POSIX one")]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """Return the bundled program: CI's, or one built now."""
    given = os.environ.get(BUNDLE_ENV)
    if given:
        assert Path(given).is_file(), f"${BUNDLE_ENV} names {given}, which is not built: see `make bundle` above"
        return Path(given)
    pytest.importorskip("PyInstaller", reason='builds the bundle with PyInstaller: pip install -e ".[bundle]"')
    work = tmp_path_factory.mktemp("bundle")
    built = subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN", "--distpath",
                            str(work / "dist"), "--workpath", str(work / "build"), str(SPEC)],
                           cwd=work, capture_output=True, text=True, timeout=1500)
    assert built.returncode == 0, built.stderr[-6000:]
    return work / "dist" / "infusion-monitor" / "infusion-monitor"


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """`env -i PATH=/usr/bin:/bin HOME=home`: what a laptop without Python or this checkout gives the program."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), **extra}


def run(bundle: Path, home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    done = subprocess.run([str(bundle), *args], cwd=home, env=clean_env(home, **extra), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_the_bundle_tells_its_version_from_a_clean_environment(bundle, tmp_path):
    assert run(bundle, tmp_path, "--version").stdout.strip() == f"infusion-monitor {__version__}"


def test_the_bundle_records_a_simulated_device_and_exports_every_format(bundle, tmp_path):
    done = run(bundle, tmp_path, "record", "--db", "s.db", "--device", "pulseox=nonin:sim", "--device",
               "nibp=suntech:sim", "--duration", "3", "--weight-kg", "70", "--dose-mg-per-kg", "0.5",
               "--infusion-min", "40")
    stored = re.search(r"closed \([^)]*\): stored ([\d,]+) numerics", done.stderr)
    assert stored and int(stored.group(1).replace(",", "")) > 0, done.stderr
    assert "infusion started" in done.stderr  # the clinical profile, read frozen
    heads = {"csv": b"", "json": b"{", "fhir": b"{", "hl7": b"MSH|", "edf": b"0       ", "pdf": b"%PDF"}
    for form, head in heads.items():
        run(bundle, tmp_path, "export", "--db", "s.db", "--session", "latest", "--format", form,
            "-o", f"out.{form}", QT_QPA_PLATFORM="offscreen")
        assert (tmp_path / f"out.{form}").read_bytes().startswith(head), form
    assert json.loads((tmp_path / "out.fhir").read_text())["resourceType"] == "Bundle"
    run(bundle, tmp_path, "config", "--copy")
    checked = run(bundle, tmp_path, "config", "--check")
    assert "clinical.json" in checked.stdout + checked.stderr and "ketamine.json" in checked.stdout + checked.stderr


def test_the_bundle_ships_every_data_file_of_the_app_beside_its_modules(bundle):
    """The profiles and icons (pyproject's package-data) where importlib.resources and Path(__file__) look."""
    data = [path.relative_to(ROOT) for package in ("devices", "monitor", "ui") for path in (ROOT / package).rglob("*")
            if path.is_file() and path.suffix not in (".py", ".pyc")]
    assert any(path.suffix == ".json" for path in data) and any(path.suffix == ".svg" for path in data)
    missing = [str(path) for path in data if not (bundle.parent / "_internal" / path).is_file()]
    assert not missing, missing


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ldd: Linux")
def test_every_bundled_qt_library_finds_the_qt_libraries_it_links(bundle):
    """A Qt plugin whose Qt library was left out fails to load in silence (the sound plugin needs QtQuick)."""
    unresolved = []
    for path in (bundle.parent / "_internal").rglob("*.so*"):
        out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, timeout=60).stdout
        unresolved += [f"{path.name}: {line.split()[0]}" for line in out.splitlines()
                       if "not found" in line and "Qt6" in line]
    assert not unresolved, unresolved


def _window(display: str, title: str, app: subprocess.Popen, seconds: float = 120) -> str:
    """Wait for a visible window whose title matches; return its id (the app's exit fails the test)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert app.poll() is None, f"the bundled demo ended (exit {app.returncode}): {app.communicate()[1][-3000:]}"
        found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", title], env={"DISPLAY": display},
                               capture_output=True, text=True, timeout=30)
        if found.returncode == 0 and found.stdout.split():
            return found.stdout.split()[0]
        time.sleep(0.5)
    pytest.fail(f"no window '{title}' within {seconds} s")


GRAB = """import sys, time
from PySide6.QtWidgets import QApplication
app = QApplication([])
deadline = time.monotonic() + 120
while True:  # until the window is drawn: a screen of more than a few colours
    image = app.primaryScreen().grabWindow(0).toImage()
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    if len(colours) > 20 or time.monotonic() > deadline:
        break
    time.sleep(0.5)
image.save(sys.argv[1])
print(len(colours))
"""


def _enter_user(display: str, app: subprocess.Popen) -> None:
    """Type initials into the demo's user dialog until the monitor opens (keys typed before the dialog has the
    input focus are lost on a loaded machine: typed again)."""
    xdo = {"env": {"DISPLAY": display}, "capture_output": True, "timeout": 30}
    for _ in range(5):
        who = _window(display, "Who is at the monitor", app)
        subprocess.run(["xdotool", "windowfocus", "--sync", who], **xdo)
        subprocess.run(["xdotool", "type", "AB"], **xdo)
        subprocess.run(["xdotool", "key", "Return"], **xdo)
        try:
            _window(display, "session 1", app, seconds=60)
            return
        except pytest.fail.Exception:
            continue
    pytest.fail("the demo's user dialog took no initials")


@pytest.mark.skipif(shutil.which("xdotool") is None, reason="types the demo's user with xdotool (Debian: xdotool)")
def test_the_bundled_demo_draws_its_window_with_sound(bundle, tmp_path):
    """The frozen demo on a real X server: the user dialog, then the monitor (PNG kept in the test's folder); with
    a sound server it finds the audio output (QtMultimedia and its plugin are shipped), else one line says why."""
    from test_sound_heard import start_server  # a throwaway PulseAudio server with a null sink

    sound = start_server(tmp_path / "pulse") if shutil.which("pulseaudio") and shutil.which("pactl") else None
    try:
        with xvfb(1366, 768) as display:
            extra = {"DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "LANG": "C.UTF-8"}
            if sound is not None:
                extra.update(PULSE_SERVER=sound.env["PULSE_SERVER"], XDG_RUNTIME_DIR=sound.env["XDG_RUNTIME_DIR"])
            app = subprocess.Popen([str(bundle), "demo", "--db", str(tmp_path / "demo.db")], cwd=tmp_path,
                                   env=clean_env(tmp_path, **extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
            try:
                _enter_user(display, app)
                png = tmp_path / "bundled-demo.png"
                grab = subprocess.run([sys.executable, "-c", GRAB, str(png)], capture_output=True, text=True,
                                      env={**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}, timeout=120)
                assert grab.returncode == 0 and int(grab.stdout) > 20, grab.stderr  # drawn, not a blank screen
            finally:
                app.terminate()
                err = app.communicate(timeout=60)[1]
    finally:
        if sound is not None:
            sound.process.terminate()
            sound.process.wait(10)
    silent = [line for line in err.splitlines() if "no alarm sound" in line]
    if sound is None:
        assert len(silent) == 1 and "no audio output device" in silent[0], err[-3000:]
    else:
        assert not silent, silent


@pytest.mark.skipif(shutil.which("xdotool") is None, reason="finds the windows with xdotool (Debian: xdotool)")
def test_the_bundled_run_and_review_open_their_windows(bundle, tmp_path):
    run(bundle, tmp_path, "record", "--db", "s.db", "--device", "pulseox=nonin:sim", "--duration", "1")
    with xvfb(1366, 768) as display:
        for args, title in ((["run", "--db", "s.db"], "Start a session"),
                            (["review", "--db", "s.db"], "infusion-monitor review")):
            app = subprocess.Popen([str(bundle), *args], cwd=tmp_path, env=clean_env(
                tmp_path, DISPLAY=display, QT_QPA_PLATFORM="xcb", LANG="C.UTF-8"), stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, text=True)
            try:
                _window(display, title, app)
            finally:
                app.terminate()
                app.communicate(timeout=60)
