/**
 * Object storage on GCP: one GCS bucket per logical bucket in `mlstack:objectStore.buckets`, all
 * private and encrypted with the storage key, and a grant that binds one workload's Google
 * service account to one bucket (or one key prefix of it) with an object-level role.
 *
 * Every bucket: uniform bucket-level access (IAM only, no object ACLs), public access prevention
 * enforced (no `allUsers` binding can ever take effect), versioning with noncurrent versions
 * expiring, CMEK, and usage logs written to a dedicated access-log bucket of the stack.
 */
import * as storage from "@pulumi/gcp/storage";
import type * as gcpInputs from "@pulumi/gcp/types/input";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import type { BucketConfig } from "./settings";
import type { WorkloadAccess, WorkloadIdentity } from "../identity/contract";
import { googleServiceAccountOf } from "../identity/workloadIdentity";
import { metadataServerEgress } from "../identity/workloadIdentityEgress";
import type { GcpDomainKey } from "../kms/gcp";
import { cloudLabels } from "../kube/labels";
import {
  BUCKET_PREFIX,
  declaredBucket,
  type Bucket,
  type BucketAccessMode,
  type BucketGrantOptions,
  type BucketScheme,
  type ObjectStore,
} from "./contract";

/** Object roles only: read, or read/write/delete objects — never bucket settings or IAM. */
export const BUCKET_ROLES: Record<BucketAccessMode, string> = {
  read: "roles/storage.objectViewer",
  readwrite: "roles/storage.objectUser",
};

/** The group GCS delivers usage logs as; it needs to create objects in the log bucket. */
export const STORAGE_ANALYTICS_MEMBER = "group:cloud-storage-analytics@google.com";
const ACCESS_LOG_BUCKET = "access-logs";
const INCOMPLETE_UPLOAD_DAYS = 7;

/** The prefix a grant may be limited to: object key characters, no leading or trailing '/' (as on S3). */
/** The request attribute GCS sets on `objects.list` calls: the `prefix` the caller asked for. */
const LIST_PREFIX_ATTRIBUTE = "storage.googleapis.com/objectListPrefix";
/** IAM rejects condition titles longer than this. */
const CONDITION_TITLE_MAX = 100;

/**
 * The IAM condition narrowing an object role to the keys under `prefix` (without its trailing '/').
 *
 * - Object requests (get, create, delete, …) are checked against the object's resource name,
 *   `projects/_/buckets/<bucket>/objects/<key>`: the key must start with `<prefix>/`. Only object
 *   names have `/objects/` in them, so bucket and managed-folder requests never match.
 * - `objects.list` is checked against the bucket (`projects/_/buckets/<bucket>`), which no object
 *   prefix matches; GCS hands the listing's `prefix` parameter to IAM as the
 *   `storage.googleapis.com/objectListPrefix` API attribute, and the listing is allowed when it is
 *   the prefix itself or starts with `<prefix>/` — the same two forms the S3 grant's `s3:prefix`
 *   allows. Listing the bucket root, or any other prefix, is denied.
 *
 * Conditions need uniform bucket-level access (no ACL can widen the grant), which every bucket
 * here has.
 */
export function prefixCondition(bucketName: string, prefix: string): string {
  const listPrefix = `api.getAttribute("${LIST_PREFIX_ATTRIBUTE}", "")`;
  return [
    `resource.name.startsWith("projects/_/buckets/${bucketName}/objects/${prefix}/")`,
    `${listPrefix} == "${prefix}"`,
    `${listPrefix}.startsWith("${prefix}/")`,
  ].join(" || ");
}

/** `keys under <prefix>/`, cut to IAM's 100 characters with a hash of the prefix when longer. */
export function prefixConditionTitle(prefix: string): string {
  const title = `keys under ${prefix}/`;
  if (title.length <= CONDITION_TITLE_MAX) return title;
  const hash = createHash("sha256").update(prefix).digest("hex").slice(0, 8);
  return `${title.slice(0, CONDITION_TITLE_MAX - hash.length - 6)}... (${hash})`;
}

/**
 * `<project>-<stack>-<logical>`: readable, and unique worldwide because project IDs are. Cut to
 * GCS's 63 characters with a hash of the full name when longer, so two long names never meet.
 */
