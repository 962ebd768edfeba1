"""Log to a real MLflow tracking server through the MLflow client, then read everything back.

Usage: python mlflow_client_roundtrip.py WORK_DIR
Environment: MLFLOW_TRACKING_URI, MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD.

Logs one run (params, a metric history, an artifact file) and a pyfunc model registered as
a new registered model, then reads them back through a fresh client: the run's params and
metric history, the artifact's bytes (downloaded through the server's artifact proxy), the
registered model's version and its predictions after loading it from `models:/`. Prints one
JSON object with what it read; exits non-zero on any failure.
"""

from __future__ import annotations

import json
import os
import sys
import uuid

import mlflow
import mlflow.pyfunc
import pandas
from mlflow import MlflowClient


class AddOne(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):  # noqa: ARG002 - pyfunc signature
        return model_input["x"] + 1


def main(work_dir: str) -> int:
    suffix = uuid.uuid4().hex[:8]
    experiment = f"roundtrip-{suffix}"
    model_name = f"roundtrip-model-{suffix}"
    artifact_text = f"artifact {suffix}\n"
    artifact_path = os.path.join(work_dir, "notes.txt")
    with open(artifact_path, "w", encoding="utf-8") as handle:
        handle.write(artifact_text)

    mlflow.set_experiment(experiment)
    with mlflow.start_run() as run:
        mlflow.log_params({"alpha": "0.5", "solver": "lbfgs"})
        for step, value in enumerate([0.9, 0.7, 0.4]):
            mlflow.log_metric("loss", value, step=step)
        mlflow.log_artifact(artifact_path, artifact_path="docs")
        logged = mlflow.pyfunc.log_model(
            name="model",
            python_model=AddOne(),
            registered_model_name=model_name,
            input_example=pandas.DataFrame({"x": [1.0]}),
            # Listed, not inferred: inference loads the model in a child interpreter (seconds).
            pip_requirements=[f"mlflow=={mlflow.__version__}", f"pandas=={pandas.__version__}"],
        )
    run_id = run.info.run_id

    client = MlflowClient()
    read = client.get_run(run_id)
    history = client.get_metric_history(run_id, "loss")
    downloaded = client.download_artifacts(run_id, "docs/notes.txt", work_dir)
    with open(downloaded, encoding="utf-8") as handle:
        downloaded_text = handle.read()
    versions = client.search_model_versions(f"name = '{model_name}'")
    model = mlflow.pyfunc.load_model(f"models:/{model_name}/1")
    predictions = model.predict(pandas.DataFrame({"x": [1.0, 2.0]}))

    print(
        json.dumps(
            {
                "run_id": run_id,
                "experiment_id": run.info.experiment_id,
                "artifact_uri": read.info.artifact_uri,
                "params": read.data.params,
                "loss_history": [[m.step, m.value] for m in sorted(history, key=lambda m: m.step)],
                "artifact_matches": downloaded_text == artifact_text,
                "artifacts": [a.path for a in client.list_artifacts(run_id, "docs")],
                "model_name": model_name,
                "model_versions": sorted(v.version for v in versions),
                "model_source_run": logged.run_id,
                "predictions": [float(p) for p in predictions],
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
