/**
 * The stack layer builds each component's arguments from the validated config, here and only
 * here: the composition (`platform.ts`, the in-cluster target) passes them to the constructors, and
 * the pre-flight step (`preflight.ts`) passes the very same arguments to the components' checks
 * before anything registers. Wiring that exists only once resources do (identities, grants,
 * `dependsOn`) is added by the caller.
 */
import { LISTENER_PORT } from "../components/kafka/strimziListenerTls";
import type * as pulumi from "@pulumi/pulumi";
import { PlatformContext, flavorOf } from "../components/context";
import type { StrimziKafkaArgs } from "../components/kafka/StrimziKafka";
import { Mlflow } from "../components/mlflow/Mlflow";
import type { TeamNamespaceArgs, TeamServiceAccount } from "../components/namespace/TeamNamespace";
import type { ExternalObjectStoreArgs } from "../components/objectstore/ExternalObjectStore";
import type { ObcObjectStoreArgs } from "../components/objectstore/ObcObjectStore";
import type { SeaweedFsObjectStoreArgs } from "../components/objectstore/SeaweedFsObjectStore";
import type { PlatformOperatorsArgs } from "../components/operators/PlatformOperators";
import type { CnpgPostgresArgs } from "../components/postgres/CnpgPostgres";
import { ORCHESTRATOR_WORKLOAD } from "../components/orchestrator/settings";
import type { ClusterFacts } from "./backing";
import { MLFLOW_WORKLOAD, PLATFORM_OWNER, PlatformConfig, TeamConfig } from "./config";

/** What every component is told about the platform it is part of. */
export function platformContext(config: PlatformConfig): PlatformContext {
  return {
    environment: config.environment,
    target: config.target,
    flavor: flavorOf(config.target),
    protect: config.protect,
    highAvailability: config.highAvailability,
    project: config.project,
    stack: config.stack,
  };
}

/** Names of the in-cluster backing services: child names (claims, Secrets) derive from them. */
export const IN_CLUSTER_COMPONENT_NAMES = {
  objectStore: "objectstore",
  kafka: "kafka",
  postgres: "postgres",
} as const;

/** ServiceAccount name of a workload: the workload name (models are unique per stack, `mlflow` is reserved). */
export function serviceAccountName(workload: string): string {
  return workload;
}

/** Team name → namespace, and workload (`mlflow`, every model) → namespace. */
export function platformNamespaces(config: PlatformConfig): {
  teamNamespaces: Record<string, string>;
  workloadNamespaces: Record<string, string>;
} {
  const teamNamespaces = Object.fromEntries(config.teams.map((t) => [t.name, t.namespace]));
  const workloadNamespaces: Record<string, string> = { [MLFLOW_WORKLOAD]: config.platformNamespace };
  for (const model of config.serving.models) workloadNamespaces[model.name] = teamNamespaces[model.team];
  if (config.orchestrator) workloadNamespaces[ORCHESTRATOR_WORKLOAD] = config.platformNamespace;
  return { teamNamespaces, workloadNamespaces };
}

/** Where the operators run: OLM installs into `openshift-operators`; Helm into `operators.namespace`. */
export function operatorNamespace(config: PlatformConfig): string {
  return config.target === "openshift" ? "openshift-operators" : config.operators.namespace;
}

export function isInCluster(config: PlatformConfig): boolean {
  return config.target === "kubernetes" || config.target === "openshift";
}

export function usesKserve(config: PlatformConfig): boolean {
  return config.serving.models.some((m) => m.engine === "kserve");
}

/** Whether the stack installs operators at all (`operators.install`, and something to install). */
export function installsOperators(config: PlatformConfig): boolean {
  return config.operators.install && (isInCluster(config) || usesKserve(config));
}

/** The platform namespace (Kafka, Postgres, MLflow): nobody bound, MLflow's ServiceAccount. */
export function platformNamespaceArgs(
  config: PlatformConfig,
  ctx: PlatformContext,
  mlflowAccount: Omit<TeamServiceAccount, "name"> = {},
  orchestratorAccount: Omit<TeamServiceAccount, "name"> = {},
): TeamNamespaceArgs {
  return {
    ctx,
    namespace: config.platformNamespace,
    team: PLATFORM_OWNER,
    groups: [],
    members: [],
    serviceAccounts: [
      { name: serviceAccountName(MLFLOW_WORKLOAD), ...mlflowAccount },
      ...(config.orchestrator
        ? [{ name: serviceAccountName(ORCHESTRATOR_WORKLOAD), ...orchestratorAccount }]
        : []),
    ],
    dns: config.network.dns,
  };
}

/** A pipeline's worker ServiceAccount (Kubernetes API access in its namespace only); its runs use the pipeline's name. */
export function pipelineWorkerAccount(pipeline: string): string {
  return `${pipeline}-worker`;
}

