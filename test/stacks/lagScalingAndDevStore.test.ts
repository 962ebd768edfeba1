/**
 * Issue 11 item 6 on the shipped stacks: every streaming model scales on its consumer lag (a KEDA
 * ScaledObject, never a CPU HorizontalPodAutoscaler), on every target; and dev brings its own object
 * store (SeaweedFS), so it needs no ObjectBucketClaim provisioner.
 */
import * as path from "path";
import { revealSecrets } from "../../cli/mockRuntime";
import type { PlanResult } from "../../cli/plan";
import { listStacks } from "../../cli/plan/stackConfig";
import type { Json } from "../support/config";
import { shippedPlan } from "../support/shippedPlans";

const ROOT = path.resolve(__dirname, "../..");
const STACKS = listStacks(ROOT);
const plans = new Map<string, PlanResult>();

beforeAll(async () => {
  for (const stack of STACKS) plans.set(stack, await shippedPlan(stack));
}, 300_000);

function objects(stack: string, kind: string): Json[] {
  return (plans.get(stack) as PlanResult).resources
    .filter((r) => r.type.startsWith("kubernetes:"))
    .map((r) => revealSecrets(r.inputs) as Json)
    .filter(
      (o) =>
        o.kind === kind || (kind === "HorizontalPodAutoscaler" && o.spec?.scaleTargetRef && o.spec?.metrics),
    );
}

describe.each(STACKS)("stack %s", (stack) => {
  it("scales every streaming model on its consumer lag, with a KEDA trigger and no CPU autoscaler", () => {
    const { config } = plans.get(stack) as PlanResult;
    const streaming = config.serving.models.filter((m) => m.kafka);
    const scaled = objects(stack, "ScaledObject");
    const hpas = objects(stack, "HorizontalPodAutoscaler");
    for (const model of streaming) {
      const so = scaled.find((o) => o.metadata.name === model.name);
      expect(so).toBeDefined();
      expect(["kafka", "gcp-stackdriver"]).toContain(so?.spec.triggers[0].type);
      expect(hpas.filter((h) => h.spec.scaleTargetRef.name === model.name)).toEqual([]);
    }
  });
});

it("dev brings its own object store: SeaweedFS, no ObjectBucketClaim", () => {
  const dev = plans.get("dev") as PlanResult;
  expect(
    dev.resources.filter((r) => r.type === "kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim"),
  ).toEqual([]);
  expect(dev.resources.filter((r) => r.type === "mlstack:objectstore:SeaweedFsObjectStore")).toHaveLength(1);
});

it("prod-gcp reads the lag from Cloud Monitoring as KEDA's Workload Identity", () => {
  const scaled = objects("prod-gcp", "ScaledObject");
  expect(scaled.map((o) => o.spec.triggers[0].type)).toEqual(["gcp-stackdriver"]);
  const auth = objects("prod-gcp", "TriggerAuthentication");
  expect(auth.map((a) => a.spec)).toEqual([{ podIdentity: { provider: "gcp" } }]);
});
