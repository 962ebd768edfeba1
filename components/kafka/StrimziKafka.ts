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
import { PLATFORM_OWNER } from "../platformIdentity";
import type { KafkaConfig, KafkaTopicConfig } from "./settings";
import type { PlatformContext } from "../context";
import type { WorkloadAccess, WorkloadIdentity } from "../identity/contract";
import { kubeLabels } from "../kube/labels";
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
import { type StrimziMetrics, strimziMetrics } from "./strimziMetrics";
import { strimziNetworkPolicies } from "./strimziNetworkPolicies";
import { defaultClusterDns } from "../kube/clusterDns";
import type { ClusterNetworkFacts } from "../kube/clusterNetwork";
import {
  type GrantSecretsContext,
  clientCertificateCredentials,
  grantedCaSecret,
  grantedClientAccess,
  scramCredentials,
} from "./strimziGrant";
import { Kafka, KafkaNodePool, KafkaTopic, KafkaUser, strimziResource } from "./strimziResources";
import {
  DEFAULT_CONTROLLER_STORAGE,
  kafkaSpec,
  nodePoolSpec,
  planNodePools,
  topicGrantAcls,
  topicSpec,
} from "./strimziSpecs";
import {
  declaredTopics,
  topicResourceName,
  validateStrimziKafkaArgs,
  validateTopicGrant,
} from "./strimziValidation";

export { CLIENT_FILES_ROOT } from "./strimziGrant";
export {
  DEFAULT_CONTROLLER_STORAGE,
  ENTITY_OPERATOR_RESOURCES,
  planNodePools,
  topicGrantAcls,
} from "./strimziSpecs";
export { MAX_CLUSTER_NAME, topicResourceName, validateStrimziKafkaArgs } from "./strimziValidation";

type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;

/** How long `pulumi up` waits for the cluster to report Ready (a rolling start of six nodes fits). */
export const KAFKA_READY_TIMEOUT_SECONDS = 1800;
/** Labels of the KEDA operator pods (Helm chart and OpenShift's Custom Metrics Autoscaler alike). */
export const KEDA_OPERATOR_POD_LABELS = { app: "keda-operator" };

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
  kedaOperator?: KedaOperatorPeer;
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

/** The KEDA operator's pods, admitted to the listener (`StrimziKafkaArgs.kedaOperator`). */
export interface KedaOperatorPeer {
  namespace: string;
  /** Labels of the operator's pods. Default `app: keda-operator`. */
  podLabels?: Record<string, string>;
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

/** The Secrets a grant put into a workload's namespace. */
interface GrantSecrets {
  credentials: string;
  ca: string;
}

/**
 * What a StrimziKafka keeps for its methods. It lives beside the instance, not in fields: Pulumi's
 * component analyzer publishes every field, private ones too, as a schema output (and has no type
 * for a Map or a CustomResource), and the provider would return the raw args to the caller.
 */
interface StrimziKafkaState {
  componentName: string;
  args: StrimziKafkaArgs;
  topicConfigs: Map<string, KafkaTopicConfig>;
  topicResources: Map<string, k8s.apiextensions.CustomResource>;
  clientsCa?: StrimziClientsCa;
  grants: Map<string, GrantSecrets>;
  kafka?: k8s.apiextensions.CustomResource;
  nodePools: k8s.apiextensions.CustomResource[];
}

const states = new WeakMap<StrimziKafka, StrimziKafkaState>();

export class StrimziKafka extends pulumi.ComponentResource implements KafkaCluster {
  /** `<cluster>-kafka-bootstrap.<namespace>.svc:9093`. */
  readonly bootstrapServers: pulumi.Output<string>;
  readonly security: KafkaClientSecurity;
  /** `Kafka.metadata.name`. */
  readonly clusterName: string;
  readonly namespace: string;
  /** CA certificate (PEM) that signs the listener certificate: what clients trust. */
  readonly caCertPem: pulumi.Output<string>;
  /** The `Kafka` resource (a getter: a CustomResource has no type in a package schema). */
  get kafka(): k8s.apiextensions.CustomResource {
    return this.state.kafka as k8s.apiextensions.CustomResource;
  }
  /** The `KafkaNodePool` resources. */
  get nodePools(): k8s.apiextensions.CustomResource[] {
    return this.state.nodePools;
  }

