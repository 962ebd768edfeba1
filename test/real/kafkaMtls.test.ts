/**
 * Mutual TLS on a real Kafka broker (test/real/support/kafka.ts), configured from what StrimziKafka
 * renders with `mlstack:kafka.authentication: tls` (support/strimziMtls.ts): the listener Strimzi
 * runs for `authentication.type: tls` (SSL, client certificates required, trusting only the
 * Pulumi-held clients CA, Kafka's DEFAULT principal mapping), the workload's certificate as the
 * component asks for it, and the ACLs of its `tls-external` KafkaUser for `User:CN=<name>`
 * (support/strimziGrants.ts). Clients are confluent-kafka from the MLflow image, as the stream
 * consumer's.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { PlanResult } from "../../cli/plan";
import { KafkaBroker, startKafka } from "./support/kafka";
import { KafkaClient, KafkaClientConfig, adminClientConfig } from "./support/kafkaClient";
import { aclsOf, grantAcls, itHoldsExactlyItsGrant } from "./support/kafkaGrantChecks";
import { mlflowImageEnv } from "./support/mlflowImageEnv";
import { inputsOf } from "./support/renderedStack";
import { StrimziGrants, strimziGrants } from "./support/strimziGrants";
import {
  CertificateFiles,
  RenderedMtls,
  makeCertificate,
  mtlsListener,
  renderedMtls,
  renderedMtlsStack,
} from "./support/strimziMtls";

/** The streaming model of the dev stack. */
const WORKLOAD = "fraud-detector";
/** A topic no KafkaUser of the render has an ACL for (another team's). */
const FOREIGN_TOPIC = "another-team-events";

let plan: PlanResult;
let mtls: RenderedMtls;
let grants: StrimziGrants;
let broker: KafkaBroker;
let client: KafkaClient;
let dir: string;
let workload: { reads: string; writes: string };
/** The workload's certificate, one with its subject from another CA, one of the right CA for another CN. */
let certs: { workload: CertificateFiles; otherCa: CertificateFiles; otherCn: CertificateFiles };

beforeAll(async () => {
  plan = await renderedMtlsStack("dev");
  const cluster = plan.config.kafka.name;
  const model = plan.config.serving.models.find((m) => m.name === WORKLOAD);
  if (!model?.kafka) throw new Error(`the dev stack no longer streams model ${WORKLOAD}`);
  workload = { reads: model.kafka.inputTopic, writes: model.kafka.outputTopic };
  mtls = renderedMtls(plan, cluster, WORKLOAD);
  grants = strimziGrants(plan, cluster);

  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-kafka-mtls-"));
  const clientsCa = makeCertificate(dir, "clients-ca", mtls.clientsCa);
  // Another CA with the very same subject: the broker must check the signature, not the name.
  const otherCa = makeCertificate(dir, "other-ca", mtls.clientsCa);
  certs = {
    workload: makeCertificate(dir, "workload", mtls.client, clientsCa),
    otherCa: makeCertificate(dir, "other-ca-workload", mtls.client, otherCa),
    otherCn: makeCertificate(
      dir,
      "other-cn",
      { ...mtls.client, subject: { ...mtls.client.subject, commonName: "someone-else" } },
      clientsCa,
    ),
  };

  client = new KafkaClient(mlflowImageEnv().python);
  broker = await startKafka({
    users: grants.users,
    config: grants.brokerConfig,
    listeners: [mtlsListener(mtls, clientsCa.cert)],
  });
  await client.apply(
    adminClientConfig(broker),
    [...grants.topics, { name: FOREIGN_TOPIC, partitions: 1, replicas: 1, config: {} }],
    grants.acls,
  );
});

afterAll(async () => {
  await broker?.destroy();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** A client of the mutual-TLS listener, with a certificate or without. */
const as = (cert: CertificateFiles | undefined, extra: KafkaClientConfig = {}): KafkaClientConfig => ({
  "bootstrap.servers": broker.listenerAddresses[mtls.listener.name],
  "security.protocol": "SSL",
  "ssl.ca.location": broker.caFile,
  ...(cert ? { "ssl.certificate.location": cert.cert, "ssl.key.location": cert.key } : {}),
  ...extra,
});

/** Broker log lines written since `offset` (its size before a call). */
function logSince(offset: number): string {
  return fs.readFileSync(broker.logFile, "utf8").slice(offset);
}

it("renders Strimzi's mutual-TLS listener, a clients CA and a client certificate for exactly CN=<workload>", () => {
  expect(mtls.listener).toEqual({
    name: "TLS-9093",
    protocol: "SSL",
    settings: { "ssl.client.auth": "required", "ssl.principal.mapping.rules": "DEFAULT" },
  });
  expect(mtls.clientsCa.isCa).toBe(true);
  expect(mtls.client.isCa).toBe(false);
  expect(mtls.client.subject).toEqual({ commonName: WORKLOAD });
  expect(mtls.client.allowedUses).toContain("client_auth");
  const user = plan.resources
    .filter((r) => r.type.endsWith(":KafkaUser"))
    .map(inputsOf)
    .find((u) => u.metadata.name === WORKLOAD);
  expect(user?.spec.authentication).toEqual({ type: "tls-external" });
});

it("derives the workload's principal User:CN=<name> and exactly its grant", () => {
  expect(aclsOf(grants.acls, `User:CN=${WORKLOAD}`)).toEqual(
    grantAcls(workload.reads, workload.writes, WORKLOAD),
  );
  expect(grants.users.map((u) => u.name)).not.toContain(WORKLOAD);
});

describe("with the workload's certificate", () => {
  itHoldsExactlyItsGrant(() => ({
    client,
    admin: adminClientConfig(broker),
    as: (extra) => as(certs.workload, extra),
    name: WORKLOAD,
    reads: workload.reads,
    writes: workload.writes,
    foreignTopic: FOREIGN_TOPIC,
  }));
});

it("refuses at the handshake a certificate for the workload's name from another CA", async () => {
  const offset = fs.statSync(broker.logFile).size;
  const result = await client.metadata(as(certs.otherCa), workload.reads, 5);
  expect(result.ok).toBe(false);
  expect(result.errors).not.toContain("TOPIC_AUTHORIZATION_FAILED");
  expect(logSince(offset)).toMatch(/Failed authentication with \/127\.0\.0\.1 .*SSL handshake failed/);
});

it("lets a certificate of the clients CA for another name in, and denies it every topic by ACL", async () => {
  const offset = fs.statSync(broker.logFile).size;
  const metadata = await client.metadata(as(certs.otherCn), workload.reads, 5);
  expect(metadata.errors).toEqual(["TOPIC_AUTHORIZATION_FAILED"]);
  const write = await client.produce(as(certs.otherCn), workload.writes, [{ value: "{}" }], 15);
  expect(write.delivered).toBe(0);
  expect(write.errors).toContain("TOPIC_AUTHORIZATION_FAILED");
  expect(logSince(offset)).not.toMatch(/Failed authentication/);
});

it("refuses a client without a certificate at the handshake", async () => {
  const offset = fs.statSync(broker.logFile).size;
  const result = await client.metadata(as(undefined), workload.reads, 5);
  expect(result.ok).toBe(false);
  expect(logSince(offset)).toMatch(/Failed authentication with \/127\.0\.0\.1 .*SSL handshake failed/);
});
