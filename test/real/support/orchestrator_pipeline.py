"""A small training pipeline, run as a Prefect flow against the real Prefect server.

Tasks: make a noisy linear data set, fit y = a*x + b by least squares (pure Python: the
flow-run image needs nothing beyond Prefect and the MLflow client), evaluate, and log the
parameters and metrics to the real MLflow tracking server with the credentials it was given.

Reads PREFECT_API_URL / PREFECT_API_AUTH_STRING and MLFLOW_TRACKING_URI / _USERNAME / _PASSWORD
from the environment, as a flow-run pod does. Prints one JSON line:
{"flow_run_id": ..., "mlflow_run_id": ..., "rmse": ...}.
"""

import json
import math
import random
import sys

import mlflow
from prefect import flow, task
from prefect.runtime import flow_run


@task
def make_data(n: int, seed: int) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    return [(x, 3.0 * x + 2.0 + rng.gauss(0.0, 0.1)) for x in (i / n for i in range(n))]


@task
def fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x, _ in points)
    return slope, mean_y - slope * mean_x


@task
def evaluate(points: list[tuple[float, float]], model: tuple[float, float]) -> float:
    slope, intercept = model
    return math.sqrt(sum((y - (slope * x + intercept)) ** 2 for x, y in points) / len(points))


@flow(name="train-linear-model")
def train(n: int = 200, seed: int = 7) -> dict:
    points = make_data(n, seed)
    model = fit(points)
    rmse = evaluate(points, model)
    mlflow.set_experiment("orchestrator-real-test")
    with mlflow.start_run(run_name=f"prefect-{flow_run.get_id()}") as run:
        mlflow.log_params({"n": n, "seed": seed, "prefect_flow_run_id": flow_run.get_id()})
        mlflow.log_metrics({"rmse": rmse, "slope": model[0], "intercept": model[1]})
    return {"flow_run_id": flow_run.get_id(), "mlflow_run_id": run.info.run_id, "rmse": rmse}


if __name__ == "__main__":
    result = train()
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