  private get state(): StrimziKafkaState {
    return states.get(this) as StrimziKafkaState;
  }
  private get componentName(): string {
    return this.state.componentName;
  }
  private get args(): StrimziKafkaArgs {
    return this.state.args;
  }
  private get clientsCa(): StrimziClientsCa | undefined {
    return this.state.clientsCa;
  }

  constructor(name: string, args: StrimziKafkaArgs, opts?: pulumi.ComponentResourceOptions) {
    validateStrimziKafkaArgs(name, args);
    super("mlstack:kafka:StrimziKafka", name, {}, opts);
    const { config, namespace } = args;
    const state: StrimziKafkaState = {
      componentName: name,
      args,
      topicConfigs: new Map(config.topics.map((topic) => [topic.name, topic])),
      topicResources: new Map(),
      grants: new Map(),
      nodePools: [],
    };
    states.set(this, state);
    this.clusterName = config.name;
    this.namespace = namespace;

    const listener = this.listenerCertificate();
    this.caCertPem = listener.caCertPem;
    if (config.authentication === "tls") state.clientsCa = this.clientsCertificateAuthority();
    const metrics = this.metrics();
    state.nodePools = this.createNodePools();
    state.kafka = this.createKafka(listener.secret, metrics);
    this.networkPolicies();
    for (const topic of config.topics) state.topicResources.set(topic.name, this.createTopic(topic));

    this.bootstrapServers = pulumi.output(
      `${bootstrapServiceName(this.clusterName)}.${namespace}.svc:${LISTENER_PORT}`,
    );
    this.security = this.clientsCa
      ? { protocol: "SSL" }
      : { protocol: "SASL_SSL", saslMechanism: "SCRAM-SHA-512" };
    this.registerOutputs({ bootstrapServers: this.bootstrapServers, caCertPem: this.caCertPem });
  }

  /** The physical name of a declared topic; resolves once its KafkaTopic exists (and is Ready). */
  topicName(logical: string): pulumi.Output<string> {
    const resource = this.state.topicResources.get(logical);
    if (!resource) {
      throw new Error(
        `StrimziKafka ${this.componentName}: topic ${JSON.stringify(logical)} is not declared in mlstack:kafka.topics (declared: ${declaredTopics(this.state.topicConfigs)})`,
      );
    }
    return resource.urn.apply(() => logical);
  }

  /**
   * Gives one workload exactly its topics: a `KafkaUser` named after the workload with Read +
   * Describe on each topic it reads, Write + Describe on each it writes, Read on its consumer
   * group (literal names, nothing else), and in the workload's namespace the CA certificate and
   * its credentials (env, files and egress: `grantedClientAccess`). Resources are children of
   * `opts.parent`.
   */
  grantTopicAccess(
    identity: WorkloadIdentity,
    grant: TopicGrant,
    opts: { parent: pulumi.Resource },
  ): WorkloadAccess {
    const workload = identity.workload;
    validateTopicGrant(
      {
        component: this.componentName,
        topics: this.state.topicConfigs,
        clientNamespaces: this.args.clientNamespaces,
        granted: this.state.grants,
      },
      workload,
      grant,
    );
    const cluster = this.clusterName;
    const base = `${this.componentName}-${workload.name}`;
    const parent = opts.parent;
    const caSecretName = `${workload.name}-${cluster}-ca`;
    const secrets: GrantSecretsContext = {
      identity,
      cluster,
      kafkaNamespace: this.namespace,
      base,
      labels: (component) => this.workloadLabels(identity, component),
      parent,
    };
    const caSecret = grantedCaSecret(secrets, caSecretName, this.caCertPem);
    const credentialsName = `${workload.name}-${cluster}-credentials`;
    const credentials = this.clientsCa
      ? clientCertificateCredentials(secrets, credentialsName, this.clientsCa)
      : scramCredentials(secrets, credentialsName);
    const dependsOn: pulumi.Resource[] = [caSecret, ...credentials.resources];

    const user = strimziResource(
      KafkaUser,
      this.args.config.apiVersion,
      `${base}-kafka-user`,
      {
        metadata: {
          name: workload.name,
          namespace: this.namespace,
          labels: { ...this.workloadLabels(identity, "kafka-user"), "strimzi.io/cluster": cluster },
          annotations: { "pulumi.com/waitFor": "condition=Ready" },
        },
        spec: {
          authentication: credentials.authentication,
          authorization: { type: "simple", acls: topicGrantAcls(grant) },
        },
      },
      { parent, dependsOn: [this.kafka, ...dependsOn] },
    );
    this.state.grants.set(workload.name, { credentials: credentialsName, ca: caSecretName });
    return grantedClientAccess({
      cluster,
      kafkaNamespace: this.namespace,
      bootstrapServers: this.bootstrapServers,
      protocol: this.security.protocol,
      mutualTls: this.clientsCa !== undefined,
      caSecretName,
      credentialsName,
      dependsOn: [user, ...dependsOn],
    });
  }

