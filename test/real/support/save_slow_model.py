"""Saves a trivial MLflow pyfunc model for the real-process serving tests.

usage: save_slow_model.py <folder> <load seconds> [<artifact URI>]

The model doubles the column `x` of its input. Its `load_context` sleeps for <load seconds> and then
prints LOADED_MARKER to stderr, so a test can tell from the runtime's log whether the model has
finished loading and see that the runtime's readiness probe did not answer 200 before that.
Run with the MLflow image's Python environment: the model is saved the way a user saves it, and
with an artifact URI (s3://bucket/path, gs://...) also uploaded there by MLflow's artifact
repository for that URI, the code that stores a run's logged model in its bucket.
"""

import sys

import mlflow.pyfunc
from mlflow.models import infer_signature
import pandas as pd

LOADED_MARKER = "mlstack-test-model: loaded"


class SlowDoubler(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        import sys as _sys
        import time

        time.sleep(float(context.model_config.get("load_seconds", 0)))
        print(LOADED_MARKER, file=_sys.stderr, flush=True)

    def predict(self, context, model_input, params=None):
        return model_input[["x"]] * 2


if __name__ == "__main__":
    folder, load_seconds = sys.argv[1], float(sys.argv[2])
    artifact_uri = sys.argv[3] if len(sys.argv) > 3 else None
    mlflow.pyfunc.save_model(
        folder,
        python_model=SlowDoubler(),
        model_config={"load_seconds": load_seconds},
        # Given, not inferred from an input example: inferring it would run the slow load here.
        signature=infer_signature(pd.DataFrame({"x": [1.0]}), pd.DataFrame({"x": [2.0]})),
    )
    if artifact_uri:
        from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

        get_artifact_repository(artifact_uri).log_artifacts(folder)
