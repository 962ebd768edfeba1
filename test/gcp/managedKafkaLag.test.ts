/**
 * Streaming models on Managed Kafka scale on consumer lag: KEDA reads the lag from Cloud Monitoring
 * as the KEDA operator's Workload Identity, which mlstack grants roles/monitoring.viewer.
 */
import { ManagedKafka, type ManagedKafkaArgs } from "../../components/kafka/managedKafka";
import { MANAGED_KAFKA_LAG_METRIC } from "../../components/kafka/kedaLagTrigger";
import { lagScalerTrigger } from "../../components/serving/kafkaScaler";
import type { KafkaLagTrigger } from "../../components/kafka/contract";
import { ConfigError } from "../../stacks/config";
import { render } from "../support/render";
import { deploy } from "./deploy";
import { gcpConfig, testKey } from "./fixtures";

const PRINCIPAL =
  "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-ml-test.svc.id.goog/subject/ns/keda/sa/keda-operator";
const IAM = "gcp:projects/iAMMember:IAMMember";

function kafkaArgs(overrides: Partial<ManagedKafkaArgs> = {}): ManagedKafkaArgs {
  return {
    project: "acme-ml-test",
    region: "europe-west4",
    clusterId: "mlstack-test-kafka",
    vcpuCount: 3,
    memoryGib: 3,
    subnets: [
      {
        name: "gke-nodes",
        cidr: "10.40.0.0/20",
        id: "projects/acme-ml-test/regions/europe-west4/subnetworks/gke-nodes",
      },
    ],
    kmsKey: testKey("kafka"),
    topics: ["transactions", "fraud-scores"].map((name) => ({
      name,
      partitions: 6,
      replicas: 3,
      retentionHours: 24,
      owner: "fraud",
      readers: [],
      writers: [],
    })),
    minInsyncReplicas: 2,
    clients: [
      {
        name: "fraud-detector",
        workload: true,
        serviceAccount: "fraud-detector@acme-ml-test.iam.gserviceaccount.com",
        read: ["transactions"],
        write: ["fraud-scores"],
        consumerGroups: ["fraud-detector"],
      },
    ],
    kedaPrincipal: PRINCIPAL,
    environment: "dev",
    protect: false,
    ...overrides,
  };
}

const identity = (name: string) => ({
  workload: { name, team: "fraud", namespace: "ml-dev-fraud", serviceAccountName: name },
  serviceAccountAnnotations: {},
  dependencies: [],
});

/** The ScaledObject trigger serving builds from the backend's trigger, resolved. */
async function scaledTrigger(trigger: KafkaLagTrigger) {
  const r = await render(() => {
    const t = lagScalerTrigger(
      {
        bootstrapServers: "bootstrap:9092",
        inputTopic: "transactions",
        outputTopic: "fraud-scores",
        consumerGroup: "fraud-detector",
        inputPartitions: 6,
        lagTrigger: trigger,
      },
      500,
    );
    return { type: t.type, metadata: t.metadata };
  });
  return r.outputs as { type: string; metadata: Record<string, string> };
}

