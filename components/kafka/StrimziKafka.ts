/**
 * Kafka on Kubernetes and OpenShift through the Strimzi operator: the `KafkaCluster` contract for
 * in-cluster targets.
 *
 * What it creates (in `args.namespace`, named after `config.name`):
 * - a KRaft `Kafka` with `KafkaNodePool`s: one dual-role pool when the config asks for a single
 *   broker and a single controller (dev), otherwise a `controller` pool and a `broker` pool; JBOD
 *   persistent-claim storage kept when the cluster is deleted (`deleteClaim: false`);
 * - one client listener, `tls` on 9093: TLS always, no plaintext listener, client authentication
 *   SCRAM-SHA-512 or mutual TLS (`config.authentication`); `simple` authorization with no super
 *   users of ours (Strimzi adds only its own components' principals); topics are never
 *   auto-created;
 * - the listener's server certificate from a Pulumi-held CA (`CertificateAuthority`), whose public
 *   certificate is handed to every granted workload's namespace (Strimzi's own cluster CA stays in
 *   the Kafka namespace and is rotated by the operator, so clients elsewhere could not trust it);
 *   for mutual TLS also a Pulumi-held clients CA (see `StrimziClientsCa`);
 * - the Entity Operator (Topic and User Operators), one `KafkaTopic` per configured topic;
 * - pod templates that keep every Strimzi pod within Pod Security `restricted` (see
 *   `strimziPodTemplates`), spread across hosts and zones when highly available;
 * - the egress NetworkPolicies the cluster needs in its default-deny namespace (see
 *   `strimziNetworkPolicies`); ingress is Strimzi's own policies, the listener admitting exactly
 *   `clientNamespaces` (and the KEDA operator when given);
 * - with a monitoring namespace: JMX exporter metrics and a PodMonitor (see `strimziMetrics`).
 *
 * Every Strimzi resource is written in `config.apiVersion`. `kafka.strimzi.io/v1` (Strimzi 0.49+,
 * the only version 1.x serves) has no `spec.kafka.replicas`, `storage` or `resources` (node pools
 * carry them), no ZooKeeper, and only `operations` in KafkaUser ACLs; `v1beta2` is written with the
 * same shape, plus the `strimzi.io/kraft` and `strimzi.io/node-pools` annotations that operators
 * before 0.48 need to run a node-pool KRaft cluster (later ones ignore them).
 *
 * `grantTopicAccess` gives one workload a `KafkaUser` with exactly its ACLs and puts what it needs
 * into its own namespace: the CA certificate, and its credentials (SCRAM password with the JAAS
 * line, or client certificate and key). `scalerAuth` tells KEDA's Kafka scaler where those are.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PLATFORM_OWNER } from "../platformIdentity";
import { DNS_LABEL, DNS_LABEL_RULE } from "../kube/names";
import type { KafkaConfig, KafkaTopicConfig } from "./settings";
import type { PlatformContext } from "../context";
import type { WorkloadAccess, WorkloadIdentity } from "../identity/contract";
import { kubeLabels } from "../kube/labels";
import { isQuantity } from "../kube/quantity";
import { CIDR_RULE, isCidr } from "../kube/cidr";
import { refusal } from "../argumentProblem";
import { CertificateAuthority } from "../pki/CertificateAuthority";
import type { KafkaClientSecurity, KafkaCluster, KafkaLagTrigger, TopicGrant } from "./contract";
import { secretLagTrigger } from "./kedaLagTrigger";
import { StrimziClientsCa } from "./strimziClientsCa";
import {
  LISTENER_CERT_KEY,
  LISTENER_KEY_KEY,
  LISTENER_NAME,
  LISTENER_PORT,
  bootstrapServiceName,
  listenerDnsNames,
  pemBundle,
  toPkcs8Pem,
} from "./strimziListenerTls";
import { strimziMetrics } from "./strimziMetrics";
import { strimziNetworkPolicies } from "./strimziNetworkPolicies";
import { defaultClusterDns } from "../kube/clusterDns";
import type { ClusterNetworkFacts } from "../kube/clusterNetwork";
import { entityOperatorTemplate, nodePoolTemplate } from "./strimziPodTemplates";

type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type ResourceRequirements = k8s.types.input.core.v1.ResourceRequirements;

/** Storage of each dedicated KRaft controller: the metadata log, far smaller than broker data. */
export const DEFAULT_CONTROLLER_STORAGE = "20Gi";
/**
 * Topic and User Operator containers. The Entity Operator is one small JVM per operator watching
 * this cluster's topics and users; these fit hundreds of each (Strimzi's own examples use 512Mi).
 */
