/**
 * A real Kafka broker (test/real/support/kafka.ts) with the listener security StrimziKafka
 * configures (TLS + SCRAM-SHA-512, simple authorization), and the users, topics and ACLs the
 * dev stack renders (KafkaUser / KafkaTopic resources under the mock runtime), applied through
 * the Admin API. Clients are confluent-kafka from the MLflow image, as the stream consumer's.
 */
import { KafkaBroker, startKafka } from "./support/kafka";
import { KafkaClient, KafkaClientConfig, adminClientConfig, scramClientConfig } from "./support/kafkaClient";
import { aclsOf, grantAcls, itHoldsExactlyItsGrant } from "./support/kafkaGrantChecks";
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

const as = (user: string, password: string, extra: KafkaClientConfig = {}) => ({
  ...scramClientConfig(broker, user, password),
  ...extra,
});

it("derives the workload's user and exactly its grant from the rendered KafkaUser", () => {
  expect(aclsOf(grants.acls, `User:${WORKLOAD}`)).toEqual(
    grantAcls(workload.reads, workload.writes, WORKLOAD),
  );
});

itHoldsExactlyItsGrant(() => ({
  client,
  admin: adminClientConfig(broker),
  as: (extra) => as(WORKLOAD, workload.password, extra),
  name: WORKLOAD,
  reads: workload.reads,
  writes: workload.writes,
  foreignTopic: FOREIGN_TOPIC,
}));

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
