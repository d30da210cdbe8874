"""The core and the device layer run without Qt (STYLE.md point 1)."""

import subprocess
import sys


def test_monitor_and_devices_never_load_qt():
    code = (
        "import sys, monitor.cli, monitor.core, monitor.export, devices.registry, devices.reader, devices.sim.runner\n"
        "from devices import registry\n"
        "[registry.get(n) for n in registry.protocol_names()]\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'ui'))]\n"
        "assert not bad, bad\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_every_protocol_of_devices_md_is_registered():
    from devices import registry

    assert set(registry.protocol_names()) >= {"cms50dplus", "contec", "nonin", "masimo-ascii", "suntech"}
