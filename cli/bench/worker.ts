/**
 * One benchmark measurement in a fresh process (so peak RSS is that run's alone):
 * - `plan <projectDir> <stack>` runs `mlstack plan <stack> --quiet` (render, policy report, files);
 * - `floor <count>` registers `count` plain resources under Pulumi's mock runtime, no mlstack code;
 * - `record <projectDir> <stack> <file>` writes the registrations of that stack's plan to `file`
 *   (not timed: it prepares the replay);
 * - `replay <file>` registers exactly those resources again (same types, names, parents, inputs,
 *   options) under Pulumi's mock runtime, no mlstack code (./replay.ts).
 * Prints one JSON line.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Registration, registrationsOf } from "./registrationRecording";
import { replayRegistrations } from "./replay";

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

/** The mocks of both floors: an id, and no state back (the least the runtime can be asked to do). */
const FLOOR_MOCKS: pulumi.runtime.Mocks = {
  newResource: (args) => ({ id: args.custom === false ? undefined : `${args.name}-id`, state: {} }),
  call: (args) => args.inputs,
};

async function replay(file: string): Promise<number> {
  const registrations = JSON.parse(fs.readFileSync(file, "utf8")) as Registration[];
  await pulumi.runtime.setMocks(FLOOR_MOCKS, "mlstack", "replay", false);
  // What `mlstack plan` does under mocks too (cli/mockRuntime.ts): no stack trace on each of the
  // SDK's promises. A floor that paid for them would flatter the plan.
  Error.stackTraceLimit = 0;
  await pulumi.runtime.runInPulumiStack(async () => {
    replayRegistrations(registrations);
    return {};
  });
  await (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> }).waitForRPCs();
  return registrations.length;
}

async function record(projectDir: string, stack: string, file: string): Promise<number> {
  const { planStack } = require("../plan") as typeof import("../plan");
  const registrations = registrationsOf(await planStack(projectDir, stack));
  fs.writeFileSync(file, JSON.stringify(registrations));
  return registrations.length;
}

/**
 * The whole `mlstack plan <stack> --quiet`: render, policy report, files written. Measured when
 * the plan has written its folder, as a user's process would end: counting the plan's steps
 * afterwards (parsing a 4 MB plan.json for the 100-model stack) is the bench's work, not the plan's,
 * and so is removing the folder.
 */
async function plan(projectDir: string, stack: string, out: string): Promise<Counted> {
  const { runPlan } = require("../plan") as typeof import("../plan");
  const code = await runPlan([stack, "--out", out, "--quiet"], projectDir, () => undefined);
  if (code === 2) throw new Error(`mlstack plan ${stack} failed`);
  const measured = measurement();
  const plan = JSON.parse(fs.readFileSync(path.join(out, "plan.json"), "utf8")) as { steps: unknown[] };
  return { resources: plan.steps.length, measured };
}

/** What a sample reports besides its count: the process's time, CPU and peak RSS so far. */
interface Measurement {
  seconds: number;
  cpuS: number;
  rssMb: number;
}

/** A count of resources, and the measurement when the measured work ended (if not at return). */
interface Counted {
  resources: number;
  measured?: Measurement;
}

function measurement(): Measurement {
  const cpu = process.cpuUsage();
  return {
    seconds: process.uptime(),
    cpuS: (cpu.user + cpu.system) / 1e6,
    rssMb: process.resourceUsage().maxRSS / 1024,
  };
}

/**
 * Seconds are the process's whole wall time (`process.uptime()`), start-up and module loading
 * included, for the floors as for the plan: what a user waits for. `cpuS` (user + system CPU) is
 * printed beside it: on a loaded machine it varies far less than wall time.
 */
export async function runWorker(argv: string[]): Promise<void> {
  const [mode, a, b, c] = argv;
  const out = mode === "plan" ? fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-bench-out-")) : undefined;
  try {
    const counted: Counted =
      mode === "floor"
        ? { resources: await floor(Number(a)) }
        : mode === "replay"
          ? { resources: await replay(a) }
          : mode === "record"
            ? { resources: await record(a, b, c) }
            : await plan(a, b, out as string);
    const { seconds, cpuS, rssMb } = counted.measured ?? measurement();
    process.stdout.write(JSON.stringify({ mode, resources: counted.resources, seconds, cpuS, rssMb }) + "\n");
  } finally {
    if (out) fs.rmSync(out, { recursive: true, force: true });
  }
}