  /** KEDA's lag trigger: the workload's own user (SCRAM or client certificate) and the cluster CA. */
  lagTrigger(identity: WorkloadIdentity, containerName: string): KafkaLagTrigger {
    return secretLagTrigger(this.scalerAuth(identity), containerName);
  }

  /**
   * What KEDA's Kafka scaler needs to read the consumer lag of a granted workload: TLS with the
   * CA from the workload's `<workload>-<cluster>-ca` Secret (`ca.crt`), and from its
   * `<workload>-<cluster>-credentials` Secret either SCRAM (`username`, `password`) or the client
   * certificate (`tls.crt`, `tls.key`). The scaler uses the workload's own user, whose grant
   * already allows what lag needs (Describe on the topic, Read on the group). Call after
   * `grantTopicAccess` for the same workload.
   */
  scalerAuth(identity: WorkloadIdentity): StrimziScalerAuth {
    const secrets = this.state.grants.get(identity.workload.name);
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

  private labels(component: string): Record<string, string> {
    const { ctx } = this.args;
    return kubeLabels({
      name: this.clusterName,
      component,
      environment: ctx.environment,
      team: PLATFORM_OWNER,
    });
  }

  private strimziLabels(component: string): Record<string, string> {
    return { ...this.labels(component), "strimzi.io/cluster": this.clusterName };
  }

  private workloadLabels(identity: WorkloadIdentity, component: string): Record<string, string> {
    const { workload } = identity;
    return kubeLabels({
      name: workload.name,
      component,
      environment: this.args.ctx.environment,
      team: workload.team,
    });
  }

  /** Listener certificate: issued by a Pulumi-held CA, key re-encoded as PKCS #8 for Kafka's PEM keystore. */
  private listenerCertificate(): { caCertPem: pulumi.Output<string>; secret: k8s.core.v1.Secret } {
    const { ctx, namespace } = this.args;
    const name = this.componentName;
    const cluster = this.clusterName;
    const serverCa = new CertificateAuthority(
      `${name}-ca`,
      { commonName: `${ctx.project} ${ctx.stack} ${cluster} Kafka CA` },
      { parent: this },
    );
    const listenerCert = serverCa.issue("listener", {
      commonName: bootstrapServiceName(cluster),
      dnsNames: listenerDnsNames(cluster, namespace),
      usage: "server",
    });
    const secret = new k8s.core.v1.Secret(
      `${name}-listener-cert`,
      {
        metadata: {
          name: listenerSecretName(cluster),
          namespace,
          labels: this.labels("kafka-listener-certificate"),
        },
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
    return { caCertPem: serverCa.certPem, secret };
  }

  /** For mutual TLS: the Pulumi-held clients CA Strimzi trusts instead of generating its own. */
  private clientsCertificateAuthority(): StrimziClientsCa {
    const { ctx, namespace } = this.args;
    const cluster = this.clusterName;
    return new StrimziClientsCa(
      `${this.componentName}-clients-ca`,
      {
        clusterName: cluster,
        namespace,
        labels: this.labels("kafka-clients-ca"),
        commonName: `${ctx.project} ${ctx.stack} ${cluster} Kafka clients CA`,
        protect: ctx.protect,
      },
      { parent: this },
    );
  }

  /** With a monitoring namespace: the JMX exporter's config, the PodMonitor and its NetworkPolicy. */
  private metrics(): StrimziMetrics | undefined {
    const { monitoringNamespace, namespace, network } = this.args;
    if (monitoringNamespace === undefined) return undefined;
    return strimziMetrics(
      this.componentName,
      {
        cluster: this.clusterName,
        namespace,
        labels: this.labels("kafka-metrics"),
        monitoringNamespace,
        monitorLabels: network?.monitorLabels,
      },
      this,
    );
  }

  private createNodePools(): k8s.apiextensions.CustomResource[] {
    const { ctx, config, namespace } = this.args;
    const pools = planNodePools(config, this.args.controllerStorageSize ?? DEFAULT_CONTROLLER_STORAGE);
    return pools.map((pool) =>
      strimziResource(
        KafkaNodePool,
        config.apiVersion,
        `${this.componentName}-pool-${pool.name}`,
        {
          metadata: { name: pool.name, namespace, labels: this.strimziLabels("kafka") },
          spec: nodePoolSpec(pool, config, {
            flavor: ctx.flavor,
            cluster: this.clusterName,
            highAvailability: ctx.highAvailability,
          }),
        },
        { parent: this, dependsOn: this.args.dependsOn ?? [], protect: ctx.protect },
      ),
    );
  }

  /** Who may reach the listener: the client namespaces, and the KEDA operator when given. */
  private listenerPeers(): NetworkPolicyPeer[] {
    const { clientNamespaces, kedaOperator } = this.args;
    const peers: NetworkPolicyPeer[] = clientNamespaces.map((ns) => ({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
    }));
    if (kedaOperator) {
      peers.push({
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": kedaOperator.namespace } },
        podSelector: { matchLabels: kedaOperator.podLabels ?? KEDA_OPERATOR_POD_LABELS },
      });
    }
    return peers;
  }

  private createKafka(
    listenerSecret: k8s.core.v1.Secret,
    metrics: StrimziMetrics | undefined,
  ): k8s.apiextensions.CustomResource {
    const { ctx, config, namespace } = this.args;
    const annotations: Record<string, string> = {
      "pulumi.com/waitFor": "condition=Ready",
      "pulumi.com/timeoutSeconds": String(KAFKA_READY_TIMEOUT_SECONDS),
      ...(config.apiVersion === "kafka.strimzi.io/v1beta2"
        ? { "strimzi.io/kraft": "enabled", "strimzi.io/node-pools": "enabled" }
        : {}),
    };
    return strimziResource(
      Kafka,
      config.apiVersion,
      `${this.componentName}-kafka`,
      {
        metadata: { name: this.clusterName, namespace, labels: this.labels("kafka"), annotations },
        spec: kafkaSpec({
          config,
          cluster: this.clusterName,
          flavor: ctx.flavor,
          listenerSecretName: listenerSecretName(this.clusterName),
          listenerPeers: this.listenerPeers(),
          mutualTls: this.clientsCa !== undefined,
          metricsConfig: metrics?.metricsConfig,
        }),
      },
      {
        parent: this,
        protect: ctx.protect,
        dependsOn: [
          ...(this.args.dependsOn ?? []),
          ...this.nodePools,
          listenerSecret,
          ...(this.clientsCa ? [this.clientsCa.certSecret, this.clientsCa.keySecret] : []),
          ...(metrics ? [metrics.configMap] : []),
        ],
      },
    );
  }

  /** The egress the cluster's pods need in their default-deny namespace (ingress is Strimzi's own). */
  private networkPolicies(): void {
    const { ctx, network, namespace, apiServerCidrs } = this.args;
    strimziNetworkPolicies(
      this.componentName,
      {
        cluster: this.clusterName,
        namespace,
        dns: network?.dns ?? defaultClusterDns(ctx.target),
        cni: network?.cni,
        labels: this.labels("kafka"),
        apiServerCidrs,
      },
      this,
    );
  }

  private createTopic(topic: KafkaTopicConfig): k8s.apiextensions.CustomResource {
    const { ctx, config, namespace } = this.args;
    const cluster = this.clusterName;
    return strimziResource(
      KafkaTopic,
      config.apiVersion,
      `${this.componentName}-topic-${topic.name}`,
      {
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
        spec: topicSpec(topic, config),
      },
      // Deleting a KafkaTopic deletes the topic and its data; the Topic Operator must still run then.
      { parent: this, protect: ctx.protect, dependsOn: [this.kafka] },
    );
  }
}

/** The Secret with the listener's certificate chain and key. */
function listenerSecretName(cluster: string): string {
  return `${cluster}-listener-${LISTENER_NAME}`;
}
