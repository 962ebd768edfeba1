/**
 * Kafka on GCP: a Managed Service for Apache Kafka cluster, CMEK-encrypted, reachable only through
 * endpoints in the cluster's subnets, with the configured topics (replication factor 3) and Kafka
 * ACLs that give each client exactly its topics and consumer groups.
 *
 * Clients authenticate with SASL/OAUTHBEARER using their Workload Identity token (no key, no
 * password): IAM decides who may connect (`roles/managedkafka.client`, conditioned on this
 * cluster), and the cluster's Kafka ACLs decide what a connected principal may do.
 *
 * Kafka ACLs are authoritative per resource pattern (one `Acl` per topic holds every entry for
 * it), so they are written once, from the declared clients: the streaming models (a model reads
 * its input topic with its consumer group and writes its output topic) and the external clients
 * in `gcp.kafka.clients`. A grant then only adds the IAM connect binding, and is refused when it
 * asks for a topic the declared access does not give. A topic no client uses gets a deny-all ACL,
 * so it is closed rather than open to every principal that may connect.
 */
import * as managedkafka from "@pulumi/gcp/managedkafka";
import * as projects from "@pulumi/gcp/projects";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import type { GcpSubnetConfig } from "./managedKafkaSettings";
import type { KafkaTopicConfig } from "./settings";
import type { WorkloadAccess, WorkloadIdentity } from "../identity/contract";
import { googleServiceAccountOf } from "../identity/workloadIdentity";
import { metadataServerEgress } from "../identity/workloadIdentityEgress";
import type { GcpDomainKey } from "../kms/gcp";
import { cloudLabels } from "../kube/labels";
import { cloudMonitoringLagTrigger } from "./kedaLagTrigger";
import type {
  KafkaClientSecurity,
  KafkaCluster,
  KafkaLagTrigger,
  KafkaScalerAuth,
  TopicGrant,
} from "./contract";

export const KAFKA_PORT = 9092;
export const KAFKA_CLIENT_ROLE = "roles/managedkafka.client";
/** Managed Kafka spreads its brokers over three zones; three replicas survive the loss of one. */
export const REPLICATION_FACTOR = 3;
/**
 * Tells the stream consumer (components/serving/streamConsumer.py) to build the SASL bearer token
 * from the pod's Workload Identity credentials; Java clients get the same from Google's
 * `GcpLoginCallbackHandler`.
 */
export const OAUTH_PROVIDER = "google";
const GIB = 1024 ** 3;
const MS_PER_HOUR = 3_600_000;
const CLUSTER_ID = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * `<pulumi project>-<stack>-<name>`: unique per stack in a project and region, cut to 63
 * characters with a hash of the whole when longer.
 */
export function managedKafkaClusterId(pulumiProject: string, stack: string, name: string): string {
  const base = `${pulumiProject}-${stack}-${name}`
    .toLowerCase()
    .replace(/[^-a-z0-9]/g, "-")
    .replace(/-+/g, "-")
    .replace(/^[^a-z]+/, "");
  if (base.length <= 63) return base.replace(/-+$/, "");
  const hash = createHash("sha256").update(base).digest("hex").slice(0, 6);
  return `${base.slice(0, 56).replace(/-+$/, "")}-${hash}`;
}

/** One principal's access, declared up front. */
export interface ManagedKafkaClient {
  /** Workload name (models) or the service account (external clients): what errors name. */
  name: string;
  /** True for platform workloads, whose grants add the IAM binding; external clients get it here. */
  workload: boolean;
  /** Google service account e-mail the client authenticates as. */
  serviceAccount: string;
  read: string[];
  write: string[];
  consumerGroups: string[];
}

export interface ManagedKafkaArgs {
  project: string;
  region: string;
  /** Cluster ID, unique in project and region (1–63, RFC 1035). */
  clusterId: string;
  vcpuCount: number;
  memoryGib: number;
  /** The GKE cluster's subnets: broker endpoints are placed there, and pods get egress to their CIDRs. */
  subnets: GcpSubnetConfig[];
  /** The kafka domain key. */
  kmsKey: GcpDomainKey;
  topics: KafkaTopicConfig[];
  /** `min.insync.replicas` of every topic (at most 3). */
  minInsyncReplicas: number;
  clients: ManagedKafkaClient[];
  /**
   * The KEDA operator's IAM principal (its Workload Identity, `principal://…/subject/ns/<ns>/sa/<sa>`),
   * which reads streaming models' consumer lag from Cloud Monitoring: it gets `roles/monitoring.viewer`
   * on `project`. Unset: `lagTrigger` returns undefined and streaming models scale on CPU.
   */
  kedaPrincipal?: string;
  environment: string;
  protect: boolean;
}

