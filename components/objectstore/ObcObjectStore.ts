/**
 * In-cluster object storage through ObjectBucketClaims (`objectbucket.io/v1alpha1`): one claim per
 * configured bucket, in the owner's namespace (the team's, or the platform namespace for
 * `platform`), served by Rook-Ceph RGW on plain Kubernetes or NooBaa (ODF's Multicloud Gateway) on
 * OpenShift. The provisioner creates the bucket and, next to the claim, a Secret and a ConfigMap
 * named after it: the Secret holds the bucket's own key pair (`AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`), scoped by the provisioner to that one bucket.
 *
 * What a claim can and cannot enforce (`additionalConfig`):
 *
 * | setting | rook-ceph | noobaa |
 * |---|---|---|
 * | versioning | no claim field: not enforced | no claim field: not enforced |
 * | lifecycle (expiration, noncurrent expiration) | `bucketLifecycle`, only if the Rook operator allows it in `ROOK_OBC_ALLOW_ADDITIONAL_CONFIG_FIELDS` (off by default since Rook 1.17; a claim using a field that is not allowed is rejected) and applied when the bucket is provisioned, not on later edits | no claim field: not enforced |
 * | read-only grants | one read/write key pair per claim | one read/write key pair per claim |
 *
 * Settings a claim cannot carry are logged as one warning per run; set them with the store's admin
 * tools (`radosgw-admin`, or `aws s3api put-bucket-versioning` / `put-bucket-lifecycle-configuration`
 * with the claim's own keys), which the claim's reconciliation leaves alone.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlatformContext } from "../context";
import { refusal } from "../argumentProblem";
import { kubeLabels } from "../kube/labels";
import { ObjectBucketClaim } from "../crds/objectbucket.io/v1alpha1";
import {
  DNS1123_LABEL_RULE,
  DNS1123_SUBDOMAIN_RULE,
  isDns1123Label,
  isDns1123Subdomain,
} from "../kube/names";
import type { BucketConfig, ObjectStoreConfig } from "./settings";
import type { NetworkConfig } from "../kube/clusterNetwork";
import { declaredBucket, type Bucket, type ObjectStore } from "./contract";
import {
  assertS3BucketName,
  EndpointCa,
  isClusterServiceHost,
  OPENSHIFT_SERVICE_CA,
  parseS3Endpoint,
  ownerNamespace,
  physicalBucketName,
  S3CompatibleBucket,
  type S3Endpoint,
} from "./S3CompatibleBucket";

/** Which OBC provisioner serves `storageClassName` (an `as const` enum: a package schema has no bare unions). */
export const ObcProvisioner = { rookCeph: "rook-ceph", noobaa: "noobaa" } as const;
export type ObcProvisioner = (typeof ObcProvisioner)[keyof typeof ObcProvisioner];
export const OBC_PROVISIONERS: readonly ObcProvisioner[] = ["rook-ceph", "noobaa"];

/**
 * Ports the provisioner's S3 pods listen on behind the Service. NetworkPolicies match the pod port
 * after the Service translated it, so allowing only the Service port (80 / 443) would drop the
 * traffic: Rook's RGW listens on 8080 / 8443, NooBaa's endpoint pods on 6001 / 6443.
 */
const POD_PORTS: Record<ObcProvisioner, { http: number[]; https: number[] }> = {
  "rook-ceph": { http: [8080], https: [8443] },
  noobaa: { http: [6001], https: [6443] },
};

/** Secret keys the OBC provisioners write. */
const OBC_ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID";
const OBC_SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY";

/** Incomplete multipart uploads hold storage invisibly; a week is ample for any upload to finish. */
const ABORT_INCOMPLETE_UPLOADS_DAYS = 7;

export interface ObcObjectStoreArgs {
  ctx: PlatformContext;
  /** `mlstack:objectStore`; `provider` must be `obc`. */
  config: ObjectStoreConfig;
  /** `objectStoreNamespace` is where granted pods may connect (the S3 pods' namespace). */
  network: NetworkConfig;
  /** Owner → namespace: every team that owns a bucket, and `platform`. */
  namespaces: Record<string, string>;
  /**
   * Who serves `storageClassName`. Default: `noobaa` on OpenShift (ODF's default object class),
   * `rook-ceph` elsewhere — the providers the config defaults point at.
   */
  provisioner?: ObcProvisioner;
  /**
   * Put each bucket's lifecycle (expiration, noncurrent-version expiration, abort of incomplete
   * uploads) in the claim's `additionalConfig.bucketLifecycle`. rook-ceph only. Default false: Rook
   * rejects claims carrying `bucketLifecycle` unless its operator lists it in
   * `ROOK_OBC_ALLOW_ADDITIONAL_CONFIG_FIELDS`, and a rejected claim means no bucket at all.
   */
  lifecycleInClaim?: boolean;
  /**
   * CA granted pods trust for an https endpoint. Default: on OpenShift, for an https `*.svc`
   * endpoint, the service-serving CA OpenShift injects into every namespace (NooBaa's S3 service is
   * signed by it); otherwise none (the system trust store). `noEndpointCa` forces none.
   */
  endpointCa?: EndpointCa;
  /**
   * Trust no extra CA, not even OpenShift's service-serving CA (the system trust store only).
   * Default false. Not with `endpointCa` (a separate field rather than `endpointCa: false`, so the
   * args fit a package schema).
   */
  noEndpointCa?: boolean;
  /**
   * Ports granted pods may reach in `network.objectStoreNamespace`. Default: the endpoint's port
   * and the provisioner's pod port for its scheme (see POD_PORTS).
   */
  endpointPorts?: number[];
  /** What the claims wait for (the namespaces). */
  dependsOn?: pulumi.Resource[];
}

