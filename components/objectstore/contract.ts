/**
 * Object storage, provider-neutral. Buckets are declared by logical name in config; each
 * implementation (ObjectBucketClaim / external S3 endpoint, S3, GCS) maps them to physical
 * buckets and grants one workload access to one bucket.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { WorkloadAccess, WorkloadIdentity } from "../identity/contract";

export type BucketAccessMode = "read" | "readwrite";

/**
 * URL scheme clients use: `s3` (ObjectBucketClaim, external, S3) or `gs` (GCS). An `as const`
 * enum, not a bare string union, so the components that take or publish a Bucket fit a Pulumi
 * package schema (@pulumi/pulumi 3.270.0, provider/experimental/analyzer.js).
 */
export const BucketScheme = { s3: "s3", gs: "gs" } as const;
export type BucketScheme = (typeof BucketScheme)[keyof typeof BucketScheme];

export interface Bucket {
  /** Logical name from `mlstack:objectStore.buckets`. */
  logicalName: string;
  /** Physical bucket name. */
  bucketName: pulumi.Output<string>;
  /** URL scheme clients use: `s3` (ObjectBucketClaim, external, S3) or `gs` (GCS). */
  scheme: BucketScheme;
  /**
   * S3 endpoint for S3-compatible stores (ObjectBucketClaim / external); undefined on AWS and GCS,
   * where clients use the provider's default endpoint.
   */
  endpoint?: pulumi.Output<string>;
  /** `s3://bucket/path` / `gs://bucket/path`. */
  url(path?: string): pulumi.Output<string>;
  /**
   * Grants one workload access to this bucket only. The returned env always includes
   * `BUCKET_NAME`, and for S3-compatible stores `AWS_ENDPOINT_URL` / `AWS_REGION`; static
   * credentials (in-cluster only) arrive as `secretKeyRef`s.
   */
  grantAccess(identity: WorkloadIdentity, mode: BucketAccessMode, opts: BucketGrantOptions): WorkloadAccess;
}

/**
 * An object key prefix a grant may be narrowed to: segments of S3/GCS-safe characters separated
 * by single slashes, no leading or trailing slash.
 */
export const BUCKET_PREFIX = /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/;

export interface BucketGrantOptions {
  parent: pulumi.Resource;
  /**
   * Narrow the grant to keys under this prefix (a model's path). Enforced where the store's
   * access control can express it (S3 IAM policies); stores whose credentials are per bucket
   * (ObjectBucketClaim, external endpoint) grant the whole bucket and say so.
   */
  prefix?: string;
}

export interface ObjectStore {
  bucket(logicalName: string): Bucket;
  readonly buckets: Bucket[];
}

/**
 * The bucket a store declared under `logicalName`, or an error naming the store and the buckets it
 * has: every implementation's `bucket()`.
 */
export function declaredBucket<B extends Bucket>(
  store: string,
  buckets: readonly B[],
  logicalName: string,
): B {
  const found = buckets.find((b) => b.logicalName === logicalName);
  if (!found) {
    throw new Error(
      `${store}: bucket ${JSON.stringify(logicalName)} is not declared in mlstack:objectStore.buckets (declared: ${buckets.map((b) => b.logicalName).join(", ") || "none"})`,
    );
  }
  return found;
}
