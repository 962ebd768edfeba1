/**
 * The shared composition: config → identities → namespaces → backing services (from the target)
 * → workloads (MLflow, one ModelServing per model) → exposure. Written once for every target;
 * the target module only decides how identities and backing services are implemented.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Exposure } from "../components/exposure/Exposure";
import {
  WorkloadAccess,
  WorkloadIdentity,
  WorkloadRef,
  emptyAccess,
  mergeAccess,
} from "../components/identity/contract";
import { Mlflow, MLFLOW_PORT } from "../components/mlflow/Mlflow";
import { jobPeer, MlflowWorkloadUsers } from "../components/mlflow/workloadUsers";
import { Orchestrator } from "../components/orchestrator/Orchestrator";
import { ORCHESTRATOR_WORKLOAD } from "../components/orchestrator/settings";
import { TeamNamespace } from "../components/namespace/TeamNamespace";
import { PlatformOperators } from "../components/operators/PlatformOperators";
import { MODEL_CONTAINER, ModelServing } from "../components/serving/ModelServing";
import { registryAccess } from "../components/serving/modelFetch";
import type { BackingServices, ClusterFacts, TargetModule } from "./backing";
import {
  installsOperators,
  platformContext,
  platformNamespaceArgs,
  platformNamespaces,
  pipelineWorkerAccount,
  platformOperatorsArgs,
  serviceAccountName,
  teamNamespaceArgs,
} from "./componentArgs";
import { MLFLOW_WORKLOAD, ModelConfig, PLATFORM_OWNER, PlatformConfig } from "./config";

/** Stack outputs: endpoints and names only, never a credential. */
export interface PlatformOutputs {
  target: string;
  environment: string;
  platformNamespace: string;
  teamNamespaces: Record<string, string>;
  mlflowTrackingUri: pulumi.Output<string>;
  mlflowUrl?: pulumi.Output<string>;
  /** In-cluster Prefect API URL, when `mlstack:orchestrator` is set. */
  orchestratorApiUrl?: pulumi.Output<string>;
  orchestratorUrl?: pulumi.Output<string>;
  kafkaBootstrapServers: pulumi.Output<string>;
  models: Record<
    string,
    { namespace: string; url: pulumi.Output<string>; externalUrl?: pulumi.Output<string> }
  >;
}

export { platformContext };

/** The peers that may reach exposed services: the ingress controller (kubernetes) or router (openshift). */
function ingressControllerPeer(config: PlatformConfig): k8s.types.input.networking.v1.NetworkPolicyPeer {
  return config.target === "openshift"
    ? { namespaceSelector: { matchLabels: { "policy-group.network.openshift.io/ingress": "" } } }
    : {
        namespaceSelector: {
          matchLabels: { "kubernetes.io/metadata.name": config.network.ingressNamespace },
        },
      };
}

function namespacePeer(namespace: string): k8s.types.input.networking.v1.NetworkPolicyPeer {
  return { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } } };
}

/** One workload's grants in its team's namespace (what the stack outputs tell application stacks). */
export interface PlatformWorkloadGrant {
  name: string;
  team: string;
  namespace: string;
  serviceAccountName: string;
  access: WorkloadAccess;
}

/** The root component every resource of the stack hangs from, so `mlstack plan` shows one tree. */
export class Platform extends pulumi.ComponentResource {
  readonly outputs: PlatformOutputs;
  /** The target's backing services, the team namespaces and each workload's grants (stacks/outputs.ts). */
  readonly backing: BackingServices;
  readonly teamNamespaces: ReadonlyMap<string, TeamNamespace>;
  readonly workloadGrants: PlatformWorkloadGrant[] = [];