/** What KEDA's operator needs to read Cloud Monitoring time series (KEDA's GCP Workload Identity docs). */
export const LAG_READER_ROLE = "roles/monitoring.viewer";

/**
 * What a ManagedKafka keeps for its methods, beside the instance rather than in fields: Pulumi's
 * component analyzer publishes every field, private ones too, as a schema output (and has no type
 * for a Map), and the provider would return the raw args to the caller.
 */
interface ManagedKafkaState {
  args: ManagedKafkaArgs;
  componentName: string;
  topics: Map<string, managedkafka.Topic>;
  topicAcls: Map<string, managedkafka.Acl>;
  groupAcls: Map<string, managedkafka.Acl>;
  grants: Map<string, WorkloadAccess>;
}

const states = new WeakMap<ManagedKafka, ManagedKafkaState>();

export class ManagedKafka extends pulumi.ComponentResource implements KafkaCluster {
  readonly bootstrapServers: pulumi.Output<string>;
  readonly security: KafkaClientSecurity = { protocol: "SASL_SSL", saslMechanism: "OAUTHBEARER" };
  readonly cluster: managedkafka.Cluster;
  /** `projects/<project>/locations/<region>/clusters/<id>`: what the IAM condition names. */
  readonly clusterName: string;
  private get state(): ManagedKafkaState {
    return states.get(this) as ManagedKafkaState;
  }
  private get topics(): Map<string, managedkafka.Topic> {
    return this.state.topics;
  }
  private get topicAcls(): Map<string, managedkafka.Acl> {
    return this.state.topicAcls;
  }
  private get groupAcls(): Map<string, managedkafka.Acl> {
    return this.state.groupAcls;
  }
  private get grants(): Map<string, WorkloadAccess> {
    return this.state.grants;
  }
  private get args(): ManagedKafkaArgs {
    return this.state.args;
  }
  private get componentName(): string {
    return this.state.componentName;
  }

  constructor(name: string, args: ManagedKafkaArgs, opts?: pulumi.ComponentResourceOptions) {
    validate(name, args);
    super("mlstack:kafka:ManagedKafka", name, {}, opts);
    states.set(this, {
      args,
      componentName: name,
      topics: new Map(),
      topicAcls: new Map(),
      groupAcls: new Map(),
      grants: new Map(),
    });
    this.clusterName = `projects/${args.project}/locations/${args.region}/clusters/${args.clusterId}`;
    const deletionPolicy = args.protect ? "PREVENT" : undefined;

    this.cluster = new managedkafka.Cluster(
      `${name}-cluster`,
      {
        project: args.project,
        location: args.region,
        clusterId: args.clusterId,
        capacityConfig: { vcpuCount: String(args.vcpuCount), memoryBytes: String(args.memoryGib * GIB) },
        gcpConfig: {
          accessConfig: { networkConfigs: args.subnets.map((s) => ({ subnet: s.id })) },
          kmsKey: args.kmsKey.id,
        },
        rebalanceConfig: { mode: "AUTO_REBALANCE_ON_SCALE_UP" },
        deletionPolicy,
        labels: cloudLabels({ environment: args.environment, team: "platform", component: "kafka" }),
      },
      { parent: this, dependsOn: args.kmsKey.ready, protect: args.protect, retainOnDelete: args.protect },
    );
    this.bootstrapServers = pulumi.interpolate`bootstrap.${this.cluster.clusterId}.${args.region}.managedkafka.${args.project}.cloud.goog:${KAFKA_PORT}`;

    for (const topic of args.topics) {
      this.topics.set(
        topic.name,
        new managedkafka.Topic(
          `${name}-topic-${topic.name}`,
          {
            project: args.project,
            location: args.region,
            cluster: this.cluster.clusterId,
            topicId: topic.name,
            partitionCount: topic.partitions,
            replicationFactor: REPLICATION_FACTOR,
            configs: {
              "retention.ms": String(topic.retentionHours * MS_PER_HOUR),
              "min.insync.replicas": String(args.minInsyncReplicas),
              "cleanup.policy": "delete",
            },
            deletionPolicy,
          },
          { parent: this, protect: args.protect, retainOnDelete: args.protect },
        ),
      );
    }

    this.createAcls(name, args);
    if (
      args.kedaPrincipal !== undefined &&
      args.clients.some((c) => c.workload && c.consumerGroups.length > 0)
    ) {
      // Project-wide: Cloud Monitoring IAM has no narrower resource than the project to grant on.
      new projects.IAMMember(
        `${name}-keda-lag-reader`,
        { project: args.project, role: LAG_READER_ROLE, member: args.kedaPrincipal },
        { parent: this },
      );
    }
    for (const client of args.clients.filter((c) => !c.workload)) {
      this.connectBinding(
        `${name}-client-${client.serviceAccount}`,
        `serviceAccount:${client.serviceAccount}`,
        this,
      );
    }
    this.registerOutputs({ bootstrapServers: this.bootstrapServers, clusterName: this.clusterName });
  }

