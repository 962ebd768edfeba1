/** `mlstack:kafka`: the cluster, its replication rules and its topics (owners, readers, writers). */
import type { Static } from "@sinclair/typebox";
import { ResourcesSchema, parseResources } from "./containerResources";
import { DEFAULT_KAFKA_VERSION, defaultResources, ENVIRONMENT_DEFAULTS } from "./defaults";
import { DNS_LABEL, DNS_LABEL_RULE, Reader } from "./reader";
import { Int, List, OneOf, Opt, Quantity, Str, Strict, Text } from "./schemaKinds";
import type { Environment, KafkaConfig, KafkaTopicConfig } from "./types";

const TOPIC_NAME = /^[a-z0-9]([-a-z0-9.]{0,247}[a-z0-9])?$/;
const DECLARED_TEAM = "one of the declared teams (mlstack:teams[].name)";

export const KafkaTopicSchema = Strict({
  name: Str(TOPIC_NAME, "a topic name: lowercase letters, digits, '.' and '-'"),
  partitions: Opt(Int(1, 10000, { description: "default per environment" })),
  replicas: Opt(Int(1, 10, { description: "default kafka.replicationFactor" })),
  retentionHours: Opt(Int(1, 24 * 365 * 10, { default: 168 })),
  owner: Text(DECLARED_TEAM),
  readers: Opt(List(Text(DECLARED_TEAM))),
  writers: Opt(List(Text(DECLARED_TEAM))),
});

export const KafkaSchema = Strict({
  name: Opt(Str(DNS_LABEL, DNS_LABEL_RULE, { default: "kafka" })),
  version: Opt(
    Str(/^[0-9]+\.[0-9]+\.[0-9]+$/, `a Kafka version such as ${DEFAULT_KAFKA_VERSION}`, {
      default: DEFAULT_KAFKA_VERSION,
    }),
  ),
  apiVersion: Opt(
    OneOf(["kafka.strimzi.io/v1", "kafka.strimzi.io/v1beta2"] as const, { default: "kafka.strimzi.io/v1" }),
  ),
  brokers: Opt(Int(1, 100, { description: "default per environment" })),
  controllers: Opt(Int(1, 9, { description: "default per environment" })),
  storageSize: Opt(Quantity({ description: "default per environment" })),
  storageClass: Opt(Str("storage-class")),
  authentication: Opt(OneOf(["scram-sha-512", "tls"] as const, { default: "scram-sha-512" })),
  replicationFactor: Opt(Int(1, 10, { description: "default per environment, at least 3 outside dev" })),
  minInsyncReplicas: Opt(Int(1, 10, { description: "default per environment, at least 2 outside dev" })),
  resources: Opt(ResourcesSchema),
  topics: Opt(List(KafkaTopicSchema)),
});

export function parseKafka(
  r: Reader,
  value: Static<typeof KafkaSchema> | undefined,
  environment: Environment,
  teams: string[],
): KafkaConfig {
  const env = ENVIRONMENT_DEFAULTS[environment].kafka;
  const path = "kafka";
  const obj = value ?? {};
  const brokers = obj.brokers ?? env.brokers;
  const replicationFactor = obj.replicationFactor ?? Math.min(env.replicationFactor, brokers);
  const minInsyncReplicas = obj.minInsyncReplicas ?? Math.min(env.minInsyncReplicas, replicationFactor);
  if (replicationFactor > brokers)
    r.fail(
      `${path}.replicationFactor`,
      replicationFactor,
      `is more than the ${brokers} broker(s); use at most ${brokers}`,
    );
  if (minInsyncReplicas > replicationFactor)
    r.fail(
      `${path}.minInsyncReplicas`,
      minInsyncReplicas,
      `is more than replicationFactor ${replicationFactor}; producers with acks=all could never write`,
    );
  if (environment !== "dev" && replicationFactor < 3)
    r.fail(
      `${path}.replicationFactor`,
      replicationFactor,
      `is below 3, which ${environment} does not allow (one broker loss must not lose data)`,
    );
  if (environment !== "dev" && minInsyncReplicas < 2)
    r.fail(`${path}.minInsyncReplicas`, minInsyncReplicas, `is below 2, which ${environment} does not allow`);

  const topics = (obj.topics ?? []).map((t, i): KafkaTopicConfig => {
    const replicas = t.replicas ?? replicationFactor;
    if (replicas > brokers)
      r.fail(`${path}.topics[${i}].replicas`, replicas, `is more than the ${brokers} broker(s)`);
    return {
      name: t.name ?? "",
      partitions: t.partitions ?? env.partitions,
      replicas,
      retentionHours: t.retentionHours ?? 168,
      owner: t.owner ?? "",
      readers: t.readers ?? [],
      writers: t.writers ?? [],
    };
  });
  r.unique(topics, `${path}.topics`, "topic");
  topics.forEach((topic, i) => {
    const tpath = `${path}.topics[${i}]`;
    if (topic.owner && !teams.includes(topic.owner))
      r.fail(
        `${tpath}.owner`,
        topic.owner,
        `is not a declared team (declared: ${teams.join(", ") || "none"})`,
      );
    topic.readers.forEach((team, j) => {
      if (!teams.includes(team))
        r.fail(
          `${tpath}.readers[${j}]`,
          team,
          `is not a declared team (declared: ${teams.join(", ") || "none"})`,
        );
    });
    topic.writers.forEach((team, j) => {
      if (!teams.includes(team))
        r.fail(
          `${tpath}.writers[${j}]`,
          team,
          `is not a declared team (declared: ${teams.join(", ") || "none"})`,
        );
    });
  });

  return {
    name: obj.name ?? "kafka",
    version: obj.version ?? DEFAULT_KAFKA_VERSION,
    apiVersion: obj.apiVersion ?? "kafka.strimzi.io/v1",
    brokers,
    controllers: obj.controllers ?? env.controllers,
    storageSize: obj.storageSize ?? env.storageSize,
    storageClass: obj.storageClass,
    authentication: obj.authentication ?? "scram-sha-512",
    replicationFactor,
    minInsyncReplicas,
    resources: parseResources(
      obj.resources,
      environment === "dev"
        ? defaultResources("250m", "1Gi", "1", "2Gi")
        : defaultResources("1", "4Gi", "2", "8Gi"),
    ),
    topics,
  };
}
