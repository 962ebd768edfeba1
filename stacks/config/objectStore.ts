/** `mlstack:objectStore`: provider, endpoint and buckets (the platform's own buckets are declared here). */
import type { Static } from "@sinclair/typebox";
import { PLATFORM_OWNER } from "../../components/platformIdentity";
import { objectStoreDefaults } from "./defaults";
import { DNS_LABEL, DNS_LABEL_RULE, Reader } from "./reader";
import { Bool, Int, List, OneOf, Opt, Quantity, Str, Strict, Text } from "./schemaKinds";
import type { BucketConfig, MlflowConfig, ObjectStoreConfig, PostgresConfig, Target } from "./types";
import type { SeaweedFsConfig } from "../../components/objectstore/settings";

export const BucketSchema = Strict({
  name: Str(DNS_LABEL, DNS_LABEL_RULE),
  owner: Text('a declared team or "platform"'),
  versioning: Opt(Bool({ default: true })),
  lifecycle: Opt(
    Strict({
      noncurrentVersionExpirationDays: Opt(Int(1, 3650, { default: 30 })),
      expirationDays: Opt(Int(0, 3650, { default: 0, description: "0 keeps current versions forever" })),
    }),
  ),
  credentialsSecret: Opt(
    Str(DNS_LABEL, DNS_LABEL_RULE, {
      description: "provider external: the Secret holding this bucket's own keys",
    }),
  ),
});

export const ObjectStoreSchema = Strict({
  provider: Opt(OneOf(["obc", "external", "seaweedfs"] as const, { default: "obc" })),
  storageClassName: Opt(
    Str("storage-class", undefined, { description: "the bucket class of ObjectBucketClaims" }),
  ),
  endpoint: Opt(
    Str(
      /^https?:\/\/[^\s/]+(:[0-9]+)?\/?$/,
      "an http(s) endpoint URL such as https://s3.openshift-storage.svc",
    ),
  ),
  region: Opt(Str(/^[a-z0-9-]+$/, "a region name", { default: "us-east-1" })),
  buckets: Opt(List(BucketSchema)),
  seaweedfs: Opt(
    Strict({
      volumeSize: Opt(Quantity({ default: "10Gi" })),
      storageClassName: Opt(Str("storage-class")),
    }),
  ),
});
type ObjectStoreValues = Static<typeof ObjectStoreSchema>;

export function parseObjectStore(
  r: Reader,
  value: ObjectStoreValues | undefined,
  target: Target,
  teams: string[],
  mlflow: MlflowConfig,
  postgres: PostgresConfig,
): ObjectStoreConfig {
  const path = "objectStore";
  const obj = value ?? {};
  const defaults = objectStoreDefaults(target);
  const provider = obj.provider ?? "obc";
  const seaweedfs = parseSeaweedFs(r, obj, path, provider, target);
  const owners = [PLATFORM_OWNER, ...teams];
  const buckets = (obj.buckets ?? []).map((b, i): BucketConfig => {
    const bpath = `${path}.buckets[${i}]`;
    const bucket: BucketConfig = {
      name: b.name ?? "",
      owner: b.owner ?? "",
      versioning: b.versioning ?? true,
      lifecycle: {
        noncurrentVersionExpirationDays: b.lifecycle?.noncurrentVersionExpirationDays ?? 30,
        expirationDays: b.lifecycle?.expirationDays ?? 0,
      },
      credentialsSecret: b.credentialsSecret,
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
    storageClassName: obj.storageClassName ?? defaults.storageClassName,
    endpoint: obj.endpoint ?? defaults.endpoint,
    region: obj.region ?? "us-east-1",
    buckets,
  };
}

/**
 * `objectStore.seaweedfs`: the in-cluster SeaweedFS server's volume. Only with provider seaweedfs,
 * which also sets its own endpoint (the server's Service), so `endpoint` is refused with it.
 */
function parseSeaweedFs(
  r: Reader,
  obj: ObjectStoreValues,
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
  return {
    volumeSize: obj.seaweedfs?.volumeSize ?? "10Gi",
    storageClassName: obj.seaweedfs?.storageClassName,
  };
}
