"""Privacy and input: files only the user can read, a log without patient identifiers, one rule for patient
IDs, escaped text output, and the command's refusals of ports and speeds that cannot work."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from commands import cli, error_line
from monitor.app import printable
from monitor.paths import private_output
from monitor.patient_id import MAX_LENGTH, PatientIdError, clean_patient_id

IS_POSIX = os.name == "posix"
pytestmark = pytest.mark.skipif(not IS_POSIX, reason="file modes exist on POSIX systems only")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def user_env(home: Path) -> dict[str, str]:
    return {**os.environ, "XDG_DATA_HOME": str(home / "data"), "XDG_STATE_HOME": str(home / "state"),
            "HOME": str(home)}


@pytest.mark.slow
def test_database_log_and_export_are_private_in_private_folders(tmp_path):
    os.umask(0o022)  # a usual umask: without care, files would be readable by everyone
    db = tmp_path / "new" / "deeper" / "s.db"
    env = user_env(tmp_path)
    out = cli("record", "--db", str(db), "--device", "pulseox=cms50dplus:sim", "--patient", "P-77",
              "--duration", "1.5", env=env)  # a simulated device: the session has values to export
    assert out.returncode == 0, out.stderr
    assert mode(db) == 0o600 and mode(db.parent) == 0o700 and mode(db.parent.parent) == 0o700
    for companion in db.parent.glob("s.db-*"):
        assert mode(companion) == 0o600, companion
    [log] = (tmp_path / "state").rglob("infusion-monitor.log")
    assert mode(log) == 0o600 and mode(log.parent) == 0o700
    export = tmp_path / "out" / "session.csv"
    assert cli("export", "--db", str(db), "--session", "1", "--format", "csv", "-o", str(export),
               env=env).returncode == 0
    assert mode(export) == 0o600 and mode(export.parent) == 0o700


@pytest.mark.slow
def test_an_existing_log_file_is_made_private(tmp_path):
    env = user_env(tmp_path)
    log = tmp_path / "state" / "infusion-monitor" / "log" / "infusion-monitor.log"
    log.parent.mkdir(parents=True)
    log.write_text("written by an older version\n")
    log.chmod(0o644)
    assert cli("sessions", "--db", str(tmp_path / "none.db"), env=env).returncode == 2
    assert mode(log) == 0o600


@pytest.mark.slow
def test_the_log_of_an_internal_error_holds_no_argument_and_no_patient_id(tmp_path):
    crash = ("import sys\n"
             "from monitor import cli\n"
             "def crash(args):\n"
             "    raise RuntimeError('a bug')\n"
             "cli.COMMANDS['record'] = crash\n"
             "sys.exit(cli.main(sys.argv[1:]))\n")
    out = subprocess.run([sys.executable, "-c", crash, "record", "--db", str(tmp_path / "s.db"), "--device",
                          "pulseox=cms50dplus:loop://", "--patient", "SECRET-4711", "--second-id", "12.03.1980"],
                         capture_output=True, text=True, env=user_env(tmp_path), timeout=60)
    assert out.returncode == 1 and "internal error" in out.stderr
    [log] = (tmp_path / "state").rglob("infusion-monitor.log")
    text = log.read_text()
    assert "RuntimeError: a bug" in text and "'record'" in text
    assert "SECRET-4711" not in text and "--patient" not in text and "1980" not in text


def test_private_output_leaves_no_partial_file_and_keeps_the_old_one(tmp_path):
    target = tmp_path / "report.csv"
    target.write_text("old export\n")
    with pytest.raises(OSError):
        with private_output(target) as out:
            out.write("half of a new export")
            raise OSError(28, "No space left on device")
    assert target.read_text() == "old export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]
    with private_output(target, "wb") as out:
        out.write(b"new")
    assert target.read_bytes() == b"new" and mode(target) == 0o600


@pytest.mark.parametrize("typed, stored", [("  P-001 ", "P-001"), ("Jos\u0065\u0301", "Jos\u00e9"),
                                           ("x" * MAX_LENGTH, "x" * MAX_LENGTH), ("Ünal 12", "Ünal 12")])
def test_patient_ids_are_trimmed_and_normalised(typed, stored):
    assert clean_patient_id(typed) == stored


@pytest.mark.parametrize("typed, words", [("", "empty"), ("   ", "empty"), ("P\x1b[31m1", "U+001B"),
                                          ("P\n1", "U+000A"), ("P\u202e1", "U+202E"), ("P\x001", "U+0000"),
                                          ("x" * (MAX_LENGTH + 1), "at most 64")])
def test_patient_ids_that_cannot_be_shown_are_refused_in_words(typed, words):
    with pytest.raises(PatientIdError, match=words.replace("+", r"\+")):
        clean_patient_id(typed)


@pytest.mark.slow
def test_record_takes_the_date_of_birth_and_refuses_a_wrong_one_in_one_line(tmp_path):
    from monitor.storage.sessions import SqliteSessions

    db = tmp_path / "s.db"
    out = cli("record", "--db", str(db), "--device", "pulseox=cms50dplus:loop://", "--patient", "P-1",
              "--second-id", "31.02.1980", "--duration", "0.3", env=user_env(tmp_path))
    assert out.returncode == 2 and not db.exists()
    assert error_line(out.stderr).endswith("--second-id: the date of birth 31.02.1980 is not a real date")
    out = cli("record", "--db", str(db), "--device", "pulseox=cms50dplus:sim", "--patient", "P-1",
              "--second-id", "12.03.1980", "--duration", "0.5", env=user_env(tmp_path))
    assert out.returncode == 0, out.stderr
    assert SqliteSessions(db).resolve("latest").birth_date == "1980-03-12"
    [log] = (tmp_path / "state").rglob("infusion-monitor.log")
    assert "1980" not in log.read_text()


@pytest.mark.slow
def test_record_refuses_a_bad_patient_id_before_touching_the_database(tmp_path):
    db = tmp_path / "s.db"
    out = cli("record", "--db", str(db), "--device", "pulseox=cms50dplus:loop://", "--patient", "P\x1b]0;x\x07",
              "--duration", "0.3", env=user_env(tmp_path))
    assert out.returncode == 2
    line = error_line(out.stderr)
    assert "--patient" in line and "\x1b" not in line and not db.exists()


@pytest.mark.slow
def test_sessions_escape_what_the_database_holds(tmp_path):
    import sqlite3

    db = tmp_path / "s.db"
    assert cli("record", "--db", str(db), "--device", "pulseox=cms50dplus:loop://", "--duration", "0.3",
               env=user_env(tmp_path)).returncode == 0
    with sqlite3.connect(db) as conn:  # written by another program, or an older version without the rule
        conn.execute("UPDATE sessions SET patient_id = ?", ["\x1b[2J\x1b]0;owned\x07P1"])
    out = cli("sessions", "--db", str(db), env=user_env(tmp_path))
    assert out.returncode == 0 and "\x1b" not in out.stdout and "\x07" not in out.stdout
    assert "\\x1b[2J" in out.stdout
    assert printable("a\u202eb\tc") == "a\\u202eb\\tc"


@pytest.mark.slow
def test_a_port_that_cannot_be_opened_is_one_line_and_exit_2(tmp_path):
    db = tmp_path / "s.db"
    out = cli("record", "--db", str(db), "--device", "pulseox=cms50dplus:/dev/ttyNOSUCH9", "--duration", "1",
              env=user_env(tmp_path))
    assert out.returncode == 2
    line = error_line(out.stderr)
    assert "/dev/ttyNOSUCH9" in line and "--wait-for-device" in line
    assert not db.exists()  # refused before a session was started


@pytest.mark.slow
@pytest.mark.parametrize("speed", ["0", "-1", "0.01", "101", "1e9", "nan", "inf"])
@pytest.mark.parametrize("command", ["simulate", "demo"])
def test_simulator_speed_is_bounded(tmp_path, command, speed):
    args = [command, "--speed", speed] + (["--protocol", "nonin"] if command == "simulate" else [])
    out = cli(*args, timeout=20, env={**user_env(tmp_path), "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 2
    assert "0.1 to 100" in error_line(out.stderr)


@pytest.mark.parametrize("typed, words", [("P\x1b[31m1", "cannot be shown"), ("x" * 65, "at most 64")])
def test_the_start_dialog_refuses_a_patient_id_with_the_same_rule(qtbot, tmp_path, typed, words):
    from monitor.storage.chair_patients import ChairPatients
    from monitor.storage.store import Store
    from ui.monitor.start_dialog import StartSessionDialog

    dlg = StartSessionDialog(ChairPatients(Store(tmp_path / "s.db")))
    qtbot.addWidget(dlg)
    dlg.user.setText("TC")
    dlg.patient.setCurrentText(typed)
    dlg.second.setText("12.03.1980")
    for field, text in ((dlg.weight, "70"), (dlg.dose, "0.5"), (dlg.duration, "40"), (dlg.bag, "100")):
        field.setText(text)
    for box in dlg.checks.values():
        box.setChecked(True)
    assert not dlg.ok.isEnabled() and words in dlg.why_not.text()
    dlg.patient.setCurrentText("  P-001 ")
    assert dlg.ok.isEnabled() and dlg.session_info().patient_id == "P-001"