export function gcsBucketName(project: string, stack: string, logical: string): string {
  const base = `${project}-${stack}-${logical}`
    .toLowerCase()
    .replace(/[^-a-z0-9]/g, "-")
    .replace(/-+/g, "-");
  if (base.length <= 63) return base;
  const hash = createHash("sha256").update(base).digest("hex").slice(0, 6);
  return `${base.slice(0, 56).replace(/-+$/, "")}-${hash}`;
}

/** Where a bucket's usage logs go (a named interface: a package schema has no inline objects). */
export interface GcsBucketLogging {
  /** Name of the log bucket. */
  bucket: string;
  /** What must exist before logging is turned on (the log bucket and its writer binding). */
  ready: pulumi.Resource[];
}

export interface GcsBucketArgs {
  config: BucketConfig;
  project: string;
  location: string;
  /** Physical name (see `gcsBucketName`). */
  bucketName: string;
  /** The storage domain key; the bucket is created after the GCS agent may use it. */
  kmsKey: GcpDomainKey;
  /** Bucket receiving this bucket's usage logs, and what must exist first; unset only for the log bucket itself. */
  logging?: GcsBucketLogging;
  /** Google APIs ranges workloads reach GCS through, on 443 (from `gcp.network.googleApis`). */
  googleApisCidrs: string[];
  environment: string;
  protect: boolean;
}

/** What a GcsBucket keeps for grants, beside the instance: the analyzer publishes every field. */
interface GcsBucketState {
  componentName: string;
  googleApisCidrs: string[];
  /** `args.bucketName`, known before deployment: conditions name it. */
  physicalName: string;
  grants: Map<string, WorkloadAccess>;
}
const bucketStates = new WeakMap<GcsBucket, GcsBucketState>();

/** One GCS bucket and its grants. */
export class GcsBucket extends pulumi.ComponentResource implements Bucket {
  readonly logicalName: string;
  readonly bucketName: pulumi.Output<string>;
  readonly scheme: BucketScheme = "gs";
  /** None: clients use GCS's own endpoint (reached through the Google APIs range). */
  readonly endpoint?: pulumi.Output<string>;
  readonly bucket: storage.Bucket;
  private get state(): GcsBucketState {
    return bucketStates.get(this) as GcsBucketState;
  }

  constructor(name: string, args: GcsBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    const { config } = args;
    if (
      !/^[a-z0-9][-a-z0-9]{1,61}[a-z0-9]$/.test(args.bucketName) ||
      args.bucketName.includes("google") ||
      args.bucketName.startsWith("goog")
    ) {
      throw new Error(
        `GcsBucket ${name}: bucketName ${JSON.stringify(args.bucketName)} is not a GCS bucket name (3–63 lowercase letters, digits and '-', without "google")`,
      );
    }
    if (args.googleApisCidrs.length === 0) {
      throw new Error(
        `GcsBucket ${name}: googleApisCidrs is empty; workloads could not reach GCS (use the Private Google Access range, e.g. 199.36.153.8/30)`,
      );
    }
    super("mlstack:objectstore:GcsBucket", name, {}, opts);
    bucketStates.set(this, {
      componentName: name,
      googleApisCidrs: args.googleApisCidrs,
      physicalName: args.bucketName,
      grants: new Map(),
    });
    this.logicalName = config.name;

    const lifecycleRules: gcpInputs.storage.BucketLifecycleRule[] = [
      { action: { type: "AbortIncompleteMultipartUpload" }, condition: { age: INCOMPLETE_UPLOAD_DAYS } },
    ];
    if (config.versioning) {
      lifecycleRules.push({
        action: { type: "Delete" },
        condition: {
          daysSinceNoncurrentTime: config.lifecycle.noncurrentVersionExpirationDays,
          withState: "ARCHIVED",
        },
      });
    }
    if (config.lifecycle.expirationDays > 0) {
      lifecycleRules.push({
        action: { type: "Delete" },
        condition: { age: config.lifecycle.expirationDays, withState: "LIVE" },
      });
    }

    this.bucket = new storage.Bucket(
      `${name}-bucket`,
      {
        project: args.project,
        name: args.bucketName,
        location: args.location,
        storageClass: "STANDARD",
        uniformBucketLevelAccess: true,
        publicAccessPrevention: "enforced",
        versioning: { enabled: config.versioning },
        encryption: { defaultKmsKeyName: args.kmsKey.id },
        lifecycleRules,
        logging: args.logging
          ? { logBucket: args.logging.bucket, logObjectPrefix: `${config.name}/` }
          : undefined,
        // A bucket holding objects is never emptied by a delete: objects are data, not infrastructure.
        forceDestroy: false,
        deletionPolicy: args.protect ? "PREVENT" : undefined,
        labels: cloudLabels({ environment: args.environment, team: config.owner, component: "object-store" }),
      },
      {
        parent: this,
        dependsOn: [...args.kmsKey.ready, ...(args.logging?.ready ?? [])],
        protect: args.protect,
        retainOnDelete: args.protect,
      },
    );
    this.bucketName = this.bucket.name;
    this.registerOutputs({ bucketName: this.bucketName });
  }

