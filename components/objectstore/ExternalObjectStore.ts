/**
 * An existing S3-compatible endpoint outside the platform's control (a corporate MinIO / Ceph / S3
 * service). Buckets exist already and each comes with its own key pair in a Secret that the
 * bucket's owner keeps in its namespace (`objectStore.buckets[].credentialsSecret`, keys
 * `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`). This component creates nothing in the cluster:
 * it maps logical buckets to physical names and hands grants that reference those Secrets, with
 * egress to the endpoint's CIDRs on its port only.
 *
 * Versioning, lifecycle and read-only keys are the endpoint administrator's to configure; mlstack
 * cannot see or enforce them here, and says so in the docs rather than pretending.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlatformContext } from "../context";
import type { NetworkConfig } from "../kube/clusterNetwork";
import type { BucketConfig, ObjectStoreConfig } from "./settings";
import { refusal } from "../argumentProblem";
import { declaredBucket, type Bucket, type ObjectStore } from "./contract";
import {
  assertS3BucketName,
  EndpointCa,
  parseS3Endpoint,
  type S3Endpoint,
  ownerNamespace,
  physicalBucketName,
  S3CompatibleBucket,
} from "./S3CompatibleBucket";

/** Keys every `credentialsSecret` must hold (the names AWS SDKs read from the environment). */
export const EXTERNAL_ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID";
export const EXTERNAL_SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY";

export interface ExternalObjectStoreArgs {
  ctx: PlatformContext;
  /** `mlstack:objectStore`; `provider` must be `external` and every bucket needs `credentialsSecret`. */
  config: ObjectStoreConfig;
  /** `objectStoreCidrs` are the endpoint's addresses; egress is opened to them on the endpoint port only. */
  network: NetworkConfig;
  /** Owner → namespace: every team that owns a bucket, and `platform`. */
  namespaces: Record<string, string>;
  /**
   * Physical names of buckets that already exist under another name (logical → physical). Default
   * `<project>-<stack>-<logical>` (see `physicalBucketName`): the names the endpoint administrator
   * creates, unique per stack.
   */
  bucketNames?: Record<string, string>;
  /** CA granted pods trust when the endpoint's certificate is privately issued. Default: none (system trust). */
  endpointCa?: EndpointCa;
  /**
   * What granted pods wait for: the resources that produce the credentials Secrets when the stack
   * manages them (an ExternalSecret, a sealed Secret). Default: none — the Secrets pre-exist.
   */
  dependsOn?: pulumi.Resource[];
}

/** Each store's name, for errors: beside the instance, since the analyzer publishes every field. */
const names = new WeakMap<ExternalObjectStore, string>();

export class ExternalObjectStore extends pulumi.ComponentResource implements ObjectStore {
  readonly buckets: Bucket[];
  readonly bucketNames: Record<string, string>;

  constructor(name: string, args: ExternalObjectStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    const where = `ExternalObjectStore ${name}`;
    const { config, network } = args;
    const { endpoint, plans } = planExternalObjectStore(name, args);
    super("mlstack:objectstore:ExternalObjectStore", name, {}, opts);
    names.set(this, name);

    const egress = [
      {
        to: network.objectStoreCidrs.map((cidr) => ({ ipBlock: { cidr } })),
        ports: [{ protocol: "TCP", port: endpoint.port }],
      },
    ];
    this.buckets = [];
    this.bucketNames = {};
    for (const plan of plans) {
      this.buckets.push(
        new S3CompatibleBucket({
          store: where,
          logicalName: plan.bucket.name,
          owner: plan.bucket.owner,
          namespace: plan.namespace,
          bucketName: pulumi.output(plan.bucketName),
          endpoint,
          region: config.region,
          credentials: {
            secretName: plan.credentialsSecret,
            accessKeyIdKey: EXTERNAL_ACCESS_KEY_ID,
            secretAccessKeyKey: EXTERNAL_SECRET_ACCESS_KEY,
          },
          egress,
          endpointCa: args.endpointCa,
          dependsOn: args.dependsOn ?? [],
          readModeCaveat: `the bucket's credentialsSecret is the only key pair mlstack knows; make it read-only at the endpoint if that is what the bucket needs`,
        }),
      );
      this.bucketNames[plan.bucket.name] = plan.bucketName;
    }
    this.registerOutputs({ bucketNames: this.bucketNames });
  }

  bucket(logicalName: string): Bucket {
    return declaredBucket(`ExternalObjectStore ${names.get(this)}`, this.buckets, logicalName);
  }
}

/**
 * Checks an ExternalObjectStore's arguments and plans its buckets: pure, so the stack's pre-flight
 * runs it before anything registers, and the constructor runs it again.
 */
export function planExternalObjectStore(
  name: string,
  args: Omit<ExternalObjectStoreArgs, "dependsOn">,
): {
  endpoint: S3Endpoint;
  plans: Array<{ bucket: BucketConfig; namespace: string; bucketName: string; credentialsSecret: string }>;
} {
  const where = `ExternalObjectStore ${name}`;
  const fail = refusal(where);
  const { ctx, config, network } = args;
  if (config.provider !== "external") {
    fail(
      "config.provider",
      config.provider,
      'is not "external"; ExternalObjectStore serves only external (use ObcObjectStore for "obc")',
    );
  }
  const endpoint = parseS3Endpoint(config.endpoint, where);
  if (!endpoint.https && ctx.environment !== "dev") {
    fail(
      "config.endpoint",
      config.endpoint,
      `is plain http, which ${ctx.environment} does not allow: keys and data would cross the network in clear; use the endpoint's https URL`,
    );
  }
  if (network.objectStoreCidrs.length === 0) {
    fail(
      "network.objectStoreCidrs",
      network.objectStoreCidrs,
      "is empty; list the endpoint's addresses so granted pods can reach it",
    );
  }
  const declared = new Set(config.buckets.map((b) => b.name));
  for (const logical of Object.keys(args.bucketNames ?? {})) {
    if (!declared.has(logical))
      fail(
        `bucketNames.${logical}`,
        logical,
        `is not a declared bucket (declared: ${[...declared].join(", ") || "none"})`,
      );
  }
  const plans = config.buckets.map((bucket, i) => {
    const namespace = ownerNamespace(where, args.namespaces, bucket, i);
    if (!bucket.credentialsSecret) {
      return fail(
        `config.buckets[${i}].credentialsSecret`,
        undefined,
        `is required: name the Secret in namespace "${namespace}" holding ${EXTERNAL_ACCESS_KEY_ID} / ${EXTERNAL_SECRET_ACCESS_KEY} for bucket "${bucket.name}"`,
      );
    }
    const bucketName =
      args.bucketNames?.[bucket.name] ?? physicalBucketName(ctx.project, ctx.stack, bucket.name);
    assertS3BucketName(bucketName, where, `config.buckets[${i}].name (physical bucket name)`);
    return { bucket, namespace, bucketName, credentialsSecret: bucket.credentialsSecret };
  });
  return { endpoint, plans };
}
