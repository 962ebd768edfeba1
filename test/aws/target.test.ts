import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";
import { evaluateDetailed } from "../../policies/evaluate";
import { WorkloadAccess, WorkloadIdentity, WorkloadRef } from "../../components/identity/contract";
import type { ClusterFacts } from "../../stacks/backing";
import { awsTarget } from "../../stacks/aws";
import { PlatformConfig, parseConfig } from "../../stacks/config";
import { Rendered, render } from "../support/render";
import { baseConfig } from "../support/config";
import { ACCOUNT_ID, REGION, Root, awsConfig, contextOf, rawAwsBlock } from "./fixtures";

const STATEFUL = [
  "aws:kms/key:Key",
  "aws:s3/bucket:Bucket",
  "aws:msk/cluster:Cluster",
  "aws:msk/topic:Topic",
  "aws:rds/instance:Instance",
  "postgresql:index/database:Database",
];

function facts(config: PlatformConfig): ClusterFacts {
  const workloadNamespaces: Record<string, string> = { mlflow: config.platformNamespace };
  for (const m of config.serving.models)
    workloadNamespaces[m.name] = config.teams.find((t) => t.name === m.team)!.namespace;
  return {
    platformNamespace: config.platformNamespace,
    teamNamespaces: Object.fromEntries(config.teams.map((t) => [t.name, t.namespace])),
    workloadNamespaces,
    dependsOn: [],
  };
}

interface Wiring {
  mlflowDatabase: WorkloadAccess;
  mlflowArtifacts: WorkloadAccess;
  artifactUri: string;
  models: Record<string, { access: WorkloadAccess[]; modelUri?: string }>;
  annotations: Record<string, unknown>;
}

/**
 * Does what the shared composition does with a target: provider, identities, backing services,
 * then MLflow's and every model's grants.
 */
async function renderPlatform(config: PlatformConfig): Promise<{ r: Rendered; wiring: Wiring }> {
  const wiring: Wiring = { models: {}, annotations: {} } as unknown as Wiring;
  const r = await render(async () => {
    const root = new Root("mlstack");
    const ctx = contextOf(config);
    awsTarget.kubernetesProvider(config);
    const identities = awsTarget.identityProvider(config, ctx, root);
    const cluster = facts(config);
    const ref = (name: string, team: string): WorkloadRef => ({
      name,
      team,
      namespace: cluster.workloadNamespaces[name],
      serviceAccountName: name,
    });
    const mlflow = identities.forWorkload(ref("mlflow", "platform"), { parent: root });
    const modelIds = new Map<string, WorkloadIdentity>(
      config.serving.models.map((m) => [
        m.name,
        identities.forWorkload(ref(m.name, m.team), { parent: root }),
      ]),
    );
    const backing = awsTarget.createBackingServices(config, ctx, cluster, root);

    wiring.mlflowDatabase = backing.postgres.grantDatabase(mlflow, config.mlflow.database, { parent: root });
    const artifacts = backing.objectStore.bucket(config.mlflow.artifactBucket);
    wiring.mlflowArtifacts = artifacts.grantAccess(mlflow, "readwrite", { parent: root });
    wiring.artifactUri = await new Promise<string>((resolve) => artifacts.url("").apply(resolve));
    wiring.annotations = await new Promise((resolve) =>
      pulumi.output(mlflow.serviceAccountAnnotations).apply(resolve),
    );
    for (const model of config.serving.models) {
      const identity = modelIds.get(model.name)!;
      const access: WorkloadAccess[] = [];
      let modelUri: string | undefined;
      const source = model.source;
      if (source?.bucket !== undefined && source.path !== undefined) {
        const bucket = backing.objectStore.bucket(source.bucket);
        const modelPath = source.path;
        access.push(bucket.grantAccess(identity, "read", { parent: root }));
        modelUri = await new Promise<string>((resolve) => bucket.url(modelPath).apply(resolve));
      }
      if (model.kafka) {
        access.push(
          backing.kafka.grantTopicAccess(
            identity,
            {
              read: [model.kafka.inputTopic],
              write: [model.kafka.outputTopic],
              consumerGroup: model.kafka.consumerGroup,
            },
            { parent: root },
          ),
        );
        backing.kafka.scalerAuth(identity);
      }
      const owned = config.postgres.databases.find((d) => d.owner === model.name);
      if (owned) access.push(backing.postgres.grantDatabase(identity, owned.name, { parent: root }));
      wiring.models[model.name] = { access, modelUri };
    }
  });
  return { r, wiring };
}

