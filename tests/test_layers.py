"""Imports run one way, ui -> monitor -> devices, and the core never loads Qt (STYLE.md point 1)."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: What each layer may not import (top-level package names).
FORBIDDEN = {
    "devices": {"monitor", "ui", "PySide6", "pyqtgraph"},
    "monitor": {"ui", "PySide6", "pyqtgraph"},
    "bench": set(),
}


def imported_packages(path: Path) -> set[str]:
    """Return the top-level package of every import statement in a file (lazy ones inside functions too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_every_import_runs_ui_to_monitor_to_devices():
    wrong = []
    for layer, forbidden in FORBIDDEN.items():
        for path in sorted((ROOT / layer).rglob("*.py")):
            bad = imported_packages(path) & forbidden
            if bad:
                wrong.append(f"{path.relative_to(ROOT)} imports {', '.join(sorted(bad))}")
    assert wrong == []


def test_the_layer_check_sees_a_wrong_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from monitor.storage.store import Store\n    import PySide6.QtCore\n")
    assert imported_packages(bad) >= {"monitor", "PySide6"}


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
    assert loaded_after("monitor.cli, monitor.live.core, monitor.export, devices.reader, devices.sim.runner") == []


def test_the_command_loads_no_qt_until_a_window_opens():
    assert not [m for m in loaded_after("ui.launcher") if not m.startswith("ui")]


def test_every_protocol_of_devices_md_is_registered():
    from devices import registry

    assert set(registry.protocol_names()) >= {"cms50dplus", "contec", "nonin", "masimo-ascii", "suntech"}
