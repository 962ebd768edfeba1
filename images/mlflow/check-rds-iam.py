"""Build step: prove the RDS IAM hook works with this image's SQLAlchemy, psycopg2 and boto3.

Usage: /opt/mlflow/bin/python check-rds-iam.py

Starts a fresh interpreter of the virtual environment the way a pod would (DATABASE_AUTH_METHOD
and the grant's variables set, so mlstack-rds-iam.pth activates the hook), creates a real
PostgreSQL engine and intercepts its connect attempts after the hook ran, before any network
traffic. It checks that SQLAlchemy was not imported at interpreter start, and that each attempt
carried a token signed for the URL's host, port and user, sslmode verify-full and the image's CA
bundle. Signing needs credentials, not a network: placeholder static keys are used, and nothing
reaches AWS. Fails the build (exit 1) otherwise. Not copied into the runtime image.
"""

from __future__ import annotations

import os
import subprocess
import sys

HOST = "mlflow.build-check.eu-west-1.rds.amazonaws.com"
CHILD = f"""
import sys
assert "sqlalchemy" not in sys.modules, "the hook imported SQLAlchemy at interpreter start"
import sqlalchemy
from sqlalchemy import event
import mlstack_rds_iam

class Intercepted(Exception):
    pass

engine = sqlalchemy.create_engine("postgresql+psycopg2://mlflow@{HOST}:5432/mlflow?sslmode=require")

@event.listens_for(engine, "do_connect")
def intercept(dialect, conn_rec, cargs, cparams):
    raise Intercepted(dict(cparams))

attempts = []
for _ in range(2):
    try:
        engine.connect()
    except Intercepted as intercepted:
        attempts.append(intercepted.args[0])
assert len(attempts) == 2, attempts
for cparams in attempts:
    assert cparams["sslmode"] == "verify-full", cparams["sslmode"]
    assert cparams["sslrootcert"] == mlstack_rds_iam.DEFAULT_CA_BUNDLE, cparams["sslrootcert"]
    token = cparams["password"]
    assert token.startswith("{HOST}:5432/?") and "Action=connect" in token and "DBUser=mlflow" in token, (
        "the password is not an RDS IAM token"
    )
    assert "X-Amz-Signature=" in token and "X-Amz-Expires=900" in token, (
        "the token is not a 15-minute presigned URL"
    )
print("check-rds-iam: tokens signed per connection, TLS verify-full against the RDS CA bundle")
"""


def main() -> int:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": "/tmp",
        "DATABASE_AUTH_METHOD": "aws-rds-iam",
        "AWS_REGION": "eu-west-1",
        "PGHOST": HOST,
        "PGPORT": "5432",
        "PGUSER": "mlflow",
        "PGSSLMODE": "require",
        # Placeholders: SigV4 signing is local; no request is sent with them.
        "AWS_ACCESS_KEY_ID": "build-check",
        "AWS_SECRET_ACCESS_KEY": "build-check",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    result = subprocess.run([sys.executable, "-c", CHILD], env=env, check=False)
    return 0 if result.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
