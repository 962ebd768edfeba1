import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { parse } from "yaml";
import { StrimziClientsCa, caCertGeneration } from "../../../components/kafka/strimziClientsCa";
import { listenerDnsNames, pemBundle, toPkcs8Pem } from "../../../components/kafka/strimziListenerTls";
import { kafkaMetricsRules } from "../../../components/kafka/strimziMetrics";
import { planNodePools } from "../../../components/kafka/StrimziKafka";
import { render } from "../../support/render";
import { config } from "./strimziFixtures";

describe("listener TLS", () => {
  it("covers the bootstrap Service and every broker of the cluster, short to fully qualified", () => {
    expect(listenerDnsNames("events", "ml-prod-platform")).toEqual([
      "events-kafka-bootstrap",
      "events-kafka-bootstrap.ml-prod-platform",
      "events-kafka-bootstrap.ml-prod-platform.svc",
      "events-kafka-bootstrap.ml-prod-platform.svc.cluster.local",
      "*.events-kafka-brokers",
      "*.events-kafka-brokers.ml-prod-platform",
      "*.events-kafka-brokers.ml-prod-platform.svc",
      "*.events-kafka-brokers.ml-prod-platform.svc.cluster.local",
    ]);
  });

  it("re-encodes an EC key from SEC 1 to PKCS #8 without changing it", () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const sec1 = privateKey.export({ type: "sec1", format: "pem" }).toString();
    const pkcs8 = toPkcs8Pem(sec1);
    expect(pkcs8).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const pub = (pem: string) =>
      createPublicKey(createPrivateKey(pem)).export({ type: "spki", format: "pem" }).toString();
    expect(pub(pkcs8)).toBe(pub(sec1));
  });

  it("leaves a PKCS #8 key as it is", () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const pkcs8 = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    expect(toPkcs8Pem(pkcs8)).toBe(pkcs8);
  });

  it("refuses something that is not a PEM key", () => {
    expect(() => toPkcs8Pem("not a key")).toThrow();
  });

  it("bundles PEM blocks in order, one per line break, skipping absent ones", () => {
    expect(pemBundle("A\n", "B", undefined)).toBe("A\nB\n");
    expect(pemBundle(undefined, undefined)).toBe("");
  });
});

describe("clients CA", () => {
  it("derives the certificate generation from the start time, so a renewal is always higher", () => {
    expect(caCertGeneration("2025-06-01T00:00:00Z")).toBe(
      String(Date.parse("2025-06-01T00:00:00Z") / 3_600_000),
    );
    expect(Number(caCertGeneration("2030-03-01T12:30:00Z"))).toBeGreaterThan(
      Number(caCertGeneration("2025-06-01T00:00:00Z")),
    );
    expect(Number(caCertGeneration("2099-12-31T23:59:59Z"))).toBeLessThan(2 ** 31);
  });

  it("starts at generation 0 before the certificate exists", () => {
    expect(caCertGeneration(undefined)).toBe("0");
  });

  it("refuses a start time that is not a time", () => {
    expect(() => caCertGeneration("yesterday")).toThrow(
      'CA certificate start time "yesterday" is not an RFC 3339 time',
    );
  });

  it("refuses an out-of-range validity before registering anything", () => {
    expect(
      () =>
        new StrimziClientsCa("ca", {
          clusterName: "kafka",
          namespace: "ns",
          labels: {},
          commonName: "ca",
          validityYears: 0,
        }),
    ).toThrow("validityYears 0 is not a whole number from 1 to 20");
  });

  it("issues one certificate per user", async () => {
    await expect(
      render(() => {
        const ca = new StrimziClientsCa("ca", {
          clusterName: "kafka",
          namespace: "ns",
          labels: {},
          commonName: "ca",
        });
        ca.issueClient("fraud-detector", ca);
        ca.issueClient("fraud-detector", ca);
      }),
    ).rejects.toThrow("a certificate for user fraud-detector was already issued");
  });
});

describe("node pools", () => {
  it("plans a single dual-role node only for one broker and one controller", () => {
    expect(planNodePools(config().kafka, "20Gi")).toEqual([
      { name: "dual-role", roles: ["controller", "broker"], replicas: 1, storageSize: "10Gi" },
    ]);
    expect(planNodePools(config({ kafka: { controllers: 3 } }).kafka, "5Gi")).toEqual([
      { name: "controller", roles: ["controller"], replicas: 3, storageSize: "5Gi" },
      { name: "broker", roles: ["broker"], replicas: 1, storageSize: "10Gi" },
    ]);
  });
});

describe("metrics rules", () => {
  const rules = parse(kafkaMetricsRules()) as {
    lowercaseOutputName: boolean;
    rules: Array<{ pattern: string; name: string }>;
  };
  /** The name the exporter would give an MBean attribute: the first matching rule wins. */
  const exported = (mbean: string) => {
    for (const rule of rules.rules) {
      const match = new RegExp(`^${rule.pattern}`).exec(mbean);
      if (match) return rule.name.replace(/\$(\d)/g, (_, i: string) => match[Number(i)]).toLowerCase();
    }
    return undefined;
  };

  it("is valid YAML whose patterns are all valid regular expressions", () => {
    expect(rules.lowercaseOutputName).toBe(true);
    expect(rules.rules.length).toBeGreaterThan(0);
    for (const rule of rules.rules) expect(() => new RegExp(rule.pattern)).not.toThrow();
  });

  it("exports broker throughput, partition health and KRaft state", () => {
    expect(
      exported("kafka.server<type=BrokerTopicMetrics, name=MessagesInPerSec, topic=transactions><>Count"),
    ).toBe("kafka_server_brokertopicmetrics_messagesin_total");
    expect(exported("kafka.server<type=ReplicaManager, name=UnderReplicatedPartitions><>Value")).toBe(
      "kafka_server_replicamanager_underreplicatedpartitions",
    );
    expect(exported("kafka.server<type=raft-metrics><>current-state: leader")).toBe(
      "kafka_server_raftmetrics_current-state",
    );
  });

  it("drops the per-request-type metrics", () => {
    expect(
      exported("kafka.network<type=RequestMetrics, name=RequestsPerSec, request=Fetch, version=13><>Count"),
    ).toBeUndefined();
  });
});
