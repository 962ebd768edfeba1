/** The GCP target end to end, driven the way the shared composition drives it (see ./deploy). */
import * as pulumi from "@pulumi/pulumi";
import { GkeWorkloadIdentityProvider } from "../../components/identity/workloadIdentity";
import { gcpTarget, kafkaClients } from "../../stacks/gcp";
import { Rendered, render } from "../support/render";
import { Wiring, deploy, platformContext } from "./deploy";
import { gcpConfig } from "./fixtures";

const IAM_TYPES = [
  "gcp:projects/iAMMember:IAMMember",
  "gcp:storage/bucketIAMMember:BucketIAMMember",
  "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
  "gcp:serviceaccount/iAMMember:IAMMember",
];

const emailOf = (name: string) =>
  new GkeWorkloadIdentityProvider({
    project: "acme-ml-test",
    workloadPool: "acme-ml-test.svc.id.goog",
    pulumiProject: "mlstack",
    stack: "test",
  }).emailFor(name);

describe("gcpTarget on a prod config", () => {
  let prod: { r: Rendered; wiring: Wiring };
  beforeAll(async () => {
    prod = await deploy(gcpConfig("prod"));
  }, 120_000);

  it("creates the managed services: key ring, buckets, Cloud SQL, Managed Kafka", () => {
    const types = new Set(prod.r.resources.map((x) => x.type));
    for (const type of [
      "mlstack:gcp:BackingServices",
      "mlstack:kms:GcpKms",
      "mlstack:objectstore:GcsObjectStore",
      "mlstack:postgres:CloudSqlPostgres",
      "mlstack:kafka:ManagedKafka",
      "gcp:kms/keyRing:KeyRing",
      "gcp:storage/bucket:Bucket",
      "gcp:sql/databaseInstance:DatabaseInstance",
      "gcp:managedkafka/cluster:Cluster",
    ]) {
      expect(types).toContain(type);
    }
  });

  it("creates no backup bucket: Cloud SQL keeps its own backups", () => {
    expect(gcpConfig("prod").objectStore.buckets.map((b) => b.name)).not.toContain("postgres-backups");
    expect(prod.r.ofType("gcp:storage/bucket:Bucket").map((b) => prod.r.inputs(b).name)).toEqual([
      "acme-ml-test-test-access-logs",
      "acme-ml-test-test-fraud-models",
      "acme-ml-test-test-pricing-models",
      "acme-ml-test-test-mlflow-artifacts",
    ]);
  });

  it("grants no basic role (owner, editor, viewer) to anyone", () => {
    const roles = IAM_TYPES.flatMap((t) => prod.r.ofType(t)).map((b) => prod.r.inputs(b).role as string);
    expect(roles.length).toBeGreaterThan(0);
    expect(roles.filter((role) => /^roles\/(owner|editor|viewer)$/.test(role))).toEqual([]);
  });

  it("binds each workload's GSA to exactly its own ServiceAccount", () => {
    const bindings = prod.r
      .ofType("gcp:serviceaccount/iAMMember:IAMMember")
      .map((b) => prod.r.inputs(b).member);
    expect(bindings).toEqual([
      "serviceAccount:acme-ml-test.svc.id.goog[ml-prod-platform/mlflow]",
      "serviceAccount:acme-ml-test.svc.id.goog[ml-prod-fraud/fraud-detector]",
      "serviceAccount:acme-ml-test.svc.id.goog[ml-prod-pricing/price-quoter]",
    ]);
  });

  it("gives each workload's GSA roles on its own bucket and topics only", () => {
    const rolesOf = (workload: string) =>
      IAM_TYPES.flatMap((t) => prod.r.ofType(t))
        .map((b) => prod.r.inputs(b))
        .filter((b) => b.member === `serviceAccount:${emailOf(workload)}`)
        .map((b) => `${b.role} ${b.bucket ?? b.condition?.expression ?? b.project}`);
    expect(rolesOf("mlflow")).toEqual(["roles/storage.objectUser acme-ml-test-test-mlflow-artifacts"]);
    expect(rolesOf("price-quoter")).toEqual(["roles/storage.objectViewer acme-ml-test-test-pricing-models"]);
    expect(rolesOf("fraud-detector").sort()).toEqual([
      'roles/managedkafka.client resource.name.endsWith("/locations/europe-west4/clusters/mlstack-test-kafka")',
      "roles/storage.objectViewer acme-ml-test-test-fraud-models",
    ]);
  });

  it("protects every stateful resource: keys, buckets, the instance and its databases, the Kafka cluster and topics", () => {
    const stateful = [
      "gcp:kms/keyRing:KeyRing",
      "gcp:kms/cryptoKey:CryptoKey",
      "gcp:storage/bucket:Bucket",
      "gcp:sql/databaseInstance:DatabaseInstance",
      "postgresql:index/database:Database",
      "gcp:managedkafka/cluster:Cluster",
      "gcp:managedkafka/topic:Topic",
    ].flatMap((t) => prod.r.ofType(t));
    expect(stateful.length).toBeGreaterThan(10);
    expect(stateful.filter((x) => !x.protect).map((x) => x.name)).toEqual([]);
    const instance = prod.r.inputs(prod.r.one("gcp:sql/databaseInstance:DatabaseInstance"));
    expect(instance).toMatchObject({
      deletionProtection: true,
      settings: { availabilityType: "REGIONAL", deletionProtectionEnabled: true },
    });
  });

  it("labels every labelable GCP resource with environment, team and component", () => {
    const labelled = [
      "gcp:storage/bucket:Bucket",
      "gcp:kms/cryptoKey:CryptoKey",
      "gcp:managedkafka/cluster:Cluster",
    ].flatMap((t) => prod.r.ofType(t));
    for (const x of labelled)
      expect(Object.keys(prod.r.inputs(x).labels ?? {}).sort()).toEqual([
        "mlstack-component",
        "mlstack-environment",
        "mlstack-managed-by",
        "mlstack-team",
      ]);
    expect(
      Object.keys(prod.r.inputs(prod.r.one("gcp:sql/databaseInstance:DatabaseInstance")).settings.userLabels),
    ).toContain("mlstack-environment");
  });

  it("wires MLflow to gs:// artifacts and the Cloud SQL backend over TLS", () => {
    expect(prod.r.outputs.artifacts).toBe("gs://acme-ml-test-test-mlflow-artifacts");
    const env = Object.fromEntries(prod.wiring.mlflowDatabase.env.map((e) => [e.name, e]));
    expect(env.PGSSLMODE.value).toBe("require");
    expect(env.DATABASE_URL.valueFrom?.secretKeyRef?.key).toBe("database-url");
    expect(prod.wiring.mlflowArtifacts.env).toEqual([{ name: "BUCKET_NAME", value: expect.anything() }]);
  });

  it("wires the streaming model to Managed Kafka with its identity and the HTTP model to GCS only", () => {
    const fraud = prod.wiring.models["fraud-detector"];
    expect(fraud).toHaveLength(2);
    expect(fraud[1].env.find((e) => e.name === "KAFKA_SASL_MECHANISM")?.value).toBe("OAUTHBEARER");
    expect(prod.r.outputs.bootstrap).toBe(
      "bootstrap.mlstack-test-kafka.europe-west4.managedkafka.acme-ml-test.cloud.goog:9092",
    );
    const quoter = prod.wiring.models["price-quoter"];
    expect(quoter).toHaveLength(1);
    expect(quoter[0].env.map((e) => e.name)).toEqual(["BUCKET_NAME"]);
  });

  it("never opens egress to 0.0.0.0/0 with private Google access", () => {
    const all = [
      prod.wiring.mlflowDatabase,
      prod.wiring.mlflowArtifacts,
      ...Object.values(prod.wiring.models).flat(),
    ];
    const cidrs = all
      .flatMap((a) => a.egress)
      .flatMap((rule) => (rule.to as Array<{ ipBlock?: { cidr: string } }>).map((p) => p.ipBlock?.cidr));
    expect(cidrs).not.toContain("0.0.0.0/0");
    expect(new Set(cidrs)).toEqual(
      new Set(["10.60.0.0/16", "199.36.153.8/30", "169.254.169.254/32", "10.40.0.0/20"]),
    );
  });

  it("creates no service-account key anywhere", () => {
    expect(prod.r.ofType("gcp:serviceaccount/key:Key")).toHaveLength(0);
  });
});