/** `mlstack:*` config of a stack file, as `loadConfig` hands it to `parseConfig`. */
function stackFileConfig(file: string, stack: string): PlatformConfig {
  const doc = parse(readFileSync(join(__dirname, "..", "..", file), "utf8")) as {
    config: Record<string, unknown>;
  };
  const raw = Object.fromEntries(
    Object.entries(doc.config)
      .filter(([k]) => k.startsWith("mlstack:"))
      .map(([k, v]) => [k.slice("mlstack:".length), v]),
  );
  return parseConfig(raw, { project: "mlstack", stack });
}

describe("awsTarget", () => {
  it("pins the AWS provider to the cluster's region and account", async () => {
    const { r } = await renderPlatform(awsConfig());
    expect(r.inputs(r.one("pulumi:providers:aws"))).toMatchObject({
      region: REGION,
      allowedAccountIds: JSON.stringify([ACCOUNT_ID]),
    });
  });

  it("reaches the cluster with the configured context, kubeconfig or cluster stack", async () => {
    const context = await render(() => void awsTarget.kubernetesProvider(awsConfig()));
    expect(context.inputs(context.one("pulumi:providers:kubernetes"))).toMatchObject({
      context: "arn:aws:eks:eu-west-1:123456789012:cluster/ml-prod",
    });

    const aws = rawAwsBlock();
    delete aws.cluster.context;
    aws.cluster.stackReference = { name: "acme/eks/prod", output: "kubeconfig" };
    // Previewed: the mock runtime has no outputs for another stack.
    const ref = await render(() => void awsTarget.kubernetesProvider(awsConfig({ aws })), { preview: true });
    expect(ref.inputs(ref.one("pulumi:pulumi:StackReference"))).toMatchObject({ name: "acme/eks/prod" });
    expect(ref.one("pulumi:providers:kubernetes")).toBeDefined();
  });

  it("creates the providers and the identity provider once, however often the composition asks", async () => {
    const config = awsConfig();
    await render(() => {
      const root = new Root();
      expect(awsTarget.kubernetesProvider(config)).toBe(awsTarget.kubernetesProvider(config));
      expect(awsTarget.identityProvider(config, contextOf(config), root)).toBe(
        awsTarget.identityProvider(config, contextOf(config), root),
      );
    });
  });

  it("refuses a config of another target", () => {
    const config = baseConfig();
    expect(() => awsTarget.kubernetesProvider(config)).toThrow(/config.target is "kubernetes"/);
  });

  it("creates a rotated customer key per data domain and uses each for its domain only", async () => {
    const { r } = await renderPlatform(awsConfig());
    const aliases = r
      .ofType("aws:kms/alias:Alias")
      .map((a) => r.inputs(a).name)
      .sort();
    expect(aliases).toEqual([
      "alias/mlstack/mlstack-test/buckets",
      "alias/mlstack/mlstack-test/database",
      "alias/mlstack/mlstack-test/kafka",
    ]);
    for (const key of r.ofType("aws:kms/key:Key")) expect(r.inputs(key).enableKeyRotation).toBe(true);
    expect(r.inputs(r.one("aws:msk/cluster:Cluster")).encryptionInfo.encryptionAtRestKmsKeyArn).toBe(
      "arn:mock:aws:kms/key:Key:aws-kms-kafka-key",
    );
    expect(r.inputs(r.one("aws:rds/instance:Instance")).kmsKeyId).toBe(
      "arn:mock:aws:kms/key:Key:aws-kms-database-key",
    );
    const sse = r.inputs(
      r.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "mlflow-artifacts",
      ),
    );
    expect(sse.rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId).toBe(
      "arn:mock:aws:kms/key:Key:aws-kms-buckets-key",
    );
    const kafkaKeyPolicy = JSON.parse(r.inputs(r.one("aws:kms/key:Key", "kafka")).policy);
    expect(
      kafkaKeyPolicy.Statement.find((s: { Sid: string }) => s.Sid === "CloudWatchLogs").Condition.ArnEquals[
        "kms:EncryptionContext:aws:logs:arn"
      ],
    ).toEqual(["arn:aws:logs:eu-west-1:123456789012:log-group:/mlstack/mlstack-test/msk/kafka"]);
  });

  it("does not create the CloudNativePG backup bucket: RDS keeps its own backups", async () => {
    const config = awsConfig({ environment: "staging" });
    expect(config.objectStore.buckets.map((b) => b.name)).not.toContain("postgres-backups");
    const { r } = await renderPlatform(config);
    expect(
      r
        .ofType("aws:s3/bucket:Bucket")
        .map((b) => r.inputs(b).bucket)
        .some((n: string) => n.includes("postgres-backups")),
    ).toBe(false);
  });

  it("gives every workload its own IRSA role and nothing else: no static key anywhere", async () => {
    const { r, wiring } = await renderPlatform(awsConfig());
    expect(
      r
        .ofType("aws:iam/role:Role")
        .map((x) => r.inputs(x).name)
        .sort(),
    ).toEqual([
      "mlstack-test-fraud-detector",
      "mlstack-test-fraud-detector-lag",
      "mlstack-test-mlflow",
      "mlstack-test-price-quoter",
    ]);
    expect(r.ofType("aws:iam/accessKey:AccessKey")).toEqual([]);
    expect(wiring.annotations["eks.amazonaws.com/role-arn"]).toBe(
      "arn:mock:aws:iam/role:Role:mlflow-irsa-role",
    );
    const all = [
      wiring.mlflowDatabase,
      wiring.mlflowArtifacts,
      ...Object.values(wiring.models).flatMap((m) => m.access),
    ];
    expect(
      all.flatMap((a) => a.env).filter((e) => /AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/.test(String(e.name))),
    ).toEqual([]);
  });

  it("wires MLflow to s3:// artifacts and an sslmode=require backend URI", async () => {
    const { r, wiring } = await renderPlatform(awsConfig());
    expect(wiring.artifactUri).toBe("s3://mlstack-test-mlflow-artifacts-0a1b2c3d/");
    expect(wiring.mlflowDatabase.env).toContainEqual({
      name: "DATABASE_URL",
      valueFrom: { secretKeyRef: { name: "mlflow-db-mlflow", key: "DATABASE_URL" } },
    });
    expect(r.inputs(r.one("kubernetes:core/v1:Secret", "mlflow-db")).stringData.DATABASE_URL).toMatch(
      /\?sslmode=require$/,
    );
    expect(
      r.inputs(r.one("aws:iam/rolePolicy:RolePolicy", "mlflow-s3")).policy.Statement[1].Action,
    ).toContain("s3:PutObject");
  });

  it("lets serving pull its model from its team's bucket with its own role, read-only", async () => {
    const { r, wiring } = await renderPlatform(awsConfig());
    expect(wiring.models["price-quoter"].modelUri).toBe(
      "s3://mlstack-test-pricing-models-0a1b2c3d/quoter/12",
    );
    const policy = r.inputs(r.one("aws:iam/rolePolicy:RolePolicy", "price-quoter-s3"));
    expect(policy.role).toBe("mlstack-test-price-quoter");
    expect(policy.policy.Statement[1]).toMatchObject({
      Sid: "ReadObjects",
      Resource: "arn:mock:aws:s3/bucket:Bucket:aws-s3-pricing-models-bucket/*",
    });
    expect(policy.policy.Statement.flatMap((s: { Action: string[] }) => s.Action)).not.toContain(
      "s3:PutObject",
    );
  });

  it("lets the streaming model use MSK with IAM auth on exactly its topics", async () => {
    const { r, wiring } = await renderPlatform(awsConfig());
    const env = wiring.models["fraud-detector"].access.flatMap((a) => a.env);
    expect(env).toContainEqual({ name: "KAFKA_SASL_MECHANISM", value: "AWS_MSK_IAM" });
    expect(env).toContainEqual({ name: "KAFKA_SECURITY_PROTOCOL", value: "SASL_SSL" });
    const policy = r.inputs(r.one("aws:iam/rolePolicy:RolePolicy", "fraud-detector-kafka"));
    expect(policy.policy.Statement.find((s: { Sid: string }) => s.Sid === "ReadTopics").Resource).toEqual([
      "arn:mock:aws:msk/topic:Topic:aws-kafka-topic-transactions",
    ]);
    expect(policy.policy.Statement.find((s: { Sid: string }) => s.Sid === "WriteTopics").Resource).toEqual([
      "arn:mock:aws:msk/topic:Topic:aws-kafka-topic-fraud-scores",
    ]);
  });

  it("opens egress only to the broker and database subnets and AWS APIs on 443", async () => {
    const { wiring } = await renderPlatform(awsConfig());
    const all = [
      wiring.mlflowDatabase,
      wiring.mlflowArtifacts,
      ...Object.values(wiring.models).flatMap((m) => m.access),
    ];
    for (const rule of all.flatMap((a) => a.egress)) {
      const ports = (rule.ports as { port: number }[]).map((p) => p.port);
      const cidrs = (rule.to as { ipBlock: { cidr: string } }[]).map((t) => t.ipBlock.cidr);
      if (cidrs.includes("0.0.0.0/0")) expect(ports).toEqual([443]);
      else expect(cidrs.every((c) => c.startsWith("10.40."))).toBe(true);
    }
  });
});

