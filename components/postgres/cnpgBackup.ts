/**
 * Backups of a CloudNativePG cluster through the Barman Cloud plugin (CNPG-I): a
 * `barmancloud.cnpg.io/v1` ObjectStore describing the bucket, referenced from the Cluster's
 * `spec.plugins` as WAL archiver, plus a ScheduledBackup with `method: plugin`.
 *
 * Why the plugin and not the in-tree `spec.backup.barmanObjectStore`: the in-tree integration has
 * been deprecated since CloudNativePG 1.26 and its removal is scheduled (1.31 at the time of
 * writing); a platform built on it today faces a forced migration of every cluster within a
 * release or two. The plugin is the maintained path, runs barman-cloud in its own sidecar (so the
 * operand image can be the `standard` one, without Barman), and keeps retention next to the store
 * definition. Cost: the plugin must be installed next to the operator (it needs cert-manager, or
 * provided certificates, for its gRPC TLS with the operator) — a prerequisite of backups, like the
 * operator itself.
 *
 * The cluster is a workload of the backup bucket like any other: the bucket's `grantAccess` hands
 * it endpoint, key-pair references, CA and egress, which are translated here into what the
 * plugin understands. The plugin's sidecar mounts everything the postgres container mounts, so a
 * CA delivered as a volume reaches barman-cloud through the Cluster's `projectedVolumeTemplate`
 * (mounted at `/projected`), and `AWS_CA_BUNDLE` points there.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { WorkloadAccess } from "../identity/contract";
import type { Bucket } from "../objectstore/contract";
import type { ContainerResources } from "../kube/containerResources";
import type { ObjectStoreSpec } from "../crds/barmancloud.cnpg.io/v1";

/** The plugin's registered name, as clusters and backups reference it. */
export const BARMAN_CLOUD_PLUGIN = "barman-cloud.cloudnative-pg.io";

/** Where CloudNativePG mounts `spec.projectedVolumeTemplate` in every instance container (and the plugin sidecar). */
export const CNPG_PROJECTED_ROOT = "/projected";

/** Sidecar sizing: barman-cloud streams WAL and base backups; uploads are multipart and bounded. */
export const DEFAULT_BACKUP_SIDECAR_RESOURCES: ContainerResources = {
  requests: { cpu: "100m", memory: "256Mi" },
  limits: { cpu: "1", memory: "1Gi" },
};

type EnvVar = k8s.types.input.core.v1.EnvVar;
type ProjectedSource = k8s.types.input.core.v1.VolumeProjection;

export interface BarmanBackupInputs {
  /** For error messages. */
  where: string;
  bucket: Bucket;
  /** The cluster's grant on the bucket. */
  grant: WorkloadAccess;
  retentionDays: number;
  sidecarResources: ContainerResources;
}

export interface BarmanBackupSettings {
  /** `spec` of the barmancloud.cnpg.io/v1 ObjectStore (typed by the pinned plugin's CRD). */
  objectStoreSpec: ObjectStoreSpec;
  /** Sources to add to the Cluster's projectedVolumeTemplate (the endpoint CA, when there is one). */
  projectedSources: ProjectedSource[];
}

