/**
 * The validated, defaults-applied model of every `mlstack:*` config key.
 *
 * Everything downstream (stacks, components) reads this model, never `pulumi.Config`:
 * by the time a `PlatformConfig` exists, every key has been checked and every default
 * for the environment has been filled in.
 */

import type { AwsTargetConfig } from "./aws";
import type { GcpTargetConfig } from "./gcp";

export type { AwsTargetConfig, GcpTargetConfig };

export const TARGETS = ["kubernetes", "openshift", "aws", "gcp"] as const;
export type Target = (typeof TARGETS)[number];

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** The workload name MLflow uses wherever a config entry names an owner or a grantee. */
export const MLFLOW_WORKLOAD = "mlflow";

export interface PlatformConfig {
  /** `mlstack:target`: where the platform runs. */
  target: Target;
  /** `mlstack:environment`: sets sizes, replicas, retention and protection defaults. */
  environment: Environment;
  /** Pulumi project and stack names (used to derive names that must not collide). */
  project: string;
  stack: string;
  /** `mlstack:namespacePrefix`: prefix of every namespace the stack creates. Default `ml-<environment>-`. */
  namespacePrefix: string;
  /** Namespace holding Kafka, Postgres and MLflow: `<prefix>platform`. */
  platformNamespace: string;
  /** `mlstack:protect`: protect stateful resources. Default: true in prod, false elsewhere. */
  protect: boolean;
  /** Staging and prod run highly available (replicas, PDBs, spread). */
  highAvailability: boolean;
  teams: TeamConfig[];
  kafka: KafkaConfig;
  postgres: PostgresConfig;
  objectStore: ObjectStoreConfig;
  mlflow: MlflowConfig;
  serving: ServingConfig;
  operators: OperatorsConfig;
  /** `mlstack:registries`: registries every image must come from. */
  registries: string[];
  ingress: IngressConfig;
  network: NetworkConfig;
  /** Present only when `target` is `aws` (validated by stacks/config/aws). */
  aws?: AwsTargetConfig;
  /** Present only when `target` is `gcp` (validated by stacks/config/gcp). */
  gcp?: GcpTargetConfig;
}

export interface ResourceQuotaConfig {
  /** Total CPU requests in the namespace (Kubernetes quantity). Default dev 8, staging 16, prod 32. */
  cpu: string;
  /** Total memory requests. Default dev 16Gi, staging 32Gi, prod 64Gi. */
  memory: string;
  /** `requests.nvidia.com/gpu`. Default 0: GPUs are opt-in per team. */
  gpu: number;
  /** Maximum pods. Default 50. */
  pods: number;
  /** Total PVC storage. Default dev 50Gi, else 200Gi. */
  storage: string;
}

export interface TeamConfig {
  /** DNS label; the namespace is `<namespacePrefix><name>`. */
  name: string;
  namespace: string;
  /** Identity-provider groups bound to the team's namespaced role. At least one. */
  groups: string[];
  /** Individual users also bound (optional). */
  members: string[];
  quota: ResourceQuotaConfig;
}

export type KafkaAuthentication = "scram-sha-512" | "tls";
export type StrimziApiVersion = "kafka.strimzi.io/v1" | "kafka.strimzi.io/v1beta2";

export interface KafkaTopicConfig {
  name: string;
  /** Default 3 (dev 1). */
  partitions: number;
  /** Default: the cluster's replication factor. */
  replicas: number;
  /** Retention in hours. Default 168 (7 days). */
  retentionHours: number;
  /** Owning team: may read and write. */
  owner: string;
  /** Other teams that may consume. */
  readers: string[];
  /** Other teams that may produce. */
  writers: string[];
}

