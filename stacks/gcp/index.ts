/**
 * The GCP target: workloads run unchanged on an existing GKE cluster with Workload Identity; the
 * backing services are Google Cloud managed services (Cloud KMS, GCS, Cloud SQL for PostgreSQL,
 * Managed Service for Apache Kafka). Composition only: every resource detail lives in the
 * components. Loaded only when `mlstack:target` is `gcp` (it pulls in `@pulumi/gcp`).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformContext } from "../../components/context";
import {
  GkeWorkloadIdentityProvider,
  googleServiceAccountEmail,
} from "../../components/identity/workloadIdentity";
import { ManagedKafka, ManagedKafkaClient, managedKafkaClusterId } from "../../components/kafka/managedKafka";
import { GcpKms } from "../../components/kms/gcp";
import { GcsObjectStore } from "../../components/objectstore/gcs";
import { CloudSqlPostgres } from "../../components/postgres/cloudSql";
import { CloudSqlPrivateServicesAccess } from "../../components/postgres/cloudSqlPrivateServicesAccess";
import type { BackingServices, ClusterFacts, TargetModule } from "../backing";
import { GcpTargetConfig, PlatformConfig } from "../config";

/** `config.gcp`, which config validation guarantees on a gcp stack. */
function gcpSettings(config: PlatformConfig): GcpTargetConfig {
  if (config.target !== "gcp" || !config.gcp) {
    throw new Error(
      `gcpTarget: mlstack:target is ${config.target}${config.gcp ? "" : " and mlstack:gcp is missing"}; the GCP target needs a validated gcp config`,
    );
  }
  return config.gcp;
}

/** The declared Kafka access: each streaming model, and each external client from `gcp.kafka.clients`. */
export function kafkaClients(config: PlatformConfig): ManagedKafkaClient[] {
  const gcp = gcpSettings(config);
  const models = config.serving.models.flatMap((model): ManagedKafkaClient[] =>
    model.kafka
      ? [
          {
            name: model.name,
            workload: true,
            serviceAccount: googleServiceAccountEmail(gcp.project, config.project, config.stack, model.name),
            read: [model.kafka.inputTopic],
            write: [model.kafka.outputTopic],
            consumerGroups: [model.kafka.consumerGroup],
          },
        ]
      : [],
  );
  const external = gcp.kafka.clients.map((client): ManagedKafkaClient => ({
    name: client.serviceAccount,
    workload: false,
    ...client,
  }));
  return [...models, ...external];
}

export interface GcpBackingServicesArgs {
  config: PlatformConfig;
  ctx: PlatformContext;
  cluster: ClusterFacts;
}

/** The GCP backing services of one stack, under one node of the resource tree. */
export class GcpBackingServices extends pulumi.ComponentResource implements BackingServices {
  readonly kms: GcpKms;
  readonly objectStore: GcsObjectStore;
  readonly postgres: CloudSqlPostgres;
  readonly kafka: ManagedKafka;