export const ENTITY_OPERATOR_RESOURCES = {
  requests: { cpu: "100m", memory: "384Mi" },
  limits: { cpu: "500m", memory: "512Mi" },
};
/** How long `pulumi up` waits for the cluster to report Ready (a rolling start of six nodes fits). */
export const KAFKA_READY_TIMEOUT_SECONDS = 1800;
/** Labels of the KEDA operator pods (Helm chart and OpenShift's Custom Metrics Autoscaler alike). */
export const KEDA_OPERATOR_POD_LABELS = { app: "keda-operator" };
/** Longest cluster name: Strimzi derives `<name>-controller-<id>` and `<name>-kafka-brokers` DNS labels from it. */
export const MAX_CLUSTER_NAME = 49;
/** Longest Kubernetes object name (a DNS subdomain). */
const MAX_RESOURCE_NAME = 253;
/** Where a granted workload finds the CA certificate and its client certificate. */
export const CLIENT_FILES_ROOT = "/etc/mlstack/kafka";

const CONSUMER_GROUP = /^[A-Za-z0-9._-]{1,249}$/;

export interface StrimziKafkaArgs {
  /** Platform facts: flavor (pod security), environment (labels), high availability (spread), protect. */
  ctx: PlatformContext;
  /** `mlstack:kafka`, validated and with the environment's defaults applied. */
  config: KafkaConfig;
  /**
   * Namespace of the cluster: the platform namespace, default-deny, watched by the Strimzi
   * operator. Every Strimzi resource, the CA Secrets and the listener certificate live here.
   */
  namespace: string;
  /**
   * Namespaces whose pods may connect to the listener (the teams' namespaces). They become the
   * listener's `networkPolicyPeers`, matched by `kubernetes.io/metadata.name`. Required and
   * non-empty: Strimzi reads an empty peer list as "open to every pod in the cluster".
   */
  clientNamespaces: string[];
  /**
   * CIDRs of the Kubernetes API server (`mlstack:network.apiServerCidrs`), for the egress of the
   * Entity Operator and of the Kafka nodes (they read their TLS material from Secrets).
   */
  apiServerCidrs: string[];
  /**
   * The KEDA operator, whose Kafka scaler reads consumer lag with each model's credentials: its
   * pods (default labels `app: keda-operator`) are admitted to the listener. Unset: no scaler access.
   */
  kedaOperator?: { namespace: string; podLabels?: Record<string, string> };
  /**
   * Namespace of the Prometheus that scrapes the platform. When set, the brokers and controllers
   * export metrics, a PodMonitor (Prometheus Operator CRDs required) scrapes them and the Entity
   * Operator, and a NetworkPolicy admits that namespace to the metrics ports. Unset: no metrics
   * exporter, nothing to scrape.
   */
  monitoringNamespace?: string;
  /** The cluster's resolver, CNI and monitor labels (`mlstack:network`); defaults per `ClusterNetworkFacts`. */
  network?: ClusterNetworkFacts;
  /** Volume of each dedicated controller. Default `20Gi` (the KRaft metadata log only). */
  controllerStorageSize?: string;
  /** Resources the Strimzi resources wait for: the operator and its CRDs, the namespace. */
  dependsOn?: pulumi.Resource[];
}

/** Where KEDA's Kafka scaler finds a granted workload's credentials (structurally the contract's `KafkaScalerAuth`). */
export interface StrimziScalerAuth {
  tls: true;
  ca: { name: string; key: string };
  clientCertificate?: { cert: { name: string; key: string }; key: { name: string; key: string } };
  sasl?: {
    mechanism: "SCRAM-SHA-512";
    username: { secretKeyRef: { name: string; key: string } };
    password: { name: string; key: string };
  };
}

/** A node pool as the config asks for it. */
interface PoolPlan {
  name: string;
  roles: Array<"controller" | "broker">;
  replicas: number;
  storageSize: string;
}

/** The Secrets a grant put into a workload's namespace. */
interface GrantSecrets {
  credentials: string;
  ca: string;
}