  url(path?: string): pulumi.Output<string> {
    const key = (path ?? "").replace(/^\/+/, "");
    return key
      ? pulumi.interpolate`gs://${this.bucketName}/${key}`
      : pulumi.interpolate`gs://${this.bucketName}`;
  }

  /**
   * Binds the workload's GSA to this bucket only, with `objectViewer` (read) or `objectUser`
   * (read, write, delete objects). With `opts.prefix` the binding carries an IAM condition
   * (`prefixCondition`): the workload may touch only keys under `<prefix>/` and list only that
   * prefix. The pod reaches GCS over 443 on the Google APIs range and gets its token from the GKE
   * metadata server; it never holds a key. Calling it again for the same workload, mode and
   * prefix returns the same access.
   */
  grantAccess(identity: WorkloadIdentity, mode: BucketAccessMode, opts: BucketGrantOptions): WorkloadAccess {
    const grantor = `GcsBucket ${this.state.componentName}`;
    if (!(mode in BUCKET_ROLES)) {
      throw new Error(
        `${grantor}: mode ${JSON.stringify(mode)} is not one of: ${Object.keys(BUCKET_ROLES).join(", ")}`,
      );
    }
    const prefix = opts.prefix?.replace(/^\/+|\/+$/g, "");
    if (prefix !== undefined && !BUCKET_PREFIX.test(prefix)) {
      throw new Error(
        `${grantor}: opts.prefix ${JSON.stringify(opts.prefix)} is not an object key prefix (letters, digits, / ! _ . * ' ( ) -)`,
      );
    }
    const gsa = googleServiceAccountOf(identity, grantor);
    const key = `${identity.workload.name}/${mode}/${prefix ?? ""}`;
    const existing = this.state.grants.get(key);
    if (existing) return existing;

    const member = new storage.BucketIAMMember(
      `${this.state.componentName}-${identity.workload.name}-${mode}${prefix ? `-${prefix}` : ""}`,
      {
        bucket: this.bucket.name,
        role: BUCKET_ROLES[mode],
        member: gsa.member,
        ...(prefix
          ? {
              condition: {
                title: prefixConditionTitle(prefix),
                description: `mlstack grant to ${identity.workload.name}: objects under the prefix, and listings of it, only`,
                expression: prefixCondition(this.state.physicalName, prefix),
              },
            }
          : {}),
      },
      { parent: opts.parent, dependsOn: identity.dependencies },
    );
    const access: WorkloadAccess = {
      env: [{ name: "BUCKET_NAME", value: this.bucketName }],
      volumes: [],
      volumeMounts: [],
      egress: [googleApisEgress(this.state.googleApisCidrs), metadataServerEgress()],
      dependsOn: [member, ...identity.dependencies],
    };
    this.state.grants.set(key, access);
    return access;
  }
}

export interface GcsObjectStoreArgs {
  project: string;
  /** Region of the buckets: the storage key's location, and the cluster's. */
  location: string;
  /** Pulumi stack: part of every bucket name. */
  stack: string;
  buckets: BucketConfig[];
  kmsKey: GcpDomainKey;
  googleApisCidrs: string[];
  /** Days usage logs are kept. */
  accessLogRetentionDays: number;
  environment: string;
  protect: boolean;
}

