/**
 * Every stack file this project ships renders under the mock runtime, and what it renders is
 * secure: pods restricted, namespaces default-deny, no plaintext secrets, manifests valid.
 */
import * as path from "path";
import { isSecretValue, RecordedResource, revealSecrets } from "../../cli/mockRuntime";
import { kubernetesObjects } from "../../cli/plan/render";
import { listStacks } from "../../cli/plan/stackConfig";
import type { PlanResult } from "../../cli/plan";
import type { Json } from "../support/config";
import { validateObjects } from "../support/schemas";
import { shippedPlan } from "../support/shippedPlans";

const ROOT = path.resolve(__dirname, "../..");
const STACKS = listStacks(ROOT);
const plans = new Map<string, PlanResult>();

beforeAll(async () => {
  for (const stack of STACKS) plans.set(stack, await shippedPlan(stack));
}, 180_000);

const plan = (stack: string) => plans.get(stack) as PlanResult;

/** Pod specs inside every pod-bearing object (Deployments, StatefulSets, Jobs, CronJobs, KServe predictors). */
function podSpecs(r: RecordedResource): Json[] {
  const i = revealSecrets(r.inputs) as Json;
  const kind = String(i.kind);
  if (kind === "Pod") return [i.spec];
  if (["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"].includes(kind))
    return [i.spec?.template?.spec];
  if (kind === "CronJob") return [i.spec?.jobTemplate?.spec?.template?.spec];
  if (kind === "InferenceService") return [i.spec?.predictor];
  return [];
}

function containers(spec: Json): Json[] {
  return [
    ...(spec.containers ?? []),
    ...(spec.initContainers ?? []),
    ...(spec.ephemeralContainers ?? []),
    ...(spec.model ? [spec.model] : []),
  ];
}

it("ships the dev, staging and prod stacks at least", () => {
  expect(STACKS).toEqual(expect.arrayContaining(["dev", "staging", "prod"]));
});

