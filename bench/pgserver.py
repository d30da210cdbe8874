"""A throwaway PostgreSQL server for the tests and the central benchmark (not a benchmark itself).

It runs the machine's own server binaries (Debian's `postgresql` package) in a
temporary directory on a free loopback port, with password (SCRAM) logins over
TCP and a private ~/.pgpass-style file, so the code under test finds its
credentials the way a chair does: through libpq, never in a URL. initdb refuses
to run as root, so as root the server runs as the `postgres` user (or `nobody`).
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SUPERUSER = "admin"


def find_bindir() -> Path | None:
    """Return the directory of pg_ctl and initdb ($PG_BINDIR, PATH, or the newest /usr/lib/postgresql/*/bin)."""
    candidates = [os.environ.get("PG_BINDIR", "")]
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(str(Path(on_path).resolve().parent))  # Debian links pg_ctl into the PATH
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True)
    for path in candidates:
        if path and (Path(path) / "initdb").exists() and (Path(path) / "pg_ctl").exists():
            return Path(path)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """One PostgreSQL cluster in a temp dir: start(), url(), add_login(), stop(); delete with cleanup()."""

    def __init__(self, durable: bool = False) -> None:
        bindir = find_bindir()
        if bindir is None:
            raise FileNotFoundError("PostgreSQL server binaries (initdb, pg_ctl) not found; install the postgresql package")
        self.bindir = bindir
        self.durable = durable  # fsync on, as a real server (benchmarks); off makes tests faster
        self.root = Path(tempfile.mkdtemp(prefix="im-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.pgpass = self.root / "pgpass"
        self._passwords: dict[str, str] = {SUPERUSER: secrets.token_hex(12)}
        self._user = None
        if os.geteuid() == 0:
            for name in ("postgres", "nobody"):
                try:
                    self._user = pwd.getpwnam(name)
                    break
                except KeyError:
                    continue
            if self._user is None:
                raise FileNotFoundError("running as root and no 'postgres' or 'nobody' user to run the server as")
            os.chown(self.root, self._user.pw_uid, self._user.pw_gid)
        self.root.chmod(0o700)
        pwfile = self.root / "pwfile"
        pwfile.write_text(self._passwords[SUPERUSER] + "\n")
        self._own(pwfile)
        self._write_pgpass()
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--pwfile", str(pwfile), "-E", "UTF8",
                  "--locale", "C", "--auth-local", "trust", "--auth-host", "scram-sha-256")
        pwfile.unlink()

    def _own(self, path: Path) -> None:
        if self._user is not None:
            os.chown(path, self._user.pw_uid, self._user.pw_gid)

    def _run(self, tool: str, *args: str, stdin: str | None = None) -> None:
        cmd = [str(self.bindir / tool), *args]
        if self._user is not None:
            cmd = ["runuser", "-u", self._user.pw_name, "--", *cmd]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, input=stdin)
        if out.returncode != 0:
            raise RuntimeError(f"{tool} failed: {out.stderr.strip() or out.stdout.strip()}")

    def _write_pgpass(self) -> None:
        lines = [f"127.0.0.1:*:*:{user}:{pw}" for user, pw in self._passwords.items()]  # any port: tests put a proxy between
        self.pgpass.write_text("\n".join(lines) + "\n")
        self.pgpass.chmod(0o600)  # libpq ignores a password file others can read

    def start(self) -> PgServer:
        """Start the server and wait until it accepts connections."""
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root} "
                f"-c max_connections=120 -c fsync={'on' if self.durable else 'off'}")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", opts, "-w", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (mode fast or immediate, as pg_ctl)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def cleanup(self) -> None:
        """Stop the server if it runs and delete its files."""
        if self.running():
            try:
                self.stop("immediate")
            except RuntimeError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, user: str = SUPERUSER, dbname: str = "postgres", **params: str) -> str:
        """Return a postgresql:// URL for user (no password: it is in the pgpass file)."""
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}" + (f"?{query}" if query else "")

    def env(self) -> dict[str, str]:
        """Return the environment variables that make libpq use this server's password file."""
        return {"PGPASSFILE": str(self.pgpass)}

    def add_login(self, user: str) -> None:
        """Give an existing role a fresh password and put it in the password file."""
        self._passwords[user] = secrets.token_hex(12)
        self.sql(f"ALTER ROLE \"{user}\" LOGIN PASSWORD '{self._passwords[user]}'")
        self._write_pgpass()

    def create_database(self, name: str) -> str:
        """Create a database and return the superuser's URL to it."""
        self.sql(f'CREATE DATABASE "{name}"')
        return self.url(dbname=name)

    def sql(self, statement: str, dbname: str = "postgres") -> None:
        """Run SQL as the superuser over the local socket (on stdin: a password never shows in `ps`)."""
        self._run("psql", "-h", str(self.root), "-p", str(self.port), "-U", SUPERUSER, "-d", dbname,
                  "-v", "ON_ERROR_STOP=1", "-q", "-f", "-", stdin=statement)

    def __enter__(self) -> PgServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()
