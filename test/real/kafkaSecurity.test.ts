/**
 * A real Kafka broker (test/real/support/kafka.ts) with the listener security StrimziKafka
 * configures (TLS + SCRAM-SHA-512, simple authorization), and the users, topics and ACLs the
 * dev stack renders (KafkaUser / KafkaTopic resources under the mock runtime), applied through
 * the Admin API. Clients are confluent-kafka from the MLflow image, as the stream consumer's.
 */
import { KafkaBroker, startKafka } from "./support/kafka";
import { KafkaClient, adminClientConfig, scramClientConfig } from "./support/kafkaClient";
import { mlflowImageEnv } from "./support/mlflowImageEnv";
import { renderedStack } from "./support/renderedStack";
import { StrimziGrants, strimziGrants } from "./support/strimziGrants";

/** The streaming model of the dev stack and the topics of its grant. */
const WORKLOAD = "fraud-detector";
/** A topic no KafkaUser of the render has an ACL for (another team's). */
const FOREIGN_TOPIC = "another-team-events";

let broker: KafkaBroker;
let grants: StrimziGrants;
let client: KafkaClient;
let workload: { password: string; reads: string; writes: string };

beforeAll(async () => {
  const plan = await renderedStack("dev");
  grants = strimziGrants(plan, plan.config.kafka.name);
  const model = plan.config.serving.models.find((m) => m.name === WORKLOAD);
  if (!model?.kafka) throw new Error(`the dev stack no longer streams model ${WORKLOAD}`);
  const password = grants.users.find((u) => u.name === WORKLOAD)?.password;
  if (!password) throw new Error(`the dev stack renders no KafkaUser ${WORKLOAD}`);
  workload = { password, reads: model.kafka.inputTopic, writes: model.kafka.outputTopic };

  client = new KafkaClient(mlflowImageEnv().python);
  broker = await startKafka({ users: grants.users, config: grants.brokerConfig });
  await client.apply(
    adminClientConfig(broker),
    [...grants.topics, { name: FOREIGN_TOPIC, partitions: 1, replicas: 1, config: {} }],
    grants.acls,
  );
});

afterAll(async () => {
  await broker?.destroy();
});

const as = (user: string, password: string, extra: Record<string, string> = {}) => ({
  ...scramClientConfig(broker, user, password),
  ...extra,
});

it("derives the workload's user and exactly its grant from the rendered KafkaUser", () => {
  const own = grants.acls.filter((a) => a.principal === `User:${WORKLOAD}`);
  expect(own.map((a) => `${a.resource_type}:${a.name}:${a.operation}`).sort()).toEqual(
    [
      `TOPIC:${workload.reads}:READ`,
      `TOPIC:${workload.reads}:DESCRIBE`,
      `TOPIC:${workload.writes}:WRITE`,
      `TOPIC:${workload.writes}:DESCRIBE`,
      `GROUP:${WORKLOAD}:READ`,
    ].sort(),
  );
});

it("lets the workload write the topic it writes", async () => {
  const result = await client.produce(as(WORKLOAD, workload.password), workload.writes, [
    { key: "k1", value: '{"ok": true}' },
  ]);
  expect(result).toEqual({ delivered: 1, undelivered: 0, errors: [] });
});

it("lets the workload read the topic it reads as its own consumer group", async () => {
  await client.produce(adminClientConfig(broker), workload.reads, [{ key: "t1", value: '{"amount": 1}' }]);
  const result = await client.consume(
    as(WORKLOAD, workload.password, { "group.id": WORKLOAD, "auto.offset.reset": "earliest" }),
    [workload.reads],
    1,
  );
  expect(result.errors).toEqual([]);
  expect(result.records.map((r) => r.key)).toEqual(["t1"]);
});

it("refuses the workload a write to the topic it may only read", async () => {
  const result = await client.produce(
    as(WORKLOAD, workload.password),
    workload.reads,
    [{ key: "k", value: "{}" }],
    15,
  );
  expect(result.delivered).toBe(0);
  expect(result.errors).toContain("TOPIC_AUTHORIZATION_FAILED");
});

it("refuses the workload a topic it has no ACL for", async () => {
  const read = await client.consume(
    as(WORKLOAD, workload.password, { "group.id": WORKLOAD, "auto.offset.reset": "earliest" }),
    [FOREIGN_TOPIC],
    1,
    15,
    true,
  );
  expect(read.records).toEqual([]);
  expect(read.errors).toContain("TOPIC_AUTHORIZATION_FAILED");
  const write = await client.produce(as(WORKLOAD, workload.password), FOREIGN_TOPIC, [{ value: "{}" }], 15);
  expect(write.delivered).toBe(0);
  expect(write.errors).toContain("TOPIC_AUTHORIZATION_FAILED");
});

it("refuses the workload a consumer group other than its own", async () => {
  const result = await client.consume(
    as(WORKLOAD, workload.password, { "group.id": "someone-else", "auto.offset.reset": "earliest" }),
    [workload.reads],
    1,
    15,
    true,
  );
  expect(result.records).toEqual([]);
  expect(result.errors).toContain("GROUP_AUTHORIZATION_FAILED");
});

it("refuses a wrong password", async () => {
  const result = await client.metadata(as(WORKLOAD, "not-the-password"), workload.reads);
  expect(result.ok).toBe(false);
  expect(result.errors).toContain("_AUTHENTICATION");
});

it("refuses a plaintext client and a TLS client without credentials", async () => {
  for (const protocol of ["PLAINTEXT", "SSL"]) {
    const result = await client.metadata(
      {
        "bootstrap.servers": broker.bootstrapServers,
        "security.protocol": protocol,
        "ssl.ca.location": broker.caFile,
      },
      workload.reads,
      5,
    );
    expect([protocol, result.ok]).toEqual([protocol, false]);
  }
});

it("refuses a client that does not trust the listener's CA", async () => {
  const { "ssl.ca.location": _ca, ...untrusting } = as(WORKLOAD, workload.password);
  const result = await client.metadata(untrusting, workload.reads, 5);
  expect(result.ok).toBe(false);
});