/** Translates a bucket grant into the plugin's ObjectStore; throws when the grant cannot work for barman-cloud. */
export function barmanBackupSettings(inputs: BarmanBackupInputs): BarmanBackupSettings {
  const { where, bucket, grant } = inputs;
  const env = new Map<string, EnvVar>();
  for (const e of grant.env) if (typeof e.name === "string") env.set(e.name, e);

  const secretRef = (name: string) => {
    const entry = env.get(name);
    if (!entry?.valueFrom) {
      throw new Error(
        `${where}: the grant on backup bucket "${bucket.logicalName}" carries no ${name} secret reference; ` +
          `CloudNativePG backups need an S3-compatible bucket with a static key pair (objectStore.provider obc or external)`,
      );
    }
    return pulumi.output(entry.valueFrom).apply((source) => {
      if (!source?.secretKeyRef?.name || !source.secretKeyRef.key) {
        throw new Error(`${where}: ${name} of backup bucket "${bucket.logicalName}" is not a secretKeyRef`);
      }
      return { name: source.secretKeyRef.name, key: source.secretKeyRef.key };
    });
  };

  const endpointURL: pulumi.Input<string | undefined> | undefined =
    env.get("AWS_ENDPOINT_URL")?.value ?? bucket.endpoint;
  if (bucket.scheme !== "s3" || endpointURL === undefined) {
    throw new Error(
      `${where}: backup bucket "${bucket.logicalName}" is not on an S3-compatible endpoint; CloudNativePG backups here need one`,
    );
  }

  const sidecarEnv: EnvVar[] = [];
  for (const name of ["AWS_REGION", "AWS_DEFAULT_REGION"]) {
    const value = env.get(name)?.value;
    if (value !== undefined) sidecarEnv.push({ name, value });
  }
  const projectedSources: ProjectedSource[] = [];
  const caBundle = env.get("AWS_CA_BUNDLE")?.value;
  if (caBundle !== undefined && caBundle !== null) {
    const moved = projectCaBundle(where, bucket.logicalName, caBundle, grant);
    projectedSources.push(moved.source);
    sidecarEnv.push({ name: "AWS_CA_BUNDLE", value: moved.path });
  }

  return {
    objectStoreSpec: {
      configuration: {
        destinationPath: bucket.url(),
        endpointURL,
        s3Credentials: {
          accessKeyId: secretRef("AWS_ACCESS_KEY_ID"),
          secretAccessKey: secretRef("AWS_SECRET_ACCESS_KEY"),
        },
        wal: { compression: "gzip", maxParallel: 2 },
        data: { compression: "gzip", jobs: 2 },
      },
      // Base backups and WAL older than the window go; point-in-time recovery reaches back this far.
      retentionPolicy: `${inputs.retentionDays}d`,
      instanceSidecarConfiguration: {
        env: sidecarEnv,
        resources: {
          requests: { ...inputs.sidecarResources.requests },
          limits: { ...inputs.sidecarResources.limits },
        },
      },
    },
    projectedSources,
  };
}

/**
 * Re-homes the CA file a grant mounts for its workload into the Cluster's projected volume: finds
 * the mount holding `AWS_CA_BUNDLE` and the ConfigMap or Secret behind it, and maps the same key
 * under `/projected/object-store-ca/<bucket>/`.
 */
function projectCaBundle(
  where: string,
  bucket: string,
  caBundle: pulumi.Input<string | undefined>,
  grant: WorkloadAccess,
): { source: ProjectedSource; path: string } {
  const fail = (why: string): never => {
    throw new Error(
      `${where}: cannot hand backup bucket "${bucket}"'s CA (AWS_CA_BUNDLE) to barman-cloud: ${why}`,
    );
  };
  if (typeof caBundle !== "string") return fail("its path is not a plain string");
  const mount = grant.volumeMounts.find(
    (m) => typeof m.mountPath === "string" && caBundle.startsWith(`${m.mountPath}/`),
  );
  if (!mount) return fail(`no volume of the grant is mounted above ${caBundle}`);
  const relative = caBundle.slice(`${mount.mountPath as string}/`.length);
  const volume = grant.volumes.find((v) => v.name === mount.name);
  const configMap = volume?.configMap as k8s.types.input.core.v1.ConfigMapVolumeSource | undefined;
  const secret = volume?.secret as k8s.types.input.core.v1.SecretVolumeSource | undefined;
  const items = (configMap?.items ?? secret?.items) as k8s.types.input.core.v1.KeyToPath[] | undefined;
  const key = items ? items.find((i) => i.path === relative)?.key : relative;
  if (key === undefined) return fail(`volume "${String(mount.name)}" maps no key to ${relative}`);
  const target = `object-store-ca/${bucket}/${relative}`;
  const path = `${CNPG_PROJECTED_ROOT}/${target}`;
  if (configMap?.name !== undefined)
    return { source: { configMap: { name: configMap.name, items: [{ key, path: target }] } }, path };
  if (secret?.secretName !== undefined)
    return { source: { secret: { name: secret.secretName, items: [{ key, path: target }] } }, path };
  return fail(`volume "${String(mount.name)}" is neither a ConfigMap nor a Secret`);
}
