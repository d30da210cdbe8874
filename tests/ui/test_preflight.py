"""The window refuses to start with one clear line where Qt would abort."""

import subprocess
import sys

import pytest

from ui import preflight


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="xcb checks are for Linux")
def test_no_display_is_one_clear_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "ui.launcher", "demo"], capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 2
    assert "no display" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_missing_xcb_libraries_are_named_with_the_install_command(monkeypatch):
    monkeypatch.setattr(preflight.sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(preflight, "loadable", lambda soname: soname != "libxcb-cursor.so.0")
    assert preflight.display_problem() == ("the window needs system libraries that are missing: "
                                           "sudo apt-get install libxcb-cursor0")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sonames are Linux's")
def test_a_library_is_found_by_the_name_programs_are_linked_against_and_a_missing_one_is_not():
    assert preflight.loadable("libc.so.6")  # every glibc Linux has it
    assert not preflight.loadable("libxcb-no-such-extension.so.0")


def test_offscreen_is_left_to_qt(monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert preflight.display_problem() == ""


@pytest.mark.slow
def test_the_core_cli_alone_points_to_the_window_command(tmp_path):
    out = subprocess.run([sys.executable, "-m", "monitor.cli", "demo"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 2 and "infusion-monitor command" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_windows_and_macos_need_no_display_variable(monkeypatch, platform):
    monkeypatch.setattr(preflight.sys, "platform", platform)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    assert preflight.display_problem() == ""


@pytest.mark.skipif(not preflight.loadable(preflight.XCB), reason="needs libxcb (Linux, BSD)")
def test_an_x_server_that_refuses_is_one_line_not_qts_abort(capfd):
    """Qt reports a refused connection as a missing xcb-cursor library, then aborts: the check says it."""
    assert preflight.x_connection_problem(":4093") == (
        "cannot open the display :4093 (no X server there, or this user may not use it): start the app from the "
        "desktop session, or set XAUTHORITY to the session's")
    assert capfd.readouterr().err == ""  # what libxcb writes is replaced by that line
