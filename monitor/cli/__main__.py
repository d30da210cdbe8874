"""`python -m monitor.cli`: the command line without the windows (the tests and headless chairs use it)."""

import sys

from monitor.cli.dispatch import main

sys.exit(main())
