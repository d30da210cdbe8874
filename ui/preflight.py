"""Checks before Qt starts: Qt aborts the process when it cannot open a display, with a message
that does not say what to do (an X server that refuses the connection is reported as a missing
xcb-cursor library). These checks say it in one line instead.

Only Linux needs them: on Windows and macOS the window system is part of the system and Qt's own
platform plugin ships with the app (wheel or bundle), so nothing is checked there.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

#: System libraries the Qt xcb platform plugin loads on Linux, by the names it is linked against (sonames), with
#: their Debian/Ubuntu package names.
XCB_LIBS = {"libxcb-cursor.so.0": "libxcb-cursor0", "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
            "libxcb-icccm.so.4": "libxcb-icccm4", "libxcb-keysyms.so.1": "libxcb-keysyms1",
            "libxcb-image.so.0": "libxcb-image0", "libxcb-render-util.so.0": "libxcb-render-util0",
            "libxcb-xinerama.so.0": "libxcb-xinerama0", "libxcb-randr.so.0": "libxcb-randr0",
            "libxcb-shape.so.0": "libxcb-shape0", "libxcb-xkb.so.1": "libxcb-xkb1"}
#: The X client library itself, which x_connection_problem connects with as Qt will.
XCB = "libxcb.so.1"


def display_problem() -> str:
    """Return what stops the window from opening here, with the fix, or '' if nothing is known to."""
    if not sys.platform.startswith("linux"):
        return ""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith("xcb"):
        return ""  # offscreen, wayland, eglfs...: the user chose; Qt will tell
    if not platform and os.environ.get("WAYLAND_DISPLAY"):
        return ""
    if not os.environ.get("DISPLAY"):
        return ("no display to open the window on (DISPLAY is not set): run it on the desktop, "
                "or record without a window with `infusion-monitor record`")
    missing = [pkg for lib, pkg in XCB_LIBS.items() if not loadable(lib)]
    if missing:
        return f"the window needs system libraries that are missing: sudo apt-get install {' '.join(missing)}"
    return x_connection_problem(os.environ["DISPLAY"])


def loadable(soname: str) -> bool:
    """Tell whether the system library of that name loads, as it would for Qt's plugin.

    Loading it by its soname asks the dynamic loader what Qt will ask, in well under a millisecond;
    ctypes.util.find_library runs the program ldconfig for every name (tens of ms before the first window).
    """
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def x_connection_problem(display: str) -> str:
    """Connect to the X server as Qt will (libxcb) and return why it refuses, or ''."""
    try:
        xcb = ctypes.CDLL(XCB)
    except OSError:
        return ""  # Qt loads the same library: it will say more
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    with _stderr_silenced():  # libxcb prints the server's refusal itself: the line returned here replaces it
        connection = xcb.xcb_connect(display.encode(), None)
        try:
            error = xcb.xcb_connection_has_error(connection)
        finally:
            xcb.xcb_disconnect(connection)
    if not error:
        return ""
    return (f"cannot open the display {display} (no X server there, or this user may not use it): start the app "
            "from the desktop session, or set XAUTHORITY to the session's")


@contextmanager
def _stderr_silenced() -> Iterator[None]:
    """Send what C code writes to stderr (file descriptor 2) to the null device for the block."""
    if sys.stderr is not None:
        sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all (started from a desktop entry): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
