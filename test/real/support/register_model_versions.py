"""Registers versions of a tiny pyfunc model in a real MLflow tracking server and moves an alias.

usage: register_model_versions.py <registered name> <version label>... -- <alias> <label to point at>
       register_model_versions.py --set-alias <registered name> <alias> <version number>

Run with the MLflow image's Python environment and MLFLOW_TRACKING_URI / _USERNAME / _PASSWORD of
a user who may create registered models. Each version carries an artifact `marker.txt` holding its
label, so a test can tell which version a download is. Prints one JSON line: label -> version number.
"""

import json
import sys
import tempfile
from pathlib import Path

import mlflow
import mlflow.pyfunc
from mlflow import MlflowClient


class Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input


def register(name: str, labels: list[str]) -> dict[str, str]:
    versions = {}
    with tempfile.TemporaryDirectory() as scratch:
        for label in labels:
            marker = Path(scratch) / f"{label}.txt"
            marker.write_text(label, encoding="utf-8")
            with mlflow.start_run():
                info = mlflow.pyfunc.log_model(
                    name="model",
                    python_model=Echo(),
                    artifacts={"marker": str(marker)},
                    registered_model_name=name,
                )
            versions[label] = str(info.registered_model_version)
    return versions


if __name__ == "__main__":
    if sys.argv[1] == "--set-alias":
        _, _, name, alias, version = sys.argv
        MlflowClient().set_registered_model_alias(name, alias, version)
        print(json.dumps({"alias": alias, "version": version}))
    else:
        name, labels = sys.argv[1], sys.argv[2:]
        print(json.dumps(register(name, labels)))