/** Refuses arguments config validation could not see; called before anything is registered. */
export function validateStrimziKafkaArgs(name: string, args: StrimziKafkaArgs): void {
  const fail = refusal(`StrimziKafka ${name}`);
  const { config } = args;
  if (!DNS_LABEL.test(args.namespace)) fail("namespace", args.namespace, `is not ${DNS_LABEL_RULE}`);
  if (!DNS_LABEL.test(config.name) || config.name.length > MAX_CLUSTER_NAME) {
    fail(
      "config.name",
      config.name,
      `is not a DNS label of at most ${MAX_CLUSTER_NAME} characters (Strimzi derives 63-character host names such as <name>-controller-<id> from it)`,
    );
  }
  if (args.clientNamespaces.length === 0) {
    fail(
      "clientNamespaces",
      args.clientNamespaces,
      "is empty: Strimzi opens a listener without peers to every pod in the cluster; name the team namespaces",
    );
  }
  args.clientNamespaces.forEach((ns, i) => {
    if (!DNS_LABEL.test(ns)) fail(`clientNamespaces[${i}]`, ns, `is not ${DNS_LABEL_RULE}`);
    if (args.clientNamespaces.indexOf(ns) !== i) fail(`clientNamespaces[${i}]`, ns, "is listed twice");
  });
  if (args.apiServerCidrs.length === 0) {
    fail(
      "apiServerCidrs",
      args.apiServerCidrs,
      "is empty: the Entity Operator and the Kafka nodes must reach the API server",
    );
  }
  args.apiServerCidrs.forEach((cidr, i) => {
    if (!isCidr(cidr)) fail(`apiServerCidrs[${i}]`, cidr, `is not ${CIDR_RULE}`);
  });
  if (args.kedaOperator && !DNS_LABEL.test(args.kedaOperator.namespace)) {
    fail("kedaOperator.namespace", args.kedaOperator.namespace, `is not ${DNS_LABEL_RULE}`);
  }
  if (args.monitoringNamespace !== undefined && !DNS_LABEL.test(args.monitoringNamespace)) {
    fail("monitoringNamespace", args.monitoringNamespace, `is not ${DNS_LABEL_RULE}`);
  }
  if (args.controllerStorageSize !== undefined && !isQuantity(args.controllerStorageSize)) {
    fail("controllerStorageSize", args.controllerStorageSize, "is not a Kubernetes quantity such as 20Gi");
  }
  if (args.ctx.highAvailability && config.controllers < 3) {
    fail(
      "config.controllers",
      config.controllers,
      `is below 3, which a highly available ${args.ctx.environment} cluster cannot run on: losing one controller would stop the cluster`,
    );
  }
  config.topics.forEach((topic, i) => {
    if (topicResourceName(config.name, topic.name).length > MAX_RESOURCE_NAME) {
      fail(
        `config.topics[${i}].name`,
        topic.name,
        `is too long: its KafkaTopic ${topicResourceName(config.name, "<topic>")} must fit ${MAX_RESOURCE_NAME} characters`,
      );
    }
    if (topic.replicas < config.minInsyncReplicas) {
      fail(
        `config.topics[${i}].replicas`,
        topic.replicas,
        `is below minInsyncReplicas ${config.minInsyncReplicas}: producers with acks=all could never write to topic ${topic.name}`,
      );
    }
  });
}

/** `KafkaTopic.metadata.name`: prefixed by the cluster, so two clusters in a namespace never collide. */
export function topicResourceName(cluster: string, topic: string): string {
  return `${cluster}-${topic}`;
}

/** The node pools: one dual-role node for a 1 + 1 cluster, otherwise dedicated controllers and brokers. */
export function planNodePools(config: KafkaConfig, controllerStorageSize: string): PoolPlan[] {
  if (config.brokers === 1 && config.controllers === 1) {
    return [
      { name: "dual-role", roles: ["controller", "broker"], replicas: 1, storageSize: config.storageSize },
    ];
  }
  return [
    {
      name: "controller",
      roles: ["controller"],
      replicas: config.controllers,
      storageSize: controllerStorageSize,
    },
    { name: "broker", roles: ["broker"], replicas: config.brokers, storageSize: config.storageSize },
  ];
}

/** The ACL rules of a grant: per topic the union of Read/Write with Describe, Read on the consumer group. */
export function topicGrantAcls(grant: TopicGrant): Array<Record<string, unknown>> {
  const topics = [...new Set([...grant.read, ...grant.write])];
  const acls: Array<Record<string, unknown>> = topics.map((topic) => ({
    resource: { type: "topic", name: topic, patternType: "literal" },
    operations: [
      ...(grant.read.includes(topic) ? ["Read"] : []),
      ...(grant.write.includes(topic) ? ["Write"] : []),
      "Describe",
    ],
    host: "*",
  }));
  if (grant.consumerGroup !== undefined) {
    acls.push({
      resource: { type: "group", name: grant.consumerGroup, patternType: "literal" },
      operations: ["Read"],
      host: "*",
    });
  }
  return acls;
}

