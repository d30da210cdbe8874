"""The bundle's entry point: PyInstaller freezes this script into the `infusion-monitor` program.

It is the installed command's entry point (ui.launcher:main) as a script, since PyInstaller freezes a
script, not a console-scripts entry. The app starts no subprocess and no multiprocessing child, so no
freeze_support() is needed: a frozen program that re-ran itself would need one.
"""

import sys

from ui.launcher import main

if __name__ == "__main__":
    sys.exit(main())
