"""Every user error is one line on stderr and exit 2, never "internal error": odd session references, numbers that
are not numbers, out of range or beyond 64 bits, paths that are no database, argparse's own complaints.

Commands run in this process (cli.main), as test_export_cli does, so the property tests stay fast.
"""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from export_session import make_session
from monitor import cli


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("errors") / "s.db"
    make_session(path, minutes=3)
    return path


def run(*args: str | Path) -> tuple[int, str]:
    """Run a command in this process; return its exit code and standard error."""
    err = io.StringIO()
    with redirect_stderr(err), redirect_stdout(io.StringIO()):
        try:
            code = cli.main([str(a) for a in args])
        except SystemExit as exc:  # argparse's mistakes and --help
            code = int(exc.code or 0)
    return code, err.getvalue()


def refused(code: int, err: str) -> str:
    """Return the one error line of a refused command; fail on anything else."""
    assert "Traceback" not in err and "internal error" not in err, err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("infusion-monitor: error: "), err
    return lines[0]


HUGE = "99999999999999999999999"


@pytest.mark.parametrize("ref, said", [
    (HUGE, f"there is no session {HUGE}"),
    ("9223372036854775808", "there is no session 9223372036854775808"),  # 2**63: one more than any id
    ("9" * 5000, "there is no session 999"),  # int() refuses 4300 digits or more
    ("-1", "is not a number or 'latest'"),
    ("1.0", "is not a number or 'latest'"),
    ("1e3", "is not a number or 'latest'"),
    ("١", "is not a number or 'latest'"),  # Arabic-Indic digit one: str.isdigit() takes it, ids are ASCII
    ("²", "is not a number or 'latest'"),  # superscript two: isdigit() takes it, int() refuses it
    ("", "is not a number or 'latest'"),
])
@pytest.mark.parametrize("command", [
    ["export", "--format", "csv"], ["summary"], ["burden"], ["outcome", "--instrument", "phq9", "--items",
                                                             "0,0,0,0,0,0,0,0,0"],
    ["send", "--to", "mllp://127.0.0.1:9"], ["replay"],
], ids=lambda command: command[0])
def test_an_odd_session_reference_is_one_line(db, command, ref, said):
    line = refused(*run(*command, "--db", db, f"--session={ref}"))
    assert said in line


@settings(max_examples=150)
@given(ref=st.text(max_size=30) | st.integers().map(str) | st.sampled_from(["latest", "1", " 1 ", "LATEST"]))
def test_any_session_reference_is_a_session_or_one_line(db, ref):
    for command in (["summary"], ["export", "--format", "json"]):
        code, err = run(*command, "--db", db, f"--session={ref}")
        if code != 0:
            refused(code, err)


@pytest.mark.parametrize("args", [
    ["record", "--device", "pulseox=cms50dplus:loop://", "--duration=-inf"],
    ["record", "--device", "pulseox=cms50dplus:loop://", "--duration", "nan"],
    ["record", "--device", "pulseox=cms50dplus:loop://", "--duration", "abc"],
    ["record", "--device", "pulseox=cms50dplus:loop://", "--duration", "-5"],
    ["record", "--device", "pulseox=cms50dplus:loop://", "--weight-kg", "1e400", "--dose-mg-per-kg", "0.5",
     "--infusion-min", "40"],
    ["record", "--device", "pulseox=cms50dplus:loop://", "--weight-kg", "70", "--dose-mg-per-kg", "0.5",
     "--infusion-min", "40", "--bag-ml", "nan"],
    ["simulate", "--protocol", "cms50dplus", "--speed", "inf"],
    ["simulate", "--protocol", "cms50dplus", "--seed", "-5"],
    ["simulate", "--protocol", "cms50dplus", "--seed", "1.5"],
    ["demo", "--speed", "nan"],
    ["probe", "--seconds", "inf"],
    ["send", "--session", "1", "--to", "mllp://127.0.0.1:9", "--timeout", "inf"],
    ["send", "--session", "1", "--to", "mllp://127.0.0.1:9", "--timeout", "1e300"],  # was an OverflowError
    ["send", "--session", "1", "--to", "mllp://127.0.0.1:9", "--retries", HUGE],
    ["send", "--session", "1", "--to", "mllp://127.0.0.1:9", "--retries", "-1"],
    ["export", "--session", "1", "--format", "xml"],
    ["export", "--session", "1", "--format", "csv", "--from", "2024-13-01", "-o", "x"],
    ["sessions", "--bogus"],
    ["frobnicate"],
], ids=" ".join)
@pytest.mark.timeout(20)  # taken, --retries 10**22 would retry for ever
def test_a_number_or_a_word_that_cannot_be_is_one_line(db, tmp_path, args):
    if args[0] in ("record", "sessions", "export", "send"):
        args = [*args, "--db", str(tmp_path / "new.db" if args[0] == "record" else db)]
    refused(*run(*args))
    assert not (tmp_path / "new.db").exists()  # refused before the database is opened


@pytest.mark.parametrize("path", ["folder", "", "/dev/null"])
@pytest.mark.parametrize("command", [["record", "--device", "pulseox=cms50dplus:loop://", "--duration", "0.2"],
                                     ["import", "--protocol", "cms50dplus", "capture.bin"]], ids=lambda c: c[0])
def test_a_database_path_that_is_no_file_is_one_line_in_words(tmp_path, monkeypatch, command, path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    (tmp_path / "capture.bin").write_bytes(bytes(16))
    line = refused(*run(*command, "--db", path))
    assert "is not a file (a folder or a device)" in line


def test_help_still_ends_well():
    assert run("export", "--help")[0] == 0


@pytest.mark.timeout(120)
def test_probing_something_that_is_no_serial_port_finds_nothing_in_words(tmp_path):
    """/dev/null made termios raise its own error (no OSError): "internal error: error: (25, ...)"."""
    (tmp_path / "file").write_bytes(b"")
    code, err = run("probe", "--port", "/dev/null", "--port", str(tmp_path / "file"), "--seconds", "0.1")
    assert code == 0 and "internal error" not in err and "Traceback" not in err, err


def test_replay_with_a_wrong_database_or_session_leaves_no_file_behind(tmp_path, db):
    """replay reads the session before it opens the database for writing: a typo creates nothing."""
    missing = tmp_path / "typo.db"
    assert "there is no database" in refused(*run("replay", "--db", missing, "--session", "1"))
    assert list(tmp_path.iterdir()) == []
    before = db.stat().st_mtime_ns, db.stat().st_size
    assert "there is no session 999" in refused(*run("replay", "--db", db, "--session", "999"))
    assert (db.stat().st_mtime_ns, db.stat().st_size) == before
