/** What an object store is asked to hold (`mlstack:objectStore`): shared by every object-store backend. */

/*
 * String enums here are `as const` objects as well as types (values unchanged), and nested objects
 * named interfaces: Pulumi's component analyzer refuses bare string unions and inline object types
 * (@pulumi/pulumi 3.270.0, provider/experimental/analyzer.js), and the object stores are served by
 * the component package.
 */

/**
 * `obc`: ObjectBucketClaims (ODF / NooBaa, Rook-Ceph); `external`: an S3 endpoint mlstack does not run;
 * `seaweedfs`: a SeaweedFS server mlstack deploys into the platform namespace (dev on a bare cluster).
 */
export const ObjectStoreProvider = { obc: "obc", external: "external", seaweedfs: "seaweedfs" } as const;
export type ObjectStoreProvider = (typeof ObjectStoreProvider)[keyof typeof ObjectStoreProvider];

/** `mlstack:objectStore.seaweedfs`: the in-cluster SeaweedFS server (`provider: seaweedfs` only). */
export interface SeaweedFsConfig {
  /** Size of the server's PersistentVolumeClaim (objects and filer metadata). Default `10Gi`. */
  volumeSize: string;
  /** StorageClass of that claim. Default: unset, so the cluster's default class (kind: `standard`). */
  storageClassName?: string;
}

/** How long a bucket keeps objects (`mlstack:objectStore.buckets[].lifecycle`). */
export interface BucketLifecycle {
  /** Delete noncurrent versions after N days. Default 30. */
  noncurrentVersionExpirationDays: number;
  /** Delete current objects after N days (0 = never). Default 0. */
  expirationDays: number;
}

export interface BucketConfig {
  /** Logical name, unique in the stack; the physical name is derived per target. */
  name: string;
  /** Owning team, or `platform` for MLflow artifacts and database backups. */
  owner: string;
  /** Keep object versions. Default true. */
  versioning: boolean;
  lifecycle: BucketLifecycle;
  /** `external` provider only: Secret (in the owner's namespace) with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY for this bucket. */
  credentialsSecret?: string;
}

export interface ObjectStoreConfig {
  /** kubernetes / openshift: `obc` (ODF, NooBaa, Rook), `external` S3-compatible endpoint or in-cluster `seaweedfs`. Cloud targets use S3 / GCS. */
  provider: ObjectStoreProvider;
  /** `provider: seaweedfs` only: the server's volume. */
  seaweedfs?: SeaweedFsConfig;
  /** OBC storage class. Default openshift `openshift-storage.noobaa.io`, kubernetes `rook-ceph-bucket`. */
  storageClassName: string;
  /** S3 endpoint URL clients use. Default openshift `https://s3.openshift-storage.svc`, kubernetes `http://rook-ceph-rgw-objectstore.rook-ceph.svc`. */
  endpoint: string;
  /** S3 region clients sign for. Default `us-east-1`. */
  region: string;
  buckets: BucketConfig[];
}
