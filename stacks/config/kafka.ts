/** `mlstack:kafka`: the cluster, its replication rules and its topics (owners, readers, writers). */
import { isDns1123Subdomain } from "../../components/kube/names";
import { STORAGE_CLASS_RULE } from "./reader";
import { parseResources } from "./containerResources";
import { DEFAULT_KAFKA_VERSION, defaultResources, ENVIRONMENT_DEFAULTS } from "./defaults";
import { DNS_LABEL, DNS_LABEL_RULE, Reader } from "./reader";
import type { Environment, KafkaConfig, KafkaTopicConfig } from "./types";

const TOPIC_NAME = /^[a-z0-9]([-a-z0-9.]{0,247}[a-z0-9])?$/;

export function parseKafka(
  r: Reader,
  value: unknown,
  environment: Environment,
  teams: string[],
): KafkaConfig {
  const env = ENVIRONMENT_DEFAULTS[environment].kafka;
  const path = "kafka";
  const obj = r.object(value, path);
  r.knownKeys(obj, path, [
    "name",
    "version",
    "apiVersion",
    "brokers",
    "controllers",
    "storageSize",
    "storageClass",
    "authentication",
    "replicationFactor",
    "minInsyncReplicas",
    "resources",
    "topics",
  ]);
  const brokers = r.integer(obj, "brokers", path, env.brokers, 1, 100);
  const replicationFactor = r.integer(
    obj,
    "replicationFactor",
    path,
    Math.min(env.replicationFactor, brokers),
    1,
    10,
  );
  const minInsyncReplicas = r.integer(
    obj,
    "minInsyncReplicas",
    path,
    Math.min(env.minInsyncReplicas, replicationFactor),
    1,
    10,
  );
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

  const topics = r.array(obj.topics, `${path}.topics`).map((item, i): KafkaTopicConfig => {
    const tpath = `${path}.topics[${i}]`;
    const t = r.object(item, tpath);
    r.knownKeys(t, tpath, [
      "name",
      "partitions",
      "replicas",
      "retentionHours",
      "owner",
      "readers",
      "writers",
    ]);
    if (t.name === undefined) r.fail(`${tpath}.name`, undefined, "is required");
    if (t.owner === undefined)
      r.fail(
        `${tpath}.owner`,
        undefined,
        `is required (one of the declared teams: ${teams.join(", ") || "none"})`,
      );
    const replicas = r.integer(t, "replicas", tpath, replicationFactor, 1, 10);
    if (replicas > brokers) r.fail(`${tpath}.replicas`, replicas, `is more than the ${brokers} broker(s)`);
    return {
      name: r.string(
        t,
        "name",
        tpath,
        "",
        TOPIC_NAME,
        "a topic name: lowercase letters, digits, '.' and '-'",
      ),
      partitions: r.integer(t, "partitions", tpath, env.partitions, 1, 10000),
      replicas,
      retentionHours: r.integer(t, "retentionHours", tpath, 168, 1, 24 * 365 * 10),
      owner: r.string(t, "owner", tpath, ""),
      readers: r.stringList(t, "readers", tpath, []),
      writers: r.stringList(t, "writers", tpath, []),
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
    name: r.string(obj, "name", path, "kafka", DNS_LABEL, DNS_LABEL_RULE),
    version: r.string(
      obj,
      "version",
      path,
      DEFAULT_KAFKA_VERSION,
      /^[0-9]+\.[0-9]+\.[0-9]+$/,
      `a Kafka version such as ${DEFAULT_KAFKA_VERSION}`,
    ),
    apiVersion: r.oneOf(
      obj,
      "apiVersion",
      path,
      ["kafka.strimzi.io/v1", "kafka.strimzi.io/v1beta2"] as const,
      "kafka.strimzi.io/v1",
    ),
    brokers,
    controllers: r.integer(obj, "controllers", path, env.controllers, 1, 9),
    storageSize: r.quantity(obj, "storageSize", path, env.storageSize),
    storageClass: r.optionalString(obj, "storageClass", path, isDns1123Subdomain, STORAGE_CLASS_RULE),
    authentication: r.oneOf(obj, "authentication", path, ["scram-sha-512", "tls"] as const, "scram-sha-512"),
    replicationFactor,
    minInsyncReplicas,
    resources: parseResources(
      r,
      obj.resources,
      `${path}.resources`,
      environment === "dev"
        ? defaultResources("250m", "1Gi", "1", "2Gi")
        : defaultResources("1", "4Gi", "2", "8Gi"),
    ),
    topics,
  };
}
