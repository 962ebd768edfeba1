/**
 * AWS rules (after Pulumi's awsguard and Checkov), in catalog order: S3 (`awsS3.ts`), RDS / Aurora
 * PostgreSQL and MSK (`awsData.ts`), IAM and KMS (`awsIamKms.ts`).
 *
 * S3 buckets are configured both ways `@pulumi/aws` 7.x allows: the current `aws:s3/bucket:Bucket`
 * (and the deprecated `aws:s3/bucketV2:BucketV2`) with separate configuration resources (each in
 * its current and deprecated `…V2` spelling), or the deprecated inline inputs
 * (`serverSideEncryptionConfiguration`, `versioning`, `logging`, `acl`, `grants`, `policy`).
 * Stack rules relate a bucket to its configuration resources (see `references.ts`).
 *
 * Unknown values: an unknown field or policy document is reported as not checked (a finding at the
 * rule's level, never a pass); the engine validates again at `pulumi up`. A configuration
 * resource that cannot be linked to any bucket (unknown reference, no dependency information)
 * makes a bucket without one *not checked* rather than failed.
 */
import {
  rdsBackups,
  rdsDeletionProtection,
  rdsEncrypted,
  rdsForceSsl,
  rdsIamAuth,
  rdsLogsUpgrades,
  rdsMultiAz,
  rdsNotPublic,
  mskClientAuth,
  mskCmkLogging,
  mskPrivate,
  mskTls,
} from "./awsData";
import {
  iamNoAdminAttach,
  iamNoWildcardAction,
  iamNoWildcardResource,
  iamTrustScoped,
  kmsPolicySafe,
  kmsRotation,
} from "./awsIamKms";
import {
  s3AccessLogging,
  s3NoAcls,
  s3NoWildcardPrincipal,
  s3PublicAccessBlock,
  s3SseKms,
  s3TlsOnly,
  s3Versioning,
} from "./awsS3";
import type { ResourceRule, StackRule } from "./rule";

export const awsRules: ResourceRule[] = [
  s3NoWildcardPrincipal,
  rdsEncrypted,
  rdsNotPublic,
  rdsBackups,
  rdsDeletionProtection,
  rdsMultiAz,
  rdsIamAuth,
  rdsLogsUpgrades,
  mskTls,
  mskClientAuth,
  mskPrivate,
  mskCmkLogging,
  iamNoWildcardAction,
  iamNoWildcardResource,
  iamNoAdminAttach,
  iamTrustScoped,
  kmsRotation,
];
export const awsStackRules: StackRule[] = [
  s3PublicAccessBlock,
  s3NoAcls,
  s3SseKms,
  s3Versioning,
  s3AccessLogging,
  s3TlsOnly,
  rdsForceSsl,
  kmsPolicySafe,
];
