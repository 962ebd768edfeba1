/**
 * The Python environment of the MLServer runtime image, for the real-process serving tests.
 *
 * The platform runs MLServer from `DEFAULT_RUNTIME_IMAGES.mlserver` (docker.io/seldonio/mlserver:
 * <version>); that image carries `mlserver` and the `mlserver-mlflow` runtime at the same version,
 * and both are on PyPI. The version is read from the pinned image tag, so bumping the image
 * rebuilds this environment.
 *
 * MLflow: `mlserver-mlflow` 1.7.1 requires only `mlflow>=2.19.0` (its wheel's METADATA; upstream
 * runtimes/mlflow/pyproject.toml says `mlflow = "*"`). The models it serves are logged with the
 * MLflow of the mlstack MLflow image (images/mlflow/Dockerfile, `ARG MLFLOW_VERSION`), so the
 * environment pins that same MLflow: a pyfunc model is loaded by the MLflow version it was logged
 * with. Its other requirements (fastapi < 0.116, protobuf < 7, pydantic 2) resolve together with
 * it.
 *
 * uvloop: MLServer 1.7.1 asks for any uvloop, and its image installs the one its poetry.lock pins,
 * 0.21.0. uvloop 0.22 made `asyncio.get_event_loop()` raise outside a running loop, which MLServer's
 * inference worker calls at start (mlserver/parallel/worker.py `_ignore_signals`): with it every
 * worker dies and no model loads. So the image's pin is kept here.
 *
 * The interpreter is Debian's (as for the MLflow image's environment): the runtime runs as the
 * pod's non-root UID, which must be able to execute it.
 */
import { DEFAULT_RUNTIME_IMAGES } from "../../../stacks/config/defaults";
import { mlflowImageVersion, SYSTEM_PYTHON } from "./mlflowImageEnv";
import { ensurePythonEnv, PythonEnv } from "./pythonEnv";

/** The MLServer version of the pinned runtime image (its tag). */
export function mlserverImageVersion(image: string = DEFAULT_RUNTIME_IMAGES.mlserver): string {
  const match = /:(\d+\.\d+\.\d+)$/.exec(image);
  if (!match) throw new Error(`the MLServer runtime image '${image}' has no x.y.z version tag`);
  return match[1];
}

/** The pip arguments of the environment (exported so a test can show what it runs). */
export function mlserverPipArgs(): string[] {
  const version = mlserverImageVersion();
  return [
    `mlserver==${version}`,
    `mlserver-mlflow==${version}`,
    `mlflow==${mlflowImageVersion()}`,
    // The MLServer image's lock (SeldonIO/MLServer poetry.lock at 1.7.x); see the header.
    "uvloop==0.21.0",
  ];
}

/** Builds (or reuses from `.cache/python`) the MLServer environment; `bin/mlserver` is its CLI. */
export function mlserverImageEnv(): PythonEnv {
  return ensurePythonEnv({
    name: "mlserver-image",
    interpreter: SYSTEM_PYTHON,
    pipArgs: mlserverPipArgs(),
    inputs: [],
  });
}
