/**
 * How many server worker processes fit the container. Each uvicorn worker imports all of
 * MLflow (about 250–400 MiB resident under load), and MLflow's own default of 4 workers would be
 * OOM-killed under the dev memory limit of 1Gi. One worker per 512Mi of the memory limit,
 * between 1 and 4, keeps headroom for artifact uploads buffered by the proxy.
 */

import { memoryBytes } from "../kube/quantity";

const MEBIBYTE = 1024 * 1024;
const BYTES_PER_WORKER = 512 * MEBIBYTE;
export const MAX_DEFAULT_WORKERS = 4;

/** A Kubernetes memory quantity (`1Gi`, `512Mi`, `2G`, `1e9`, `1073741824`) in bytes (one shared parser). */
export function quantityBytes(quantity: string): number {
  const bytes = memoryBytes(quantity.trim());
  if (bytes === undefined) {
    throw new Error(`Mlflow: "${quantity}" is not a Kubernetes memory quantity (e.g. 512Mi, 2Gi)`);
  }
  return bytes;
}

/** Workers for a memory limit (`mlstack:mlflow.resources.limits.memory`). */
export function defaultWorkers(memoryLimit: string): number {
  const fit = Math.floor(quantityBytes(memoryLimit) / BYTES_PER_WORKER);
  return Math.min(MAX_DEFAULT_WORKERS, Math.max(1, fit));
}
