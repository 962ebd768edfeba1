/**
 * How the database and bucket grants become the tracking server's environment and volumes.
 *
 * MLflow reads its backend store from `MLFLOW_BACKEND_STORE_URI` and an S3-compatible endpoint
 * from `MLFLOW_S3_ENDPOINT_URL`; the grants hand over `DATABASE_URL` (a `secretKeyRef`) and
 * `AWS_ENDPOINT_URL`. The mapping copies the reference (`valueFrom`), never a value, so a
 * credential never appears in the pod spec, the container args or the stack state.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { WorkloadAccess } from "../identity/contract";

type EnvVar = k8s.types.input.core.v1.EnvVar;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

/** Env names that must never carry a literal value (the policy pack's k8s-no-secret-literals-in-env). */
const SECRET_LIKE_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|(^|_)KEY($|_)|DATABASE_URL)/i;

/** The env entry a grant hands over under a literal name, if any. */
export function findEnv(env: EnvVar[], name: string): EnvVar | undefined {
  return env.find((e) => e.name === name);
}

/** True when `valueFrom` is a `secretKeyRef`, or an Output that cannot be inspected before deployment. */
function isSecretReference(entry: EnvVar): boolean {
  if (entry.value !== undefined || entry.valueFrom === undefined) return false;
  if (pulumi.Output.isInstance(entry.valueFrom)) return true;
  const source = entry.valueFrom as k8s.types.input.core.v1.EnvVarSource;
  return source.secretKeyRef !== undefined;
}

/**
 * Refuses a grant that hands a secret-looking variable over as a literal value (or a PEM block
 * under any name): it would land in the Deployment in plain text.
 */
export function assertNoLiteralSecrets(argName: string, env: EnvVar[]): void {
  for (const entry of env) {
    if (typeof entry.name !== "string" || typeof entry.value !== "string") continue;
    if (SECRET_LIKE_NAME.test(entry.name) || entry.value.includes("-----BEGIN")) {
      throw new Error(
        `Mlflow: ${argName} env ${entry.name} carries a literal value; secrets must arrive as a secretKeyRef ` +
          "(fix the grant that produced it)",
      );
    }
  }
}

/**
 * `MLFLOW_BACKEND_STORE_URI`, referencing the same Secret key as the grant's `DATABASE_URL`.
 * Throws when the grant has no `DATABASE_URL` or hands it over as anything but a `secretKeyRef`.
 */
export function backendStoreUriEnv(database: WorkloadAccess): EnvVar {
  const url = findEnv(database.env, "DATABASE_URL");
  if (!url) {
    const names = database.env.map((e) => (typeof e.name === "string" ? e.name : "<computed>")).join(", ");
    throw new Error(
      `Mlflow: args.database has no DATABASE_URL env (got: ${names || "none"}); ` +
        "pass the WorkloadAccess returned by PostgresService.grantDatabase",
    );
  }
  if (!isSecretReference(url)) {
    throw new Error(
      "Mlflow: args.database env DATABASE_URL is not a secretKeyRef; the connection URI carries a password " +
        "and must reach the pod from a Secret",
    );
  }
  return { name: "MLFLOW_BACKEND_STORE_URI", valueFrom: url.valueFrom };
}

/** The same reference under another name (the auth database URI is the tracking database's). */
export function renameEnv(entry: EnvVar, name: string): EnvVar {
  return entry.valueFrom !== undefined ? { name, valueFrom: entry.valueFrom } : { name, value: entry.value };
}

/**
 * `MLFLOW_S3_ENDPOINT_URL` when the bucket grant names an S3-compatible endpoint
 * (`AWS_ENDPOINT_URL`: ObjectBucketClaim, external S3); nothing on AWS S3 and GCS, where the
 * SDKs use the provider's endpoint. boto3 honours `AWS_ENDPOINT_URL` itself; MLflow's own
 * setting is still read by its multipart-upload and presigned-URL paths, so both are set.
 */
export function s3EndpointEnv(artifacts: WorkloadAccess): EnvVar[] {
  const endpoint = findEnv(artifacts.env, "AWS_ENDPOINT_URL");
  return endpoint ? [renameEnv(endpoint, "MLFLOW_S3_ENDPOINT_URL")] : [];
}

/** A stable comparison key for plain objects; Outputs compare as distinct. */
function fingerprint(value: unknown): string | undefined {
  try {
    return JSON.stringify(value, (_key, v: unknown) => {
      if (pulumi.Output.isInstance(v)) throw new Error("output");
      return v;
    });
  } catch {
    return undefined;
  }
}

function mergeBy<T>(what: string, key: (item: T) => unknown, ...lists: T[][]): T[] {
  const merged = new Map<unknown, T>();
  for (const item of lists.flat()) {
    const k = key(item);
    const existing = merged.get(k);
    if (existing === undefined) {
      merged.set(k, item);
      continue;
    }
    const same = fingerprint(existing);
    if (same === undefined || same !== fingerprint(item)) {
      throw new Error(`Mlflow: two grants declare different ${what} ${String(k)}; a pod cannot carry both`);
    }
  }
  return [...merged.values()];
}

/** Volumes of several grants; identical duplicates (a shared CA bundle) collapse, conflicts throw. */
export function mergeVolumes(...lists: Volume[][]): Volume[] {
  return mergeBy("volumes named", (v) => v.name, ...lists);
}

/** Mounts of several grants; identical duplicates collapse, two mounts at one path throw. */
export function mergeVolumeMounts(...lists: VolumeMount[][]): VolumeMount[] {
  return mergeBy("volume mounts at", (m) => m.mountPath, ...lists);
}
