"""Install from a wheel (issue 22): the wheel built from this source, installed into a fresh venv outside the
checkout, runs `--version` and records from a simulated device in a folder that is not the checkout, with the
alarm and clinical profiles and the icons it ships.

The build fetches its build backend (setuptools) from the package index pip is configured with; the fresh
venv gets the app's dependencies (PySide6...) from this environment's site-packages through a .pth file,
added after the install so pip never sees another copy of the app."""

from __future__ import annotations

import os
import re
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent.parent
SOURCE = ("pyproject.toml", "README.md", "monitor", "devices", "ui")


def _clean_env(home: Path) -> dict[str, str]:
    """Return an environment with nothing of the checkout on the path and a home of its own."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "INFUSION_MONITOR_DB",
                                                          "INFUSION_MONITOR_CONFIG")}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"),
               XDG_STATE_HOME=str(home / "state"), QT_QPA_PLATFORM="offscreen")
    return env


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{cmd}: {done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Build the wheel from a copy of the source (so no build/ folder is left in the checkout)."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCE:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)], src,
         _clean_env(src), timeout=600)
    [built] = out.glob("infusion_monitor-*.whl")
    return built


@pytest.mark.slow
def test_the_wheel_ships_the_profiles_and_icons(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {str(p.relative_to(ROOT)).replace(os.sep, "/") for pattern in ("monitor/profiles/*.json", "ui/**/*.svg")
               for p in ROOT.glob(pattern)}
    assert shipped and shipped <= names, sorted(shipped - names)


@pytest.mark.slow
def test_installed_wheel_records_outside_the_checkout(wheel, tmp_path):
    venv, work = tmp_path / "venv", tmp_path / "work"
    work.mkdir()
    env = _clean_env(tmp_path)
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path, env)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], work, env)
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], work,
                   env).stdout.strip()
    (Path(purelib) / "dependencies-of-the-test.pth").write_text("\n".join(site.getsitepackages()) + "\n")

    where = _run([str(python), "-c", "import monitor, ui.theme, pathlib; print(monitor.__file__); "
                  "print(pathlib.Path(ui.theme.ARROW).is_file())"], work, env).stdout.split()
    assert Path(where[0]).is_relative_to(venv) and where[1] == "True", where

    app = str(bindir / "infusion-monitor")
    version = _run([app, "--version"], work, env).stdout.strip()
    assert re.fullmatch(r"infusion-monitor \d+\.\d+\.\d+\S*", version), version
    done = _run([app, "record", "--db", "s.db", "--device", "pulseox=nonin:sim", "--device", "nibp=suntech:sim",
                 "--duration", "3", "--weight-kg", "70", "--dose-mg-per-kg", "0.5", "--infusion-min", "40"], work, env)
    stored = re.search(r"closed \([^)]*\): stored ([\d,]+) numerics", done.stderr)
    assert stored and int(stored.group(1).replace(",", "")) > 0, done.stderr
    assert (work / "s.db").is_file() and "infusion started" in done.stderr
