/**
 * `mlstack/gcp`: the GCP backing services — Managed Service for Apache Kafka, Cloud SQL for
 * PostgreSQL, GCS with CMEK, GKE Workload Identity. Loads `@pulumi/gcp` (a peer dependency); the
 * provider-neutral workloads come from `mlstack` and are re-exported here.
 */
export * from "./index";
export { ManagedKafka } from "./kafka/managedKafka";
export type { ManagedKafkaArgs } from "./kafka/managedKafka";
export { CloudSqlPostgres } from "./postgres/cloudSql";
export type {
  CloudSqlBackup,
  CloudSqlMaintenanceWindow,
  CloudSqlNetwork,
  CloudSqlPostgresArgs,
} from "./postgres/cloudSql";
export { CloudSqlAvailabilityType, CloudSqlEdition } from "./postgres/cloudSqlSettings";
export { CloudSqlPrivateServicesAccess } from "./postgres/cloudSqlPrivateServicesAccess";
export type { CloudSqlPrivateServicesAccessArgs } from "./postgres/cloudSqlPrivateServicesAccess";
export { GcsBucket, GcsObjectStore } from "./objectstore/gcs";
export type { GcsBucketArgs, GcsBucketLogging, GcsObjectStoreArgs } from "./objectstore/gcs";
export { GkeWorkloadIdentityProvider } from "./identity/workloadIdentity";
export type { GkeWorkloadIdentityProviderArgs } from "./identity/workloadIdentity";
export { GcpKms } from "./kms/gcp";
export type { GcpKmsArgs } from "./kms/gcp";
