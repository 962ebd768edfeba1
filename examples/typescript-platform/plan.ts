/**
 * Plans the platform offline under Pulumi's mock runtime (no Pulumi CLI, engine or cluster) and
 * prints what it registers as JSON: `npm run plan`. A test of this project asserts on it.
 */
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
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