  topicName(logical: string): pulumi.Output<string> {
    const topic = this.topics.get(logical);
    if (!topic)
      throw new Error(
        `ManagedKafka ${this.componentName}: no topic "${logical}" (declared: ${[...this.topics.keys()].join(", ")})`,
      );
    return topic.topicId;
  }

  /**
   * Lets one workload connect (IAM, on this cluster only) and use exactly the topics and consumer
   * group its declared access gives it (the ACLs). Env: bootstrap servers and SASL/OAUTHBEARER
   * settings; no secret exists to hand over. Egress: the brokers' subnets on 9092, and the GKE
   * metadata server for the token.
   */
  /**
   * Undefined: KEDA's Kafka scaler has no keyless token provider for Google, so KEDA never connects
   * to these brokers; `lagTrigger` reads the lag from Cloud Monitoring instead.
   */
  scalerAuth(_identity: WorkloadIdentity): KafkaScalerAuth | undefined {
    return undefined;
  }

  /**
   * KEDA's `gcp-stackdriver` trigger on this cluster's consumer-lag metric for the workload's group,
   * as the KEDA operator's Workload Identity (see `cloudMonitoringLagTrigger`). Refused for a
   * workload without a declared consumer group; undefined without `kedaPrincipal` (CPU scaling).
   */
  lagTrigger(identity: WorkloadIdentity, _containerName: string): KafkaLagTrigger | undefined {
    if (this.args.kedaPrincipal === undefined) return undefined;
    const workload = identity.workload.name;
    const declared = this.args.clients.find((c) => c.workload && c.name === workload);
    if (!declared || declared.consumerGroups.length === 0) {
      throw new Error(
        `ManagedKafka ${this.componentName}.lagTrigger: workload "${workload}" has no declared consumer group; only streaming models in mlstack:serving.models consume`,
      );
    }
    return cloudMonitoringLagTrigger({
      project: this.args.project,
      clusterId: this.args.clusterId,
      consumerGroup: declared.consumerGroups[0],
    });
  }