describe.each(STACKS)("stack %s", (stack) => {
  it("renders the platform with its namespaces, MLflow and every configured model", () => {
    const { config, resources } = plan(stack);
    const types = new Set(resources.map((r) => r.type));
    expect(types).toContain("mlstack:platform:Platform");
    expect(types).toContain("mlstack:mlflow:Mlflow");
    expect(resources.filter((r) => r.type === "mlstack:serving:ModelServing")).toHaveLength(
      config.serving.models.length,
    );
    const platform = resources.find((r) => r.type === "mlstack:platform:Platform");
    const namespaces = resources.filter(
      (r) => r.type === "mlstack:namespace:TeamNamespace" && r.parent === platform?.urn,
    );
    expect(namespaces).toHaveLength(config.teams.length + 1);
    // Each workload's access objects hang under its own grants component.
    const grants = resources.filter((r) => r.type === "mlstack:platform:WorkloadGrants").map((r) => r.name);
    expect(grants.sort()).toEqual(
      [
        "grants-mlflow",
        ...config.serving.models.map((m) => `grants-${m.name}`),
        ...(config.orchestrator
          ? ["grants-orchestrator", ...config.orchestrator.pipelines.map((p) => `grants-${p.name}`)]
          : []),
      ].sort(),
    );
  });

  it("runs every pod restricted: non-root, no escalation, all capabilities dropped, RuntimeDefault seccomp", () => {
    const { config, resources } = plan(stack);
    const openshift = config.target === "openshift";
    const specs = resources.flatMap(podSpecs);
    expect(specs.length).toBeGreaterThan(0);
    for (const spec of specs) {
      const pod = spec.securityContext ?? {};
      for (const c of containers(spec)) {
        const sc = c.securityContext ?? {};
        const where = `${c.name} in ${stack}`;
        expect([where, sc.allowPrivilegeEscalation]).toEqual([where, false]);
        expect([where, sc.capabilities?.drop]).toEqual([where, ["ALL"]]);
        expect([where, sc.privileged ?? false]).toEqual([where, false]);
        expect([where, sc.runAsNonRoot ?? pod.runAsNonRoot]).toEqual([where, true]);
        expect([where, (sc.seccompProfile ?? pod.seccompProfile)?.type]).toEqual([where, "RuntimeDefault"]);
        if (openshift) expect([where, sc.runAsUser ?? pod.runAsUser]).toEqual([where, undefined]);
        else expect([where, (sc.runAsUser ?? pod.runAsUser) >= 10000]).toEqual([where, true]);
      }
      expect(spec.hostNetwork ?? false).toBe(false);
      expect((spec.volumes ?? []).filter((v: Record<string, unknown>) => v.hostPath)).toEqual([]);
    }
  });

  it("gives every namespace a default-deny NetworkPolicy for ingress and egress", () => {
    const { resources } = plan(stack);
    const namespaces = resources
      .filter((r) => r.type === "kubernetes:core/v1:Namespace")
      .map((r) => (r.inputs.metadata as { name: string }).name);
    const policies = resources
      .filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy")
      .map((r) => r.inputs as Json);
    expect(namespaces.length).toBeGreaterThan(0);
    for (const ns of namespaces) {
      const denyAll = policies.find(
        (p) =>
          p.metadata?.namespace === ns &&
          Object.keys(p.spec?.podSelector ?? {}).length === 0 &&
          [...(p.spec?.policyTypes ?? [])].sort().join() === "Egress,Ingress" &&
          (p.spec?.ingress ?? []).length === 0 &&
          (p.spec?.egress ?? []).length === 0,
      );
      expect([ns, denyAll !== undefined]).toEqual([ns, true]);
    }
  });

  it("puts no plaintext secret in stack outputs or ConfigMaps", () => {
    const { resources, outputs } = plan(stack);
    const outputText = JSON.stringify(outputs);
    expect(outputText).not.toMatch(/mock-[a-z0-9-]*(password|secret|key|cookie)/i);
    for (const r of resources.filter((x) => x.type === "kubernetes:core/v1:ConfigMap")) {
      const data = { ...(r.inputs.data as object), ...(r.inputs.binaryData as object) };
      for (const [key, value] of Object.entries(data)) {
        expect([key, isSecretValue(value)]).toEqual([key, false]);
        expect([key, String(value)]).not.toEqual([
          key,
          expect.stringMatching(/-----BEGIN (EC |RSA )?PRIVATE KEY-----|mock-.*(password|secret)/),
        ]);
      }
    }
  });

  it("hands secrets to pods only through secretKeyRef, never as literal env values", () => {
    const { resources } = plan(stack);
    for (const spec of resources.flatMap(podSpecs)) {
      for (const c of containers(spec)) {
        for (const env of c.env ?? []) {
          if (
            /(PASSWORD|SECRET|TOKEN|JAAS|_KEY$)/.test(env.name) &&
            !/(_FILE|_PATH|_LOCATION|KEY_ID_FILE)$/.test(env.name)
          ) {
            expect([c.name, env.name, env.value]).toEqual([c.name, env.name, undefined]);
          }
        }
      }
    }
  });

  it("never sets an env name twice in one container (the API server refuses such a pod)", () => {
    const { resources } = plan(stack);
    const repeated: string[] = [];
    for (const spec of resources.flatMap(podSpecs)) {
      for (const c of containers(spec)) {
        const names = (c.env ?? []).map((env: Json) => String(env.name));
        for (const name of names.filter((n: string, i: number) => names.indexOf(n) !== i)) {
          repeated.push(`${c.name}: ${name}`);
        }
      }
    }
    expect(repeated).toEqual([]);
  });

  it("emits Kubernetes objects that validate against the upstream OpenAPI schemas", () => {
    const objects = kubernetesObjects(plan(stack).resources).map((o) => o.object);
    const result = validateObjects(objects);
    expect(result.errors).toEqual([]);
    expect(result.checked).toBeGreaterThan(20);
  });
});