describe("gcpTarget on a dev config", () => {
  it("makes a ZONAL, deletable instance and leaves nothing protected", async () => {
    const { r } = await deploy(gcpConfig("dev"));
    expect(r.inputs(r.one("gcp:sql/databaseInstance:DatabaseInstance"))).toMatchObject({
      deletionProtection: false,
      settings: { availabilityType: "ZONAL" },
    });
    expect(r.resources.filter((x) => x.protect).map((x) => x.name)).toEqual([]);
    // Backups and PITR stay on: losing a dev database still costs a day's work.
    expect(
      r.inputs(r.one("gcp:sql/databaseInstance:DatabaseInstance")).settings.backupConfiguration,
    ).toMatchObject({ enabled: true, pointInTimeRecoveryEnabled: true });
  });

  it("creates the private services access peering only when asked", async () => {
    const { r } = await deploy(
      gcpConfig("dev", (raw) => (raw.gcp.network.privateServicesAccess.create = true)),
    );
    expect(r.inputs(r.one("gcp:compute/globalAddress:GlobalAddress")).name).toBe("test-psa");
    expect(
      r.inputs(r.one("gcp:sql/databaseInstance:DatabaseInstance")).settings.ipConfiguration.allocatedIpRange,
    ).toBe("test-psa");
    const without = await deploy(gcpConfig("dev"));
    expect(without.r.ofType("gcp:servicenetworking/connection:Connection")).toHaveLength(0);
  });
});

