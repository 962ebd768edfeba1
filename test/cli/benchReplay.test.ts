import * as fs from "fs";
import * as path from "path";
import { Registration, registrationsOf } from "../../cli/bench/registrationRecording";
import { replayRegistrations } from "../../cli/bench/replay";
import { RecordedResource, runUnderMocks } from "../../cli/mockRuntime";
import { shippedPlan } from "../support/shippedPlans";
import { ROOT } from "./cliProcess";

/** What the floor must reproduce: type, name, parent, input keys and options of each resource. */
function shape(r: RecordedResource) {
  return {
    urn: r.urn,
    type: r.type,
    name: r.name,
    custom: r.custom,
    parent: r.parent,
    inputKeys: Object.keys(r.inputs).sort(),
    protect: r.protect,
    retainOnDelete: r.retainOnDelete,
    provider: r.provider,
  };
}

const byUrn = (a: { urn: string }, b: { urn: string }) => a.urn.localeCompare(b.urn);

describe("the benchmark's replay floor", () => {
  it.each(["dev", "prod-aws"])(
    "registers exactly the resources of the %s plan it replays (types, names, parents, inputs, options)",
    async (stack) => {
      const plan = await shippedPlan(stack);
      // Through JSON, as the bench hands the recording to the floor's process.
      const registrations = JSON.parse(JSON.stringify(registrationsOf(plan))) as Registration[];
      expect(registrations.length).toBeGreaterThan(50);

      const replay = await runUnderMocks(() => void replayRegistrations(registrations), {
        project: plan.stackConfig.project,
        stack,
        config: plan.stackConfig.config,
        secretKeys: plan.stackConfig.secretKeys,
      });
      expect(replay.resources.map(shape).sort(byUrn)).toEqual(plan.resources.map(shape).sort(byUrn));
      expect(replay.defaultProviders.map((p) => p.urn).sort()).toEqual(
        plan.defaultProviders.map((p) => p.urn).sort(),
      );
      // Same input values too, secrets included (still wrapped as secrets).
      const inputs = new Map(plan.resources.map((r) => [r.urn, r.inputs]));
      for (const r of replay.resources) expect(r.inputs).toEqual(inputs.get(r.urn));
    },
    120_000,
  );

  it("refuses a recording whose parent is not registered before its child", () => {
    const orphan: Registration = {
      urn: "urn:pulumi:s::p::mlstack:x:Box$kubernetes:core/v1:ConfigMap::c",
      type: "kubernetes:core/v1:ConfigMap",
      name: "c",
      custom: true,
      parent: "urn:pulumi:s::p::mlstack:x:Box::box",
      inputs: {},
      protect: false,
      retainOnDelete: false,
    };
    expect(() => replayRegistrations([orphan])).toThrow(/names parent urn:pulumi:s::p::mlstack:x:Box::box/);
  });

  it("imports nothing from mlstack at run time (only a type)", () => {
    const source = fs.readFileSync(path.join(ROOT, "cli", "bench", "replay.ts"), "utf8");
    const imports = [...source.matchAll(/^import (type )?.* from "([^"]+)";$/gm)];
    const runtimeImports = imports.filter((m) => !m[1]).map((m) => m[2]);
    expect(runtimeImports).toEqual(["@pulumi/pulumi"]);
  });
});
