/**
 * One benchmark measurement in a fresh process (so peak RSS is that run's alone):
 * `plan <projectDir> <stack>` runs `mlstack plan <stack> --quiet` (render, policy report, files); `floor <count>` registers
 * `count` plain resources under Pulumi's mock runtime with no mlstack code. Prints one JSON line.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

/** A plain provider resource: what the engine registers with no component code around it. */
class Plain extends pulumi.CustomResource {
  constructor(name: string, props: pulumi.Inputs) {
    super("bench:index:Plain", name, props);
  }
}

async function floor(count: number): Promise<number> {
  await pulumi.runtime.setMocks(
    { newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }), call: (args) => args.inputs },
    "mlstack",
    "floor",
    false,
  );
  await pulumi.runtime.runInPulumiStack(async () => {
    for (let i = 0; i < count; i++) {
      new Plain(`plain-${i}`, { index: i, labels: { app: "bench" } });
    }
    return {};
  });
  await (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> }).waitForRPCs();
  return count;
}

/** The whole `mlstack plan <stack> --quiet` command: render, policy report, files written. */
async function plan(projectDir: string, stack: string): Promise<number> {
  const { runPlan } = require("../plan") as typeof import("../plan");
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-bench-out-"));
  try {
    const code = await runPlan([stack, "--out", out, "--quiet"], projectDir, () => undefined);
    if (code === 2) throw new Error(`mlstack plan ${stack} failed`);
    const plan = JSON.parse(fs.readFileSync(path.join(out, "plan.json"), "utf8")) as { steps: unknown[] };
    return plan.steps.length;
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

/**
 * Seconds are the process's whole wall time (`process.uptime()`), start-up and module loading
 * included, for the floor as for the plan: what a user waits for.
 */
export async function runWorker(argv: string[]): Promise<void> {
  const [mode, a, b] = argv;
  const resources = mode === "floor" ? await floor(Number(a)) : await plan(a, b);
  const seconds = process.uptime();
  const rssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ mode, resources, seconds, rssMb }) + "\n");
}
