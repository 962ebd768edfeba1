/**
 * Plans the platform offline under Pulumi's mock runtime (no Pulumi CLI, engine or cluster),
 * runs mlstack's security policies over what it registers, and prints both as JSON:
 * `npm run plan`. A test of this project asserts on it.
 */
import { evaluate } from "mlstack/policies/evaluate";
import { planProgram } from "mlstack/testing";
import { searchPlatform } from "./platform";

async function main(): Promise<void> {
  const plan = await planProgram(() => searchPlatform(), { project: "search-ml-platform", stack: "dev" });
  const summary = {
    resources: plan.resources.map((r) => ({
      type: r.type,
      name: r.name,
      parent: r.parent,
      namespace: (r.inputs.metadata as { namespace?: string } | undefined)?.namespace,
    })),
    outputs: plan.outputs,
    // The same rules `pulumi preview --policy-pack` runs, here without the engine.
    violations: evaluate(
      plan.resources.filter((r) => r.type !== "pulumi:pulumi:Stack"),
      { target: "kubernetes", environment: "dev" },
      { outputs: plan.outputs },
    ).map((v) => ({ policy: v.policy, level: v.enforcementLevel, name: v.name, message: v.message })),
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
