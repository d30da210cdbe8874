"""Checks before Qt starts: Qt aborts the process when it cannot open a display, with a message
that does not say what to do. These checks say it in one line instead."""

from __future__ import annotations

import ctypes.util
import os
import sys

#: System libraries the Qt xcb platform plugin loads on Linux, with their Debian/Ubuntu package names.
XCB_LIBS = {"xcb-cursor": "libxcb-cursor0", "xkbcommon-x11": "libxkbcommon-x11-0", "xcb-icccm": "libxcb-icccm4",
            "xcb-keysyms": "libxcb-keysyms1", "xcb-image": "libxcb-image0", "xcb-render-util": "libxcb-render-util0",
            "xcb-xinerama": "libxcb-xinerama0", "xcb-randr": "libxcb-randr0", "xcb-shape": "libxcb-shape0",
            "xcb-xkb": "libxcb-xkb1"}


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
    if ctypes.util.find_library("xcb") is None:
        return ""  # the lookup itself does not work here (no ldconfig): let Qt try rather than refuse wrongly
    missing = [pkg for lib, pkg in XCB_LIBS.items() if ctypes.util.find_library(lib) is None]
    if missing:
        return f"the window needs system libraries that are missing: sudo apt-get install {' '.join(missing)}"
    return ""