describe("Pulumi.prod-aws.yaml", () => {
  const config = stackFileConfig("Pulumi.prod-aws.yaml", "prod-aws");

  it("is a valid prod AWS stack: MSK with IAM, RDS with IAM auth, two models (HTTP and streaming)", () => {
    expect(config).toMatchObject({ target: "aws", environment: "prod", protect: true });
    expect(config.aws).toMatchObject({
      region: "eu-west-1",
      accountId: "481926357012",
      kafka: { authentication: "iam" },
      postgres: { engine: "rds", workloadAuthentication: "iam" },
    });
    expect(config.aws!.cluster.access).toEqual({
      kind: "context",
      context: "arn:aws:eks:eu-west-1:481926357012:cluster/ml-prod",
    });
    expect(config.serving.models.map((m) => [m.name, m.kafka ? "streaming" : "http"])).toEqual([
      ["fraud-detector", "streaming"],
      ["fx-quote", "http"],
    ]);
  });

  it("protects every stateful resource and keeps AWS API traffic in the VPC", async () => {
    const { r, wiring } = await renderPlatform(config);
    for (const type of STATEFUL) {
      const found = r.ofType(type);
      expect(found.length).toBeGreaterThan(0);
      for (const resource of found)
        expect({ type, name: resource.name, protect: resource.protect }).toEqual({
          type,
          name: resource.name,
          protect: true,
        });
    }
    expect(r.inputs(r.one("aws:rds/instance:Instance"))).toMatchObject({
      multiAz: true,
      deletionProtection: true,
      skipFinalSnapshot: false,
      backupRetentionPeriod: 35,
    });
    const cidrs = Object.values(wiring.models)
      .flatMap((m) => m.access)
      .flatMap((a) => a.egress)
      .flatMap((rule) => (rule.to as { ipBlock: { cidr: string } }[]).map((t) => t.ipBlock.cidr));
    expect(cidrs).not.toContain("0.0.0.0/0");
  });

  it("passes every mandatory rule of the policy pack; advisories only where S3 log delivery leaves no choice", async () => {
    const { r } = await renderPlatform(config);
    const result = evaluateDetailed(r.resources, { target: "aws", environment: "prod" });
    expect(result.violations.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
    expect(result.deferred).toEqual([]);
    // The access-log bucket must use SSE-S3 and cannot log to itself.
    for (const v of result.violations) expect(v.urn).toMatch(/aws-s3-access-logs-bucket$/);
  });
});