  grantTopicAccess(
    identity: WorkloadIdentity,
    grant: TopicGrant,
    opts: { parent: pulumi.Resource },
  ): WorkloadAccess {
    const workload = identity.workload.name;
    const gsa = googleServiceAccountOf(identity, `ManagedKafka ${this.componentName}`);
    const declared = this.args.clients.find((c) => c.workload && c.name === workload);
    if (!declared) {
      throw new Error(
        `ManagedKafka ${this.componentName}: workload "${workload}" has no declared Kafka access (only streaming models in mlstack:serving.models do)`,
      );
    }
    if (declared.serviceAccount !== gsa.email) {
      throw new Error(
        `ManagedKafka ${this.componentName}: workload "${workload}" was declared as ${declared.serviceAccount} but its identity is ${gsa.email}`,
      );
    }
    const outside = (asked: string[], allowed: string[]) => asked.filter((t) => !allowed.includes(t));
    const badRead = outside(grant.read, declared.read);
    const badWrite = outside(grant.write, declared.write);
    if (badRead.length > 0 || badWrite.length > 0) {
      throw new Error(
        `ManagedKafka ${this.componentName}: workload "${workload}" asks for ${[...badRead.map((t) => `read ${t}`), ...badWrite.map((t) => `write ${t}`)].join(", ")}, ` +
          `beyond its declared access (read: ${declared.read.join(", ") || "none"}; write: ${declared.write.join(", ") || "none"})`,
      );
    }
    if (grant.consumerGroup !== undefined && !declared.consumerGroups.includes(grant.consumerGroup)) {
      throw new Error(
        `ManagedKafka ${this.componentName}: workload "${workload}" asks for consumer group "${grant.consumerGroup}", not its declared ${declared.consumerGroups.join(", ") || "none"}`,
      );
    }
    const key = JSON.stringify([
      workload,
      [...grant.read].sort(),
      [...grant.write].sort(),
      grant.consumerGroup ?? null,
    ]);
    const existing = this.grants.get(key);
    if (existing) return existing;

    const connect = this.connectBinding(
      `${this.componentName}-${workload}-connect`,
      gsa.member,
      opts.parent,
      identity.dependencies,
    );
    const acls = [
      ...[...grant.read, ...grant.write].map((t) => this.topicAcls.get(t) as managedkafka.Acl),
      ...(grant.consumerGroup !== undefined
        ? [this.groupAcls.get(grant.consumerGroup) as managedkafka.Acl]
        : []),
    ];
    const access: WorkloadAccess = {
      env: [
        { name: "KAFKA_BOOTSTRAP_SERVERS", value: this.bootstrapServers },
        { name: "KAFKA_SECURITY_PROTOCOL", value: this.security.protocol },
        { name: "KAFKA_SASL_MECHANISM", value: this.security.saslMechanism },
        { name: "KAFKA_OAUTH_PROVIDER", value: OAUTH_PROVIDER },
      ],
      volumes: [],
      volumeMounts: [],
      egress: [
        {
          to: this.args.subnets.map((s) => ({ ipBlock: { cidr: s.cidr } })),
          ports: [{ protocol: "TCP", port: KAFKA_PORT }],
        },
        metadataServerEgress(),
      ],
      dependsOn: [connect, ...new Set(acls), ...identity.dependencies],
    };
    this.grants.set(key, access);
    return access;
  }

  /**
   * `roles/managedkafka.client` on the project, conditioned on this cluster: connect here, nowhere
   * else. The condition matches the name's tail so it holds whether IAM names the project by ID or
   * by number; a project-level binding only ever applies to this project's resources anyway.
   */
  private connectBinding(
    resourceName: string,
    member: string,
    parent: pulumi.Resource,
    dependsOn: pulumi.Resource[] = [],
  ): projects.IAMMember {
    return new projects.IAMMember(
      resourceName,
      {
        project: this.args.project,
        role: KAFKA_CLIENT_ROLE,
        member,
        condition: {
          title: `kafka-${this.args.clusterId}`.slice(0, 100),
          description: `Connect to Managed Kafka cluster ${this.args.clusterId} only (mlstack)`,
          expression: `resource.name.endsWith("/locations/${this.args.region}/clusters/${this.args.clusterId}")`,
        },
      },
      { parent, dependsOn: [this.cluster, ...dependsOn] },
    );
  }

