"""The central store through the command line: init, sessions --central, credentials, errors in one line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from devices.sim.runner import PtySimulator
from monitor.central.link import CentralError, check_url, describe
from pg import central, pg_server, record_process, require_postgres  # noqa: F401

pytestmark = pytest.mark.slow  # every test runs the command in a child process against a throwaway PostgreSQL


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def one_line_error(out: subprocess.CompletedProcess) -> str:
    assert out.returncode == 2, (out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("infusion-monitor: error: "), out.stderr
    return lines[0]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_chair_path_never_loads_the_postgresql_client():
    code = "import sys, monitor.cli, monitor.live.core, monitor.storage.recorder; print('psycopg' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_a_password_in_the_address_is_refused_everywhere(tmp_path):
    pytest.importorskip("psycopg")
    url = "postgresql://chair-a:s3cret@127.0.0.1/clinic"
    for args in (("sessions", "--central", url), ("central", "init", url),
                 ("record", "--db", str(tmp_path / "x.db"), "--device", "pulseox=nonin:loop://", "--central", url)):
        line = one_line_error(cli(*args))
        assert "pgpass" in line and "s3cret" not in line
    line = one_line_error(cli("record", "--db", str(tmp_path / "y.db"), "--device", "pulseox=nonin:loop://",
                              env={"INFUSION_MONITOR_CENTRAL": url}))
    assert "pgpass" in line
    assert not (tmp_path / "x.db").exists() and not (tmp_path / "y.db").exists()  # refused before recording


def test_describe_names_the_store_without_secrets():
    pytest.importorskip("psycopg")
    assert describe("postgresql://chair-a@db.clinic:5433/infusion?sslmode=verify-full") == \
        "chair-a@db.clinic:5433/infusion"
    assert describe("service=clinic") == "service clinic"
    with pytest.raises(CentralError, match="not a postgresql:// URL"):
        check_url("http://example")


def test_init_then_sessions_lists_every_chair_by_chair_and_id(central, tmp_path):
    out = cli("central", "init", central.admin)
    assert out.returncode == 0, out.stderr
    assert "the central schema is up to date" in out.stdout
    with PtySimulator("nonin", "baseline") as sim:
        for chair in ("chair-a", "chair-b"):
            proc = record_process(tmp_path / f"{chair}.db", chair, central.url(chair), "--patient", f"P-{chair}",
                                  seconds=3, sim_path=sim.path)
            assert proc.wait(60) == 0, proc.stderr.read()
    listing = cli("sessions", "--central", central.url("desk"))
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert lines[0].split()[:3] == ["id", "patient", "started"]
    assert [line.split()[:2] for line in lines[1:]] == [["chair-a:1", "P-chair-a"], ["chair-b:1", "P-chair-b"]]


def test_init_creates_logins_and_says_how_to_give_them_a_password(central):
    out = cli("central", "init", central.admin, "--chair", "chair-new", "--reviewer", "desk-2")
    assert out.returncode == 0, out.stderr
    assert "chair logins: chair-new" in out.stdout and "reviewer logins: desk-2" in out.stdout
    assert "\\password" in out.stdout
    assert central.query("SELECT chair_id FROM infusion.chairs WHERE chair_id = 'chair-new'") == [("chair-new",)]


def test_a_chair_login_cannot_run_init(central):
    line = one_line_error(cli("central", "init", central.url("chair-a")))
    assert "central init failed" in line and "administrator" in line


def test_sslmode_is_honoured(central):
    line = one_line_error(cli("sessions", "--central", central.url("desk") + "?sslmode=require"))
    assert "SSL" in line


def test_an_unreachable_store_is_one_line_for_reading(tmp_path):
    pytest.importorskip("psycopg")
    line = one_line_error(cli("sessions", "--central", f"postgresql://desk@127.0.0.1:{closed_port()}/clinic"))
    assert "cannot reach the central store desk@127.0.0.1" in line


def test_a_database_without_the_schema_says_to_run_init(pg_server, monkeypatch):
    monkeypatch.setenv("PGPASSFILE", str(pg_server.pgpass))
    line = one_line_error(cli("sessions", "--central", pg_server.url()))
    assert "central init" in line


def test_recording_goes_on_when_the_store_is_unreachable(tmp_path):
    require_postgres()
    db = tmp_path / "chair.db"
    with PtySimulator("nonin", "baseline") as sim:
        proc = record_process(db, "chair-a", f"postgresql://chair-a@127.0.0.1:{closed_port()}/clinic",
                              seconds=3, sim_path=sim.path)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "central: unreachable" in err and "the rest is sent at the next start" in err
    assert "Traceback" not in err
    import sqlite3

    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM numerics").fetchone()[0] > 0


def test_explain_never_quotes_a_value(central):
    """A refused row's message (for the screen and the log) names table and column, never the value."""
    import psycopg

    from monitor.central.link import explain

    with psycopg.connect(central.admin) as conn:
        with pytest.raises(psycopg.Error) as info:
            conn.execute("INSERT INTO infusion.sessions (chair_id, local_rowid, weight_kg) VALUES ('a', 1, %s::float8)",
                         ["PATIENT-0042"])
    text = explain(info.value)
    assert "PATIENT-0042" not in str(text) and "SQLSTATE 22" in text