  constructor(name: string, args: GcpBackingServicesArgs, opts?: pulumi.ComponentResourceOptions) {
    const { config, ctx, cluster } = args;
    const gcp = gcpSettings(config);
    super("mlstack:gcp:BackingServices", name, {}, opts);
    const common = { environment: ctx.environment, protect: ctx.protect };

    this.kms = new GcpKms(
      `${name}-kms`,
      {
        project: gcp.project,
        projectNumber: gcp.projectNumber,
        location: gcp.region,
        rotationDays: gcp.kms.rotationDays,
        protectionLevel: gcp.kms.protectionLevel,
        ...common,
      },
      { parent: this },
    );

    this.objectStore = new GcsObjectStore(
      `${name}-gcs`,
      {
        project: gcp.project,
        location: gcp.region,
        stack: config.stack,
        // Cloud SQL keeps its own backups: config declares no backup bucket on this target.
        buckets: config.objectStore.buckets,
        kmsKey: this.kms.key("storage"),
        googleApisCidrs: gcp.network.googleApisCidrs,
        accessLogRetentionDays: gcp.storage.accessLogRetentionDays,
        ...common,
      },
      { parent: this },
    );

    const psa = gcp.network.privateServicesAccess;
    const peering = psa.create
      ? new CloudSqlPrivateServicesAccess(
          `${name}-psa`,
          {
            project: gcp.network.project,
            network: gcp.network.vpcId,
            cidr: psa.cidr,
            rangeName: psa.rangeName as string,
            environment: ctx.environment,
          },
          { parent: this },
        )
      : undefined;
    this.postgres = new CloudSqlPostgres(
      `${name}-postgres`,
      {
        project: gcp.project,
        region: gcp.region,
        version: config.postgres.version,
        tier: gcp.postgres.tier,
        edition: gcp.postgres.edition,
        // Two or more instances asked for: a standby in another zone with automatic failover.
        availabilityType: config.postgres.instances >= 2 ? "REGIONAL" : "ZONAL",
        diskSizeGb: gcp.postgres.diskSizeGb,
        backup: {
          retainedBackups: config.postgres.backup.retentionDays,
          startTime: gcp.postgres.backupStartTime,
          transactionLogRetentionDays: gcp.postgres.transactionLogRetentionDays,
        },
        maintenanceWindow: gcp.postgres.maintenanceWindow,
        network: {
          vpcId: gcp.network.vpcId,
          allocatedIpRange: psa.rangeName,
          privateServicesCidr: psa.cidr,
          ready: peering ? [peering.connection] : [],
        },
        kmsKey: this.kms.key("postgres"),
        databases: config.postgres.databases,
        adminHost: gcp.postgres.adminHost,
        kubernetesDependsOn: cluster.dependsOn,
        ...common,
      },
      { parent: this },
    );

    this.kafka = new ManagedKafka(
      `${name}-kafka`,
      {
        project: gcp.project,
        region: gcp.region,
        clusterId: managedKafkaClusterId(config.project, config.stack, config.kafka.name),
        vcpuCount: gcp.kafka.vcpuCount,
        memoryGib: gcp.kafka.memoryGib,
        subnets: gcp.network.subnets,
        kmsKey: this.kms.key("kafka"),
        topics: config.kafka.topics,
        // With three replicas, two in sync is what keeps acks=all writes durable through one zone's loss.
        minInsyncReplicas: Math.min(Math.max(config.kafka.minInsyncReplicas, 2), 3),
        clients: kafkaClients(config),
        // KEDA reads the streaming models' consumer lag from Cloud Monitoring as its own identity.
        kedaPrincipal: gcp.kafka.lagScaler.kedaPrincipal,
        ...common,
      },
      { parent: this },
    );

    this.registerOutputs({
      kafkaBootstrapServers: this.kafka.bootstrapServers,
      postgresHost: this.postgres.host,
      postgresConnectionName: this.postgres.connectionName,
    });
  }
}

export const gcpTarget: TargetModule = {
  /**
   * A provider for the existing GKE cluster: a kubeconfig context (by default the one
   * `gcloud container clusters get-credentials` writes), or the kubeconfig another stack exports.
   */
  kubernetesProvider(config: PlatformConfig): k8s.Provider {
    const access = gcpSettings(config).cluster.access;
    if (access.kind === "stackReference") {
      const reference = new pulumi.StackReference("gke-cluster", { name: access.stack });
      const kubeconfig = reference.requireOutput(access.output).apply((value) => {
        if (typeof value !== "string" || value === "") {
          throw new Error(
            `mlstack:gcp.cluster.stackReferenceOutput: output "${access.output}" of stack ${access.stack} is not a kubeconfig`,
          );
        }
        return value;
      });
      return new k8s.Provider("gke", { kubeconfig: pulumi.secret(kubeconfig) });
    }
    return new k8s.Provider("gke", { kubeconfig: access.kubeconfig, context: access.context });
  },

  identityProvider(config: PlatformConfig): GkeWorkloadIdentityProvider {
    const gcp = gcpSettings(config);
    return new GkeWorkloadIdentityProvider({
      project: gcp.project,
      workloadPool: gcp.cluster.workloadPool,
      pulumiProject: config.project,
      stack: config.stack,
    });
  },

  createBackingServices(
    config: PlatformConfig,
    ctx: PlatformContext,
    cluster: ClusterFacts,
    parent: pulumi.Resource,
  ): BackingServices {
    return new GcpBackingServices("gcp", { config, ctx, cluster }, { parent });
  },
};
