"""The `infusion-monitor` command line: the grammar (args), one module per command group, and `main`.

The face holds what the launcher and the tests call; the composition the
windows share with the commands lives in `monitor.app`, not here.
"""

from monitor.cli.dispatch import COMMANDS, main

__all__ = ["COMMANDS", "main"]
