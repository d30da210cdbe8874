"""A damaged session file is refused by every command that writes, in one line with exit 2, and left byte for byte
as it was; reading commands say what they meet in one line, never a traceback.

The damage is real bytes: a page zeroed in the middle of a file of several sessions, the header page zeroed, the file
cut short, a file that is not SQLite, another program's SQLite file, and a WAL file left beside by a writer that
stopped (beside a whole file it is no damage: its sessions are kept).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from monitor import cli
from monitor.storage import integrity
from monitor.storage.store import Store, StoreError

PAGE = 4096
SESSIONS = 3
T0 = 1_700_000_000.0


def write_sessions(store: Store, count: int) -> None:
    """Write closed sessions of SpO2 values and pleth chunks, enough for their tables to span many pages."""
    for k in range(count):
        sid = store.create_session(patient_id=f"P-{k}")
        t = T0 + sid * 10_000
        store.write_batch({
            "numerics": [{"session_id": sid, "t": t + i, "source": "pulseox", "parameter": "spo2", "value": 97.0,
                          "unit": "%"} for i in range(3000)],
            "waveform_chunks": [{"session_id": sid, "t0": t + i, "t1": t + i + 1, "n": 60, "track": 1,
                                 "samples": bytes(range(240))} for i in range(300)]})
        store.close_session(sid)


@pytest.fixture(scope="module")
def whole(tmp_path_factory) -> Path:
    """Return a whole file of several sessions, checkpointed (no WAL beside it)."""
    path = tmp_path_factory.mktemp("whole") / "s.db"
    store = Store(path)
    write_sessions(store, SESSIONS)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


def zero_page(path: Path, page: int) -> None:
    with open(path, "r+b") as f:
        f.seek((page - 1) * PAGE)
        f.write(bytes(PAGE))


def pages(path: Path) -> int:
    return path.stat().st_size // PAGE


def page_of(path: Path, name: str, rightmost: bool) -> int:
    """Return the leftmost or the rightmost leaf page of a table or index (its last rows are on the rightmost)."""
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(f"SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' "
                            f"ORDER BY path {'DESC' if rightmost else 'ASC'} LIMIT 1", [name]).fetchone()[0]


def with_wal(source: Path, folder: Path) -> Path:
    """Copy a file and one more session that a writer left in the WAL beside it (stopped before a checkpoint)."""
    work = folder / "live.db"
    shutil.copy(source, work)
    store = Store(work)
    store.db.execute("PRAGMA wal_autocheckpoint = 0")
    write_sessions(store, 1)
    path = folder / "s.db"
    shutil.copy(work, path)
    shutil.copy(f"{work}-wal", f"{path}-wal")
    store.close()
    assert Path(f"{path}-wal").stat().st_size > 0
    return path


def foreign(path: Path, version: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE sessions (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO sessions (name) VALUES ('a photo album')")
    conn.execute(f"PRAGMA user_version = {version}")
    conn.close()


def damaged_copy(damage: Callable[[Path], object]) -> Callable[[Path, Path], Path]:
    """Return a maker of a copy of the whole file into a folder, damaged by damage(path)."""
    def make(whole: Path, folder: Path) -> Path:
        shutil.copy(whole, folder / "s.db")
        damage(folder / "s.db")
        return folder / "s.db"
    return make


def new_file(make: Callable[[Path], object]) -> Callable[[Path, Path], Path]:
    """Return a maker of a file that make(path) writes in a folder, with nothing of the whole file."""
    def made(whole: Path, folder: Path) -> Path:
        make(folder / "s.db")
        return folder / "s.db"
    return made


#: Each kind of damage, as a maker of the damaged file in a folder from the whole file.
DAMAGES: dict[str, Callable[[Path, Path], Path]] = {
    "a page zeroed in the middle": damaged_copy(lambda p: zero_page(p, pages(p) // 2)),
    "the header page zeroed": damaged_copy(lambda p: zero_page(p, 1)),
    "cut short": damaged_copy(lambda p: os.truncate(p, pages(p) * PAGE * 3 // 5)),
    "not SQLite": new_file(lambda p: p.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 64)),
    "another program's SQLite file": new_file(lambda p: foreign(p, 0)),
    "another program's SQLite file with a version": new_file(lambda p: foreign(p, 3)),
    "a table dropped": damaged_copy(lambda p: drop(p, "TABLE tracks")),
    "a page zeroed, with a WAL beside": lambda whole, folder: zeroed_in_the_middle(with_wal(whole, folder),
                                                                                   "numerics"),
}


def drop(path: Path, what: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"DROP {what}")
    conn.close()  # the last connection of a WAL-mode file checkpoints: the file alone holds the damage


def zeroed_in_the_middle(path: Path, table: str) -> Path:
    """Zero an old leaf page of a table in the file itself (the WAL holds newer pages only)."""
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
        leaves = [p for (p,) in conn.execute("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' "
                                             "ORDER BY path", [table])]
    for name in os.listdir(path.parent):
        if name.endswith("-shm"):  # made by the read above; a writer that stopped leaves its own or none
            os.remove(path.parent / name)
    zero_page(path, leaves[len(leaves) // 3])
    return path


def damaged_file(whole: Path, tmp_path: Path, damage: str) -> Path:
    """Return a file with the damage, alone in a folder (whose fingerprint is the file's and SQLite's beside it)."""
    folder = tmp_path / "db"
    folder.mkdir()
    return DAMAGES[damage](whole, folder)


def fingerprint(folder: Path) -> dict[str, str]:
    """Return the sha256 of every file of the folder.

    Left out: what any reader of a WAL-mode file makes, a -shm file (a scratch index) and an empty -wal file.
    """
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if not p.name.endswith("-shm") and not (p.name.endswith("-wal") and p.stat().st_size == 0)}


def run(capsys, *args: str | Path) -> tuple[int, str]:
    """Run the command in this process; return its exit code and standard error (standard output is dropped)."""
    try:
        code = cli.main([str(a) for a in args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def one_error_line(err: str) -> str:
    assert "Traceback" not in err and "internal error" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("infusion-monitor: error: ")]
    assert len(lines) == 1 and len(err.strip().splitlines()) == 1, err
    return lines[0]


def writers(db: Path, folder: Path) -> dict[str, list[str]]:
    """Return every command that writes the database, with its arguments."""
    capture = folder / "capture.bin"
    capture.write_bytes(bytes(64))
    return {
        "record": ["record", "--db", str(db), "--device", "pulseox=cms50dplus:loop://", "--duration", "0.2"],
        "import": ["import", "--db", str(db), "--protocol", "cms50dplus", str(capture)],
        "outcome": ["outcome", "--db", str(db), "--session", "1", "--instrument", "phq9", "--items",
                    "0,0,0,0,0,0,0,0,0"],
        "replay": ["replay", "--db", str(db), "--session", "1"],
    }


@pytest.mark.parametrize("damage", DAMAGES)
@pytest.mark.parametrize("command", ["record", "import", "outcome", "replay"])
def test_a_damaged_file_is_refused_by_every_writer_in_one_line_and_left_untouched(whole, tmp_path, capsys, damage,
                                                                                  command):
    db = damaged_file(whole, tmp_path, damage)
    before = fingerprint(db.parent)
    code, err = run(capsys, *writers(db, tmp_path)[command])
    assert code == 2, err
    assert "not an infusion-monitor database" in one_error_line(err)
    assert fingerprint(db.parent) == before


@pytest.mark.parametrize("damage", DAMAGES)
def test_review_corrections_open_the_store_through_the_same_check(whole, tmp_path, damage):
    db = damaged_file(whole, tmp_path, damage)
    before = fingerprint(db.parent)
    with pytest.raises(StoreError, match="not an infusion-monitor database") as refused:
        Store(db)
    assert "\n" not in str(refused.value)
    assert fingerprint(db.parent) == before


@pytest.mark.parametrize("demo", [None, "cms50dplus"], ids=["run", "demo"])
def test_the_window_refuses_a_damaged_file_in_words_before_the_first_dialog(whole, tmp_path, qtbot, monkeypatch,
                                                                              demo):
    from ui import app, dialogs
    from ui.monitor import start_dialog

    db = DAMAGES["a page zeroed in the middle"](whole, tmp_path)
    before = fingerprint(tmp_path)
    said = []
    monkeypatch.setattr(app.QMessageBox, "critical", lambda parent, title, text: said.append(text))
    monkeypatch.setattr(start_dialog, "StartSessionDialog", None)  # reached only if the file were taken
    monkeypatch.setattr(dialogs, "UserDialog", None)  # the demo's first dialog, likewise
    assert app.run_app(db, [], demo_protocol=demo) == 2
    assert len(said) == 1 and "is damaged" in said[0] and "nothing was written into it" in said[0]
    assert fingerprint(tmp_path) == before


def test_a_damaged_file_says_it_was_left_as_it_was_and_what_to_do(whole, tmp_path, capsys):
    db = DAMAGES["a page zeroed in the middle"](whole, tmp_path)
    code, err = run(capsys, "record", "--db", db, "--device", "pulseox=cms50dplus:loop://", "--duration", "0.2")
    line = one_error_line(err)
    assert code == 2
    assert f"database {db} is damaged" in line and "nothing was written into it" in line and "backup" in line


READERS = {
    "sessions": ["sessions"],
    "summary": ["summary", "--session", "2"],
    "export": ["export", "--session", "2", "--format", "csv"],
    "burden": ["burden"],
    "course": ["course", "--patient", "P-1"],
}


@pytest.mark.parametrize("damage", DAMAGES)
@pytest.mark.parametrize("command", READERS)
def test_reading_a_damaged_file_is_one_line_at_most_and_changes_nothing(whole, tmp_path, capsys, damage, command):
    """A reader shows what still reads (so sessions can be rescued) and says in one line what does not."""
    db = damaged_file(whole, tmp_path, damage)
    folder = db.parent
    before = fingerprint(folder)
    code, err = run(capsys, *READERS[command], "--db", db)
    assert code in (0, 2), err
    if code == 2 or err:
        assert "not an infusion-monitor database" in one_error_line(err)
    assert fingerprint(folder) == before


@pytest.mark.parametrize("damage", ["the header page zeroed", "cut short", "not SQLite",
                                    "another program's SQLite file", "another program's SQLite file with a version"])
def test_a_file_that_is_no_session_database_is_refused_by_readers_too(whole, tmp_path, capsys, damage):
    db = DAMAGES[damage](whole, tmp_path)
    code, err = run(capsys, "sessions", "--db", db)
    assert code == 2 and "not an infusion-monitor database" in one_error_line(err)


def test_a_wal_left_beside_a_whole_file_is_kept_and_recording_goes_on(whole, tmp_path, capsys):
    """A writer that stopped before a checkpoint leaves its last session in the WAL: not damage."""
    db = with_wal(whole, tmp_path)
    code, err = run(capsys, "record", "--db", db, "--device", "pulseox=cms50dplus:loop://", "--duration", "0.2")
    assert code == 0, err
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == SESSIONS + 2
        assert conn.execute("SELECT COUNT(*) FROM numerics WHERE session_id = ?", [SESSIONS + 1]).fetchone()[0] == 3000


# --- the bounded check of a large file ----------------------------------------------------------------------------

@pytest.fixture
def large(monkeypatch):
    """Check files as a file above the whole-check size is checked (every file counts as large)."""
    monkeypatch.setattr(integrity, "WHOLE_CHECK_BYTES", 0)


@pytest.mark.parametrize("name", [
    "sessions",  # the session list
    "journal",
    "numerics",  # the last page of a sample table or index: where the next session's rows go
    "numerics_session_t",
    "waveform_track_t",
])
def test_a_large_file_is_refused_when_the_list_or_the_pages_a_session_is_written_into_are_damaged(
        whole, tmp_path, large, name):
    db = tmp_path / "s.db"
    shutil.copy(whole, db)
    zero_page(db, page_of(db, name, rightmost=True))
    before = fingerprint(tmp_path)
    with pytest.raises(StoreError, match="is damaged"):
        Store(db)
    assert fingerprint(tmp_path) == before


def test_a_large_files_check_leaves_older_samples_to_the_reader_which_says_so_in_one_line(whole, tmp_path, large,
                                                                                           capsys):
    """The bound: damage among a large file's oldest values is not looked for at start, and is said when read."""
    db = tmp_path / "s.db"
    shutil.copy(whole, db)
    zero_page(db, page_of(db, "numerics", rightmost=False))
    store = Store(db)
    write_sessions(store, 1)
    store.close()
    code, err = run(capsys, "export", "--db", db, "--session", "1", "--format", "csv")
    assert code == 2 and "is damaged" in one_error_line(err)
    code, err = run(capsys, "export", "--db", db, "--session", str(SESSIONS + 1), "--format", "csv")
    assert code == 0, err