  constructor(
    name: string,
    config: PlatformConfig,
    target: TargetModule,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    // Children are named for what they are (`ns-fraud`, `mlflow`, `model-x`): there is one Platform per stack.
    super("mlstack:platform:Platform", name, {}, opts);
    const ctx = platformContext(config);

    const { teamNamespaces, workloadNamespaces } = platformNamespaces(config);

    // 1. Identities: one per workload, before the namespaces whose ServiceAccounts carry them.
    const identityProvider = target.identityProvider(config, ctx, this);
    const ref = (workload: string, team: string): WorkloadRef => ({
      name: workload,
      team,
      namespace: workloadNamespaces[workload],
      serviceAccountName: serviceAccountName(workload),
    });
    const mlflowIdentity = identityProvider.forWorkload(ref(MLFLOW_WORKLOAD, PLATFORM_OWNER), {
      parent: this,
    });
    const modelIdentities = new Map<string, WorkloadIdentity>(
      config.serving.models.map((m) => [
        m.name,
        identityProvider.forWorkload(ref(m.name, m.team), { parent: this }),
      ]),
    );

    // The orchestrator and each pipeline's flow runs carry identities of their own.
    const orchestratorIdentity = config.orchestrator
      ? identityProvider.forWorkload(ref(ORCHESTRATOR_WORKLOAD, PLATFORM_OWNER), { parent: this })
      : undefined;
    const pipelineIdentities = new Map<string, WorkloadIdentity>(
      (config.orchestrator?.pipelines ?? []).map((p) => [
        p.name,
        identityProvider.forWorkload(
          {
            name: p.name,
            team: p.team,
            namespace: teamNamespaces[p.team],
            serviceAccountName: serviceAccountName(p.name),
          },
          { parent: this },
        ),
      ]),
    );

    // 2. The platform namespace (Kafka, Postgres, MLflow), default-deny with PSA restricted.
    const platformNs = new TeamNamespace(
      "ns-platform",
      platformNamespaceArgs(
        config,
        ctx,
        {
          annotations: pulumi.output(mlflowIdentity.serviceAccountAnnotations).apply((a) => ({
            ...a,
            ...Mlflow.serviceAccountAnnotations(ctx, config.mlflow, MLFLOW_WORKLOAD),
          })),
        },
        orchestratorIdentity ? { annotations: orchestratorIdentity.serviceAccountAnnotations } : {},
      ),
      { parent: this },
    );

    // 3. Operators (when asked): Strimzi and CloudNativePG watch the platform namespace only;
    //    KServe (when a model uses it) acts on InferenceServices wherever they are.
    let operatorDeps: pulumi.Resource[] = [];
    if (installsOperators(config)) {
      operatorDeps = new PlatformOperators(
        "operators",
        platformOperatorsArgs(config, ctx, platformNs.ready),
        { parent: this },
      ).ready;
    }

    // 4. One namespace per team; its pods may reach the MLflow tracking server.
    const teamNs = new Map(
      config.teams.map((team) => {
        const ns = new TeamNamespace(
          `ns-${team.name}`,
          teamNamespaceArgs(
            config,
            ctx,
            team,
            (workload) =>
              ((modelIdentities.get(workload) ?? pipelineIdentities.get(workload)) as WorkloadIdentity)
                .serviceAccountAnnotations,
          ),
          { parent: this },
        );
        return [team.name, ns] as const;
      }),
    );

    // 5. Backing services for the target.
    const cluster: ClusterFacts = {
      platformNamespace: config.platformNamespace,
      teamNamespaces,
      workloadNamespaces,
      dependsOn: [...platformNs.ready, ...operatorDeps, ...[...teamNs.values()].flatMap((n) => n.ready)],
    };
    const backing = target.createBackingServices(config, ctx, cluster, this);
    this.backing = backing;
    this.teamNamespaces = teamNs;

    // 6. MLflow: Postgres backend, artifacts in its bucket.
    const artifactBucket = backing.objectStore.bucket(config.mlflow.artifactBucket);
    const exposedMlflow = config.mlflow.hostname !== undefined;
    const mlflowGrants = new WorkloadGrants(`grants-${MLFLOW_WORKLOAD}`, { parent: this });
    // With basic auth, each model following a registry alias gets an MLflow user of its own.
    const aliasModels = config.serving.models.filter((m) => m.source?.registry !== undefined);
    const mlflowUsersNeeded = config.mlflow.auth === "basic" && aliasModels.length > 0;
    // Named `mlflow`: the component name is its Service and Deployment name.
    const mlflow = new Mlflow(
      MLFLOW_WORKLOAD,
      {
        ctx,
        config: config.mlflow,
        namespace: config.platformNamespace,
        serviceAccountName: serviceAccountName(MLFLOW_WORKLOAD),
        database: backing.postgres.grantDatabase(mlflowIdentity, config.mlflow.database, {
          parent: mlflowGrants,
        }),
        artifacts: {
          access: artifactBucket.grantAccess(mlflowIdentity, "readwrite", { parent: mlflowGrants }),
          destination: artifactBucket.url(""),
        },
        // Data scientists' notebooks and jobs in team namespaces log to MLflow; the router/ingress when exposed.
        ingressFrom: [
          ...config.teams.map((t) => namespacePeer(t.namespace)),
          ...(exposedMlflow ? [ingressControllerPeer(config)] : []),
          ...(mlflowUsersNeeded ? [jobPeer()] : []),
        ],
        monitoringNamespace: config.network.monitoringNamespace,
        apiServerCidrs: config.network.apiServerCidrs,
        network: config.network,
        // OpenShift: the team groups and the models may pass the proxy's access check.
        proxyUsers:
          config.mlflow.auth === "oauth-proxy"
            ? [
                ...config.teams.flatMap((t) =>
                  t.groups.map((g) => ({ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: g })),
                ),
                ...[...config.serving.models, ...(config.orchestrator?.pipelines ?? [])].map((w) => ({
                  kind: "ServiceAccount",
                  name: serviceAccountName(w.name),
                  namespace: teamNamespaces[w.team],
                })),
              ]
            : undefined,
      },
      { parent: this, dependsOn: [...cluster.dependsOn, ...mlflowIdentity.dependencies] },
    );
    const mlflowUsers = mlflowUsersNeeded
      ? new MlflowWorkloadUsers(
          "mlflow-users",
          {
            ctx,
            namespace: config.platformNamespace,
            trackingUri: mlflow.trackingUri,
            adminSecretName: mlflow.adminSecretName as pulumi.Output<string>,
            mlflowName: MLFLOW_WORKLOAD,
            mlflowPort: MLFLOW_PORT,
            image: config.mlflow.image,
            users: aliasModels.map((m) => ({
              name: m.name,
              namespace: teamNamespaces[m.team],
              registeredModel: m.source?.registry as string,
            })),
          },
          { parent: this, dependsOn: [mlflow, ...cluster.dependsOn] },
        )
      : undefined;
    let mlflowUrl: pulumi.Output<string> | undefined;
    if (config.mlflow.hostname) {
      mlflowUrl = new Exposure(
        "mlflow-exposure",
        {
          ctx,
          name: "mlflow",
          team: PLATFORM_OWNER,
          namespace: config.platformNamespace,
          serviceName: mlflow.serviceName,
          servicePort: mlflow.servicePort,
          hostname: config.mlflow.hostname,
          backendTls: mlflow.backendTls,
          tls: { clusterIssuer: config.ingress.clusterIssuer, secretName: config.ingress.tlsSecretName },
          ingressClassName: config.ingress.className,
        },
        { parent: this },
      ).url;
    }

    // 6b. The pipeline orchestrator: its own database; each pipeline's runs get exactly its buckets and topics.
    let orchestratorApiUrl: pulumi.Output<string> | undefined;
    let orchestratorUrl: pulumi.Output<string> | undefined;
    if (config.orchestrator && orchestratorIdentity) {
      const orch = config.orchestrator;
      const orchestratorGrants = new WorkloadGrants(`grants-${ORCHESTRATOR_WORKLOAD}`, { parent: this });
      const pipelines = orch.pipelines.map((p) => {
        const identity = pipelineIdentities.get(p.name) as WorkloadIdentity;
        const grantsParent = new WorkloadGrants(`grants-${p.name}`, { parent: this });
        const grants: WorkloadAccess[] = p.buckets.map((b) =>
          backing.objectStore.bucket(b).grantAccess(identity, "readwrite", { parent: grantsParent }),
        );
        if (p.readTopics.length > 0 || p.writeTopics.length > 0)
          grants.push(
            backing.kafka.grantTopicAccess(
              identity,
              { read: p.readTopics, write: p.writeTopics, consumerGroup: p.consumerGroup },
              { parent: grantsParent },
            ),
          );
        const access = grants.length > 0 ? mergeAccess(...grants) : emptyAccess();
        this.workloadGrants.push({
          name: p.name,
          team: p.team,
          namespace: teamNamespaces[p.team],
          serviceAccountName: serviceAccountName(p.name),
          access,
        });
        return {
          name: p.name,
          namespace: teamNamespaces[p.team],
          workerServiceAccountName: pipelineWorkerAccount(p.name),
          runServiceAccountName: serviceAccountName(p.name),
          access,
        };
      });
      const orchestrator = new Orchestrator(
        ORCHESTRATOR_WORKLOAD,
        {
          ctx,
          config: orch,
          namespace: config.platformNamespace,
          serviceAccountName: serviceAccountName(ORCHESTRATOR_WORKLOAD),
          database: backing.postgres.grantDatabase(orchestratorIdentity, orch.database, {
            parent: orchestratorGrants,
          }),
          mlflowTrackingUri: mlflow.trackingUri,
          mlflowAcceptsServiceAccountTokens: config.mlflow.auth === "oauth-proxy",
          pipelines,
          apiServerCidrs: config.network.apiServerCidrs,
          ingressFrom: orch.hostname ? [ingressControllerPeer(config)] : [],
          monitoringNamespace: config.network.monitoringNamespace,
          network: config.network,
        },
        { parent: this, dependsOn: [...cluster.dependsOn, ...orchestratorIdentity.dependencies] },
      );
      orchestratorApiUrl = orchestrator.apiUrl;
      if (orch.hostname) {
        orchestratorUrl = new Exposure(
          "orchestrator-exposure",
          {
            ctx,
            name: ORCHESTRATOR_WORKLOAD,
            team: PLATFORM_OWNER,
            namespace: config.platformNamespace,
            serviceName: orchestrator.serviceName,
            servicePort: orchestrator.servicePort,
            hostname: orch.hostname,
            backendTls: false,
            tls: { clusterIssuer: config.ingress.clusterIssuer, secretName: config.ingress.tlsSecretName },
            ingressClassName: config.ingress.className,
          },
          { parent: this },
        ).url;
      }
    }

    // 7. One ModelServing per model, with exactly its bucket and its topics.
    const models: PlatformOutputs["models"] = {};
    for (const model of config.serving.models) {
      const identity = modelIdentities.get(model.name) as WorkloadIdentity;
      const namespace = teamNamespaces[model.team];
      const grants: WorkloadAccess[] = [];
      const modelGrants = new WorkloadGrants(`grants-${model.name}`, { parent: this });
      let modelUri: pulumi.Output<string> | undefined;
      let modelStoreEndpoint: pulumi.Output<string> | undefined;
      if (model.source?.bucket !== undefined) {
        const bucket = backing.objectStore.bucket(model.source.bucket);
        grants.push(bucket.grantAccess(identity, "read", { parent: modelGrants, prefix: model.source.path }));
        modelUri = bucket.url(model.source.path);
        modelStoreEndpoint = bucket.endpoint;
      }
      const database = config.postgres.databases.find((d) => d.owner === model.name);
      if (database)
        grants.push(backing.postgres.grantDatabase(identity, database.name, { parent: modelGrants }));
      let kafka: ConstructorParameters<typeof ModelServing>[1]["kafka"];
      if (model.kafka) {
        const grant = backing.kafka.grantTopicAccess(
          identity,
          {
            read: [model.kafka.inputTopic],
            write: [model.kafka.outputTopic],
            consumerGroup: model.kafka.consumerGroup,
          },
          { parent: modelGrants },
        );
        grants.push(grant);
        kafka = {
          bootstrapServers: backing.kafka.bootstrapServers,
          inputTopic: backing.kafka.topicName(model.kafka.inputTopic),
          outputTopic: backing.kafka.topicName(model.kafka.outputTopic),
          consumerGroup: model.kafka.consumerGroup,
          inputPartitions: topicPartitions(config, model.kafka.inputTopic),
          lagTrigger: backing.kafka.lagTrigger(identity, MODEL_CONTAINER),
        };
      }
      const access = grants.length > 0 ? mergeAccess(...grants) : emptyAccess();
      this.workloadGrants.push({
        name: model.name,
        team: model.team,
        namespace,
        serviceAccountName: serviceAccountName(model.name),
        access,
      });
      const hostname = externalHostname(config, model);
      const serving = new ModelServing(
        `model-${model.name}`,
        {
          ctx,
          model,
          namespace,
          serviceAccountName: serviceAccountName(model.name),
          modelUri,
          modelStoreEndpoint,
          modelDownloaderImage: config.serving.runtimeImages.mlflow,
          // Registry alias sources: resolved as the model itself (with basic auth, its own MLflow user).
          registry:
            model.source?.registry === undefined
              ? undefined
              : mlflowUsers
                ? { trackingUri: mlflow.trackingUri, access: mlflowUsers.access(model.name) }
                : registryAccess(config.mlflow.auth as "none" | "oauth-proxy", mlflow.trackingUri),
          // OpenShift AI installs no cluster-wide ServingRuntimes: each model brings its own.
          namespacedRuntimes:
            config.target === "openshift"
              ? { mlserverImage: config.serving.runtimeImages.mlserver }
              : undefined,
          access,
          kafka,
          monitoring: config.serving.monitoring,
          ingressFrom: [namespacePeer(namespace), ...(hostname ? [ingressControllerPeer(config)] : [])],
          monitoringNamespace: config.network.monitoringNamespace,
          monitorLabels: config.network.monitorLabels,
        },
        { parent: this, dependsOn: [...cluster.dependsOn, ...identity.dependencies] },
      );
      let externalUrl: pulumi.Output<string> | undefined;
      if (hostname) {
        externalUrl = new Exposure(
          `model-${model.name}-exposure`,
          {
            ctx,
            name: model.name,
            team: model.team,
            namespace,
            serviceName: serving.serviceName,
            servicePort: serving.servicePort,
            hostname,
            backendTls: false,
            tls: { clusterIssuer: config.ingress.clusterIssuer, secretName: config.ingress.tlsSecretName },
            ingressClassName: config.ingress.className,
          },
          { parent: this },
        ).url;
      }
      models[model.name] = { namespace, url: serving.url, externalUrl };
    }

    this.outputs = {
      target: config.target,
      environment: config.environment,
      platformNamespace: config.platformNamespace,
      teamNamespaces,
      mlflowTrackingUri: mlflow.trackingUri,
      ...(mlflowUrl ? { mlflowUrl } : {}),
      ...(orchestratorApiUrl ? { orchestratorApiUrl } : {}),
      ...(orchestratorUrl ? { orchestratorUrl } : {}),
      kafkaBootstrapServers: backing.kafka.bootstrapServers,
      models,
    };
    this.registerOutputs(this.outputs);
  }
}

/**
 * Groups what the backing services create to give one workload its access (KafkaUser, credential
 * Secrets, IAM policies, role bindings), so the plan shows them under the workload and removing a
 * model removes its grants with it.
 */
class WorkloadGrants extends pulumi.ComponentResource {
  constructor(name: string, opts: pulumi.ComponentResourceOptions) {
    super("mlstack:platform:WorkloadGrants", name, {}, opts);
    this.registerOutputs({});
  }
}

function topicPartitions(config: PlatformConfig, topic: string): number {
  return (config.kafka.topics.find((t) => t.name === topic) as { partitions: number }).partitions;
}

/** `<model>.<domain>` unless the model names its own hostname; undefined for internal models. */
function externalHostname(config: PlatformConfig, model: ModelConfig): string | undefined {
  if (model.exposure !== "external") return undefined;
  return model.hostname ?? `${model.name}.${config.ingress.domain}`;
}
