"""Time MLflow's `log_metric` against a tracking server: one synchronous REST call per metric.

Usage: python mlflow_log_metric.py CALLS
Environment: MLFLOW_TRACKING_URI, MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD.
Prints `calls seconds` for CALLS calls, after 20 unmeasured warm-up calls in the same run.
"""

import sys
import time

import mlflow

WARM_UP = 20


def main(calls: int) -> int:
    mlflow.set_experiment("bench-log-metric")
    with mlflow.start_run():
        for step in range(WARM_UP):
            mlflow.log_metric("warm_up", step, step=step)
        started = time.perf_counter()
        for step in range(calls):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        elapsed = time.perf_counter() - started
    print(f"{calls} {elapsed:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
