"""Runs Python as on Windows as far as pseudo-terminals go: no os.openpty/forkpty, no pty or tty module.

    python tests/without_pty.py -m monitor.cli record ...     (a module, as `python -m`)
    python tests/without_pty.py -c CODE ARGS...               (a program)

An import of pty or tty raises ImportError, as it does on Windows. termios stays: pyserial's POSIX
backend needs it on this system, as its Windows backend needs win32 calls there.
"""

import os
import runpy
import sys

for _name in ("pty", "tty"):
    sys.modules[_name] = None  # type: ignore[assignment]  # `import pty` now raises ImportError
for _call in ("openpty", "forkpty"):
    if hasattr(os, _call):
        delattr(os, _call)

if __name__ == "__main__":
    how, what, *rest = sys.argv[1:]
    sys.path.remove(os.path.dirname(os.path.abspath(__file__)))  # the program sees no test helpers
    sys.path.insert(0, "")
    if how == "-m":
        sys.argv = [what, *rest]
        runpy.run_module(what, run_name="__main__", alter_sys=True)
    else:
        sys.argv = ["-c", *rest]
        exec(compile(what, "<without_pty>", "exec"), {"__name__": "__main__"})