describe("gcpTarget: cluster access and declared Kafka clients", () => {
  it("reaches the cluster through the gcloud-named kubeconfig context by default", async () => {
    const r = await render(() => {
      gcpTarget.kubernetesProvider(gcpConfig("dev"));
    });
    expect(r.inputs(r.one("pulumi:providers:kubernetes"))).toMatchObject({
      context: "gke_acme-ml-test_europe-west4_ml-test",
    });
  });

  it("declares Kafka access for streaming models and external clients only", () => {
    const config = gcpConfig(
      "dev",
      (raw) =>
        (raw.gcp.kafka = {
          clients: [
            {
              serviceAccount: "scores-reader@acme-risk.iam.gserviceaccount.com",
              read: ["fraud-scores"],
              consumerGroups: ["risk"],
            },
          ],
        }),
    );
    expect(kafkaClients(config)).toEqual([
      {
        name: "fraud-detector",
        workload: true,
        serviceAccount: emailOf("fraud-detector"),
        read: ["transactions"],
        write: ["fraud-scores"],
        consumerGroups: ["fraud-detector"],
      },
      {
        name: "scores-reader@acme-risk.iam.gserviceaccount.com",
        workload: false,
        serviceAccount: "scores-reader@acme-risk.iam.gserviceaccount.com",
        read: ["fraud-scores"],
        write: [],
        consumerGroups: ["risk"],
      },
    ]);
  });

  it("refuses a config that is not for gcp", () => {
    const config = { ...gcpConfig("dev"), target: "kubernetes" as const, gcp: undefined };
    expect(() =>
      gcpTarget.identityProvider(
        config,
        platformContext(config),
        new pulumi.ComponentResource("test:index:X", "x"),
      ),
    ).toThrow("gcpTarget: mlstack:target is kubernetes");
  });
});
