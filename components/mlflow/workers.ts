/**
 * How many server worker processes fit the container. Each uvicorn worker imports all of
 * MLflow (about 250–400 MiB resident under load), and MLflow's own default of 4 workers would be
 * OOM-killed under the dev memory limit of 1Gi. One worker per 512Mi of the memory limit,
 * between 1 and 4, keeps headroom for artifact uploads buffered by the proxy.
 */

const MEBIBYTE = 1024 * 1024;
const BYTES_PER_WORKER = 512 * MEBIBYTE;
export const MAX_DEFAULT_WORKERS = 4;

const SUFFIXES: Record<string, number> = {
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: MEBIBYTE,
  Gi: 1024 * MEBIBYTE,
  Ti: 1024 * 1024 * MEBIBYTE,
  Pi: 1024 * 1024 * 1024 * MEBIBYTE,
  Ei: 1024 * 1024 * 1024 * 1024 * MEBIBYTE,
};

/** A Kubernetes memory quantity (`1Gi`, `512Mi`, `2G`, `1e9`, `1073741824`) in bytes. */
export function quantityBytes(quantity: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(?:[eE]([0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?)$/.exec(
    quantity.trim(),
  );
  if (!match) {
    throw new Error(`Mlflow: "${quantity}" is not a Kubernetes memory quantity (e.g. 512Mi, 2Gi)`);
  }
  const [, number, exponent, suffix] = match;
  const multiplier = exponent !== undefined ? 10 ** Number(exponent) : SUFFIXES[suffix ?? ""];
  return Number(number) * multiplier;
}

/** Workers for a memory limit (`mlstack:mlflow.resources.limits.memory`). */
export function defaultWorkers(memoryLimit: string): number {
  const fit = Math.floor(quantityBytes(memoryLimit) / BYTES_PER_WORKER);
  return Math.min(MAX_DEFAULT_WORKERS, Math.max(1, fit));
}
