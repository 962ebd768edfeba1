/** `mlstack:objectStore`: provider, endpoint and buckets (the platform's own buckets are declared here). */
import { isDns1123Subdomain } from "../../components/kube/names";
import { STORAGE_CLASS_RULE } from "./reader";
import { PLATFORM_OWNER } from "../../components/platformIdentity";
import { objectStoreDefaults } from "./defaults";
import { DNS_LABEL, DNS_LABEL_RULE, Reader } from "./reader";
import type { BucketConfig, MlflowConfig, ObjectStoreConfig, PostgresConfig, Target } from "./types";
import type { SeaweedFsConfig } from "../../components/objectstore/settings";

export function parseObjectStore(
  r: Reader,
  value: unknown,
  target: Target,
  teams: string[],
  mlflow: MlflowConfig,
  postgres: PostgresConfig,
): ObjectStoreConfig {
  const path = "objectStore";
  const obj = r.object(value, path);
  r.knownKeys(obj, path, ["provider", "storageClassName", "endpoint", "region", "buckets", "seaweedfs"]);
  const defaults = objectStoreDefaults(target);
  const provider = r.oneOf(obj, "provider", path, ["obc", "external", "seaweedfs"] as const, "obc");
  const seaweedfs = parseSeaweedFs(r, obj, path, provider, target);
  const owners = [PLATFORM_OWNER, ...teams];
  const buckets = r.array(obj.buckets, `${path}.buckets`).map((item, i): BucketConfig => {
    const bpath = `${path}.buckets[${i}]`;
    const b = r.object(item, bpath);
    r.knownKeys(b, bpath, ["name", "owner", "versioning", "lifecycle", "credentialsSecret"]);
    if (b.name === undefined) r.fail(`${bpath}.name`, undefined, "is required");
    if (b.owner === undefined)
      r.fail(`${bpath}.owner`, undefined, `is required (one of: ${owners.join(", ")})`);
    const lifecycle = r.object(b.lifecycle, `${bpath}.lifecycle`);
    r.knownKeys(lifecycle, `${bpath}.lifecycle`, ["noncurrentVersionExpirationDays", "expirationDays"]);
    const bucket: BucketConfig = {
      name: r.string(b, "name", bpath, "", DNS_LABEL, DNS_LABEL_RULE),
      owner: r.string(b, "owner", bpath, ""),
      versioning: r.boolean(b, "versioning", bpath, true),
      lifecycle: {
        noncurrentVersionExpirationDays: r.integer(
          lifecycle,
          "noncurrentVersionExpirationDays",
          `${bpath}.lifecycle`,
          30,
          1,
          3650,
        ),
        expirationDays: r.integer(lifecycle, "expirationDays", `${bpath}.lifecycle`, 0, 0, 3650),
      },
      credentialsSecret: r.optionalString(b, "credentialsSecret", bpath, DNS_LABEL, DNS_LABEL_RULE),
    };
    if (bucket.owner && !owners.includes(bucket.owner))
      r.fail(
        `${bpath}.owner`,
        bucket.owner,
        `is not a declared team or "platform" (allowed: ${owners.join(", ")})`,
      );
    if (
      provider === "external" &&
      !bucket.credentialsSecret &&
      (target === "kubernetes" || target === "openshift")
    ) {
      r.fail(
        `${bpath}.credentialsSecret`,
        undefined,
        "is required with objectStore.provider external (name the Secret holding this bucket's own keys)",
      );
    }
    return bucket;
  });
  // The platform's own buckets are declared implicitly unless the stack file declares them.
  // Database backups go to a bucket only in-cluster (CloudNativePG); RDS and Cloud SQL keep their own.
  const inCluster = target === "kubernetes" || target === "openshift";
  for (const name of [
    mlflow.artifactBucket,
    ...(postgres.backup.enabled && inCluster ? [postgres.backup.bucket] : []),
  ]) {
    const declared = buckets.find((b) => b.name === name);
    if (declared && declared.owner !== PLATFORM_OWNER)
      r.fail(
        `${path}.buckets`,
        declared.name,
        `is a platform bucket (MLflow artifacts or database backups); its owner must be "platform"`,
      );
    if (!declared) {
      if (provider === "external" && (target === "kubernetes" || target === "openshift")) {
        r.fail(
          `${path}.buckets`,
          name,
          "is needed by the platform; with provider external declare it with its credentialsSecret",
        );
      }
      buckets.push({
        name,
        owner: PLATFORM_OWNER,
        versioning: true,
        lifecycle: { noncurrentVersionExpirationDays: 30, expirationDays: 0 },
      });
    }
  }
  r.unique(buckets, `${path}.buckets`, "bucket");
  return {
    provider,
    ...(seaweedfs ? { seaweedfs } : {}),
    storageClassName: r.string(
      obj,
      "storageClassName",
      path,
      defaults.storageClassName,
      isDns1123Subdomain,
      STORAGE_CLASS_RULE,
    ),
    endpoint: r.string(
      obj,
      "endpoint",
      path,
      defaults.endpoint,
      /^https?:\/\/[^\s/]+(:[0-9]+)?\/?$/,
      "an http(s) endpoint URL such as https://s3.openshift-storage.svc",
    ),
    region: r.string(obj, "region", path, "us-east-1", /^[a-z0-9-]+$/, "a region name"),
    buckets,
  };
}

/**
 * `objectStore.seaweedfs`: the in-cluster SeaweedFS server's volume. Only with provider seaweedfs,
 * which also sets its own endpoint (the server's Service), so `endpoint` is refused with it.
 */
function parseSeaweedFs(
  r: Reader,
  obj: Record<string, unknown>,
  path: string,
  provider: ObjectStoreConfig["provider"],
  target: Target,
): SeaweedFsConfig | undefined {
  const spath = `${path}.seaweedfs`;
  if (provider === "seaweedfs" && target !== "kubernetes" && target !== "openshift")
    r.fail(
      `${path}.provider`,
      provider,
      `is for the in-cluster targets (kubernetes, openshift); target ${target} uses its cloud's object store`,
    );
  if (provider !== "seaweedfs") {
    if (obj.seaweedfs !== undefined)
      r.fail(spath, obj.seaweedfs, `is only for objectStore.provider seaweedfs (provider is ${provider})`);
    return undefined;
  }
  if (obj.endpoint !== undefined)
    r.fail(
      `${path}.endpoint`,
      obj.endpoint,
      "is not used with objectStore.provider seaweedfs: clients reach the server mlstack deploys at its own Service",
    );
  const s = r.object(obj.seaweedfs, spath);
  r.knownKeys(s, spath, ["volumeSize", "storageClassName"]);
  return {
    volumeSize: r.quantity(s, "volumeSize", spath, "10Gi"),
    storageClassName: r.optionalString(s, "storageClassName", spath, isDns1123Subdomain, STORAGE_CLASS_RULE),
  };
}
