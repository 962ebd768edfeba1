/**
 * What a topic grant must mean on a real broker, whatever the workload authenticates with (SCRAM in
 * kafkaSecurity.test.ts, a client certificate in kafkaMtls.test.ts): the ACLs StrimziKafka renders
 * for it, and the checks that it may write the topic it writes, read the topic it reads as its own
 * consumer group, and nothing else.
 */
import type { AclSpec, KafkaClient, KafkaClientConfig } from "./kafkaClient";

/** A granted workload as the checks see it once the broker runs. */
export interface GrantedWorkload {
  client: KafkaClient;
  /** The admin's client settings (to produce into the topic the workload reads). */
  admin: KafkaClientConfig;
  /** The workload's client settings, with `extra` (e.g. a consumer group) added. */
  as(extra?: KafkaClientConfig): KafkaClientConfig;
  /** Its name: its KafkaUser and its consumer group. */
  name: string;
  reads: string;
  writes: string;
  /** A topic it has no ACL for. */
  foreignTopic: string;
}

/** `TYPE:name:OPERATION` of each ACL of `principal`, sorted. */
export function aclsOf(acls: AclSpec[], principal: string): string[] {
  return acls
    .filter((a) => a.principal === principal)
    .map((a) => `${a.resource_type}:${a.name}:${a.operation}`)
    .sort();
}

/** The ACLs of a grant to read `reads` as group `group` and write `writes`, as aclsOf lists them. */
export function grantAcls(reads: string, writes: string, group: string): string[] {
  return [
    `TOPIC:${reads}:READ`,
    `TOPIC:${reads}:DESCRIBE`,
    `TOPIC:${writes}:WRITE`,
    `TOPIC:${writes}:DESCRIBE`,
    `GROUP:${group}:READ`,
  ].sort();
}

const group = (id: string): KafkaClientConfig => ({ "group.id": id, "auto.offset.reset": "earliest" });

/** Registers the tests of a grant; `workload` is read when they run (after beforeAll). */
export function itHoldsExactlyItsGrant(workload: () => GrantedWorkload): void {
  it("lets the workload write the topic it writes", async () => {
    const w = workload();
    const result = await w.client.produce(w.as(), w.writes, [{ key: "k1", value: '{"ok": true}' }]);
    expect(result).toEqual({ delivered: 1, undelivered: 0, errors: [] });
  });

  it("lets the workload read the topic it reads as its own consumer group", async () => {
    const w = workload();
    await w.client.produce(w.admin, w.reads, [{ key: "t1", value: '{"amount": 1}' }]);
    const result = await w.client.consume(w.as(group(w.name)), [w.reads], 1);
    expect(result.errors).toEqual([]);
    expect(result.records.map((r) => r.key)).toEqual(["t1"]);
  });

  it("refuses the workload a write to the topic it may only read", async () => {
    const w = workload();
    const result = await w.client.produce(w.as(), w.reads, [{ key: "k", value: "{}" }], 15);
    expect(result.delivered).toBe(0);
    expect(result.errors).toContain("TOPIC_AUTHORIZATION_FAILED");
  });

  it("refuses the workload a topic it has no ACL for", async () => {
    const w = workload();
    const read = await w.client.consume(w.as(group(w.name)), [w.foreignTopic], 1, 15, true);
    expect(read.records).toEqual([]);
    expect(read.errors).toContain("TOPIC_AUTHORIZATION_FAILED");
    const write = await w.client.produce(w.as(), w.foreignTopic, [{ value: "{}" }], 15);
    expect(write.delivered).toBe(0);
    expect(write.errors).toContain("TOPIC_AUTHORIZATION_FAILED");
  });

  it("refuses the workload a consumer group other than its own", async () => {
    const w = workload();
    const result = await w.client.consume(w.as(group("someone-else")), [w.reads], 1, 15, true);
    expect(result.records).toEqual([]);
    expect(result.errors).toContain("GROUP_AUTHORIZATION_FAILED");
  });
}