describe("ManagedKafka: consumer-lag scaling through Cloud Monitoring", () => {
  it("gives KEDA a gcp-stackdriver trigger on the group's offset lag, authenticated by KEDA's own Workload Identity", async () => {
    let trigger: KafkaLagTrigger | undefined;
    await render(() => {
      trigger = new ManagedKafka("kafka", kafkaArgs()).lagTrigger(identity("fraud-detector"), "model");
    });
    expect(trigger?.type).toBe("gcp-stackdriver");
    expect(trigger?.authentication).toEqual({ podIdentity: { provider: "gcp" } });
    const scaled = await scaledTrigger(trigger as KafkaLagTrigger);
    expect(scaled.type).toBe("gcp-stackdriver");
    expect(scaled.metadata).toEqual({
      projectId: "acme-ml-test",
      filter:
        'metric.type="managedkafka.googleapis.com/offset_lag" AND resource.type="managedkafka.googleapis.com/TopicPartitionConsumerGroup" ' +
        'AND resource.label.cluster_id="mlstack-test-kafka" AND resource.label.consumer_group_id="fraud-detector"',
      targetValue: "500",
      alignmentPeriodSeconds: "60",
      alignmentAligner: "max",
      alignmentReducer: "sum",
    });
    // No credential of any kind in the trigger: nothing but references to KEDA's pod identity.
    expect(JSON.stringify(scaled.metadata)).not.toMatch(/key|secret|token|password/i);
    expect(MANAGED_KAFKA_LAG_METRIC.source).toContain("cloud.google.com/monitoring/api/metrics_gcp");
  });

  it("grants the KEDA operator's principal roles/monitoring.viewer on the project", async () => {
    const r = await render(() => {
      new ManagedKafka("kafka", kafkaArgs());
    });
    const bindings = r.ofType(IAM).map((b) => r.inputs(b));
    expect(bindings.filter((b) => b.role === "roles/monitoring.viewer")).toEqual([
      { project: "acme-ml-test", role: "roles/monitoring.viewer", member: PRINCIPAL },
    ]);
  });

  it("without a KEDA principal grants nothing and gives no trigger (the model scales on CPU)", async () => {
    let trigger: KafkaLagTrigger | undefined;
    const r = await render(() => {
      trigger = new ManagedKafka("kafka", kafkaArgs({ kedaPrincipal: undefined })).lagTrigger(
        identity("fraud-detector"),
        "model",
      );
    });
    expect(trigger).toBeUndefined();
    expect(r.ofType(IAM).filter((b) => r.inputs(b).role === "roles/monitoring.viewer")).toEqual([]);
  });

  it("refuses a trigger for a workload that consumes no group", async () => {
    await expect(
      render(() => {
        new ManagedKafka("kafka", kafkaArgs()).lagTrigger(identity("price-quoter"), "model");
      }),
    ).rejects.toThrow(/workload "price-quoter" has no declared consumer group/);
  });

  it("refuses a KEDA principal that is not a Workload Identity principal", () => {
    expect(
      () =>
        new ManagedKafka(
          "kafka",
          kafkaArgs({ kedaPrincipal: "serviceAccount:keda@x.iam.gserviceaccount.com" }),
        ),
    ).toThrow(
      /kedaPrincipal "serviceAccount:keda@x.iam.gserviceaccount.com" is not a GKE Workload Identity principal/,
    );
  });
});

describe("the GCP target: streaming models and KEDA's identity", () => {
  it("wires the KEDA operator's principal from the cluster's pool and the KEDA namespace", async () => {
    const { r } = await deploy(gcpConfig("dev"));
    const viewer = r
      .ofType(IAM)
      .map((b) => r.inputs(b))
      .filter((b) => b.role === "roles/monitoring.viewer");
    expect(viewer).toEqual([
      {
        project: "acme-ml-test",
        role: "roles/monitoring.viewer",
        member:
          "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-ml-test.svc.id.goog/subject/ns/keda/sa/keda-operator",
      },
    ]);
  });
});

describe("mlstack:gcp.kafka.lagScaler", () => {
  it("defaults to the KEDA chart's ServiceAccount in network.kedaNamespace, in the services project", () => {
    const config = gcpConfig("dev", (raw) => (raw.network = { kedaNamespace: "autoscaling" }));
    expect(config.gcp?.kafka.lagScaler).toEqual({
      kedaNamespace: "autoscaling",
      kedaServiceAccount: "keda-operator",
      clusterProjectNumber: "123456789012",
      kedaPrincipal:
        "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-ml-test.svc.id.goog/subject/ns/autoscaling/sa/keda-operator",
    });
  });

  it("names the cluster project's number when the cluster lives in another project", () => {
    const config = gcpConfig("dev", (raw) => {
      raw.gcp.cluster.project = "acme-gke-host";
      raw.gcp.kafka = { lagScaler: { clusterProjectNumber: "998877665544", kedaServiceAccount: "keda-op" } };
    });
    expect(config.gcp?.kafka.lagScaler.kedaPrincipal).toBe(
      "principal://iam.googleapis.com/projects/998877665544/locations/global/workloadIdentityPools/acme-gke-host.svc.id.goog/subject/ns/keda/sa/keda-op",
    );
  });

  it("refuses a cluster in another project without that project's number", () => {
    expect(() => gcpConfig("dev", (raw) => (raw.gcp.cluster.project = "acme-gke-host"))).toThrow(
      /mlstack:gcp.kafka.lagScaler.clusterProjectNumber: undefined is required: the cluster is in project acme-gke-host/,
    );
  });

  it("refuses a ServiceAccount name Kubernetes would not accept", () => {
    let error: unknown;
    try {
      gcpConfig("dev", (raw) => (raw.gcp.kafka = { lagScaler: { kedaServiceAccount: "KEDA_Operator" } }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toContain(
      'mlstack:gcp.kafka.lagScaler.kedaServiceAccount: "KEDA_Operator" is not a Kubernetes ServiceAccount name',
    );
  });
});
