import os
import subprocess
import tempfile
import sys
from pathlib import Path

from hypothesis import settings

# Shared, noisy 2-core machines: a per-example time limit only makes property tests flaky.
settings.register_profile("project", deadline=None)
settings.load_profile("project")

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The clinic's settings (config.json and its profiles/ copies) are read from the user's config folder: the tests
# read the packaged defaults, whatever a developer copied and edited on this computer (children inherit it).
os.environ["INFUSION_MONITOR_CONFIG"] = os.path.join(tempfile.mkdtemp(prefix="im-test-config-"), "config.json")
# Nor the staff list of this computer: the tests run unsigned unless a test makes its own list.
os.environ["INFUSION_MONITOR_STAFF"] = os.path.join(tempfile.mkdtemp(prefix="im-test-staff-"), "staff.json")
# The shared helpers (commands, scripted, pg, xserver, clocks...) live in tests/; the tests live in a folder per
# room of the code (tests/storage, tests/ui...). Every folder is importable, so a test may reuse another's fixture
# data (test_course.VISITS) wherever the two live.
TESTS = Path(__file__).parent
sys.path[:0] = [str(TESTS), *sorted(str(d) for d in TESTS.iterdir() if d.is_dir() and any(d.glob("test_*.py")))]


import pytest

from clocks import FakeClock

#: pytest's final exit status, kept for the process's own exit (see pytest_unconfigure).
_EXIT_STATUS = pytest.StashKey[int]()


@pytest.fixture(autouse=True)
def _no_close_prompt(request, monkeypatch):
    """Windows closed by pytest-qt at teardown must not wait for the 'infusion running' question."""
    if "qtbot" in request.fixturenames and "close_prompt" not in request.keywords:
        monkeypatch.setattr("ui.monitor.main_window.MainWindow._confirm_close", lambda self: True)


@pytest.fixture
def machine_zone(monkeypatch):
    """Set this computer's time zone for one test (TZ), e.g. one other than the session's; restored after."""
    import time

    def set_zone(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(autouse=True)
def _programs_only_in_slow_tests(request, monkeypatch):
    """A test that starts a program (the CLI, Xvfb, PostgreSQL, a sound server) runs in real time: it must be
    marked slow, or `make test-fast` would stop being fast. Such a test fails, in every run, until it is marked."""
    unmarked = f"{request.node.nodeid} starts a program: mark it @pytest.mark.slow"
    started: list[str] = []
    if "slow" not in request.keywords:
        if "pg_server" in request.fixturenames:
            pytest.fail(f"{unmarked} (it uses PostgreSQL)")

        def refuse(self, args, *rest, **kw):
            started.append(str(args))
            raise AssertionError(f"{unmarked} ({args})")

        monkeypatch.setattr(subprocess.Popen, "_execute_child", refuse)
    yield
    if started:  # also when the program was started on a thread whose error the test never saw
        pytest.fail(f"{unmarked} ({started[0]})")


@pytest.fixture
def clock() -> FakeClock:
    """A fake monotonic clock at 0 s with a wall clock at clocks.EPOCH: move it with `advance` or by setting `t`."""
    return FakeClock()


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_sessionfinish(session):
    """Keep pytest's final exit status (after every plugin's sessionfinish) for pytest_unconfigure."""
    yield
    session.config.stash[_EXIT_STATUS] = int(session.exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """Leave the test process with pytest's exit status, without Python's final teardown of Qt objects.

    On Linux, PySide6 can crash with a segmentation fault while the interpreter
    destroys the Qt objects a long pytest-qt run leaves behind (pyqtgraph's
    parentless context menus above all) - after every test has passed and the
    summary is printed (PYSIDE-2254, pyqtgraph #2520). CI then reads a green run
    as failed. Everything is reported and unconfigured by now, so the process
    ends here with the status pytest computed. Only when Qt was loaded.
    """
    if "PySide6.QtCore" in sys.modules and _EXIT_STATUS in config.stash:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(config.stash[_EXIT_STATUS])
