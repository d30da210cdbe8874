"""Imports run one way, ui -> monitor -> devices, down the rooms inside each, with no circle; the core never loads Qt.

The rooms and their order are the README's developer map: a module may import
its own room, a room below it, or a leaf; never a room above (that is how the
circles of LAYOUT.md grew). Lazy imports inside functions count too.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: What each layer may not import (top-level package names).
FORBIDDEN = {
    "devices": {"monitor", "ui", "PySide6", "pyqtgraph"},
    "monitor": {"ui", "PySide6", "pyqtgraph"},
    "bench": set(),
}


#: monitor/'s rooms, lowest first. review and central are side by side: neither imports the other.
MONITOR_ROOMS = ["record", "alarms", "clinical", "storage", ("review", "central"), "export", "ingest", "live", "app",
                 "cli"]
#: Leaf modules of monitor/ anyone may import: they import no room.
MONITOR_LEAVES = {"monitor", "monitor.timefmt", "monitor.paths", "monitor.patient_id"}
#: ui/'s rooms, lowest first: shared widgets, the chair's screen, the review station, the composition.
UI_ROOMS = ["theme", ("widgets", "dialogs", "sound", "preflight", "pixel_curve", "time_axis"), "signing", "monitor", "review",
            "station", ("app", "gallery"), "launcher"]
#: What each ui room may import of monitor/: the chair's screen reads the live view and the clinical rules, and
#: never the storage, export, ingest, central or command-line rooms.
UI_MONITOR_FORBIDDEN = {"monitor.storage", "monitor.export", "monitor.ingest", "monitor.central", "monitor.cli",
                        "monitor.app", "monitor.review"}


def imported_modules(path: Path) -> list[tuple[str, int]]:
    """Return every module a file imports, with its line ('from a import b' gives a.b, which may be a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(f"{node.module}.{alias.name}", node.lineno) for alias in node.names]
    return found


def rank(rooms: list, room: str) -> int | None:
    """Return a room's place in the order (None for a module outside every room)."""
    for i, entry in enumerate(rooms):
        if room == entry or (isinstance(entry, tuple) and room in entry):
            return i
    return None


def room_of(module: str, top: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == top and len(parts) > 1 else None


def upward_imports(root: Path, top: str, rooms: list, leaves: set[str]) -> list[str]:
    """Return 'file:line room -> room (module)' for every import that runs up or sideways between rooms."""
    wrong = []
    for path in sorted((root / top).rglob("*.py")):
        module = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        if module in leaves:
            continue
        src = room_of(module, top)
        for target, line in imported_modules(path):
            dst = room_of(target, top)
            if dst is None or not ((root / top / dst).is_dir() or (root / top / f"{dst}.py").exists()):
                continue  # an attribute of the package's face (monitor.__version__), not a room
            if dst == src or any(target == leaf or target.startswith(leaf + ".")
                                                for leaf in leaves - {top}):
                continue
            a, b = rank(rooms, src), rank(rooms, dst)
            if a is None or b is None or b >= a:
                wrong.append(f"{path.relative_to(root)}:{line} {src} -> {dst} ({target})")
    return wrong


def cycles(root: Path, tops: tuple[str, ...]) -> list[list[str]]:
    """Return the import circles between modules (strongly connected components of more than one module)."""
    files = {".".join(p.relative_to(root).with_suffix("").parts).removesuffix(".__init__"): p
             for top in tops for p in (root / top).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        deps = set()
        for target, _ in imported_modules(path):
            while target and target not in files:
                target = target.rpartition(".")[0]
            if target and target != module:
                deps.add(target)
        graph[module] = deps
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's algorithm
        order[v] = low[v] = len(order)
        stack.append(v)
        for w in graph[v]:
            if w not in order:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], order[w])
        if low[v] == order[v]:
            component = []
            while (w := stack.pop()) != v:
                component.append(w)
            if component:
                found.append(sorted([v, *component]))

    for v in sorted(graph):
        if v not in order:
            visit(v)
    return found


def test_monitor_imports_run_down_its_rooms():
    assert upward_imports(ROOT, "monitor", MONITOR_ROOMS, MONITOR_LEAVES) == []


def test_ui_imports_run_down_its_rooms_and_the_chair_screen_reads_no_storage():
    assert upward_imports(ROOT, "ui", UI_ROOMS, {"ui"}) == []
    wrong = [f"{p.relative_to(ROOT)}:{line} imports {target}" for p in sorted((ROOT / "ui" / "monitor").rglob("*.py"))
             for target, line in imported_modules(p)
             if any(target == f or target.startswith(f + ".") for f in UI_MONITOR_FORBIDDEN)]
    assert wrong == []


def test_there_is_no_import_circle():
    assert cycles(ROOT, ("devices", "monitor", "ui")) == []


def test_the_room_check_sees_an_upward_import_and_a_circle(tmp_path):
    for name, text in {"monitor/__init__.py": "", "monitor/record/__init__.py": "",
                       "monitor/record/base.py": "def f():\n    from monitor.storage.store import Store\n",
                       "monitor/storage/__init__.py": "", "monitor/storage/store.py": "import monitor.record.base\n",
                       "monitor/timefmt.py": "import monitor.record.base\n"}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert upward_imports(tmp_path, "monitor", MONITOR_ROOMS, MONITOR_LEAVES) == [
        "monitor/record/base.py:2 record -> storage (monitor.storage.store.Store)"]
    assert cycles(tmp_path, ("monitor",)) == [["monitor.record.base", "monitor.storage.store"]]


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


@pytest.mark.slow
def test_monitor_and_devices_never_load_qt_or_ui():
    assert loaded_after("monitor.cli, monitor.live.core, monitor.export, devices.reader, devices.sim.runner") == []


@pytest.mark.slow
def test_the_command_loads_no_qt_until_a_window_opens():
    assert not [m for m in loaded_after("ui.launcher") if not m.startswith("ui")]


def test_every_protocol_of_devices_md_is_registered():
    from devices import registry

    assert set(registry.protocol_names()) >= {"cms50dplus", "contec", "nonin", "masimo-ascii", "suntech"}


@pytest.mark.slow
def test_the_chair_window_starts_without_the_review_station():
    code = "import sys, ui.app\nprint(' '.join(m for m in sys.modules if m.startswith(('ui.review', 'monitor.review'))))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == []
