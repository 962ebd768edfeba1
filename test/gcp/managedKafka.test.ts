import * as pulumi from "@pulumi/pulumi";
import type { WorkloadAccess, WorkloadIdentity } from "../../components/identity/contract";
import {
  ManagedKafka,
  ManagedKafkaArgs,
  ManagedKafkaClient,
  managedKafkaClusterId,
} from "../../components/kafka/managedKafka";
import type { KafkaTopicConfig } from "../../stacks/config/types";
import { render } from "../support/render";
import { FRAUD_DETECTOR, Holder, MLFLOW, identityProvider, testKey } from "./fixtures";

const topic = (name: string, partitions = 6): KafkaTopicConfig => ({
  name,
  partitions,
  replicas: 3,
  retentionHours: 168,
  owner: "fraud",
  readers: [],
  writers: [],
});
const FRAUD_EMAIL = identityProvider().emailFor("fraud-detector");
const PRODUCER = "card-events@acme-payments.iam.gserviceaccount.com";

const CLIENTS: ManagedKafkaClient[] = [
  {
    name: "fraud-detector",
    workload: true,
    serviceAccount: FRAUD_EMAIL,
    read: ["transactions"],
    write: ["fraud-scores"],
    consumerGroups: ["fraud-detector"],
  },
  {
    name: PRODUCER,
    workload: false,
    serviceAccount: PRODUCER,
    read: [],
    write: ["transactions"],
    consumerGroups: [],
  },
];

function args(overrides: Partial<ManagedKafkaArgs> = {}): ManagedKafkaArgs {
  return {
    project: "acme-ml-test",
    region: "europe-west4",
    clusterId: "mlstack-test-kafka",
    vcpuCount: 6,
    memoryGib: 24,
    subnets: [
      {
        name: "gke-nodes",
        cidr: "10.40.0.0/20",
        id: "projects/acme-ml-test/regions/europe-west4/subnetworks/gke-nodes",
      },
      {
        name: "gke-nodes-b",
        cidr: "10.41.0.0/20",
        id: "projects/acme-ml-test/regions/europe-west4/subnetworks/gke-nodes-b",
      },
    ],
    kmsKey: testKey("kafka"),
    topics: [topic("transactions", 12), topic("fraud-scores"), topic("audit")],
    minInsyncReplicas: 2,
    clients: CLIENTS,
    environment: "prod",
    protect: true,
    ...overrides,
  };
}

const ACL = "gcp:managedkafka/acl:Acl";
const IAM = "gcp:projects/iAMMember:IAMMember";

