"""The core and the device layer run without Qt (STYLE.md point 1)."""

import subprocess
import sys


def loaded_after(imports: str) -> list[str]:
    code = (
        f"import sys, {imports}\n"
        "from devices import registry\n"
        "[registry.get(n) for n in registry.protocol_names()]\n"
        "print(' '.join(m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'ui'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_monitor_and_devices_never_load_qt_or_ui():
    assert loaded_after("monitor.cli, monitor.core, monitor.export, devices.reader, devices.sim.runner") == []


def test_the_command_loads_no_qt_until_a_window_opens():
    assert not [m for m in loaded_after("ui.launcher") if not m.startswith("ui")]


def test_every_protocol_of_devices_md_is_registered():
    from devices import registry

    assert set(registry.protocol_names()) >= {"cms50dplus", "contec", "nonin", "masimo-ascii", "suntech"}