export interface KafkaConfig {
  /** Cluster name (Kubernetes) / name stem (cloud). Default `kafka`. */
  name: string;
  /** Kafka version the operator runs (Strimzi). Default 4.1.0. */
  version: string;
  /** Strimzi CRD API version to emit. Default `kafka.strimzi.io/v1` (Strimzi 1.x); `v1beta2` for older operators. */
  apiVersion: StrimziApiVersion;
  /** Broker count. Default dev 1, else 3. */
  brokers: number;
  /** KRaft controller count. Default dev 1, else 3. */
  controllers: number;
  /** Broker volume size. Default dev 10Gi, staging 100Gi, prod 500Gi. */
  storageSize: string;
  storageClass?: string;
  /** Client authentication on the TLS listener. Default `scram-sha-512`. */
  authentication: KafkaAuthentication;
  /** Default replication factor: dev 1, else 3 (must not exceed brokers). */
  replicationFactor: number;
  /** min.insync.replicas: dev 1, else 2. */
  minInsyncReplicas: number;
  resources: ContainerResources;
  topics: KafkaTopicConfig[];
}

export interface PostgresDatabaseConfig {
  /** Database name (also its owning role's name). */
  name: string;
  /** Owning workload: `mlflow` or a model name from `mlstack:serving.models`. */
  owner: string;
}

export interface PostgresConfig {
  /** Cluster name. Default `postgres`. */
  name: string;
  /** PostgreSQL major version. Default 17. */
  version: number;
  /** Instances: dev 1, staging 2, prod 3. */
  instances: number;
  /** Volume size. Default dev 5Gi, staging 50Gi, prod 200Gi. */
  storageSize: string;
  storageClass?: string;
  resources: ContainerResources;
  backup: {
    /** Default false in dev, true elsewhere. */
    enabled: boolean;
    /** Days of base backups + WAL kept. Default dev 7, staging 14, prod 35. */
    retentionDays: number;
    /** Cron schedule (six fields, seconds first, as CloudNativePG expects). Default daily 02:00. */
    schedule: string;
    /** Logical bucket holding backups. Default `postgres-backups` (declared automatically). */
    bucket: string;
  };
  databases: PostgresDatabaseConfig[];
}

export type ObjectStoreProvider = "obc" | "external";

export interface BucketConfig {
  /** Logical name, unique in the stack; the physical name is derived per target. */
  name: string;
  /** Owning team, or `platform` for MLflow artifacts and database backups. */
  owner: string;
  /** Keep object versions. Default true. */
  versioning: boolean;
  lifecycle: {
    /** Delete noncurrent versions after N days. Default 30. */
    noncurrentVersionExpirationDays: number;
    /** Delete current objects after N days (0 = never). Default 0. */
    expirationDays: number;
  };
  /** `external` provider only: Secret (in the owner's namespace) with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY for this bucket. */
  credentialsSecret?: string;
}

export interface ObjectStoreConfig {
  /** kubernetes / openshift: `obc` (ODF, NooBaa, Rook) or `external` S3-compatible endpoint. Cloud targets use S3 / GCS. */
  provider: ObjectStoreProvider;
  /** OBC storage class. Default openshift `openshift-storage.noobaa.io`, kubernetes `rook-ceph-bucket`. */
  storageClassName: string;
  /** S3 endpoint URL clients use. Default openshift `https://s3.openshift-storage.svc`, kubernetes `http://rook-ceph-rgw-objectstore.rook-ceph.svc`. */
  endpoint: string;
  /** S3 region clients sign for. Default `us-east-1`. */
  region: string;
  buckets: BucketConfig[];
}

export type MlflowAuth = "basic" | "oauth-proxy" | "none";

export interface MlflowConfig {
  /** Tracking server image (see images/mlflow). */
  image: string;
  /** Replicas: dev 1, else 2. */
  replicas: number;
  /** `basic` (MLflow basic-auth), `oauth-proxy` (OpenShift only), `none` (dev only). Default: openshift `oauth-proxy`, else `basic`. */
  auth: MlflowAuth;
  /** oauth-proxy sidecar image (OpenShift). */
  oauthProxyImage: string;
  /** Public hostname; unset = internal only. */
  hostname?: string;
  /** Logical bucket for artifacts. Default `mlflow-artifacts` (declared automatically). */
  artifactBucket: string;
  /** Database owned by `mlflow`. Default `mlflow` (declared automatically). */
  database: string;
  resources: ContainerResources;
}

