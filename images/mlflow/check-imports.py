"""Prove that the image's Python environment can run every mlstack program the image runs.

Usage: python check-imports.py [--mlflow-version X.Y.Z] [--programs FILE...]

The image runs four programs; PROGRAMS below holds, per program, the import statements it
depends on. Each statement is executed on its own in this interpreter; every failure is
reported (program, statement, error) and the exit status is 1. The Dockerfile runs this at
build time (a missing dependency fails the build) and test/real/mlflowImage.test.ts runs it in
the virtual environment built from the same inputs.

--programs FILE...  also reads the import statements of those mlstack sources (the entrypoint,
                    the RDS IAM hook, components/serving/streamConsumer.py; the image build has
                    only the first two) with `ast`, including imports inside functions, and fails
                    when one of them is neither standard library nor listed in PROGRAMS. A new
                    import in a program then fails the suite until this list - and so the build
                    check - covers it.
--mlflow-version    fails unless the installed MLflow is exactly that version.
--no-imports        runs only the two checks above (for tests of this script itself).

Standard library only (besides what it checks); prints one line per program on success.
"""

from __future__ import annotations

import argparse
import ast
import sys
import traceback

PROGRAMS: dict[str, str] = {
    # `mlflow server --app-name basic-auth` under uvicorn (the default server since MLflow 3.0;
    # mlflow/server/__init__.py `_run_server`), with the PostgreSQL stores (psycopg: SQLAlchemy
    # 2.1's driver for `postgresql://`), and the artifact repositories the platform's buckets use.
    "tracking server (mlflow server, basic-auth app)": """
import mlflow.cli
import uvicorn
import mlflow.server.fastapi_app
from mlflow.server.auth import create_app
import flask_wtf.csrf
import psycopg
import psycopg2
import mlflow.store.tracking.sqlalchemy_store
import mlflow.store.model_registry.sqlalchemy_store
import mlflow.server.auth.sqlalchemy_store
import mlflow.store.artifact.s3_artifact_repo
import boto3
import mlflow.store.artifact.gcs_artifact_repo
import google.cloud.storage
import gunicorn
""",
    # images/mlflow/mlflow-entrypoint.py: renders the auth ini, migrates under an advisory lock.
    "entrypoint (mlflow-entrypoint.py)": """
import mlstack_rds_iam
import sqlalchemy
from sqlalchemy.pool import NullPool
from mlflow.db import upgrade
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore as AuthStore
""",
    # images/mlflow/mlstack_rds_iam.py, loaded into every interpreter by mlstack-rds-iam.pth.
    "RDS IAM hook (mlstack_rds_iam.py)": """
import boto3
from sqlalchemy import event
from sqlalchemy.engine import Engine
""",
    # components/serving/streamConsumer.py: a model on the mlflow runtime streaming from Kafka.
    "stream consumer (streamConsumer.py)": """
import mlflow.pyfunc
import pandas
from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka import TopicPartition
from aws_msk_iam_sasl_signer import MSKAuthTokenProvider
import google.auth
import google.auth.transport.requests
""",
    # `mlflow models serve -m <uri> --env-manager local`: the FastAPI scoring server under
    # uvicorn (mlflow/pyfunc/scoring_server `get_cmd`; its `app` module loads a model when
    # imported, so the package is checked instead), and the scikit-learn flavor models are
    # commonly logged with.
    "model server (mlflow models serve)": """
import mlflow.models.cli
import mlflow.pyfunc.backend
import mlflow.pyfunc.scoring_server
import fastapi
import uvicorn
import mlflow.sklearn
import sklearn
""",
}


def statements(source: str, filename: str) -> list[ast.stmt]:
    """Every import statement in `source`, at any depth, in order."""
    tree = ast.parse(source, filename)
    found = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    return sorted(found, key=lambda node: (node.lineno, node.col_offset))


def imported_names(node: ast.stmt) -> set[tuple[str, str | None]]:
    """(module, name) pairs: `import a.b` -> (a.b, None); `from a import b, c` -> (a, b), (a, c)."""
    if isinstance(node, ast.Import):
        return {(alias.name, None) for alias in node.names}
    assert isinstance(node, ast.ImportFrom)
    if node.level:
        return set()  # relative: part of the program itself
    return {(node.module or "", alias.name) for alias in node.names}


def is_standard_library(module: str) -> bool:
    top = module.split(".")[0]
    return top == "__future__" or top in sys.stdlib_module_names


def check_programs() -> list[str]:
    failures = []
    for program, source in PROGRAMS.items():
        for node in statements(source, program):
            line = ast.unparse(node)
            try:
                exec(compile(ast.Module(body=[node], type_ignores=[]), program, "exec"), {})
            except Exception as error:  # noqa: BLE001 - any failure to import is the finding
                detail = traceback.format_exception_only(type(error), error)[-1].strip()
                failures.append(f"{program}: `{line}` failed: {detail}")
        if not any(f.startswith(f"{program}:") for f in failures):
            print(f"check-imports: ok: {program}")
    return failures


def check_coverage(files: list[str]) -> list[str]:
    listed: set[tuple[str, str | None]] = set()
    for program, source in PROGRAMS.items():
        for node in statements(source, program):
            listed |= imported_names(node)
    failures = []
    for file in files:
        with open(file, encoding="utf-8") as handle:
            source = handle.read()
        for node in statements(source, file):
            for module, name in sorted(imported_names(node), key=str):
                if is_standard_library(module) or (module, name) in listed:
                    continue
                shown = f"import {module}" if name is None else f"from {module} import {name}"
                failures.append(
                    f"{file}:{node.lineno}: `{shown}` is not in check-imports.py's PROGRAMS, so the image "
                    "build does not prove it can be imported; add it to the program that runs this file"
                )
    return failures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mlflow-version")
    parser.add_argument("--programs", nargs="*", default=[])
    parser.add_argument("--no-imports", action="store_true")
    args = parser.parse_args(argv)
    failures = check_coverage(args.programs)
    if args.mlflow_version:
        from importlib.metadata import version

        installed = version("mlflow")
        if installed != args.mlflow_version:
            failures.append(f"MLflow is {installed}, expected {args.mlflow_version} (MLFLOW_VERSION)")
    if not args.no_imports:
        failures += check_programs()
    for failure in failures:
        print(f"check-imports: FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
