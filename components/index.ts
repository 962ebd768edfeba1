/**
 * `mlstack`: the provider-neutral part of the library — the components every target shares and
 * the contracts the backing services implement. Importing it registers nothing and loads no cloud
 * SDK (`@pulumi/aws`, `@pulumi/gcp`); the per-target backing services are in `mlstack/kubernetes`,
 * `mlstack/openshift`, `mlstack/aws` and `mlstack/gcp`.
 *
 * Everything exported here (and from the target entries) is the package's public API: removing or
 * renaming an export, or making an optional argument required, is a breaking change (CHANGELOG.md).
 */

// Where the platform runs and how its workloads are named.
// (Target, Environment and ClusterFlavor are each a value, the enum's members, and a type.)
export {
  ENVIRONMENTS,
  Environment,
  MLFLOW_WORKLOAD,
  PLATFORM_OWNER,
  TARGETS,
  Target,
} from "./platformIdentity";
export { ClusterFlavor, flavorOf } from "./context";
export type { PlatformContext } from "./context";
export type { ArgumentProblem, ArgumentRefusal } from "./argumentProblem";

// The contracts: what a workload needs from each backing service, whatever implements it.
export { emptyAccess, mergeAccess } from "./identity/contract";
export type {
  WorkloadAccess,
  WorkloadIdentity,
  WorkloadIdentityProvider,
  WorkloadRef,
} from "./identity/contract";
export type {
  KafkaCluster,
  KafkaClientSecurity,
  KafkaLagTrigger,
  KafkaScalerAuth,
  TopicGrant,
} from "./kafka/contract";
export type { KafkaConfig, KafkaTopicConfig } from "./kafka/settings";
export type { PostgresService } from "./postgres/contract";
export type { PostgresConfig, PostgresDatabaseConfig } from "./postgres/settings";
export { BUCKET_PREFIX } from "./objectstore/contract";
export type { Bucket, BucketAccessMode, BucketGrantOptions, ObjectStore } from "./objectstore/contract";
export type { BucketConfig, ObjectStoreConfig } from "./objectstore/settings";
export type { NetworkConfig } from "./kube/clusterNetwork";
export type { ContainerResources } from "./kube/containerResources";

// Workloads written once against the contracts.
export { TeamNamespace, validateTeamNamespaceArgs } from "./namespace/TeamNamespace";
export type { TeamNamespaceArgs, TeamServiceAccount } from "./namespace/TeamNamespace";
export { Mlflow } from "./mlflow/Mlflow";
export type { MlflowArgs, MlflowPermission } from "./mlflow/Mlflow";
export { MlflowAuth } from "./mlflow/settings";
export type { MlflowConfig } from "./mlflow/settings";
export { validateMlflowArgs } from "./mlflow/validation";
export { ModelServing, validateModelServingArgs } from "./serving/ModelServing";
export type { ModelServingArgs } from "./serving/ModelServing";
export type { ModelConfig, ServingEngine, ServingRuntime } from "./serving/settings";
export { Orchestrator } from "./orchestrator/Orchestrator";
export type { OrchestratorArgs, OrchestratorPipelineArgs } from "./orchestrator/Orchestrator";
export { validateOrchestratorArgs } from "./orchestrator/validation";

// Exposure, certificates and the operators the in-cluster backing services need.
export { Exposure, validateExposureArgs } from "./exposure/Exposure";
export type { ExposureArgs, ExposureTls } from "./exposure/Exposure";
export { CertificateAuthority } from "./pki/CertificateAuthority";
export type { CertificateAuthorityArgs, IssueArgs, IssuedCertificate } from "./pki/CertificateAuthority";
export { PlatformOperators, validatePlatformOperatorsArgs } from "./operators/PlatformOperators";
export type { PlatformOperatorsArgs } from "./operators/PlatformOperators";
export type { OperatorConfig, OperatorsConfig } from "./operators/settings";

// In-cluster backing services served by the component package too: the Pulumi plugin loads only
// this entry, and they need no cloud SDK (the cloud ones stay in `mlstack/aws` and `mlstack/gcp`).
export { StrimziKafka, validateStrimziKafkaArgs } from "./kafka/StrimziKafka";
export type { KedaOperatorPeer, StrimziKafkaArgs } from "./kafka/StrimziKafka";
export { KafkaAuthentication, StrimziApiVersion } from "./kafka/settings";
export { KafkaSaslMechanism, KafkaSecurityProtocol } from "./kafka/contract";
export { CnpgPostgres } from "./postgres/CnpgPostgres";
export type { CertificateIssuer, CnpgPostgresArgs } from "./postgres/CnpgPostgres";
export type { PostgresBackupConfig } from "./postgres/settings";
export { BucketScheme } from "./objectstore/contract";
export { ObcObjectStore, OBC_PROVISIONERS, ObcProvisioner } from "./objectstore/ObcObjectStore";
export type { ObcObjectStoreArgs } from "./objectstore/ObcObjectStore";
export { ExternalObjectStore } from "./objectstore/ExternalObjectStore";
export type { ExternalObjectStoreArgs } from "./objectstore/ExternalObjectStore";
export type { EndpointCa } from "./objectstore/S3CompatibleBucket";
export { ObjectStoreProvider } from "./objectstore/settings";
export type { BucketLifecycle } from "./objectstore/settings";

// The shared Kubernetes rules, for application stacks that want the platform's conventions.
export { kubeLabels, selectorLabels } from "./kube/labels";
export type { LabelArgs } from "./kube/labels";
export { containerSecurityContext, podSecurityContext } from "./kube/podSecurity";
