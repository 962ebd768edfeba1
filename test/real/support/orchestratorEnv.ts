/**
 * The orchestrator's Python environment for the real-process tests: `prefect` from PyPI at the
 * version the component's image is pinned to (components/orchestrator/image.ts), plus the MLflow
 * client at the version of images/mlflow, so a flow can log to the real tracking server.
 *
 * API: orchestratorEnv(): PythonEnv (cached under .cache/python, see pythonEnv.ts)
 */
import * as path from "node:path";
import { PREFECT_VERSION } from "../../../components/orchestrator/image";
import { mlflowImageVersion } from "./mlflowImageEnv";
import { ensurePythonEnv, PythonEnv, REPO_ROOT } from "./pythonEnv";

export const ORCHESTRATOR_IMAGE_FILE = path.join(REPO_ROOT, "components", "orchestrator", "image.ts");

export function orchestratorEnv(): PythonEnv {
  return ensurePythonEnv({
    name: "prefect",
    // The `kubernetes` extra is what the worker image adds (prefect-kubernetes: the Kubernetes worker
    // and its base job template); mlflow-skinny is the tracking client without the server's
    // dependencies, at the server's release.
    pipArgs: [`prefect[kubernetes]==${PREFECT_VERSION}`, `mlflow-skinny==${mlflowImageVersion()}`],
    inputs: [ORCHESTRATOR_IMAGE_FILE],
  });
}
