"""`export` and `send` from the command line: bad input is one line and exit 2 with no file left behind;
`send` talks to a real MLLP listener on loopback and reports AA, AE, AR, silence and a hang-up."""

from __future__ import annotations

import errno
import os
import stat

import pytest

from export_session import make_empty_session, make_session
from mllp_listener import Listener
from monitor import cli


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.db"
    make_session(path, minutes=6)
    return path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def one_error_line(err: str) -> bool:
    lines = err.strip().splitlines()
    return len(lines) == 1 and lines[0].startswith("infusion-monitor: error: ") and "Traceback" not in err


def test_unknown_session_is_one_line(db, capsys, tmp_path):
    code, _, err = run(capsys, "export", "--db", str(db), "--session", "7", "--format", "fhir", "-o",
                       str(tmp_path / "x.json"))
    assert code == 2 and one_error_line(err) and "no session 7" in err
    assert not (tmp_path / "x.json").exists()


def test_empty_session_leaves_no_file(tmp_path, capsys):
    db = tmp_path / "s.db"
    make_empty_session(db)
    for fmt in ("csv", "json", "fhir", "hl7", "edf"):
        code, _, err = run(capsys, "export", "--db", str(db), "--session", "latest", "--format", fmt, "-o",
                           str(tmp_path / "out" / f"x.{fmt}"))
        assert code == 2 and one_error_line(err) and "is empty" in err, fmt
    assert not list((tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else True


def test_an_unwritable_output_path_is_one_line(db, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, _, err = run(capsys, "export", "--db", str(db), "--session", "latest", "--format", "hl7", "-o",
                       str(blocker / "x.hl7"))
    assert code == 2 and one_error_line(err) and str(blocker) in err


def test_a_failure_half_way_leaves_no_partial_file(db, tmp_path, capsys, monkeypatch):
    from monitor.export import csv_bundle

    def failing(source, meta, out, progress=None):
        out.write("time_utc,source,parameter,value,unit\n2023-11-14T22:13:20.000Z,pulseox,spo2,97,%\n")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(csv_bundle, "write_numerics", failing)
    folder = tmp_path / "out"
    folder.mkdir()
    for target in ("x.csv", "x.zip", "bundle"):
        code, _, err = run(capsys, "export", "--db", str(db), "--session", "latest", "--format", "csv", "-o",
                           str(folder / target))
        assert code == 2 and one_error_line(err) and "No space left on device" in err, target
    assert sorted(p.name for p in folder.rglob("*")) == ["bundle"] and not list((folder / "bundle").iterdir())


def test_binary_formats_need_a_file_and_pdf_needs_the_app(db, capsys):
    code, _, err = run(capsys, "export", "--db", str(db), "--session", "latest", "--format", "edf")
    assert code == 2 and one_error_line(err) and "-o FILE" in err
    code, _, err = run(capsys, "export", "--db", str(db), "--session", "latest", "--format", "pdf", "-o", "x.pdf")
    assert code == 2 and one_error_line(err)


def test_selection_lists_and_exports_one_file_per_session(tmp_path, capsys):
    db = tmp_path / "s.db"
    make_session(db, minutes=6)
    make_session(db, minutes=6, patient="P-8")
    make_empty_session(db)
    code, out, _ = run(capsys, "sessions", "--db", str(db), "--patient", "P-8")
    assert code == 0 and len(out.strip().splitlines()) == 2 and "P-8" in out and "P-7" not in out
    code, out, _ = run(capsys, "sessions", "--db", str(db), "--from", "2023-11-01", "--to", "2023-11-30")
    assert code == 0 and len(out.strip().splitlines()) == 4
    code, out, _ = run(capsys, "sessions", "--db", str(db), "--to", "2023-11-01")
    assert code == 0 and out.strip() == "no sessions match"
    code, _, err = run(capsys, "export", "--db", str(db), "--from", "2023-11-01", "--to", "2023-11-30",
                       "--format", "json", "-o", str(tmp_path / "many"))
    assert code == 0 and "wrote 2 of 3 sessions" in err
    files = sorted((tmp_path / "many").iterdir())
    assert [f.name.split("-")[1] for f in files] == ["1", "2"]
    assert all(stat.S_IMODE(os.stat(f).st_mode) == 0o600 for f in files)
    code, _, err = run(capsys, "export", "--db", str(db), "--from", "14.11.2023", "--format", "json", "-o", "x")
    assert code == 2 and one_error_line(err) and "YYYY-MM-DD" in err


# --- send over MLLP -------------------------------------------------------------------------------


def test_send_is_accepted_and_the_listener_reads_the_session(db, capsys):
    with Listener("AA") as listener:
        code, _, err = run(capsys, "send", "--db", str(db), "--session", "latest", "--to", listener.url)
    assert code == 0, err
    [message] = listener.received
    assert str(message.segment("PID")[3][0][0]) == "P-7" and str(message.segment("MSH")[12]) == "2.6"
    assert "1 message(s) accepted" in err


def test_send_per_event_sends_each_in_order(db, capsys):
    with Listener("AA") as listener:
        code, _, err = run(capsys, "send", "--db", str(db), "--session", "latest", "--to", listener.url,
                           "--per", "event")
    assert code == 0, err
    times = [str(m.segment("OBX")[14]) for m in listener.received]
    assert len(times) >= 2 and times == sorted(times)


@pytest.mark.parametrize("behaviour, words", [("AE", "application error (AE)"), ("AR", "rejected (AR)")])
def test_send_reports_a_refusal_in_one_line(db, capsys, behaviour, words):
    with Listener(behaviour) as listener:
        code, _, err = run(capsys, "send", "--db", str(db), "--session", "latest", "--to", listener.url)
    assert code == 2 and one_error_line(err) and words in err and "patient unknown here" in err
    assert listener.connections == 1  # a refusal is final: no retry


def test_send_refuses_an_ack_of_another_message(db, capsys):
    with Listener("wrong-id") as listener:
        code, _, err = run(capsys, "send", "--db", str(db), "--session", "latest", "--to", listener.url)
    [message] = listener.received
    sent = str(message.segment("MSH")[10])
    assert code == 2 and one_error_line(err) and "accepted" not in err
    assert f"for message '{sent}-OTHER', not for message {sent}" in err and "not confirmed" in err
    assert listener.connections == 1


@pytest.mark.parametrize("behaviour, words", [("silent", "no acknowledgement within 0.5 s"),
                                              ("close", "closed the connection before it acknowledged")])
def test_send_retries_on_no_answer_then_gives_up(db, capsys, behaviour, words):
    with Listener(behaviour) as listener:
        code, _, err = run(capsys, "send", "--db", str(db), "--session", "latest", "--to", listener.url,
                           "--timeout", "0.5", "--retries", "1")
    assert code == 2 and one_error_line(err) and words in err and "after 2 tries" in err
    assert listener.connections == 2


def test_send_to_a_bad_address_is_one_line(db, capsys):
    code, _, err = run(capsys, "send", "--db", str(db), "--session", "latest", "--to", "tcp://host")
    assert code == 2 and one_error_line(err) and "mllp://HOST:PORT" in err
