/**
 * The application stack of examples/application-stack reads the platform through a StackReference.
 * Here it plans under the mock runtime with the outputs the dev stack really exports (planned a
 * moment before, as `mlstack plan dev` does): an output renamed or reshaped in stacks/outputs.ts
 * breaks this test, as it would break every application stack that reads it.
 */
import * as path from "path";
import { RecordedResource, runUnderMocks } from "../../cli/mockRuntime";
import { planStack } from "../../cli/plan/planStack";
import { scoresDashboard } from "../../examples/application-stack/app";
import type { PlatformStackOutputs } from "../../stacks/outputs";

const ROOT = path.resolve(__dirname, "../..");
const PLATFORM_STACK = "acme/mlstack/dev";

let platform: PlatformStackOutputs;

beforeAll(async () => {
  platform = (await planStack(ROOT, "dev")).outputs as unknown as PlatformStackOutputs;
}, 120_000);

async function planApp(
  outputs: Record<string, unknown>,
  team = "payments-risk",
  workload = "fraud-detector",
): Promise<RecordedResource[]> {
  const { resources } = await runUnderMocks(
    async () => void (await scoresDashboard({ platformStack: PLATFORM_STACK, team, workload })),
    { project: "scores-dashboard", stack: "dev", stackReferences: { [PLATFORM_STACK]: outputs } },
  );
  return resources;
}

type Container = {
  env: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[];
  volumeMounts: { mountPath: string; subPath: string }[];
};
type PodSpec = {
  serviceAccountName: string;
  containers: Container[];
  volumes: { secret?: { secretName: string }; configMap?: { name: string } }[];
};

function deploymentOf(resources: RecordedResource[]): { namespace: string; pod: PodSpec } {
  const d = resources.find((r) => r.type === "kubernetes:apps/v1:Deployment");
  if (!d) throw new Error("no Deployment registered");
  const inputs = d.inputs as { metadata: { namespace: string }; spec: { template: { spec: PodSpec } } };
  return { namespace: inputs.metadata.namespace, pod: inputs.spec.template.spec };
}

describe("the dev platform's outputs", () => {
  it("name per team what an application stack needs, and no secret value", () => {
    const team = platform.teams["payments-risk"];
    expect(platform.outputsVersion).toBe(1);
    expect(team.namespace).toBe(platform.teamNamespaces["payments-risk"]);
    expect(team.serviceAccounts).toContain("fraud-detector");
    expect(team.kafka).toMatchObject({
      bootstrapServers: platform.kafkaBootstrapServers,
      topics: { "card-transactions": expect.any(String), "fraud-scores": expect.any(String) },
      caSecretName: expect.any(String),
    });
    expect(team.databases.fraud_features).toMatchObject({
      host: platform.postgres.host,
      port: 5432,
      owner: "fraud-detector",
      credentialSecretName: expect.any(String),
    });
    expect(team.buckets["payments-risk-models"]).toMatchObject({
      name: expect.any(String),
      url: expect.stringMatching(/^s3:\/\//),
      endpoint: expect.any(String),
      region: expect.any(String),
    });
    expect(team.mlflowTrackingUri).toBe(platform.mlflow.trackingUri);
    // Secret values never appear: the mock runtime's passwords are `mock-<name>`.
    expect(JSON.stringify(platform)).not.toMatch(/mock-[a-z]/);
  });
});

describe("examples/application-stack", () => {
  it("deploys into the team namespace as the workload, with its credentials by reference", async () => {
    const resources = await planApp(platform as unknown as Record<string, unknown>);
    const team = platform.teams["payments-risk"];
    const workload = team.workloads["fraud-detector"];
    const { namespace, pod } = deploymentOf(resources);
    expect(namespace).toBe(team.namespace);
    expect(pod.serviceAccountName).toBe(workload.serviceAccountName);

    const env = Object.fromEntries(pod.containers[0].env.map((e) => [e.name, e]));
    expect(env.KAFKA_BOOTSTRAP_SERVERS.value).toBe(team.kafka.bootstrapServers);
    expect(env.MLFLOW_TRACKING_URI.value).toBe(team.mlflowTrackingUri);
    expect(env.DATABASE_URL.valueFrom?.secretKeyRef.name).toBe(
      team.databases.fraud_features.credentialSecretName,
    );
    // The Kafka CA is mounted from the Secret the platform names, at the path the env gives.
    expect(pod.volumes.map((v) => v.secret?.secretName ?? v.configMap?.name)).toContain(
      team.kafka.caSecretName,
    );
    expect(pod.containers[0].volumeMounts.map((m) => m.mountPath)).toContain(env.KAFKA_SSL_CA_LOCATION.value);
    expect(resources.find((r) => r.type === "kubernetes:core/v1:Service")).toBeDefined();
  });

  it("fails with the missing output's name when the platform stack lacks it", async () => {
    const { teams: _teams, ...withoutTeams } = platform;
    await expect(planApp(withoutTeams)).rejects.toThrow("acme/mlstack/dev: the stack has no output teams");
  });

  it("refuses outputs of another shape, and names the teams and workloads the stack has", async () => {
    await expect(planApp({ ...platform, outputsVersion: 2 })).rejects.toThrow(
      "acme/mlstack/dev: outputsVersion 2, this app reads version 1",
    );
    await expect(planApp(platform as unknown as Record<string, unknown>, "search")).rejects.toThrow(
      /no team "search" \(teams: (.+, )?payments-risk/,
    );
    await expect(
      planApp(platform as unknown as Record<string, unknown>, "payments-risk", "ranker"),
    ).rejects.toThrow(/team payments-risk has no workload "ranker" \(workloads: fraud-detector/);
  });
});