export type ServingEngine = "deployment" | "kserve";
export type ServingRuntime = "mlflow" | "mlserver" | "triton" | "custom";

export interface ContainerResources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

export interface ModelConfig {
  /** DNS label, unique in the stack; also the workload name. */
  name: string;
  team: string;
  engine: ServingEngine;
  runtime: ServingRuntime;
  /** Server image. Default per runtime from `serving.runtimeImages`; required for `custom`. */
  image: string;
  /** Model artifacts in a declared bucket of the model's team; unset when the image embeds the model. */
  source?: { bucket: string; path: string };
  /** Container port the server listens on. Default 8080. */
  port: number;
  /** Replicas / HPA bounds: dev 1..2, else 2..6. */
  minReplicas: number;
  maxReplicas: number;
  /** HPA CPU target (%). Default 70. */
  targetCpuUtilization: number;
  resources: ContainerResources;
  /** GPUs per replica; 0 = none. */
  gpu: { count: number; nodeSelector: Record<string, string>; tolerations: boolean };
  /** `internal` (Service only) or `external` (Ingress / Route). */
  exposure: "internal" | "external";
  /** External hostname (default `<model>.<ingress.domain>`). */
  hostname?: string;
  /** Streaming inference: consume `inputTopic`, produce to `outputTopic`. */
  kafka?: { inputTopic: string; outputTopic: string; consumerGroup: string; lagThreshold: number };
}

export interface ServingConfig {
  /** PrometheusRule alerts per model. Default true outside dev. */
  monitoring: boolean;
  /** Default server image per runtime. */
  runtimeImages: Record<Exclude<ServingRuntime, "custom">, string>;
  models: ModelConfig[];
}

export interface OperatorConfig {
  /** Helm chart version (kubernetes) / OLM channel (openshift). */
  version: string;
  channel: string;
}

export interface OperatorsConfig {
  /** Install Strimzi, CloudNativePG (and KServe when a model uses it); false = assume present. Default: true on kubernetes, false on openshift. */
  install: boolean;
  strimzi: OperatorConfig;
  cloudnativePg: OperatorConfig;
  /** The CloudNativePG Barman Cloud backup plugin (Helm chart version; kubernetes only). */
  barmanCloud: OperatorConfig;
  kserve: OperatorConfig;
  /** Namespace for operators installed by Helm. Default `<prefix>operators`. */
  namespace: string;
}

export interface IngressConfig {
  /** Base domain for external hostnames (required when anything is external). */
  domain?: string;
  /** Ingress class (kubernetes). Default `nginx`. */
  className: string;
  /** cert-manager ClusterIssuer to annotate Ingresses with. */
  clusterIssuer?: string;
  /** Existing TLS Secret name, used when no issuer is set. */
  tlsSecretName?: string;
}

/**
 * What the default-deny NetworkPolicies must let through, beyond the platform's own services.
 */
export interface NetworkConfig {
  /**
   * CIDRs of the Kubernetes API server, for pods that call it (CloudNativePG instance managers,
   * the OpenShift oauth-proxy). Default `0.0.0.0/0` limited to ports 443 and 6443: narrow it to
   * the control plane's addresses when they are known.
   */
  apiServerCidrs: string[];
  /** Namespace of the ingress controller / router. Default kubernetes `ingress-nginx`, openshift `openshift-ingress`. */
  ingressNamespace: string;
  /** Namespace of the Prometheus that scrapes metrics. Default kubernetes `monitoring`, openshift `openshift-monitoring`. */
  monitoringNamespace: string;
  /** Namespace of the in-cluster object store (OBC provider). Default openshift `openshift-storage`, kubernetes `rook-ceph`. */
  objectStoreNamespace: string;
  /** CIDRs of an external S3 endpoint (external provider). Default `0.0.0.0/0` on the endpoint's port only. */
  objectStoreCidrs: string[];
  /**
   * Namespace of the KEDA operator, which reads streaming models' consumer lag from Kafka.
   * Default kubernetes `keda`, openshift `openshift-keda` (Custom Metrics Autoscaler).
   */
  kedaNamespace: string;
}
