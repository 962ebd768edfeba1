"""AWS RDS IAM database authentication for every SQLAlchemy engine in this image.

On AWS the database grant (components/postgres/rds.ts) gives the pod a database user with the
`rds_iam` role and no password, and lets the pod's IRSA role `rds-db:connect` as that user. The
password libpq must send is then a 15-minute token signed with the pod's AWS credentials, which
stock MLflow cannot produce. This module makes every process of the image produce it: the
entrypoint's migrations, the tracking server and its workers, the basic-auth app, job runners.

How it is loaded: `mlstack-rds-iam.pth` in the virtual environment's site-packages runs
`activate()` when any Python interpreter of the image starts. With DATABASE_AUTH_METHOD unset
or `password` that is all that happens. With `aws-rds-iam`, a one-shot import hook waits for
SQLAlchemy to be imported (processes that never touch the database, such as the health probe,
never import it) and then registers a class-level `do_connect` listener on
`sqlalchemy.engine.Engine`, which reaches every engine of the process, whoever creates it.

What the listener does on every new DBAPI connection to PostgreSQL:
  * signs a fresh token for the user, host and port of that connection
    (`boto3.client("rds").generate_db_auth_token`: local SigV4 signing with the pod's IRSA
    credentials) and passes it as the connection's password;
  * enforces TLS: sslmode `disable`, `allow` or `prefer` is refused, `require` is raised to
    `verify-full` against the RDS CA bundle baked into the image (PGSSLROOTCERT overrides it),
    `verify-ca` and `verify-full` are kept.
A pooled connection is authenticated once, when it is opened: RDS checks the token only then,
so a connection outlives its token and pools need no recycling for the token's sake.

Environment (the grant sets all of it):
  DATABASE_AUTH_METHOD   `aws-rds-iam` to sign tokens; unset, empty or `password`: do nothing
  AWS_REGION             region of the database (signs the token)
  PGHOST, PGPORT, PGUSER the database endpoint and user; a connection's own host, port and user
                         (from the SQLAlchemy URL) take precedence
  PGSSLMODE              sslmode when the URL names none (libpq's default would be `prefer`)
  PGSSLROOTCERT          CA bundle to verify the server with (default: the image's RDS bundle)
Missing or invalid settings never produce a tokenless connection: every connect attempt fails
with ConfigurationError naming the setting. The token is never logged or put in an exception.

Standard library only at import time, so the entrypoint can validate settings without touching
SQLAlchemy or boto3.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

METHOD_VARIABLE = "DATABASE_AUTH_METHOD"
IAM = "aws-rds-iam"
PASSWORD = "password"
REQUIRED_VARIABLES = ("AWS_REGION", "PGHOST", "PGPORT", "PGUSER")
# The AWS RDS global CA bundle, downloaded into the image at build time (Dockerfile).
DEFAULT_CA_BUNDLE = "/opt/mlflow/share/rds-ca/global-bundle.pem"
# sslmodes that could send the token over an unencrypted connection.
UNENCRYPTED_SSLMODES = ("disable", "allow", "prefer")
VERIFYING_SSLMODES = ("verify-ca", "verify-full")
# DBAPI drivers whose connect() takes libpq's keywords (sslmode, sslrootcert, password).
LIBPQ_DRIVERS = ("psycopg2", "psycopg")


class ConfigurationError(RuntimeError):
    """A setting IAM authentication cannot work with; the message names it."""


class TokenError(RuntimeError):
    """The RDS token could not be signed (no credentials, STS unreachable); never holds the token."""


@dataclass(frozen=True)
class IamSettings:
    region: str
    host: str
    port: int
    user: str
    sslmode: str | None
    ca_bundle: str


def settings(env: Mapping[str, str]) -> IamSettings | None:
    """The IAM settings `env` describes; None when the method is unset, empty or `password`."""
    method = env.get(METHOD_VARIABLE, "")
    if method in ("", PASSWORD):
        return None
    if method != IAM:
        raise ConfigurationError(f"{METHOD_VARIABLE} is {method!r}; allowed: {IAM!r}, {PASSWORD!r} or unset")
    missing = [name for name in REQUIRED_VARIABLES if not env.get(name)]
    if missing:
        raise ConfigurationError(
            f"{METHOD_VARIABLE}={IAM} needs {', '.join(REQUIRED_VARIABLES)}; "
            f"missing or empty: {', '.join(missing)}"
        )
    port = env["PGPORT"]
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigurationError(f"PGPORT is {port!r}; expected a TCP port number (1-65535)")
    sslmode = env.get("PGSSLMODE") or None
    if sslmode is not None:
        check_sslmode(sslmode, "PGSSLMODE")
    return IamSettings(
        region=env["AWS_REGION"],
        host=env["PGHOST"],
        port=int(port),
        user=env["PGUSER"],
        sslmode=sslmode,
        ca_bundle=env.get("PGSSLROOTCERT") or DEFAULT_CA_BUNDLE,
    )


def check_sslmode(sslmode: str, source: str) -> None:
    if sslmode in UNENCRYPTED_SSLMODES:
        raise ConfigurationError(
            f"{source} is {sslmode!r}, which may send the IAM token unencrypted; "
            "use require, verify-ca or verify-full"
        )
    if sslmode not in ("require", *VERIFYING_SSLMODES):
        raise ConfigurationError(f"{source} is {sslmode!r}; allowed: require, verify-ca, verify-full")


Signer = Callable[[str, int, str, str], str]


def prepare_connection(config: IamSettings, cparams: MutableMapping[str, Any], sign: Signer) -> None:
    """Sets the token and the TLS settings of one libpq connection, in place."""
    host = str(cparams.get("host") or config.host)
    port = int(cparams.get("port") or config.port)
    user = str(cparams.get("user") or config.user)
    sslmode = cparams.get("sslmode") or config.sslmode
    if sslmode is None:
        raise ConfigurationError(
            "no sslmode in the database URL or PGSSLMODE; libpq would default to 'prefer', "
            "which may send the IAM token unencrypted"
        )
    check_sslmode(sslmode, "sslmode (database URL or PGSSLMODE)")
    root_cert = str(cparams.get("sslrootcert") or config.ca_bundle)
    # `system` (libpq 16+) is the OS trust store, which holds no RDS CA but is the caller's choice.
    if root_cert != "system" and not os.path.isfile(root_cert):
        raise ConfigurationError(
            f"CA bundle {root_cert} does not exist; the image ships the RDS bundle at {DEFAULT_CA_BUNDLE} "
            "(set PGSSLROOTCERT to another file)"
        )
    cparams["sslmode"] = "verify-full" if sslmode == "require" else sslmode
    cparams["sslrootcert"] = root_cert
    cparams["password"] = sign(host, port, user, config.region)


_client_lock = threading.Lock()
_client: tuple[int, str, Any] | None = None  # (pid, region, boto3 RDS client)


def sign_token(host: str, port: int, user: str, region: str) -> str:
    """A fresh token for `user` at `host:port`; one boto3 client per process (forks get their own)."""
    global _client
    try:
        with _client_lock:
            if _client is None or _client[0] != os.getpid() or _client[1] != region:
                import boto3

                _client = (os.getpid(), region, boto3.client("rds", region_name=region))
            client = _client[2]
        return client.generate_db_auth_token(DBHostname=host, Port=port, DBUsername=user, Region=region)
    except Exception as error:  # noqa: BLE001 - any SDK failure; its message never holds the token
        raise TokenError(
            f"could not sign an RDS IAM token for {user}@{host}:{port} in {region} "
            f"({type(error).__name__}: {error}); check the pod's IRSA role and its egress to STS"
        ) from error


_settings: IamSettings | None = None
_refusal: ConfigurationError | None = None
_install_lock = threading.Lock()
_installed = False


def provide_token(dialect: Any, conn_rec: Any, cargs: Any, cparams: MutableMapping[str, Any]) -> None:
    """The `do_connect` listener. SQLAlchemy hands every connect the engine's own dict of connect
    arguments; each call overwrites the password, so every new connection gets a fresh token."""
    if getattr(dialect, "name", None) != "postgresql":
        return  # e.g. a SQLite engine: nothing to authenticate
    if _refusal is not None:
        raise ConfigurationError(str(_refusal))
    if _settings is None:
        return
    driver = getattr(dialect, "driver", None)
    if driver not in LIBPQ_DRIVERS:
        raise ConfigurationError(
            f"the postgresql+{driver} driver does not take libpq's sslmode and password; "
            f"{METHOD_VARIABLE}={IAM} needs {' or '.join(LIBPQ_DRIVERS)}"
        )
    prepare_connection(_settings, cparams, sign_token)


def install(config: IamSettings | None = None) -> None:
    """Registers the listener on every SQLAlchemy Engine of this process (once); with `config`,
    signs with it (the entrypoint passes the settings it validated)."""
    global _settings, _refusal, _installed
    if config is not None:
        _settings, _refusal = config, None
    with _install_lock:
        if _installed:
            return
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "do_connect", provide_token)
        _installed = True


class _InstallAfterSqlalchemy:
    """A one-shot `sys.meta_path` finder: lets SQLAlchemy import normally, then installs."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != "sqlalchemy":
            return None
        sys.meta_path.remove(self)
        import importlib.util

        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_then_install(module: Any) -> None:
            exec_module(module)
            install()

        # Each module's spec has its own loader instance: this touches SQLAlchemy's only.
        spec.loader.exec_module = exec_then_install  # type: ignore[method-assign]
        return spec


def activate(env: Mapping[str, str] = os.environ) -> None:
    """Called at interpreter start (mlstack-rds-iam.pth). Never raises: a bad setting is kept and
    raised by every connect attempt instead, so nothing connects without a token."""
    global _settings, _refusal
    try:
        _settings, _refusal = settings(env), None
    except ConfigurationError as error:
        _settings, _refusal = None, error
    if _settings is None and _refusal is None:
        return
    if "sqlalchemy" in sys.modules:
        install()
    elif not any(isinstance(finder, _InstallAfterSqlalchemy) for finder in sys.meta_path):
        sys.meta_path.insert(0, _InstallAfterSqlalchemy())
