/**
 * A model following a registry alias on a stack whose MLflow uses basic auth (dev, prod-aws,
 * prod-gcp): the shipped dev stack file with fx-quote's source switched to `{registry, alias}`,
 * planned like `mlstack plan` does (mock runtime, policy pack). The workload gets an MLflow user of
 * its own through the `mlflow-users` Job, and everything still passes the policy pack.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { revealSecrets } from "../../cli/mockRuntime";
import { PlanResult } from "../../cli/plan";
import { planStack, renderPlan } from "../../cli/plan/planStack";
import { jobPodLabels, workloadUsername } from "../../components/mlflow/workloadUsers";

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered inputs are untyped JSON */

const ROOT = path.resolve(__dirname, "../..");
const STACK = "devalias";
const BUCKET_SOURCE = "        source: { bucket: fx-pricing-models, path: fx-quote/12 }";
let dir: string;
let plan: PlanResult;

const objects = () =>
  plan.resources.filter((r) => r.type.startsWith("kubernetes:")).map((r) => revealSecrets(r.inputs) as any);
const named = (kind: string, name: string) =>
  objects().find((o) => o.kind === kind && String(o.metadata?.name).startsWith(name));

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-alias-basic-"));
  fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  const dev = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
  expect(dev).toContain(BUCKET_SOURCE);
  fs.writeFileSync(
    path.join(dir, `Pulumi.${STACK}.yaml`),
    dev.replace(BUCKET_SOURCE, "        source: { registry: fx-quote, alias: champion }"),
  );
  plan = await planStack(dir, STACK);
}, 180_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it("plans with zero mandatory policy violations", () => {
  expect(plan.config.mlflow.auth).toBe("basic");
  const { report } = renderPlan(plan, STACK, dir);
  expect(report.text.split("\n").filter((l) => /MANDATORY/.test(l))).toEqual([]);
  // The Job's only advisory finding is the one MLflow's own Deployment has: the stack's image tag.
  const jobFindings = report.text.split("\n").filter((l) => /k8s-[a-z-]+: container "mlflow-users"/.test(l));
  expect(jobFindings.map((l) => l.trim().split(":")[0])).toEqual(["advisory  k8s-image-digest"]);
  expect(report.mandatoryViolations).toBe(0);
});

it("gives fx-quote its own MLflow user: the Job, its credentials Secret in the team's namespace, and the fetch step reading it", () => {
  const namespace = plan.config.teams.find((t) => t.name === "fx-pricing")?.namespace as string;
  const job = named("Job", "mlflow-users-");
  expect(job.metadata.namespace).toBe(plan.config.platformNamespace);
  const users = JSON.parse(named("ConfigMap", "mlflow-users-script").data["users.json"]);
  expect(users.users).toEqual([
    { username: workloadUsername({ name: "fx-quote", namespace }), registeredModel: "fx-quote" },
  ]);
  expect(named("Secret", "fx-quote-mlflow-user").metadata.namespace).toBe(namespace);

  const deployment = objects().find((o) => o.kind === "Deployment" && o.metadata.name === "fx-quote");
  const fetch = deployment.spec.template.spec.initContainers.find((c: any) => c.name === "fetch-model");
  const env = new Map(fetch.env.map((e: any) => [e.name, e]));
  expect((env.get("MLFLOW_TRACKING_PASSWORD") as any).valueFrom.secretKeyRef).toEqual({
    name: "fx-quote-mlflow-user",
    key: "password",
  });
  // The model's pod may reach MLflow's pods; MLflow's policy admits the Job.
  const modelPolicy = objects().find(
    (o) => o.kind === "NetworkPolicy" && o.metadata.namespace === namespace && o.metadata.name === "fx-quote",
  );
  expect(JSON.stringify(modelPolicy.spec.egress)).toContain('"app.kubernetes.io/name":"mlflow"');
  const mlflowPolicy = objects().find(
    (o) =>
      o.kind === "NetworkPolicy" &&
      o.metadata.name === "mlflow" &&
      o.metadata.namespace === plan.config.platformNamespace,
  );
  expect(mlflowPolicy.spec.ingress[0].from).toContainEqual({ podSelector: { matchLabels: jobPodLabels() } });
});
