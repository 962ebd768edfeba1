/**
 * The checks of `StrimziKafka`'s arguments and of its topic grants: pure, so the stack's pre-flight
 * runs `validateStrimziKafkaArgs` before anything registers (the constructor runs it again), and a
 * grant is refused before any of its resources exists.
 */
import { DNS_LABEL, DNS_LABEL_RULE } from "../kube/names";
import { isQuantity } from "../kube/quantity";
import { CIDR_RULE, isCidr } from "../kube/cidr";
import { refusal } from "../argumentProblem";
import type { WorkloadIdentity } from "../identity/contract";
import type { TopicGrant } from "./contract";
import type { KafkaTopicConfig } from "./settings";
import type { StrimziKafkaArgs } from "./StrimziKafka";

/** Longest cluster name: Strimzi derives `<name>-controller-<id>` and `<name>-kafka-brokers` DNS labels from it. */
export const MAX_CLUSTER_NAME = 49;
/** Longest Kubernetes object name (a DNS subdomain). */
const MAX_RESOURCE_NAME = 253;

const CONSUMER_GROUP = /^[A-Za-z0-9._-]{1,249}$/;

/** `KafkaTopic.metadata.name`: prefixed by the cluster, so two clusters in a namespace never collide. */
export function topicResourceName(cluster: string, topic: string): string {
  return `${cluster}-${topic}`;
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

/** What a grant is checked against: the cluster's declared topics, client namespaces and grants so far. */
export interface GrantContext {
  /** The component's name, for the message. */
  component: string;
  topics: ReadonlyMap<string, KafkaTopicConfig>;
  clientNamespaces: string[];
  /** Workloads that already have a grant on this cluster. */
  granted: ReadonlySet<string> | ReadonlyMap<string, unknown>;
}

export function declaredTopics(topics: ReadonlyMap<string, unknown>): string {
  return [...topics.keys()].join(", ") || "none";
}

/** Refuses a grant that names an undeclared topic, a team the topic does not admit, or a second grant. */
export function validateTopicGrant(
  where: GrantContext,
  workload: WorkloadIdentity["workload"],
  grant: TopicGrant,
): void {
  const fail = (what: string, value: unknown, allowed: string): never => {
    throw new Error(
      `StrimziKafka ${where.component}: grant for workload ${workload.name}: ${what} ${JSON.stringify(value)} ${allowed}`,
    );
  };
  if (!DNS_LABEL.test(workload.name))
    fail(
      "workload name",
      workload.name,
      `is not ${DNS_LABEL_RULE} (it names the KafkaUser and its certificate subject)`,
    );
  if (where.granted.has(workload.name))
    fail("workload", workload.name, "already has a grant on this cluster; grant all its topics at once");
  if (!where.clientNamespaces.includes(workload.namespace)) {
    fail(
      "namespace",
      workload.namespace,
      `is not a client namespace of this cluster, so its pods cannot reach the listener (client namespaces: ${where.clientNamespaces.join(", ")})`,
    );
  }
  if (grant.read.length === 0 && grant.write.length === 0)
    fail("read/write", grant, "name no topic: a grant must read or write at least one topic");
  const check = (list: "read" | "write", allowedTeams: (t: KafkaTopicConfig) => string[]) => {
    grant[list].forEach((name, i) => {
      const topic = where.topics.get(name);
      if (!topic)
        fail(`${list}[${i}]`, name, `is not a declared topic (declared: ${declaredTopics(where.topics)})`);
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
