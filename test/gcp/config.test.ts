import * as path from "path";
import { loadStackConfig } from "../../cli/plan/stackConfig";
import { ConfigError, parseConfig } from "../../stacks/config";
import { gcpConfig, gcpRawConfig, IDENTITY, RawConfig } from "./fixtures";

/** The ConfigError problems of the gcp base config after `mutate`. */
function problemsOf(mutate: (raw: RawConfig) => void): string[] {
  const raw = gcpRawConfig("prod");
  mutate(raw);
  try {
    parseConfig(raw, IDENTITY);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError, but the config was accepted");
}

describe("mlstack:gcp: defaults", () => {
  it("derives the cluster's Workload Identity pool and default kubeconfig context", () => {
    const { gcp } = gcpConfig();
    expect(gcp?.cluster).toEqual({
      name: "ml-test",
      location: "europe-west4",
      project: "acme-ml-test",
      workloadPool: "acme-ml-test.svc.id.goog",
      access: { kind: "kubeconfig", kubeconfig: undefined, context: "gke_acme-ml-test_europe-west4_ml-test" },
    });
  });

  it("builds full subnet and VPC ids in the network's project, and routes Google APIs privately by default", () => {
    const { gcp } = gcpConfig("dev", (raw) => (raw.gcp.network.project = "acme-net-host"));
    expect(gcp?.network.vpcId).toBe("projects/acme-net-host/global/networks/ml-vpc");
    expect(gcp?.network.subnets).toEqual([
      {
        name: "gke-nodes",
        cidr: "10.40.0.0/20",
        id: "projects/acme-net-host/regions/europe-west4/subnetworks/gke-nodes",
      },
    ]);
    expect(gcp?.network.googleApis).toBe("private");
    expect(gcp?.network.googleApisCidrs).toEqual(["199.36.153.8/30"]);
    expect(gcp?.network.privateServicesAccess).toEqual({
      cidr: "10.60.0.0/16",
      rangeName: undefined,
      create: false,
    });
  });

  it("names the private services range after the stack when it creates it", () => {
    const { gcp } = gcpConfig("dev", (raw) => (raw.gcp.network.privateServicesAccess.create = true));
    expect(gcp?.network.privateServicesAccess).toEqual({
      cidr: "10.60.0.0/16",
      rangeName: "test-psa",
      create: true,
    });
  });

  it("sizes prod larger than dev and keeps 90-day key rotation", () => {
    const dev = gcpConfig("dev").gcp;
    const prod = gcpConfig("prod").gcp;
    expect(dev?.kafka).toMatchObject({ vcpuCount: 3, memoryGib: 3 });
    expect(prod?.kafka).toMatchObject({ vcpuCount: 6, memoryGib: 24 });
    expect(dev?.postgres.tier).toBe("db-custom-1-3840");
    expect(prod?.postgres.tier).toBe("db-custom-4-16384");
    expect(prod?.kms).toEqual({ rotationDays: 90, protectionLevel: "SOFTWARE" });
    expect(prod?.storage.accessLogRetentionDays).toBe(365);
  });

  it("turns the backup schedule and storage size into Cloud SQL's start time, GB and WAL days", () => {
    const prod = gcpConfig(
      "prod",
      (raw) => (raw.postgres = { storageSize: "200Gi", backup: { schedule: "0 30 1 * * *" } }),
    ).gcp;
    expect(prod?.postgres).toMatchObject({
      diskSizeGb: 215,
      backupStartTime: "01:30",
      transactionLogRetentionDays: 7,
    });
    const plus = gcpConfig("prod", (raw) => (raw.gcp.postgres = { edition: "ENTERPRISE_PLUS" })).gcp;
    expect(plus?.postgres).toMatchObject({ tier: "db-perf-optimized-N-2", transactionLogRetentionDays: 35 });
  });

  it("reads a cluster from another stack's kubeconfig output", () => {
    const { gcp } = gcpConfig(
      "dev",
      (raw) => (raw.gcp.cluster = { name: "ml-test", stackReference: "acme/gke/prod" }),
    );
    expect(gcp?.cluster.access).toEqual({
      kind: "stackReference",
      stack: "acme/gke/prod",
      output: "kubeconfig",
    });
  });

  it("accepts the project number as a YAML number", () => {
    expect(gcpConfig("dev", (raw) => (raw.gcp.projectNumber = 123456789012)).gcp?.projectNumber).toBe(
      "123456789012",
    );
  });

  it("parses the shipped prod-gcp stack file", () => {
    const stack = loadStackConfig(path.resolve(__dirname, "../.."), "prod-gcp");
    const raw: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(stack.config)) {
      if (!key.startsWith("mlstack:")) continue;
      raw[key.slice("mlstack:".length)] = /^[[{]/.test(value.trim()) ? JSON.parse(value) : value;
    }
    const config = parseConfig(raw, { project: stack.project, stack: "prod-gcp" });
    expect(config.target).toBe("gcp");
    expect(config.gcp).toMatchObject({
      project: "acme-ml-prod",
      region: "europe-west4",
      kms: { protectionLevel: "HSM" },
    });
    expect(config.serving.models.map((m) => [m.name, m.kafka !== undefined])).toEqual([
      ["fraud-detector", true],
      ["fx-quote", false],
    ]);
  });
});

describe("mlstack:gcp: refuses what would leave a service public, unreachable or unprotected", () => {
  const cases: Array<[string, (raw: RawConfig) => void, string]> = [
    ["no gcp block at all", (r) => delete r.gcp, "mlstack:gcp.project: undefined is required"],
    [
      "a missing project",
      (r) => delete r.gcp.project,
      "mlstack:gcp.project: undefined is required (a Google Cloud project ID",
    ],
    [
      "a malformed project",
      (r) => (r.gcp.project = "Acme_ML"),
      'mlstack:gcp.project: "Acme_ML" is not a Google Cloud project ID',
    ],
    [
      "a missing project number",
      (r) => delete r.gcp.projectNumber,
      "mlstack:gcp.projectNumber: undefined is required (a project number",
    ],
    [
      "a missing region",
      (r) => delete r.gcp.region,
      "mlstack:gcp.region: undefined is required (a region such as europe-west4)",
    ],
    [
      "a missing cluster",
      (r) => delete r.gcp.cluster,
      "mlstack:gcp.cluster: undefined is required (name the existing GKE cluster",
    ],
    [
      "a cluster outside the region",
      (r) => (r.gcp.cluster.location = "us-central1-a"),
      'mlstack:gcp.cluster.location: "us-central1-a" is not in gcp.region europe-west4',
    ],
    [
      "both a stack reference and a context",
      (r) => Object.assign(r.gcp.cluster, { stackReference: "acme/gke/prod", context: "ctx" }),
      "cannot be combined with kubeconfig or context",
    ],
    [
      "a missing network",
      (r) => delete r.gcp.network,
      "mlstack:gcp.network: undefined is required (name the cluster's VPC",
    ],
    [
      "a missing VPC",
      (r) => delete r.gcp.network.vpc,
      "mlstack:gcp.network.vpc: undefined is required (a VPC network name)",
    ],
    [
      "no subnets",
      (r) => (r.gcp.network.subnets = []),
      "mlstack:gcp.network.subnets: [] must list at least one of the cluster's subnets",
    ],
    [
      "a subnet without its CIDR",
      (r) => delete r.gcp.network.subnets[0].cidr,
      "mlstack:gcp.network.subnets[0].cidr: undefined is required (an IPv4 CIDR",
    ],
    [
      "no private services access",
      (r) => delete r.gcp.network.privateServicesAccess,
      "mlstack:gcp.network.privateServicesAccess: undefined is required (Cloud SQL has a private IP only",
    ],
    [
      "a private services range without CIDR",
      (r) => delete r.gcp.network.privateServicesAccess.cidr,
      "mlstack:gcp.network.privateServicesAccess.cidr: undefined is required",
    ],
    [
      "an unknown Google APIs route",
      (r) => (r.gcp.network.googleApis = "internet"),
      'mlstack:gcp.network.googleApis: "internet" is not one of: private, restricted, public',
    ],
    [
      "too little Kafka memory per vCPU",
      (r) => (r.gcp.kafka = { vcpuCount: 6, memoryGib: 4 }),
      "mlstack:gcp.kafka.memoryGib: 4 is outside 1 to 8 GiB per vCPU",
    ],
    [
      "fewer than 3 Kafka vCPUs",
      (r) => (r.gcp.kafka = { vcpuCount: 2 }),
      "mlstack:gcp.kafka.vcpuCount: 2 is not a whole number from 3 to 1000",
    ],
    [
      "a topic replicated more than 3 times",
      (r) => (r.kafka.topics[0].replicas = 4),
      "mlstack:kafka.topics[0].replicas: 4 is more than 3",
    ],
    [
      "a Kafka client on an undeclared topic",
      (r) =>
        (r.gcp.kafka = {
          clients: [{ serviceAccount: "producer@acme-core.iam.gserviceaccount.com", write: ["payments"] }],
        }),
      'mlstack:gcp.kafka.clients[0].write[0]: "payments" is not a declared topic',
    ],
    [
      "a Kafka client that is not a service account",
      (r) => (r.gcp.kafka = { clients: [{ serviceAccount: "alice@example.com", read: ["transactions"] }] }),
      'mlstack:gcp.kafka.clients[0].serviceAccount: "alice@example.com" is not a Google service account e-mail',
    ],
    [
      "a backup schedule Cloud SQL cannot run",
      (r) => (r.postgres = { backup: { schedule: "0 0 */6 * * *" } }),
      'mlstack:postgres.backup.schedule: "0 0 */6 * * *" is not a daily schedule at a fixed time',
    ],
    [
      "a storage size in MiB",
      (r) => (r.postgres = { storageSize: "500Mi" }),
      'mlstack:postgres.storageSize: "500Mi" is not a size Cloud SQL can take on gcp',
    ],
    [
      "an ENTERPRISE_PLUS tier on ENTERPRISE",
      (r) => (r.gcp.postgres = { tier: "db-perf-optimized-N-4" }),
      'mlstack:gcp.postgres.tier: "db-perf-optimized-N-4" needs edition ENTERPRISE_PLUS',
    ],
    [
      "a shared-core tier in prod",
      (r) => (r.gcp.postgres = { tier: "db-g1-small" }),
      'mlstack:gcp.postgres.tier: "db-g1-small" is a shared-core tier without an SLA',
    ],
    [
      "a key rotated less often than every 90 days",
      (r) => (r.gcp.kms = { rotationDays: 365 }),
      "mlstack:gcp.kms.rotationDays: 365 is not a whole number from 1 to 90",
    ],
    [
      "a bucket name GCS would refuse",
      (r) => (r.objectStore.buckets[0].name = "google-models"),
      'mlstack:objectStore.buckets[0].name: "google-models" contains "google"',
    ],
    [
      "an unknown key",
      (r) => (r.gcp.zone = "europe-west4-a"),
      'mlstack:gcp.zone: "europe-west4-a" is not a known key',
    ],
  ];

  it.each(cases)("refuses %s", (_what, mutate, expected) => {
    expect(problemsOf(mutate).join("\n")).toContain(expected);
  });

  it("reports every missing key of an empty gcp block at once", () => {
    const problems = problemsOf((r) => (r.gcp = {}));
    for (const key of ["gcp.project", "gcp.projectNumber", "gcp.region", "gcp.cluster", "gcp.network"]) {
      expect(problems.some((p) => p.startsWith(`mlstack:${key}: undefined is required`))).toBe(true);
    }
  });
});