export class StrimziKafka extends pulumi.ComponentResource implements KafkaCluster {
  /** `<cluster>-kafka-bootstrap.<namespace>.svc:9093`. */
  readonly bootstrapServers: pulumi.Output<string>;
  readonly security: KafkaClientSecurity;
  /** `Kafka.metadata.name`. */
  readonly clusterName: string;
  readonly namespace: string;
  /** CA certificate (PEM) that signs the listener certificate: what clients trust. */
  readonly caCertPem: pulumi.Output<string>;
  readonly kafka: k8s.apiextensions.CustomResource;
  readonly nodePools: k8s.apiextensions.CustomResource[];

  private readonly componentName: string;
  private readonly args: StrimziKafkaArgs;
  private readonly topics: Map<
    string,
    { config: KafkaTopicConfig; resource: k8s.apiextensions.CustomResource }
  >;
  private readonly clientsCa?: StrimziClientsCa;
  private readonly grants = new Map<string, GrantSecrets>();

  constructor(name: string, args: StrimziKafkaArgs, opts?: pulumi.ComponentResourceOptions) {
    validateStrimziKafkaArgs(name, args);
    super("mlstack:kafka:StrimziKafka", name, {}, opts);
    const { ctx, config, namespace } = args;
    const cluster = config.name;
    const apiVersion = config.apiVersion;
    this.componentName = name;
    this.args = args;
    this.clusterName = cluster;
    this.namespace = namespace;

    const labels = (component: string) =>
      kubeLabels({ name: cluster, component, environment: ctx.environment, team: PLATFORM_OWNER });
    const strimziLabels = (component: string) => ({ ...labels(component), "strimzi.io/cluster": cluster });
    const operatorDeps = args.dependsOn ?? [];

    // Listener certificate: issued by a Pulumi-held CA, key re-encoded as PKCS #8 for Kafka's PEM keystore.
    const serverCa = new CertificateAuthority(
      `${name}-ca`,
      { commonName: `${ctx.project} ${ctx.stack} ${cluster} Kafka CA` },
      { parent: this },
    );
    this.caCertPem = serverCa.certPem;
    const listenerCert = serverCa.issue("listener", {
      commonName: bootstrapServiceName(cluster),
      dnsNames: listenerDnsNames(cluster, namespace),
      usage: "server",
    });
    const listenerSecretName = `${cluster}-listener-${LISTENER_NAME}`;
    const listenerSecret = new k8s.core.v1.Secret(
      `${name}-listener-cert`,
      {
        metadata: { name: listenerSecretName, namespace, labels: labels("kafka-listener-certificate") },
        type: "kubernetes.io/tls",
        stringData: {
          // The chain clients are sent: the listener certificate, then the CA that issued it.
          [LISTENER_CERT_KEY]: pulumi
            .all([listenerCert.certPem, serverCa.certPem])
            .apply(([leaf, ca]) => pemBundle(leaf, ca)),
          [LISTENER_KEY_KEY]: listenerCert.privateKeyPem.apply((pem) => (pem ? toPkcs8Pem(pem) : pem)),
        },
      },
      { parent: this },
    );

    const mutualTls = config.authentication === "tls";
    if (mutualTls) {
      this.clientsCa = new StrimziClientsCa(
        `${name}-clients-ca`,
        {
          clusterName: cluster,
          namespace,
          labels: labels("kafka-clients-ca"),
          commonName: `${ctx.project} ${ctx.stack} ${cluster} Kafka clients CA`,
          protect: ctx.protect,
        },
        { parent: this },
      );
    }

    const metrics =
      args.monitoringNamespace !== undefined
        ? strimziMetrics(
            name,
            {
              cluster,
              namespace,
              labels: labels("kafka-metrics"),
              monitoringNamespace: args.monitoringNamespace,
              monitorLabels: args.network?.monitorLabels,
            },
            this,
          )
        : undefined;

    const listenerPeers: NetworkPolicyPeer[] = args.clientNamespaces.map((ns) => ({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
    }));
    if (args.kedaOperator) {
      listenerPeers.push({
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.kedaOperator.namespace } },
        podSelector: { matchLabels: args.kedaOperator.podLabels ?? KEDA_OPERATOR_POD_LABELS },
      });
    }

    const resources: ResourceRequirements = {
      requests: { ...config.resources.requests },
      limits: { ...config.resources.limits },
    };
    this.nodePools = planNodePools(config, args.controllerStorageSize ?? DEFAULT_CONTROLLER_STORAGE).map(
      (pool) =>
        new k8s.apiextensions.CustomResource(
          `${name}-pool-${pool.name}`,
          {
            apiVersion,
            kind: "KafkaNodePool",
            metadata: { name: pool.name, namespace, labels: strimziLabels("kafka") },
            spec: {
              replicas: pool.replicas,
              roles: pool.roles,
              storage: {
                type: "jbod",
                volumes: [
                  {
                    id: 0,
                    type: "persistent-claim",
                    size: pool.storageSize,
                    ...(config.storageClass ? { class: config.storageClass } : {}),
                    deleteClaim: false,
                  },
                ],
              },
              resources,
              template: nodePoolTemplate({
                flavor: ctx.flavor,
                cluster,
                pool: pool.name,
                highAvailability: ctx.highAvailability,
              }),
            },
          },
          { parent: this, dependsOn: operatorDeps, protect: ctx.protect },
        ),
    );

    const annotations: Record<string, string> = {
      "pulumi.com/waitFor": "condition=Ready",
      "pulumi.com/timeoutSeconds": String(KAFKA_READY_TIMEOUT_SECONDS),
      ...(apiVersion === "kafka.strimzi.io/v1beta2"
        ? { "strimzi.io/kraft": "enabled", "strimzi.io/node-pools": "enabled" }
        : {}),
    };
    this.kafka = new k8s.apiextensions.CustomResource(
      `${name}-kafka`,
      {
        apiVersion,
        kind: "Kafka",
        metadata: { name: cluster, namespace, labels: labels("kafka"), annotations },
        spec: {
          kafka: {
            version: config.version,
            listeners: [
              {
                name: LISTENER_NAME,
                port: LISTENER_PORT,
                type: "internal",
                tls: true,
                authentication: { type: config.authentication },
                configuration: {
                  brokerCertChainAndKey: {
                    secretName: listenerSecretName,
                    certificate: LISTENER_CERT_KEY,
                    key: LISTENER_KEY_KEY,
                  },
                },
                networkPolicyPeers: listenerPeers,
              },
            ],
            authorization: { type: "simple" },
            config: {
              "default.replication.factor": config.replicationFactor,
              "min.insync.replicas": config.minInsyncReplicas,
              "offsets.topic.replication.factor": config.replicationFactor,
              "transaction.state.log.replication.factor": config.replicationFactor,
              "transaction.state.log.min.isr": config.minInsyncReplicas,
              "auto.create.topics.enable": false,
            },
            ...(metrics ? { metricsConfig: metrics.metricsConfig } : {}),
          },
          ...(mutualTls ? { clientsCa: { generateCertificateAuthority: false } } : {}),
          entityOperator: {
            topicOperator: { resources: ENTITY_OPERATOR_RESOURCES },
            // The User Operator's Secrets get a prefix: they share the namespace with MLflow's and others'.
            userOperator: { resources: ENTITY_OPERATOR_RESOURCES, secretPrefix: `${cluster}-user-` },
            template: entityOperatorTemplate(ctx.flavor),
          },
        },
      },
      {
        parent: this,
        protect: ctx.protect,
        dependsOn: [
          ...operatorDeps,
          ...this.nodePools,
          listenerSecret,
          ...(this.clientsCa ? [this.clientsCa.certSecret, this.clientsCa.keySecret] : []),
          ...(metrics ? [metrics.configMap] : []),
        ],
      },
    );

    strimziNetworkPolicies(
      name,
      {
        cluster,
        namespace,
        dns: args.network?.dns ?? defaultClusterDns(ctx.target),
        cni: args.network?.cni,
        labels: labels("kafka"),
        apiServerCidrs: args.apiServerCidrs,
      },
      this,
    );

    this.topics = new Map(
      config.topics.map((topic) => {
        const resource = new k8s.apiextensions.CustomResource(
          `${name}-topic-${topic.name}`,
          {
            apiVersion,
            kind: "KafkaTopic",
            metadata: {
              name: topicResourceName(cluster, topic.name),
              namespace,
              labels: {
                ...kubeLabels({
                  name: cluster,
                  component: "kafka-topic",
                  environment: ctx.environment,
                  team: topic.owner,
                }),
                "strimzi.io/cluster": cluster,
              },
              annotations: { "pulumi.com/waitFor": "condition=Ready" },
            },
            spec: {
              topicName: topic.name,
              partitions: topic.partitions,
              replicas: topic.replicas,
              config: {
                "retention.ms": topic.retentionHours * 3_600_000,
                "min.insync.replicas": config.minInsyncReplicas,
              },
            },
          },
          // Deleting a KafkaTopic deletes the topic and its data; the Topic Operator must still run then.
          { parent: this, protect: ctx.protect, dependsOn: [this.kafka] },
        );
        return [topic.name, { config: topic, resource }] as const;
      }),
    );

    this.bootstrapServers = pulumi.output(
      `${bootstrapServiceName(cluster)}.${namespace}.svc:${LISTENER_PORT}`,
    );
    this.security = mutualTls
      ? { protocol: "SSL" }
      : { protocol: "SASL_SSL", saslMechanism: "SCRAM-SHA-512" };
    this.registerOutputs({ bootstrapServers: this.bootstrapServers, caCertPem: this.caCertPem });
  }

  /** The physical name of a declared topic; resolves once its KafkaTopic exists (and is Ready). */
  topicName(logical: string): pulumi.Output<string> {
    const topic = this.topics.get(logical);
    if (!topic) {
      throw new Error(
        `StrimziKafka ${this.componentName}: topic ${JSON.stringify(logical)} is not declared in mlstack:kafka.topics (declared: ${this.declaredTopics()})`,
      );
    }
    return topic.resource.urn.apply(() => topic.config.name);
  }

  /**
   * Gives one workload exactly its topics: a `KafkaUser` named after the workload with Read +
   * Describe on each topic it reads, Write + Describe on each it writes, Read on its consumer
   * group (literal names, nothing else), and in the workload's namespace the CA certificate and
   * its credentials. Resources are children of `opts.parent`.
   *
   * Env: `KAFKA_BOOTSTRAP_SERVERS`, `KAFKA_SECURITY_PROTOCOL`, `KAFKA_SSL_CA_LOCATION`; with
   * SCRAM `KAFKA_SASL_MECHANISM`, `KAFKA_SASL_USERNAME`, `KAFKA_SASL_PASSWORD` and
   * `KAFKA_SASL_JAAS_CONFIG` (Java clients), all three from the Secret; with mutual TLS
   * `KAFKA_SSL_CERTIFICATE_LOCATION` and `KAFKA_SSL_KEY_LOCATION` (mounted files). The names are
   * librdkafka's properties behind `KAFKA_`, which is how the stream consumer reads them.
   */
  grantTopicAccess(
    identity: WorkloadIdentity,
    grant: TopicGrant,
    opts: { parent: pulumi.Resource },
  ): WorkloadAccess {
    const workload = identity.workload;
    this.validateGrant(workload, grant);
    const { ctx } = this.args;
    const cluster = this.clusterName;
    const base = `${this.componentName}-${workload.name}`;
    const parent = opts.parent;
    const workloadLabels = (component: string) =>
      kubeLabels({ name: workload.name, component, environment: ctx.environment, team: workload.team });
    const mutualTls = this.clientsCa !== undefined;

    // The CA certificate, in the workload's namespace.
    const caSecretName = `${workload.name}-${cluster}-ca`;
    const caSecret = new k8s.core.v1.Secret(
      `${base}-kafka-ca`,
      {
        metadata: { name: caSecretName, namespace: workload.namespace, labels: workloadLabels("kafka-ca") },
        type: "Opaque",
        stringData: { "ca.crt": this.caCertPem },
      },
      { parent },
    );

    const credentialsName = `${workload.name}-${cluster}-credentials`;
    const dependsOn: pulumi.Resource[] = [caSecret];
    let authentication: Record<string, unknown>;
    let credentials: k8s.core.v1.Secret;
    if (this.clientsCa) {
      const cert = this.clientsCa.issueClient(workload.name, parent);
      credentials = new k8s.core.v1.Secret(
        `${base}-kafka-credentials`,
        {
          metadata: {
            name: credentialsName,
            namespace: workload.namespace,
            labels: workloadLabels("kafka-credentials"),
          },
          type: "kubernetes.io/tls",
          stringData: { "tls.crt": cert.certPem, "tls.key": cert.privateKeyPem },
        },
        { parent },
      );
      authentication = { type: "tls-external" };
    } else {
      const password = new random.RandomPassword(
        `${base}-kafka-password`,
        { length: 32, special: false },
        { parent },
      );
      const passwordSecret = new k8s.core.v1.Secret(
        `${base}-kafka-password`,
        {
          metadata: {
            name: `${cluster}-${workload.name}-password`,
            namespace: this.namespace,
            labels: { ...workloadLabels("kafka-user"), "strimzi.io/cluster": cluster },
          },
          type: "Opaque",
          stringData: { password: password.result },
        },
        { parent },
      );
      dependsOn.push(passwordSecret);
      credentials = new k8s.core.v1.Secret(
        `${base}-kafka-credentials`,
        {
          metadata: {
            name: credentialsName,
            namespace: workload.namespace,
            labels: workloadLabels("kafka-credentials"),
          },
          type: "Opaque",
          stringData: {
            username: workload.name,
            password: password.result,
            // Only letters and digits in the password, so the JAAS line needs no escaping.
            "sasl.jaas.config": pulumi.interpolate`org.apache.kafka.common.security.scram.ScramLoginModule required username="${workload.name}" password="${password.result}";`,
          },
        },
        { parent },
      );
      authentication = {
        type: "scram-sha-512",
        password: {
          valueFrom: { secretKeyRef: { name: `${cluster}-${workload.name}-password`, key: "password" } },
        },
      };
    }
    dependsOn.push(credentials);

    const user = new k8s.apiextensions.CustomResource(
      `${base}-kafka-user`,
      {
        apiVersion: this.args.config.apiVersion,
        kind: "KafkaUser",
        metadata: {
          name: workload.name,
          namespace: this.namespace,
          labels: { ...workloadLabels("kafka-user"), "strimzi.io/cluster": cluster },
          annotations: { "pulumi.com/waitFor": "condition=Ready" },
        },
        spec: {
          authentication,
          authorization: { type: "simple", acls: topicGrantAcls(grant) },
        },
      },
      { parent, dependsOn: [this.kafka, ...dependsOn] },
    );
    dependsOn.unshift(user);
    this.grants.set(workload.name, { credentials: credentialsName, ca: caSecretName });

    const dir = `${CLIENT_FILES_ROOT}/${cluster}`;
    const caVolume = `kafka-${cluster}-ca`;
    const clientVolume = `kafka-${cluster}-client`;
    const fromSecret = (envName: string, key: string): k8s.types.input.core.v1.EnvVar => ({
      name: envName,
      valueFrom: { secretKeyRef: { name: credentialsName, key } },
    });
    const env: k8s.types.input.core.v1.EnvVar[] = [
      { name: "KAFKA_BOOTSTRAP_SERVERS", value: this.bootstrapServers },
      { name: "KAFKA_SECURITY_PROTOCOL", value: this.security.protocol },
      { name: "KAFKA_SSL_CA_LOCATION", value: `${dir}/ca/ca.crt` },
      ...(mutualTls
        ? [
            { name: "KAFKA_SSL_CERTIFICATE_LOCATION", value: `${dir}/client/tls.crt` },
            { name: "KAFKA_SSL_KEY_LOCATION", value: `${dir}/client/tls.key` },
          ]
        : [
            { name: "KAFKA_SASL_MECHANISM", value: "SCRAM-SHA-512" },
            fromSecret("KAFKA_SASL_USERNAME", "username"),
            fromSecret("KAFKA_SASL_PASSWORD", "password"),
            fromSecret("KAFKA_SASL_JAAS_CONFIG", "sasl.jaas.config"),
          ]),
    ];
    const volumes: k8s.types.input.core.v1.Volume[] = [
      {
        name: caVolume,
        secret: { secretName: caSecretName, defaultMode: 0o444, items: [{ key: "ca.crt", path: "ca.crt" }] },
      },
      ...(mutualTls
        ? [
            {
              name: clientVolume,
              secret: {
                secretName: credentialsName,
                defaultMode: 0o440,
                items: [
                  { key: "tls.crt", path: "tls.crt" },
                  { key: "tls.key", path: "tls.key" },
                ],
              },
            },
          ]
        : []),
    ];
    const volumeMounts: k8s.types.input.core.v1.VolumeMount[] = [
      { name: caVolume, mountPath: `${dir}/ca`, readOnly: true },
      ...(mutualTls ? [{ name: clientVolume, mountPath: `${dir}/client`, readOnly: true }] : []),
    ];
    const egress: k8s.types.input.networking.v1.NetworkPolicyEgressRule[] = [
      {
        to: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": this.namespace } },
            podSelector: { matchLabels: { "strimzi.io/cluster": cluster } },
          },
        ],
        ports: [{ protocol: "TCP", port: LISTENER_PORT }],
      },
    ];
    return { env, volumes, volumeMounts, egress, dependsOn };
  }

  /**
   * What KEDA's Kafka scaler needs to read the consumer lag of a granted workload: TLS with the
   * CA from the workload's `<workload>-<cluster>-ca` Secret (`ca.crt`), and from its
   * `<workload>-<cluster>-credentials` Secret either SCRAM (`username`, `password`) or the client
   * certificate (`tls.crt`, `tls.key`). The scaler uses the workload's own user, whose grant
   * already allows what lag needs (Describe on the topic, Read on the group). Call after
   * `grantTopicAccess` for the same workload.
   */
  /** KEDA's lag trigger: the workload's own user (SCRAM or client certificate) and the cluster CA. */
  lagTrigger(identity: WorkloadIdentity, containerName: string): KafkaLagTrigger {
    return secretLagTrigger(this.scalerAuth(identity), containerName);
  }

  scalerAuth(identity: WorkloadIdentity): StrimziScalerAuth {
    const secrets = this.grants.get(identity.workload.name);
    if (!secrets) {
      throw new Error(
        `StrimziKafka ${this.componentName}: workload ${identity.workload.name} has no topic grant; call grantTopicAccess first`,
      );
    }
    const ca = { name: secrets.ca, key: "ca.crt" };
    if (this.clientsCa) {
      return {
        tls: true,
        ca,
        clientCertificate: {
          cert: { name: secrets.credentials, key: "tls.crt" },
          key: { name: secrets.credentials, key: "tls.key" },
        },
      };
    }
    return {
      tls: true,
      ca,
      sasl: {
        mechanism: "SCRAM-SHA-512",
        username: { secretKeyRef: { name: secrets.credentials, key: "username" } },
        password: { name: secrets.credentials, key: "password" },
      },
    };
  }

  private declaredTopics(): string {
    return [...this.topics.keys()].join(", ") || "none";
  }

  private validateGrant(workload: WorkloadIdentity["workload"], grant: TopicGrant): void {
    const fail = (what: string, value: unknown, allowed: string): never => {
      throw new Error(
        `StrimziKafka ${this.componentName}: grant for workload ${workload.name}: ${what} ${JSON.stringify(value)} ${allowed}`,
      );
    };
    if (!DNS_LABEL.test(workload.name))
      fail(
        "workload name",
        workload.name,
        `is not ${DNS_LABEL_RULE} (it names the KafkaUser and its certificate subject)`,
      );
    if (this.grants.has(workload.name))
      fail("workload", workload.name, "already has a grant on this cluster; grant all its topics at once");
    if (!this.args.clientNamespaces.includes(workload.namespace)) {
      fail(
        "namespace",
        workload.namespace,
        `is not a client namespace of this cluster, so its pods cannot reach the listener (client namespaces: ${this.args.clientNamespaces.join(", ")})`,
      );
    }
    if (grant.read.length === 0 && grant.write.length === 0)
      fail("read/write", grant, "name no topic: a grant must read or write at least one topic");
    const check = (list: "read" | "write", allowedTeams: (t: KafkaTopicConfig) => string[]) => {
      grant[list].forEach((name, i) => {
        const topic = this.topics.get(name)?.config;
        if (!topic)
          fail(`${list}[${i}]`, name, `is not a declared topic (declared: ${this.declaredTopics()})`);
        else {
          if (grant[list].indexOf(name) !== i) fail(`${list}[${i}]`, name, "is listed twice");
          const teams = allowedTeams(topic);
          if (!teams.includes(workload.team)) {
            fail(
              `${list}[${i}]`,
              name,
              `may not be ${list === "read" ? "read" : "written"} by team ${workload.team} (allowed: ${teams.join(", ")})`,
            );
          }
        }
      });
    };
    check("read", (t) => [t.owner, ...t.readers]);
    check("write", (t) => [t.owner, ...t.writers]);
    if (grant.consumerGroup !== undefined) {
      if (!CONSUMER_GROUP.test(grant.consumerGroup))
        fail(
          "consumerGroup",
          grant.consumerGroup,
          "is not a consumer group id: letters, digits, '.', '_' and '-', at most 249 characters",
        );
      if (grant.read.length === 0)
        fail(
          "consumerGroup",
          grant.consumerGroup,
          "is given without a topic to read; a producer needs no consumer group",
        );
    }
  }
}
