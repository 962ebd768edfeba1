/**
 * The validated, defaults-applied model of every `mlstack:*` config key.
 *
 * Everything downstream (stacks, components) reads this model, never `pulumi.Config`:
 * by the time a `PlatformConfig` exists, every key has been checked and every default
 * for the environment has been filled in.
 */

import type { NetworkConfig } from "../../components/kube/clusterNetwork";
import type { KafkaConfig } from "../../components/kafka/settings";
import type { MlflowConfig } from "../../components/mlflow/settings";
import type { OrchestratorConfig } from "../../components/orchestrator/settings";
import type { ResourceQuotaConfig } from "../../components/namespace/settings";
import type { ObjectStoreConfig } from "../../components/objectstore/settings";
import type { OperatorsConfig } from "../../components/operators/settings";
import type { Environment, Target } from "../../components/platformIdentity";
import type { PostgresConfig } from "../../components/postgres/settings";
import type { GpuNodes, ModelConfig, ServingRuntime } from "../../components/serving/settings";
import type { AwsTargetConfig } from "./aws";
import type { GcpTargetConfig } from "./gcp";

// Each component owns the settings it is built from; the config model is assembled from them.
export { ENVIRONMENTS, MLFLOW_WORKLOAD, PLATFORM_OWNER, TARGETS } from "../../components/platformIdentity";
export type { Environment, Target } from "../../components/platformIdentity";
export type { ContainerResources } from "../../components/kube/containerResources";
export type { NetworkConfig } from "../../components/kube/clusterNetwork";
export type {
  KafkaAuthentication,
  KafkaConfig,
  KafkaTopicConfig,
  StrimziApiVersion,
} from "../../components/kafka/settings";
export type { MlflowAuth, MlflowConfig } from "../../components/mlflow/settings";
export type { OrchestratorConfig, PipelineSettings } from "../../components/orchestrator/settings";
export type { ResourceQuotaConfig } from "../../components/namespace/settings";
export type {
  BucketConfig,
  ObjectStoreConfig,
  ObjectStoreProvider,
} from "../../components/objectstore/settings";
export type { OperatorConfig, OperatorsConfig } from "../../components/operators/settings";
export type { PostgresConfig, PostgresDatabaseConfig } from "../../components/postgres/settings";
export type { ModelConfig, ServingEngine, ServingRuntime } from "../../components/serving/settings";
export type { AwsTargetConfig, GcpTargetConfig };

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
  /** `mlstack:orchestrator`: the pipeline orchestrator (Prefect); absent = none. */
  orchestrator?: OrchestratorConfig;
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

export interface ServingConfig {
  /** PrometheusRule alerts per model. Default true outside dev. */
  monitoring: boolean;
  /** Default server image per runtime. */
  runtimeImages: Record<Exclude<ServingRuntime, "custom">, string>;
  models: ModelConfig[];
  /** The cluster's GPU nodes; GPU models are refused without them. */
  gpuNodes?: GpuNodes;
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