/** Each store's name, for errors: beside the instance, since the analyzer publishes every field. */
const names = new WeakMap<ObcObjectStore, string>();

export class ObcObjectStore extends pulumi.ComponentResource implements ObjectStore {
  readonly buckets: Bucket[];
  /** Physical bucket name per logical bucket (known before anything runs). */
  readonly bucketNames: Record<string, string>;

  constructor(name: string, args: ObcObjectStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    const where = `ObcObjectStore ${name}`;
    const { ctx, config, network } = args;
    const { provisioner, lifecycleInClaim, endpoint, ports, endpointCa, plans } = planObcObjectStore(
      name,
      args,
    );
    super("mlstack:objectstore:ObcObjectStore", name, {}, opts);
    names.set(this, name);

    const egress = [
      {
        to: [
          {
            namespaceSelector: {
              matchLabels: { "kubernetes.io/metadata.name": network.objectStoreNamespace },
            },
          },
        ],
        ports: ports.map((port) => ({ protocol: "TCP", port })),
      },
    ];
    const readModeCaveat = `an ObjectBucketClaim yields exactly one read/write key pair per bucket (${provisioner} has no read-only claim)`;

    this.buckets = [];
    this.bucketNames = {};
    for (const plan of plans) {
      const additionalConfig = lifecycleInClaim ? { bucketLifecycle: rookLifecycle(plan.bucket) } : undefined;
      const claim = new ObjectBucketClaim(
        `${name}-${plan.bucket.name}`,
        {
          metadata: {
            name: plan.claimName,
            namespace: plan.namespace,
            labels: kubeLabels({
              name: plan.bucket.name,
              component: "object-bucket",
              environment: ctx.environment,
              team: plan.bucket.owner,
            }),
          },
          spec: {
            bucketName: plan.bucketName,
            storageClassName: config.storageClassName,
            ...(additionalConfig ? { additionalConfig } : {}),
          },
        },
        // Deleting a claim deletes the bucket and its objects under the usual `Delete` reclaim policy.
        { parent: this, dependsOn: args.dependsOn, protect: ctx.protect, retainOnDelete: ctx.protect },
      );
      const handle = new S3CompatibleBucket({
        store: where,
        logicalName: plan.bucket.name,
        owner: plan.bucket.owner,
        namespace: plan.namespace,
        bucketName: pulumi.output(plan.bucketName),
        endpoint,
        region: config.region,
        credentials: {
          secretName: plan.claimName,
          accessKeyIdKey: OBC_ACCESS_KEY_ID,
          secretAccessKeyKey: OBC_SECRET_ACCESS_KEY,
        },
        egress,
        endpointCa,
        dependsOn: [claim],
        readModeCaveat,
      });
      this.buckets.push(handle);
      this.bucketNames[plan.bucket.name] = plan.bucketName;
    }

    const unenforced = unenforcedSettings(config.buckets, provisioner, lifecycleInClaim);
    if (unenforced.length > 0) {
      pulumi.log.warn(
        `${where}: ObjectBucketClaims on ${provisioner} cannot enforce ${unenforced.join("; ")}. ` +
          `Apply them with the object store's own tools; see components/objectstore/ObcObjectStore.ts.`,
        this,
      );
    }
    this.registerOutputs({ bucketNames: this.bucketNames });
  }

  bucket(logicalName: string): Bucket {
    return declaredBucket(`ObcObjectStore ${names.get(this)}`, this.buckets, logicalName);
  }
}

/**
 * The S3 lifecycle configuration Rook applies from `additionalConfig.bucketLifecycle`: rules sorted
 * by ID, as Rook requires for idempotent comparison.
 */
export function rookLifecycle(bucket: BucketConfig): string {
  const rules: Record<string, unknown>[] = [
    {
      ID: "abort-incomplete-uploads",
      Status: "Enabled",
      Prefix: "",
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: ABORT_INCOMPLETE_UPLOADS_DAYS },
    },
  ];
  if (bucket.lifecycle.expirationDays > 0) {
    rules.push({
      ID: "expire-current-objects",
      Status: "Enabled",
      Prefix: "",
      Expiration: { Days: bucket.lifecycle.expirationDays },
    });
  }
  if (bucket.versioning) {
    rules.push({
      ID: "expire-noncurrent-versions",
      Status: "Enabled",
      Prefix: "",
      NoncurrentVersionExpiration: { NoncurrentDays: bucket.lifecycle.noncurrentVersionExpirationDays },
    });
  }
  rules.sort((a, b) => String(a.ID).localeCompare(String(b.ID)));
  return JSON.stringify({ Rules: rules });
}

