/**
 * `mlstack/kubernetes`: the in-cluster backing services of plain Kubernetes — Kafka on Strimzi,
 * Postgres on CloudNativePG, buckets from an ObjectBucketClaim or an external S3 endpoint, and
 * credentials-Secret workload identities. Loads no cloud SDK. The provider-neutral workloads
 * (ModelServing, Mlflow, TeamNamespace, …) come from `mlstack`; they are re-exported here so a
 * Kubernetes-only program needs one import. The in-cluster backing services the component package
 * serves (StrimziKafka, CnpgPostgres, ObcObjectStore, ExternalObjectStore) are exported by `mlstack` itself, the only entry the Pulumi plugin loads.
 */
export * from "./index";
export { S3CompatibleBucket } from "./objectstore/S3CompatibleBucket";
export type { S3CompatibleBucketArgs } from "./objectstore/S3CompatibleBucket";
export { KubernetesIdentityProvider } from "./identity/kubernetes";
