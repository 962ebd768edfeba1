"""The trivial model the stream consumer tests and bench score with: an MLflow pyfunc that doubles
each row's `amount` and fails on a row without one (as a model fails on a schema mismatch).

Usage (run with the MLflow image's interpreter):
  python stream_model.py log        logs it to the tracking server at MLFLOW_TRACKING_URI (with
                                    MLFLOW_TRACKING_USERNAME / _PASSWORD) in a run of experiment
                                    `stream-consumer`, and prints {"run_id", "model_uri"} as JSON
  python stream_model.py publish <model uri> <s3://bucket/prefix>
                                    copies a logged model's files to where a serving config's
                                    `source` points (with MLFLOW_S3_ENDPOINT_URL and AWS_* set)
"""

import json
import os
import sys
import tempfile

import mlflow
import mlflow.pyfunc


class DoubleAmount(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return (model_input["amount"] * 2).tolist()


def log():
    mlflow.set_experiment("stream-consumer")
    with mlflow.start_run() as run:
        info = mlflow.pyfunc.log_model(name="model", python_model=DoubleAmount(), pip_requirements=[])
    print(json.dumps({"run_id": run.info.run_id, "model_uri": info.model_uri}))


def publish(model_uri, target):
    import boto3

    bucket, _, prefix = target[len("s3://") :].partition("/")
    s3 = boto3.client("s3", endpoint_url=os.environ.get("MLFLOW_S3_ENDPOINT_URL"))
    with tempfile.TemporaryDirectory() as scratch:
        local = mlflow.artifacts.download_artifacts(artifact_uri=model_uri, dst_path=scratch)
        count = 0
        for folder, _dirs, files in os.walk(local):
            for name in files:
                path = os.path.join(folder, name)
                key = f"{prefix.rstrip('/')}/{os.path.relpath(path, local)}"
                s3.upload_file(path, bucket, key)
                count += 1
    print(json.dumps({"uploaded": count, "target": target}))


if __name__ == "__main__":
    if sys.argv[1] == "log":
        log()
    elif sys.argv[1] == "publish":
        publish(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(f"unknown command {sys.argv[1]!r}: log or publish")
