#!/opt/mlflow/bin/python
"""Entrypoint of the mlstack MLflow image: prepare what `mlflow server` cannot, then exec it.

Usage: mlflow-entrypoint COMMAND [ARG...]   (normally: mlflow-entrypoint mlflow server ...)

1. Basic-auth settings. MLflow reads them only from an ini file (MLFLOW_AUTH_CONFIG_PATH). The
   root filesystem is read-only and secrets reach the pod only as environment variables taken
   from Kubernetes Secrets, so the file is rendered here, at start, into a writable directory
   (an emptyDir at /tmp), readable by this user only. It is rendered when MLFLOW_AUTH_CONFIG_PATH
   is set, from:
     MLSTACK_AUTH_ADMIN_USERNAME      admin user MLflow creates on first start (required)
     MLSTACK_AUTH_ADMIN_PASSWORD      its password (required; removed from the environment of
                                      the server after rendering)
     MLSTACK_AUTH_DATABASE_URI        SQLAlchemy URI of the auth database (required)
     MLSTACK_AUTH_DEFAULT_PERMISSION  READ, USE, EDIT, MANAGE or NO_PERMISSIONS (default
                                      NO_PERMISSIONS: a user sees only what they were granted)
   MLflow parses the file with configparser's interpolation, so '%' is written as '%%'.

2. Schema migrations (MLSTACK_MIGRATE_DATABASE=true). MLflow refuses to start on an out-of-date
   tracking schema, and every replica and every worker would otherwise race to create or
   upgrade the tracking and auth schemas on first start. Under a PostgreSQL advisory lock, one
   process at a time creates the tracking schema (empty database) or upgrades it
   (`mlflow db upgrade`), then brings the auth schema to head; the others wait, then find
   nothing to do. The basic-auth admin user is created there too, once. Non-PostgreSQL backends
   are left to MLflow.

3. `postgres://` URIs (accepted by libpq, rejected by SQLAlchemy) are rewritten to
   `postgresql://` in MLFLOW_BACKEND_STORE_URI and the auth database URI.

4. Database authentication (DATABASE_AUTH_METHOD, set by the database grant). With
   `aws-rds-iam` every new connection needs a fresh RDS IAM token as its password; the image's
   mlstack_rds_iam module provides it in every process (see that module). The entrypoint checks
   the settings first, so a bad one stops the pod here (exit 64) with its name, and installs the
   token listener for its own migration connections.

The script uses only the standard library (and mlstack_rds_iam, which does too) until it
migrates, so its rendering can be tested without MLflow installed.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

import mlstack_rds_iam as rds_iam

AUTH_PERMISSIONS = ("READ", "USE", "EDIT", "MANAGE", "NO_PERMISSIONS")
AUTH_VARIABLES = (
    "MLSTACK_AUTH_ADMIN_USERNAME",
    "MLSTACK_AUTH_ADMIN_PASSWORD",
    "MLSTACK_AUTH_DATABASE_URI",
)
# The artifact root MLflow gives new experiments when it proxies artifacts (--serve-artifacts).
DEFAULT_ARTIFACT_ROOT = "mlflow-artifacts:/"
# One lock for every MLflow server sharing a database; the key only has to be stable.
MIGRATION_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"mlstack:mlflow:schema-migration").digest()[:8], "big", signed=True
)
DATABASE_WAIT_SECONDS = 180


class ConfigurationError(Exception):
    """A setting the entrypoint cannot work with; the message names it."""


def log(message: str) -> None:
    print(f"mlflow-entrypoint: {message}", file=sys.stderr, flush=True)


def normalise_database_uri(uri: str) -> str:
    """SQLAlchemy 1.4+ accepts only `postgresql://`; libpq also accepts `postgres://`."""
    return "postgresql://" + uri[len("postgres://") :] if uri.startswith("postgres://") else uri


def ini_value(name: str, value: str) -> str:
    """A value configparser (with BasicInterpolation, as MLflow reads it) returns unchanged."""
    if value == "":
        raise ConfigurationError(f"{name} is empty")
    if value != value.strip():
        raise ConfigurationError(f"{name} starts or ends with whitespace, which the ini format drops")
    if any(char in value for char in "\r\n\x00"):
        raise ConfigurationError(f"{name} contains a line break or NUL, which cannot be written to an ini file")
    return value.replace("%", "%%")


def auth_settings(env: dict[str, str]) -> dict[str, str] | None:
    """The [mlflow] section to render, or None when basic auth is not configured."""
    path = env.get("MLFLOW_AUTH_CONFIG_PATH")
    present = [name for name in AUTH_VARIABLES if name in env]
    if not path:
        if present:
            raise ConfigurationError(f"{', '.join(present)} set but MLFLOW_AUTH_CONFIG_PATH is not")
        return None
    missing = [name for name in AUTH_VARIABLES if not env.get(name)]
    if missing:
        raise ConfigurationError(f"MLFLOW_AUTH_CONFIG_PATH is set but {', '.join(missing)} is missing or empty")
    permission = env.get("MLSTACK_AUTH_DEFAULT_PERMISSION", "NO_PERMISSIONS")
    if permission not in AUTH_PERMISSIONS:
        raise ConfigurationError(
            f"MLSTACK_AUTH_DEFAULT_PERMISSION is {permission!r}; allowed: {', '.join(AUTH_PERMISSIONS)}"
        )
    return {
        "default_permission": permission,
        "database_uri": normalise_database_uri(env["MLSTACK_AUTH_DATABASE_URI"]),
        "admin_username": env["MLSTACK_AUTH_ADMIN_USERNAME"],
        "admin_password": env["MLSTACK_AUTH_ADMIN_PASSWORD"],
        "authorization_function": "mlflow.server.auth:authenticate_request_basic_auth",
        # Workspaces are off; never hand every user the default workspace implicitly.
        "grant_default_workspace_access": "false",
    }


def render_auth_config(settings: dict[str, str], path: Path) -> None:
    """Writes the ini readable by this user only (the directory is created 0700)."""
    lines = ["[mlflow]"] + [f"{key} = {ini_value(key, value)}" for key, value in settings.items()]
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)


def wait_for_database(engine) -> None:  # noqa: ANN001 - sqlalchemy is imported lazily
    """The database may still be starting on first deploy; wait rather than crash-loop."""
    import sqlalchemy

    deadline = time.monotonic() + DATABASE_WAIT_SECONDS
    while True:
        try:
            with engine.connect() as connection:
                connection.execute(sqlalchemy.text("SELECT 1"))
            return
        # TokenError: the pod's AWS credentials may lag behind the pod (STS egress, IRSA webhook).
        except (sqlalchemy.exc.OperationalError, rds_iam.TokenError) as error:
            if time.monotonic() > deadline:
                raise
            log(f"database not reachable yet ({type(error).__name__}); retrying")
            time.sleep(3)


def migrate(
    tracking_uri: str,
    auth: dict[str, str] | None,
    database_auth: rds_iam.IamSettings | None,
) -> None:
    """Creates or upgrades the tracking schema, then the auth schema and the admin user, one
    process at a time (every uvicorn worker would otherwise try to create the admin at once)."""
    import sqlalchemy
    from sqlalchemy.pool import NullPool

    if database_auth is not None:
        # Normally done when the interpreter started (mlstack-rds-iam.pth); idempotent.
        rds_iam.install(database_auth)

    engine = sqlalchemy.create_engine(tracking_uri, poolclass=NullPool)
    if engine.dialect.name != "postgresql":
        log(f"backend is {engine.dialect.name}, not PostgreSQL: leaving schema management to MLflow")
        return
    wait_for_database(engine)
    with engine.connect() as lock:
        log("waiting for the schema migration lock")
        lock.execute(sqlalchemy.text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        try:
            if "alembic_version" in sqlalchemy.inspect(engine).get_table_names():
                from mlflow.db import upgrade

                log("upgrading the tracking schema (no-op when current)")
                upgrade.main(args=[tracking_uri], standalone_mode=False)
            else:
                from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

                log("creating the tracking schema")
                SqlAlchemyStore(tracking_uri, DEFAULT_ARTIFACT_ROOT)
            if auth:
                from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore as AuthStore

                log("bringing the auth schema to head (no-op when current)")
                store = AuthStore()
                store.init_db(auth["database_uri"])
                if not store.has_user(auth["admin_username"]):
                    log(f"creating the admin user {auth['admin_username']!r}")
                    store.create_user(auth["admin_username"], auth["admin_password"], is_admin=True)
        finally:
            lock.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
    engine.dispose()


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        log("usage: mlflow-entrypoint COMMAND [ARG...]")
        return 2
    env = os.environ
    try:
        if env.get("MLFLOW_BACKEND_STORE_URI"):
            env["MLFLOW_BACKEND_STORE_URI"] = normalise_database_uri(env["MLFLOW_BACKEND_STORE_URI"])
        database_auth = rds_iam.settings(env)
        if database_auth is not None:
            log(
                f"database authentication: AWS RDS IAM as {database_auth.user!r} "
                f"({database_auth.region}), a fresh token per connection, TLS verified"
            )
        settings = auth_settings(dict(env))
        if settings is not None:
            render_auth_config(settings, Path(env["MLFLOW_AUTH_CONFIG_PATH"]))
            # The server reads the password from the file; keep it out of its environment.
            env.pop("MLSTACK_AUTH_ADMIN_PASSWORD", None)
            log(f"rendered basic-auth settings to {env['MLFLOW_AUTH_CONFIG_PATH']}")
        if env.get("MLSTACK_MIGRATE_DATABASE", "false").lower() == "true":
            if not env.get("MLFLOW_BACKEND_STORE_URI"):
                raise ConfigurationError("MLSTACK_MIGRATE_DATABASE=true needs MLFLOW_BACKEND_STORE_URI")
            migrate(env["MLFLOW_BACKEND_STORE_URI"], settings, database_auth)
    except (ConfigurationError, rds_iam.ConfigurationError) as error:
        log(f"configuration error: {error}")
        return 64
    os.execvp(argv[1], argv[1:])
    return 0  # not reached: execvp replaces this process


if __name__ == "__main__":
    sys.exit(main(sys.argv))
