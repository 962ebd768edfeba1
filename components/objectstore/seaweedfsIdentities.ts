/**
 * SeaweedFS's static S3 identities file, the JSON `weed mini -s3.config` / `weed s3 -config` reads:
 * `{ "identities": [{ "name", "credentials": [{ "accessKey", "secretKey" }], "actions": [...] }] }`.
 * An action is `<Action>` (every bucket) or `<Action>:<bucket>` (that bucket only); mlstack writes only
 * the bucket-scoped form, so no key reaches a bucket it was not issued for. No identity is named
 * `anonymous`, so unsigned requests are refused.
 *
 * Read from the SeaweedFS source at github.com/seaweedfs/seaweedfs commit 7506e5f91cd6 (Go module
 * v0.0.0-20261109003541-7506e5f91cd6, release 4.53): action names in
 * `weed/s3api/s3_constants/s3_actions.go` (`Read`, `Write`, `List`, `Tagging`, `Admin`), the
 * bucket-scoped match `<action>:<bucket>` in `Identity.CanDo` (`weed/s3api/auth_credentials.go`),
 * and the file shape in `docker/compose/s3.json`.
 */
import type { BucketAccessMode } from "./contract";

export interface SeaweedFsCredential {
  accessKey: string;
  secretKey: string;
}

export interface SeaweedFsIdentity {
  name: string;
  credentials: SeaweedFsCredential[];
  actions: string[];
}

export interface SeaweedFsS3Config {
  identities: SeaweedFsIdentity[];
}

/**
 * What each access mode may do on its bucket. `Read` is GET/HEAD of objects (and multipart
 * listings), `List` is ListObjects, `Write` is PUT/DELETE and multipart uploads, `Tagging` object
 * tags. Never `Admin` (bucket creation and deletion, ACLs, policies): buckets are created by the
 * server at start (`-bucket`), not by clients.
 */
export const SEAWEEDFS_ACTIONS: Record<BucketAccessMode, readonly string[]> = {
  read: ["Read", "List"],
  readwrite: ["Read", "List", "Write", "Tagging"],
};

/** The bucket-scoped actions one access mode gets on one bucket. */
export function seaweedFsBucketActions(bucket: string, mode: BucketAccessMode): string[] {
  return SEAWEEDFS_ACTIONS[mode].map((action) => `${action}:${bucket}`);
}

/** The identity that holds one bucket's key pair for one access mode. */
export function seaweedFsIdentity(
  bucket: string,
  mode: BucketAccessMode,
  credential: SeaweedFsCredential,
): SeaweedFsIdentity {
  return {
    name: `${bucket}-${mode}`,
    credentials: [credential],
    actions: seaweedFsBucketActions(bucket, mode),
  };
}

/** The file's text: identities sorted by name, so the same buckets always render the same file. */
export function renderSeaweedFsS3Config(identities: SeaweedFsIdentity[]): string {
  const sorted = [...identities].sort((a, b) => a.name.localeCompare(b.name));
  return JSON.stringify({ identities: sorted } satisfies SeaweedFsS3Config, null, 2);
}
