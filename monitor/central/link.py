"""How a chair or a desk reaches the central store: settings, connecting, errors in words.

Credentials come only from libpq's own places (~/.pgpass or PGPASSFILE, a
service file, PG* variables, client certificates): a URL with a password is
refused, because a command line is visible to every user of the computer
(`ps`) and a URL ends up in shell histories and logs. Everything else in the
URL (sslmode, sslrootcert, service, ...) is passed to libpq unchanged. Logs
and messages name the store by describe(), never by its URL, and never show a
value of a row (a patient ID could be one).
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from typing import Any

from monitor.paths import config_file

CENTRAL_ENV = "INFUSION_MONITOR_CENTRAL"
CHAIR_ENV = "INFUSION_MONITOR_CHAIR"
#: Unreachable for longer than this raises the LOW technical alarm (config key central_alarm_after_min).
ALARM_AFTER_S = 5 * 60.0
#: Connection options a chair needs, unless the URL or the environment sets them: give up a connection
#: attempt after 5 s, and notice a dead network within about 20 s instead of the system's 2 hours.
_DEFAULTS = {"connect_timeout": ("PGCONNECT_TIMEOUT", "5"), "keepalives": (None, "1"),
             "keepalives_idle": (None, "10"), "keepalives_interval": (None, "5"), "keepalives_count": (None, "3"),
             "tcp_user_timeout": (None, "20000"), "application_name": ("PGAPPNAME", "infusion-monitor")}


class CentralError(Exception):
    """The central store cannot be used as asked; the message is one line for people."""


@dataclass(frozen=True)
class ChairSettings:
    """Where this chair replicates to and under which name (its PostgreSQL role)."""

    url: str
    chair: str
    alarm_after_s: float = ALARM_AFTER_S


def _config() -> dict[str, Any]:
    path = config_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise CentralError(f"{path}: cannot read the configuration: {exc}") from None
    if not isinstance(data, dict):
        raise CentralError(f"{path}: the configuration must be a JSON object")
    return data


def central_url(given: str | None) -> str | None:
    """Return the central store's URL: the --central value, else $INFUSION_MONITOR_CENTRAL, else config 'central'."""
    url = given or os.environ.get(CENTRAL_ENV) or _config().get("central")
    if url is not None and not isinstance(url, str):
        raise CentralError(f"{config_file()}: 'central' must be a text (a postgresql:// URL or a conninfo string)")
    if url:
        check_url(url)
    return url or None


def chair_settings(given_url: str | None) -> ChairSettings | None:
    """Return the replication settings of this chair, or None when no central store is configured.

    The chair's name is $INFUSION_MONITOR_CHAIR, else config 'chair', else the host name.
    """
    url = central_url(given_url)
    if url is None:
        return None
    config = _config()
    chair = os.environ.get(CHAIR_ENV) or config.get("chair") or socket.gethostname()
    minutes = config.get("central_alarm_after_min", ALARM_AFTER_S / 60)
    if not isinstance(minutes, (int, float)) or isinstance(minutes, bool) or not 0 < minutes <= 24 * 60:
        raise CentralError(f"{config_file()}: 'central_alarm_after_min' must be a number of minutes (1 to 1440)")
    return ChairSettings(url, str(chair), float(minutes) * 60)


def _parse(url: str) -> dict[str, str]:
    from psycopg.conninfo import conninfo_to_dict

    try:
        return {k: str(v) for k, v in conninfo_to_dict(url).items()}
    except Exception:  # psycopg.ProgrammingError: libpq could not parse it (its text would repeat the URL)
        raise CentralError("the central store address is not a postgresql:// URL or a libpq conninfo string "
                           "(e.g. postgresql://chair-01@db.clinic.local/infusion?sslmode=verify-full)") from None


def check_url(url: str) -> None:
    """Refuse an address that libpq cannot read or that carries a password (CentralError says why)."""
    _require_psycopg()
    if "password" in _parse(url):
        raise CentralError("the central store address contains a password, which every user of this computer "
                           "could read (ps, shell history): remove it and put it in ~/.pgpass, PGPASSFILE or a "
                           "service file (see docs/central.md)")


def describe(url: str) -> str:
    """Name the store for people and logs: 'user@host:port/dbname' (libpq defaults shown as such), no secrets."""
    p = _parse(url)
    if "service" in p and "host" not in p:
        return f"service {p['service']}"
    where = p.get("host") or "local socket"
    port = f":{p['port']}" if "port" in p else ""
    return f"{p.get('user', '(default user)')}@{where}{port}/{p.get('dbname', '(default database)')}"


def _require_psycopg() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise CentralError("the central store needs the PostgreSQL client: pip install 'infusion-monitor[central]' "
                           "(psycopg)") from None


def connect(url: str, autocommit: bool = False, app: str | None = None):
    """Open a psycopg connection with the chair's timeouts and keepalives; CentralError in words if it fails.

    app, if given, is the connection's application_name whatever the URL says.
    """
    import psycopg
    from psycopg.conninfo import make_conninfo

    given = _parse(url)
    extra = {k: v for k, (env, v) in _DEFAULTS.items() if k not in given and not (env and env in os.environ)}
    if app is not None:
        extra["application_name"] = app
    try:
        return psycopg.connect(make_conninfo(url, **extra), autocommit=autocommit)
    except psycopg.Error as exc:
        raise CentralError(f"cannot reach the central store {describe(url)}: {explain(exc)}") from None


def explain(exc: BaseException) -> str:
    """Say in one line what a psycopg error means, without any value of a row (they may name a patient)."""
    import psycopg

    if not isinstance(exc, psycopg.Error):
        return f"{exc.__class__.__name__}: {exc}"
    diag = exc.diag
    state = diag.sqlstate or ""
    if not state:  # a connection-level failure: libpq's own text (host, port, reason), first line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "connection failed"
        return first.removeprefix("connection failed: ")
    if state.startswith(("22", "23")):  # data or constraint problems: their text quotes values
        where = " ".join(f"{k} {v}" for k, v in (("table", diag.table_name), ("column", diag.column_name)) if v)
        return f"the central store refused a row{' (' + where + ')' if where else ''}: SQLSTATE {state}"
    return f"{diag.message_primary or exc.__class__.__name__} (SQLSTATE {state})"
