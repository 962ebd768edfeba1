/**
 * The orchestrator's image: Prefect's official image, pinned by version. The same version is what
 * the real-process test installs from PyPI (test/real/support/orchestratorEnv.ts), so the server,
 * the Kubernetes worker and the flow runs that test exercises are the ones the pods run.
 *
 * Source: PyPI `prefect` 3.9.1 (https://pypi.org/project/prefect/3.9.1/) and its image tags
 * `prefecthq/prefect:<version>-python<python>` on Docker Hub (https://hub.docker.com/r/prefecthq/prefect),
 * built by PrefectHQ/prefect's `Dockerfile` (the `prefect` console script on PATH, `/opt/prefect`
 * workdir; it runs whatever UID the pod gives it, see README.md "OpenShift").
 */
import { PINS } from "../versions/pins";

/** The `prefect` release the image and the real-process test share. */
export const PREFECT_VERSION = PINS.prefect.version;

/** The Python of the official image variant used (the image's default interpreter). */
export const PREFECT_IMAGE_PYTHON = "3.12";

/** The official image, pinned by version (override with `mlstack:orchestrator.image`, e.g. to a digest). */
export const PREFECT_IMAGE = `docker.io/prefecthq/prefect:${PREFECT_VERSION}-python${PREFECT_IMAGE_PYTHON}`;

/**
 * `prefect-kubernetes` release installed into the worker (the Kubernetes worker lives in this
 * collection, not in `prefect` itself). Source: https://pypi.org/project/prefect-kubernetes/0.8.0/
 */
export const PREFECT_KUBERNETES_VERSION = "0.8.0";
