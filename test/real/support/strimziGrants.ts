/**
 * What a rendered Strimzi cluster asks of Kafka, read from the resources a stack renders under the
 * mock runtime (renderedStack: planStack, the path `mlstack plan` uses), so the real broker is configured from
 * the component's output instead of a copy of it:
 * - broker settings: the Kafka resource's `spec.kafka.config`;
 * - topics: each KafkaTopic's name, partitions, replicas and config;
 * - users: each KafkaUser with SCRAM-SHA-512 authentication, its password read from the Secret
 *   its `spec.authentication.password.valueFrom.secretKeyRef` names (a `tls-external` user has no
 *   credentials on the broker: its certificate is its identity);
 * - ACLs: each KafkaUser's `spec.authorization.acls`, one Admin API binding per operation,
 *   as Strimzi's User Operator creates them: principal `User:<KafkaUser name>` for SCRAM and
 *   `User:CN=<KafkaUser name>` for `tls` / `tls-external` (KafkaUserModel.getUserName /
 *   getTlsUserName, user-operator/src/main/java/io/strimzi/operator/user/model/KafkaUserModel.java,
 *   strimzi/strimzi-kafka-operator at bd50d4b1b45cec17b7777645430f8193e476cbce).
 */
import type { PlanResult } from "../../../cli/plan";
import type { KafkaUserCredentials } from "./kafka";
import type { AclSpec, TopicSpec } from "./kafkaClient";
import { inputsOf, secretData } from "./renderedStack";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

export interface StrimziGrants {
  brokerConfig: Record<string, string | number | boolean>;
  topics: TopicSpec[];
  users: KafkaUserCredentials[];
  acls: AclSpec[];
}

/** The inputs of every rendered Kubernetes object of a kind. */
function renderedObjects(plan: PlanResult, kind: string): Json[] {
  return plan.resources
    .map((r) => inputsOf(r) as Json)
    .filter((inputs) => inputs?.kind === kind && typeof inputs.apiVersion === "string");
}

/** `Read` → `READ`, `DescribeConfigs` → `DESCRIBE_CONFIGS` (Strimzi's names to the Admin API's). */
function adminOperation(operation: string): string {
  return operation.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

const RESOURCE_TYPES: Record<string, AclSpec["resource_type"]> = {
  topic: "TOPIC",
  group: "GROUP",
  cluster: "CLUSTER",
  transactionalId: "TRANSACTIONAL_ID",
};

export function strimziGrants(plan: PlanResult, clusterName: string): StrimziGrants {
  const ofCluster = (kind: string) =>
    renderedObjects(plan, kind).filter(
      (o) =>
        o.apiVersion.startsWith("kafka.strimzi.io/") &&
        (kind === "Kafka"
          ? o.metadata?.name === clusterName
          : o.metadata?.labels?.["strimzi.io/cluster"] === clusterName),
    );
  const kafka = ofCluster("Kafka");
  if (kafka.length !== 1)
    throw new Error(`the render has ${kafka.length} Kafka resources named ${clusterName}`);

  const topics: TopicSpec[] = ofCluster("KafkaTopic").map((t) => ({
    name: t.spec.topicName ?? t.metadata.name,
    partitions: t.spec.partitions,
    replicas: t.spec.replicas,
    config: Object.fromEntries(Object.entries(t.spec.config ?? {}).map(([k, v]) => [k, String(v)])),
  }));

  const users: KafkaUserCredentials[] = [];
  const acls: AclSpec[] = [];
  for (const user of ofCluster("KafkaUser")) {
    const name: string = user.metadata.name;
    const authentication = user.spec.authentication ?? {};
    const principal = principalOf(name, authentication.type);
    if (authentication.type === "scram-sha-512") {
      const ref = authentication.password?.valueFrom?.secretKeyRef;
      if (!ref) throw new Error(`KafkaUser ${name}: no password secretKeyRef (Strimzi would generate one)`);
      const password = secretData(plan, user.metadata.namespace, ref.name)[ref.key];
      if (password === undefined)
        throw new Error(`KafkaUser ${name}: Secret ${ref.name} has no key ${ref.key}`);
      users.push({ name, password });
    }
    for (const acl of user.spec.authorization?.acls ?? []) {
      const operations: string[] = acl.operations ?? [acl.operation];
      for (const operation of operations) {
        acls.push({
          principal,
          resource_type: RESOURCE_TYPES[acl.resource.type],
          name: acl.resource.type === "cluster" ? "kafka-cluster" : acl.resource.name,
          pattern_type: acl.resource.patternType === "prefix" ? "PREFIXED" : "LITERAL",
          operation: adminOperation(operation),
          host: acl.host ?? "*",
        });
      }
    }
  }
  return { brokerConfig: { ...(kafka[0].spec.kafka.config ?? {}) }, topics, users, acls };
}

/** The principal Strimzi's User Operator writes a KafkaUser's ACLs for. */
function principalOf(name: string, authentication: string | undefined): string {
  switch (authentication) {
    case "scram-sha-512":
      return `User:${name}`;
    case "tls":
    case "tls-external":
      return `User:CN=${name}`;
    default:
      throw new Error(
        `KafkaUser ${name}: authentication ${authentication} is not run by the real-process broker (SCRAM-SHA-512 or mutual TLS only)`,
      );
  }
}
