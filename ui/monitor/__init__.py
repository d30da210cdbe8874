"""The chair's screen: the main window, its tiles, plots, header, alarm bar and history, panels and dialogs.

It paints monitor.live's ScreenView and calls MonitorCore's commands: no
storage, export or review import (tests/test_layers.py). The review station is
opened through a callable the app passes in.
"""