describe("ManagedKafka: the cluster", () => {
  it("takes its capacity from config, its endpoints in the cluster's subnets, and the kafka key", async () => {
    const r = await render(() => {
      new ManagedKafka("kafka", args());
    });
    const cluster = r.inputs(r.one("gcp:managedkafka/cluster:Cluster"));
    expect(cluster).toMatchObject({
      project: "acme-ml-test",
      location: "europe-west4",
      clusterId: "mlstack-test-kafka",
    });
    expect(cluster.capacityConfig).toEqual({ vcpuCount: "6", memoryBytes: String(24 * 1024 ** 3) });
    expect(cluster.gcpConfig).toEqual({
      accessConfig: {
        networkConfigs: [
          { subnet: "projects/acme-ml-test/regions/europe-west4/subnetworks/gke-nodes" },
          { subnet: "projects/acme-ml-test/regions/europe-west4/subnetworks/gke-nodes-b" },
        ],
      },
      kmsKey: "projects/acme-ml-test/locations/europe-west4/keyRings/ring/cryptoKeys/kafka",
    });
    expect(cluster.labels).toMatchObject({ "mlstack-component": "kafka", "mlstack-team": "platform" });
  });

  it("is protected from deletion in prod, by Pulumi and by the provider", async () => {
    const r = await render(() => {
      new ManagedKafka("kafka", args());
    });
    const cluster = r.one("gcp:managedkafka/cluster:Cluster");
    expect([cluster.protect, cluster.retainOnDelete, r.inputs(cluster).deletionPolicy]).toEqual([
      true,
      true,
      "PREVENT",
    ]);
    for (const t of r.ofType("gcp:managedkafka/topic:Topic"))
      expect([t.name, t.protect]).toEqual([t.name, true]);
    const dev = await render(() => {
      new ManagedKafka("kafka", args({ protect: false, environment: "dev" }));
    });
    const devCluster = dev.one("gcp:managedkafka/cluster:Cluster");
    expect([devCluster.protect, dev.inputs(devCluster).deletionPolicy]).toEqual([false, undefined]);
  });

  it("creates the configured topics with their partitions, replication 3 and retention", async () => {
    const r = await render(() => {
      new ManagedKafka("kafka", args());
    });
    const topics = r.ofType("gcp:managedkafka/topic:Topic").map((t) => r.inputs(t));
    expect(topics.map((t) => [t.topicId, t.partitionCount, t.replicationFactor])).toEqual([
      ["transactions", 12, 3],
      ["fraud-scores", 6, 3],
      ["audit", 6, 3],
    ]);
    expect(topics[0].configs).toEqual({
      "retention.ms": String(168 * 3_600_000),
      "min.insync.replicas": "2",
      "cleanup.policy": "delete",
    });
  });

  it("publishes the cluster's bootstrap address and SASL/OAUTHBEARER client security", async () => {
    const r = await render(() => {
      const kafka = new ManagedKafka("kafka", args());
      expect(kafka.security).toEqual({ protocol: "SASL_SSL", saslMechanism: "OAUTHBEARER" });
      return { bootstrap: kafka.bootstrapServers, topic: kafka.topicName("transactions") };
    });
    expect(r.outputs).toEqual({
      bootstrap: "bootstrap.mlstack-test-kafka.europe-west4.managedkafka.acme-ml-test.cloud.goog:9092",
      topic: "transactions",
    });
  });
});

describe("ManagedKafka: ACLs", () => {
  it("gives each topic one ACL listing exactly the declared readers and writers", async () => {
    const r = await render(() => {
      new ManagedKafka("kafka", args());
    });
    const acls = Object.fromEntries(r.ofType(ACL).map((a) => [r.inputs(a).aclId, r.inputs(a).aclEntries]));
    expect(acls["topic/transactions"]).toEqual([
      { principal: `User:${FRAUD_EMAIL}`, permissionType: "ALLOW", operation: "READ", host: "*" },
      { principal: `User:${PRODUCER}`, permissionType: "ALLOW", operation: "WRITE", host: "*" },
    ]);
    expect(acls["topic/fraud-scores"]).toEqual([
      { principal: `User:${FRAUD_EMAIL}`, permissionType: "ALLOW", operation: "WRITE", host: "*" },
    ]);
    expect(acls["consumerGroup/fraud-detector"]).toEqual([
      { principal: `User:${FRAUD_EMAIL}`, permissionType: "ALLOW", operation: "READ", host: "*" },
    ]);
    expect(Object.keys(acls).sort()).toEqual([
      "consumerGroup/fraud-detector",
      "topic/audit",
      "topic/fraud-scores",
      "topic/transactions",
    ]);
  });

  it("closes a topic no client uses instead of leaving it to the cluster default", async () => {
    const r = await render(() => {
      new ManagedKafka("kafka", args());
    });
    const audit = r
      .ofType(ACL)
      .map((a) => r.inputs(a))
      .find((a) => a.aclId === "topic/audit");
    expect(audit?.aclEntries).toEqual([
      { principal: "User:*", permissionType: "DENY", operation: "ALL", host: "*" },
    ]);
  });

  it("lets external clients connect to this cluster only", async () => {
    const r = await render(() => {
      new ManagedKafka("kafka", args());
    });
    const bindings = r.ofType(IAM).map((b) => r.inputs(b));
    expect(bindings).toEqual([
      {
        project: "acme-ml-test",
        role: "roles/managedkafka.client",
        member: `serviceAccount:${PRODUCER}`,
        condition: {
          title: "kafka-mlstack-test-kafka",
          description: "Connect to Managed Kafka cluster mlstack-test-kafka only (mlstack)",
          expression: 'resource.name.endsWith("/locations/europe-west4/clusters/mlstack-test-kafka")',
        },
      },
    ]);
  });
});