/** One team's namespace: its groups bound, one ServiceAccount per model and per pipeline (worker, runs), MLflow reachable. */
export function teamNamespaceArgs(
  config: PlatformConfig,
  ctx: PlatformContext,
  team: TeamConfig,
  annotationsOf: (model: string) => TeamServiceAccount["annotations"] = () => undefined,
): TeamNamespaceArgs {
  const models = config.serving.models.filter((m) => m.team === team.name);
  const pipelines = (config.orchestrator?.pipelines ?? []).filter((p) => p.team === team.name);
  return {
    ctx,
    namespace: team.namespace,
    team: team.name,
    groups: team.groups,
    members: team.members,
    quota: team.quota,
    serviceAccounts: [
      ...[...models, ...pipelines].map((w) => {
        const annotations = annotationsOf(w.name);
        return { name: serviceAccountName(w.name), ...(annotations ? { annotations } : {}) };
      }),
      ...pipelines.map((p) => ({ name: pipelineWorkerAccount(p.name) })),
    ],
    sharedEgress: [Mlflow.clientEgress(config.mlflow, config.platformNamespace, MLFLOW_WORKLOAD)],
    dns: config.network.dns,
  };
}

/** Strimzi and CloudNativePG watch the platform namespace only; KServe when a model uses it. */
export function platformOperatorsArgs(
  config: PlatformConfig,
  ctx: PlatformContext,
  namespacesReady: pulumi.Resource[],
): PlatformOperatorsArgs {
  const inCluster = isInCluster(config);
  return {
    ctx,
    operators: config.operators,
    strimzi: inCluster,
    cloudnativePg: inCluster,
    kserve: usesKserve(config),
    watchNamespaces: [config.platformNamespace],
    namespacesReady,
    apiServerCidrs: config.network.apiServerCidrs,
    network: config.network,
    // Dev needs nothing pre-installed: KEDA for lag scaling on in-cluster Kafka, cert-manager for the
    // Barman Cloud plugin and KServe (operators.keda / operators.certManager, on by default on kubernetes).
    ...(config.operators.keda.install && inCluster && config.serving.models.some((m) => m.kafka)
      ? { keda: { namespace: config.network.kedaNamespace, kafkaPorts: [LISTENER_PORT] } }
      : {}),
    certManager: config.operators.certManager.install && (inCluster || usesKserve(config)),
  };
}

/** The in-cluster object store (ObjectBucketClaims, an external S3 endpoint or SeaweedFS). */
export function objectStoreArgs(
  config: PlatformConfig,
  ctx: PlatformContext,
  cluster: ClusterFacts,
): ObcObjectStoreArgs & ExternalObjectStoreArgs & SeaweedFsObjectStoreArgs {
  return {
    ctx,
    config: config.objectStore,
    network: config.network,
    namespaces: { [PLATFORM_OWNER]: cluster.platformNamespace, ...cluster.teamNamespaces },
    dependsOn: cluster.dependsOn,
  };
}

/** Strimzi Kafka in the platform namespace; every team namespace may run clients. */
export function strimziKafkaArgs(
  config: PlatformConfig,
  ctx: PlatformContext,
  cluster: ClusterFacts,
): StrimziKafkaArgs {
  return {
    ctx,
    config: config.kafka,
    namespace: cluster.platformNamespace,
    // Every team may run Kafka clients (streaming models, their own jobs); ACLs decide what each reads.
    clientNamespaces: [...new Set(Object.values(cluster.teamNamespaces))].sort(),
    apiServerCidrs: config.network.apiServerCidrs,
    kedaOperator: config.serving.models.some((m) => m.kafka)
      ? { namespace: config.network.kedaNamespace }
      : undefined,
    monitoringNamespace: config.serving.monitoring ? config.network.monitoringNamespace : undefined,
    network: config.network,
    dependsOn: cluster.dependsOn,
  };
}

/** CloudNativePG in the platform namespace; `backupBucket` comes from the object store. */
export function cnpgPostgresArgs(
  config: PlatformConfig,
  ctx: PlatformContext,
  cluster: ClusterFacts,
  backupBucket: CnpgPostgresArgs["backupBucket"],
): CnpgPostgresArgs {
  return {
    ctx,
    config: config.postgres,
    namespace: cluster.platformNamespace,
    clientNamespaces: [...new Set(Object.values(cluster.workloadNamespaces))].sort(),
    operatorNamespace: operatorNamespace(config),
    network: config.network,
    owners: cluster.workloadNamespaces,
    backupBucket,
    dependsOn: cluster.dependsOn,
    monitoring: config.serving.monitoring,
  };
}