/** Human-readable list of configured settings the claims cannot carry. */
function unenforcedSettings(
  buckets: BucketConfig[],
  provisioner: ObcProvisioner,
  lifecycleInClaim: boolean,
): string[] {
  const notes: string[] = [];
  const versioned = buckets.filter((b) => b.versioning).map((b) => b.name);
  if (versioned.length > 0) notes.push(`versioning (requested for ${versioned.join(", ")})`);
  if (!lifecycleInClaim) {
    const withLifecycle = buckets
      .filter((b) => b.versioning || b.lifecycle.expirationDays > 0)
      .map((b) => b.name);
    if (withLifecycle.length > 0) {
      const hint =
        provisioner === "rook-ceph"
          ? " — set lifecycleInClaim once the Rook operator allows bucketLifecycle"
          : "";
      notes.push(`lifecycle expiration (requested for ${withLifecycle.join(", ")})${hint}`);
    }
  }
  return notes;
}

/** What the constructor builds from its arguments, computed (and checked) before anything registers. */
interface ObcPlan {
  provisioner: ObcProvisioner;
  lifecycleInClaim: boolean;
  endpoint: S3Endpoint;
  ports: number[];
  endpointCa: EndpointCa | undefined;
  plans: Array<{ bucket: BucketConfig; namespace: string; claimName: string; bucketName: string }>;
}

/**
 * Checks an ObcObjectStore's arguments and plans its claims: pure, so the stack's pre-flight runs it
 * before anything registers, and the constructor runs it again. Refuses with an `ArgumentRefusal`.
 */
export function planObcObjectStore(name: string, args: Omit<ObcObjectStoreArgs, "dependsOn">): ObcPlan {
  const fail = refusal(`ObcObjectStore ${name}`);
  const where = `ObcObjectStore ${name}`;
  const { ctx, config } = args;
  if (config.provider !== "obc") {
    fail(
      "config.provider",
      config.provider,
      'is not "obc"; ObcObjectStore serves only obc (use ExternalObjectStore for "external")',
    );
  }
  const provisioner = args.provisioner ?? (ctx.flavor === "openshift" ? "noobaa" : "rook-ceph");
  if (!OBC_PROVISIONERS.includes(provisioner)) {
    fail("provisioner", provisioner, `is not one of ${OBC_PROVISIONERS.join(", ")}`);
  }
  if (!isDns1123Subdomain(config.storageClassName)) {
    fail(
      "config.storageClassName",
      config.storageClassName,
      `is not a StorageClass name (${DNS1123_SUBDOMAIN_RULE}), e.g. rook-ceph-bucket`,
    );
  }
  const lifecycleInClaim = args.lifecycleInClaim ?? false;
  if (lifecycleInClaim && provisioner !== "rook-ceph") {
    fail(
      "lifecycleInClaim",
      true,
      `is not possible with provisioner ${provisioner}: it has no lifecycle claim field; only rook-ceph reads additionalConfig.bucketLifecycle`,
    );
  }
  const endpoint = parseS3Endpoint(config.endpoint, where);
  const ports = args.endpointPorts ?? [
    ...new Set([endpoint.port, ...POD_PORTS[provisioner][endpoint.https ? "https" : "http"]]),
  ];
  if (ports.length === 0 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    fail("endpointPorts", ports, "must list TCP ports from 1 to 65535");
  }
  if (args.noEndpointCa && args.endpointCa !== undefined) {
    fail(
      "noEndpointCa",
      args.noEndpointCa,
      "cannot be combined with endpointCa: set endpointCa to trust that CA, or noEndpointCa to trust none",
    );
  }
  const endpointCa = args.noEndpointCa
    ? undefined
    : (args.endpointCa ??
      (ctx.flavor === "openshift" && endpoint.https && isClusterServiceHost(endpoint.host)
        ? OPENSHIFT_SERVICE_CA
        : undefined));
  const plans = config.buckets.map((bucket, i) => {
    const namespace = ownerNamespace(where, args.namespaces, bucket, i);
    const claimName = `${name}-${bucket.name}`;
    if (!isDns1123Label(claimName)) {
      fail(
        `config.buckets[${i}].name`,
        bucket.name,
        `gives the claim name "${claimName}" (component name + bucket), which is not ${DNS1123_LABEL_RULE}; shorten the bucket name`,
      );
    }
    const bucketName = physicalBucketName(ctx.project, ctx.stack, bucket.name);
    assertS3BucketName(bucketName, where, `config.buckets[${i}].name (physical bucket name)`);
    return { bucket, namespace, claimName, bucketName };
  });
  return { provisioner, lifecycleInClaim, endpoint, ports, endpointCa, plans };
}