describe("ManagedKafka: grantTopicAccess", () => {
  async function grantFraud(): Promise<{ access: WorkloadAccess; r: Awaited<ReturnType<typeof render>> }> {
    let access: WorkloadAccess | undefined;
    const r = await render(() => {
      const parent = new Holder("workloads");
      const kafka = new ManagedKafka("kafka", args());
      const identity = identityProvider().forWorkload(FRAUD_DETECTOR, { parent });
      access = kafka.grantTopicAccess(
        identity,
        { read: ["transactions"], write: ["fraud-scores"], consumerGroup: "fraud-detector" },
        { parent },
      );
    });
    return { access: access as WorkloadAccess, r };
  }

  it("binds the workload's GSA to roles/managedkafka.client, conditioned on this cluster, and nothing broader", async () => {
    const { r } = await grantFraud();
    const binding = r.ofType(IAM).find((b) => r.inputs(b).member === `serviceAccount:${FRAUD_EMAIL}`);
    expect(binding && r.inputs(binding)).toMatchObject({
      role: "roles/managedkafka.client",
      condition: {
        expression: 'resource.name.endsWith("/locations/europe-west4/clusters/mlstack-test-kafka")',
      },
    });
    expect(binding?.parent).toMatch(/::workloads$/);
    const roles = r.ofType(IAM).map((b) => r.inputs(b).role);
    expect(
      roles.some((role) =>
        ["roles/owner", "roles/editor", "roles/viewer", "roles/managedkafka.admin"].includes(role),
      ),
    ).toBe(false);
  });

  it("hands the pod SASL/OAUTHBEARER settings and no credential at all", async () => {
    const { access } = await grantFraud();
    expect(access.env.map((e) => e.name)).toEqual([
      "KAFKA_BOOTSTRAP_SERVERS",
      "KAFKA_SECURITY_PROTOCOL",
      "KAFKA_SASL_MECHANISM",
      "KAFKA_OAUTH_PROVIDER",
    ]);
    expect(access.env.find((e) => e.name === "KAFKA_SASL_MECHANISM")?.value).toBe("OAUTHBEARER");
    expect(access.env.find((e) => e.name === "KAFKA_OAUTH_PROVIDER")?.value).toBe("google");
    expect(access.env.some((e) => e.valueFrom !== undefined)).toBe(false);
    expect(access.volumes).toEqual([]);
  });

  it("opens egress to the brokers' subnets on 9092 and the metadata server for the token", async () => {
    const { access } = await grantFraud();
    expect(access.egress).toEqual([
      {
        to: [{ ipBlock: { cidr: "10.40.0.0/20" } }, { ipBlock: { cidr: "10.41.0.0/20" } }],
        ports: [{ protocol: "TCP", port: 9092 }],
      },
      {
        to: [{ ipBlock: { cidr: "169.254.169.254/32" } }],
        ports: [
          { protocol: "TCP", port: 80 },
          { protocol: "TCP", port: 988 },
        ],
      },
    ]);
  });

  it("makes the pod wait for its topics' and group's ACLs, its connect binding and its identity", async () => {
    const r = await render(() => {
      const parent = new Holder("workloads");
      const kafka = new ManagedKafka("kafka", args());
      const identity = identityProvider().forWorkload(FRAUD_DETECTOR, { parent });
      const access = kafka.grantTopicAccess(
        identity,
        { read: ["transactions"], write: ["fraud-scores"], consumerGroup: "fraud-detector" },
        { parent },
      );
      return { deps: pulumi.all(access.dependsOn.map((d) => d.urn)) };
    });
    const names = (r.outputs.deps as string[]).map((urn) => urn.split("::").pop());
    expect(names).toEqual([
      "kafka-fraud-detector-connect",
      "kafka-acl-topic-transactions",
      "kafka-acl-topic-fraud-scores",
      "kafka-acl-group-fraud-detector",
      "fraud-detector-identity-gsa",
      "fraud-detector-identity-wi-user",
    ]);
  });

  it("refuses topics and groups beyond the workload's declared access", async () => {
    await render(() => {
      const parent = new Holder("workloads");
      const kafka = new ManagedKafka("kafka", args());
      const identity = identityProvider().forWorkload(FRAUD_DETECTOR, { parent });
      expect(() => kafka.grantTopicAccess(identity, { read: ["audit"], write: [] }, { parent })).toThrow(
        'workload "fraud-detector" asks for read audit, beyond its declared access (read: transactions; write: fraud-scores)',
      );
      expect(() =>
        kafka.grantTopicAccess(identity, { read: [], write: ["transactions"] }, { parent }),
      ).toThrow("asks for write transactions");
      expect(() =>
        kafka.grantTopicAccess(
          identity,
          { read: ["transactions"], write: [], consumerGroup: "other" },
          { parent },
        ),
      ).toThrow('asks for consumer group "other", not its declared fraud-detector');
    });
  });

  it("refuses workloads without declared access, and identities without a GSA", async () => {
    await render(() => {
      const parent = new Holder("workloads");
      const kafka = new ManagedKafka("kafka", args());
      expect(() =>
        kafka.grantTopicAccess(
          identityProvider().forWorkload(MLFLOW, { parent }),
          { read: ["transactions"], write: [] },
          { parent },
        ),
      ).toThrow('workload "mlflow" has no declared Kafka access');
      const foreign: WorkloadIdentity = {
        workload: FRAUD_DETECTOR,
        serviceAccountAnnotations: {},
        dependencies: [],
      };
      expect(() =>
        kafka.grantTopicAccess(foreign, { read: ["transactions"], write: [] }, { parent }),
      ).toThrow("was not issued by GkeWorkloadIdentityProvider");
    });
  });

  it("refuses an identity whose GSA is not the one the ACLs name", async () => {
    await render(() => {
      const parent = new Holder("workloads");
      const kafka = new ManagedKafka("kafka", args());
      const otherStack = identityProvider("acme-ml-test", "other").forWorkload(FRAUD_DETECTOR, { parent });
      expect(() =>
        kafka.grantTopicAccess(otherStack, { read: ["transactions"], write: [] }, { parent }),
      ).toThrow(`was declared as ${FRAUD_EMAIL}`);
    });
  });
});