  /** One ACL per topic and per consumer group, holding every declared client's entries for it. */
  private createAcls(name: string, args: ManagedKafkaArgs): void {
    const entry = (client: ManagedKafkaClient, operation: string) => ({
      principal: `User:${client.serviceAccount}`,
      permissionType: "ALLOW",
      operation,
      host: "*",
    });
    for (const topic of args.topics) {
      const entries = args.clients.flatMap((c) => [
        ...(c.read.includes(topic.name) ? [entry(c, "READ")] : []),
        ...(c.write.includes(topic.name) ? [entry(c, "WRITE")] : []),
      ]);
      // No client: deny everyone, rather than leave the topic to the cluster's no-ACL default.
      const aclEntries =
        entries.length > 0
          ? entries
          : [{ principal: "User:*", permissionType: "DENY", operation: "ALL", host: "*" }];
      this.topicAcls.set(
        topic.name,
        new managedkafka.Acl(
          `${name}-acl-topic-${topic.name}`,
          {
            project: args.project,
            location: args.region,
            cluster: this.cluster.clusterId,
            aclId: `topic/${topic.name}`,
            aclEntries,
          },
          { parent: this, dependsOn: [this.topics.get(topic.name) as managedkafka.Topic] },
        ),
      );
    }
    const groups = [...new Set(args.clients.flatMap((c) => c.consumerGroups))];
    for (const group of groups) {
      const aclEntries = args.clients
        .filter((c) => c.consumerGroups.includes(group))
        .map((c) => entry(c, "READ"));
      this.groupAcls.set(
        group,
        new managedkafka.Acl(
          `${name}-acl-group-${group}`,
          {
            project: args.project,
            location: args.region,
            cluster: this.cluster.clusterId,
            aclId: `consumerGroup/${group}`,
            aclEntries,
          },
          { parent: this },
        ),
      );
    }
  }
}

function validate(name: string, args: ManagedKafkaArgs): void {
  const fail = (field: string, value: unknown, allowed: string) =>
    new Error(`ManagedKafka ${name}: ${field} ${JSON.stringify(value)} ${allowed}`);
  if (!CLUSTER_ID.test(args.clusterId))
    throw fail(
      "clusterId",
      args.clusterId,
      "is not a cluster ID (1–63 lowercase letters, digits and '-', starting with a letter)",
    );
  if (!Number.isInteger(args.vcpuCount) || args.vcpuCount < 3)
    throw fail("vcpuCount", args.vcpuCount, "is not a whole number of at least 3");
  if (
    !Number.isInteger(args.memoryGib) ||
    args.memoryGib < args.vcpuCount ||
    args.memoryGib > args.vcpuCount * 8
  ) {
    throw fail(
      "memoryGib",
      args.memoryGib,
      `is not 1 to 8 GiB per vCPU (${args.vcpuCount} to ${args.vcpuCount * 8})`,
    );
  }
  if (
    args.kedaPrincipal !== undefined &&
    !/^principal:\/\/iam\.googleapis\.com\/projects\/[0-9]+\/locations\/global\/workloadIdentityPools\/[a-z0-9.-]+\/subject\/ns\/[a-z0-9-]+\/sa\/[a-z0-9-]+$/.test(
      args.kedaPrincipal,
    )
  )
    throw fail(
      "kedaPrincipal",
      args.kedaPrincipal,
      "is not a GKE Workload Identity principal (principal://iam.googleapis.com/projects/<number>/locations/global/workloadIdentityPools/<project>.svc.id.goog/subject/ns/<namespace>/sa/<serviceaccount>)",
    );
  if (args.subnets.length === 0 || args.subnets.length > 10)
    throw fail(
      "subnets",
      args.subnets.map((s) => s.name),
      "must list 1 to 10 subnets",
    );
  if (
    !Number.isInteger(args.minInsyncReplicas) ||
    args.minInsyncReplicas < 1 ||
    args.minInsyncReplicas > REPLICATION_FACTOR
  ) {
    throw fail("minInsyncReplicas", args.minInsyncReplicas, `is not from 1 to ${REPLICATION_FACTOR}`);
  }
  const topics = args.topics.map((t) => t.name);
  for (const topic of args.topics) {
    if (topic.replicas > REPLICATION_FACTOR)
      throw fail(
        `topics[${topic.name}].replicas`,
        topic.replicas,
        `is more than ${REPLICATION_FACTOR}, Managed Kafka's replication`,
      );
  }
  const names = new Set<string>();
  for (const client of args.clients) {
    if (names.has(client.name)) throw fail("clients[].name", client.name, "is declared twice");
    names.add(client.name);
    for (const topic of [...client.read, ...client.write]) {
      if (!topics.includes(topic))
        throw fail(
          `clients[${client.name}]`,
          topic,
          `is not a declared topic (declared: ${topics.join(", ") || "none"})`,
        );
    }
    if (!/^[^@\s]+@[^@\s]+\.gserviceaccount\.com$/.test(client.serviceAccount)) {
      throw fail(
        `clients[${client.name}].serviceAccount`,
        client.serviceAccount,
        "is not a Google service account e-mail",
      );
    }
  }
}
