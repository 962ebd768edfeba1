/**
 * MLflow's `log_metric` rate against the real tracking server (support/mlflowServer.ts: the dev
 * stack's rendered Deployment, basic auth on, PostgreSQL over TLS, moto S3), for
 * `npm run bench:runtime` (runtime.ts beside this file). One client logs 200 metrics one by
 * one, each a synchronous authenticated REST call and a database write, after a warm-up.
 * Nothing is asserted: the figure depends on the machine. With basic auth on, each request
 * verifies the admin's password against its scrypt hash (werkzeug's default, N=32768), which
 * dominates the figure on a small machine; `mlflow.log_metrics` / `log_batch` pay it once per batch.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { mlflowImageEnv, mlflowImageProcessEnv } from "../support/mlflowImageEnv";
import { startMlflowStack } from "../support/mlflowServer";

const CALLS = 200;
const SCRIPT = path.join(__dirname, "mlflow_log_metric.py");

export async function measureMlflowLogMetric(): Promise<Record<string, string>> {
  const image = mlflowImageEnv();
  const stack = await startMlflowStack("dev");
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-bench-mlflow-"));
  try {
    const run = spawnSync(image.python, [SCRIPT, String(CALLS)], {
      encoding: "utf8",
      cwd: work,
      env: mlflowImageProcessEnv(image, { ...stack.mlflow.clientEnv(), HOME: work, TMPDIR: work }),
      timeout: 15 * 60_000,
    });
    if (run.status !== 0) throw new Error(`mlflow_log_metric.py failed (exit ${run.status}):\n${run.stderr}`);
    const [calls, seconds] = run.stdout.trim().split("\n").pop()!.split(" ").map(Number);
    return {
      mlflow_log_metric_per_s: (calls / seconds).toFixed(1),
      mlflow_log_metric_calls: String(calls),
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    await stack.stop();
  }
}