describe("ManagedKafka: refuses bad input before creating anything", () => {
  const cases: Array<[string, Partial<ManagedKafkaArgs>, string]> = [
    ["too few vCPUs", { vcpuCount: 2, memoryGib: 4 }, "vcpuCount 2 is not a whole number of at least 3"],
    [
      "too much memory per vCPU",
      { vcpuCount: 3, memoryGib: 32 },
      "memoryGib 32 is not 1 to 8 GiB per vCPU (3 to 24)",
    ],
    ["no subnets", { subnets: [] }, "subnets [] must list 1 to 10 subnets"],
    [
      "a topic replicated 5 times",
      { topics: [{ ...topic("x"), replicas: 5 }] },
      "topics[x].replicas 5 is more than 3",
    ],
    [
      "a client on an unknown topic",
      { clients: [{ ...CLIENTS[1], write: ["ledger"] }] },
      "is not a declared topic",
    ],
    ["a malformed cluster ID", { clusterId: "Kafka_Prod" }, 'clusterId "Kafka_Prod" is not a cluster ID'],
  ];
  it.each(cases)("refuses %s", (_what, overrides, message) => {
    expect(() => new ManagedKafka("kafka", args(overrides))).toThrow(message);
  });

  it("derives cluster IDs that are valid, per stack, and within 63 characters", () => {
    expect(managedKafkaClusterId("mlstack", "prod-gcp", "kafka")).toBe("mlstack-prod-gcp-kafka");
    const long = managedKafkaClusterId(
      "mlstack",
      "a-very-long-stack-name-for-the-european-production-region",
      "kafka-events",
    );
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
  });
});