/** A store's name and GcsBucket components, beside the instance: the analyzer publishes every field. */
interface GcsObjectStoreParts {
  componentName: string;
  buckets: GcsBucket[];
  accessLogBucket: GcsBucket;
}
const storeParts = new WeakMap<GcsObjectStore, GcsObjectStoreParts>();

/** The stack's buckets, plus the access-log bucket they log to. */
export class GcsObjectStore extends pulumi.ComponentResource implements ObjectStore {
  /** Physical bucket name per logical bucket (known before anything runs). */
  readonly bucketNames: Record<string, string>;
  /** Physical name of the access-log bucket. */
  readonly accessLogBucketName: string;

  /** The buckets (a getter: the analyzer cannot reference an mlstack component in a schema). */
  get buckets(): GcsBucket[] {
    return (storeParts.get(this) as GcsObjectStoreParts).buckets;
  }
  /** Where usage logs of every bucket go (not part of `buckets`: no workload is granted it). */
  get accessLogBucket(): GcsBucket {
    return (storeParts.get(this) as GcsObjectStoreParts).accessLogBucket;
  }

  constructor(name: string, args: GcsObjectStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.buckets.some((b) => b.name === ACCESS_LOG_BUCKET)) {
      throw new Error(
        `GcsObjectStore ${name}: bucket name "${ACCESS_LOG_BUCKET}" is reserved for the stack's access logs; rename it in mlstack:objectStore.buckets`,
      );
    }
    if (!Number.isInteger(args.accessLogRetentionDays) || args.accessLogRetentionDays < 1) {
      throw new Error(
        `GcsObjectStore ${name}: accessLogRetentionDays ${JSON.stringify(args.accessLogRetentionDays)} is not a whole number of days, at least 1`,
      );
    }
    super("mlstack:objectstore:GcsObjectStore", name, {}, opts);
    const common = {
      project: args.project,
      location: args.location,
      kmsKey: args.kmsKey,
      googleApisCidrs: args.googleApisCidrs,
      environment: args.environment,
      protect: args.protect,
    };

    const accessLogBucketName = gcsBucketName(args.project, args.stack, ACCESS_LOG_BUCKET);
    const accessLogBucket = new GcsBucket(
      `${name}-${ACCESS_LOG_BUCKET}`,
      {
        ...common,
        bucketName: accessLogBucketName,
        config: {
          name: ACCESS_LOG_BUCKET,
          owner: "platform",
          versioning: true,
          lifecycle: { noncurrentVersionExpirationDays: 7, expirationDays: args.accessLogRetentionDays },
        },
      },
      { parent: this },
    );
    const logWriter = new storage.BucketIAMMember(
      `${name}-${ACCESS_LOG_BUCKET}-writer`,
      {
        bucket: accessLogBucket.bucketName,
        role: "roles/storage.objectCreator",
        member: STORAGE_ANALYTICS_MEMBER,
      },
      { parent: accessLogBucket },
    );

    const buckets = args.buckets.map(
      (config) =>
        new GcsBucket(
          `${name}-${config.name}`,
          {
            ...common,
            config,
            bucketName: gcsBucketName(args.project, args.stack, config.name),
            // Logging starts only once GCS may deliver the logs.
            logging: { bucket: accessLogBucketName, ready: [accessLogBucket.bucket, logWriter] },
          },
          { parent: this },
        ),
    );
    storeParts.set(this, { componentName: name, buckets, accessLogBucket });
    this.bucketNames = Object.fromEntries(
      args.buckets.map((config) => [config.name, gcsBucketName(args.project, args.stack, config.name)]),
    );
    this.accessLogBucketName = accessLogBucketName;
    this.registerOutputs({
      buckets: buckets.map((b) => b.bucketName),
      accessLogBucket: accessLogBucket.bucketName,
    });
  }

  bucket(logicalName: string): GcsBucket {
    const { componentName } = storeParts.get(this) as GcsObjectStoreParts;
    return declaredBucket(`GcsObjectStore ${componentName}`, this.buckets, logicalName);
  }
}

function googleApisEgress(cidrs: string[]): k8s.types.input.networking.v1.NetworkPolicyEgressRule {
  return { to: cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port: 443 }] };
}
