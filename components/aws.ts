/**
 * `mlstack/aws`: the AWS backing services — MSK, RDS / Aurora PostgreSQL, S3 with KMS, IRSA
 * workload identities. Loads `@pulumi/aws` (a peer dependency); the provider-neutral workloads
 * come from `mlstack` and are re-exported here.
 */
export * from "./index";
export { MskKafka } from "./kafka/msk";
export type { MskKafkaArgs, MskNetwork } from "./kafka/msk";
export { MskAuthentication, MskEnhancedMonitoring } from "./kafka/mskSettings";
export type { AwsKafkaConfig, MskIamSettings } from "./kafka/mskSettings";
export type { MskScramSettings } from "./kafka/mskScram";
export { RdsPostgres } from "./postgres/rds";
export type { RdsNetwork, RdsPostgresArgs } from "./postgres/rds";
export {
  PostgresLogStatement,
  PostgresWorkloadAuthentication,
  RdsAdminSslMode,
  RdsEngine,
} from "./postgres/rdsSettings";
export type { AwsPostgresConfig } from "./postgres/rdsSettings";
export { S3ObjectStore } from "./objectstore/s3";
export type { S3ObjectStoreArgs } from "./objectstore/s3";
export { S3Bucket } from "./objectstore/s3Bucket";
export type { S3BucketArgs, S3BucketLogging, S3GrantOptions } from "./objectstore/s3Bucket";
export { IrsaIdentityProvider, IrsaRole } from "./identity/irsa";
export type { IrsaSettings } from "./identity/irsa";
export { AwsKmsKey } from "./kms/aws";
export type { AwsKmsKeyArgs } from "./kms/aws";
