/**
 * The Prefect processes the orchestrator's pods run, as argument vectors of the `prefect` CLI
 * (Prefect 3.9.1, `prefect server start|services start|database upgrade`, `prefect work-pool create`,
 * `prefect worker start`). Shared by the component and the real-process test, which runs these
 * very commands from the PyPI package.
 */

/** The port Prefect's API/UI server listens on (Prefect's default, 4200). */
export const PREFECT_PORT = 4200;
/** The worker's folder (its working directory): the pool's template and its prefect.toml. */
export const WORKER_CONFIG_DIR = "/etc/prefect";
export const BASE_JOB_TEMPLATE_FILE = "base-job-template.json";
export const BASE_JOB_TEMPLATE_PATH = `${WORKER_CONFIG_DIR}/${BASE_JOB_TEMPLATE_FILE}`;
/** The worker's health endpoint (`--with-healthcheck`, `worker.webserver.port`). */
export const WORKER_HEALTH_PORT = 8080;

/**
 * The worker's prefect.toml. The worker copies its own settings into every Job it creates; these
 * make it hand the credential over as a `secretKeyRef` (`authSecretName`, `authStringKey`) instead of a literal
 * (prefect-kubernetes 0.8.0, `KubernetesWorker._create_job`), so it never lands in a Job spec. In a
 * file rather than env: `…_SECRET_KEY` env names read as credentials to every scanner, the policy
 * pack included. Prefect reads prefect.toml from the working directory.
 */
export function workerSettingsToml(authSecretName: string, authStringKey: string): string {
  return [
    "[integrations.kubernetes.worker]",
    `api_auth_string_secret_name = ${JSON.stringify(authSecretName)}`,
    `api_auth_string_secret_key = ${JSON.stringify(authStringKey)}`,
    "",
  ].join("\n");
}

/**
 * API, UI and the background services in one process. The services that record task runs and
 * events consume what the API receives through Prefect's messaging broker, which is in memory
 * unless Redis is configured (`prefect-redis`): splitting them into another pod, or running a
 * second API replica, would lose those records. One process it is.
 */
export function serverArgs(host: string, port: number): string[] {
  return ["prefect", "server", "start", "--host", host, "--port", String(port)];
}

/** Creates or upgrades the schema (the server pod's init container; one pod at a time). */
export const MIGRATE_ARGS = ["prefect", "server", "database", "upgrade", "-y"];

/** Creates the pipeline's work pool with the platform's job template, or replaces its template. */
export function createWorkPoolArgs(pool: string): string[] {
  return [
    "prefect",
    "work-pool",
    "create",
    pool,
    "--type",
    "kubernetes",
    "--base-job-template",
    BASE_JOB_TEMPLATE_PATH,
    "--overwrite",
  ];
}

/** The Kubernetes worker polling the pipeline's pool. */
export function workerArgs(pool: string, workerName: string): string[] {
  return [
    "prefect",
    "worker",
    "start",
    "--pool",
    pool,
    "--type",
    "kubernetes",
    "--name",
    workerName,
    "--with-healthcheck",
  ];
}
