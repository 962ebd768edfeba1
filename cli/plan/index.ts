/**
 * `mlstack plan [stack] [--out DIR] [--quiet]`: runs the program under Pulumi's mock runtime with
 * the stack's config — no Pulumi CLI, cluster or cloud — and shows what a preview would create.
 * Writes `plan.json` (shaped like `pulumi preview --json`), `manifests/` (every Kubernetes object
 * as YAML), `diagram.mmd` (Mermaid) and `policy.sarif` into its output folder, under the rules of
 * ./outputFolder.ts. Bad stack, config or output folder: exit 2, nothing written.
 */
import * as path from "path";
import { CommandSpec, ParsedCommand, UsageError, parseCommand, usage } from "../commandLine/parseCommand";
import { OutputFolderError, checkOutputFolder, writeOutputFolder } from "./outputFolder";
import type { PlanResult, RenderedPlan } from "./planStack";
import { ProjectNotFoundError, findProjectFolder } from "./projectFolder";
import { StackFileError } from "./stackConfig";
import { stackNameProblem } from "./stackName";

export const PLAN_COMMAND: CommandSpec = {
  name: "plan",
  summary:
    "Renders a stack under Pulumi's mock runtime (no Pulumi CLI, cluster or cloud), runs the policy pack,\nand writes plan.json, manifests/, diagram.mmd and policy.sarif to the output folder.",
  positionals: [
    { name: "stack", required: false, description: "the stack (Pulumi.<stack>.yaml); default dev" },
  ],
  options: {
    out: { type: "string", valueName: "DIR", description: "output folder (default out/<stack>)" },
    quiet: { type: "boolean", short: "q", description: "print only the totals and the policy summary" },
  },
  notes: `The project is the folder with Pulumi.yaml: the current folder or the nearest one above it.
The output folder must be new, empty, or one an earlier mlstack plan wrote (it holds .mlstack-plan.json);
plan replaces only the files it wrote there. It is never the project root, a folder containing it,
a filesystem root or your home folder.
Plaintext credentials in the stack file: a warning in dev, refused in staging and prod.
ESC environments a stack file imports: values from Pulumi.<stack>.env.yaml or MLSTACK_ESC_CONFIG (JSON).
Exit codes: 0 ok, 1 mandatory policy violations, 2 unusable stack, config or output folder.`,
};

export type { PlanResult, RenderedPlan } from "./planStack";

/** Validates the stack's config and renders it under mocks (no files written); see ./planStack.ts. */
export async function planStack(projectDir: string, stack: string): Promise<PlanResult> {
  return (require("./planStack") as typeof import("./planStack")).planStack(projectDir, stack);
}

function shownPath(dir: string): string {
  return path.relative(process.cwd(), dir) || ".";
}

export interface PlanIo {
  log: (line: string) => void;
  /** How the writer stages each file (tests inject failures). */
  writeFile?: (file: string, content: string) => void;
}

/**
 * `projectDirGiven` is the Pulumi project to plan; `undefined` (the command line) means the one found
 * from the current folder upward (./projectFolder.ts).
 */
export async function runPlan(
  argv: string[],
  projectDirGiven: string | undefined,
  log: PlanIo["log"] | PlanIo = console.log,
): Promise<number> {
  const io: PlanIo = typeof log === "function" ? { log } : log;
  const fail = (message: string) => {
    process.stderr.write(`mlstack plan: ${message}\n`);
    return 2;
  };
  let parsed: ParsedCommand;
  try {
    parsed = parseCommand(PLAN_COMMAND, argv);
  } catch (err) {
    if (err instanceof UsageError) return fail(`${err.message} (mlstack plan --help shows the usage)`);
    throw err;
  }
  if (parsed.help) {
    io.log(usage(PLAN_COMMAND));
    return 0;
  }
  const stack = parsed.positionals[0] ?? "dev";
  const quiet = parsed.values.quiet === true;
  const stackProblem = stackNameProblem(stack);
  if (stackProblem) return fail(stackProblem);
  let projectDir: string;
  try {
    projectDir = projectDirGiven ?? findProjectFolder(process.cwd());
  } catch (err) {
    if (err instanceof ProjectNotFoundError) return fail(err.message);
    throw err;
  }
  const outArg = parsed.values.out as string | undefined;
  const outDir = path.resolve(outArg ?? path.join(projectDir, "out", stack));
  const shown = outArg ?? shownPath(outDir);

  let result: PlanResult;
  let rendered: RenderedPlan;
  try {
    // The folder is checked before the (slow) plan as well as when writing: refuse early.
    checkOutputFolder(outDir, projectDir, shown);
    // Loaded only now: the mock runtime, the program and the policy pack take a second or more.
    const work = require("./planStack") as typeof import("./planStack");
    result = await work.planStack(projectDir, stack);
    rendered = work.renderPlan(result, stack, projectDir);
    writeOutputFolder(outDir, projectDir, rendered.files, { shown, writeFile: io.writeFile });
  } catch (err) {
    const { ConfigError } = require("../../stacks/config") as typeof import("../../stacks/config");
    if (err instanceof ConfigError || err instanceof StackFileError || err instanceof OutputFolderError) {
      return fail(err.message);
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code)
      return fail(
        `could not write ${shown}/ (${code}: ${(err as Error).message}); the previous output is unchanged`,
      );
    throw err;
  }
  for (const warning of result.warnings) process.stderr.write(`mlstack plan: warning: ${warning}\n`);

  const { config, resources } = result;
  const { report, files } = rendered;
  const objects = [...files.keys()].filter(
    (f) => f.startsWith("manifests/") && f !== "manifests/all.yaml",
  ).length;
  if (!quiet) {
    io.log(`Plan for stack ${stack} (target ${config.target}, environment ${config.environment}):\n`);
    const { componentTree, countsByType } = require("./render") as typeof import("./render");
    io.log(componentTree(resources));
    io.log("\nResources to create, by type:");
    for (const [type, count] of countsByType(resources)) io.log(`  ${String(count).padStart(5)}  ${type}`);
  }
  const total = resources.filter((r) => r.type !== "pulumi:pulumi:Stack").length;
  io.log(`\n${total} resources to create (${rendered.kubernetesObjectCount} Kubernetes objects).`);
  if (quiet) {
    io.log(
      `Policy pack mlstack-security: ${report.mandatoryViolations} mandatory and ${report.advisoryViolations} advisory violations (details in policy.sarif).`,
    );
  } else {
    io.log(report.text);
  }
  io.log(`\nWrote ${shown}/: plan.json, manifests/ (${objects} files + all.yaml), diagram.mmd, policy.sarif`);
  return report.mandatoryViolations > 0 ? 1 : 0;
}
