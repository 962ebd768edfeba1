/**
 * The specs of the Strimzi resources a `StrimziKafka` writes, as pure functions of its config:
 * the node pools, the `Kafka` itself, a topic, a user's ACLs. Typed by the pinned operator's v1
 * schema (`strimziResources.ts`), so a field Strimzi does not have is a type error here.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { ClusterFlavor } from "../context";
import type { TopicGrant } from "./contract";
import type { KafkaConfig, KafkaTopicConfig } from "./settings";
import { LISTENER_CERT_KEY, LISTENER_KEY_KEY, LISTENER_NAME, LISTENER_PORT } from "./strimziListenerTls";
import { entityOperatorTemplate, nodePoolTemplate } from "./strimziPodTemplates";
import type {
  KafkaNodePoolSpec,
  KafkaSpec,
  KafkaSpecKafkaMetricsConfig,
  KafkaTopicSpec,
  KafkaUserSpecAuthorizationAcls,
} from "./strimziResources";

type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;

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

/** A node pool as the config asks for it. */
export interface PoolPlan {
  name: string;
  roles: Array<"controller" | "broker">;
  replicas: number;
  storageSize: string;
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

/** One pool's spec: JBOD persistent-claim storage kept when the cluster is deleted, restricted pods. */
export function nodePoolSpec(
  pool: PoolPlan,
  config: KafkaConfig,
  where: { flavor: ClusterFlavor; cluster: string; highAvailability: boolean },
): KafkaNodePoolSpec {
  return {
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
    resources: { requests: { ...config.resources.requests }, limits: { ...config.resources.limits } },
    template: nodePoolTemplate({
      flavor: where.flavor,
      cluster: where.cluster,
      pool: pool.name,
      highAvailability: where.highAvailability,
    }),
  };
}

export interface KafkaSpecInputs {
  config: KafkaConfig;
  cluster: string;
  flavor: ClusterFlavor;
  /** The Secret with the listener's certificate chain and key. */
  listenerSecretName: string;
  /** Who may connect to the listener. */
  listenerPeers: NetworkPolicyPeer[];
  /** Clients authenticate with certificates of a Pulumi-held clients CA (`StrimziClientsCa`). */
  mutualTls: boolean;
  /** `spec.kafka.metricsConfig` when the cluster exports metrics. */
  metricsConfig?: KafkaSpecKafkaMetricsConfig;
}

/**
 * The `Kafka`: one TLS listener (SCRAM or mutual TLS) with our certificate, `simple`
 * authorization, no auto-created topics, replication from the config, the Entity Operator.
 */
export function kafkaSpec(p: KafkaSpecInputs): KafkaSpec {
  const { config } = p;
  return {
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
              secretName: p.listenerSecretName,
              certificate: LISTENER_CERT_KEY,
              key: LISTENER_KEY_KEY,
            },
          },
          networkPolicyPeers: p.listenerPeers,
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
      ...(p.metricsConfig ? { metricsConfig: p.metricsConfig } : {}),
    },
    ...(p.mutualTls ? { clientsCa: { generateCertificateAuthority: false } } : {}),
    entityOperator: {
      topicOperator: { resources: ENTITY_OPERATOR_RESOURCES },
      // The User Operator's Secrets get a prefix: they share the namespace with MLflow's and others'.
      userOperator: { resources: ENTITY_OPERATOR_RESOURCES, secretPrefix: `${p.cluster}-user-` },
      template: entityOperatorTemplate(p.flavor),
    },
  };
}

/** A topic: its partitions, replicas, retention and the cluster's min.insync.replicas. */
export function topicSpec(topic: KafkaTopicConfig, config: KafkaConfig): KafkaTopicSpec {
  return {
    topicName: topic.name,
    partitions: topic.partitions,
    replicas: topic.replicas,
    config: {
      "retention.ms": topic.retentionHours * 3_600_000,
      "min.insync.replicas": config.minInsyncReplicas,
    },
  };
}

/** The ACL rules of a grant: per topic the union of Read/Write with Describe, Read on the consumer group. */
export function topicGrantAcls(grant: TopicGrant): KafkaUserSpecAuthorizationAcls[] {
  const topics = [...new Set([...grant.read, ...grant.write])];
  const acls: KafkaUserSpecAuthorizationAcls[] = topics.map((topic) => ({
    resource: { type: "topic", name: topic, patternType: "literal" },
    operations: [
      ...(grant.read.includes(topic) ? (["Read"] as const) : []),
      ...(grant.write.includes(topic) ? (["Write"] as const) : []),
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
