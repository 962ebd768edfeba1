import { ConfigError, parseConfig } from "../../stacks/config";
import { baseRawConfig, Json } from "../support/config";

const identity = { project: "mlstack", stack: "test" };

/** Applies `mutate` to a fresh copy of the base config and returns the ConfigError's problems. */
function problemsOf(mutate: (raw: ReturnType<typeof baseRawConfig>) => void): string[] {
  const raw = baseRawConfig();
  mutate(raw);
  try {
    parseConfig(raw, identity);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError, but the config was accepted");
}

describe("parseConfig: defaults", () => {
  it("fills dev defaults: small, unprotected, single replicas", () => {
    const c = parseConfig(baseRawConfig(), identity);
    expect(c.environment).toBe("dev");
    expect(c.protect).toBe(false);
    expect(c.highAvailability).toBe(false);
    expect(c.kafka).toMatchObject({ brokers: 1, replicationFactor: 1, minInsyncReplicas: 1 });
    expect(c.postgres).toMatchObject({ instances: 1, backup: expect.objectContaining({ enabled: false }) });
    expect(c.mlflow.replicas).toBe(1);
    expect(c.mlflow.auth).toBe("basic");
    expect(c.platformNamespace).toBe("ml-dev-platform");
    expect(c.operators.install).toBe(true);
  });

  it("makes prod highly available and protected with long backups", () => {
    const c = parseConfig({ ...baseRawConfig(), environment: "prod", target: "openshift" }, identity);
    expect(c.protect).toBe(true);
    expect(c.highAvailability).toBe(true);
    expect(c.kafka).toMatchObject({ brokers: 3, replicationFactor: 3, minInsyncReplicas: 2 });
    expect(c.postgres.instances).toBe(3);
    expect(c.postgres.backup).toMatchObject({ enabled: true, retentionDays: 35 });
    expect(c.mlflow).toMatchObject({ replicas: 2, auth: "oauth-proxy" });
    expect(c.operators.install).toBe(false);
    expect(c.serving.models[0].minReplicas).toBe(2);
  });

  it("declares the platform's own database and buckets implicitly", () => {
    const c = parseConfig({ ...baseRawConfig(), environment: "staging" }, identity);
    expect(c.postgres.databases).toContainEqual({ name: "mlflow", owner: "mlflow" });
    expect(c.objectStore.buckets.filter((b) => b.owner === "platform").map((b) => b.name)).toEqual([
      "mlflow-artifacts",
      "postgres-backups",
    ]);
  });

  it("accepts numbers given as strings, as the engine passes scalars", () => {
    const c = parseConfig(
      { ...baseRawConfig(), kafka: { ...baseRawConfig().kafka, brokers: "1" } },
      identity,
    );
    expect(c.kafka.brokers).toBe(1);
  });
});

describe("parseConfig: refuses malformed config with the key, the value and what is allowed", () => {
  const cases: Array<[string, (raw: Json) => void, string]> = [
    [
      "an unknown target",
      (r) => (r.target = "azure"),
      'mlstack:target: "azure" is not one of: kubernetes, openshift, aws, gcp',
    ],
    [
      "an unknown environment",
      (r) => (r.environment = "qa"),
      'mlstack:environment: "qa" is not one of: dev, staging, prod',
    ],
    ["a misspelt top-level key", (r) => (r.tems = []), "mlstack:tems: [] is not a known key"],
    [
      "a team name that is not a DNS label",
      (r) => (r.teams[0].name = "Fraud_Team"),
      'mlstack:teams[0].name: "Fraud_Team" is not a DNS label',
    ],
    [
      "a team without groups",
      (r) => (r.teams[1].groups = []),
      "mlstack:teams[1].groups: [] must list at least one group",
    ],
    [
      "a duplicate team",
      (r) => (r.teams[1].name = "fraud"),
      'mlstack:teams[1].name: "fraud" is declared twice',
    ],
    [
      "a bad quota quantity",
      (r) => (r.teams[0].quota = { memory: "lots" }),
      'mlstack:teams[0].quota.memory: "lots" is not a Kubernetes quantity',
    ],
    [
      "a model of an undeclared team",
      (r) => (r.serving.models[1].team = "risk"),
      'mlstack:serving.models[1].team: "risk" is not a declared team (declared: fraud, pricing)',
    ],
    [
      "a topic owned by an undeclared team",
      (r) => (r.kafka.topics[0].owner = "risk"),
      'mlstack:kafka.topics[0].owner: "risk" is not a declared team (declared: fraud, pricing)',
    ],
    [
      "a topic reader that is not a team",
      (r) => (r.kafka.topics[0].readers = ["ops"]),
      'mlstack:kafka.topics[0].readers[0]: "ops" is not a declared team',
    ],
    [
      "a database owned by an unknown workload",
      (r) => (r.postgres = { databases: [{ name: "features", owner: "feature-store" }] }),
      'mlstack:postgres.databases[0].owner: "feature-store" is not a workload (workloads: mlflow, fraud-detector, price-quoter)',
    ],
    [
      "a model reading another team's bucket",
      (r) => (r.serving.models[1].source.bucket = "fraud-models"),
      'mlstack:serving.models[1].source.bucket: "fraud-models" belongs to fraud, not to the model\'s team pricing',
    ],
    [
      "a model reading an undeclared bucket",
      (r) => (r.serving.models[0].source.bucket = "nowhere"),
      'mlstack:serving.models[0].source.bucket: "nowhere" is not a declared bucket (buckets of team fraud: fraud-models)',
    ],
    [
      "a streaming model on an undeclared topic",
      (r) => (r.serving.models[0].kafka.inputTopic = "payments"),
      'mlstack:serving.models[0].kafka.inputTopic: "payments" is not a declared topic (declared: transactions, fraud-scores)',
    ],
    [
      "a streaming model writing a topic its team may not write",
      (r) =>
        r.serving.models.push({
          name: "pricer",
          team: "pricing",
          source: { bucket: "pricing-models", path: "p" },
          kafka: { inputTopic: "transactions", outputTopic: "fraud-scores" },
        }),
      'mlstack:serving.models[2].kafka.outputTopic: "fraud-scores" may not be written by team pricing (owner fraud, writers: none)',
    ],
    [
      "a streaming model reading a topic its team may not read",
      (r) => (
        (r.kafka.topics[0].readers = []),
        r.serving.models.push({
          name: "pricer",
          team: "pricing",
          source: { bucket: "pricing-models", path: "p" },
          kafka: { inputTopic: "transactions", outputTopic: "fraud-scores" },
        })
      ),
      'mlstack:serving.models[2].kafka.inputTopic: "transactions" may not be read by team pricing',
    ],
    [
      "a replication factor above the broker count",
      (r) => (r.kafka.replicationFactor = 3),
      "mlstack:kafka.replicationFactor: 3 is more than the 1 broker(s)",
    ],
    [
      "replication below 3 in prod",
      (r) => ((r.environment = "prod"), (r.kafka.replicationFactor = 2)),
      "mlstack:kafka.replicationFactor: 2 is below 3, which prod does not allow",
    ],
    [
      "unprotected prod",
      (r) => ((r.environment = "prod"), (r.protect = false)),
      "mlstack:protect: false cannot be false in prod",
    ],
    [
      "a single MLflow replica in staging",
      (r) => ((r.environment = "staging"), (r.mlflow = { replicas: 1 })),
      "mlstack:mlflow.replicas: 1 is below 2, which staging does not allow",
    ],
    [
      "MLflow without authentication outside dev",
      (r) => ((r.environment = "staging"), (r.mlflow = { auth: "none" })),
      'mlstack:mlflow.auth: "none" is allowed only in dev',
    ],
    [
      "oauth-proxy off OpenShift",
      (r) => (r.mlflow = { auth: "oauth-proxy" }),
      'mlstack:mlflow.auth: "oauth-proxy" needs the OpenShift OAuth server',
    ],
    [
      "an image without a pinned tag",
      (r) => (r.mlflow = { image: "ghcr.io/mlstack/mlflow" }),
      'mlstack:mlflow.image: "ghcr.io/mlstack/mlflow" is not an image reference with a registry host and a pinned tag',
    ],
    [
      "a custom runtime without an image",
      (r) => (r.serving.models[1].runtime = "custom"),
      "mlstack:serving.models[1].image: undefined is required when runtime is custom",
    ],
    [
      "a GPU model beyond its team's GPU quota",
      (r) => (r.serving.models[1].gpu = { count: 1 }),
      "mlstack:serving.models[1].gpu.count: 1 needs 1 GPU(s) at minReplicas but team pricing's quota.gpu is 0",
    ],
    [
      "an external model without a hostname or domain",
      (r) => (r.serving.models[1].exposure = "external"),
      'mlstack:serving.models[1].exposure: "external" needs a hostname',
    ],
    [
      "an external endpoint without TLS settings",
      (r) => ((r.serving.models[1].exposure = "external"), (r.ingress = { domain: "ml.example.com" })),
      'mlstack:ingress: {"domain":"ml.example.com","className":"nginx"} needs clusterIssuer or tlsSecretName',
    ],
    [
      "a KServe streaming model",
      (r) => (r.serving.models[0].engine = "kserve"),
      'mlstack:serving.models[0].engine: "kserve" cannot serve a streaming (kafka) model',
    ],
    [
      "a streaming model on MLServer",
      (r) => (r.serving.models[0].runtime = "mlserver"),
      'mlstack:serving.models[0].runtime: "mlserver" cannot consume Kafka securely',
    ],
    [
      "an externally exposed streaming model",
      (r) => (
        (r.serving.models[0].exposure = "external"),
        (r.serving.models[0].hostname = "fraud.ml.example.com")
      ),
      'mlstack:serving.models[0].exposure: "external" is not for a streaming model',
    ],
    [
      "a KServe model off port 8080",
      // mlflow and Triton run in KServe's own runtimes, which listen on 8080 (MLServer and vLLM
      // run mlstack's container and take the model's port).
      (r) => Object.assign(r.serving.models[1], { engine: "kserve", runtime: "mlflow", port: 9000 }),
      "mlstack:serving.models[1].port: 9000 must be 8080 with engine kserve",
    ],
    [
      "maxReplicas below minReplicas",
      (r) => Object.assign(r.serving.models[1], { minReplicas: 4, maxReplicas: 2 }),
      "mlstack:serving.models[1].maxReplicas: 2 is below minReplicas 4",
    ],
    [
      "a non-integer partition count",
      (r) => (r.kafka.topics[1].partitions = 2.5),
      "mlstack:kafka.topics[1].partitions: 2.5 is not a whole number from 1 to 10000",
    ],
    [
      "a backup schedule in five-field cron",
      (r) => (r.postgres = { backup: { schedule: "0 2 * * *" } }),
      'mlstack:postgres.backup.schedule: "0 2 * * *" is not a six-field cron schedule',
    ],
    [
      "a team bucket posing as a platform bucket",
      (r) => r.objectStore.buckets.push({ name: "mlflow-artifacts", owner: "fraud" }),
      'its owner must be "platform"',
    ],
    [
      "a reserved team name",
      (r) => (r.teams[0].name = "platform"),
      'mlstack:teams[0].name: "platform" is reserved',
    ],
    [
      "aws settings on a kubernetes stack",
      (r) => (r.aws = { region: "eu-west-1" }),
      'mlstack:aws: {"region":"eu-west-1"} is only read when mlstack:target is aws',
    ],
    [
      "an API server CIDR that is not a CIDR",
      (r) => (r.network = { apiServerCidrs: ["10.0.0.1"] }),
      'mlstack:network.apiServerCidrs[0]: "10.0.0.1" is not a CIDR block',
    ],
  ];

  it.each(["/models/x", "models//x", "models/x/", "/"])(
    "refuses the model path %j, which no bucket grant could scope",
    (path) => {
      const problems = problemsOf((r) => (r.serving.models[1].source.path = path));
      expect(problems.join("\n")).toContain(
        `mlstack:serving.models[1].source.path: ${JSON.stringify(path)} is not an object key prefix`,
      );
    },
  );

  it.each(cases)("refuses %s", (_what, mutate, expected) => {
    const problems = problemsOf(mutate);
    expect(problems.join("\n")).toContain(expected);
  });

  it("reports every problem at once, not just the first", () => {
    const problems = problemsOf((r) => {
      r.target = "azure";
      r.teams[0].name = "Bad";
    });
    expect(problems.length).toBeGreaterThanOrEqual(2);
  });

  it("formats one problem as a single line naming the key", () => {
    const raw = { ...baseRawConfig(), environment: "qa" };
    expect(() => parseConfig(raw, identity)).toThrow(
      'invalid mlstack config: mlstack:environment: "qa" is not one of: dev, staging, prod',
    );
  });
});
